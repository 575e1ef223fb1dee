import ArgumentParser
import EmoCore
import EmoJSON
import EmoNN
import EmoNodes
import Foundation

/// `emohr infer --model M.safetensors FILE…`: the label and class probabilities of each file, with
/// the front end rebuilt from the feature spec stored in the checkpoint (or a pipeline of your own).
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer", abstract: "Classify audio files with a trained model (.safetensors checkpoint).")

    @Option(help: "The model checkpoint (model.safetensors written by model.train).") var model: String
    @Argument(help: "Audio files.") var files: [String] = []
    @Option(help: "An inference pipeline of your own instead of the one rebuilt from the checkpoint; it gets --arg model=… and --arg manifest=….")
    var pipeline: String?
    @Option(help: "Normalisation statistics (for models trained with fitted normalisation).") var statistics: String?
    @Option(help: "Channel policy for decoding: mix, or a channel index.") var channel = "mix"
    @Flag(help: "Print JSON lines instead of a table.") var json = false
    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one audio file") }
    }

    func run() throws {
        let registry = try registryOptions.makeRegistry()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-infer-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let manifest = work + "/files.jsonl"
        let cwd = FileManager.default.currentDirectoryPath
        let absolute = files.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
        let lines = zip(files, absolute).map { JSON.object(["id": .string($0), "path": .string($1)]).serialized(pretty: false) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: manifest, atomically: true, encoding: .utf8)

        let graph: ResolvedGraph
        do {
            if let pipeline {
                graph = try PipelineValidator(registry: registry, arguments: ["model": model, "manifest": manifest])
                    .validate(file: pipeline)
            } else {
                graph = try PipelineValidator(registry: registry)
                    .validate(json: try inferencePipeline(manifest: manifest), file: "emohr infer", baseDirectory: cwd)
            }
        } catch let error as PipelineError {
            printError(error.description)
            throw ExitCode(invalidPipelineExitCode)
        }
        let context = RunContext(progress: try ProgressReporter(display: .silent))
        let report = try PipelineRunner(graph: graph, context: context).run()
        for failure in report.failures { printError("\(failure.itemId): \(failure.reason) (\(failure.nodeId))") }
        guard let predictions = report.sections.first(where: { $0.0 == "predictions" })?.1.arrayValue else {
            throw CommandFailure(description: "the pipeline produced no predictions section")
        }
        for row in predictions {
            if json {
                print(row.serialized(pretty: false))
            } else {
                let probabilities = row["probabilities"]?.objectValue.map { object in
                    object.map { "\($0.key) \(String(format: "%.2f", $0.value.doubleValue ?? 0))" }.joined(separator: ", ")
                } ?? ""
                print("\(row["id"]?.stringValue ?? "?"): \(row["label"]?.stringValue ?? "?")  (\(probabilities))")
            }
        }
        if !report.failures.isEmpty { throw ExitCode.failure }
    }

    /// decode → resample → log-Mel → (normalise) → centre crop → model, from the checkpoint's feature spec.
    func inferencePipeline(manifest: String) throws -> JSON {
        let metadata: CheckpointMetadata
        do { metadata = try Checkpoint.read(from: model).metadata } catch {
            throw CommandFailure(description: "cannot read \(model): \(error)")
        }
        guard let text = metadata.featureSpec, let specJSON = try? JSON.parse(text), let spec = SpectrumSpec(json: specJSON) else {
            throw CommandFailure(description: "\(model) has no feature spec in its metadata; use --pipeline")
        }
        guard spec.kind == "logMel" else {
            throw CommandFailure(description: "\(model) was trained on \(spec.summary); emohr infer rebuilds log-Mel front ends only; use --pipeline")
        }
        var nodes: [JSON] = [
            ["id": "model", "type": "model.load", "params": ["path": .string(model)]],
            ["id": "files", "type": "corpus.manifest", "params": ["manifest": .string(manifest), "checkFiles": false]],
            ["id": "decode", "type": "audio.decode", "inputs": ["items": "files.items"], "params": ["channel": .string(channel)]],
            ["id": "resample", "type": "audio.resample", "inputs": ["audio": "decode.audio"], "params": ["sampleRate": .int(spec.sampleRate)]],
        ]
        var logMel: JSONObject = [
            "fftSize": .int(spec.fftSize), "windowLength": .int(spec.windowLength), "hop": .int(spec.hop),
            "window": .string(spec.window), "melBands": .int(spec.bins), "scale": .string(spec.melScale ?? "slaney"),
            "norm": .string(spec.melNorm ?? "slaney"), "fmin": .double(spec.fmin ?? 0),
            "normalize": .string(spec.normalization == "utterance" ? "utterance" : "none"),
        ]
        if let fmax = spec.fmax { logMel["fmax"] = .double(fmax) }
        nodes.append(["id": "logmel", "type": "spectrum.logMel", "inputs": ["audio": "resample.audio"], "params": .object(logMel)])
        var last = "logmel"
        if let normalization = spec.normalization, normalization.hasPrefix("fitted") {
            guard let statistics else {
                throw CommandFailure(description: "\(model) was trained with fitted normalisation statistics; pass them with --statistics")
            }
            nodes.append(["id": "norm", "type": "spectrum.normalize", "inputs": ["spectrum": "logmel.spectrum"],
                          "params": ["mode": "file", "statistics": .string(normalization.hasSuffix("global") ? "global" : "perBand"),
                                     "statisticsPath": .string(statistics)]])
            last = "norm"
        }
        if let frames = spec.frames {
            nodes.append(["id": "crop", "type": "spectrum.fixLength", "inputs": ["spectrum": .string(last + ".spectrum")],
                          "params": ["frames": .int(frames), "crop": "centre"]])
            last = "crop"
        }
        nodes.append(["id": "infer", "type": "model.infer", "inputs": ["model": "model.model", "features": .string(last + ".spectrum")]])
        nodes.append(["id": "predictions", "type": "predictions.list", "inputs": ["predictions": "infer.predictions"]])
        return ["schemaVersion": 1, "name": "infer", "nodes": .array(nodes)]
    }
}
