import Foundation

/// One convolution shape of the reference model `emohrnet-s`, timed by `runConvolutionBenchmark`.
///
/// Output format (for `emohr bench ops` and anything printing these rows): one row per distinct
/// shape; `name` lists the model's layers with that shape (`stem.0`, `branch16.3x3`, …),
/// `occurrences` how many convolutions of that shape one forward pass of the model runs. Times are
/// medians in seconds over the timed runs after one warm-up (see `runConvolutionBenchmark`); rates are GFLOP/s counting a
/// multiply-add as 2 FLOPs (forward: 2·N·Cout·Ho·Wo·Cin·kh·kw/groups; backward: that once for the
/// weight gradient and once more for the input gradient when it is computed). The fastest times
/// are reported too, because on a shared machine they are the better estimate of the kernel's
/// own speed.
public struct ConvBenchmarkRow: Sendable, Hashable {
    public var name: String
    public var batch: Int
    public var inputChannels: Int
    public var outputChannels: Int
    public var kernelSize: Int
    public var stride: Int
    public var padding: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var outputHeight: Int
    public var outputWidth: Int
    /// Convolutions of this shape in one forward pass of emohrnet-s.
    public var occurrences: Int
    /// Whether the backward time includes the input gradient (false only for the first stem
    /// convolution, whose input is data).
    public var backwardIncludesInput: Bool
    /// Median forward time, seconds.
    public var forwardSeconds: Double
    /// Median backward time (weight gradient, plus input gradient when included), seconds.
    public var backwardSeconds: Double
    /// Forward rate, GFLOP/s.
    public var forwardGFLOPs: Double
    /// Backward rate, GFLOP/s.
    public var backwardGFLOPs: Double
    /// Fastest forward time, seconds (less disturbed than the median on a shared machine).
    public var forwardSecondsMinimum: Double
    /// Fastest backward time, seconds.
    public var backwardSecondsMinimum: Double

    /// GFLOP of one forward pass.
    public var forwardGigaflop: Double { forwardGFLOPs * forwardSeconds }
    /// GFLOP of one backward pass.
    public var backwardGigaflop: Double { backwardGFLOPs * backwardSeconds }
}

/// A convolution shape of emohrnet-s before timing.
public struct ConvBenchmarkShape: Sendable, Hashable {
    public var name: String
    public var inputChannels: Int
    public var outputChannels: Int
    public var kernelSize: Int
    public var stride: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var occurrences: Int
    /// `kernelSize / 2` (every convolution of the model is "same"-padded).
    public var padding: Int { kernelSize / 2 }
}

/// The distinct convolution shapes of emohrnet-s (`shared/reference/scripts/emohrnet.py`) for a
/// 1×height×width input, in model order, with how often each occurs.
///
/// Resolutions: the stem's two 3×3 stride-2 convolutions give r0 = ⌈H/4⌉×⌈W/4⌉ (32×75 for
/// 128×300); branches 1–3 run at r1, r2, r3, each the stride-2 halving (rounded up) of the one
/// before (16×38, 8×19, 4×10).
public func emohrnetConvolutionShapes(height: Int, width: Int) -> [ConvBenchmarkShape] {
    func down(_ size: (Int, Int)) -> (Int, Int) { ((size.0 - 1) / 2 + 1, (size.1 - 1) / 2 + 1) }
    let input = (height, width)
    let stem = down(input)
    let r0 = down(stem), r1 = down(r0), r2 = down(r1), r3 = down(r2)
    typealias Entry = (String, Int, Int, Int, Int, (Int, Int), Int)
    let entries: [Entry] = [
        ("stem.0", 1, 64, 3, 2, input, 1),
        ("stem.1", 64, 64, 3, 2, stem, 1),
        ("layer1.conv1", 64, 32, 1, 1, r0, 1),
        ("layer1.conv2", 32, 32, 3, 1, r0, 1),
        ("layer1.conv3", 32, 128, 1, 1, r0, 1),
        ("layer1.downsample", 64, 128, 1, 1, r0, 1),
        ("trans1.0", 128, 16, 3, 1, r0, 1),
        ("trans1.1", 128, 32, 3, 2, r0, 1),
        ("branch16.3x3", 16, 16, 3, 1, r0, 12),
        ("branch32.3x3", 32, 32, 3, 1, r1, 12),
        ("branch64.3x3", 64, 64, 3, 1, r2, 8),
        ("branch128.3x3", 128, 128, 3, 1, r3, 4),
        ("trans2", 32, 64, 3, 2, r1, 1),
        ("trans3", 64, 128, 3, 2, r2, 1),
        ("fuse.up 32→16", 32, 16, 1, 1, r1, 3),
        ("fuse.up 64→16", 64, 16, 1, 1, r2, 2),
        ("fuse.up 128→16", 128, 16, 1, 1, r3, 1),
        ("fuse.up 64→32", 64, 32, 1, 1, r2, 2),
        ("fuse.up 128→32", 128, 32, 1, 1, r3, 1),
        ("fuse.up 128→64", 128, 64, 1, 1, r3, 1),
        ("fuse.down 16→32", 16, 32, 3, 2, r0, 3),
        ("fuse.down 16→16", 16, 16, 3, 2, r0, 3),
        ("fuse.down 16→64", 16, 64, 3, 2, r1, 2),
        ("fuse.down 32→64", 32, 64, 3, 2, r1, 2),
        ("fuse.down 16→16 (r1)", 16, 16, 3, 2, r1, 1),
        ("fuse.down 32→32", 32, 32, 3, 2, r1, 1),
        ("fuse.down 16→128", 16, 128, 3, 2, r2, 1),
        ("fuse.down 32→128", 32, 128, 3, 2, r2, 1),
        ("fuse.down 64→128", 64, 128, 3, 2, r2, 1),
        ("head.0", 240, 240, 1, 1, r0, 1),
    ]
    // Merge shapes that occur under several names (e.g. trans2 and fuse.down 32→64).
    var shapes: [ConvBenchmarkShape] = []
    for (name, cin, cout, k, s, size, count) in entries {
        if let index = shapes.firstIndex(where: {
            $0.inputChannels == cin && $0.outputChannels == cout && $0.kernelSize == k && $0.stride == s
                && $0.inputHeight == size.0 && $0.inputWidth == size.1
        }) {
            shapes[index].name += ", " + name
            shapes[index].occurrences += count
        } else {
            shapes.append(ConvBenchmarkShape(
                name: name, inputChannels: cin, outputChannels: cout, kernelSize: k, stride: s,
                inputHeight: size.0, inputWidth: size.1, occurrences: count))
        }
    }
    return shapes
}

/// Times forward and backward of every convolution shape of emohrnet-s (see
/// `emohrnetConvolutionShapes`) at the given batch and input size — the reference setting is
/// batch 64 on 1×128×300 — and returns one `ConvBenchmarkRow` per shape.
///
/// Uses the BLAS thread count already set (`BLASThreads.set`). Inputs are random normal; the
/// backward pass computes the weight gradient and, except for `stem.0`, the input gradient
/// (what training needs). `scripts/reference/tensor/bench_ops_pytorch.py` times the same shapes
/// in PyTorch. Each pass runs as `ConvolutionShapeBenchmark.time` says.
public func runConvolutionBenchmark(
    batch: Int, height: Int, width: Int, repetitions: Int, minimumSeconds: Double = 0
) -> [ConvBenchmarkRow] {
    precondition(batch >= 1 && repetitions >= 1, "runConvolutionBenchmark: batch and repetitions must be ≥ 1")
    var rng = SeededGenerator(seed: 42)
    return emohrnetConvolutionShapes(height: height, width: width).map { shape in
        let benchmark = ConvolutionShapeBenchmark(shape, batch: batch, using: &rng)
        let times = benchmark.time(repetitions: repetitions, minimumSeconds: minimumSeconds)
        return benchmark.row(forward: times.forward, backward: times.backward)
    }
}

/// One convolution shape with its random operands, timed as often as asked (so that its runs can
/// be interleaved with another tool's runs of the same shape).
public struct ConvolutionShapeBenchmark {
    public let shape: ConvBenchmarkShape
    public let batch: Int
    let x: Tensor, weight: Tensor, gradient: Tensor
    let geometry: ConvolutionGeometry

    /// Random-normal operands for `shape` at `batch` (weight σ 0.1).
    public init(_ shape: ConvBenchmarkShape, batch: Int, using rng: inout SeededGenerator) {
        self.shape = shape
        self.batch = batch
        (x, weight) = benchmarkOperands(shape, batch: batch, using: &rng)
        geometry = ConvolutionGeometry(
            input: x.shape, weight: weight.shape, stride: Size2D(shape.stride), padding: Size2D(shape.padding),
            dilation: 1, groups: 1)
        gradient = Tensor.randomNormal(
            shape: [batch, shape.outputChannels, geometry.outputHeight, geometry.outputWidth], using: &rng)
    }

    /// Whether the backward pass computes the input gradient (all but `stem.0`, whose input is data).
    public var backwardIncludesInput: Bool { shape.name != "stem.0" }

    /// Seconds of each timed forward and backward run: each pass runs once to warm up, then at
    /// least `repetitions` times and until its runs add up to `minimumSeconds` (at most 20 ×
    /// `repetitions` runs), so short shapes get more runs.
    public func time(repetitions: Int, minimumSeconds: Double) -> (forward: [Double], backward: [Double]) {
        let stride = Size2D(shape.stride), padding = Size2D(shape.padding)
        let forward = timedRuns(repetitions: repetitions, minimumSeconds: minimumSeconds) {
            withExtendedLifetime(Kernels.conv2dForward(x, weight: weight, bias: nil, stride: stride, padding: padding)) {}
        }
        let backward = timedRuns(repetitions: repetitions, minimumSeconds: minimumSeconds) {
            let result = Kernels.conv2dBackward(
                outputGradient: gradient, input: x, weight: weight, stride: stride, padding: padding,
                computeInput: backwardIncludesInput, computeWeight: true, computeBias: false)
            withExtendedLifetime(result) {}
        }
        return (forward, backward)
    }

    /// The row for these run times (medians, fastest, rates from the medians).
    public func row(forward: [Double], backward: [Double]) -> ConvBenchmarkRow {
        let flops = geometry.forwardFLOPs
        let forwardMedian = median(forward), backwardMedian = median(backward)
        return ConvBenchmarkRow(
            name: shape.name, batch: batch, inputChannels: shape.inputChannels, outputChannels: shape.outputChannels,
            kernelSize: shape.kernelSize, stride: shape.stride, padding: shape.padding,
            inputHeight: shape.inputHeight, inputWidth: shape.inputWidth,
            outputHeight: geometry.outputHeight, outputWidth: geometry.outputWidth,
            occurrences: shape.occurrences, backwardIncludesInput: backwardIncludesInput,
            forwardSeconds: forwardMedian, backwardSeconds: backwardMedian,
            forwardGFLOPs: flops / forwardMedian * 1e-9,
            backwardGFLOPs: flops * (backwardIncludesInput ? 2 : 1) / backwardMedian * 1e-9,
            forwardSecondsMinimum: forward.min()!, backwardSecondsMinimum: backward.min()!)
    }
}

/// A random-normal input [batch, Cin, H, W] and weight [Cout, Cin, k, k] (σ 0.1) for one shape.
func benchmarkOperands(
    _ shape: ConvBenchmarkShape, batch: Int, using rng: inout SeededGenerator
) -> (input: Tensor, weight: Tensor) {
    let x = Tensor.randomNormal(
        shape: [batch, shape.inputChannels, shape.inputHeight, shape.inputWidth], using: &rng)
    let weight = Tensor.randomNormal(
        shape: [shape.outputChannels, shape.inputChannels, shape.kernelSize, shape.kernelSize],
        standardDeviation: 0.1, using: &rng)
    return (x, weight)
}

/// Seconds of each timed run of `body`, after one untimed warm-up run: at least `repetitions` runs,
/// more until they add up to `minimumSeconds`, at most 20 × `repetitions`.
func timedRuns(repetitions: Int, minimumSeconds: Double, _ body: () -> Void) -> [Double] {
    body()
    var times: [Double] = []
    while times.count < repetitions || (times.reduce(0, +) < minimumSeconds && times.count < 20 * repetitions) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return times
}

/// The median of a list (0 when it is empty).
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
