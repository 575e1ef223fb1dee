import EmoCore
import EmoJSON
import EmoNN
import EmoTensor
import Foundation

/// `model.train`: trains an HRNet classifier on labelled features, fold by fold, keeping the epoch
/// chosen by the selection rule, and predicts each fold's test items with it.
///
/// The paper's recipe is the default: cross-entropy, Adam (lr 1e-3, β 0.9/0.999, L2 weight decay
/// 1e-4), 100 epochs, batch 64, the epoch with the best validation accuracy kept. Validation items
/// come from the split node (carved from the training part); the test fold never chooses the model.
/// Upstream deterministic features are computed once and cached; augmentation nodes run anew each
/// epoch. With `checkpoints`, every epoch is saved so a killed run resumes where it stopped (and a
/// finished run given more epochs continues from its last one).
public final class TrainNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "model.train",
        summary: "Train an HRNet classifier per fold (paper recipe by default), keep the selected epoch, predict the test items",
        details: """
            Input: fixed-length labelled features with train/validation/test roles (a split node and \
            spectrum.fixLength upstream). Model: a preset (`emohrnet-s`, `emohrnet-w18`) or an inline \
            `modelConfig` (HRNet JSON config). Selection: `bestValidation` (the epoch with the best \
            `selectionMetric` on the validation items, never the test items) or `lastEpoch`. When the \
            protocol is speaker-independent, an audit fails the run if a speaker is on both sides.
            """,
        role: .stream,
        inputs: [PortSpec("features", .spectrum, summary: "fixed-length labelled features with roles")],
        outputs: [
            PortSpec("model", .model, summary: "one trained model per fold"),
            PortSpec("predictions", .predictions, summary: "each fold's test items predicted by its selected model"),
            PortSpec("history", .report, summary: "per-epoch loss and accuracies"),
        ],
        parameters: [
            ParameterSpec("model", .string, default: "emohrnet-s", summary: "preset: emohrnet-s or emohrnet-w18"),
            ParameterSpec("modelConfig", .object, optional: true, summary: "an HRNet model config (overrides model)"),
            ParameterSpec("epochs", .integer, default: 100, range: 1...10_000, summary: "training epochs"),
            ParameterSpec("batchSize", .integer, default: 64, range: 1...4096, summary: "items per step"),
            ParameterSpec("optimizer", .choice(["adam", "adamw", "sgd"]), default: "adam", summary: "optimiser"),
            ParameterSpec("learningRate", .number, default: 1e-3, range: 0...10, summary: "learning rate"),
            ParameterSpec("beta1", .number, default: 0.9, range: 0...1, summary: "Adam β1"),
            ParameterSpec("beta2", .number, default: 0.999, range: 0...1, summary: "Adam β2"),
            ParameterSpec("weightDecay", .number, default: 1e-4, range: 0...1, summary: "L2 weight decay (Adam: added to the gradient, as PyTorch)"),
            ParameterSpec("momentum", .number, default: 0.9, range: 0...1, summary: "SGD momentum"),
            ParameterSpec("selection", .choice(["bestValidation", "lastEpoch"]), default: "bestValidation",
                          summary: "which epoch to keep"),
            ParameterSpec("selectionMetric", .choice(["accuracy", "unweightedAccuracy"]), default: "accuracy",
                          summary: "validation metric for bestValidation (accuracy = WA)"),
            ParameterSpec("folds", .numberList, optional: true, summary: "run only these folds (0-based); default all"),
            ParameterSpec("checkpoints", .path, optional: true, summary: "folder for per-epoch checkpoints and the final models"),
            ParameterSpec("resume", .boolean, default: true, summary: "continue from the checkpoints folder when it holds a matching run"),
            ParameterSpec("seed", .integer, default: 0, range: 0...4_294_967_295, summary: "added to the run seed for weights and batch order"),
        ],
        multiPass: true,
        example: #"{ "id": "train", "type": "model.train", "inputs": { "features": "tmask.spectrum" }, "params": { "epochs": 100, "batchSize": 64 } }"#)

    let nodeId: String
    let parameters: Parameters
    /// Block types, fusion methods and heads the model config may name (plugins add to it).
    var components = ModelComponentRegistry.standard
    private var modelConfig: ModelConfig?
    private var labels: [String] = []
    private var featureSpec: SpectrumSpec?
    private var evaluation: EvaluationSpec?

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        parameters = setup.parameters
        if parameters.string("optimizer") != "sgd" && parameters.double("beta1") >= 1 {
            throw ParameterError(parameter: "beta1", "must be below 1")
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["features"], let spec = format.spectrum else {
            throw FormatError(port: "features", expected: "a spectrum")
        }
        guard spec.frames != nil else {
            throw FormatError(port: "features", expected: "features of a fixed number of frames", detail: "put spectrum.fixLength before it")
        }
        guard let labels = format.labels, labels.count >= 2 else {
            throw FormatError(port: "features", expected: "labelled items with at least two classes", detail: "read them with a labelled corpus reader")
        }
        guard format.hasSplits else {
            throw FormatError(port: "features", expected: "items with train/validation/test roles", detail: "put a split node (split.*) upstream")
        }
        self.labels = labels
        featureSpec = spec
        evaluation = format.evaluation
        modelConfig = try makeModelConfig(classes: labels.count)
        var modelFormat = format.converted(to: .model)
        modelFormat.labels = labels
        return ["model": modelFormat, "predictions": format.converted(to: .predictions), "history": StreamFormat(.report)]
    }

    func makeModelConfig(classes: Int) throws -> ModelConfig {
        do {
            if parameters.has("modelConfig") {
                var json = parameters.object("modelConfig")
                if var head = json["head"]?.objectValue {
                    if head["classes"] == nil { head["classes"] = .int(classes) }
                    json["head"] = .object(head)
                } else {
                    json["head"] = ["classes": .int(classes)]
                }
                let config = try ModelConfig(json: .object(json), registry: components)
                guard config.head.classes == classes else {
                    throw ParameterError(parameter: "modelConfig", "head.classes is \(config.head.classes) but the corpus has \(classes) labels")
                }
                return config
            }
            return try ModelConfig.preset(parameters.string("model"), classes: classes)
        } catch let error as ModelConfigError {
            throw ParameterError(
                parameter: parameters.has("modelConfig") ? "modelConfig" : "model",
                error.issues.map(\.description).joined(separator: "; "))
        }
    }

    var optimizerConfig: OptimizerConfig {
        OptimizerConfig(
            kind: OptimizerConfig.Kind(rawValue: parameters.string("optimizer")) ?? .adam,
            learningRate: Float(parameters.double("learningRate")), beta1: Float(parameters.double("beta1")),
            beta2: Float(parameters.double("beta2")), weightDecay: Float(parameters.double("weightDecay")),
            momentum: Float(parameters.double("momentum")))
    }

    /// What one fold produced.
    struct FoldResult {
        var model: ModelPayload
        var predictions: [Item]
        var history: JSON
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let stream = inputs["features"], let modelConfig, let featureSpec else {
            throw ItemError("model.train ran before negotiating its format")
        }
        var foldCount = max(evaluation?.folds ?? 1, 1)
        if evaluation?.folds == 0 {
            // Leave-one-speaker-out and similar protocols learn the fold count from the data: it is
            // the number of roles each item carries.
            let first = try stream.makeIterator(pass: .first).next()
            foldCount = max(first?.metadata[MetadataKey.roles]?.split(separator: ",").count ?? 1, 1)
        }
        let selected = parameters.has("folds") ? parameters.doubleList("folds").map { Int($0) } : Array(0..<foldCount)
        if let bad = selected.first(where: { !(0..<foldCount).contains($0) }) {
            throw ItemError("fold \(bad) does not exist; the protocol has \(foldCount) fold(s)")
        }
        var models: [Item] = []
        var predictions: [Item] = []
        var histories: [JSON] = []
        for fold in selected {
            let result = try trainFold(fold, of: foldCount, stream: stream, config: modelConfig, spec: featureSpec, context: context)
            models.append(Item(id: "fold-\(fold)", metadata: [MetadataKey.fold: String(fold)], payload: result.model))
            predictions += result.predictions
            histories.append(result.history)
        }
        let summary: JSON = [
            "protocol": evaluation?.json ?? .null,
            "selection": .string(parameters.string("selection")),
            "selectionMetric": .string(parameters.string("selectionMetric")),
            "model": modelConfig.json, "optimizer": optimizerConfig.json,
            "epochs": .int(parameters.int("epochs")), "batchSize": .int(parameters.int("batchSize")),
            "folds": .array(histories),
        ]
        context.addReportSection(nodeId, summary)
        return [
            "model": ArrayStream(models), "predictions": ArrayStream(predictions),
            "history": ArrayStream([Item(id: nodeId, payload: ReportPayload(summary))]),
        ]
    }

    // MARK: One fold

    func trainFold(_ fold: Int, of foldCount: Int, stream: ItemStream, config: ModelConfig, spec: SpectrumSpec,
                   context: RunContext) throws -> FoldResult {
        let seed = context.seed &+ UInt64(parameters.int("seed"))
        let epochs = parameters.int("epochs")
        let batchSize = parameters.int("batchSize")
        let useValidation = parameters.string("selection") == "bestValidation"
        let useUA = parameters.string("selectionMetric") == "unweightedAccuracy"
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let foldName = foldCount > 1 ? "fold \(fold + 1)/\(foldCount)" : "training"

        let first = try stream.collect(pass: Pass(epoch: 0, fold: fold))
        if evaluation?.speakerIndependent == true {
            let overlap = auditSpeakerIndependence(items: first, fold: fold)
            if !overlap.isEmpty {
                throw ItemError("speaker-independence audit failed in fold \(fold + 1): \(overlap.joined(separator: "; "))")
            }
        }
        func labelled(_ items: [Item], role: String) throws -> [Item] {
            try items.filter { $0.role(inFold: fold) == role }.map { item in
                guard let label = item.label, labelIndex[label] != nil else {
                    throw ItemError("item \(item.id) has label \(item.label ?? "none"), not in the label set \(labels)")
                }
                return item
            }
        }
        let validation = try labelled(first, role: SplitName.validation)
        let test = first.filter { $0.role(inFold: fold) == SplitName.test }
        var training = try labelled(first, role: SplitName.train)
        guard training.count >= 2 else { throw ItemError("\(foldName) has \(training.count) training item(s)") }
        if useValidation && validation.isEmpty {
            throw ItemError("\(foldName) has no validation items; carve a validation set in the split node or use selection \"lastEpoch\"")
        }
        context.progress.message(
            "\(nodeId) \(foldName): \(training.count) train, \(validation.count) validation, \(test.count) test items; \(config.name ?? "HRNet") \(epochs) epochs, batch \(batchSize)")

        let classifier: Classifier
        do {
            classifier = try Classifier(
                config: config, labels: labels, optimizer: optimizerConfig, seed: seed &+ UInt64(fold) &* 7919, registry: components)
        } catch { throw ItemError("cannot build the model: \(error)") }
        let store = parameters.optionalString("checkpoints").map {
            CheckpointStore(folder: $0 + "/fold-\(fold)", fingerprint: context.inputFingerprint(node: nodeId, port: "features")
                + "|" + config.json.serialized(pretty: false) + "|" + optimizerConfig.json.serialized(pretty: false) + "|\(batchSize)|\(seed)")
        }
        var history: [JSON] = []
        var best: (epoch: Int, score: Double, state: ModelState)?
        var startEpoch = 0
        if parameters.bool("resume"), let store, let resumed = try store.resume(into: classifier) {
            startEpoch = resumed.epochsDone
            history = resumed.history
            if let bestEpoch = resumed.bestEpoch, let bestState = resumed.bestState {
                best = (bestEpoch, resumed.bestScore ?? -1, bestState)
            }
            context.progress.message("\(nodeId) \(foldName): resuming after epoch \(startEpoch) from \(store.folder)")
        }

        for epoch in startEpoch..<epochs {
            let started = Date()
            if epoch > 0 || startEpoch > 0 {
                training = try labelled(try stream.collect(pass: Pass(epoch: epoch, fold: fold)), role: SplitName.train)
            }
            var order = Array(training.indices)
            var random = SeededRandom(parts: [String(seed), "shuffle", String(fold), String(epoch)])
            order.shuffle(using: &random)
            var lossSum = 0.0
            var correct = 0
            var seen = 0
            var start = 0
            while start < order.count {
                var end = min(start + batchSize, order.count)
                if order.count - end == 1 { end = order.count }  // never leave a batch of one for batch norm
                let items = order[start..<end].map { training[$0] }
                let batch = try BatchAssembly.batch(items.map { try $0.payload(as: SpectrumPayload.self) })
                let targets = items.map { labelIndex[$0.label!]! }
                do {
                    let step = try classifier.trainStep(batch: batch, labels: targets)
                    lossSum += Double(step.loss) * Double(items.count)
                    correct += step.correct
                } catch { throw ItemError("training step failed: \(error)") }
                seen += items.count
                start = end
            }
            var record: JSONObject = [
                "epoch": .int(epoch + 1), "loss": .double(lossSum / Double(max(seen, 1))),
                "trainAccuracy": .double(Double(correct) / Double(max(seen, 1))),
            ]
            var line = String(format: "%@ %@ epoch %d/%d: loss %.4f, train acc %.1f%%", nodeId, foldName, epoch + 1, epochs,
                              lossSum / Double(max(seen, 1)), 100 * Double(correct) / Double(max(seen, 1)))
            if !validation.isEmpty {
                let metrics = try evaluate(classifier, items: validation, labelIndex: labelIndex, batchSize: batchSize)
                record["validationAccuracy"] = .double(metrics.weightedAccuracy)
                record["validationUnweightedAccuracy"] = .double(metrics.unweightedAccuracy)
                line += String(format: ", validation WA %.1f%% UA %.1f%%", 100 * metrics.weightedAccuracy, 100 * metrics.unweightedAccuracy)
                let score = useUA ? metrics.unweightedAccuracy : metrics.weightedAccuracy
                if useValidation, best == nil || score > best!.score {
                    best = (epoch + 1, score, classifier.snapshot())
                    line += " (best)"
                    if let store { try store.saveBest(classifier, epoch: epoch + 1, score: score) }
                }
            }
            let seconds = Date().timeIntervalSince(started)
            record["seconds"] = .double((seconds * 100).rounded() / 100)
            line += String(format: ", %.1f s", seconds)
            history.append(.object(record))
            context.progress.message(line)
            var event = record
            event["node"] = .string(nodeId)
            event["fold"] = .int(fold)
            context.progress.event("epoch", event)
            if let store {
                try store.saveLast(classifier, epochsDone: epoch + 1, history: history, bestEpoch: best?.epoch, bestScore: best?.score)
            }
        }
        let selectedEpoch: Int
        if useValidation, let best {
            classifier.restore(best.state)
            selectedEpoch = best.epoch
        } else {
            selectedEpoch = epochs
        }
        let probabilities = try BatchAssembly.predict(classifier, items: test, batchSize: batchSize)
        var predictions: [Item] = []
        for (item, row) in zip(test, probabilities) {
            let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
            var metadata = item.metadata
            metadata[MetadataKey.fold] = String(fold)
            metadata["selectedEpoch"] = String(selectedEpoch)
            predictions.append(Item(id: item.id, metadata: metadata,
                                    payload: PredictionPayload(probabilities: row, predicted: predicted, truth: item.label.flatMap { labelIndex[$0] })))
        }
        let payload = ModelPayload(classifier: classifier, featureSpec: spec, fold: fold, selectedEpoch: selectedEpoch)
        if let store {
            try store.saveFinal(classifier, spec: spec, evaluation: evaluation, selection: parameters.string("selection"),
                                selectedEpoch: selectedEpoch)
        }
        context.progress.message("\(nodeId) \(foldName): kept epoch \(selectedEpoch) (\(parameters.string("selection")))")
        return FoldResult(
            model: payload, predictions: predictions,
            history: ["fold": .int(fold), "selectedEpoch": .int(selectedEpoch), "epochs": .array(history),
                      "trainItems": .int(training.count), "validationItems": .int(validation.count), "testItems": .int(test.count)])
    }

    func evaluate(_ classifier: Classifier, items: [Item], labelIndex: [String: Int], batchSize: Int) throws -> ClassificationMetrics {
        let probabilities = try BatchAssembly.predict(classifier, items: items, batchSize: batchSize)
        let predicted = probabilities.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        return ClassificationMetrics(labels: labels, truth: items.map { labelIndex[$0.label!]! }, predicted: predicted)
    }
}
