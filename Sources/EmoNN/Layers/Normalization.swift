import EmoTensor

/// Batch normalisation over N, H and W per channel, PyTorch `nn.BatchNorm2d` (affine, tracking
/// running statistics).
///
/// x [N, C, H, W] → y = (x − μ) / √(σ² + eps) · γ + β. Training: μ, σ² are the batch mean and biased
/// variance, and the running statistics move by `running ← (1 − momentum)·running + momentum·batch`
/// (PyTorch's convention, momentum 0.1; the running variance takes the unbiased batch variance).
/// Evaluation: μ, σ² are the running statistics.
/// State: `{name}.weight` γ = 1, `{name}.bias` β = 0, buffers `{name}.running_mean` = 0,
/// `{name}.running_var` = 1 (all [C]). PyTorch's `num_batches_tracked` is not kept: it only matters
/// with `momentum=None`, and `load_state_dict` fills it in when absent.
public final class BatchNorm2d: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Buffer
    public let runningVariance: Buffer
    public let momentum: Float
    public let eps: Float

    public init(channels: Int, momentum: Float = 0.1, eps: Float = 1e-5, name: String) {
        precondition(channels > 0, "BatchNorm2d: channels must be positive")
        weight = Parameter(Tensor(repeating: 1, shape: [channels]), name: EmoNN.name(name, "weight"))
        bias = Parameter(Tensor(zeros: [channels]), name: EmoNN.name(name, "bias"))
        runningMean = Buffer(Tensor(zeros: [channels]), name: EmoNN.name(name, "running_mean"))
        runningVariance = Buffer(Tensor(repeating: 1, shape: [channels]), name: EmoNN.name(name, "running_var"))
        self.momentum = momentum
        self.eps = eps
    }

    public var state: [StateEntry] {
        [.parameter(weight), .parameter(bias), .buffer(runningMean), .buffer(runningVariance)]
    }

    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        batchNorm(
            x, weight: context.tape.parameter(weight), bias: context.tape.parameter(bias),
            runningMean: &runningMean.value, runningVar: &runningVariance.value, training: context.training,
            momentum: momentum, eps: eps)
    }

    /// ReLU(forward(x)) in one fused pass forward and backward (`batchNormRelu`).
    public func forwardRelu(_ x: Variable, context: ForwardContext) -> Variable {
        batchNormRelu(
            x, weight: context.tape.parameter(weight), bias: context.tape.parameter(bias),
            runningMean: &runningMean.value, runningVar: &runningVariance.value, training: context.training,
            momentum: momentum, eps: eps)
    }
}
