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
    var minimumSeconds = 0.3
    @Option(help: "SGEMM ceiling in GFLOP/s (default: measured now, a 2048³ product as a 1×1 convolution).") var ceiling: Double?
    @Flag(help: "Also time PyTorch on the same shapes.") var compare = false
    @Option(help: "Python interpreter with torch (default: .venv-ref/bin/python).") var python: String?

    @Flag(help: "Instead, time im2col + sgemm against the direct kernels per shape (forward, input and weight gradients).")
    var algorithms = false

    func run() throws {
        if algorithms {
            print("emohrnet-s convolution shapes, batch \(batch), input 1×\(height)×\(width), median of \(repetitions)")
            return printAlgorithmComparison()
        }
        print("emohrnet-s convolution shapes, batch \(batch), input 1×\(height)×\(width); each pass timed after one warm-up, "
              + "at least \(repetitions) runs and \(minimumSeconds) s, the same rule for PyTorch")
        let ceiling = self.ceiling ?? measureCeiling()
        print(String(format: "matrix-product ceiling: %.0f GFLOP/s (%@)", ceiling, self.ceiling == nil ? "2048³, measured now" : "given"))
        let rows = runConvolutionBenchmark(
            batch: batch, height: height, width: width, repetitions: repetitions, minimumSeconds: minimumSeconds)
        let theirs = compare ? try pytorchTimes() : [:]
        print("Times are the fastest run (on a shared machine, other processes only ever add time); "
              + "ratio: ours ÷ PyTorch's faster layout, fastest runs, then medians.")
        let header = "shape".padding(toLength: 34, withPad: " ", startingAt: 0)
        print(header + "  fwd ms   bwd ms  fwd GF/s  bwd GF/s  ceiling"
              + (theirs.isEmpty ? "" : "  torch NCHW  torch CL  ratio  median"))
        var worst: (name: String, ratio: Double)?
        var worstMedian: (name: String, ratio: Double)?
        var ours = 0.0, torchBest = 0.0
        for row in rows {
            let label = "\(row.name) \(row.inputChannels)→\(row.outputChannels) k\(row.kernelSize)s\(row.stride) \(row.inputHeight)×\(row.inputWidth)"
            let forward = row.forwardSecondsMinimum, backward = row.backwardSecondsMinimum
            let flops = row.forwardGFLOPs * row.forwardSeconds
            var line = label.padding(toLength: 34, withPad: " ", startingAt: 0)
            line += String(format: " %7.2f  %7.2f  %8.1f  %8.1f  %6.0f%%", 1000 * forward, 1000 * backward,
                           flops / forward, row.backwardGFLOPs * row.backwardSeconds / backward,
                           100 * max(flops / forward, row.backwardGFLOPs * row.backwardSeconds / backward) / ceiling)
            if let reference = theirs[row.name] {
                let best = min(reference.fastest.nchw, reference.fastest.channelsLast)
                let bestMedian = min(reference.median.nchw, reference.median.channelsLast)
                let ratio = (forward + backward) / best
                let ratioMedian = (row.forwardSeconds + row.backwardSeconds) / bestMedian
                line += String(format: "  %9.2f  %8.2f  %5.2f  %6.2f", 1000 * reference.fastest.nchw,
                               1000 * reference.fastest.channelsLast, ratio, ratioMedian)
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

    /// PyTorch's times per shape name: fastest and median forward + backward, in both layouts
    /// (empty, with a line saying why, where PyTorch is not installed or fails).
    func pytorchTimes() throws -> [String: (fastest: (nchw: Double, channelsLast: Double),
                                             median: (nchw: Double, channelsLast: Double))] {
        let (tools, reason) = ReferenceTools.locate(python: python)
        guard let tools, tools.has(["torch"]) else {
            print("PyTorch: not installed (\(reason)); see scripts/bench/README.md")
            return [:]
        }
        let script = tools.scripts + "/../reference/tensor/bench_ops_pytorch.py"
        let result = try tools.run([script, "--batch", String(batch), "--height", String(height), "--width", String(width),
                                    "--repetitions", String(repetitions), "--min-seconds", String(minimumSeconds)])
        guard result.status == 0, let start = result.output.firstIndex(of: "{"),
            let json = try? JSON.parse(String(result.output[start...]))
        else {
            print("PyTorch: failed\n" + result.output.suffix(600))
            return [:]
        }
        var times: [String: (fastest: (nchw: Double, channelsLast: Double), median: (nchw: Double, channelsLast: Double))] = [:]
        for row in json["rows"]?.arrayValue ?? [] {
            guard let name = row["name"]?.stringValue, let layout = row["layout"]?.stringValue,
                let forward = row["forward_s"]?.doubleValue, let backward = row["backward_s"]?.doubleValue,
                let forwardMinimum = row["forward_min_s"]?.doubleValue, let backwardMinimum = row["backward_min_s"]?.doubleValue
            else { continue }
            var entry = times[name] ?? ((.infinity, .infinity), (.infinity, .infinity))
            if layout.contains("last") {
                entry.fastest.channelsLast = forwardMinimum + backwardMinimum
                entry.median.channelsLast = forward + backward
            } else {
                entry.fastest.nchw = forwardMinimum + backwardMinimum
                entry.median.nchw = forward + backward
            }
            times[name] = entry
        }
        return times
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
