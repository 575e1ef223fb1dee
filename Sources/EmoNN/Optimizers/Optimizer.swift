import EmoTensor

/// Something that updates parameters from their accumulated gradients.
///
/// Parameters whose `grad` is nil are skipped and their state is left alone (PyTorch semantics).
/// State is kept per parameter, keyed by `Parameter.name` (names must be unique and non-empty), and
/// is public so that a checkpoint writer can save it and restore it.
public protocol Optimizer {
    /// The step size; change it between steps for a schedule.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient. Gradients are not cleared.
    mutating func step(_ parameters: [Parameter])
}

extension Optimizer {
    /// Sets every parameter's gradient to nil (PyTorch `zero_grad(set_to_none=True)`).
    public func zeroGradients(_ parameters: [Parameter]) {
        for parameter in parameters { parameter.grad = nil }
    }
}

@inline(__always)
func checkedKey(_ parameter: Parameter) -> String {
    precondition(!parameter.name.isEmpty, "optimiser: every parameter needs a unique name (the state key)")
    return parameter.name
}
