import EmoTensor
import Foundation
import Testing

/// A small CNN run forward and backward on the weights and input saved by
/// `scripts/reference/tensor/make_small_cnn_vectors.py` (PyTorch 2.13 CPU, float32), compared
/// tensor by tensor. Relative error = max|swift − torch| / max|torch| per tensor; bound 1e-4.
@Suite struct SmallCNNTests {
    func load(_ name: String) throws -> Tensor {
        try readNPYTensor(fixturesDirectory().appendingPathComponent("small_cnn/\(name).npy").path)
    }

    @Test func matchesPyTorchForwardAndBackward() throws {
        let names = ["w1", "b1", "g1", "be1", "w2", "g2", "be2", "w3", "g3", "be3", "w4", "w5", "b5", "wf", "bf"]
        var parameters: [String: Parameter] = [:]
        for name in names { parameters[name] = Parameter(try load(name), name: name) }
        var means = try (1...3).map { try load("start_rm\($0)") }
        var variances = try (1...3).map { try load("start_rv\($0)") }
        let labels = try load("labels").scalars.map { Int($0) }
        let classWeights = try load("class_weights")

        let tape = Tape()
        let x = tape.variable(try load("x"))
        func p(_ name: String) -> Variable { tape.parameter(parameters[name]!) }
        func bn(_ v: Variable, _ i: Int) -> Variable {
            batchNorm(v, weight: p("g\(i)"), bias: p("be\(i)"), runningMean: &means[i - 1],
                      runningVar: &variances[i - 1], training: true, momentum: 0.1, eps: 1e-5)
        }
        let h = relu(bn(conv2d(x, weight: p("w1"), bias: p("b1"), stride: 2, padding: 1), 1))
        let h2 = relu(add(bn(conv2d(h, weight: p("w2"), padding: 1), 2), h))
        let d = relu(bn(conv2d(h2, weight: p("w3"), stride: 2, padding: 1), 3))
        let (height, width) = (h2.shape[2], h2.shape[3])
        let n = upsampleNearest(conv2d(d, weight: p("w4")), toHeight: height, width: width)
        let u = upsampleBilinear(d, toHeight: height, width: width)
        let e = conv2d(concatChannels([h2, n, u]), weight: p("w5"), bias: p("b5"), padding: 2, dilation: 2, groups: 2)
        let logits = linear(globalAveragePool(relu(e)), weight: p("wf"), bias: p("bf"))
        let loss = softmaxCrossEntropy(logits: logits, labels: labels, weights: classWeights, labelSmoothing: 0.1)
        tape.backward(from: loss)

        var report: [String: Double] = [:]
        report["logits"] = relativeError(logits.value, try load("logits"))
        report["loss"] = relativeError(loss.value.reshaped(to: [1]), try load("loss"))
        report["grad_x"] = relativeError(tape.gradient(of: x)!, try load("grad_x"))
        for name in names where name != "b1" {
            report["grad_" + name] = relativeError(parameters[name]!.grad!, try load("grad_" + name))
        }
        // b1 feeds a training-mode batch norm, which subtracts the batch mean: its true gradient is
        // exactly 0 and both frameworks return rounding noise, so compare it absolutely instead.
        let noise = parameters["b1"]!.grad!.scalars.map { abs($0) }.max()!
        let scale = parameters["w1"]!.grad!.scalars.map { abs($0) }.max()!
        #expect(noise <= 1e-5 * scale, "grad_b1 should be ~0: max \(noise) against max|grad_w1| \(scale)")
        for i in 1...3 {
            report["after_rm\(i)"] = relativeError(means[i - 1], try load("after_rm\(i)"))
            report["after_rv\(i)"] = relativeError(variances[i - 1], try load("after_rv\(i)"))
        }
        for (name, error) in report.sorted(by: { $0.key < $1.key }) {
            #expect(error <= 1e-4, "\(name): relative error \(error), tolerance 1e-4")
        }
        if ProcessInfo.processInfo.environment["EMOHR_VERBOSE"] != nil {
            print("small CNN vs PyTorch, worst relative error \(report.values.max()!):", report.sorted { $0.key < $1.key })
        }
    }
}
