import Foundation
import Testing

@testable import EmoDSP

@Suite("LogMelExtractor")
struct ExtractorTests {
    @Test("fused path equals STFT → filterbank → dB → normalise")
    func fusedEqualsUnfused() throws {
        let signal = try fixture("signal_16k").values
        let configuration = LogMelConfiguration(fmax: 8000, topDb: 80, normalisation: .utterance(epsilon: 1e-8))
        let fused = try LogMelExtractor(configuration).extract(signal)
        let power = try ShortTimeFourierTransform(configuration.stft).compute(signal)
        let bank = try MelFilterbank(sampleRate: 16000, fftSize: 512, melBands: 128, fmax: 8000)
        var unfused = try PowerToDecibels(topDb: 80).apply(bank.apply(power))
        Normalisation.normaliseUtterance(&unfused)
        let (error, _) = maxAbsDifference(fused.values, unfused.values)
        // Tolerance: exact up to float rounding (the same operations in the same order): 1e-6.
        #expect(error <= 1e-6, "fused vs unfused: error \(error), tolerance 1e-6")
        #expect(fused.frames == 101 && fused.bins == 128)
    }

    @Test("silence and a single sample give finite features at the amin floor")
    func silenceAndSingleSample() throws {
        let extractor = try LogMelExtractor()
        let silent = try extractor.extract([Float](repeating: 0, count: 4000))
        // Tolerance 1e-4 dB around the −100 dB floor of amin = 1e-10.
        #expect(silent.values.allSatisfy { abs($0 + 100) <= 1e-4 }, "silence must sit at the −100 dB floor, no −inf/NaN")
        let one = try extractor.extract([0.25])
        #expect(one.frames == 1 && one.values.allSatisfy { $0.isFinite })
        let normalised = try LogMelExtractor(LogMelConfiguration(normalisation: .utterance(epsilon: 1e-8)))
        #expect(try normalised.extract([Float](repeating: 0, count: 4000)).values.allSatisfy { $0 == 0 })
        let empty = #expect(throws: AudioError.self) { try extractor.extract([]) }
        #expect(empty?.code == .tooShort)
    }

    @Test("extract(AudioBuffer) resamples 48 kHz to the configured rate first")
    func bufferInput() throws {
        let extractor = try LogMelExtractor(LogMelConfiguration(fmax: 8000))
        let features = try extractor.extract(AudioBuffer(samples: try fixture("signal_48k").values, sampleRate: 48000))
        let viaReference = try extractor.extract(try fixture("resampled_16k_soxr_hq").values)
        #expect(features.frames == 101)
        let (error, _) = maxAbsDifference(features.values, viaReference.values)
        // Our soxr HQ output equals librosa's soxr_hq vector, so the features agree to float rounding: 1e-4 dB.
        #expect(error <= 1e-4, "error \(error) dB, tolerance 1e-4 dB")
    }

    @Test("concurrent extraction gives identical results")
    func concurrent() async throws {
        let extractor = try LogMelExtractor()
        let signal = try fixture("signal_16k").values
        let expected = try extractor.extract(signal)
        let results = try await withThrowingTaskGroup(of: Spectrogram.self) { group in
            for _ in 0..<8 { group.addTask { try extractor.extract(signal) } }
            var all: [Spectrogram] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.allSatisfy { $0 == expected })
    }

    @Test("timing of decode + resample + log-Mel on a 3.6 s 48 kHz file (EMOHR_SLOW_TESTS=1)")
    func timing() throws {
        guard slowTestsEnabled else { return }
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/bench.wav"
        let audio = SyntheticUtterance(duration: 3.6, sampleRate: 48000, seed: 1).render()
        try WAVWriter.write(audio, sampleRate: 48000, to: path)
        let extractor = try LogMelExtractor(LogMelConfiguration(fmax: 8000, normalisation: .utterance(epsilon: 1e-8)))
        let resampler = Resampler()
        let clock = ContinuousClock()
        var decode = Duration.zero, resample = Duration.zero, extract = Duration.zero
        let runs = 50
        for _ in 0..<runs {
            let t0 = clock.now
            let buffer = try decodeAudio(path: path)
            let t1 = clock.now
            let samples = try resampler.resample(buffer.samples, from: 48000, to: 16000)
            let t2 = clock.now
            _ = try extractor.extract(samples)
            let t3 = clock.now
            decode += t1 - t0
            resample += t2 - t1
            extract += t3 - t2
        }
        func ms(_ d: Duration) -> Double { Double(d.components.attoseconds) / 1e15 / Double(runs) + Double(d.components.seconds) * 1e3 / Double(runs) }
        let total = ms(decode) + ms(resample) + ms(extract)
        print("[EmoDSP timing] per file: decode \(ms(decode)) ms, resample \(ms(resample)) ms, log-Mel \(ms(extract)) ms, total \(total) ms (\(1000 / total) files/s)")
    }
}
