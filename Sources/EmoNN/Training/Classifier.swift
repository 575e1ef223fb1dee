import EmoJSON
import EmoTensor
import Foundation

/// A batch the model cannot take (wrong shape, label out of range, too little data for batch norm).
public struct ModelInputError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// An HRNet with its label set and optimiser: what a training or inference node drives.
///
/// One instance is confined to one thread. Training: `trainStep` per batch; keep the best epoch with
/// `snapshot()` / `restore(_:)`; evaluate with `predict`. Initialisation, dropout masks and hence a
/// whole run are reproducible from `seed` (batch order and augmentation are the caller's).
public final class Classifier {
    /// The network.
    public let model: HRNet
    /// Class names; index = class id = logit column.
    public let labels: [String]
    /// The optimiser's settings.
    public private(set) var optimizerConfig: OptimizerConfig
    /// The optimiser (its state is per parameter name).
    public private(set) var optimizer: any Optimizer
    /// The seed given at creation (weights and dropout masks derive from it).
    public let seed: UInt64
    /// Training steps taken so far (also restored by `loadTrainingState`).
    public private(set) var stepsTaken = 0

    /// A freshly initialised classifier. Throws every problem in `config`, or a class-count mismatch.
    public init(
        config: ModelConfig, labels: [String], optimizer: OptimizerConfig = OptimizerConfig(), seed: UInt64 = 0,
        registry: ModelComponentRegistry = .standard
    ) throws(ModelConfigError) {
        guard labels.count == config.head.classes else {
            throw ModelConfigError(issues: [
                ModelConfigIssue("head.classes", "is \(config.head.classes) but the label set has \(labels.count) labels")
            ])
        }
        model = try HRNet(config: config, registry: registry, seed: seed)
        self.labels = labels
        self.optimizerConfig = optimizer
        self.optimizer = optimizer.makeOptimizer()
        self.seed = seed
    }

    /// The learning rate (change it between steps for a schedule).
    public var learningRate: Float {
        get { optimizer.learningRate }
        set {
            optimizer.learningRate = newValue
            optimizerConfig.learningRate = newValue
        }
    }

    func check(_ batch: Tensor, labels: [Int]?, training: Bool) throws(ModelInputError) {
        let channels = model.config.stem.inputChannels
        guard batch.rank == 4, batch.shape[1] == channels, batch.shape[0] > 0, batch.shape[2] > 0, batch.shape[3] > 0 else {
            throw ModelInputError("expected a batch [N, \(channels), H, W] with N, H, W ≥ 1, got \(batch.shape)")
        }
        if let labels {
            guard labels.count == batch.shape[0] else {
                throw ModelInputError("\(labels.count) labels for a batch of \(batch.shape[0])")
            }
            if let bad = labels.first(where: { !(0..<model.classes).contains($0) }) {
                throw ModelInputError("label \(bad) outside 0..<\(model.classes) (\(self.labels.count) classes)")
            }
        }
        if training {
            let smallest = model.branchSizes(height: batch.shape[2], width: batch.shape[3]).last!
            if batch.shape[0] * smallest.height * smallest.width < 2 {
                throw ModelInputError(
                    "batch norm needs more than one value per channel in training: batch \(batch.shape[0]) with the lowest-resolution branch at \(smallest.height)×\(smallest.width)")
            }
        }
    }

    /// One training step: forward in training mode, mean softmax cross-entropy, backward, optimiser
    /// step. batch [N, inputChannels, H, W], labels N class ids → the batch's mean loss and the
    /// number of rows whose arg-max logit is the label (computed before the update).
    @discardableResult
    public func trainStep(batch: Tensor, labels: [Int]) throws(ModelInputError) -> (loss: Float, correct: Int) {
        try check(batch, labels: labels, training: true)
        let tape = Tape()
        let context = ForwardContext(tape: tape, training: true, generator: SeededGenerator(seed: seed ^ 0x5DEE_CE66_D1CE_0000 &+ UInt64(stepsTaken)))
        let logits = model.forward(tape.constant(batch), context: context)
        let loss = softmaxCrossEntropy(logits: logits, labels: labels)
        let parameters = model.parameters
        optimizer.zeroGradients(parameters)
        tape.backward(from: loss)
        optimizer.step(parameters)
        stepsTaken += 1
        let predicted = Self.argmax(logits.value)
        return (loss.value.scalars[0], zip(predicted, labels).filter { $0 == $1 }.count)
    }

    /// Logits in evaluation mode (running statistics, no dropout, nothing recorded).
    /// batch [N, inputChannels, H, W] → [N, classes]
    public func logits(_ batch: Tensor) throws(ModelInputError) -> Tensor {
        try check(batch, labels: nil, training: false)
        let context = ForwardContext(tape: Tape(recording: false), training: false)
        return model.forward(context.tape.constant(batch), context: context).value
    }

    /// Class probabilities (softmax of the evaluation-mode logits), one row per item.
    public func predict(_ batch: Tensor) throws(ModelInputError) -> [[Float]] {
        let values = try logits(batch)
        let k = values.shape[1]
        return (0..<values.shape[0]).map { row in
            let z = values.scalars[(row * k)..<((row + 1) * k)].map(Double.init)
            let top = z.max() ?? 0
            let exps = z.map { Foundation.exp($0 - top) }
            let sum = exps.reduce(0, +)
            return exps.map { Float($0 / sum) }
        }
    }

    /// The arg-max column of each row of [N, K].
    static func argmax(_ logits: Tensor) -> [Int] {
        let k = logits.shape[1]
        return (0..<logits.shape[0]).map { row in
            var best = 0
            for j in 1..<max(k, 1) where logits.scalars[row * k + j] > logits.scalars[row * k + best] { best = j }
            return best
        }
    }

    /// All weights and batch-norm statistics (e.g. of the best validation epoch).
    public func snapshot() -> ModelState { model.snapshot() }

    /// Puts back a snapshot taken from this classifier.
    public func restore(_ snapshot: ModelState) { model.restore(snapshot) }

    // MARK: Checkpoints

    /// Writes the weights with the model config, labels and the caller's feature spec, training
    /// protocol and metrics (JSON texts) to a safetensors checkpoint.
    public func save(
        to path: String, featureSpec: String? = nil, trainingProtocol: String? = nil, metrics: String? = nil,
        extra: [String: String] = [:]
    ) throws(SafeTensorsError) {
        try Checkpoint.write(
            model,
            metadata: CheckpointMetadata(
                modelConfig: model.config.json, labels: labels, featureSpec: featureSpec, trainingProtocol: trainingProtocol,
                metrics: metrics, extra: extra),
            to: path)
    }

    /// Rebuilds a classifier from a checkpoint (config and labels from its metadata, then the
    /// weights). Errors name the file; weight problems list every missing, unused or mis-shaped key.
    public static func load(
        from path: String, optimizer: OptimizerConfig = OptimizerConfig(), registry: ModelComponentRegistry = .standard
    ) throws -> (classifier: Classifier, metadata: CheckpointMetadata) {
        let (state, metadata) = try Checkpoint.read(from: path)
        let config = try ModelConfig(json: metadata.modelConfig, registry: registry)
        let classifier = try Classifier(config: config, labels: metadata.labels, optimizer: optimizer, registry: registry)
        try classifier.model.load(state, source: path)
        return (classifier, metadata)
    }

    /// Writes the optimiser state and step count next to a checkpoint, for resuming.
    public func saveTrainingState(to path: String, extra: [String: String] = [:]) throws(SafeTensorsError) {
        var metadata = extra
        metadata["stepsTaken"] = String(stepsTaken)
        try OptimizerState.write(optimizer, config: optimizerConfig, extra: metadata, to: path)
    }

    /// Restores the optimiser state and step count written by `saveTrainingState`; returns the
    /// caller's extra metadata.
    @discardableResult
    public func loadTrainingState(from path: String) throws(SafeTensorsError) -> [String: String] {
        var (optimizer, config, extra) = try OptimizerState.read(from: path)
        self.optimizer = optimizer
        optimizerConfig = config
        stepsTaken = extra["stepsTaken"].flatMap { Int($0) } ?? 0
        extra["stepsTaken"] = nil
        return extra
    }
}
