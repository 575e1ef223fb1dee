import EmoCore
import EmoJSON
import Foundation

/// `corpus.manifest`: utterances listed in a CSV file (with a header row) or a JSON-lines file.
public final class ManifestReader: SourceNode {
    public static let descriptor = NodeDescriptor(
        type: "corpus.manifest",
        summary: "Reads utterances listed in a CSV (with header) or JSON-lines manifest",
        details: """
            Columns (CSV header names, or JSON keys): `path` (required; relative paths resolve \
            against the manifest's folder), `label`, `speaker`, optional `id`, and any others, which \
            become metadata under their own names. The item id is the `id` column when present, else \
            the path as relative to the manifest's folder (absolute when it lies outside). The format \
            follows the extension (.csv; .jsonl, .ndjson, .json) unless `format` says. Labels are \
            `labels` in that order when given (rows with other labels are left out), else the labels \
            found, sorted (read when the graph is validated). Rows without a path are reported as \
            `unrecognised`, rows whose file is absent as `missing`; a repeated id is reported and the \
            first row kept. Metadata: label, speaker, corpus (the `corpus` column, else the \
            parameter, else the manifest's name), path, and the other columns.
            """,
        role: .source,
        outputs: [PortSpec("items", .utterances, summary: "the listed utterances")],
        parameters: [
            ParameterSpec("manifest", .path, summary: "the CSV or JSON-lines file"),
            ParameterSpec("format", .choice(["auto", "csv", "jsonl"]), default: "auto",
                          summary: "file format; auto follows the extension"),
            ParameterSpec("labels", .stringList, optional: true, summary: "labels to keep, in label order; default all found, sorted"),
            ParameterSpec("corpus", .string, optional: true, summary: "corpus name when the manifest has no corpus column"),
            ParameterSpec("checkFiles", .boolean, default: true, summary: "leave out (and report) rows whose file does not exist"),
        ],
        example: """
            { "id": "corpus", "type": "corpus.manifest", "params": { "manifest": "data/train.csv", "labels": ["neutral", "happy", "angry", "sad"] } }
            """)

    let manifest: String
    let format: String
    let declaredLabels: [String]?
    let corpusName: String
    let checkFiles: Bool
    let nodeId: String
    private var negotiatedLabels: [String]?
    private var reported = false

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        manifest = URL(fileURLWithPath: parameters.string("manifest")).standardizedFileURL.path
        let extensionName = (manifest as NSString).pathExtension.lowercased()
        switch parameters.string("format") {
        case "auto":
            switch extensionName {
            case "csv": format = "csv"
            case "jsonl", "ndjson", "json": format = "jsonl"
            default:
                throw ParameterError(parameter: "format", "cannot tell the format of \(manifest) from its extension",
                                     hint: "name it .csv or .jsonl, or set format")
            }
        case let chosen: format = chosen
        }
        declaredLabels = parameters.has("labels") ? parameters.stringList("labels") : nil
        if let labels = declaredLabels, labels.isEmpty { throw ParameterError(parameter: "labels", "the list is empty") }
        corpusName = parameters.optionalString("corpus")
            ?? ((manifest as NSString).lastPathComponent as NSString).deletingPathExtension
        checkFiles = parameters.bool("checkFiles")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        if let declaredLabels {
            negotiatedLabels = declaredLabels
        } else if let table = try? readTable(), table.columns.contains(MetadataKey.label) {
            negotiatedLabels = Set(table.rows.compactMap { $0.values[MetadataKey.label] }).sorted()
        }
        return ["items": StreamFormat(.utterances, labels: negotiatedLabels)]
    }

    func readTable() throws -> TextTable {
        guard FileManager.default.fileExists(atPath: manifest) else {
            throw CorpusError("manifest \(manifest) does not exist", hint: "set the manifest parameter")
        }
        guard let data = FileManager.default.contents(atPath: manifest), let text = String(data: data, encoding: .utf8) else {
            throw CorpusError("manifest \(manifest) cannot be read as UTF-8 text")
        }
        return format == "csv" ? try TextTable.csv(text, file: manifest) : try TextTable.jsonLines(text, file: manifest)
    }

    public func makeItems(context: RunContext) throws -> ItemSequence {
        let table = try readTable()
        guard table.columns.contains(MetadataKey.path) else {
            throw CorpusError("manifest \(manifest) has no path column (columns: \(table.columns.joined(separator: ", ")))")
        }
        let folder = (manifest as NSString).deletingLastPathComponent
        let labels = negotiatedLabels ?? declaredLabels
            ?? (table.columns.contains(MetadataKey.label) ? Set(table.rows.compactMap { $0.values[MetadataKey.label] }).sorted() : nil)
        let name = (manifest as NSString).lastPathComponent
        var scan = CorpusScan(corpus: "manifest")
        var seen = Set<String>()
        for row in table.rows {
            var values = row.values
            guard let written = values.removeValue(forKey: MetadataKey.path) else {
                scan.reject("\(name):\(row.line)", "row has no path")
                continue
            }
            let absolute = written.hasPrefix("/")
                ? URL(fileURLWithPath: written).standardizedFileURL.path
                : URL(fileURLWithPath: written, relativeTo: URL(fileURLWithPath: folder, isDirectory: true)).standardizedFileURL.path
            let relative = absolute.hasPrefix(folder + "/") ? String(absolute.dropFirst(folder.count + 1)) : absolute
            let id = values.removeValue(forKey: "id") ?? relative
            guard !seen.contains(id) else {
                scan.reject(id, "\(name) line \(row.line) repeats the id \(id); the first row is kept")
                continue
            }
            seen.insert(id)
            if checkFiles && !FileManager.default.fileExists(atPath: absolute) {
                scan.reject(id, "\(name) line \(row.line): \(absolute) does not exist", code: CorpusNoticeCode.missing)
                continue
            }
            let label = values.removeValue(forKey: MetadataKey.label)
            if let labels, let label, !labels.contains(label) {
                if declaredLabels != nil {
                    scan.filteredOut += 1
                } else {
                    scan.reject(id, "label \(label) appeared after the pipeline was validated")
                }
                continue
            }
            let speaker = values.removeValue(forKey: MetadataKey.speaker)
            let corpus = values.removeValue(forKey: MetadataKey.corpus) ?? corpusName
            let file = CorpusFile(id: id, path: absolute)
            scan.items.append(CorpusScanning.item(file: file, corpus: corpus, label: label, speaker: speaker, extra: values))
        }
        let items = try scan.finish(context: context, nodeId: nodeId, root: manifest, report: !reported, labels: labels)
        reported = true
        return ItemSequence(items)
    }
}
