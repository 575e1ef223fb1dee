import EmoJSON
import EmoTensor

/// What a checkpoint says about the model besides its weights (stored in the safetensors
/// `__metadata__` map, every value a string; JSON values as compact JSON text).
///
/// Keys: `format` = `emohr-checkpoint`, `formatVersion` = `1`, `modelConfig` (the model config
/// JSON), `labels` (a JSON array of class names, index = class), and when given `featureSpec`,
/// `protocol`, `metrics` (JSON texts from the caller, stored verbatim) and any `extra` keys.
public struct CheckpointMetadata: Sendable, Equatable {
    public static let format = "emohr-checkpoint"
    public static let formatVersion = "1"

    public var modelConfig: JSON
    public var labels: [String]
    public var featureSpec: String?
    public var trainingProtocol: String?
    public var metrics: String?
    public var extra: [String: String]

    public init(
        modelConfig: JSON, labels: [String], featureSpec: String? = nil, trainingProtocol: String? = nil,
        metrics: String? = nil, extra: [String: String] = [:]
    ) {
        self.modelConfig = modelConfig
        self.labels = labels
        self.featureSpec = featureSpec
        self.trainingProtocol = trainingProtocol
        self.metrics = metrics
        self.extra = extra
    }

    /// The metadata map.
    public var strings: [String: String] {
        var map = extra
        map["format"] = Self.format
        map["formatVersion"] = Self.formatVersion
        map["modelConfig"] = modelConfig.serialized(pretty: false)
        map["labels"] = JSON.array(labels.map { .string($0) }).serialized(pretty: false)
        if let featureSpec { map["featureSpec"] = featureSpec }
        if let trainingProtocol { map["protocol"] = trainingProtocol }
        if let metrics { map["metrics"] = metrics }
        return map
    }

    /// Reads the metadata map of a checkpoint; `path` is for messages.
    public init(strings map: [String: String], path: String) throws(SafeTensorsError) {
        guard map["format"] == Self.format else {
            throw SafeTensorsError(
                path: path, message: "not an emohr checkpoint (metadata format is \(map["format"].map { "\"\($0)\"" } ?? "absent"))",
                hint: "plain weights (e.g. from PyTorch) load with Module.load(_:) and a config given separately")
        }
        guard map["formatVersion"] == Self.formatVersion else {
            throw SafeTensorsError(
                path: path, message: "checkpoint format version \(map["formatVersion"] ?? "?") is not supported",
                hint: "this build reads version \(Self.formatVersion); use the emohr version that wrote it")
        }
        guard let configText = map["modelConfig"], let config = try? JSON.parse(configText) else {
            throw SafeTensorsError(path: path, message: "metadata \"modelConfig\" is missing or not JSON")
        }
        guard let labelsText = map["labels"], let labelArray = (try? JSON.parse(labelsText))?.arrayValue else {
            throw SafeTensorsError(path: path, message: "metadata \"labels\" is missing or not a JSON array")
        }
        self.init(
            modelConfig: config, labels: labelArray.map { $0.stringValue ?? $0.serialized(pretty: false) },
            featureSpec: map["featureSpec"], trainingProtocol: map["protocol"], metrics: map["metrics"])
        let reserved: Set = ["format", "formatVersion", "modelConfig", "labels", "featureSpec", "protocol", "metrics"]
        extra = map.filter { !reserved.contains($0.key) }
    }
}

/// Reading and writing model checkpoints (safetensors; names follow the PyTorch `state_dict`).
public enum Checkpoint {
    /// Writes a model's parameters and buffers (in `state_dict` order) with metadata.
    public static func write(_ model: some Module, metadata: CheckpointMetadata, to path: String) throws(SafeTensorsError) {
        try SafeTensors(tensors: model.snapshot().ordered, metadata: metadata.strings).write(to: path)
    }

    /// Reads a checkpoint's state and metadata.
    public static func read(from path: String) throws(SafeTensorsError) -> (state: ModelState, metadata: CheckpointMetadata) {
        let file = try SafeTensors.read(from: path)
        let metadata = try CheckpointMetadata(strings: file.metadata, path: path)
        return (ModelState(names: file.tensors.map(\.name), tensors: file.dictionary), metadata)
    }
}
