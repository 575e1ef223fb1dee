/// Writes audio files through libsndfile (WAV or AIFF; 16/24/32-bit PCM, 32/64-bit float).
///
/// Integer encodings: a sample x becomes round(x · 2^(bits−1)), clamped to the integer range, so every
/// value k / 2^(bits−1) written is decoded back exactly by `AudioDecoder`. Float encodings store the
/// values unchanged (no clipping).
public enum WAVWriter {
    /// Writes interleaved `samples` (`samples.count` a multiple of `channels`) to `path`.
    public static func write(
        _ samples: [Float], sampleRate: Int, channels: Int = 1, encoding: AudioEncoding = .pcm16,
        container: AudioContainer = .wav, to path: String
    ) throws {
        guard sampleRate > 0, channels > 0, samples.count % channels == 0 else {
            throw AudioError(
                .invalidParameter, path: path,
                reason: "need a positive rate, at least one channel and whole frames (rate \(sampleRate), channels \(channels), \(samples.count) samples)")
        }
        let file = try SndFileWriter(
            path: path, container: container, encoding: encoding, sampleRate: sampleRate, channels: channels)
        switch encoding {
        case .pcm16:
            try file.write(shorts: samples.map { Int16(clamping: Int(($0 * 32768).rounded())) })
        case .pcm24:
            // libsndfile keeps the top 24 bits of each Int32.
            try file.write(ints: samples.map { Int32(clamping: Int((Double($0) * 8_388_608).rounded())).clamped24 << 8 })
        case .pcm32:
            try file.write(ints: samples.map { Int32(clamping: Int64((Double($0) * 2_147_483_648).rounded())) })
        case .float32:
            try file.write(floats: samples)
        case .float64:
            try file.write(doubles: samples.map(Double.init))
        }
        try file.close()
    }
}

extension Int32 {
    fileprivate var clamped24: Int32 { Swift.min(Swift.max(self, -8_388_608), 8_388_607) }
}
