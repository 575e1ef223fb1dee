/// A real matrix of `frames` × `bins` values, frame-major (row-major with one row per frame):
/// `values[frame * bins + bin]`. Used for STFT magnitude/power, Mel and log-Mel spectrograms.
///
/// librosa and torchaudio store (bins, frames); use `transposed()` to get that order.
public struct Spectrogram: Sendable, Equatable {
    /// Number of frames (time steps).
    public var frames: Int
    /// Number of bins per frame (FFT bins or Mel bands).
    public var bins: Int
    /// `frames * bins` values, frame-major.
    public var values: [Float]

    /// Creates a spectrogram; `values.count` must equal `frames * bins`.
    public init(frames: Int, bins: Int, values: [Float]) {
        precondition(frames >= 0 && bins >= 0 && values.count == frames * bins, "values.count must be frames × bins")
        self.frames = frames
        self.bins = bins
        self.values = values
    }

    /// A spectrogram of `frames` × `bins` filled with `value`.
    public init(frames: Int, bins: Int, repeating value: Float) {
        self.init(frames: frames, bins: bins, values: [Float](repeating: value, count: frames * bins))
    }

    /// The value at (`frame`, `bin`).
    public subscript(frame: Int, bin: Int) -> Float {
        get { values[frame * bins + bin] }
        set { values[frame * bins + bin] = newValue }
    }

    /// The values in (bins, frames) order, as librosa lays them out: `result[bin * frames + frame]`.
    public func transposed() -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        for f in 0..<frames {
            for b in 0..<bins { result[b * frames + f] = values[f * bins + b] }
        }
        return result
    }

    /// Builds a spectrogram from values in (bins, frames) order (the librosa layout).
    public static func fromBinMajor(_ values: [Float], bins: Int, frames: Int) -> Spectrogram {
        precondition(values.count == bins * frames, "values.count must be bins × frames")
        var result = [Float](repeating: 0, count: values.count)
        for b in 0..<bins {
            for f in 0..<frames { result[f * bins + b] = values[b * frames + f] }
        }
        return Spectrogram(frames: frames, bins: bins, values: result)
    }
}
