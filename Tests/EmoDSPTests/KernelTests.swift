import Foundation
import Testing

@testable import EmoDSP

@Suite("Kernels")
struct KernelTests {
    @Test("windows: periodic definitions and librosa centring for odd padding")
    func windows() {
        let hamming = WindowFunction.hamming.coefficients(length: 4)
        // Periodic Hamming(4): 0.54 − 0.46·cos(2πi/4) = 0.08, 0.54, 1.0, 0.54 (tolerance 1e-7).
        for (o, e) in zip(hamming, [0.08, 0.54, 1.0, 0.54] as [Float]) { #expect(abs(o - e) <= 1e-7, "hamming \(o) vs \(e)") }
        let blackman = WindowFunction.blackman.coefficients(length: 4)
        for (o, e) in zip(blackman, [0, 0.34, 1.0, 0.34] as [Float]) { #expect(abs(o - e) <= 1e-7, "blackman \(o) vs \(e)") }
        #expect(WindowFunction.rectangular.coefficients(length: 3) == [1, 1, 1])
        // (8 − 5) / 2 = 1 zero before, 2 after, as librosa.util.pad_center.
        #expect(WindowFunction.rectangular.padded(length: 5, fftSize: 8) == [0, 1, 1, 1, 1, 1, 0, 0])
    }

    @Test("numpy reflect padding, including padding longer than the signal")
    func reflectPadding() {
        // np.pad([1,2,3], 5, 'reflect') = [2 1 2 3 2 | 1 2 3 | 2 1 2 3 2] (checked with numpy 2.4)
        let workspace = STFTWorkspace(fftSize: 8)
        let padded = workspace.paddedSignal(samples: [1, 2, 3], pad: 5, mode: .reflect)
        #expect(Array(UnsafeBufferPointer(start: padded, count: 13)) == [2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2])
        let single = workspace.paddedSignal(samples: [7], pad: 2, mode: .reflect)
        #expect(Array(UnsafeBufferPointer(start: single, count: 5)) == [7, 7, 7, 7, 7])
        let constant = workspace.paddedSignal(samples: [1, 2], pad: 2, mode: .constant)
        #expect(Array(UnsafeBufferPointer(start: constant, count: 6)) == [0, 0, 1, 2, 0, 0])
    }

    @Test("STFT frame count, short signals and invalid settings")
    func stftEdges() throws {
        let configuration = STFTConfiguration(fftSize: 512, windowLength: 400, hopLength: 160)
        #expect(configuration.frameCount(sampleCount: 16000) == 101)
        #expect(configuration.frameCount(sampleCount: 1) == 1)
        let stft = try ShortTimeFourierTransform(configuration)
        // Decision: with center=true any non-empty signal works (padded like librosa); one sample → one frame.
        let one = try stft.compute([0.5])
        #expect(one.frames == 1 && one.bins == 257 && one.values.allSatisfy { $0.isFinite })
        let short = try stft.compute(sine(frequency: 1000, sampleRate: 16000, count: 100))
        #expect(short.frames == 1)
        var uncentred = configuration
        uncentred.center = false
        let error = #expect(throws: AudioError.self) { try ShortTimeFourierTransform(uncentred).compute([Float](repeating: 0, count: 511)) }
        #expect(error?.code == .tooShort)
        #expect(try ShortTimeFourierTransform(uncentred).compute([Float](repeating: 0, count: 512)).frames == 1)
        let empty = #expect(throws: AudioError.self) { try stft.compute([]) }
        #expect(empty?.code == .tooShort)
        let bad = #expect(throws: AudioError.self) {
            try ShortTimeFourierTransform(STFTConfiguration(fftSize: 256, windowLength: 400, hopLength: 0))
        }
        #expect(bad?.code == .invalidParameter && bad?.reason.contains("hopLength") == true && bad?.reason.contains("windowLength") == true)
    }

    @Test("STFT of a bin-centred sine peaks at its bin with the expected magnitude")
    func stftSine() throws {
        // 1000 Hz at 16 kHz with FFT 512 is bin 32; rectangular window of 512: |X| = A·N/2 = 128 (tolerance 1e-3).
        let stft = try ShortTimeFourierTransform(
            STFTConfiguration(fftSize: 512, windowLength: 512, hopLength: 512, window: .rectangular, center: false, output: .magnitude))
        let s = try stft.compute(sine(frequency: 1000, sampleRate: 16000, count: 1024))
        #expect(s.frames == 2)
        #expect(abs(s[0, 32] - 128) < 1e-3, "magnitude \(s[0, 32]), expected 128, tolerance 1e-3")
        #expect(s[0, 10] < 1e-3)
    }

    @Test("Mel scales round-trip and match known values")
    func melScales() throws {
        // Slaney: 1000 Hz = 15 Mel; HTK: 1000 Hz = 999.9856 Mel (tolerance 1e-3).
        #expect(abs(MelScale.slaney.mel(fromHz: 1000) - 15) < 1e-12)
        #expect(abs(MelScale.htk.mel(fromHz: 1000) - 999.985_6) < 1e-3)
        for scale in MelScale.allCases {
            for hz in [0.0, 440, 999, 1000, 4000, 8000] {
                #expect(abs(scale.hz(fromMel: scale.mel(fromHz: hz)) - hz) < 1e-9 * max(1, hz))
            }
        }
        let bad = #expect(throws: AudioError.self) {
            try MelFilterbank(sampleRate: 16000, fftSize: 512, melBands: 0, fmin: 9000, fmax: 9000)
        }
        #expect(bad?.code == .invalidParameter)
    }

    @Test("power to dB: amin floor, reference, topDb (librosa semantics)")
    func decibels() throws {
        var values: [Float] = [1, 100, 0, 1e-3]
        try PowerToDecibels().apply(&values)
        // 10·log10: 0, 20, −100 (amin 1e-10 floor), −30 dB; tolerance 1e-4 dB.
        for (o, e) in zip(values, [0, 20, -100, -30] as [Float]) { #expect(abs(o - e) <= 1e-4, "\(o) vs \(e) dB") }
        var relative: [Float] = [1, 100, 1e-3]
        try PowerToDecibels(reference: .maximum, topDb: 40).apply(&relative)
        for (o, e) in zip(relative, [-20, 0, -40] as [Float]) { #expect(abs(o - e) <= 1e-4, "\(o) vs \(e) dB") }
        var silent = [Float](repeating: 0, count: 10)
        try PowerToDecibels(reference: .maximum, topDb: 80).apply(&silent)
        #expect(silent.allSatisfy { $0 == 0 }, "all-zero input relative to its max: \(silent)")
        #expect(throws: AudioError.self) { try PowerToDecibels(amin: 0) }
        #expect(throws: AudioError.self) { try PowerToDecibels(topDb: -1) }
        // Fast log against Foundation over many decades (tolerance 2e-5 dB).
        var worst: Float = 0
        var x: Float = 1e-12
        while x < 1e12 {
            worst = max(worst, abs(FastMath.decibels(x) - 10 * log10(x)))
            x *= 1.37
        }
        #expect(worst <= 2e-5, "fast dB max error \(worst), tolerance 2e-5")
    }

    @Test("utterance normalisation, given statistics, and the accumulator")
    func normalisation() throws {
        var s = Spectrogram(frames: 2, bins: 2, values: [1, 2, 3, 4])
        Normalisation.normaliseUtterance(&s)
        // mean 2.5, population std √1.25 (tolerance 1e-6).
        let std = Float(1.25.squareRoot())
        for (o, e) in zip(s.values, [-1.5, -0.5, 0.5, 1.5].map { Float($0) / std }) { #expect(abs(o - e) < 1e-6) }
        var constant = Spectrogram(frames: 3, bins: 1, values: [5, 5, 5])
        Normalisation.normaliseUtterance(&constant)
        #expect(constant.values == [0, 0, 0], "a constant input must give zeros (epsilon guard), not NaN")

        var accumulator = StatisticsAccumulator(bins: 2)
        try accumulator.add(Spectrogram(frames: 2, bins: 2, values: [1, 10, 3, 10]))
        try accumulator.add(Spectrogram(frames: 1, bins: 2, values: [5, 40]))
        let perBin = try accumulator.perBinStatistics()
        // Bin 0: 1, 3, 5 → mean 3, std √(8/3); bin 1: 10, 10, 40 → mean 20, std √200 (tolerance 1e-5 relative).
        #expect(abs(perBin.mean[0] - 3) < 1e-5 && abs(perBin.mean[1] - 20) < 1e-5)
        #expect(abs(perBin.std[0] - Float((8.0 / 3).squareRoot())) < 1e-5 && abs(perBin.std[1] - Float(200.0.squareRoot())) < 1e-4)
        let global = try accumulator.globalStatistics()
        let all: [Double] = [1, 3, 5, 10, 10, 40]
        let mean = all.reduce(0, +) / 6
        let gstd = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6).squareRoot()
        #expect(abs(Double(global.mean[0]) - mean) < 1e-5 && abs(Double(global.std[0]) - gstd) < 1e-4)
        var x = Spectrogram(frames: 1, bins: 2, values: [3, 20])
        try Normalisation.apply(perBin, to: &x)
        #expect(x.values.allSatisfy { abs($0) < 1e-6 })
        #expect(throws: AudioError.self) {
            var wrong = Spectrogram(frames: 1, bins: 3, repeating: 0)
            try Normalisation.apply(perBin, to: &wrong)
        }
        #expect(throws: AudioError.self) { try StatisticsAccumulator(bins: 2).perBinStatistics() }
    }

    @Test("fixed length: crop at start/random/centre, pad at the end")
    func fixedLength() throws {
        let s = Spectrogram(frames: 10, bins: 1, values: (0..<10).map(Float.init))
        let four = try FixedLength(frames: 4, padValue: -1)
        #expect(four.apply(s, position: .centre).values == [3, 4, 5, 6])
        #expect(four.apply(s, position: .start(2)).values == [2, 3, 4, 5])
        #expect(four.apply(s, position: .start(99)).values == [6, 7, 8, 9])
        #expect(four.apply(s, position: .random(0)).values == [0, 1, 2, 3])
        #expect(four.apply(s, position: .random(0.999_999)).values == [6, 7, 8, 9])
        let twelve = try FixedLength(frames: 12, padValue: -1)
        #expect(twelve.apply(s, position: .centre).values == (0..<10).map(Float.init) + [-1, -1])
        #expect(throws: AudioError.self) { try FixedLength(frames: 0) }
    }

    @Test("augmentation: time shift (roll, pad), frequency and time masks with fills")
    func augmentation() {
        let s = Spectrogram(frames: 4, bins: 2, values: [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(Augmentation.timeShift(s, frames: 1, mode: .roll).values == [6, 7, 0, 1, 2, 3, 4, 5])
        #expect(Augmentation.timeShift(s, frames: -1, mode: .roll).values == [2, 3, 4, 5, 6, 7, 0, 1])
        #expect(Augmentation.timeShift(s, frames: 2, mode: .pad(.constant(-9))).values == [-9, -9, -9, -9, 0, 1, 2, 3])
        #expect(Augmentation.timeShift(s, frames: -3, mode: .pad(.zero)).values == [6, 7, 0, 0, 0, 0, 0, 0])
        #expect(Augmentation.frequencyMask(s, start: 1, width: 5, fill: .zero).values == [0, 0, 2, 0, 4, 0, 6, 0])
        #expect(Augmentation.timeMask(s, start: 1, width: 2, fill: .mean).values == [0, 1, 3.5, 3.5, 3.5, 3.5, 6, 7])
        #expect(Augmentation.timeMask(s, start: 0, width: 0, fill: .zero) == s)
    }

    @Test("SplitMix64: known sequence, stable per (seed, epoch, item, node), unbiased bounded ints")
    func rng() {
        var g = SplitMix64(seed: 0)
        // Reference values of SplitMix64 from seed 0 (Vigna's splitmix64.c).
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(FNV1a64.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a64.hash("a") == 0xaf63_dc4c_8601_ec8c)
        let a = SplitMix64(runSeed: 7, epoch: 3, itemID: "Actor_01/x.wav", nodeID: "augment")
        #expect(a == SplitMix64(runSeed: 7, epoch: 3, itemID: "Actor_01/x.wav", nodeID: "augment"))
        #expect(a != SplitMix64(runSeed: 7, epoch: 4, itemID: "Actor_01/x.wav", nodeID: "augment"))
        #expect(a != SplitMix64(runSeed: 7, epoch: 3, itemID: "Actor_01/x.wa", nodeID: "vaugment"))
        var r = SplitMix64(seed: 42)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<5000 { counts[r.nextInt(in: -2...2) + 2] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 }, "counts \(counts)")
        let u = (0..<1000).map { _ in r.nextUnit() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    @Test("NPY round trip; header padded to 64 bytes, version 1.0")
    func npy() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let path = folder + "/a.npy"
        let values: [Float] = [1, -2.5, .pi, 0, 1e-20, -0.0]
        try NPYFile.write(values: values, shape: [2, 3], to: path)
        let data = try #require(FileManager.default.contents(atPath: path))
        let dataStart = data.count - 24
        #expect(dataStart % 64 == 0 && data[6] == 1 && data[7] == 0 && data[dataStart - 1] == 0x0A, "header of \(dataStart) bytes")
        let back = try NPYFile.read(path)
        #expect(back.shape == [2, 3] && back.values.map(\.bitPattern) == values.map(\.bitPattern))
        try NPYFile.write(values: [5], shape: [1], to: path)
        #expect(try NPYFile.read(path).shape == [1])
        #expect(throws: AudioError.self) { try NPYFile.write(values: [1, 2], shape: [3], to: path) }
        let bad = #expect(throws: AudioError.self) { try NPYFile.decode(Data("hello".utf8)) }
        #expect(bad?.code == .unsupportedFormat)
    }

    @Test("synthetic utterances: deterministic, right length and level, prosody visible")
    func synthetic() throws {
        let u = SyntheticUtterance(duration: 0.5, sampleRate: 16000, seed: 3, leadingSilence: 0.1, trailingSilence: 0.05)
        let a = u.render(), b = u.render()
        #expect(a == b && a.count == 8000)
        // Peak at profile.peakDB (−6 dBFS) give or take the background noise (tolerance 0.01 dB).
        #expect(abs(peakDecibels(a) - (-6)) < 0.01, "peak \(peakDecibels(a)) dBFS")
        #expect(isSilent(Array(a[0..<1500])) && !isSilent(Array(a[2000..<6000])))
        var other = u
        other.seed = 4
        #expect(other.render() != a)
        #expect(ProsodyProfile.emotion("angry")!.peakDB > ProsodyProfile.emotion("sad")!.peakDB)
        #expect(ProsodyProfile.emotion("nope") == nil)
    }
}
