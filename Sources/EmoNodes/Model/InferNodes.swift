import EmoCore
import EmoJSON
import EmoNN
import Foundation

/// `model.load`: reads a safetensors checkpoint (weights, model config, labels, feature spec) so an
/// inference pipeline can be checked against the features the model was trained on before it runs.
public final class LoadModelNode: SourceNode {
    public static let descriptor = NodeDescriptor(
        type: "model.load",
        summary: "Load a trained model (safetensors checkpoint with its feature spec and labels)",
        role: .source,
        outputs: [PortSpec("model", .model, summary: "the model, with the feature spec it expects")],
        parameters: [ParameterSpec("path", .path, summary: "the .safetensors checkpoint")],
        example: #"{ "id": "model", "type": "model.load", "params": { "path": "runs/emodb/fold-0/model.safetensors" } }"#)

    let path: String
    /// Block types, fusion methods and heads a checkpoint's config may name (plugins add to it).
    var components = ModelComponentRegistry.standard
    private var loaded: (Classifier, CheckpointMetadata)?
    private var spec: SpectrumSpec?

    public init(setup: NodeSetup) throws { path = setup.parameters.string("path") }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        do {
            loaded = try Classifier.load(from: path, registry: components)
        } catch {
            throw ParameterError(parameter: "path", "cannot load \(path): \(error)")
        }
        guard let metadata = loaded?.1, let text = metadata.featureSpec, let json = try? JSON.parse(text),
            let spec = SpectrumSpec(json: json)
        else {
            throw ParameterError(parameter: "path", "\(path) has no feature spec in its metadata; it cannot be checked against features")
        }
        self.spec = spec
        return ["model": StreamFormat(.model, spectrum: spec, labels: metadata.labels)]
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        guard let (classifier, _) = loaded, let spec else { throw ItemError("model.load ran before negotiating") }
        return ItemSequence([Item(id: path, payload: ModelPayload(classifier: classifier, featureSpec: spec, fold: 0, selectedEpoch: 0))])
    }
}

/// `model.infer`: predicts every feature item with a model; refuses, before running, features that
/// differ from the ones the model was trained on.
public final class InferNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "model.infer",
        summary: "Predict class probabilities for feature items with a trained model",
        details: "The features' spec (kind, bands, hop, FFT, sample rate, Mel scale, normalisation, frames) must equal the model's.",
        role: .stream,
        inputs: [PortSpec("model", .model, summary: "a trained model"), PortSpec("features", .spectrum, summary: "features to classify")],
        outputs: [PortSpec("predictions", .predictions, summary: "probabilities, predicted and true label")],
        parameters: [ParameterSpec("batchSize", .integer, default: 64, range: 1...4096, summary: "items per forward pass")],
        example: #"{ "id": "infer", "type": "model.infer", "inputs": { "model": "model.model", "features": "crop.spectrum" } }"#)

    let batchSize: Int

    public init(setup: NodeSetup) throws { batchSize = setup.parameters.int("batchSize") }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let model = inputs["model"], let expected = model.spectrum else {
            throw FormatError(port: "model", expected: "a model with a feature spec")
        }
        guard let features = inputs["features"], let given = features.spectrum else {
            throw FormatError(port: "features", expected: expected.summary)
        }
        let differences = expected.differences(from: given)
        if !differences.isEmpty {
            throw FormatError(port: "features", expected: expected.summary + " (the model's features)",
                              detail: "model vs pipeline: " + differences.joined(separator: "; "))
        }
        var output = features.converted(to: .predictions)
        output.labels = model.labels
        return ["predictions": output]
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let model = try inputs["model"]?.collect().first?.payload(as: ModelPayload.self) else {
            throw ItemError("no model arrived on the model port")
        }
        let labels = model.classifier.labels
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var predictions: [Item] = []
        var pending: [Item] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let rows = try BatchAssembly.predict(model.classifier, items: pending, batchSize: batchSize)
            for (item, row) in zip(pending, rows) {
                let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
                var metadata = item.metadata
                metadata["predicted"] = labels[predicted]
                predictions.append(Item(id: item.id, metadata: metadata, payload: PredictionPayload(
                    probabilities: row, predicted: predicted, truth: item.label.flatMap { labelIndex[$0] })))
            }
            pending.removeAll(keepingCapacity: true)
        }
        try inputs["features"]!.forEach { item in
            pending.append(item)
            if pending.count == batchSize { try flush() }
        }
        try flush()
        return ["predictions": ArrayStream(predictions)]
    }
}
