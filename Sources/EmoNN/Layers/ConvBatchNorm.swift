import EmoTensor

/// Convolution (no bias) + batch norm + optional ReLU: PyTorch
/// `nn.Sequential(nn.Conv2d(…, bias=False), nn.BatchNorm2d(…)[, nn.ReLU()])`.
///
/// x [N, Cin, H, W] → [N, Cout, Ho, Wo]. State: `{name}.0.weight` (convolution),
/// `{name}.1.{weight,bias,running_mean,running_var}` (batch norm); the ReLU has none.
/// Padding is (kernelSize − 1)/2, so a stride-s convolution gives Ho = ⌈H/s⌉.
public final class ConvBatchNorm: Layer {
    public let convolution: Conv2d
    public let normalization: BatchNorm2d
    public let activation: Bool

    /// Wraps an existing convolution and batch norm.
    public init(convolution: Conv2d, normalization: BatchNorm2d, activation: Bool) {
        self.convolution = convolution
        self.normalization = normalization
        self.activation = activation
    }

    /// A convolution named `{name}.0` and a batch norm named `{name}.1`, made by `builder`.
    public convenience init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, activation: Bool,
        name: String, builder: LayerBuilder
    ) {
        self.init(
            convolution: builder.conv2d(
                inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
                name: EmoNN.name(name, "0")),
            normalization: builder.batchNorm(channels: outputChannels, name: EmoNN.name(name, "1")),
            activation: activation)
    }

    public var state: [StateEntry] { convolution.state + normalization.state }

    /// Convolution → batch norm (→ ReLU); folded in inference (`convolveAndNormalize`).
    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        convolveAndNormalize(x, convolution: convolution, normalization: normalization, relu: activation, context: context)
    }
}

/// `normalization(convolution(x))` (+ `residual`), then ReLU if `relu`.
///
/// In evaluation on a tape that records nothing (inference), the batch norm is folded into the
/// convolution and the ReLU applied in the same pass, as ONNX Runtime and oneDNN do: with
/// s = γ / √(running σ² + eps), W' = W · s per output channel and b' = (b − running μ) · s + β
/// (computed in Double), one product replaces a product and a normalisation pass. Equal to the
/// separate ops up to float rounding. Otherwise the ops run separately and differentiably.
public func convolveAndNormalize(
    _ x: Variable, convolution: Conv2d, normalization: BatchNorm2d, adding residual: Variable? = nil, relu: Bool,
    context: ForwardContext
) -> Variable {
    if !context.training && !context.tape.isRecording {
        let (weight, bias) = foldedParameters(convolution: convolution, normalization: normalization)
        return context.tape.constant(Kernels.conv2dForward(
            x.value, weight: weight, bias: bias, stride: convolution.stride, padding: convolution.padding,
            adding: residual?.value, relu: relu))
    }
    let y = convolution.forward(x, context: context)
    guard let residual else {
        return relu ? normalization.forwardRelu(y, context: context) : normalization.forward(y, context: context)
    }
    let normalized = normalization.forward(y, context: context)
    return relu ? addRelu(normalized, residual) : add(normalized, residual)
}

/// (W', b') of a convolution followed by an evaluation-mode batch norm (see `convolveAndNormalize`).
public func foldedParameters(convolution: Conv2d, normalization: BatchNorm2d) -> (weight: Tensor, bias: Tensor) {
    let weight = convolution.weight.value
    let channels = weight.shape[0], perChannel = weight.count / channels
    let gamma = normalization.weight.value.scalars, beta = normalization.bias.value.scalars
    let mean = normalization.runningMean.value.scalars, variance = normalization.runningVariance.value.scalars
    let convolutionBias = convolution.bias?.value.scalars
    var scaled = weight.scalars
    var bias = [Float](repeating: 0, count: channels)
    for channel in 0..<channels {
        let scale = Double(gamma[channel]) / (Double(variance[channel]) + Double(normalization.eps)).squareRoot()
        for i in (channel * perChannel)..<((channel + 1) * perChannel) { scaled[i] = Float(Double(scaled[i]) * scale) }
        let shift = Double(convolutionBias?[channel] ?? 0) - Double(mean[channel])
        bias[channel] = Float(shift * scale + Double(beta[channel]))
    }
    return (Tensor(shape: weight.shape, scalars: scaled), Tensor(shape: [channels], scalars: bias))
}

/// Makes layers with one initialisation scheme and one seeded generator, so a whole model is
/// initialised reproducibly in construction order. Component factories receive one.
public final class LayerBuilder {
    /// The generator every initialiser draws from, in construction order.
    public var generator: SeededGenerator
    /// The convolution weight initialisation.
    public let initialization: ConvolutionInitialization

    public init(seed: UInt64, initialization: ConvolutionInitialization = .pytorch) {
        generator = SeededGenerator(seed: seed)
        self.initialization = initialization
    }

    /// A bias-free convolution with padding (kernelSize − 1)/2.
    public func conv2d(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, bias: Bool = false, name: String
    ) -> Conv2d {
        Conv2d(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: Size2D(kernelSize),
            stride: Size2D(stride), padding: Size2D((kernelSize - 1) / 2), bias: bias, name: name,
            initialization: initialization, generator: &generator)
    }

    /// A batch norm with PyTorch's defaults (momentum 0.1, eps 1e-5).
    public func batchNorm(channels: Int, name: String) -> BatchNorm2d { BatchNorm2d(channels: channels, name: name) }

    /// A linear layer with PyTorch's default initialisation.
    public func linear(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, name: String) -> Linear {
        Linear(inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, name: name, generator: &generator)
    }

    /// Convolution + batch norm (+ ReLU), named `{name}.0` and `{name}.1`.
    public func convBatchNorm(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, activation: Bool, name: String
    ) -> ConvBatchNorm {
        ConvBatchNorm(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize, stride: stride,
            activation: activation, name: name, builder: self)
    }
}
