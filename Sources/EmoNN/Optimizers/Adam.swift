import EmoTensor
import Foundation

/// The per-parameter state of Adam and AdamW, as PyTorch keeps it (`step`, `exp_avg`, `exp_avg_sq`).
public struct AdamState: Sendable, Equatable {
    /// Updates applied so far to this parameter.
    public var step: Int
    /// Exponential average of gradients (`exp_avg`), same shape as the parameter.
    public var firstMoment: Tensor
    /// Exponential average of squared gradients (`exp_avg_sq`), same shape as the parameter.
    public var secondMoment: Tensor

    public init(step: Int, firstMoment: Tensor, secondMoment: Tensor) {
        self.step = step
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }
}

/// Adam with L2 weight decay, exactly as PyTorch's `torch.optim.Adam(weight_decay=…)`.
///
/// Per parameter, with g the gradient and t the step count (after incrementing):
/// g ← g + weightDecay·θ; m ← m + (1 − β₁)(g − m); v ← β₂·v + (1 − β₂)·g²;
/// θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps).
/// Bias corrections are computed in Double as PyTorch does with Python floats; the element-wise
/// updates are Float32 with the same operation order.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    /// L2 penalty added to the gradient before the moments.
    public var weightDecay: Float
    /// The state of every parameter updated so far, keyed by parameter name.
    public var states: [String: AdamState] = [:]

    /// The paper's defaults: lr 1e-3, β (0.9, 0.999), eps 1e-8, no weight decay.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            guard let gradient = parameter.grad else { continue }
            let key = checkedKey(parameter)
            var state = states[key] ?? AdamState(
                step: 0, firstMoment: Tensor(zeros: parameter.value.shape), secondMoment: Tensor(zeros: parameter.value.shape))
            adamUpdate(
                parameter: parameter, gradient: gradient, state: &state, learningRate: learningRate, beta1: beta1,
                beta2: beta2, eps: eps, l2: weightDecay, decoupled: 0)
            states[key] = state
        }
    }
}

/// AdamW (decoupled weight decay), exactly as PyTorch's `torch.optim.AdamW`:
/// θ ← θ·(1 − lr·weightDecay) first, then the Adam update without L2 on the gradient.
public struct AdamW: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    /// Decoupled decay rate (PyTorch's default for AdamW is 1e-2).
    public var weightDecay: Float
    /// The state of every parameter updated so far, keyed by parameter name.
    public var states: [String: AdamState] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 1e-2) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            guard let gradient = parameter.grad else { continue }
            let key = checkedKey(parameter)
            var state = states[key] ?? AdamState(
                step: 0, firstMoment: Tensor(zeros: parameter.value.shape), secondMoment: Tensor(zeros: parameter.value.shape))
            adamUpdate(
                parameter: parameter, gradient: gradient, state: &state, learningRate: learningRate, beta1: beta1,
                beta2: beta2, eps: eps, l2: 0, decoupled: weightDecay)
            states[key] = state
        }
    }
}

/// One Adam/AdamW update of one parameter, in PyTorch's `_single_tensor_adam` order.
func adamUpdate(
    parameter: Parameter, gradient: Tensor, state: inout AdamState, learningRate: Float, beta1: Float, beta2: Float,
    eps: Float, l2: Float, decoupled: Float
) {
    precondition(gradient.shape == parameter.value.shape, "\(parameter.name): gradient \(gradient.shape) ≠ value \(parameter.value.shape)")
    state.step += 1
    let t = Double(state.step)
    let b1 = Double(beta1), b2 = Double(beta2), lr = Double(learningRate)
    let stepSize = Float(lr / (1 - Foundation.pow(b1, t)))
    let correction2 = Float((1 - Foundation.pow(b2, t)).squareRoot())
    let decay = Float(1 - lr * Double(decoupled))
    let lerpWeight = Float(1 - b1), squareWeight = Float(1 - b2)
    let count = gradient.count
    parameter.value.withUnsafeMutableBufferPointer { theta in
        state.firstMoment.withUnsafeMutableBufferPointer { m in
            state.secondMoment.withUnsafeMutableBufferPointer { v in
                gradient.withUnsafeBufferPointer { g in
                    for i in 0..<count {
                        if decoupled != 0 { theta[i] *= decay }
                        var grad = g[i]
                        if l2 != 0 { grad = grad + l2 * theta[i] }
                        m[i] = m[i] + lerpWeight * (grad - m[i])  // torch.lerp with weight < 0.5
                        v[i] = v[i] * beta2 + squareWeight * grad * grad
                        let denominator = v[i].squareRoot() / correction2 + eps
                        theta[i] = theta[i] + (-stepSize) * (m[i] / denominator)
                    }
                }
            }
        }
    }
}
