import Dispatch

/// The times of one convolution shape under one algorithm: forward, input gradient, weight gradient.
public struct ConvAlgorithmTiming: Sendable {
    public var forwardSeconds: Double
    public var inputGradientSeconds: Double
    public var weightGradientSeconds: Double
    public var totalSeconds: Double { forwardSeconds + inputGradientSeconds + weightGradientSeconds }
}

/// One shape of `emohrnetConvolutionShapes` timed under im2col + sgemm and under the direct kernels.
public struct ConvAlgorithmComparisonRow: Sendable {
    public var shape: ConvBenchmarkShape
    public var im2col: ConvAlgorithmTiming
    public var direct: ConvAlgorithmTiming
    /// What `ConvolutionAlgorithm.automatic` picks for this shape on this CPU, per pass
    /// (forward, input gradient, weight gradient).
    public var automaticIsDirect: [Bool]
    /// The time of the algorithms `automatic` picks.
    public var automaticSeconds: Double {
        (automaticIsDirect[0] ? direct : im2col).forwardSeconds
            + (automaticIsDirect[1] ? direct : im2col).inputGradientSeconds
            + (automaticIsDirect[2] ? direct : im2col).weightGradientSeconds
    }
}

/// Times every emohrnet-s convolution shape with both algorithms, alternating them repetition by
/// repetition so that a change in machine load hits both alike; medians of `repetitions`.
/// This is the measurement behind `DirectConvolution.isPreferred`.
public func compareConvolutionAlgorithms(
    batch: Int, height: Int, width: Int, repetitions: Int
) -> [ConvAlgorithmComparisonRow] {
    precondition(batch >= 1 && repetitions >= 1, "compareConvolutionAlgorithms: batch and repetitions must be ≥ 1")
    var rng = SeededGenerator(seed: 42)
    var rows: [ConvAlgorithmComparisonRow] = []
    for shape in emohrnetConvolutionShapes(height: height, width: width) {
        let (x, weight) = benchmarkOperands(shape, batch: batch, using: &rng)
        let stride = Size2D(shape.stride), padding = Size2D(shape.padding)
        let geometry = ConvolutionGeometry(
            input: x.shape, weight: weight.shape, stride: stride, padding: padding, dilation: 1, groups: 1)
        let gradient = Tensor.randomNormal(
            shape: [batch, shape.outputChannels, geometry.outputHeight, geometry.outputWidth], using: &rng)
        let algorithms: [ConvolutionAlgorithm] = [.im2col, .direct]
        var times = [[[Double]]](repeating: [[], [], []], count: 2)
        func seconds(_ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
        for repetition in 0...repetitions {
            for (index, algorithm) in algorithms.enumerated() {
                let forward = seconds {
                    withExtendedLifetime(Kernels.conv2dForward(
                        x, weight: weight, bias: nil, stride: stride, padding: padding, algorithm: algorithm)) {}
                }
                let input = seconds {
                    withExtendedLifetime(Kernels.conv2dBackward(
                        outputGradient: gradient, input: x, weight: weight, stride: stride, padding: padding,
                        computeInput: true, computeWeight: false, computeBias: false, algorithm: algorithm)) {}
                }
                let weightGradient = seconds {
                    withExtendedLifetime(Kernels.conv2dBackward(
                        outputGradient: gradient, input: x, weight: weight, stride: stride, padding: padding,
                        computeInput: false, computeWeight: true, computeBias: false, algorithm: algorithm)) {}
                }
                if repetition > 0 {
                    times[index][0].append(forward)
                    times[index][1].append(input)
                    times[index][2].append(weightGradient)
                }
            }
        }
        func timing(_ index: Int) -> ConvAlgorithmTiming {
            ConvAlgorithmTiming(
                forwardSeconds: median(times[index][0]), inputGradientSeconds: median(times[index][1]),
                weightGradientSeconds: median(times[index][2]))
        }
        rows.append(ConvAlgorithmComparisonRow(
            shape: shape, im2col: timing(0), direct: timing(1),
            automaticIsDirect: [DirectConvolution.Pass.forward, .inputGradient, .weightGradient].map {
                DirectConvolution.chosen(for: geometry, pass: $0, algorithm: .automatic)
            }))
    }
    return rows
}
