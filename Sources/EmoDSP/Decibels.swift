import Foundation

/// The reference level of a power-to-dB conversion.
public enum DecibelReference: Sendable, Hashable {
    /// A fixed reference power (librosa `ref=1.0` is `.value(1)`).
    case value(Float)
    /// The largest power of the item (librosa `ref=np.max`).
    case maximum
}

/// Power to decibels with librosa's `power_to_db` semantics.
///
/// `dB = 10·log10(max(x, amin)) − 10·log10(max(ref, amin))`; then, if `topDb` is set, every value is
/// raised to at least `max(dB) − topDb`. The `amin` floor (default 1e-10, i.e. −100 dB re 1) means
/// silence gives a finite floor, never −inf or NaN. Inputs must be finite (a power spectrum of finite
/// samples is); the log is a vectorised Cephes-style polynomial within 2e-5 dB of `log10`.
public struct PowerToDecibels: Sendable, Hashable {
    /// Reference level.
    public var reference: DecibelReference
    /// Smallest power considered (> 0).
    public var amin: Float
    /// Dynamic range kept below the maximum, in dB (nil: no clipping).
    public var topDb: Float?

    /// Creates a converter; throws `invalidParameter` if amin ≤ 0, topDb < 0 or a fixed reference ≤ 0.
    public init(reference: DecibelReference = .value(1), amin: Float = 1e-10, topDb: Float? = nil) throws {
        guard amin >= Float.leastNormalMagnitude, amin.isFinite else {
            throw AudioError(.invalidParameter, reason: "amin must be a positive normal float, at least 1.2e-38 (got \(amin))")
        }
        if let topDb, topDb < 0 { throw AudioError(.invalidParameter, reason: "topDb must be non-negative (got \(topDb))") }
        if case .value(let r) = reference, !(r > 0) {
            throw AudioError(.invalidParameter, reason: "the reference power must be positive (got \(r))")
        }
        self.reference = reference
        self.amin = amin
        self.topDb = topDb
    }

    /// Converts every value in place.
    public func apply(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { apply($0) }
    }

    /// Converts a spectrogram (same shape).
    public func apply(_ spectrogram: Spectrogram) -> Spectrogram {
        var result = spectrogram
        apply(&result.values)
        return result
    }

    func apply(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        let count = values.count
        let floor = amin
        var refPower: Float
        switch reference {
        case .value(let r): refPower = r
        case .maximum:
            refPower = 0
            for i in 0..<count { refPower = max(refPower, base[i]) }
        }
        // The same log as the values, so that x == ref gives exactly 0 dB.
        let offset = FastMath.decibels(max(refPower, amin))
        // Branch-free so that it vectorises: every input is clamped to amin ≥ the smallest normal float.
        for i in 0..<count {
            base[i] = FastMath.naturalLog(max(base[i], floor)) * FastMath.decibelsPerNeper - offset
        }
        if let topDb {
            var peak = -Float.infinity
            for i in 0..<count { peak = max(peak, base[i]) }
            let lowest = peak - topDb
            for i in 0..<count { base[i] = max(base[i], lowest) }
        }
    }
}
