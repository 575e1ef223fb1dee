import EmoTensor
import Foundation
import Testing

/// Opt-in (EMOHR_SLOW_TESTS=1): times every emohrnet-s convolution shape and prints a table.
/// Meaningful only in a release build: `EMOHR_SLOW_TESTS=1 swift test -c release --filter
/// ConvolutionBenchmarkTests`. Set EMOHR_BENCH_BATCH / EMOHR_BENCH_REPETITIONS to change the load.
@Suite struct ConvolutionBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["EMOHR_SLOW_TESTS"] == "1"

    @Test func shapesOfTheReferenceModel() {
        let shapes = emohrnetConvolutionShapes(height: 128, width: 300)
        #expect(shapes.reduce(0) { $0 + $1.occurrences } == 72)  // nn.Conv2d modules in EmoHRNetS
        #expect(shapes.first { $0.name.hasPrefix("branch128") }.map { [$0.inputHeight, $0.inputWidth] } == [4, 10])
        #expect(shapes.first { $0.name.hasPrefix("branch32") }.map { [$0.inputHeight, $0.inputWidth] } == [16, 38])
    }

    /// The timing rule `emohr bench ops` and its PyTorch script share: at least `repetitions` runs,
    /// more until `minimumSeconds`, never more than 20 × `repetitions`.
    @Test func shapeBenchmarkRunsAsOftenAsItsRuleSays() throws {
        let shape = try #require(emohrnetConvolutionShapes(height: 16, width: 40).first { $0.name.hasPrefix("branch128") })
        var rng = SeededGenerator(seed: 3)
        let benchmark = ConvolutionShapeBenchmark(shape, batch: 2, using: &rng)
        let few = benchmark.time(repetitions: 2, minimumSeconds: 0)
        #expect(few.forward.count == 2)
        #expect(few.backward.count == 2)
        let capped = benchmark.time(repetitions: 2, minimumSeconds: 1e9)
        #expect(capped.forward.count == 40)
        #expect(capped.backward.count == 40)
        let row = benchmark.row(forward: capped.forward, backward: capped.backward)
        #expect(row.forwardSecondsMinimum <= row.forwardSeconds)
        #expect(row.backwardSecondsMinimum <= row.backwardSeconds)
        #expect(row.outputHeight == shape.inputHeight)
        #expect(row.outputWidth == shape.inputWidth)
        // 2 · N · Cout · Ho · Wo · Cin · 9 multiply-adds' FLOPs
        let flops = 2.0 * 2 * 128 * Double(shape.inputHeight * shape.inputWidth) * 128 * 9
        #expect(abs(row.forwardGigaflop - flops * 1e-9) < 1e-9 * flops * 1e-6)
    }

    @Test(.enabled(if: enabled)) func convolutionThroughput() {
        let environment = ProcessInfo.processInfo.environment
        let batch = Int(environment["EMOHR_BENCH_BATCH"] ?? "") ?? 64
        let repetitions = Int(environment["EMOHR_BENCH_REPETITIONS"] ?? "") ?? 3
        BLASThreads.set(2)
        let rows = runConvolutionBenchmark(batch: batch, height: 128, width: 300, repetitions: repetitions)
        var totalForward = 0.0, totalBackward = 0.0
        print("name | cin→cout k s | in → out | count | fwd ms | GFLOP/s | bwd ms | GFLOP/s")
        for row in rows {
            totalForward += row.forwardSeconds * Double(row.occurrences)
            totalBackward += row.backwardSeconds * Double(row.occurrences)
            print(String(format: "%@ | %d→%d k%d s%d | %dx%d → %dx%d | %d | %.1f | %.1f | %.1f | %.1f",
                         row.name, row.inputChannels, row.outputChannels, row.kernelSize, row.stride,
                         row.inputHeight, row.inputWidth, row.outputHeight, row.outputWidth, row.occurrences,
                         row.forwardSeconds * 1e3, row.forwardGFLOPs, row.backwardSeconds * 1e3, row.backwardGFLOPs))
        }
        print(String(format: "all convolutions of one step (Σ count × time): forward %.3f s, backward %.3f s", totalForward, totalBackward))
        #expect(rows.count == emohrnetConvolutionShapes(height: 128, width: 300).count)
    }
}
