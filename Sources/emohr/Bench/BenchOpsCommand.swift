import ArgumentParser
import EmoJSON
import EmoTensor
import Foundation

/// `emohr bench ops`: forward and backward time of every convolution shape of emohrnet-s, GFLOP/s,
/// the share of the machine's SGEMM ceiling, and (with `--compare`) PyTorch on the same shapes.
struct BenchOpsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "Convolution kernels at emohrnet-s's shapes against PyTorch (NCHW and channels-last).")

    @Option(help: "Batch size.") var batch = 64
    @Option(help: "Input height (Mel bands).") var height = 128
    @Option(help: "Input width (frames).") var width = 300
    @Option(help: "Timed runs per pass and shape, at least (after one warm-up).") var repetitions = 5
    @Option(help: "Keep running a pass until its runs add up to this many seconds (at most 20 × repetitions runs).")
    var minimumSeconds = 0.1
    @Option(help: "With --compare: rounds per shape, each timing ours and then PyTorch's (runs pooled over rounds).")
    var rounds = 3
    @Option(help: "SGEMM ceiling in GFLOP/s (default: measured now, a 2048³ product as a 1×1 convolution).") var ceiling: Double?
    @Option(help: "Only the shapes whose name contains this text (e.g. 'fuse.down', 'trans3').") var shapes: String?
    @Flag(help: "Also time PyTorch on the same shapes, interleaved with ours shape by shape.") var compare = false
    @Option(help: "Python interpreter with torch (default: .venv-ref/bin/python).") var python: String?

    @Flag(help: "Instead, time im2col + sgemm against the direct kernels per shape (forward, input and weight gradients).")
    var algorithms = false

    func run() throws {
        if algorithms {
            print("emohrnet-s convolution shapes, batch \(batch), input 1×\(height)×\(width), median of \(repetitions)")
            return printAlgorithmComparison()
        }
        let server = compare ? try startPyTorch() : nil
        defer { server?.close() }
        let rounds = server == nil ? 1 : max(1, self.rounds)
        print("emohrnet-s convolution shapes, batch \(batch), input 1×\(height)×\(width); each pass timed after one warm-up, "
              + "at least \(repetitions) runs and \(minimumSeconds) s"
              + (server == nil ? "" : ", in \(rounds) rounds per shape alternating with PyTorch \(server!.version) (same rule)"))
        let ceiling = self.ceiling ?? measureCeiling()
        print(String(format: "matrix-product ceiling: %.0f GFLOP/s (%@)", ceiling, self.ceiling == nil ? "2048³, measured now" : "given"))
        print("Times are the fastest run (on a shared machine, other processes only ever add time); "
              + "ratio: ours ÷ PyTorch's faster layout, fastest runs, then medians.")
        print("shape".padding(toLength: 34, withPad: " ", startingAt: 0) + "  fwd ms   bwd ms  fwd GF/s  bwd GF/s  ceiling"
              + (server == nil ? "" : "  torch NCHW  torch CL  ratio  median"))
        var worst: (name: String, ratio: Double)?
        var worstMedian: (name: String, ratio: Double)?
        var ours = 0.0, torchBest = 0.0
        var rng = SeededGenerator(seed: 42)
        for (index, shape) in emohrnetConvolutionShapes(height: height, width: width).enumerated() {
            if let shapes, !shape.name.contains(shapes) { continue }
            let benchmark = ConvolutionShapeBenchmark(shape, batch: batch, using: &rng)
            var mine = PyTorchConvolutionServer.Runs(), nchw = mine, channelsLast = mine
            for _ in 0..<rounds {
                let times = benchmark.time(repetitions: repetitions, minimumSeconds: minimumSeconds)
                mine.forward += times.forward
                mine.backward += times.backward
                if let server {
                    guard server.shapeNames.indices.contains(index), server.shapeNames[index] == shape.name else {
                        throw BenchError("PyTorch's shape \(index) is not \(shape.name): update bench_ops_pytorch.py")
                    }
                    let theirs = try server.measure(index)
                    nchw.forward += theirs.nchw.forward
                    nchw.backward += theirs.nchw.backward
                    channelsLast.forward += theirs.channelsLast.forward
                    channelsLast.backward += theirs.channelsLast.backward
                }
            }
            let row = benchmark.row(forward: mine.forward, backward: mine.backward)
            let forward = row.forwardSecondsMinimum, backward = row.backwardSecondsMinimum
            let label = "\(row.name) \(row.inputChannels)→\(row.outputChannels) k\(row.kernelSize)s\(row.stride) \(row.inputHeight)×\(row.inputWidth)"
            let forwardRate = row.forwardGigaflop / forward, backwardRate = row.backwardGigaflop / backward
            var line = label.padding(toLength: 34, withPad: " ", startingAt: 0)
            line += String(format: " %7.2f  %7.2f  %8.1f  %8.1f  %6.0f%%", 1000 * forward, 1000 * backward,
                           forwardRate, backwardRate, 100 * max(forwardRate, backwardRate) / ceiling)
            if server != nil {
                let fastest = (nchw: fastestTotal(nchw), channelsLast: fastestTotal(channelsLast))
                let best = min(fastest.nchw, fastest.channelsLast)
                let bestMedian = min(medianTotal(nchw), medianTotal(channelsLast))
                let ratio = (forward + backward) / best
                let ratioMedian = (row.forwardSeconds + row.backwardSeconds) / bestMedian
                line += String(format: "  %9.2f  %8.2f  %5.2f  %6.2f", 1000 * fastest.nchw, 1000 * fastest.channelsLast,
                               ratio, ratioMedian)
                if worst == nil || ratio > worst!.ratio { worst = (row.name, ratio) }
                if worstMedian == nil || ratioMedian > worstMedian!.ratio { worstMedian = (row.name, ratioMedian) }
                ours += Double(row.occurrences) * (forward + backward)
                torchBest += Double(row.occurrences) * best
            }
            print(line)
        }
        if let worst, let worstMedian {
            print(String(format: "all convolutions of one training step (weighted by occurrence, fastest runs): ours %.2f s, "
                         + "PyTorch best layout %.2f s, ratio %.2f", ours, torchBest, ours / torchBest))
            print(String(format: "worst ratio by medians: %.2f (%@)", worstMedian.ratio, worstMedian.name))
            print("worst shape: \(worst.name)")
            print(String(format: "worst ratio vs PyTorch: %.2f", worst.ratio))
        }
    }

    /// PyTorch's timing script in serve mode, or nil (with a line saying why) where PyTorch is not
    /// installed.
    func startPyTorch() throws -> PyTorchConvolutionServer? {
        let (tools, reason) = ReferenceTools.locate(python: python)
        guard let tools, tools.has(["torch"]) else {
            print("PyTorch: not installed (\(reason)); see scripts/bench/README.md")
            return nil
        }
        return try PyTorchConvolutionServer(
            tools: tools, batch: batch, height: height, width: width, repetitions: repetitions,
            minimumSeconds: minimumSeconds)
    }

    /// Fastest forward plus fastest backward, seconds (infinity without runs).
    func fastestTotal(_ runs: PyTorchConvolutionServer.Runs) -> Double {
        guard let forward = runs.forward.min(), let backward = runs.backward.min() else { return .infinity }
        return forward + backward
    }

    /// Median forward plus median backward, seconds (infinity without runs).
    func medianTotal(_ runs: PyTorchConvolutionServer.Runs) -> Double {
        guard !runs.forward.isEmpty, !runs.backward.isEmpty else { return .infinity }
        return median(runs.forward) + median(runs.backward)
    }

    /// One line per shape: fwd / dx / dw in ms for im2col and direct, and what `automatic` picks.
    func printAlgorithmComparison() {
        print("direct kernels: " + (Kernels.directConvolutionAccelerated ? "AVX-512" : "portable C (automatic uses im2col)"))
        let rows = compareConvolutionAlgorithms(batch: batch, height: height, width: width, repetitions: repetitions)
        print("shape".padding(toLength: 34, withPad: " ", startingAt: 0)
              + "   im2col fwd/dx/dw ms       direct fwd/dx/dw ms   direct÷im2col  automatic (D direct, I im2col)")
        var chosen = 0.0, im2col = 0.0, direct = 0.0
        for row in rows {
            let s = row.shape
            let label = "\(s.name) \(s.inputChannels)→\(s.outputChannels) k\(s.kernelSize)s\(s.stride) \(s.inputHeight)×\(s.inputWidth)"
            let a = row.im2col, d = row.direct
            print(label.padding(toLength: 34, withPad: " ", startingAt: 0) + String(
                format: " %7.1f %7.1f %7.1f   %7.1f %7.1f %7.1f   %5.2f  %@",
                1000 * a.forwardSeconds, 1000 * a.inputGradientSeconds, 1000 * a.weightGradientSeconds,
                1000 * d.forwardSeconds, 1000 * d.inputGradientSeconds, 1000 * d.weightGradientSeconds,
                d.totalSeconds / a.totalSeconds, row.automaticIsDirect.map { $0 ? "D" : "I" }.joined(separator: "/")))
            let weight = Double(s.occurrences)
            im2col += weight * a.totalSeconds
            direct += weight * d.totalSeconds
            chosen += weight * row.automaticSeconds
        }
        print(String(format: "one training step's convolutions: im2col %.2f s, direct %.2f s, automatic %.2f s",
                     im2col, direct, chosen))
    }

    /// GFLOP/s of a 2048 × 2048 × 2048 product, run as a 1×1 convolution on the im2col path (one
    /// OpenBLAS sgemm split over the cores), best of 3.
    func measureCeiling() -> Double {
        var generator = SeededGenerator(seed: 1)
        let x = Tensor.randomNormal(shape: [1, 2048, 1, 2048], using: &generator)
        let w = Tensor.randomNormal(shape: [2048, 2048, 1, 1], using: &generator)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            // im2col: a 1×1 convolution of one image is exactly one sgemm, split over the cores.
            _ = Kernels.conv2dForward(
                x, weight: w, bias: nil, stride: 1, padding: 0, dilation: 1, groups: 1, algorithm: .im2col)
            best = min(best, Date().timeIntervalSince(start))
        }
        return 2 * pow(2048, 3) / best / 1e9
    }
}
