import EmoTensor

/// Fully connected layer, PyTorch `nn.Linear`.
///
/// x [N, inputFeatures] → y = x·Wᵀ + b [N, outputFeatures]. Parameters `{name}.weight`
/// [outputFeatures, inputFeatures] and `{name}.bias` [outputFeatures], both initialised uniform in
/// [−1/√inputFeatures, 1/√inputFeatures] (PyTorch's default).
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, name: String, generator: inout SeededGenerator) {
        precondition(inputFeatures > 0 && outputFeatures > 0, "Linear: feature counts must be positive")
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = Parameter(
            Tensor.randomUniform(shape: [outputFeatures, inputFeatures], in: -bound...bound, using: &generator),
            name: EmoNN.name(name, "weight"))
        self.bias =
            bias
            ? Parameter(
                Tensor.randomUniform(shape: [outputFeatures], in: -bound...bound, using: &generator),
                name: EmoNN.name(name, "bias")) : nil
    }

    public var state: [StateEntry] { [.parameter(weight)] + (bias.map { [.parameter($0)] } ?? []) }

    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        linear(x, weight: context.tape.parameter(weight), bias: bias.map { context.tape.parameter($0) })
    }
}
