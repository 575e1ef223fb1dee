import EmoCore
import EmoJSON
import Foundation

/// `corpus.emodb`: the Berlin Database of Emotional Speech (10 speakers, 7 emotions, 535 files).
///
/// File names are `SSTTTEV.wav`: speaker (two digits), text code (`a01`, `b10`, …), emotion letter
/// (German initials W L E A F T N) and version letter.
public final class EmodbReader: SourceNode {
    /// Emotion letters in the stream's label order (the order of the reference script), with names.
    public static let letters: [(letter: Character, label: String)] = [
        ("W", "angry"), ("L", "boredom"), ("E", "disgust"), ("A", "fearful"), ("F", "happy"), ("T", "sad"),
        ("N", "neutral"),
    ]
    /// Label order of the stream: W L E A F T N.
    public static let emotions = letters.map(\.label)
    /// The ten speakers.
    public static let speakers = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
    /// The male speakers; the others are female.
    public static let maleSpeakers: Set<String> = ["03", "10", "11", "12", "15"]

    public static let descriptor = NodeDescriptor(
        type: "corpus.emodb",
        summary: "Reads EmoDB (Berlin, German, 10 speakers, 7 emotions)",
        details: """
            Reads `root/wav/` when it exists (the corpus's own layout), else `root` itself, and parses \
            names `SSTTTEV.wav` (speaker, text code, emotion letter, version). Labels, in the letter \
            order W L E A F T N: angry boredom disgust fearful happy sad neutral (Wut, Langeweile, \
            Ekel, Angst, Freude, Trauer, neutral). Metadata: label, speaker ("03"), sex (males 03 10 \
            11 12 15), text (the text code, "a01"), version ("a"), corpus "emodb", path. Unknown \
            speakers or letters and stray files are left out and reported as `unrecognised` notices.
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "EmoDB utterances with label and speaker")],
        parameters: [
            ParameterSpec("root", .path, summary: "EmoDB folder (holding wav/) or the wav folder itself"),
            ParameterSpec("emotions", .stringList, optional: true,
                          summary: "emotions to keep, as names or letters (\"angry\" or \"W\"); default all seven"),
        ],
        example: """
            { "id": "corpus", "type": "corpus.emodb", "params": { "root": "data/emodb" } }
            """)

    let root: String
    let labels: [String]
    let nodeId: String
    private var reported = false

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        root = setup.parameters.string("root")
        if setup.parameters.has("emotions") {
            var codes: [String: String] = [:]
            for entry in Self.letters {
                codes[String(entry.letter)] = entry.label
                codes[String(entry.letter).lowercased()] = entry.label
            }
            labels = try CorpusScanning.selectLabels(setup.parameters.stringList("emotions"), parameter: "emotions",
                                                     order: Self.emotions, codes: codes)
        } else {
            labels = Self.emotions
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, labels: labels)]
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let root = try CorpusScanning.checkedRoot(self.root, corpus: "EmoDB")
        var isDirectory: ObjCBool = false
        let wav = root + "/wav"
        let folder = FileManager.default.fileExists(atPath: wav, isDirectory: &isDirectory) && isDirectory.boolValue ? wav : root
        let labelOf = Dictionary(uniqueKeysWithValues: Self.letters.map { ($0.letter, $0.label) })
        var scan = CorpusScan(corpus: "emodb")
        for file in CorpusScanning.listFiles(in: folder, root: root) {
            let name = Array(file.stem)
            guard file.fileExtension == "wav", name.count == 7, name.allSatisfy(\.isASCII) else {
                scan.reject(file.id, "not an EmoDB file (expected SSTTTEV.wav, e.g. 03a01Fa.wav)")
                continue
            }
            let speaker = String(name[0...1])
            let text = String(name[2...4])
            guard Self.speakers.contains(speaker) else {
                scan.reject(file.id, "unknown speaker \(speaker)")
                continue
            }
            guard name[2].isLetter, name[3].isNumber, name[4].isNumber else {
                scan.reject(file.id, "unknown text code \(text)")
                continue
            }
            guard let label = labelOf[name[5]] else {
                scan.reject(file.id, "unknown emotion letter \(name[5])")
                continue
            }
            guard name[6].isLowercase else {
                scan.reject(file.id, "unknown version letter \(name[6])")
                continue
            }
            guard labels.contains(label) else {
                scan.filteredOut += 1
                continue
            }
            scan.items.append(CorpusScanning.item(
                file: file, corpus: "emodb", label: label, speaker: speaker,
                extra: ["sex": Self.maleSpeakers.contains(speaker) ? "male" : "female", "text": text,
                        "version": String(name[6])]))
        }
        let items = try scan.finish(context: context, nodeId: nodeId, root: root, report: !reported, labels: labels)
        reported = true
        return ItemSequence(items)
    }
}
