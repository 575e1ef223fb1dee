import EmoNN
import EmoTensor
import Foundation
import Testing

/// Optimisers against PyTorch 2.13, step for step (vectors from
/// `scripts/reference/tensor/make_optimizer_vectors.py`). Relative error = max|swift − torch| /
/// max|torch| per parameter and step; bound 1e-6.
@Suite struct OptimizerTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/optim")

    static func load(_ name: String) throws -> Tensor {
        try readNPYTensor(directory.appendingPathComponent(name + ".npy").path)
    }

    /// Slice `index` of the leading axis.
    static func slice(_ t: Tensor, _ index: Int) -> Tensor {
        let shape = Array(t.shape.dropFirst())
        let size = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: Array(t.scalars[(index * size)..<((index + 1) * size)]))
    }

    func run(_ name: String, _ optimizer: inout some Optimizer) throws {
        let parameters = try (0..<3).map { Parameter(try Self.load("initial_p\($0)"), name: "p\($0)") }
        let gradients = try (0..<3).map { try Self.load("grads_p\($0)") }
        let expected = try (0..<3).map { try Self.load("\(name)_p\($0)") }
        for step in 0..<6 {
            optimizer.zeroGradients(parameters)
            for (i, parameter) in parameters.enumerated() where !(i == 1 && step == 2) {
                parameter.grad = Self.slice(gradients[i], step)
            }
            optimizer.step(parameters)
            for (i, parameter) in parameters.enumerated() {
                let want = Self.slice(expected[i], step)
                var difference: Float = 0, scale: Float = 0
                for (a, b) in zip(parameter.value.scalars, want.scalars) {
                    difference = max(difference, abs(a - b))
                    scale = max(scale, abs(b))
                }
                let error = difference / scale
                #expect(error <= 1e-6, "\(name) step \(step) p\(i): relative error \(error), tolerance 1e-6")
            }
        }
    }

    @Test func adamWithL2WeightDecay() throws {
        var adam = Adam(learningRate: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2)
        try run("adam", &adam)
        #expect(adam.states["p0"]?.step == 6)
        #expect(adam.states["p1"]?.step == 5)  // skipped where its gradient was nil
    }

    @Test func adamW() throws {
        var adamW = AdamW(learningRate: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2)
        try run("adamw", &adamW)
    }

    @Test func sgdWithMomentum() throws {
        var sgd = SGD(learningRate: 1e-2, momentum: 0.9, dampening: 0, weightDecay: 1e-3)
        try run("sgd", &sgd)
        #expect(sgd.momentumBuffers.count == 3)
    }

    @Test func sgdWithNesterovMomentum() throws {
        var sgd = SGD(learningRate: 1e-2, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-3)
        try run("nesterov", &sgd)
    }

    @Test func plainSGD() throws {
        var sgd = SGD(learningRate: 5e-2)
        try run("sgdplain", &sgd)
    }

    @Test func stateCanBeSavedAndRestored() throws {
        // Run 3 steps, copy the state into a fresh optimiser, run 3 more: same as 6 in one go.
        let parameters = try (0..<3).map { Parameter(try Self.load("initial_p\($0)"), name: "p\($0)") }
        let gradients = try (0..<3).map { try Self.load("grads_p\($0)") }
        var first = Adam(learningRate: 1e-2, weightDecay: 1e-2)
        var second = Adam(learningRate: 1e-2, weightDecay: 1e-2)
        for step in 0..<6 {
            if step == 3 { second.states = first.states }
            for (i, parameter) in parameters.enumerated() { parameter.grad = Self.slice(gradients[i], step) }
            if step < 3 { first.step(parameters) } else { second.step(parameters) }
        }
        let expected = try Self.load("adam_p0")
        // p0 never skips a step, so it must match PyTorch's sixth step.
        let want = Self.slice(expected, 5)
        let error = zip(parameters[0].value.scalars, want.scalars).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-6)
    }
}
