import EmoNN
import EmoTensor
import Testing

/// Finite differences through a whole (tiny) HRNet: d loss / d θ for three elements of several
/// parameters, central differences in Float32 with step 1e-3;
/// passes when |numeric − analytic| ≤ 3e-2 · max(|analytic|, 1e-2) + 3e-4.
///
/// Evaluation mode (batch norm with running statistics) makes the loss smooth enough to check every
/// layer, the stem included. In training mode batch norm over a handful of values per channel at the
/// low-resolution branches makes early-layer differences kinky, so there only the later layers are
/// checked by differences; every training-mode gradient is checked against PyTorch in
/// `ReferenceTests`.
@Suite struct GradientTests {
    func check(training: Bool, names: [String], seed: UInt64) throws {
        let model = try HRNet(config: smallConfig(), seed: seed)
        if !training {
            // Non-trivial running statistics.
            var generator = SeededGenerator(seed: seed + 1)
            for buffer in model.buffers {
                let shift: Float = buffer.name.hasSuffix("running_var") ? 0.7 : 0
                buffer.value = Tensor(
                    shape: buffer.value.shape,
                    scalars: buffer.value.scalars.map { _ in shift + Float.random(in: 0...0.6, using: &generator) - (shift == 0 ? 0.3 : 0) })
            }
        }
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal(shape: [4, 1, 24, 28], using: &generator)
        let labels = [0, 2, 1, 1]
        func loss() -> Float {
            let context = ForwardContext(tape: Tape(recording: false), training: training)
            return softmaxCrossEntropy(logits: model.forward(context.tape.constant(x), context: context), labels: labels).value.scalars[0]
        }
        let tape = Tape()
        let context = ForwardContext(tape: tape, training: training)
        tape.backward(from: softmaxCrossEntropy(logits: model.forward(tape.constant(x), context: context), labels: labels))
        let byName = Dictionary(model.parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let step: Float = 1e-3
        for name in names {
            let parameter = try #require(byName[name], "\(name)")
            let gradient = try #require(parameter.grad)
            for element in Set([0, parameter.value.count / 2, parameter.value.count - 1]).sorted() {
                let original = parameter.value.scalars[element]
                parameter.value.scalars[element] = original + step
                let plus = loss()
                parameter.value.scalars[element] = original - step
                let minus = loss()
                parameter.value.scalars[element] = original
                let numeric = Double(plus - minus) / Double(2 * step)
                let analytic = Double(gradient.scalars[element])
                #expect(
                    abs(numeric - analytic) <= 3e-2 * max(abs(analytic), 1e-2) + 3e-4,
                    "\(training ? "training" : "evaluation") \(name)[\(element)]: numeric \(numeric), analytic \(analytic)")
            }
        }
    }

    @Test func evaluationModeGradientsMatchFiniteDifferences() throws {
        try check(
            training: false,
            names: [
                "stem.0.0.weight", "stem.1.1.weight", "layer1.conv2.weight", "layer1.downsample.0.weight",
                "trans1.1.0.weight", "stage2.branches.0.0.bn1.weight", "stage3.fuse.0.2.0.weight",
                "stage4.fuse.3.0.3.weight", "head.0.weight", "head.1.bias", "fc.weight", "fc.bias",
            ], seed: 11)
    }

    @Test func trainingModeGradientsMatchFiniteDifferences() throws {
        try check(
            training: true,
            names: [
                "stage2.branches.0.0.bn1.weight", "stage3.fuse.0.2.0.weight", "stage4.branches.3.0.conv2.weight",
                "head.0.weight", "head.1.bias", "fc.weight", "fc.bias",
            ], seed: 11)
    }
}
