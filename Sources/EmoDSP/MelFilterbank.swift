import Foundation
import RealModule

/// The Mel frequency scale.
public enum MelScale: String, Sendable, Hashable, CaseIterable {
    /// Slaney's Auditory Toolbox scale (librosa's default, `htk=False`): linear below 1 kHz at 200/3 Hz per
    /// Mel, logarithmic above (27 Mels per factor 6.4).
    case slaney
    /// HTK: mel = 2595 · log10(1 + f / 700).
    case htk

    /// Hz → Mel.
    public func mel(fromHz hz: Double) -> Double {
        switch self {
        case .htk:
            return 2595.0 * log10(1.0 + hz / 700.0)
        case .slaney:
            let fSp = 200.0 / 3.0
            let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27.0
            return hz >= minLogHz ? minLogMel + log(hz / minLogHz) / logStep : hz / fSp
        }
    }

    /// Mel → Hz.
    public func hz(fromMel mel: Double) -> Double {
        switch self {
        case .htk:
            return 700.0 * (pow(10.0, mel / 2595.0) - 1.0)
        case .slaney:
            let fSp = 200.0 / 3.0
            let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27.0
            return mel >= minLogMel ? minLogHz * exp(logStep * (mel - minLogMel)) : fSp * mel
        }
    }
}

/// Area normalisation of Mel filters.
public enum MelNormalization: String, Sendable, Hashable, CaseIterable {
    /// Each triangle scaled by 2 / (f_hi − f_lo), so every band has about the same area (librosa `norm='slaney'`).
    case slaney
    /// Triangles peak at 1 (librosa `norm=None`).
    case none
}

/// A triangular Mel filterbank, built exactly as `librosa.filters.mel` (in Double, stored as Float),
/// and stored sparsely: each band keeps only its contiguous run of non-zero weights.
///
/// Band edges are `melBands + 2` points evenly spaced in Mel between `fmin` and `fmax` (numpy linspace);
/// band i's weight at FFT bin k (frequency k·sampleRate/fftSize) is
/// `max(0, min((f_k − e_i)/(e_{i+1} − e_i), (e_{i+2} − f_k)/(e_{i+2} − e_{i+1})))`, times
/// `2/(e_{i+2} − e_i)` with Slaney normalisation. A band with no bin strictly inside it stays empty
/// (all zeros), as in librosa.
public struct MelFilterbank: Sendable, Equatable {
    /// Sample rate in Hz.
    public let sampleRate: Int
    /// FFT size the bins come from; bins = fftSize / 2 + 1.
    public let fftSize: Int
    /// Number of Mel bands.
    public let melBands: Int
    /// Lowest edge in Hz.
    public let fmin: Double
    /// Highest edge in Hz.
    public let fmax: Double
    /// Scale.
    public let scale: MelScale
    /// Normalisation.
    public let normalization: MelNormalization
    /// First non-zero bin of each band (0 for an empty band).
    let starts: [Int]
    /// Number of non-zero bins of each band.
    let lengths: [Int]
    /// Offset of each band's weights in `weights`.
    let offsets: [Int]
    /// All bands' non-zero runs, concatenated.
    let weights: [Float]

    /// FFT bins per frame.
    public var bins: Int { fftSize / 2 + 1 }

    /// Builds the filterbank; `fmax` nil means sampleRate / 2. Throws `invalidParameter` on bad settings.
    public init(
        sampleRate: Int, fftSize: Int, melBands: Int, fmin: Double = 0, fmax: Double? = nil,
        scale: MelScale = .slaney, normalization: MelNormalization = .slaney
    ) throws {
        let top = fmax ?? Double(sampleRate) / 2
        var problems: [String] = []
        if sampleRate <= 0 { problems.append("sampleRate must be positive (got \(sampleRate))") }
        if fftSize < 2 { problems.append("fftSize must be at least 2 (got \(fftSize))") }
        if melBands < 1 { problems.append("melBands must be at least 1 (got \(melBands))") }
        if fmin < 0 || !(fmin < top) { problems.append("need 0 ≤ fmin < fmax (got fmin \(fmin), fmax \(top))") }
        if sampleRate > 0 && top > Double(sampleRate) / 2 {
            problems.append("fmax \(top) Hz is above the Nyquist frequency \(Double(sampleRate) / 2) Hz")
        }
        if !problems.isEmpty { throw AudioError(.invalidParameter, reason: problems.joined(separator: "; ")) }
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.melBands = melBands
        self.fmin = fmin
        self.fmax = top
        self.scale = scale
        self.normalization = normalization

        let dense = Self.denseWeights(
            sampleRate: sampleRate, fftSize: fftSize, melBands: melBands, fmin: fmin, fmax: top, scale: scale,
            normalization: normalization)
        let bins = fftSize / 2 + 1
        var starts = [Int](), lengths = [Int](), offsets = [Int](), weights = [Float]()
        for band in 0..<melBands {
            let row = dense[(band * bins)..<((band + 1) * bins)]
            let first = row.firstIndex { $0 != 0 }
            let last = row.lastIndex { $0 != 0 }
            offsets.append(weights.count)
            if let first, let last {
                starts.append(first - band * bins)
                lengths.append(last - first + 1)
                weights.append(contentsOf: row[first...last])
            } else {
                starts.append(0)
                lengths.append(0)
            }
        }
        self.starts = starts
        self.lengths = lengths
        self.offsets = offsets
        self.weights = weights
    }

    /// librosa's algorithm, in Double, as Float (melBands × bins, band-major).
    static func denseWeights(
        sampleRate: Int, fftSize: Int, melBands: Int, fmin: Double, fmax: Double, scale: MelScale,
        normalization: MelNormalization
    ) -> [Float] {
        let bins = fftSize / 2 + 1
        let fftFrequencies = (0..<bins).map { Double($0) * Double(sampleRate) / Double(fftSize) }
        // numpy.linspace(min_mel, max_mel, n): start + i·step, the last point set to stop exactly.
        let count = melBands + 2
        let minMel = scale.mel(fromHz: fmin), maxMel = scale.mel(fromHz: fmax)
        let step = (maxMel - minMel) / Double(count - 1)
        var mels = (0..<count).map { minMel + Double($0) * step }
        mels[count - 1] = maxMel
        let edges = mels.map { scale.hz(fromMel: $0) }
        var result = [Float](repeating: 0, count: melBands * bins)
        for band in 0..<melBands {
            let lowDiff = edges[band + 1] - edges[band]
            let highDiff = edges[band + 2] - edges[band + 1]
            let norm = normalization == .slaney ? 2.0 / (edges[band + 2] - edges[band]) : 1.0
            for k in 0..<bins {
                let lower = -(edges[band] - fftFrequencies[k]) / lowDiff
                let upper = (edges[band + 2] - fftFrequencies[k]) / highDiff
                let w = max(0, min(lower, upper))
                result[band * bins + k] = Float(w * norm)
            }
        }
        return result
    }

    /// The full matrix (melBands × bins, band-major), as librosa returns it.
    public func denseMatrix() -> [Float] {
        var result = [Float](repeating: 0, count: melBands * bins)
        for band in 0..<melBands where lengths[band] > 0 {
            for j in 0..<lengths[band] { result[band * bins + starts[band] + j] = weights[offsets[band] + j] }
        }
        return result
    }

    /// Applies the filterbank to a frames × bins power (or magnitude) spectrogram: frames × melBands.
    public func apply(_ spectrogram: Spectrogram) -> Spectrogram {
        precondition(spectrogram.bins == bins, "spectrogram has \(spectrogram.bins) bins, the filterbank expects \(bins)")
        var out = [Float](repeating: 0, count: spectrogram.frames * melBands)
        spectrogram.values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for frame in 0..<spectrogram.frames {
                    apply(row: input.baseAddress! + frame * bins, into: output.baseAddress! + frame * melBands)
                }
            }
        }
        return Spectrogram(frames: spectrogram.frames, bins: melBands, values: out)
    }

    /// Frames processed together by `apply(block:lanes:into:rowStride:)`.
    static let blockFrames = 8

    /// Eight frames at once: `input[8k + l]` holds bin k of frame l (memory aligned to 32 bytes); frame `l < lanes` goes to
    /// `output[l · rowStride + band]`. Each band's sum runs along the lanes, so the short sums of the low
    /// bands are not one long chain of dependent scalar additions. Per frame, the same products summed in
    /// the same order as `apply(row:into:)` for bands shorter than the vector width.
    @inline(__always)
    func apply(block input: UnsafePointer<Float>, lanes: Int, into output: UnsafeMutablePointer<Float>, rowStride: Int) {
        let raw = UnsafeRawPointer(input)
        let stride = MemoryLayout<SIMD8<Float>>.stride
        weights.withUnsafeBufferPointer { w in
            starts.withUnsafeBufferPointer { start in
                lengths.withUnsafeBufferPointer { length in
                    offsets.withUnsafeBufferPointer { offset in
                        for band in 0..<melBands {
                            let source = raw + start[band] * stride
                            let weight = w.baseAddress! + offset[band]
                            var sum = SIMD8<Float>()
                            for j in 0..<length[band] {
                                sum += source.load(fromByteOffset: j * stride, as: SIMD8<Float>.self) * weight[j]
                            }
                            for lane in 0..<lanes { output[lane * rowStride + band] = sum[lane] }
                        }
                    }
                }
            }
        }
    }

    /// One frame: `output[band] = Σ_k weight[band, k] · input[k]`, touching only non-zero weights.
    @inline(__always)
    func apply(row input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        weights.withUnsafeBufferPointer { w in
            starts.withUnsafeBufferPointer { start in
                lengths.withUnsafeBufferPointer { length in
                    offsets.withUnsafeBufferPointer { offset in
                        for band in 0..<melBands {
                            let source = input + start[band]
                            let weight = w.baseAddress! + offset[band]
                            var sum: Float = 0
                            for j in 0..<length[band] { sum = Relaxed.multiplyAdd(weight[j], source[j], sum) }
                            output[band] = sum
                        }
                    }
                }
            }
        }
    }
}
