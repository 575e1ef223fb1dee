import EmoCore
import EmoJSON
import Foundation

/// `corpus.iemocap`: the Interactive Emotional Dyadic Motion Capture database (5 sessions, 10 speakers).
///
/// Audio lies in `SessionN/sentences/wav/<dialog>/<utterance>.wav`; the consensus label of each
/// utterance is in `SessionN/dialog/EmoEvaluation/<dialog>.txt`, on lines such as
/// `[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]`.
public final class IemocapReader: SourceNode {
    /// Label codes of the evaluation files and their names.
    public static let codes: [String: String] = [
        "neu": "neutral", "hap": "happy", "ang": "angry", "sad": "sad", "exc": "excited", "fru": "frustrated",
        "fea": "fearful", "sur": "surprised", "dis": "disgust", "oth": "other",
    ]
    /// The standard 4-class set, in the stream's default label order.
    public static let standardClasses = ["neutral", "happy", "angry", "sad"]

    public static let descriptor = NodeDescriptor(
        type: "corpus.iemocap",
        summary: "Reads IEMOCAP (5 sessions) with labels from the EmoEvaluation files",
        details: """
            For each `SessionN` folder under `root`, reads the consensus labels from \
            `SessionN/dialog/EmoEvaluation/<dialog>.txt` and the audio from \
            `SessionN/sentences/wav/<dialog>/<utterance>.wav`. Codes: neu hap ang sad exc fru fea sur \
            dis oth → neutral happy angry sad excited frustrated fearful surprised disgust other; \
            `xxx` (no majority) is never kept. With `mergeExcitedIntoHappy` (default) exc counts as \
            happy. Only labels in `classes` are kept, and `classes` gives the label order (default \
            the standard 4-class set neutral happy angry sad, 5531 utterances on the full corpus). \
            Metadata: label, session ("Session1"), speaker (`Ses01F` for the female speaker of session \
            1, from the letter of the utterance name's last segment, so `Ses01F_impro01_M000` is \
            Ses01M), sex, dialog, improvised ("true"/"false"), valence, arousal, dominance, text (from \
            `dialog/transcriptions/` when present), corpus "iemocap", path. Audio files without a \
            label line, and stray files, are reported as `unrecognised`; kept labels whose audio file \
            is absent as `missing`.
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "IEMOCAP utterances with label, session and speaker")],
        parameters: [
            ParameterSpec("root", .path, summary: "IEMOCAP folder holding Session1 … Session5"),
            ParameterSpec("classes", .stringList, default: .array(standardClasses.map(JSON.string)),
                          summary: "labels to keep, in label order (names or codes: \"neutral\" or \"neu\")"),
            ParameterSpec("mergeExcitedIntoHappy", .boolean, default: true, summary: "count exc (excited) as happy"),
            ParameterSpec("dialogs", .choice(["all", "improvised", "scripted"]), default: "all",
                          summary: "keep improvised dialogs, scripted ones, or both"),
            ParameterSpec("sessions", .numberList, optional: true, summary: "session numbers to read (1–5); default all found"),
        ],
        example: """
            { "id": "corpus", "type": "corpus.iemocap", "params": { "root": "data/IEMOCAP_full_release", "dialogs": "improvised" } }
            """)

    let root: String
    let labels: [String]
    let merge: Bool
    let dialogs: String
    let sessions: Set<Int>?
    let nodeId: String
    private var reported = false

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        root = parameters.string("root")
        merge = parameters.bool("mergeExcitedIntoHappy")
        dialogs = parameters.string("dialogs")
        var chosen: [String] = []
        let names = Set(Self.codes.values)
        for entry in parameters.stringList("classes") {
            let key = entry.lowercased()
            guard let name = names.contains(key) ? key : Self.codes[key] else {
                throw ParameterError(parameter: "classes", "unknown IEMOCAP label \"\(entry)\"",
                                     hint: "use " + Self.codes.values.sorted().joined(separator: ", "))
            }
            if merge && name == "excited" {
                throw ParameterError(parameter: "classes", "excited is a class while mergeExcitedIntoHappy is true",
                                     hint: "drop excited from classes, or set mergeExcitedIntoHappy to false")
            }
            if !chosen.contains(name) { chosen.append(name) }
        }
        guard !chosen.isEmpty else { throw ParameterError(parameter: "classes", "the list is empty") }
        labels = chosen
        if parameters.has("sessions") {
            let numbers = parameters.doubleList("sessions")
            guard numbers.allSatisfy({ $0 == $0.rounded() && (1...5).contains($0) }) else {
                throw ParameterError(parameter: "sessions", "sessions are numbered 1 … 5")
            }
            sessions = Set(numbers.map { Int($0) })
        } else {
            sessions = nil
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, labels: labels)]
    }

    /// One labelled line of an EmoEvaluation file.
    struct Evaluation {
        var code: String
        var valence: String
        var arousal: String
        var dominance: String
    }

    /// Parses an EmoEvaluation file: utterance name → evaluation. Lines that are not turn lines
    /// (headers, per-evaluator lines) are skipped.
    static func parseEvaluations(_ text: String) -> [String: Evaluation] {
        var result: [String: Evaluation] = [:]
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("[") {
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 3 else { continue }
            var vad = ["", "", ""]
            if fields.count >= 4 {
                let numbers = fields[3].trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if numbers.count == 3 { vad = numbers }
            }
            result[fields[1]] = Evaluation(code: fields[2].lowercased(), valence: vad[0], arousal: vad[1], dominance: vad[2])
        }
        return result
    }

    /// Parses a transcription file: utterance name → text.
    static func parseTranscriptions(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let space = line.firstIndex(of: " "), let colon = line.range(of: "]:") else { continue }
            result[String(line[..<space])] = line[colon.upperBound...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let root = try CorpusScanning.checkedRoot(self.root, corpus: "IEMOCAP")
        let manager = FileManager.default
        let sessionFolders = ((try? manager.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { name -> (Int, String)? in
                guard name.hasPrefix("Session"), let number = Int(name.dropFirst(7)) else { return nil }
                return (number, name)
            }
            .sorted { $0.0 < $1.0 }
        guard !sessionFolders.isEmpty else {
            throw CorpusError("IEMOCAP root \(root) holds no Session1 … Session5 folders",
                              hint: "point root at the folder that contains Session1")
        }
        var scan = CorpusScan(corpus: "iemocap")
        for (number, folder) in sessionFolders {
            guard sessions?.contains(number) ?? true else { continue }
            let sessionPath = root + "/" + folder
            var evaluations: [String: Evaluation] = [:]
            var transcriptions: [String: String] = [:]
            let evaluationFolder = sessionPath + "/dialog/EmoEvaluation"
            for name in ((try? manager.contentsOfDirectory(atPath: evaluationFolder)) ?? []).sorted()
            where name.hasSuffix(".txt") && !name.hasPrefix(".") {
                guard let text = try? String(contentsOfFile: evaluationFolder + "/" + name, encoding: .utf8) else { continue }
                evaluations.merge(Self.parseEvaluations(text)) { first, _ in first }
            }
            let transcriptionFolder = sessionPath + "/dialog/transcriptions"
            for name in ((try? manager.contentsOfDirectory(atPath: transcriptionFolder)) ?? []).sorted()
            where name.hasSuffix(".txt") && !name.hasPrefix(".") {
                guard let text = try? String(contentsOfFile: transcriptionFolder + "/" + name, encoding: .utf8) else { continue }
                transcriptions.merge(Self.parseTranscriptions(text)) { first, _ in first }
            }
            var seen = Set<String>()
            let wavFolder = sessionPath + "/sentences/wav"
            for file in CorpusScanning.listFiles(in: wavFolder, root: root) {
                guard file.fileExtension == "wav", !file.name.hasPrefix(".") else {
                    scan.reject(file.id, "not an IEMOCAP utterance file")
                    continue
                }
                let utterance = file.stem
                seen.insert(utterance)
                guard let evaluation = evaluations[utterance] else {
                    scan.reject(file.id, "no label for \(utterance) in \(folder)/dialog/EmoEvaluation")
                    continue
                }
                let segments = utterance.split(separator: "_")
                guard segments.count >= 3, let letter = segments.last?.first, letter == "F" || letter == "M" else {
                    scan.reject(file.id, "utterance name \(utterance) does not end in an F… or M… segment")
                    continue
                }
                guard let item = item(file: file, utterance: utterance, evaluation: evaluation, session: number,
                                      folder: folder, letter: letter, text: transcriptions[utterance])
                else {
                    scan.filteredOut += 1
                    continue
                }
                scan.items.append(item)
            }
            for (utterance, evaluation) in evaluations.sorted(by: { $0.key < $1.key }) where !seen.contains(utterance) {
                guard let name = label(for: evaluation.code), labels.contains(name),
                    dialogKeep(String(utterance.split(separator: "_").dropLast().joined(separator: "_")))
                else { continue }
                scan.reject("\(folder)/\(utterance)", "labelled \(evaluation.code) but \(utterance).wav is not under \(folder)/sentences/wav",
                            code: CorpusNoticeCode.missing)
            }
        }
        let items = try scan.finish(context: context, nodeId: nodeId, root: root, report: !reported, labels: labels)
        reported = true
        return ItemSequence(items)
    }

    /// The label name for an evaluation code under this node's merge rule; nil for `xxx` and unknown codes.
    func label(for code: String) -> String? {
        guard let name = Self.codes[code] else { return nil }
        return merge && name == "excited" ? "happy" : name
    }

    func dialogKeep(_ dialog: String) -> Bool {
        switch dialogs {
        case "improvised": dialog.contains("impro")
        case "scripted": !dialog.contains("impro")
        default: true
        }
    }

    func item(file: CorpusFile, utterance: String, evaluation: Evaluation, session: Int, folder: String,
              letter: Character, text: String?) -> Item? {
        guard let label = label(for: evaluation.code), labels.contains(label) else { return nil }
        let dialog = utterance.split(separator: "_").dropLast().joined(separator: "_")
        guard dialogKeep(dialog) else { return nil }
        let prefix = String(utterance.prefix(5))  // Ses01
        let speaker = prefix + String(letter)
        var extra = [
            MetadataKey.session: folder, "dialog": dialog, "improvised": dialog.contains("impro") ? "true" : "false",
            "sex": letter == "F" ? "female" : "male", "valence": evaluation.valence, "arousal": evaluation.arousal,
            "dominance": evaluation.dominance, "emotionCode": evaluation.code,
        ]
        if let text { extra["text"] = text }
        return CorpusScanning.item(file: file, corpus: "iemocap", label: label, speaker: speaker, extra: extra)
    }
}
