import EmoTensor

/// The paper's classifier head, registered as `linear`: optional dropout, then a fully connected
/// layer. x [N, inputFeatures] (pooled features) → logits [N, classes].
/// State: `{name}.weight` [classes, inputFeatures], `{name}.bias` [classes] (`fc.*` in the reference).
public final class LinearHead: Layer {
    public let fc: Linear
    /// Dropout probability applied in training before the linear layer (0: none).
    public let dropout: Float

    public init(_ spec: HeadSpec) {
        fc = spec.builder.linear(inputFeatures: spec.inputFeatures, outputFeatures: spec.classes, name: spec.name)
        dropout = spec.dropout
    }

    public var state: [StateEntry] { fc.state }

    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        var y = x
        if context.training && dropout > 0 { y = EmoTensor.dropout(y, probability: dropout, rng: &context.generator) }
        return fc.forward(y, context: context)
    }
}
