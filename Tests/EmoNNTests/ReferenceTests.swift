import EmoJSON
import EmoNN
import EmoTensor
import Foundation
import Testing

/// A tiny HRNet (Fixtures/model/tiny, from `scripts/reference/model/make_model_vectors.py`: odd input
/// 21×37, bottleneck and basic blocks, a stage adding two branches, two modules, a transition that
/// changes channels) against PyTorch 2.13. Relative error = max|swift − torch| / max|torch|.
@Suite struct ReferenceTests {
    func loadModel() throws -> HRNet {
        let model = try HRNet(config: Fixtures.tinyConfig(), seed: 0)
        let file = try SafeTensors.read(from: Fixtures.path("weights.safetensors"))
        try model.load(ModelState(names: file.tensors.map(\.name), tensors: file.dictionary))
        return model
    }

    @Test func namesAndShapesMatchPyTorch() throws {
        let model = try HRNet(config: Fixtures.tinyConfig(), seed: 0)
        let file = try SafeTensors.read(from: Fixtures.path("weights.safetensors"))
        // Same keys with the same shapes (safetensors files list keys sorted).
        let ours = Dictionary(model.state.map { ($0.name, $0.value.shape) }, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(file.tensors.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a })
        #expect(ours == theirs)
    }

    @Test func evaluationLogitsMatchPyTorch() throws {
        let model = try loadModel()
        let x = try readNPYTensor(Fixtures.path("input.npy"))
        let context = ForwardContext(tape: Tape(recording: false), training: false)
        let logits = model.forward(context.tape.constant(x), context: context).value
        let expected = try readNPYTensor(Fixtures.path("logits_eval.npy"))
        let error = relativeError(logits, expected)
        print("tiny HRNet eval logits vs PyTorch: relative error \(error) (bound 1e-4)")
        #expect(error <= 1e-4)
    }

    @Test func trainingForwardLossGradientsAndRunningStatisticsMatchPyTorch() throws {
        let model = try loadModel()
        let x = try readNPYTensor(Fixtures.path("input.npy"))
        let tape = Tape()
        let context = ForwardContext(tape: tape, training: true)
        let logits = model.forward(tape.constant(x), context: context)
        #expect(relativeError(logits.value, try readNPYTensor(Fixtures.path("logits_train.npy"))) <= 1e-4)
        let loss = softmaxCrossEntropy(logits: logits, labels: [0, 3, 4])
        let expectedLoss = try readNPYTensor(Fixtures.path("loss.npy")).scalars[0]
        #expect(abs(loss.value.scalars[0] - expectedLoss) <= 1e-5 * max(1, abs(expectedLoss)))
        tape.backward(from: loss)

        let after = try SafeTensors.read(from: Fixtures.path("after_train.safetensors")).dictionary
        var worstBuffer = 0.0
        for buffer in model.buffers {
            let expected = try #require(after[buffer.name], "\(buffer.name)")
            worstBuffer = max(worstBuffer, relativeError(buffer.value, expected))
        }
        let gradients = try SafeTensors.read(from: Fixtures.path("gradients.safetensors")).dictionary
        var worstGradient = 0.0, worstName = ""
        for parameter in model.parameters {
            let expected = try #require(gradients[parameter.name], "\(parameter.name)")
            let error = relativeError(try #require(parameter.grad, "\(parameter.name) has no gradient"), expected)
            if error > worstGradient { (worstGradient, worstName) = (error, parameter.name) }
        }
        print("tiny HRNet training: running statistics error \(worstBuffer), worst gradient error \(worstGradient) (\(worstName))")
        #expect(worstBuffer <= 1e-4)
        // The worst case is a 1×1 convolution with one weight per output channel followed by batch norm
        // (stage2.branches.0.0.conv3, [4, 1, 1, 1]): batch norm makes the loss invariant to that
        // weight's scale, so its true gradient is 0 and both frameworks return rounding noise
        // (1.8e-3 of a near-zero maximum). Every other tensor agrees to about 1e-5.
        #expect(worstGradient <= 5e-3)
    }
}
