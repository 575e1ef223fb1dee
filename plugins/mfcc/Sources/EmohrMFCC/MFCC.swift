/// Mel-frequency cepstral coefficients from a log-Mel spectrogram in dB, and their deltas, with
/// librosa's conventions.
///
/// MFCC: per frame, the orthonormal DCT-II over the Mel bands, first `coefficients` kept:
/// c[k] = s(k) · Σ_m x[m] · cos(π k (2m + 1) / 2M), s(0) = √(1/M), s(k > 0) = √(2/M)
/// (`librosa.feature.mfcc(S=logmel_db, dct_type=2, norm='ortho')`).
/// Delta: `librosa.feature.delta(width=w, order=1, mode='interp')`, a Savitzky–Golay first
/// derivative: inside, d[t] = Σ_{n=−h…h} n · c[t + n] / Σ n² with h = (w − 1)/2; in the first and
/// last h frames, the slope of the least-squares line through the first (last) w frames.
public struct MFCC: Sendable {
    /// Mel bands in.
    public let melBands: Int
    /// Coefficients out per frame.
    public let coefficients: Int
    /// DCT basis, coefficients × melBands.
    let basis: [Float]

    /// A transform from `melBands` bands to `coefficients` coefficients (≤ melBands).
    public init(melBands: Int, coefficients: Int) {
        precondition(coefficients >= 1 && coefficients <= melBands, "MFCC: 1 ≤ coefficients ≤ melBands")
        self.melBands = melBands
        self.coefficients = coefficients
        var basis = [Float](repeating: 0, count: coefficients * melBands)
        let m = Double(melBands)
        for k in 0..<coefficients {
            let scale = k == 0 ? (1 / m).squareRoot() : (2 / m).squareRoot()
            for band in 0..<melBands {
                basis[k * melBands + band] = Float(scale * cosine(Double.pi * Double(k) * (2 * Double(band) + 1) / (2 * m)))
            }
        }
        self.basis = basis
    }

    /// frames × melBands (frame-major) → frames × coefficients.
    public func apply(_ logMel: [Float], frames: Int) -> [Float] {
        precondition(logMel.count == frames * melBands, "MFCC: \(logMel.count) values for \(frames)×\(melBands)")
        var out = [Float](repeating: 0, count: frames * coefficients)
        for frame in 0..<frames {
            let row = frame * melBands
            for k in 0..<coefficients {
                var sum: Double = 0
                let base = k * melBands
                for band in 0..<melBands { sum += Double(basis[base + band]) * Double(logMel[row + band]) }
                out[frame * coefficients + k] = Float(sum)
            }
        }
        return out
    }

    /// First-order deltas of frames × features (frame-major) over `width` frames (odd, ≥ 3, ≤ frames).
    public static func deltas(_ values: [Float], frames: Int, features: Int, width: Int) -> [Float] {
        precondition(width >= 3 && width % 2 == 1 && width <= frames, "deltas: width must be odd, ≥ 3 and ≤ frames")
        let half = width / 2
        let norm = Double((1...half).reduce(0) { $0 + 2 * $1 * $1 })
        var out = [Float](repeating: 0, count: values.count)
        for feature in 0..<features {
            func x(_ t: Int) -> Double { Double(values[t * features + feature]) }
            func slope(from start: Int) -> Double {
                var sum: Double = 0
                for n in 0..<width { sum += Double(n - half) * x(start + n) }
                return sum / norm
            }
            let head = slope(from: 0), tail = slope(from: frames - width)
            for t in 0..<frames {
                let d: Double
                if t < half {
                    d = head
                } else if t >= frames - half {
                    d = tail
                } else {
                    var sum: Double = 0
                    for n in -half...half { sum += Double(n) * x(t + n) }
                    d = sum / norm
                }
                out[t * features + feature] = Float(d)
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
private func cosine(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
private func cosine(_ x: Double) -> Double { Darwin.cos(x) }
#endif
