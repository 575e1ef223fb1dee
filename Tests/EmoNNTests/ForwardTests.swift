import EmoJSON
import EmoNN
import EmoTensor
import Testing

@Suite struct ForwardTests {
    @Test func emohrnetSShapesAt64x300() throws {
        let model = try HRNet(preset: "emohrnet-s", classes: 8)
        let sizes = model.branchSizes(height: 64, width: 300)
        #expect(sizes.map(\.height) == [16, 8, 4, 2])
        #expect(sizes.map(\.width) == [75, 38, 19, 10])
        let context = ForwardContext(tape: Tape(recording: false), training: false)
        var generator = SeededGenerator(seed: 3)
        let x = Tensor.randomNormal(shape: [1, 1, 64, 300], using: &generator)
        let features = model.features(context.tape.constant(x), context: context)
        #expect(features.map(\.shape) == [[1, 16, 16, 75], [1, 32, 8, 38], [1, 64, 4, 19], [1, 128, 2, 10]])
        let logits = model.forward(context.tape.constant(x), context: context)
        #expect(logits.shape == [1, 8])
        #expect(logits.value.scalars.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [(64, 300), (128, 300), (21, 37), (1, 1), (7, 5)])
    func oddSizesWork(height: Int, width: Int) throws {
        for upsampling in ModelConfig.Upsampling.allCases {
            let model = try HRNet(config: smallConfig(upsampling: upsampling), seed: 2)
            let context = ForwardContext(tape: Tape(recording: false), training: false)
            let x = Tensor(repeating: 0.5, shape: [2, 1, height, width])
            let features = model.features(context.tape.constant(x), context: context)
            let expected = model.branchSizes(height: height, width: width)
            #expect(features.map { [$0.shape[2], $0.shape[3]] } == expected.map { [$0.height, $0.width] })
            #expect(model.forward(context.tape.constant(x), context: context).shape == [2, 3])
        }
    }

    @Test func noFusionRuns() throws {
        let model = try HRNet(config: smallConfig(fusion: "none"), seed: 2)
        #expect(!model.state.contains { $0.name.contains(".fuse.") })
        let context = ForwardContext(tape: Tape(recording: false), training: false)
        #expect(model.forward(context.tape.constant(Tensor(zeros: [1, 1, 16, 16])), context: context).shape == [1, 3])
    }

    @Test func seededInitialisationIsReproducible() throws {
        let a = try HRNet(config: smallConfig(), seed: 7).snapshot()
        let b = try HRNet(config: smallConfig(), seed: 7).snapshot()
        let c = try HRNet(config: smallConfig(), seed: 8).snapshot()
        #expect(a == b)
        #expect(a != c)
    }
}

/// Inference folds each batch norm into its convolution; the result must equal the unfolded
/// evaluation-mode ops (run on a recording tape, which does not fold).
@Suite struct FoldedBatchNormTests {
    @Test(arguments: [true, false])
    func foldedEqualsConvolutionThenBatchNorm(activation: Bool) {
        let builder = LayerBuilder(seed: 4)
        let layer = builder.convBatchNorm(inputChannels: 3, outputChannels: 5, kernelSize: 3, stride: 2, activation: activation, name: "b")
        var generator = SeededGenerator(seed: 5)
        layer.normalization.weight.value = Tensor.randomNormal(shape: [5], using: &generator)
        layer.normalization.bias.value = Tensor.randomNormal(shape: [5], using: &generator)
        layer.normalization.runningMean.value = Tensor.randomNormal(shape: [5], using: &generator)
        layer.normalization.runningVariance.value = Tensor(shape: [5], scalars: [0.3, 1, 2.5, 0.01, 4])
        let x = Tensor.randomNormal(shape: [2, 3, 9, 11], using: &generator)
        let recorded = ForwardContext(tape: Tape(recording: true), training: false)
        let unfolded = layer.forward(recorded.tape.constant(x), context: recorded).value
        let inference = ForwardContext(tape: Tape(recording: false), training: false)
        let folded = layer.forward(inference.tape.constant(x), context: inference).value
        #expect(folded.shape == unfolded.shape)
        #expect(relativeError(folded, unfolded) <= 1e-5)
        if activation { #expect(folded.scalars.allSatisfy { $0 >= 0 }) }
    }
}

/// Inference runs the fuse layer per branch before upsampling (`HRNet.pooledFuseLayer`); the
/// logits must equal the unfused evaluation-mode graph (a recording tape does not take that path).
@Suite struct InferencePathTests {
    @Test(arguments: ModelConfig.Upsampling.allCases)
    func inferenceEqualsEvaluationGraph(upsampling: ModelConfig.Upsampling) throws {
        let model = try HRNet(config: smallConfig(upsampling: upsampling), seed: 6)
        var generator = SeededGenerator(seed: 7)
        for entry in model.state where entry.name.hasSuffix("running_mean") || entry.name.hasSuffix("bias") {
            let value = Tensor.randomNormal(shape: entry.value.shape, standardDeviation: 0.3, using: &generator)
            switch entry {
            case .parameter(let parameter): parameter.value = value
            case .buffer(let buffer): buffer.value = value
            }
        }
        let x = Tensor.randomNormal(shape: [3, 1, 21, 37], using: &generator)
        let recorded = ForwardContext(tape: Tape(recording: true), training: false)
        let reference = model.forward(recorded.tape.constant(x), context: recorded).value
        let inference = ForwardContext(tape: Tape(recording: false), training: false)
        let fast = model.forward(inference.tape.constant(x), context: inference).value
        #expect(fast.shape == reference.shape)
        #expect(relativeError(fast, reference) <= 1e-5)
    }
}
