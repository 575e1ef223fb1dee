import Foundation

/// The prosodic and voice parameters of a synthetic utterance. Emotion classes in the quick-start data
/// differ in these: pitch level and range, speaking rate, energy and spectral tilt.
public struct ProsodyProfile: Sendable, Hashable, Codable {
    /// Mean fundamental frequency in Hz (about 120 for a male, 210 for a female voice).
    public var baseF0: Double
    /// Pitch excursion of syllable accents, in semitones (peak to peak).
    public var f0RangeSemitones: Double
    /// Global pitch slope over the utterance, in semitones per second (negative: declination).
    public var f0SlopeSemitonesPerSecond: Double
    /// Syllables per second (speaking rate).
    public var syllableRate: Double
    /// Peak level of the rendered speech in dBFS.
    public var peakDB: Double
    /// Cut-off of the one-pole low-pass applied to the glottal source, in Hz: lower means a steeper
    /// spectral tilt (soft, dark voice), higher a flatter one (tense, bright voice).
    public var sourceLowpassHz: Double
    /// Aspiration noise mixed into the source, in dB relative to the voiced source.
    public var breathinessDB: Double
    /// Random period-to-period variation of the pitch period, as a fraction (0.01 = 1 %).
    public var jitter: Double
    /// Formant frequencies are multiplied by this (vocal-tract length: ~1.0 male, ~1.17 female).
    public var formantScale: Double

    /// Creates a profile; defaults describe a neutral male voice.
    public init(
        baseF0: Double = 120, f0RangeSemitones: Double = 4, f0SlopeSemitonesPerSecond: Double = -1.5,
        syllableRate: Double = 4.5, peakDB: Double = -6, sourceLowpassHz: Double = 900, breathinessDB: Double = -30,
        jitter: Double = 0.01, formantScale: Double = 1.0
    ) {
        self.baseF0 = baseF0
        self.f0RangeSemitones = f0RangeSemitones
        self.f0SlopeSemitonesPerSecond = f0SlopeSemitonesPerSecond
        self.syllableRate = syllableRate
        self.peakDB = peakDB
        self.sourceLowpassHz = sourceLowpassHz
        self.breathinessDB = breathinessDB
        self.jitter = jitter
        self.formantScale = formantScale
    }

    /// Profiles for the eight RAVDESS emotion names (neutral, calm, happy, sad, angry, fearful, disgust,
    /// surprised) on a voice with `baseF0` and `formantScale`; the differences follow the usual acoustic
    /// correlates (e.g. angry: higher, wider pitch, faster, louder, flatter tilt; sad: lower, narrower,
    /// slower, softer, steeper tilt). Returns nil for an unknown name.
    public static func emotion(_ name: String, baseF0: Double = 120, formantScale: Double = 1.0) -> ProsodyProfile? {
        // (f0 factor, range st, slope st/s, syllables/s, peak dBFS, source low-pass Hz, breathiness dB)
        let table: [String: (Double, Double, Double, Double, Double, Double, Double)] = [
            "neutral": (1.00, 3, -1.5, 4.5, -6, 900, -30),
            "calm": (0.95, 2, -1.0, 3.8, -9, 700, -24),
            "happy": (1.25, 8, 0.5, 5.2, -3, 1400, -28),
            "sad": (0.85, 1.5, -2.5, 3.2, -12, 500, -20),
            "angry": (1.30, 7, -0.5, 5.8, -1.5, 2200, -32),
            "fearful": (1.45, 5, 1.0, 6.0, -5, 1200, -18),
            "disgust": (0.92, 4, -2.0, 3.6, -6, 800, -22),
            "surprised": (1.40, 10, 2.5, 4.8, -3, 1500, -26),
        ]
        guard let p = table[name.lowercased()] else { return nil }
        return ProsodyProfile(
            baseF0: baseF0 * p.0, f0RangeSemitones: p.1, f0SlopeSemitonesPerSecond: p.2, syllableRate: p.3,
            peakDB: p.4, sourceLowpassHz: p.5, breathinessDB: p.6, jitter: 0.01, formantScale: formantScale)
    }
}

/// A deterministic speech-like signal: a glottal-pulse source following a pitch contour, a cascade of
/// four formant resonators whose targets change per syllable (vowel-like), a syllable-rate amplitude
/// envelope, optional aspiration noise, and leading/trailing low-level noise instead of digital silence.
/// The same seed and parameters give the same samples on every platform.
public struct SyntheticUtterance: Sendable, Hashable {
    /// Voice and prosody.
    public var profile: ProsodyProfile
    /// Total duration in seconds, silences included.
    public var duration: Double
    /// Sample rate in Hz.
    public var sampleRate: Int
    /// Seed for every random choice (syllable lengths, vowels, accents, jitter, noise).
    public var seed: UInt64
    /// Silence before the speech, in seconds.
    public var leadingSilence: Double
    /// Silence after the speech, in seconds.
    public var trailingSilence: Double
    /// Level of the background noise in dBFS (RMS), present throughout (nil: exact zeros outside speech).
    public var backgroundNoiseDB: Double?

    /// Creates a description of an utterance; render it with `render()`.
    public init(
        profile: ProsodyProfile = ProsodyProfile(), duration: Double = 3.6, sampleRate: Int = 48_000, seed: UInt64 = 0,
        leadingSilence: Double = 0.5, trailingSilence: Double = 0.4, backgroundNoiseDB: Double? = -80
    ) {
        self.profile = profile
        self.duration = duration
        self.sampleRate = sampleRate
        self.seed = seed
        self.leadingSilence = leadingSilence
        self.trailingSilence = trailingSilence
        self.backgroundNoiseDB = backgroundNoiseDB
    }

    /// Vowel formant targets (F1…F4 in Hz) for a male vocal tract: /a e i o u/.
    static let vowels: [[Double]] = [
        [730, 1090, 2440, 3400], [530, 1840, 2480, 3500], [270, 2290, 3010, 3700],
        [570, 840, 2410, 3300], [300, 870, 2240, 3300],
    ]
    static let bandwidths: [Double] = [80, 100, 130, 180]

    /// Renders the samples (mono, Float32, peak at `profile.peakDB` dBFS).
    public func render() -> [Float] {
        let sr = Double(sampleRate)
        let total = max(0, Int((duration * sr).rounded()))
        guard total > 0 else { return [] }
        var rng = SplitMix64(seed: seed)
        func gaussian() -> Double {
            // Box–Muller on two uniform draws.
            let u1 = max(rng.nextUnit(), 1e-300), u2 = rng.nextUnit()
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        let speechStart = min(total, Int(leadingSilence * sr))
        let speechEnd = max(speechStart, total - Int(trailingSilence * sr))
        let speechLength = speechEnd - speechStart

        // Syllable plan: durations around 1/rate (±25 %), each with a vowel, an accent and a gain.
        struct Syllable { var start: Int; var length: Int; var vowel: Int; var accent: Double; var gain: Double }
        var syllables: [Syllable] = []
        var position = 0
        let meanLength = sr / max(0.5, profile.syllableRate)
        while position < speechLength {
            let length = max(1, Int(meanLength * (0.75 + 0.5 * rng.nextUnit())))
            syllables.append(
                Syllable(
                    start: position, length: min(length, speechLength - position), vowel: rng.nextInt(in: 0...4),
                    accent: rng.nextUnit() * 2 - 1, gain: pow(10, (rng.nextUnit() * 6 - 3) / 20)))
            position += length
        }

        var output = [Double](repeating: 0, count: total)
        if speechLength > 0 {
            var phase = 0.0
            var periodScale = 1.0
            var lowpassState = 0.0
            var previousFlow = 0.0
            let lowpass = exp(-2 * Double.pi * min(profile.sourceLowpassHz, sr / 2) / sr)
            let breath = pow(10, profile.breathinessDB / 20)
            var y1 = [Double](repeating: 0, count: 4), y2 = [Double](repeating: 0, count: 4)
            var formants = Self.vowels[syllables.first?.vowel ?? 0].map { $0 * profile.formantScale }
            var coefficients = [(Double, Double, Double)](repeating: (0, 0, 0), count: 4)
            let block = 64
            for s in syllables {
                let target = Self.vowels[s.vowel].map { $0 * profile.formantScale }
                for i in 0..<s.length {
                    let n = s.start + i
                    if i % block == 0 {
                        // Glide the formants towards the syllable's vowel, recomputing the resonators per block.
                        for k in 0..<4 {
                            formants[k] += (target[k] - formants[k]) * 0.25
                            let f = min(formants[k], 0.45 * sr)
                            let r = exp(-Double.pi * Self.bandwidths[k] / sr)
                            let a1 = 2 * r * cos(2 * Double.pi * f / sr), a2 = -r * r
                            coefficients[k] = (1 - a1 - a2, a1, a2)
                        }
                    }
                    let t = Double(n) / sr
                    let within = Double(i) / Double(max(1, s.length))
                    // Pitch: global slope plus a smooth accent bump per syllable.
                    let semitones =
                        profile.f0SlopeSemitonesPerSecond * (t - 0.5 * Double(speechLength) / sr)
                        + 0.5 * profile.f0RangeSemitones * s.accent * sin(Double.pi * within)
                    let f0 = profile.baseF0 * pow(2, semitones / 12)
                    phase += f0 / sr * periodScale
                    if phase >= 1 {
                        phase -= 1
                        periodScale = 1 + profile.jitter * gaussian()
                    }
                    // Rosenberg glottal flow: opening 40 % of the period, closing 16 %, closed after.
                    let flow: Double =
                        phase < 0.4
                        ? 0.5 * (1 - cos(Double.pi * phase / 0.4))
                        : phase < 0.56 ? cos(0.5 * Double.pi * (phase - 0.4) / 0.16) : 0
                    var source = (flow - previousFlow) * sr / max(f0, 1) * 0.1
                    previousFlow = flow
                    source += breath * gaussian() * 0.3
                    lowpassState = (1 - lowpass) * source + lowpass * lowpassState
                    var x = lowpassState
                    for k in 0..<4 {
                        let (b0, a1, a2) = coefficients[k]
                        let y = b0 * x + a1 * y1[k] + a2 * y2[k]
                        y2[k] = y1[k]
                        y1[k] = y
                        x = y
                    }
                    // Syllable envelope: raised-cosine attack and release, a short gap at the end.
                    let attack = min(1, within / 0.2), release = min(1, max(0, (0.85 - within) / 0.25))
                    let envelope = s.gain * sin(0.5 * Double.pi * attack) * sin(0.5 * Double.pi * release)
                    output[speechStart + n] = x * envelope
                }
            }
            var peak = 0.0
            for v in output { peak = max(peak, abs(v)) }
            if peak > 0 {
                let gain = pow(10, profile.peakDB / 20) / peak
                for i in output.indices { output[i] *= gain }
            }
        }
        if let noiseDB = backgroundNoiseDB {
            let level = pow(10, noiseDB / 20)
            for i in output.indices { output[i] += level * gaussian() }
        }
        return output.map { Float($0) }
    }
}
