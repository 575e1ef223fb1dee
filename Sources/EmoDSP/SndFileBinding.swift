import CSndFile
import Foundation

// The only file that calls libsndfile. It turns return codes into `AudioError`s and exposes small
// Swift types (`SndFileReader`, `SndFileWriter`) that the decoder and the WAV writer build on.

/// The sample encoding of an opened file, reduced to what the decoder needs to choose a read path.
enum SndFileEncoding: Sendable, Equatable {
    case pcm16
    case otherInteger
    case floatingPoint
    case other
}

/// An open libsndfile handle for reading; closed when released.
final class SndFileReader {
    private let handle: OpaquePointer
    /// Path the handle was opened from (for error messages).
    let path: String
    /// Frames libsndfile announces after parsing the header (it already clips this to the file size).
    let frames: Int
    /// Channel count.
    let channels: Int
    /// Sample rate in Hz.
    let sampleRate: Int
    /// The raw SF_FORMAT word (major | subtype).
    let formatWord: Int32

    /// Opens `path`, detecting the format from the content (SF_INFO.format = 0), not the extension.
    init(path: String) throws {
        var info = SF_INFO()
        info.format = 0
        guard let h = sf_open(path, Int32(SFM_READ), &info) else {
            let code = sf_error(nil)
            let message = String(cString: sf_strerror(nil))
            switch Int(code) {
            case Int(SF_ERR_SYSTEM):
                throw AudioError(.unreadable, path: path, reason: message)
            case Int(SF_ERR_MALFORMED_FILE):
                throw AudioError(.unsupportedFormat, path: path, reason: "malformed file: \(message)")
            default:
                throw AudioError(.unsupportedFormat, path: path, reason: message)
            }
        }
        handle = h
        self.path = path
        frames = Int(info.frames)
        channels = Int(info.channels)
        sampleRate = Int(info.samplerate)
        formatWord = info.format
    }

    deinit { sf_close(handle) }

    /// The encoding class, from the subtype bits.
    var encoding: SndFileEncoding {
        switch formatWord & Int32(SF_FORMAT_SUBMASK) {
        case Int32(SF_FORMAT_PCM_16): return .pcm16
        case Int32(SF_FORMAT_PCM_S8), Int32(SF_FORMAT_PCM_U8), Int32(SF_FORMAT_PCM_24),
            Int32(SF_FORMAT_PCM_32):
            return .otherInteger
        case Int32(SF_FORMAT_FLOAT), Int32(SF_FORMAT_DOUBLE): return .floatingPoint
        default: return .other
        }
    }

    /// A short text naming the container and subtype, e.g. `0x010002`, for messages.
    var formatDescription: String {
        var info = SF_FORMAT_INFO()
        info.format = formatWord & Int32(SF_FORMAT_TYPEMASK)
        var major = "format 0x" + String(formatWord, radix: 16)
        if sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &info, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
            let name = info.name
        {
            major = String(cString: name)
        }
        return major
    }

    /// libsndfile's parse log (mentions header/file length mismatches).
    var log: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { raw in
            sf_command(handle, Int32(SFC_GET_LOG_INFO), raw.baseAddress, Int32(raw.count))
        }
        guard count > 0 else { return "" }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The frame count the header announced when libsndfile found a shorter data chunk
    /// (its log then reads `data : 2000 (should be 1200)`, or `SSND : …` for AIFF); nil otherwise.
    var declaredFramesIfTruncated: Int? {
        guard frames > 0 else { return nil }
        for line in log.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("data") || text.hasPrefix("SSND"), let should = text.range(of: "(should be ") else {
                continue
            }
            let numbers = text.split(whereSeparator: { !$0.isNumber })
            let before = text[..<should.lowerBound].split(whereSeparator: { !$0.isNumber })
            guard let declared = before.last.flatMap({ Int($0) }), let actual = numbers.last.flatMap({ Int($0) }),
                declared > actual, actual > 0
            else { continue }
            let bytesPerFrame = max(1, actual / frames)
            return frames + (declared - actual) / bytesPerFrame
        }
        return nil
    }

    /// Reads up to `frameCount` interleaved frames of 16-bit samples into `buffer`; returns frames read.
    func readShorts(into buffer: UnsafeMutablePointer<Int16>, frameCount: Int) throws -> Int {
        let got = sf_readf_short(handle, buffer, sf_count_t(frameCount))
        return try checkRead(got)
    }

    /// Reads up to `frameCount` interleaved frames as Float (libsndfile scales integers to [-1, 1)).
    func readFloats(into buffer: UnsafeMutablePointer<Float>, frameCount: Int) throws -> Int {
        let got = sf_readf_float(handle, buffer, sf_count_t(frameCount))
        return try checkRead(got)
    }

    private func checkRead(_ got: sf_count_t) throws -> Int {
        if got < 0 {
            throw AudioError(.unreadable, path: path, reason: String(cString: sf_strerror(handle)))
        }
        return Int(got)
    }
}

/// A libsndfile handle for writing; call `close()` to flush (also closed when released).
final class SndFileWriter {
    private var handle: OpaquePointer?
    let path: String
    let channels: Int

    /// Creates `path` with the given container, subtype, rate and channel count.
    init(path: String, container: AudioContainer, encoding: AudioEncoding, sampleRate: Int, channels: Int) throws {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        let major: Int32 =
            switch container {
            case .wav: Int32(SF_FORMAT_WAV)
            case .aiff: Int32(SF_FORMAT_AIFF)
            }
        let sub: Int32 =
            switch encoding {
            case .pcm16: Int32(SF_FORMAT_PCM_16)
            case .pcm24: Int32(SF_FORMAT_PCM_24)
            case .pcm32: Int32(SF_FORMAT_PCM_32)
            case .float32: Int32(SF_FORMAT_FLOAT)
            case .float64: Int32(SF_FORMAT_DOUBLE)
            }
        info.format = major | sub
        guard sf_format_check(&info) == Int32(SF_TRUE) else {
            throw AudioError(
                .invalidParameter, path: path,
                reason: "libsndfile cannot write \(encoding) in \(container) at \(sampleRate) Hz, \(channels) channel(s)")
        }
        guard let h = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw AudioError(.writeFailed, path: path, reason: String(cString: sf_strerror(nil)))
        }
        // Out-of-range floats written to an integer subtype must clip, not wrap around.
        _ = sf_command(h, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        handle = h
        self.path = path
        self.channels = channels
    }

    deinit { if let handle { sf_close(handle) } }

    /// Writes interleaved 16-bit frames.
    func write(shorts: [Int16]) throws {
        guard let handle else { throw closedError() }
        let frames = shorts.count / channels
        let done = shorts.withUnsafeBufferPointer { sf_writef_short(handle, $0.baseAddress, sf_count_t(frames)) }
        try check(done, frames)
    }

    /// Writes interleaved 32-bit integer frames (full-scale = Int32 range; PCM_24 keeps the top 24 bits).
    func write(ints: [Int32]) throws {
        guard let handle else { throw closedError() }
        let frames = ints.count / channels
        let done = ints.withUnsafeBufferPointer { sf_writef_int(handle, $0.baseAddress, sf_count_t(frames)) }
        try check(done, frames)
    }

    /// Writes interleaved float frames.
    func write(floats: [Float]) throws {
        guard let handle else { throw closedError() }
        let frames = floats.count / channels
        let done = floats.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(frames)) }
        try check(done, frames)
    }

    /// Writes interleaved double frames.
    func write(doubles: [Double]) throws {
        guard let handle else { throw closedError() }
        let frames = doubles.count / channels
        let done = doubles.withUnsafeBufferPointer { sf_writef_double(handle, $0.baseAddress, sf_count_t(frames)) }
        try check(done, frames)
    }

    /// Flushes and closes the file.
    func close() throws {
        guard let h = handle else { return }
        handle = nil
        if sf_close(h) != 0 {
            throw AudioError(.writeFailed, path: path, reason: "sf_close failed")
        }
    }

    private func check(_ done: sf_count_t, _ frames: Int) throws {
        if Int(done) != frames {
            throw AudioError(
                .writeFailed, path: path,
                reason: "wrote \(done) of \(frames) frames: \(String(cString: sf_strerror(handle)))")
        }
    }

    private func closedError() -> AudioError {
        AudioError(.writeFailed, path: path, reason: "file already closed")
    }
}
