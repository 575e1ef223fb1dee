import Foundation

/// Mono Float32 samples with their sample rate; the result of decoding and the input of resampling.
public struct AudioBuffer: Sendable, Equatable {
    /// Samples after the channel policy, nominally in [-1, 1].
    public var samples: [Float]
    /// Sample rate in Hz.
    public var sampleRate: Int
    /// Channel count of the source before the channel policy was applied.
    public var originalChannels: Int
    /// Frames the header announced, when it differs from `samples.count` (a truncated data chunk); else nil.
    public var declaredFrames: Int?

    /// Creates a buffer.
    public init(samples: [Float], sampleRate: Int, originalChannels: Int = 1, declaredFrames: Int? = nil) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.originalChannels = originalChannels
        self.declaredFrames = declaredFrames
    }

    /// Whether the file was shorter than its header announced.
    public var isTruncated: Bool { declaredFrames != nil }

    /// Duration in seconds.
    public var duration: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }
}

/// How a multi-channel file becomes mono.
public enum ChannelPolicy: Sendable, Equatable, Hashable {
    /// Average all channels (the librosa `mono=True` convention).
    case mix
    /// Take one channel, 0-based; decoding fails with `invalidParameter` if the file has fewer channels.
    /// Use this for corpora whose channels are different microphones (EMOVO), where averaging comb-filters.
    case channel(Int)
}

/// File container for `WAVWriter`.
public enum AudioContainer: String, Sendable, CaseIterable {
    case wav
    case aiff
}

/// Sample encoding for `WAVWriter` (and the set of encodings the decoder is tested on).
public enum AudioEncoding: String, Sendable, CaseIterable {
    case pcm16
    case pcm24
    case pcm32
    case float32
    case float64
}

/// Decodes audio files with libsndfile, by content rather than extension, to mono Float32.
///
/// Integer samples are scaled to [-1, 1) by 1/2^(bits-1) (16-bit: 1/32768), floating-point samples
/// are passed through (not clipped). 16-bit PCM is read as shorts and scaled here, which measured
/// about 4× faster than libsndfile's float conversion; every other subtype uses libsndfile's float path.
public struct AudioDecoder: Sendable {
    /// How channels are reduced to mono.
    public var channelPolicy: ChannelPolicy

    /// Creates a decoder with a channel policy (default: mix).
    public init(channelPolicy: ChannelPolicy = .mix) {
        self.channelPolicy = channelPolicy
    }

    /// Decodes `path`.
    ///
    /// Errors: `fileMissing` (no such path), `unreadable` (a directory, no permission, I/O error),
    /// `empty` (zero bytes, or a valid header with zero frames), `unsupportedFormat` (not audio, or an
    /// encoding libsndfile cannot read), `invalidParameter` (channel index out of range).
    /// A data chunk shorter than its header announces (a truncated file) decodes to the frames actually
    /// present; `AudioBuffer.declaredFrames` then records the announced count, so a caller can report
    /// or reject it (a caller that wants truncation to be an error throws `.truncated` on a non-nil value).
    public func decode(path: String) throws -> AudioBuffer {
        try Self.checkPath(path)
        let reader = try SndFileReader(path: path)
        let channels = reader.channels
        guard channels > 0, reader.sampleRate > 0 else {
            throw AudioError(.unsupportedFormat, path: path, reason: "header gives \(channels) channels at \(reader.sampleRate) Hz")
        }
        if case .channel(let index) = channelPolicy, index < 0 || index >= channels {
            throw AudioError(
                .invalidParameter, path: path,
                reason: "channel \(index) requested but the file has \(channels) channel(s) (valid: 0...\(channels - 1))")
        }
        guard reader.frames > 0 else {
            throw AudioError(.empty, path: path, reason: "the file has a header but no audio frames")
        }
        let (samples, framesRead) = try Self.readMono(reader, policy: channelPolicy)
        guard framesRead > 0 else {
            throw AudioError(.empty, path: path, reason: "no audio frames could be read")
        }
        return AudioBuffer(
            samples: samples, sampleRate: reader.sampleRate, originalChannels: channels,
            declaredFrames: framesRead != reader.frames ? reader.frames : reader.declaredFramesIfTruncated)
    }

    /// One `stat` and one `access` (FileManager's attribute calls cost more than reading a short file).
    static func checkPath(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw AudioError(.fileMissing, path: path, reason: "no such file")
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw AudioError(.unreadable, path: path, reason: "is a directory, not an audio file")
        }
        guard access(path, R_OK) == 0 else {
            throw AudioError(.unreadable, path: path, reason: "permission denied")
        }
        if info.st_size == 0 {
            throw AudioError(.empty, path: path, reason: "the file is 0 bytes long")
        }
    }

    /// Reads all frames in blocks and applies the channel policy while converting.
    private static func readMono(_ reader: SndFileReader, policy: ChannelPolicy) throws -> ([Float], Int) {
        let channels = reader.channels
        let expected = reader.frames
        if reader.encoding == .pcm16 && channels == 1 {
            // Read straight into a short buffer the size of the file, then scale in one pass; neither
            // buffer is zero-filled first.
            var framesRead = 0
            let shorts = try [Int16](unsafeUninitializedCapacity: expected) { buffer, initialized in
                framesRead = try readAll(expected) { offset, count in
                    try reader.readShorts(into: buffer.baseAddress! + offset, frameCount: count)
                }
                initialized = framesRead
            }
            let scale: Float = 1.0 / 32768.0
            let output = [Float](unsafeUninitializedCapacity: framesRead) { out, initialized in
                shorts.withUnsafeBufferPointer { input in
                    for i in 0..<framesRead { out[i] = Float(input[i]) * scale }
                }
                initialized = framesRead
            }
            return (output, framesRead)
        }
        var output = [Float](repeating: 0, count: expected)
        var framesRead = 0
        if reader.encoding == .pcm16 {
            let scale: Float = 1.0 / 32768.0
            let block = 4096
            var shorts = [Int16](repeating: 0, count: block * channels)
            try shorts.withUnsafeMutableBufferPointer { buffer in
                while framesRead < expected {
                    let got = try reader.readShorts(into: buffer.baseAddress!, frameCount: min(block, expected - framesRead))
                    if got == 0 { break }
                    reduce(UnsafeBufferPointer(buffer), frames: got, channels: channels, policy: policy, scale: scale, into: &output, at: framesRead)
                    framesRead += got
                }
            }
        } else {
            if channels == 1 {
                framesRead = try output.withUnsafeMutableBufferPointer { buffer in
                    try readAll(expected) { offset, count in
                        try reader.readFloats(into: buffer.baseAddress! + offset, frameCount: count)
                    }
                }
            } else {
                let block = 4096
                var floats = [Float](repeating: 0, count: block * channels)
                try floats.withUnsafeMutableBufferPointer { buffer in
                    while framesRead < expected {
                        let got = try reader.readFloats(into: buffer.baseAddress!, frameCount: min(block, expected - framesRead))
                        if got == 0 { break }
                        reduce(UnsafeBufferPointer(buffer), frames: got, channels: channels, policy: policy, scale: 1, into: &output, at: framesRead)
                        framesRead += got
                    }
                }
            }
        }
        if framesRead < expected { output.removeLast(expected - framesRead) }
        return (output, framesRead)
    }

    /// Calls `read(offset, count)` until `total` frames are read or a read returns 0.
    private static func readAll(_ total: Int, _ read: (Int, Int) throws -> Int) throws -> Int {
        var done = 0
        while done < total {
            let got = try read(done, total - done)
            if got == 0 { break }
            done += got
        }
        return done
    }

    private static func reduce<T: BinaryInteger>(
        _ input: UnsafeBufferPointer<T>, frames: Int, channels: Int, policy: ChannelPolicy, scale: Float,
        into output: inout [Float], at offset: Int
    ) {
        output.withUnsafeMutableBufferPointer { out in
            switch policy {
            case .mix:
                let s = scale / Float(channels)
                for f in 0..<frames {
                    var sum: Float = 0
                    for c in 0..<channels { sum += Float(input[f * channels + c]) }
                    out[offset + f] = sum * s
                }
            case .channel(let index):
                for f in 0..<frames { out[offset + f] = Float(input[f * channels + index]) * scale }
            }
        }
    }

    private static func reduce(
        _ input: UnsafeBufferPointer<Float>, frames: Int, channels: Int, policy: ChannelPolicy, scale: Float,
        into output: inout [Float], at offset: Int
    ) {
        output.withUnsafeMutableBufferPointer { out in
            switch policy {
            case .mix:
                let s = 1 / Float(channels)
                for f in 0..<frames {
                    var sum: Float = 0
                    for c in 0..<channels { sum += input[f * channels + c] }
                    out[offset + f] = sum * s
                }
            case .channel(let index):
                for f in 0..<frames { out[offset + f] = input[f * channels + index] }
            }
        }
    }
}

/// Decodes `path` to mono Float32 with the given channel policy (see `AudioDecoder.decode(path:)`).
public func decodeAudio(path: String, channelPolicy: ChannelPolicy = .mix) throws -> AudioBuffer {
    try AudioDecoder(channelPolicy: channelPolicy).decode(path: path)
}
