import EmoCore
import EmoJSON
import EmoNN
import Foundation

/// The files of one fold's training run, so that a killed run resumes where it stopped:
/// `last.safetensors` (weights after the last finished epoch), `last-state.safetensors` (optimiser
/// state, epochs done, history, best epoch), `best.safetensors` (the best validation epoch's weights)
/// and, at the end, `model.safetensors` (the selected model with its feature spec, labels, protocol).
/// A run resumes only when its fingerprint (features upstream, model, optimiser, epochs, batch, seed)
/// matches the stored one.
struct CheckpointStore {
    let folder: String
    let fingerprint: String

    var lastPath: String { folder + "/last.safetensors" }
    var statePath: String { folder + "/last-state.safetensors" }
    var bestPath: String { folder + "/best.safetensors" }
    var modelPath: String { folder + "/model.safetensors" }

    struct Resumed {
        var epochsDone: Int
        var history: [JSON]
        var bestEpoch: Int?
        var bestScore: Double?
        var bestState: ModelState?
    }

    /// Restores weights and optimiser state into `classifier` when a matching run is stored.
    func resume(into classifier: Classifier) throws -> Resumed? {
        guard FileManager.default.fileExists(atPath: statePath), FileManager.default.fileExists(atPath: lastPath) else { return nil }
        let extra = try classifier.loadTrainingState(from: statePath)
        guard extra["fingerprint"] == fingerprint else { return nil }
        let (state, _) = try Checkpoint.read(from: lastPath)
        try classifier.model.load(state, source: lastPath)
        var resumed = Resumed(
            epochsDone: Int(extra["epochsDone"] ?? "0") ?? 0,
            history: (try? JSON.parse(extra["history"] ?? "[]"))?.arrayValue ?? [],
            bestEpoch: extra["bestEpoch"].flatMap { Int($0) }, bestScore: extra["bestScore"].flatMap { Double($0) })
        if resumed.bestEpoch != nil, FileManager.default.fileExists(atPath: bestPath) {
            resumed.bestState = try Checkpoint.read(from: bestPath).state
        }
        return resumed
    }

    func saveLast(_ classifier: Classifier, epochsDone: Int, history: [JSON], bestEpoch: Int?, bestScore: Double?) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try classifier.save(to: lastPath)
        var extra = ["fingerprint": fingerprint, "epochsDone": String(epochsDone),
                     "history": JSON.array(history).serialized(pretty: false)]
        if let bestEpoch { extra["bestEpoch"] = String(bestEpoch) }
        if let bestScore { extra["bestScore"] = String(bestScore) }
        try classifier.saveTrainingState(to: statePath, extra: extra)
    }

    func saveBest(_ classifier: Classifier, epoch: Int, score: Double) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try classifier.save(to: bestPath, extra: ["epoch": String(epoch), "score": String(score)])
    }

    func saveFinal(_ classifier: Classifier, spec: SpectrumSpec, evaluation: EvaluationSpec?, selection: String,
                   selectedEpoch: Int) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var protocolJSON = evaluation?.json.objectValue ?? JSONObject()
        protocolJSON["selection"] = .string(selection)
        protocolJSON["selectedEpoch"] = .int(selectedEpoch)
        try classifier.save(
            to: modelPath, featureSpec: spec.json.serialized(pretty: false),
            trainingProtocol: JSON.object(protocolJSON).serialized(pretty: false))
    }
}
