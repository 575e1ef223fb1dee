import EmoCore
import EmoJSON
import Foundation

/// `corpus.folder`: a plain folder of audio files, one subfolder per label (or unlabelled).
public final class FolderReader: SourceNode {
    public static let descriptor = NodeDescriptor(
        type: "corpus.folder",
        summary: "Reads a folder of audio files with one subfolder per label, or unlabelled",
        details: """
            With `labelled` (default) every audio file under `root/<label>/` (at any depth) gets that \
            label; files directly under `root` are reported as `unrecognised`. Labels are the \
            subfolder names, in the order of `labels` when given (other subfolders are then left \
            out), else sorted. With `labelled` false every audio file under `root` is an unlabelled \
            item. Audio files are those ending in .wav .flac .aiff .aif .ogg .mp3 (any case); other \
            files are reported as `unrecognised`. `speakerPattern` is a regular expression with one \
            capture group applied to the file name (not the path); its capture is the speaker, and a \
            file it does not match is left out and reported. Metadata: label, speaker, corpus (the \
            `corpus` parameter, default the root folder's name), path.
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "utterances with the subfolder's label")],
        parameters: [
            ParameterSpec("root", .path, summary: "folder holding one subfolder per label (or the files)"),
            ParameterSpec("labelled", .boolean, default: true, summary: "subfolder names are labels"),
            ParameterSpec("labels", .stringList, optional: true,
                          summary: "labels to keep, in label order; default every subfolder, sorted"),
            ParameterSpec("speakerPattern", .string, optional: true,
                          summary: "regex with one capture group applied to the file name, giving the speaker"),
            ParameterSpec("corpus", .string, optional: true, summary: "corpus name for the metadata; default the root folder's name"),
        ],
        example: """
            { "id": "corpus", "type": "corpus.folder", "params": { "root": "data/my-corpus", "speakerPattern": "^(spk[0-9]+)_" } }
            """)

    let root: String
    let labelled: Bool
    let declaredLabels: [String]?
    let speakerPattern: NSRegularExpression?
    let corpusName: String
    let nodeId: String
    private var negotiatedLabels: [String]?
    private var reported = false

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        root = parameters.string("root")
        labelled = parameters.bool("labelled")
        declaredLabels = parameters.has("labels") ? parameters.stringList("labels") : nil
        if let labels = declaredLabels {
            guard !labels.isEmpty else { throw ParameterError(parameter: "labels", "the list is empty") }
            guard Set(labels).count == labels.count else { throw ParameterError(parameter: "labels", "a label is listed twice") }
            guard labelled else {
                throw ParameterError(parameter: "labels", "labels are given but labelled is false",
                                     hint: "set labelled to true, or drop labels")
            }
        }
        if let pattern = parameters.optionalString("speakerPattern") {
            let expression: NSRegularExpression
            do {
                expression = try NSRegularExpression(pattern: pattern)
            } catch {
                throw ParameterError(parameter: "speakerPattern", "\"\(pattern)\" is not a valid regular expression")
            }
            guard expression.numberOfCaptureGroups == 1 else {
                throw ParameterError(parameter: "speakerPattern",
                                     "\"\(pattern)\" has \(expression.numberOfCaptureGroups) capture groups; it needs exactly one",
                                     hint: "wrap the speaker part in (…) and use (?:…) for other groups")
            }
            speakerPattern = expression
        } else {
            speakerPattern = nil
        }
        corpusName = parameters.optionalString("corpus")
            ?? URL(fileURLWithPath: parameters.string("root")).standardizedFileURL.lastPathComponent
    }

    /// Labels are the subfolder names, read when the graph is validated (nil when unlabelled or
    /// when the folder is not there yet; the run then fails with a clear error).
    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        if labelled {
            negotiatedLabels = declaredLabels ?? subfolders()
        }
        return ["items": StreamFormat(.utterances, labels: negotiatedLabels)]
    }

    func subfolders() -> [String]? {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: root) else { return nil }
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && manager.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    func speaker(of name: String) -> String?? {
        guard let speakerPattern else { return .some(nil) }
        let range = NSRange(name.startIndex..., in: name)
        guard let match = speakerPattern.firstMatch(in: name, range: range),
            let captured = Range(match.range(at: 1), in: name)
        else { return nil }
        return .some(String(name[captured]))
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let root = try CorpusScanning.checkedRoot(self.root, corpus: "folder corpus")
        let labels = labelled ? (negotiatedLabels ?? declaredLabels ?? subfolders() ?? []) : nil
        var scan = CorpusScan(corpus: "folder")
        for file in CorpusScanning.listFiles(in: root, root: root) {
            guard CorpusScanning.audioExtensions.contains(file.fileExtension), !file.name.hasPrefix(".") else {
                scan.reject(file.id, "not an audio file (.wav .flac .aiff .aif .ogg .mp3)")
                continue
            }
            var label: String?
            if let labels {
                let parts = file.id.split(separator: "/")
                guard parts.count >= 2 else {
                    scan.reject(file.id, "lies directly in the root; a labelled folder corpus needs root/<label>/<file>")
                    continue
                }
                let folder = String(parts[0])
                guard labels.contains(folder) else {
                    if declaredLabels != nil {
                        scan.filteredOut += 1
                    } else {
                        scan.reject(file.id, "folder \(folder) appeared after the pipeline was validated")
                    }
                    continue
                }
                label = folder
            }
            guard let speaker = speaker(of: file.name) else {
                scan.reject(file.id, "the file name does not match speakerPattern")
                continue
            }
            scan.items.append(CorpusScanning.item(file: file, corpus: corpusName, label: label, speaker: speaker))
        }
        let items = try scan.finish(context: context, nodeId: nodeId, root: root, report: !reported, labels: labels)
        reported = true
        return ItemSequence(items)
    }
}
