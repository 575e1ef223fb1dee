import EmoTensor

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// exactly as PyTorch's `torch.optim.SGD`:
/// g ← g + weightDecay·θ; with momentum μ ≠ 0: b ← g on the first step, else b ← μ·b + (1 − dampening)·g;
/// then g ← g + μ·b (Nesterov) or g ← b; finally θ ← θ − lr·g.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var nesterov: Bool
    public var weightDecay: Float
    /// The momentum buffer of every parameter updated so far (PyTorch `momentum_buffer`), by name.
    public var momentumBuffers: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov momentum needs momentum > 0 and dampening 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public mutating func step(_ parameters: [Parameter]) {
        for parameter in parameters {
            guard var gradient = parameter.grad else { continue }
            precondition(gradient.shape == parameter.value.shape, "\(parameter.name): gradient \(gradient.shape) ≠ value \(parameter.value.shape)")
            let count = gradient.count
            if weightDecay != 0 {
                for i in 0..<count { gradient.scalars[i] = gradient.scalars[i] + weightDecay * parameter.value.scalars[i] }
            }
            if momentum != 0 {
                let key = checkedKey(parameter)
                var buffer: Tensor
                if let existing = momentumBuffers[key] {
                    buffer = existing
                    let keep = 1 - dampening
                    for i in 0..<count { buffer.scalars[i] = buffer.scalars[i] * momentum + keep * gradient.scalars[i] }
                } else {
                    buffer = gradient
                }
                momentumBuffers[key] = buffer
                if nesterov {
                    for i in 0..<count { gradient.scalars[i] = gradient.scalars[i] + momentum * buffer.scalars[i] }
                } else {
                    gradient = buffer
                }
            }
            let rate = -learningRate
            parameter.value.withUnsafeMutableBufferPointer { theta in
                for i in 0..<count { theta[i] = theta[i] + rate * gradient.scalars[i] }
            }
        }
    }
}
