import EmoTensor
import Foundation
import Testing

/// The fast kernels against their plain-loop oracles (`ReferenceKernels`). Relative error is
/// max|fast − reference| / max|reference| per tensor; the bound is 1e-5 (float32 rounding of sums
/// of at most a few hundred products), and 2e-5 for weight gradients: Winograd F(4×4, 3×3) sums
/// them over every tile in its transformed domain, where the terms are larger than the result
/// (measured up to 1.7e-5 on the model's shapes against double sums, docs/performance.md; a wrong
/// coefficient gives 1e-3 and more).
@Suite struct KernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: [Int], weight: [Int], stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int
        var testDescription: String { "x\(input) w\(weight) s\(stride) p\(padding) d\(dilation) g\(groups)" }
    }

    static let cases: [Case] = [
        // 1×1 with one image per block (P ≥ 4096: the input is used directly, no im2col)
        .init(input: [2, 2, 64, 64], weight: [3, 2, 1, 1], stride: 1, padding: 0, dilation: 1, groups: 1),
        // 1×1 with several images per block
        .init(input: [5, 6, 4, 10], weight: [7, 6, 1, 1], stride: 1, padding: 0, dilation: 1, groups: 1),
        // 3×3 stride 1, one image per block and several
        .init(input: [2, 2, 64, 66], weight: [2, 2, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [3, 4, 8, 19], weight: [5, 4, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        // one image whose column matrix passes 1 M floats: processed in bands of output rows
        .init(input: [2, 120, 20, 50], weight: [2, 120, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 130, 61, 81], weight: [2, 130, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        // stride 2 on odd sizes (75 → 38 like the model), dilation, groups, asymmetric settings
        .init(input: [2, 3, 9, 75], weight: [4, 3, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 4, 9, 11], weight: [6, 2, 3, 3], stride: 1, padding: 2, dilation: 2, groups: 2),
        .init(input: [2, 6, 7, 8], weight: [3, 2, 1, 1], stride: 2, padding: 0, dilation: 1, groups: 3),
        // one input channel and a 3×3 kernel (K = 9 ≤ 16): the stem's direct multiply-add path
        .init(input: [2, 1, 9, 11], weight: [4, 1, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [3, 1, 16, 30], weight: [8, 1, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 2, 10, 9], weight: [3, 2, 2, 3], stride: Size2D(height: 3, width: 2),
              padding: Size2D(height: 1, width: 0), dilation: Size2D(height: 1, width: 2), groups: 1),
    ]

    /// Shapes for the direct kernels beyond the model's: larger kernels, padding wider than the
    /// kernel reach, uneven strides, planes narrower than one 16-lane vector, many channels.
    static let directCases: [Case] = [
        .init(input: [2, 3, 11, 13], weight: [5, 3, 5, 5], stride: 2, padding: 2, dilation: 1, groups: 1),
        .init(input: [2, 4, 5, 6], weight: [3, 4, 1, 1], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [3, 5, 7, 9], weight: [9, 5, 2, 3], stride: Size2D(height: 3, width: 2),
              padding: Size2D(height: 0, width: 1), dilation: 1, groups: 1),
        .init(input: [2, 3, 4, 3], weight: [2, 3, 3, 3], stride: 1, padding: 0, dilation: 1, groups: 1),
        .init(input: [1, 3, 6, 7], weight: [4, 3, 1, 1], stride: 2, padding: 0, dilation: 1, groups: 1),
        .init(input: [2, 37, 4, 10], weight: [19, 37, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 16, 16, 38], weight: [16, 16, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        // Output channels in whole vectors (the channel-vectorised forward pass): 1–4 vectors per
        // tile, rows that leave a partial pixel tile (53 = 2·24 + 5, 29 = 3·8 + 5, 7 = 6 + 1), both strides
        .init(input: [1, 4, 5, 53], weight: [16, 4, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 3, 9, 27], weight: [32, 3, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 5, 7, 29], weight: [48, 5, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 3, 6, 13], weight: [64, 3, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 2, 6, 9], weight: [80, 2, 3, 5], stride: 1, padding: Size2D(height: 1, width: 2), dilation: 1, groups: 1),
        // Taps that read only padding left out: an 8×19 → 4×10 image in one band (edge columns on
        // both sides, the top row without its first kernel row), and bands of 2 rows of a wide one
        .init(input: [2, 16, 8, 19], weight: [32, 16, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 3, 11, 95], weight: [64, 3, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        // a single output row: padding above and below it
        .init(input: [2, 4, 1, 9], weight: [16, 4, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        // no padding: the input is read in place
        .init(input: [2, 3, 6, 9], weight: [16, 3, 3, 3], stride: 1, padding: 0, dilation: 1, groups: 1),
        .init(input: [1, 4, 7, 11], weight: [32, 4, 3, 3], stride: 2, padding: 0, dilation: 1, groups: 1),
        // Input channels in whole vectors (the channel-vectorised input gradient): stride 1 and 2,
        // phases of odd widths, a 5×5 kernel
        .init(input: [2, 32, 5, 21], weight: [8, 32, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 64, 7, 35], weight: [4, 64, 3, 3], stride: 2, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 16, 9, 40], weight: [16, 16, 5, 5], stride: 2, padding: 2, dilation: 1, groups: 1),
        // a 1×3 kernel at stride 2: the second row phase has no taps (its rows of dx are zero)
        .init(input: [2, 16, 6, 10], weight: [8, 16, 1, 3], stride: 2, padding: Size2D(height: 0, width: 1),
              dilation: 1, groups: 1),
        // 3×3 stride 1 with 16+ channels each way (Winograd on AVX-512: F(4×4, 3×3) for all but
        // the smallest outputs, where F(2×2, 3×3)): partial tiles, padding 0–2, bands of tile rows
        .init(input: [2, 16, 9, 21], weight: [32, 16, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 32, 7, 13], weight: [16, 32, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [2, 16, 8, 11], weight: [16, 16, 3, 3], stride: 1, padding: 0, dilation: 1, groups: 1),
        .init(input: [1, 16, 5, 9], weight: [48, 16, 3, 3], stride: 1, padding: 2, dilation: 1, groups: 1),
        .init(input: [1, 16, 9, 75], weight: [16, 16, 3, 3], stride: 1, padding: Size2D(height: 1, width: 2),
              dilation: 1, groups: 1),
        // F(2×2, 3×3) in every pass (6×6); F(4×4, 3×3) in every pass, over three bands of tile
        // rows (32×72), with partial tiles (15×30: F(2×2) for the input gradient), with more input
        // or more output channels
        .init(input: [2, 16, 6, 6], weight: [32, 16, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 16, 32, 72], weight: [16, 16, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 16, 17, 32], weight: [16, 16, 3, 3], stride: 1, padding: 0, dilation: 1, groups: 1),
        .init(input: [2, 32, 8, 20], weight: [16, 32, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
        .init(input: [1, 16, 12, 40], weight: [48, 16, 3, 3], stride: 1, padding: 1, dilation: 1, groups: 1),
    ]

    @Test(arguments: cases + directCases, ConvolutionAlgorithm.allCases)
    func convolutionMatchesReference(_ c: Case, _ algorithm: ConvolutionAlgorithm) {
        checkConvolution(c, algorithm: algorithm)
    }

    /// The fused epilogue: bias, residual and ReLU in the convolution's own pass (6 output
    /// channels: on the pixel-vectorised path; 32: on the channel-vectorised one; 16 → 32 at
    /// stride 1: by Winograd).
    @Test(arguments: [(5, 6, 2), (5, 32, 2), (16, 32, 1)], ConvolutionAlgorithm.allCases)
    func residualAndReluAreFused(channels: (input: Int, output: Int, stride: Int), _ algorithm: ConvolutionAlgorithm) {
        let (inputChannels, outputChannels, stride) = channels
        let x = randomTensor([2, inputChannels, 9, 11], seed: 11), w = randomTensor([outputChannels, inputChannels, 3, 3], seed: 12)
        let (ho, wo) = ((9 - 1) / stride + 1, (11 - 1) / stride + 1)
        let b = randomTensor([outputChannels], seed: 13), residual = randomTensor([2, outputChannels, ho, wo], seed: 14)
        let fused = Kernels.conv2dForward(
            x, weight: w, bias: b, stride: Size2D(stride), padding: 1, adding: residual, relu: true, algorithm: algorithm)
        let plain = ReferenceKernels.conv2d(x, weight: w, bias: b, stride: Size2D(stride), padding: 1)
        let expected = Tensor(shape: plain.shape, scalars: zip(plain.scalars, residual.scalars).map { max($0 + $1, 0) })
        #expect(relativeError(fused, expected) <= 1e-5)
    }


    func checkConvolution(_ c: Case, algorithm: ConvolutionAlgorithm, sourceLocation: SourceLocation = #_sourceLocation) {
        let x = randomTensor(c.input, seed: 1), w = randomTensor(c.weight, seed: 2), b = randomTensor([c.weight[0]], seed: 3)
        let fast = Kernels.conv2dForward(
            x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups,
            algorithm: algorithm)
        let slow = ReferenceKernels.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(fast.shape == slow.shape, sourceLocation: sourceLocation)
        #expect(relativeError(fast, slow) <= 1e-5, "forward \(c.testDescription) \(algorithm)", sourceLocation: sourceLocation)
        let dy = randomTensor(slow.shape, seed: 4)
        let fastGradients = Kernels.conv2dBackward(
            outputGradient: dy, input: x, weight: w, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups,
            algorithm: algorithm)
        let slowGradients = ReferenceKernels.conv2dBackward(
            outputGradient: dy, input: x, weight: w, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        #expect(relativeError(fastGradients.input!, slowGradients.input) <= 1e-5,
                "input gradient \(c.testDescription) \(algorithm)", sourceLocation: sourceLocation)
        #expect(relativeError(fastGradients.weight!, slowGradients.weight) <= 2e-5,
                "weight gradient \(c.testDescription) \(algorithm)", sourceLocation: sourceLocation)
        #expect(relativeError(fastGradients.bias!, slowGradients.bias) <= 1e-5, sourceLocation: sourceLocation)
    }

    /// The fuse layer's pooled tail against upsampling, summing, ReLU and averaging step by step:
    /// odd sizes as HRNet's 75 → 38 → 19 → 10, rows wider than one vector, and a low-resolution
    /// row wider than 48 (gathered instead of permuted).
    @Test(arguments: [true, false], [true, false])
    func upsampledSumReluMeanMatchesReference(bilinear: Bool, portable: Bool) {
        checkUpsampledSum(full: [2, 3, 9, 37], low: [[5, 19], [3, 10], [2, 5]], bilinear: bilinear, portable: portable)
        checkUpsampledSum(full: [1, 2, 5, 101], low: [[3, 51]], bilinear: bilinear, portable: portable)
    }

    func checkUpsampledSum(full shape: [Int], low sizes: [[Int]], bilinear: Bool, portable: Bool,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let full = randomTensor(shape, seed: 21)
        let low = sizes.enumerated().map { randomTensor([n, c] + $0.element, seed: 22 + UInt64($0.offset)) }
        let fused = Kernels.upsampledSumReluMean([full] + low, bilinear: bilinear, portable: portable)
        var sum = full.scalars
        for map in low {
            let up = bilinear ? ReferenceKernels.upsampleBilinear(map, toHeight: h, width: w)
                : ReferenceKernels.upsampleNearest(map, toHeight: h, width: w)
            for i in sum.indices { sum[i] += up.scalars[i] }
        }
        let plane = h * w
        let expected = Tensor(shape: [n, c], scalars: (0..<(n * c)).map { p in
            Float(sum[(p * plane)..<((p + 1) * plane)].reduce(0.0) { $0 + Double(max($1, 0)) } / Double(plane))
        })
        #expect(fused.shape == [n, c], sourceLocation: sourceLocation)
        #expect(relativeError(fused, expected) <= 1e-5, "\(shape) \(sizes)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [true, false])
    func batchNormMatchesReference(training: Bool) {
        let x = randomTensor([4, 3, 5, 7], seed: 5, scale: 3)
        let gamma = randomTensor([3], seed: 6), beta = randomTensor([3], seed: 7)
        var fastMean = randomTensor([3], seed: 8), fastVar = Tensor(shape: [3], scalars: [0.5, 1, 2])
        var slowMean = fastMean, slowVar = fastVar
        let fast = Kernels.batchNormForward(
            x, weight: gamma, bias: beta, runningMean: &fastMean, runningVar: &fastVar, training: training, momentum: 0.1, eps: 1e-5)
        let slow = ReferenceKernels.batchNorm(
            x, weight: gamma, bias: beta, runningMean: &slowMean, runningVar: &slowVar, training: training, momentum: 0.1, eps: 1e-5)
        #expect(relativeError(fast.output, slow) <= 1e-5)
        #expect(relativeError(fastMean, slowMean) <= 1e-6)
        #expect(relativeError(fastVar, slowVar) <= 1e-6)
    }

    @Test func batchNormRunningStatisticsFollowPyTorch() {
        // One channel, values 1…4: mean 2.5, biased var 1.25, unbiased var 5/3.
        let x = Tensor(shape: [2, 1, 1, 2], scalars: [1, 2, 3, 4])
        var mean = Tensor(shape: [1], scalars: [0]), variance = Tensor(shape: [1], scalars: [1])
        let result = Kernels.batchNormForward(
            x, weight: Tensor(shape: [1], scalars: [1]), bias: Tensor(shape: [1], scalars: [0]),
            runningMean: &mean, runningVar: &variance, training: true, momentum: 0.1, eps: 0)
        #expect(abs(mean.scalars[0] - 0.25) < 1e-7)
        #expect(abs(variance.scalars[0] - (0.9 + 0.1 * 5 / 3)) < 1e-6)
        #expect(abs(result.output.scalars[0] - Float(-1.5 / 1.25.squareRoot())) < 1e-6)
    }

    @Test(arguments: [(10, 19), (19, 38), (38, 75), (4, 32), (5, 5), (3, 6), (7, 3)])
    func upsamplingMatchesReference(_ sizes: (Int, Int)) {
        let (input, output) = sizes
        let x = randomTensor([2, 3, input, input + 1], seed: 9)
        let nearest = Kernels.upsampleNearestForward(x, toHeight: output, width: output + 2)
        #expect(nearest == ReferenceKernels.upsampleNearest(x, toHeight: output, width: output + 2))
        let bilinear = Kernels.upsampleBilinearForward(x, toHeight: output, width: output + 2)
        // The oracle computes source positions in Double, PyTorch (and the kernel) in Float.
        #expect(relativeError(bilinear, ReferenceKernels.upsampleBilinear(x, toHeight: output, width: output + 2)) <= 1e-5)
    }

    @Test func nearestIndicesFollowPyTorchFloatFormula() {
        // F.interpolate(torch.arange(10.).view(1,1,1,10), size=(1,19)) in PyTorch 2.13:
        let x = Tensor(shape: [1, 1, 1, 10], scalars: (0..<10).map(Float.init))
        let y = Kernels.upsampleNearestForward(x, toHeight: 1, width: 19)
        #expect(y.scalars == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9])
    }

    @Test func oddSizesRoundTrip() {
        // Stride-2 3×3 convolutions with padding 1: 75 → 38 → 19 → 10, then back up exactly.
        var x = randomTensor([1, 2, 32, 75], seed: 10)
        var sizes: [[Int]] = [x.shape]
        let w = randomTensor([2, 2, 3, 3], seed: 11)
        for _ in 0..<3 {
            x = Kernels.conv2dForward(x, weight: w, bias: nil, stride: 2, padding: 1)
            sizes.append(x.shape)
        }
        #expect(sizes.map { $0[3] } == [75, 38, 19, 10])
        #expect(sizes.map { $0[2] } == [32, 16, 8, 4])
        for target in sizes.dropLast().reversed() {
            #expect(Kernels.upsampleNearestForward(x, toHeight: target[2], width: target[3]).shape == [1, 2, target[2], target[3]])
            #expect(Kernels.upsampleBilinearForward(x, toHeight: target[2], width: target[3]).shape == [1, 2, target[2], target[3]])
        }
    }

    @Test func poolingLinearAndConcatenationMatchReference() {
        let x = randomTensor([3, 4, 5, 6], seed: 12)
        #expect(relativeError(Kernels.globalAveragePoolForward(x), ReferenceKernels.globalAveragePool(x)) <= 1e-6)
        let a = randomTensor([4, 7], seed: 13), w = randomTensor([5, 7], seed: 14), b = randomTensor([5], seed: 15)
        #expect(relativeError(Kernels.linearForward(a, weight: w, bias: b), ReferenceKernels.linear(a, weight: w, bias: b)) <= 1e-6)
        let parts = [randomTensor([2, 1, 2, 3], seed: 16), randomTensor([2, 2, 2, 3], seed: 17)]
        let joined = Kernels.concatChannelsForward(parts)
        #expect(joined.shape == [2, 3, 2, 3])
        #expect(Array(joined.scalars[0..<6]) == Array(parts[0].scalars[0..<6]))
        #expect(Array(joined.scalars[6..<18]) == Array(parts[1].scalars[0..<12]))
        #expect(Kernels.concatChannelsBackward(joined, channels: [1, 2]) == parts)
    }

    @Test func crossEntropyMatchesHandComputedValue() {
        // logits [[0, ln 2]] label 1: p = [1/3, 2/3], loss = ln 1.5.
        let logits = Tensor(shape: [1, 2], scalars: [0, Float(log(2.0))])
        let (loss, gradient) = Kernels.softmaxCrossEntropy(logits: logits, labels: [1])
        #expect(abs(loss - Float(log(1.5))) < 1e-6)
        #expect(abs(gradient.scalars[0] - 1.0 / 3) < 1e-6 && abs(gradient.scalars[1] + 1.0 / 3) < 1e-6)
    }

    @Test func dropoutKeepsTheExpectedShareAndScales() {
        var rng = SeededGenerator(seed: 3)
        let x = Tensor(repeating: 1, shape: [10_000])
        let (y, _) = Kernels.dropoutForward(x, probability: 0.25, rng: &rng)
        let kept = y.scalars.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / 10_000 - 0.75) < 0.02)
        #expect(kept.allSatisfy { abs($0 - 4.0 / 3) < 1e-6 })
    }

    @Test func npyRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emotensor-\(UUID().uuidString).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values: [Float] = [1, -2.5, 3e-8, .pi, 0, 7]
        try writeNPY(path, shape: [2, 3], data: values)
        let (shape, data) = try readNPY(path)
        #expect(shape == [2, 3] && data == values)
        try writeNPY(path, shape: [6], data: values)
        #expect(try readNPY(path).shape == [6])
        #expect(throws: NPYError.self) { try readNPY(path + ".missing") }
    }
}
