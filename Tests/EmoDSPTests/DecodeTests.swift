import Foundation
import Testing

@testable import EmoDSP

/// Decoding every format path and every kind of bad input, on files generated into a temporary folder.
@Suite("Decoding")
struct DecodeTests {
    /// Values exactly representable in 16-bit PCM (k / 32768), so every encoding round-trips exactly.
    static let exactValues: [Float] = [0, 0.5, -0.5, 0.25, -1, 32767.0 / 32768, 1.0 / 32768, -3.0 / 32768, 0.125, -0.75]

    @Test("every encoding decodes to the written values", arguments: AudioEncoding.allCases)
    func formats(encoding: AudioEncoding) throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/x.wav"
        try WAVWriter.write(Self.exactValues, sampleRate: 16000, encoding: encoding, to: path)
        let decoded = try decodeAudio(path: path)
        #expect(decoded.sampleRate == 16000 && decoded.originalChannels == 1)
        // Tolerance: exact (0). The values are k/32768, representable in every encoding; a float path that
        // truncated to integers (the GStreamer bug) would turn 0.5 into 0.
        #expect(decoded.samples == Self.exactValues, "\(encoding): observed \(decoded.samples), expected \(Self.exactValues), tolerance exact")
        // Non-representable values: float encodings keep them, 24/32-bit within their step.
        let fine: [Float] = [0.1234567, -0.7654321, 0.333333]
        try WAVWriter.write(fine, sampleRate: 16000, encoding: encoding, to: path)
        let again = try decodeAudio(path: path).samples
        let step: Float =
            switch encoding {
            case .pcm16: 1.0 / 32768
            case .pcm24: 1.0 / 8_388_608
            case .pcm32: 1e-7
            case .float32, .float64: 0
            }
        let (error, _) = maxAbsDifference(again, fine)
        // Tolerance: half a quantisation step of the encoding (0 for float; 1e-7 for 32-bit: float32 rounding).
        #expect(error <= Double(step), "\(encoding): error \(error), tolerance \(step)")
    }

    @Test("AIFF data behind a .wav name decodes (by content, not extension)")
    func aiffBehindWav() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/actually-aiff.wav"
        try WAVWriter.write(Self.exactValues, sampleRate: 22050, encoding: .pcm16, container: .aiff, to: path)
        let head = try #require(FileManager.default.contents(atPath: path)).prefix(4)
        #expect(String(decoding: head, as: UTF8.self) == "FORM", "the fixture must really be AIFF")
        let decoded = try decodeAudio(path: path)
        #expect(decoded.samples == Self.exactValues && decoded.sampleRate == 22050)
    }

    @Test("stereo: mix averages, channel(n) picks, out-of-range channel is invalidParameter")
    func stereo() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/stereo.wav"
        // Left 0.5, right −0.25 in every frame: the channels differ, so the choice is visible.
        let interleaved = (0..<100).flatMap { _ in [Float(0.5), Float(-0.25)] }
        for encoding in [AudioEncoding.pcm16, .float32] {
            try WAVWriter.write(interleaved, sampleRate: 48000, channels: 2, encoding: encoding, to: path)
            let mixed = try decodeAudio(path: path, channelPolicy: .mix)
            #expect(mixed.originalChannels == 2 && mixed.samples.count == 100)
            #expect(mixed.samples.allSatisfy { $0 == 0.125 }, "\(encoding) mix: \(mixed.samples.prefix(3)), expected 0.125")
            #expect(try decodeAudio(path: path, channelPolicy: .channel(0)).samples.allSatisfy { $0 == 0.5 })
            #expect(try decodeAudio(path: path, channelPolicy: .channel(1)).samples.allSatisfy { $0 == -0.25 })
            let error = #expect(throws: AudioError.self) { try decodeAudio(path: path, channelPolicy: .channel(2)) }
            #expect(error?.code == .invalidParameter, "\(String(describing: error))")
        }
    }

    @Test("96 kHz and 24 414 Hz files decode and resample to 16 kHz with the right length")
    func unusualRates() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        for rate in [96000, 24414] {
            let path = folder + "/r\(rate).wav"
            let count = rate / 4  // 0.25 s
            try WAVWriter.write(sine(frequency: 440, sampleRate: rate, count: count), sampleRate: rate, to: path)
            let decoded = try decodeAudio(path: path)
            #expect(decoded.sampleRate == rate && decoded.samples.count == count)
            let expectedLength = Int((Double(count) * 16000 / Double(rate)).rounded(.up))
            for resampler in [Resampler(), Resampler(backend: .libsamplerate(quality: .fastest))] {
                let out = try resampler.resample(decoded, to: 16000)
                #expect(out.samples.count == expectedLength, "\(rate) Hz, \(resampler.backend): length \(out.samples.count), expected \(expectedLength)")
                #expect(out.sampleRate == 16000)
                // The 440 Hz tone keeps its level (RMS of a 0.5 sine: 0.354) away from the edges.
                let middle = Array(out.samples[400..<(out.samples.count - 400)])
                let rms = (middle.map { Double($0 * $0) }.reduce(0, +) / Double(middle.count)).squareRoot()
                // Tolerance: 1 % of the sine's RMS.
                #expect(abs(rms - 0.5 / 2.0.squareRoot()) < 0.0036, "\(rate) Hz: RMS \(rms), expected 0.3536, tolerance 0.0036")
            }
        }
    }

    @Test("a buffer already at the target rate passes through unchanged")
    func passThrough() throws {
        let samples = sine(frequency: 100, sampleRate: 16000, count: 999)
        #expect(try Resampler().resample(samples, from: 16000, to: 16000) == samples)
        #expect(Resampler.outputCount(48000, from: 48000, to: 16000) == 16000)
        // ceil, as librosa.resample: 1 → 1, 100 → 34 (soxr itself gives 33; librosa pads a zero).
        #expect(Resampler.outputCount(1, from: 48000, to: 16000) == 1)
        #expect(Resampler.outputCount(100, from: 48000, to: 16000) == 34)
        #expect(Resampler.outputCount(48001, from: 48000, to: 16000) == 16001)
        let hundred = try Resampler().resample(sine(frequency: 440, sampleRate: 48000, count: 100), from: 48000, to: 16000)
        #expect(hundred.count == 34 && hundred[33] == 0)
        let error = #expect(throws: AudioError.self) { try Resampler().resample(samples, from: 0, to: 16000) }
        #expect(error?.code == .invalidParameter)
    }

    @Test("missing path, directory, empty file, header-only file, text saved as .wav")
    func badFiles() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        func code(_ path: String) -> AudioError.Code? {
            do {
                _ = try decodeAudio(path: path)
                return nil
            } catch let error as AudioError {
                #expect(error.path == path && !error.reason.isEmpty, "\(error)")
                return error.code
            } catch {
                return nil
            }
        }
        #expect(code(folder + "/nope.wav") == .fileMissing)
        #expect(code(folder) == .unreadable)
        _ = FileManager.default.createFile(atPath: folder + "/empty.wav", contents: Data())
        #expect(code(folder + "/empty.wav") == .empty)
        try WAVWriter.write([], sampleRate: 16000, to: folder + "/header-only.wav")
        #expect(code(folder + "/header-only.wav") == .empty)
        _ = FileManager.default.createFile(atPath: folder + "/text.wav", contents: Data("this is not audio\n".utf8))
        #expect(code(folder + "/text.wav") == .unsupportedFormat)
    }

    @Test("unreadable file (chmod 000) is `unreadable`; skipped as root, where permissions do not apply")
    func unreadable() throws {
        guard getuid() != 0 else {
            print("skipped: running as root, chmod 000 does not stop reading (the directory case covers `unreadable`)")
            return
        }
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/locked.wav"
        try WAVWriter.write(Self.exactValues, sampleRate: 16000, to: path)
        chmod(path, 0)
        defer { chmod(path, 0o644) }
        let error = #expect(throws: AudioError.self) { try decodeAudio(path: path) }
        #expect(error?.code == .unreadable)
    }

    @Test("a truncated data chunk decodes the frames present and records the announced count")
    func truncated() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/cut.wav"
        let samples = (0..<1000).map { Float($0 % 100) / 128 }
        try WAVWriter.write(samples, sampleRate: 16000, to: path)
        let data = try #require(FileManager.default.contents(atPath: path))
        try data.prefix(data.count - 800).write(to: URL(fileURLWithPath: path))  // 400 frames missing
        let decoded = try decodeAudio(path: path)
        #expect(decoded.samples.count == 600, "frames read \(decoded.samples.count), expected 600")
        #expect(decoded.samples == Array(samples.prefix(600)))
        #expect(decoded.declaredFrames == 1000, "declaredFrames \(String(describing: decoded.declaredFrames)), expected 1000")
    }

    @Test("pure silence is detectable; dither-level noise counts as silent, speech does not")
    func silence() throws {
        #expect(isSilent([Float](repeating: 0, count: 1000)))
        #expect(isSilent([]))
        #expect(isSilent((0..<1000).map { _ in Float(1.0 / 32768) }))
        #expect(!isSilent(sine(frequency: 200, sampleRate: 16000, count: 1000, amplitude: 0.1)))
        #expect(peakDecibels([0.5, -1]) == 0)
        #expect(abs(rmsDecibels([0.5, -0.5]) - (-6.0206)) < 1e-3)
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        try WAVWriter.write([Float](repeating: 0, count: 1600), sampleRate: 16000, to: folder + "/s.wav")
        let decoded = try decodeAudio(path: folder + "/s.wav")
        #expect(isSilent(decoded.samples, thresholdDB: -60))
    }

    @Test("AudioError descriptions name code, path and reason")
    func errorDescription() {
        let error = AudioError(.empty, path: "/x.wav", reason: "the file is 0 bytes long")
        #expect(error.description == "empty: /x.wav: the file is 0 bytes long")
        #expect(AudioError(.tooShort, reason: "r").description == "tooShort: r")
    }
}
