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
    peakDecibels(samples) < thresholdDB
}
