import ArgumentParser
import EmoDSP
import EmoJSON
import EmoNN
import EmoTensor
import Foundation

/// Runs `scripts/bench/train_bench.py` and returns its final JSON, or nil with a printed reason.
func pytorchModelBench(python: String?, arguments: [String]) throws -> JSON? {
    let (tools, reason) = ReferenceTools.locate(python: python)
    guard let tools, tools.has(["torch"]) else {
        print("PyTorch: not installed (\(reason)); see scripts/bench/README.md")
        return nil
    }
    let result = try tools.run(["train_bench.py"] + arguments)
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    guard result.status == 0, let start = lines.lastIndex(of: "{"),
        let json = try? JSON.parse(lines[start...].joined(separator: "\n"))
    else {
        print("PyTorch: failed\n" + result.output.suffix(600))
        return nil
    }
    return json
}

/// `emohr bench train`: seconds per training step of emohrnet-s (batch 64, forward + cross-entropy +
/// backward + Adam) at 1×128×300 and 1×64×300, against PyTorch's NCHW and channels-last layouts.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Training steps of emohrnet-s against PyTorch on the CPU.")

    @Option(help: "Batch size.") var batch = 64
    @Option(help: "Timed steps (median), after one warm-up step.") var steps = 3
    @Flag(help: "Also time PyTorch (2 threads, NCHW and channels-last).") var compare = false
    @Option(help: "Python interpreter with torch.") var python: String?

    func run() throws {
        let config = try ModelConfig.preset("emohrnet-s", classes: 8)
        var ours: [Int: Double] = [:]
        for height in [128, 64] {
            let result = try benchmarkTraining(config: config, batch: batch, height: height, width: 300, steps: steps, warmup: 1)
            ours[height] = result.secondsPerStep
            print(String(format: "emohr: training step, batch %d, 1×%d×300: %.3f s (%.1f samples/s), peak memory %d MiB",
                         batch, height, result.secondsPerStep, result.samplesPerSecond, result.peakResidentBytes >> 20))
        }
        guard compare else { return }
        var best = Double.infinity
        for channelsLast in [false, true] {
            let arguments = ["--skip-infer", "--steps", String(steps), "--warmup", "1", "--batch", String(batch)]
                + (channelsLast ? ["--channels-last"] : [])
            guard let json = try pytorchModelBench(python: python, arguments: arguments),
                let step = json["train_step_s"]?.arrayValue?.first?.doubleValue
            else { continue }
            print(String(format: "PyTorch %@: training step, batch %d, 1×128×300: %.2f s (%.1f samples/s), peak memory %.0f MiB",
                         json["torch"]?.stringValue ?? "", batch, step, Double(batch) / step, json["maxrss_MiB"]?.doubleValue ?? 0)
                + (channelsLast ? ", channels-last" : ", NCHW"))
            best = min(best, step)
        }
        if best.isFinite, let mine = ours[128] {
            print("(our step ÷ PyTorch's faster layout, 1×128×300)")
            print(String(format: "ratio vs PyTorch: %.2f", mine / best))
        }
    }
}

/// `emohr bench infer`: inference of a batch of emohrnet-s against PyTorch, and the latency of one
/// 3-s utterance from WAV file to label.
struct BenchInferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer", abstract: "Inference of emohrnet-s against PyTorch, and WAV-to-label latency.")

    @Option(help: "Batch size.") var batch = 64
    @Option(help: "Timed passes (median), after one warm-up.") var steps = 3
    @Flag(help: "Also time PyTorch (2 threads, NCHW and channels-last).") var compare = false
    @Option(help: "Python interpreter with torch.") var python: String?

    func run() throws {
        let config = try ModelConfig.preset("emohrnet-s", classes: 8)
        var ours: [Int: Double] = [:]
        for height in [128, 64] {
            let result = try benchmarkInference(config: config, batch: batch, height: height, width: 300, steps: steps, warmup: 1)
            ours[height] = result.secondsPerStep
            print(String(format: "emohr: inference, batch %d, 1×%d×300: %.3f s (%.1f samples/s), peak memory %d MiB",
                         batch, height, result.secondsPerStep, result.samplesPerSecond, result.peakResidentBytes >> 20))
        }
        try latency(config: config)
        guard compare else { return }
        var best = Double.infinity
        for channelsLast in [false, true] {
            let arguments = ["--skip-train", "--infer-iters", String(steps), "--batch", String(batch)] + (channelsLast ? ["--channels-last"] : [])
            guard let json = try pytorchModelBench(python: python, arguments: arguments),
                let step = json["infer_128x300_s"]?.arrayValue?.first?.doubleValue
            else { continue }
            let small = json["infer_64x300_s"]?.arrayValue?.first?.doubleValue ?? .nan
            print(String(format: "PyTorch %@ (%@): inference, batch %d: 1×128×300 %.2f s, 1×64×300 %.2f s",
                         json["torch"]?.stringValue ?? "", channelsLast ? "channels-last" : "NCHW", batch, step, small))
            best = min(best, step)
        }
        let (tools, _) = ReferenceTools.locate(python: python)
        if let tools, tools.has(["onnxruntime", "onnx"]) {
            let result = try tools.run(["infer_onnx.py", "--batch", String(batch), "--iters", String(max(steps, 3))])
            if result.status == 0, let seconds = ReferenceTools.number(before: "s", in: result.output.split(separator: "\n")
                .filter { $0.hasPrefix("onnxruntime") }.joined()), let mine = ours[128]
            {
                print(result.output.split(separator: "\n").last { $0.hasPrefix("onnxruntime") }.map(String.init) ?? "")
                print(String(format: "ratio vs ONNX Runtime: %.2f (our batch time ÷ ONNX Runtime's, 1×128×300)", mine / seconds))
            } else {
                print("ONNX Runtime: failed\n" + result.output.suffix(400))
            }
        } else {
            print("ONNX Runtime: not installed (pip install onnxruntime onnx)")
        }
        if best.isFinite, let mine = ours[128] {
            print("(our batch time ÷ PyTorch's faster layout, 1×128×300)")
            print(String(format: "ratio vs PyTorch: %.2f", mine / best))
        }
    }

    /// One 3-s 48 kHz utterance: decode → 16 kHz → 64-band log-Mel → normalise → 300 frames → label.
    func latency(config: ModelConfig) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-latency-\(getpid()).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples = SyntheticUtterance(profile: ProsodyProfile.emotion("angry")!, duration: 3, sampleRate: 48_000, seed: 1).render()
        try WAVWriter.write(samples, sampleRate: 48_000, to: path)
        let small = try ModelConfig.preset("emohrnet-s", classes: 8)
        let classifier = try Classifier(config: small, labels: (0..<8).map { "c\($0)" })
        let extractor = try LogMelExtractor(LogMelConfiguration(melBands: 64, fmax: 8000, normalisation: .utterance(epsilon: 1e-8)))
        let resampler = Resampler()
        let crop = try FixedLength(frames: 300)
        var times: [Double] = []
        for _ in 0..<4 {
            let start = Date()
            let audio = try decodeAudio(path: path)
            let resampled = try resampler.resample(audio.samples, from: audio.sampleRate, to: 16_000)
            let features = crop.apply(try extractor.extract(resampled), position: .centre)
            let input = Tensor(shape: [1, 1, features.bins, features.frames], scalars: features.transposed())
            let probabilities = try classifier.predict(input)
            _ = probabilities[0].indices.max { probabilities[0][$0] < probabilities[0][$1] }
            times.append(Date().timeIntervalSince(start))
        }
        let warm = times.dropFirst().sorted()
        print(String(format: "emohr: one 3-s 48 kHz utterance from WAV to label (1×64×300): %.0f ms (median of %d after warm-up)",
                     1000 * warm[warm.count / 2], warm.count))
    }
}
