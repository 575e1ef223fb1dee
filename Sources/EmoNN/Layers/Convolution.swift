import EmoTensor

/// How convolution weights are initialised.
public enum ConvolutionInitialization: String, Sendable, CaseIterable {
    /// PyTorch's default for `nn.Conv2d` (what `scripts/emohrnet.py` uses): weight and bias uniform in
    /// [−1/√fanIn, 1/√fanIn] with fanIn = inputChannels/groups · kh · kw (kaiming-uniform with a = √5).
    case pytorch
    /// Upstream HRNet's `init_weights`: weight normal with standard deviation 0.001, bias 0.
    case hrnet
}

/// 2-D convolution, PyTorch `nn.Conv2d` (cross-correlation, zero padding, no dilation).
///
/// x [N, inputChannels, H, W] → y [N, outputChannels, Ho, Wo] with
/// Ho = ⌊(H + 2·padding − kh) / stride⌋ + 1 (likewise Wo); y = W ⋆ x (+ b).
/// Parameters: `{name}.weight` [outputChannels, inputChannels, kh, kw] and, with `bias`,
/// `{name}.bias` [outputChannels]. Initialisation: see `ConvolutionInitialization`.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Size2D
    public let padding: Size2D

    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1, padding: Size2D = 0,
        bias: Bool = false, name: String, initialization: ConvolutionInitialization = .pytorch,
        generator: inout SeededGenerator
    ) {
        precondition(inputChannels > 0 && outputChannels > 0, "Conv2d: channel counts must be positive")
        let shape = [outputChannels, inputChannels, kernelSize.height, kernelSize.width]
        let fanIn = Float(inputChannels * kernelSize.height * kernelSize.width)
        let weightValue: Tensor
        var biasValue = Tensor(zeros: [outputChannels])
        switch initialization {
        case .pytorch:
            let bound = 1 / fanIn.squareRoot()
            weightValue = Tensor.randomUniform(shape: shape, in: -bound...bound, using: &generator)
            if bias { biasValue = Tensor.randomUniform(shape: [outputChannels], in: -bound...bound, using: &generator) }
        case .hrnet:
            weightValue = Tensor.randomNormal(shape: shape, standardDeviation: 0.001, using: &generator)
        }
        self.weight = Parameter(weightValue, name: EmoNN.name(name, "weight"))
        self.bias = bias ? Parameter(biasValue, name: EmoNN.name(name, "bias")) : nil
        self.stride = stride
        self.padding = padding
    }

    public var state: [StateEntry] { [.parameter(weight)] + (bias.map { [.parameter($0)] } ?? []) }

    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        conv2d(
            x, weight: context.tape.parameter(weight), bias: bias.map { context.tape.parameter($0) },
            stride: stride, padding: padding)
    }
}
