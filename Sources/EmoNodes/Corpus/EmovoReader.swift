import EmoCore
import EmoJSON
import Foundation

/// `corpus.emovo`: EMOVO, the Italian emotional speech corpus (6 actors, 7 emotions, 14 sentences).
///
/// File names are `<emotion>-<actor>-<sentence>.wav`, e.g. `dis-f1-b1.wav`; emotion codes dis gio
/// neu pau rab sor tri; actors f1 f2 f3 m1 m2 m3.
public final class EmovoReader: SourceNode {
    /// Emotion codes in the stream's label order, with their English names.
    public static let codes: [(code: String, label: String)] = [
        ("dis", "disgust"), ("gio", "happy"), ("neu", "neutral"), ("pau", "fearful"), ("rab", "angry"),
        ("sor", "surprised"), ("tri", "sad"),
    ]
    /// Label order of the stream: the code order dis gio neu pau rab sor tri.
    public static let emotions = codes.map(\.label)
    /// The six actors.
    public static let actors = ["f1", "f2", "f3", "m1", "m2", "m3"]

    public static let descriptor = NodeDescriptor(
        type: "corpus.emovo",
        summary: "Reads EMOVO (Italian, 6 actors, 7 emotions) from per-actor folders or a flat folder",
        details: """
            Parses names `<emotion>-<actor>-<sentence>.wav` (case-insensitive, e.g. `dis-f1-b1.wav`) \
            under `root`, recursively. Labels, in code order dis gio neu pau rab sor tri: disgust \
            happy neutral fearful angry surprised sad. Metadata: label, speaker and actor ("f1"), sex \
            (f/m), statement (the sentence code, "b1"), corpus "emovo", path. A name whose actor \
            differs from its actor folder, unknown codes and stray files are left out and reported \
            as `unrecognised` notices. EMOVO is stereo with two different microphones in the two \
            channels: averaging them comb-filters the audio, so decode it with `"channel": 0` on \
            audio.decode rather than mixing down (one file is mono).
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "EMOVO utterances with label and speaker")],
        parameters: [
            ParameterSpec("root", .path, summary: "EMOVO folder (f1 … m3 folders inside, or the files themselves)"),
            ParameterSpec("emotions", .stringList, optional: true,
                          summary: "emotions to keep, as names or codes (\"angry\" or \"rab\"); default all seven"),
        ],
        example: """
            { "id": "corpus", "type": "corpus.emovo", "params": { "root": "data/emovo" } }
            """)

    let root: String
    let labels: [String]
    let nodeId: String
    private var reported = false

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        root = setup.parameters.string("root")
        if setup.parameters.has("emotions") {
            labels = try CorpusScanning.selectLabels(
                setup.parameters.stringList("emotions"), parameter: "emotions", order: Self.emotions,
                codes: Dictionary(uniqueKeysWithValues: Self.codes.map { ($0.code, $0.label) }))
        } else {
            labels = Self.emotions
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, labels: labels)]
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let root = try CorpusScanning.checkedRoot(self.root, corpus: "EMOVO")
        let labelOf = Dictionary(uniqueKeysWithValues: Self.codes.map { ($0.code, $0.label) })
        var scan = CorpusScan(corpus: "emovo")
        for file in CorpusScanning.listFiles(in: root, root: root) {
            guard file.fileExtension == "wav" else {
                scan.reject(file.id, "not an EMOVO file (expected <emotion>-<actor>-<sentence>.wav)")
                continue
            }
            let fields = file.stem.lowercased().split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else {
                scan.reject(file.id, "name does not parse as <emotion>-<actor>-<sentence>")
                continue
            }
            guard let label = labelOf[fields[0]] else {
                scan.reject(file.id, "unknown emotion code \(fields[0])")
                continue
            }
            let actor = fields[1]
            guard Self.actors.contains(actor) else {
                scan.reject(file.id, "unknown actor \(actor)")
                continue
            }
            let sentence = fields[2]
            guard let first = sentence.first, first.isLetter, sentence.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
                sentence.contains(where: \.isNumber)
            else {
                scan.reject(file.id, "unknown sentence code \(sentence)")
                continue
            }
            let folder = file.parentName.lowercased()
            if Self.actors.contains(folder), folder != actor {
                scan.reject(file.id, "the name says actor \(actor) but the file lies in folder \(file.parentName)")
                continue
            }
            guard labels.contains(label) else {
                scan.filteredOut += 1
                continue
            }
            scan.items.append(CorpusScanning.item(
                file: file, corpus: "emovo", label: label, speaker: actor,
                extra: ["actor": actor, "sex": actor.hasPrefix("f") ? "female" : "male", "statement": sentence]))
        }
        let items = try scan.finish(context: context, nodeId: nodeId, root: root, report: !reported, labels: labels)
        reported = true
        return ItemSequence(items)
    }
}
