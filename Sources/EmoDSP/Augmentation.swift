/// What a shifted or masked region is filled with.
public enum FillValue: Sendable, Hashable {
    /// 0.
    case zero
    /// The mean of the whole input spectrogram (computed before the operation).
    case mean
    /// A given value.
    case constant(Float)

    func resolve(_ spectrogram: Spectrogram) -> Float {
        switch self {
        case .zero: return 0
        case .constant(let v): return v
        case .mean:
            guard !spectrogram.values.isEmpty else { return 0 }
            let stats = spectrogram.values.withUnsafeBufferPointer { Normalisation.utteranceStatistics($0) }
            return Float(stats.mean)
        }
    }
}

/// How a time shift treats frames pushed past an edge.
public enum ShiftMode: Sendable, Hashable {
    /// Circular: frames leaving one end re-enter at the other.
    case roll
    /// Frames leaving are dropped; the vacated frames are filled.
    case pad(FillValue)
}

/// Augmentation kernels. Each takes its random draws as explicit arguments, so the caller controls
/// reproducibility (draw them from `SplitMix64(runSeed:epoch:itemID:nodeID:)`).
public enum Augmentation {
    /// Shifts along time by `frames` (positive: later, towards the end; negative: earlier).
    /// Output frame t takes input frame t − shift.
    public static func timeShift(_ spectrogram: Spectrogram, frames shift: Int, mode: ShiftMode) -> Spectrogram {
        let n = spectrogram.frames, bins = spectrogram.bins
        guard n > 0, shift != 0 else { return spectrogram }
        var out: Spectrogram
        switch mode {
        case .roll:
            out = spectrogram
            let s = ((shift % n) + n) % n
            for t in 0..<n {
                let source = (t - s + n) % n
                for b in 0..<bins { out.values[t * bins + b] = spectrogram.values[source * bins + b] }
            }
        case .pad(let fill):
            out = Spectrogram(frames: n, bins: bins, repeating: fill.resolve(spectrogram))
            for t in 0..<n {
                let source = t - shift
                guard source >= 0 && source < n else { continue }
                for b in 0..<bins { out.values[t * bins + b] = spectrogram.values[source * bins + b] }
            }
        }
        return out
    }

    /// SpecAugment frequency mask: bins [start, start + width) of every frame are set to `fill`
    /// (clipped to the spectrogram). With f ~ U(0, F) and start ~ U(0, bins − f), as the paper draws them.
    public static func frequencyMask(_ spectrogram: Spectrogram, start: Int, width: Int, fill: FillValue) -> Spectrogram {
        let lo = max(0, start), hi = min(spectrogram.bins, start + max(0, width))
        guard lo < hi else { return spectrogram }
        let value = fill.resolve(spectrogram)
        var out = spectrogram
        for t in 0..<out.frames {
            for b in lo..<hi { out.values[t * out.bins + b] = value }
        }
        return out
    }

    /// SpecAugment time mask: frames [start, start + width) are set to `fill` (clipped to the spectrogram).
    public static func timeMask(_ spectrogram: Spectrogram, start: Int, width: Int, fill: FillValue) -> Spectrogram {
        let lo = max(0, start), hi = min(spectrogram.frames, start + max(0, width))
        guard lo < hi else { return spectrogram }
        let value = fill.resolve(spectrogram)
        var out = spectrogram
        for i in (lo * out.bins)..<(hi * out.bins) { out.values[i] = value }
        return out
    }
}
