import EmoCore
import EmoJSON
import Foundation

/// `corpus.ravdess`: the Ryerson Audio-Visual Database of Emotional Speech and Song.
///
/// File names are `MM-VV-EE-II-SS-RR-AA.wav`: modality (01 audio-visual, 02 video only, 03 audio
/// only), vocal channel (01 speech, 02 song), emotion (01 neutral … 08 surprised), intensity (01
/// normal, 02 strong), statement (01 "Kids are talking by the door", 02 "Dogs are sitting by the
/// door"), repetition (01, 02), actor (01–24; odd = male).
public final class RavdessReader: SourceNode {
    /// Emotion names in code order 01…08: the label order of the stream.
    public static let emotions = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
    /// Emotions the song part has (no disgust, no surprised).
    public static let songEmotions = ["neutral", "calm", "happy", "sad", "angry", "fearful"]
    static let statements = ["01": "Kids are talking by the door", "02": "Dogs are sitting by the door"]
    static let modalities = ["01": "audioVisual", "02": "video", "03": "audio"]

    public static let descriptor = NodeDescriptor(
        type: "corpus.ravdess",
        summary: "Reads RAVDESS (speech and song) from its Actor_XX folders or a flat folder",
        details: """
            Lists every file under `root` (recursively, so both the `Actor_XX/` layout, the Kaggle \
            `Audio_Speech_Actors_01-24/Actor_XX/` layout and a flat folder work) and parses the names \
            `MM-VV-EE-II-SS-RR-AA.wav`. Labels, in this order: neutral calm happy sad angry fearful \
            disgust surprised (codes 01–08); with `vocalChannel` "song" and no `emotions` list the set \
            is the six the song part has. Metadata: label, speaker and actor (two digits, "01"), sex \
            (odd actor = male), intensity (normal/strong), statement ("01"/"02"), text, repetition, \
            vocalChannel (speech/song), modality, corpus "ravdess", path. Files whose names do not \
            parse, unknown codes (emotion 09, actor 25, …), a name whose actor differs from its \
            Actor_XX folder, and stray files are left out and reported as `unrecognised` notices. \
            Item ids are paths relative to `root`; items are sorted by id. Audio-only files (.wav) \
            are read by default; `modality` also admits the video files (.mp4), which audio.decode \
            cannot read.
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "RAVDESS utterances with label, speaker and codes")],
        parameters: [
            ParameterSpec("root", .path, summary: "RAVDESS folder (Actor_XX folders inside, or the files themselves)"),
            ParameterSpec("emotions", .stringList, optional: true,
                          summary: "emotions to keep, as names or codes (\"angry\" or \"05\"); default all of the channel's"),
            ParameterSpec("intensity", .choice(["all", "normal", "strong"]), default: "all",
                          summary: "emotional intensity to keep"),
            ParameterSpec("vocalChannel", .choice(["speech", "song", "all"]), default: "speech",
                          summary: "speech (01), song (02) or both"),
            ParameterSpec("modality", .choice(["audio", "audioVisual", "video", "all"]), default: "audio",
                          summary: "modality code to keep: audio (03, .wav) by default"),
            ParameterSpec("actors", .stringList, optional: true, summary: "actors to keep (\"01\" … \"24\"); default all"),
        ],
        example: """
            { "id": "corpus", "type": "corpus.ravdess", "params": { "root": "data/ravdess", "vocalChannel": "speech" } }
            """)

    let root: String
    let labels: [String]
    let intensity: String
    let vocalChannel: String
    let modality: String
    let actors: Set<Int>?
    let nodeId: String
    private var reported = false

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        root = parameters.string("root")
        intensity = parameters.string("intensity")
        vocalChannel = parameters.string("vocalChannel")
        modality = parameters.string("modality")
        let codes = Dictionary(uniqueKeysWithValues: Self.emotions.enumerated().map { (String(format: "%02d", $0.offset + 1), $0.element) })
        if parameters.has("emotions") {
            labels = try CorpusScanning.selectLabels(parameters.stringList("emotions"), parameter: "emotions",
                                                     order: Self.emotions, codes: codes)
        } else {
            labels = vocalChannel == "song" ? Self.songEmotions : Self.emotions
        }
        if parameters.has("actors") {
            var chosen = Set<Int>()
            for text in parameters.stringList("actors") {
                let digits = text.hasPrefix("Actor_") ? String(text.dropFirst(6)) : text
                guard let number = Int(digits), (1...24).contains(number) else {
                    throw ParameterError(parameter: "actors", "\"\(text)\" is not a RAVDESS actor", hint: "use \"01\" … \"24\"")
                }
                chosen.insert(number)
            }
            actors = chosen
        } else {
            actors = nil
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, labels: labels)]
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let root = try CorpusScanning.checkedRoot(self.root, corpus: "RAVDESS")
        var scan = CorpusScan(corpus: "ravdess")
        for file in CorpusScanning.listFiles(in: root, root: root) {
            switch parse(file) {
            case .failure(let problem): scan.reject(file.id, problem.message)
            case .success(nil): scan.filteredOut += 1
            case .success(let item?): scan.items.append(item)
            }
        }
        let items = try scan.finish(context: context, nodeId: nodeId, root: root, report: !reported, labels: labels)
        reported = true
        return ItemSequence(items)
    }

    struct NameProblem: Error { var message: String }

    /// The item for a file, nil when a filter excludes it, or why its name is not a RAVDESS name.
    func parse(_ file: CorpusFile) -> Result<Item?, NameProblem> {
        func fail(_ message: String) -> Result<Item?, NameProblem> { .failure(NameProblem(message: message)) }
        guard file.fileExtension == "wav" || file.fileExtension == "mp4" else {
            return fail("not a RAVDESS file (expected MM-VV-EE-II-SS-RR-AA.wav)")
        }
        let fields = file.stem.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 7, fields.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            return fail("name does not parse as MM-VV-EE-II-SS-RR-AA (seven two-digit codes)")
        }
        let codes = fields.map { Int($0)! }
        guard let modalityName = Self.modalities[fields[0]] else { return fail("unknown modality code \(fields[0])") }
        guard (1...2).contains(codes[1]) else { return fail("unknown vocal channel code \(fields[1])") }
        guard (1...8).contains(codes[2]) else { return fail("unknown emotion code \(fields[2])") }
        guard (1...2).contains(codes[3]) else { return fail("unknown intensity code \(fields[3])") }
        guard let text = Self.statements[fields[4]] else { return fail("unknown statement code \(fields[4])") }
        guard (1...2).contains(codes[5]) else { return fail("unknown repetition code \(fields[5])") }
        guard (1...24).contains(codes[6]) else { return fail("unknown actor \(fields[6])") }
        if file.parentName.hasPrefix("Actor_"), file.parentName != "Actor_\(fields[6])" {
            return fail("the name says actor \(fields[6]) but the file lies in \(file.parentName)")
        }
        if (file.fileExtension == "wav") != (fields[0] == "03") {
            return fail("modality \(fields[0]) does not match the .\(file.fileExtension) extension")
        }
        let channelName = codes[1] == 1 ? "speech" : "song"
        let intensityName = codes[3] == 1 ? "normal" : "strong"
        let label = Self.emotions[codes[2] - 1]
        guard modality == "all" || modality == modalityName, vocalChannel == "all" || vocalChannel == channelName,
            intensity == "all" || intensity == intensityName, labels.contains(label),
            actors?.contains(codes[6]) ?? true
        else { return .success(nil) }
        let actor = fields[6]
        let item = CorpusScanning.item(
            file: file, corpus: "ravdess", label: label, speaker: actor,
            extra: [
                "actor": actor, "sex": codes[6] % 2 == 1 ? "male" : "female", "intensity": intensityName,
                "statement": fields[4], "text": text, "repetition": fields[5], "vocalChannel": channelName,
                "modality": modalityName,
            ])
        return .success(item)
    }
}
