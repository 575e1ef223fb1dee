import EmoTensor
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Timings of a model benchmark.
public struct BenchmarkResult: Sendable {
    /// Median wall-clock seconds per step (training) or per forward pass (inference).
    public var secondsPerStep: Double
    /// batch / secondsPerStep.
    public var samplesPerSecond: Double
    /// The process's peak resident set size so far, in bytes (`getrusage` maxrss).
    public var peakResidentBytes: Int
    /// Every timed step, in seconds (warm-up excluded).
    public var stepSeconds: [Double]
}

/// The process's peak resident set size in bytes.
public func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)  // bytes on macOS
    #endif
}

/// Times training steps as `scripts/train_bench.py` does: forward + cross-entropy + backward + Adam
/// (lr 1e-3, β (0.9, 0.999), L2 1e-4) on a fixed standard-normal batch [batch, inputChannels,
/// height, width] with uniform labels, after `warmup` untimed steps; the median step is reported.
public func benchmarkTraining(
    config: ModelConfig, batch: Int = 64, height: Int = 128, width: Int = 300, steps: Int = 5, warmup: Int = 1,
    seed: UInt64 = 0
) throws -> BenchmarkResult {
    let labels = (0..<config.head.classes).map { "class\($0)" }
    let classifier = try Classifier(config: config, labels: labels, seed: seed)
    var generator = SeededGenerator(seed: seed &+ 1)
    let x = Tensor.randomNormal(shape: [batch, config.stem.inputChannels, height, width], using: &generator)
    let y = (0..<batch).map { _ in Int.random(in: 0..<config.head.classes, using: &generator) }
    var times: [Double] = []
    for step in 0..<(warmup + steps) {
        let start = DispatchTime.now().uptimeNanoseconds
        try classifier.trainStep(batch: x, labels: y)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if step >= warmup { times.append(seconds) }
    }
    let perStep = median(times)
    return BenchmarkResult(
        secondsPerStep: perStep, samplesPerSecond: Double(batch) / perStep, peakResidentBytes: peakResidentBytes(),
        stepSeconds: times)
}

/// Times evaluation-mode forward passes (no tape recording) on a standard-normal batch, after
/// `warmup` untimed passes; the median pass is reported.
public func benchmarkInference(
    config: ModelConfig, batch: Int = 64, height: Int = 128, width: Int = 300, steps: Int = 5, warmup: Int = 1,
    seed: UInt64 = 0
) throws -> BenchmarkResult {
    let labels = (0..<config.head.classes).map { "class\($0)" }
    let classifier = try Classifier(config: config, labels: labels, seed: seed)
    var generator = SeededGenerator(seed: seed &+ 1)
    let x = Tensor.randomNormal(shape: [batch, config.stem.inputChannels, height, width], using: &generator)
    var times: [Double] = []
    for step in 0..<(warmup + steps) {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try classifier.logits(x)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if step >= warmup { times.append(seconds) }
    }
    let perStep = median(times)
    return BenchmarkResult(
        secondsPerStep: perStep, samplesPerSecond: Double(batch) / perStep, peakResidentBytes: peakResidentBytes(),
        stepSeconds: times)
}
