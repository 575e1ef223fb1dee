import EmoTensor
import Testing

/// Finite-difference checks of every differentiable op (see `checkGradients`: relative error
/// max|numeric − analytic| / max|analytic| ≤ 2e-3 with step 1e-3; worst seen 4.3e-4, Double accumulation of Σ out ⊙ R).
@Suite struct GradientCheckTests {
    struct ConvolutionCase: Sendable, CustomTestStringConvertible {
        var input: [Int], weight: [Int], bias: Bool, stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding) d\(dilation) g\(groups) bias \(bias)" }
    }

    static let convolutionCases: [ConvolutionCase] = [
        .init(input: [2, 3, 5, 6], weight: [4, 3, 3, 3], bias: true, stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 2, 7, 5], weight: [3, 2, 3, 3], bias: false, stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 4, 6, 6], weight: [4, 2, 3, 3], bias: true, stride: 1, padding: 2, dilation: 2, groups: 2),
        .init(input: [2, 3, 4, 5], weight: [2, 3, 1, 1], bias: false, stride: 1, padding: 0, dilation: 1, groups: 1),
        .init(input: [1, 2, 6, 7], weight: [2, 2, 2, 3], bias: true,
              stride: Size2D(height: 2, width: 1), padding: Size2D(height: 0, width: 1), dilation: 1, groups: 1),
    ]

    @Test(arguments: convolutionCases)
    func convolution(_ c: ConvolutionCase) {
        var inputs = [randomTensor(c.input, seed: 1), randomTensor(c.weight, seed: 2, scale: 0.5)]
        if c.bias { inputs.append(randomTensor([c.weight[0]], seed: 3)) }
        checkGradients(inputs) { _, v in
            conv2d(v[0], weight: v[1], bias: v.count > 2 ? v[2] : nil, stride: c.stride, padding: c.padding,
                   dilation: c.dilation, groups: c.groups)
        }
    }

    @Test(arguments: [true, false])
    func batchNormalisation(training: Bool) {
        let inputs = [randomTensor([3, 2, 3, 4], seed: 4), randomTensor([2], seed: 5), randomTensor([2], seed: 6)]
        checkGradients(inputs) { _, v in
            var mean = Tensor(shape: [2], scalars: [0.1, -0.2])
            var variance = Tensor(shape: [2], scalars: [0.9, 1.3])
            return batchNorm(v[0], weight: v[1], bias: v[2], runningMean: &mean, runningVar: &variance,
                             training: training, momentum: 0.1, eps: 1e-5)
        }
    }

    @Test func reluAndAdd() {
        checkGradients([awayFromZero([2, 3, 4, 2], seed: 7)]) { _, v in relu(v[0]) }
        checkGradients([randomTensor([2, 3, 4], seed: 8), randomTensor([2, 3, 4], seed: 9)]) { _, v in add(v[0], v[1]) }
        // addRelu: the sum a + b must stay away from 0, so derive b from a.
        let a = awayFromZero([2, 3, 4, 2], seed: 10)
        let b = Tensor(shape: a.shape, scalars: a.scalars.map { $0 * 0.5 })
        checkGradients([a, b]) { _, v in addRelu(v[0], v[1]) }
    }

    @Test(arguments: [(3, 4, 7, 9), (5, 3, 5, 3), (10, 19, 19, 38), (4, 4, 8, 8)])
    func upsampling(_ sizes: (Int, Int, Int, Int)) {
        let (h, w, outH, outW) = sizes
        let x = randomTensor([2, 2, h, w], seed: 11)
        checkGradients([x]) { _, v in upsampleNearest(v[0], toHeight: outH, width: outW) }
        checkGradients([x]) { _, v in upsampleBilinear(v[0], toHeight: outH, width: outW) }
    }

    @Test func concatenationAndPooling() {
        let parts = [randomTensor([2, 1, 3, 4], seed: 12), randomTensor([2, 3, 3, 4], seed: 13), randomTensor([2, 2, 3, 4], seed: 14)]
        checkGradients(parts) { _, v in concatChannels(v) }
        checkGradients([randomTensor([2, 3, 4, 5], seed: 15)]) { _, v in globalAveragePool(v[0]) }
    }

    @Test func linearLayer() {
        let inputs = [randomTensor([4, 5], seed: 16), randomTensor([3, 5], seed: 17), randomTensor([3], seed: 18)]
        checkGradients(inputs) { _, v in linear(v[0], weight: v[1], bias: v[2]) }
        checkGradients(Array(inputs.prefix(2))) { _, v in linear(v[0], weight: v[1]) }
    }

    @Test(arguments: [(false, Float(0)), (true, Float(0)), (false, Float(0.1)), (true, Float(0.2))])
    func crossEntropy(weighted: Bool, smoothing: Float) {
        let weights: Tensor? = weighted ? Tensor(shape: [5], scalars: [1, 0.5, 2, 1.5, 0.8]) : nil
        checkGradients([randomTensor([4, 5], seed: 19, scale: 2)]) { _, v in
            softmaxCrossEntropy(logits: v[0], labels: [0, 3, 4, 3], weights: weights, labelSmoothing: smoothing)
        }
    }

    @Test func dropoutWithFixedMask() {
        checkGradients([randomTensor([3, 4, 5], seed: 20)]) { _, v in
            var rng = SeededGenerator(seed: 21)  // the same mask on every evaluation
            return dropout(v[0], probability: 0.3, rng: &rng)
        }
    }
}
