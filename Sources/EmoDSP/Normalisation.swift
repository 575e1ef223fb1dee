import RealModule

/// Mean and standard deviation used to standardise a spectrogram: one pair for the whole matrix
/// (`mean.count == 1`) or one per bin (`mean.count == bins`).
public struct NormalisationStatistics: Sendable, Equatable, Codable {
    /// Means, one (global) or one per bin.
    public var mean: [Float]
    /// Population standard deviations, same count as `mean`.
    public var std: [Float]

    /// Creates statistics; `mean` and `std` must have the same count.
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty, "mean and std must be non-empty and equally long")
        self.mean = mean
        self.std = std
    }

    /// Whether one pair applies to every bin.
    public var isGlobal: Bool { mean.count == 1 }
}

/// Standardisation: `(x − mean) / (std + epsilon)`.
///
/// The standard deviation is the population one (ddof = 0, numpy's default), and `epsilon`
/// (default 1e-8, as the reference pipeline) is added to it, so a constant input gives zeros rather
/// than NaN. Sums are accumulated in Double.
public enum Normalisation {
    /// Default guard added to the standard deviation.
    public static let defaultEpsilon: Float = 1e-8

    /// Mean and population std over every value (one pair), in Double.
    public static func utteranceStatistics(_ values: UnsafeBufferPointer<Float>) -> (mean: Double, std: Double) {
        guard !values.isEmpty else { return (0, 0) }
        var sum: Double = 0
        for v in values { sum = Relaxed.sum(sum, Double(v)) }
        let mean = sum / Double(values.count)
        var squares: Double = 0
        for v in values {
            let d = Double(v) - mean
            squares = Relaxed.multiplyAdd(d, d, squares)
        }
        return (mean, (squares / Double(values.count)).squareRoot())
    }

    /// Standardises in place over the whole matrix with its own mean and std (per-utterance).
    public static func normaliseUtterance(_ spectrogram: inout Spectrogram, epsilon: Float = defaultEpsilon) {
        spectrogram.values.withUnsafeMutableBufferPointer { normaliseUtterance($0, epsilon: epsilon) }
    }

    static func normaliseUtterance(_ values: UnsafeMutableBufferPointer<Float>, epsilon: Float) {
        let (mean, std) = utteranceStatistics(UnsafeBufferPointer(values))
        let m = Float(mean)
        let scale = 1 / (Float(std) + epsilon)
        for i in values.indices { values[i] = (values[i] - m) * scale }
    }

    /// Standardises in place with given statistics (global or per bin), fitted elsewhere.
    /// Throws `invalidParameter` if per-bin statistics do not match the bin count.
    public static func apply(
        _ statistics: NormalisationStatistics, to spectrogram: inout Spectrogram, epsilon: Float = defaultEpsilon
    ) throws {
        let bins = spectrogram.bins
        guard statistics.isGlobal || statistics.mean.count == bins else {
            throw AudioError(
                .invalidParameter,
                reason: "statistics have \(statistics.mean.count) bins, the spectrogram has \(bins)")
        }
        let scales = statistics.std.map { 1 / ($0 + epsilon) }
        let means = statistics.mean
        spectrogram.values.withUnsafeMutableBufferPointer { values in
            if statistics.isGlobal {
                for i in values.indices { values[i] = (values[i] - means[0]) * scales[0] }
            } else {
                for frame in 0..<spectrogram.frames {
                    let row = frame * bins
                    for b in 0..<bins { values[row + b] = (values[row + b] - means[b]) * scales[b] }
                }
            }
        }
    }
}

/// Fits per-bin (and global) mean and population std over many spectrograms, for statistics fitted on
/// the training split only. Uses Chan et al.'s pairwise update in Double, so the order of items and
/// their lengths do not affect the result beyond rounding.
public struct StatisticsAccumulator: Sendable, Equatable {
    /// Bins per frame; fixed by the first spectrogram added (or at init).
    public private(set) var bins: Int
    /// Frames seen so far.
    public private(set) var frames: Int = 0
    private var means: [Double]
    private var m2: [Double]

    /// Creates an empty accumulator for `bins` bins.
    public init(bins: Int) {
        precondition(bins > 0, "bins must be positive")
        self.bins = bins
        means = [Double](repeating: 0, count: bins)
        m2 = [Double](repeating: 0, count: bins)
    }

    /// Adds every frame of `spectrogram`; throws `invalidParameter` on a bin-count mismatch.
    public mutating func add(_ spectrogram: Spectrogram) throws {
        guard spectrogram.bins == bins else {
            throw AudioError(.invalidParameter, reason: "spectrogram has \(spectrogram.bins) bins, accumulator \(bins)")
        }
        let n = spectrogram.frames
        guard n > 0 else { return }
        var batchMean = [Double](repeating: 0, count: bins)
        var batchM2 = [Double](repeating: 0, count: bins)
        spectrogram.values.withUnsafeBufferPointer { v in
            for f in 0..<n { for b in 0..<bins { batchMean[b] += Double(v[f * bins + b]) } }
            for b in 0..<bins { batchMean[b] /= Double(n) }
            for f in 0..<n {
                for b in 0..<bins {
                    let d = Double(v[f * bins + b]) - batchMean[b]
                    batchM2[b] += d * d
                }
            }
        }
        let total = Double(frames + n)
        for b in 0..<bins {
            let delta = batchMean[b] - means[b]
            means[b] += delta * Double(n) / total
            m2[b] += batchM2[b] + delta * delta * Double(frames) * Double(n) / total
        }
        frames += n
    }

    /// Per-bin statistics (population std); throws `empty` if nothing was added.
    public func perBinStatistics() throws -> NormalisationStatistics {
        guard frames > 0 else { throw AudioError(.empty, reason: "no frames were accumulated") }
        return NormalisationStatistics(
            mean: means.map { Float($0) }, std: m2.map { Float(($0 / Double(frames)).squareRoot()) })
    }

    /// One global mean and std over all bins and frames; throws `empty` if nothing was added.
    public func globalStatistics() throws -> NormalisationStatistics {
        guard frames > 0 else { throw AudioError(.empty, reason: "no frames were accumulated") }
        let mean = means.reduce(0, +) / Double(bins)
        // Total sum of squares = within-bin + between-bin parts.
        var squares: Double = 0
        for b in 0..<bins { squares += m2[b] + Double(frames) * (means[b] - mean) * (means[b] - mean) }
        let std = (squares / Double(frames * bins)).squareRoot()
        return NormalisationStatistics(mean: [Float(mean)], std: [Float(std)])
    }
}
