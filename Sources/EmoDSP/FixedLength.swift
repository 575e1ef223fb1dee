/// Where a fixed-length window is taken from a longer spectrogram.
public enum CropPosition: Sendable, Hashable {
    /// Start at frame `offset` (clamped to the valid range 0...frames − length).
    case start(Int)
    /// Start at `floor(u · (frames − length + 1))` for a uniform draw `u` in [0, 1) (random crop).
    case random(Double)
    /// Centre: start at `(frames − length) / 2` (rounded down).
    case centre
}

/// Crops or pads spectrograms to a fixed number of frames for batching.
///
/// Longer inputs are cropped at `position`; shorter ones keep all their frames at the start and are
/// padded at the end with `padValue` (use the dB floor or 0 for normalised features).
public struct FixedLength: Sendable, Hashable {
    /// Frames in the output.
    public var frames: Int
    /// Value of padded frames.
    public var padValue: Float

    /// Creates the operation; `frames` must be positive.
    public init(frames: Int, padValue: Float = 0) throws {
        guard frames > 0 else { throw AudioError(.invalidParameter, reason: "frames must be positive (got \(frames))") }
        self.frames = frames
        self.padValue = padValue
    }

    /// The first frame taken from an input of `inputFrames` frames.
    public func startFrame(inputFrames: Int, position: CropPosition) -> Int {
        let slack = inputFrames - frames
        guard slack > 0 else { return 0 }
        switch position {
        case .start(let offset): return min(max(0, offset), slack)
        case .random(let u): return min(slack, max(0, Int((min(max(u, 0), 1) * Double(slack + 1)).rounded(.down))))
        case .centre: return slack / 2
        }
    }

    /// The cropped or padded spectrogram (`frames` × bins).
    public func apply(_ spectrogram: Spectrogram, position: CropPosition) -> Spectrogram {
        let bins = spectrogram.bins
        let start = startFrame(inputFrames: spectrogram.frames, position: position)
        let kept = min(frames, spectrogram.frames - start)
        var values = [Float](repeating: padValue, count: frames * bins)
        values.withUnsafeMutableBufferPointer { out in
            spectrogram.values.withUnsafeBufferPointer { input in
                if kept > 0 {
                    out.baseAddress!.update(from: input.baseAddress! + start * bins, count: kept * bins)
                }
            }
        }
        return Spectrogram(frames: frames, bins: bins, values: values)
    }
}
