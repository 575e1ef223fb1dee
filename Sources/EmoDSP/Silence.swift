import Foundation

/// Peak level in dBFS (20·log10 of the largest absolute sample; −inf for an all-zero or empty signal).
public func peakDecibels(_ samples: [Float]) -> Float {
    var peak: Float = 0
    for s in samples { peak = max(peak, abs(s)) }
    return peak > 0 ? 20 * log10(peak) : -.infinity
}

/// RMS level in dBFS (−inf for an all-zero or empty signal).
public func rmsDecibels(_ samples: [Float]) -> Float {
    guard !samples.isEmpty else { return -.infinity }
    var sum: Double = 0
    for s in samples { sum += Double(s) * Double(s) }
    let rms = (sum / Double(samples.count)).squareRoot()
    return rms > 0 ? Float(20 * log10(rms)) : -.infinity
}

/// Whether a signal is silent: its peak level is below `thresholdDB` dBFS (default −60 dBFS, well below
/// speech and above 16-bit dither at about −90 dBFS). An empty signal is silent.
public func isSilent(_ samples: [Float], thresholdDB: Float = -60) -> Bool {
    guard thresholdDB.isFinite else { return peakDecibels(samples) < thresholdDB }
    // Exactly `peakDecibels(samples) < thresholdDB`, as "no |sample| reaches the smallest float whose level
    // is at least the threshold", tested on the bit patterns with an OR-reduction that the compiler
    // vectorises (a float max over the samples does not). NaN samples are ignored, as by `max`.
    let bound = Int32(bitPattern: loudnessBound(thresholdDB).bitPattern)
    let infinity = Int32(bitPattern: Float.infinity.bitPattern)
    return samples.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return true }
        var loud: Int32 = 0
        for i in 0..<buffer.count {
            let magnitude = Int32(bitPattern: base[i].bitPattern & 0x7fff_ffff)
            // Masks by sign bits (−1 when true), no comparisons: that form vectorises.
            let below = (magnitude &- bound) >> 31
            let notANumber = (infinity &- magnitude) >> 31
            loud |= ~(below | notANumber)
        }
        return loud == 0
    }
}

/// The smallest non-negative float `x` with `20·log10(x) >= thresholdDB` (finite threshold).
func loudnessBound(_ thresholdDB: Float) -> Float {
    func level(_ x: Float) -> Float { x > 0 ? 20 * log10(x) : -.infinity }
    var x = Float(pow(10, Double(thresholdDB) / 20))
    while x > 0 && level(x.nextDown) >= thresholdDB { x = x.nextDown }
    while level(x) < thresholdDB && x < .infinity { x = x.nextUp }
    return x
}
