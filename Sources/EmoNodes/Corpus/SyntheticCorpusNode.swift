import EmoCore
import EmoDSP
import Foundation

/// `corpus.synthetic`: a built-in corpus of prosody-controlled synthetic utterances, so the quick
/// start needs no download. Each speaker has its own voice (pitch, vocal-tract length); each emotion
/// changes pitch level and range, pitch slope, speaking rate, loudness and spectral tilt, with
/// random variation per utterance. Files are rendered once into `folder` (16-bit WAV) and reused.
public final class SyntheticCorpusNode: SourceNode, Sendable {
    public static let descriptor = NodeDescriptor(
        type: "corpus.synthetic",
        summary: "A built-in corpus of synthetic speech-like utterances whose emotions differ by prosody",
        details: """
            Not real emotional speech: a glottal-pulse source with formants whose prosody follows each emotion's \
            usual acoustic correlates (angry: higher, wider, faster, louder, brighter; sad: lower, narrower, \
            slower, softer, darker; …), varied per utterance. For trying the tool end to end without data. \
            Speakers are named s01, s02, …; odd ones male.
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "synthetic utterances with label and speaker")],
        parameters: [
            ParameterSpec("folder", .path, default: "quickstart-data", summary: "where the WAV files are rendered (and reused)"),
            ParameterSpec("emotions", .stringList, default: ["neutral", "happy", "sad", "angry"],
                          summary: "emotion names: neutral, calm, happy, sad, angry, fearful, disgust, surprised"),
            ParameterSpec("speakers", .integer, default: 6, range: 1...100, summary: "number of speakers"),
            ParameterSpec("perEmotion", .integer, default: 8, range: 1...1000, summary: "utterances per speaker and emotion"),
            ParameterSpec("duration", .number, default: 2.0, unit: "s", range: 0.3...30, summary: "length of each utterance"),
            ParameterSpec("sampleRate", .integer, default: 16000, unit: "Hz", range: 8000...96000, summary: "sample rate of the files"),
            ParameterSpec("variation", .number, default: 0.35, range: 0...2,
                          summary: "how far each utterance strays from its emotion's profile (0 = none)"),
            ParameterSpec("seed", .integer, default: 1, range: 0...4_294_967_295, summary: "seed of the whole corpus"),
        ],
        example: #"{ "id": "corpus", "type": "corpus.synthetic", "params": { "speakers": 6, "perEmotion": 8 } }"#)

    let folder: String
    let emotions: [String]
    let speakers: Int
    let perEmotion: Int
    let duration: Double
    let sampleRate: Int
    let variation: Double
    let seed: UInt64

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        folder = p.string("folder")
        emotions = p.stringList("emotions")
        speakers = p.int("speakers")
        perEmotion = p.int("perEmotion")
        duration = p.double("duration")
        sampleRate = p.int("sampleRate")
        variation = p.double("variation")
        seed = UInt64(p.int("seed"))
        if let unknown = emotions.first(where: { ProsodyProfile.emotion($0) == nil }) {
            throw ParameterError(parameter: "emotions", "unknown emotion \"\(unknown)\"",
                                 hint: "known: neutral, calm, happy, sad, angry, fearful, disgust, surprised")
        }
        if emotions.count < 2 { throw ParameterError(parameter: "emotions", "needs at least two emotions") }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, sampleRate: sampleRate, labels: emotions)]
    }

    struct Utterance {
        var id: String
        var speaker: Int
        var emotion: String
        var index: Int
    }

    var utterances: [Utterance] {
        (1...speakers).flatMap { speaker in
            emotions.flatMap { emotion in
                (0..<perEmotion).map { index in
                    Utterance(id: String(format: "s%02d/%@-%02d.wav", speaker, emotion, index), speaker: speaker, emotion: emotion, index: index)
                }
            }
        }
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let list = utterances
        let folder = self.folder
        // Render missing files in parallel; a file is written under a temporary name and renamed.
        let failures = FailureBox()
        DispatchQueue.concurrentPerform(iterations: list.count) { index in
            let utterance = list[index]
            let path = folder + "/" + utterance.id
            guard !FileManager.default.fileExists(atPath: path) else { return }
            do {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let temporary = path + ".partial-\(getpid())"
                try WAVWriter.write(render(utterance), sampleRate: sampleRate, encoding: .pcm16, to: temporary)
                try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.moveItem(atPath: temporary, toPath: path)
            } catch {
                failures.add("\(utterance.id): \(error)")
            }
        }
        if let first = failures.first { throw ItemError("cannot render the synthetic corpus in \(folder): \(first)") }
        let items = list.map { utterance in
            Item(id: utterance.id,
                 metadata: [MetadataKey.label: utterance.emotion, MetadataKey.speaker: String(format: "s%02d", utterance.speaker),
                            MetadataKey.corpus: "synthetic", MetadataKey.path: folder + "/" + utterance.id,
                            "sex": utterance.speaker % 2 == 1 ? "male" : "female"],
                 payload: UtterancePayload(path: folder + "/" + utterance.id))
        }
        return ItemSequence(items)
    }

    /// Samples of one utterance: the speaker's voice, the emotion's profile, and per-utterance variation.
    func render(_ utterance: Utterance) -> [Float] {
        var random = SeededRandom(parts: [String(seed), utterance.id])
        func jitter(_ scale: Double) -> Double { (Double(random.nextUnitFloat()) * 2 - 1) * scale * variation }
        var voice = SeededRandom(parts: [String(seed), "speaker", String(utterance.speaker)])
        let male = utterance.speaker % 2 == 1
        let baseF0 = (male ? 105.0 : 195.0) * (1 + 0.25 * (Double(voice.nextUnitFloat()) - 0.5))
        let formantScale = (male ? 1.0 : 1.15) * (1 + 0.06 * (Double(voice.nextUnitFloat()) - 0.5))
        var profile = ProsodyProfile.emotion(utterance.emotion, baseF0: baseF0, formantScale: formantScale)!
        profile.baseF0 *= 1 + jitter(0.12)
        profile.f0RangeSemitones = max(0.5, profile.f0RangeSemitones * (1 + jitter(0.4)))
        profile.f0SlopeSemitonesPerSecond += jitter(1.5)
        profile.syllableRate = max(1.5, profile.syllableRate * (1 + jitter(0.2)))
        profile.peakDB = min(-0.5, profile.peakDB + jitter(4))
        profile.sourceLowpassHz = max(200, profile.sourceLowpassHz * (1 + jitter(0.35)))
        let lead = 0.1 + 0.2 * Double(random.nextUnitFloat())
        return SyntheticUtterance(
            profile: profile, duration: duration, sampleRate: sampleRate, seed: random.next(), leadingSilence: lead,
            trailingSilence: 0.1, backgroundNoiseDB: -70
        ).render()
    }
}

/// Collects messages from worker threads.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var first: String? { lock.withLock { messages.first } }
}
