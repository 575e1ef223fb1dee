import EmoCore
import EmoDSP
import EmoJSON
import Foundation

/// `features.write`: one float32 `.npy` per item (shape bins × frames as librosa, or frames × bins;
/// loadable by `numpy.load`) in a
/// tree mirroring the item ids, plus a manifest; resumable.
///
/// Every file is written to a temporary name and renamed when complete. Each finished item is
/// appended to `manifest.partial.jsonl` with the fingerprint of everything upstream (node types,
/// versions, parameters); a re-run skips items whose `.npy` exists and whose fingerprint matches —
/// before decoding them — and recomputes the rest, so a killed run resumes where it stopped and a
/// changed parameter recomputes everything. The final manifest (`manifest.jsonl` or `manifest.csv`)
/// is written atomically at the end.
public final class FeatureWriterNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "features.write",
        summary: "Write one float32 .npy per item and a manifest (CSV or JSONL); resumable",
        details: """
            Files go to `out/<item id without extension>.npy` (C order; `layout` bins × frames as librosa by default). The manifest lists id, \
            label, speaker, split, shape and path. Temporary names and renames mean a killed run loses nothing \
            written; a re-run skips finished items whose parameters fingerprint matches.
            """,
        role: .stream,
        inputs: [PortSpec("spectrum", .spectrum, summary: "features to write")],
        outputs: [PortSpec("report", .report, summary: "counts written, skipped, failed")],
        parameters: [
            ParameterSpec("out", .path, summary: "output folder"),
            ParameterSpec("manifest", .choice(["jsonl", "csv"]), default: "jsonl", summary: "manifest format"),
            ParameterSpec("resume", .boolean, default: true, summary: "skip items already written with the same parameters"),
            ParameterSpec("layout", .choice(["binsByFrames", "framesByBins"]), default: "binsByFrames",
                          summary: "array shape: (bins, frames) as librosa, or (frames, bins)"),
        ],
        example: #"{ "id": "write", "type": "features.write", "inputs": { "spectrum": "norm.spectrum" }, "params": { "out": "$out" } }"#)

    let nodeId: String
    let out: String
    let csv: Bool
    let resume: Bool
    let binsFirst: Bool
    private var spec: SpectrumSpec?

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        out = setup.parameters.string("out")
        csv = setup.parameters.string("manifest") == "csv"
        resume = setup.parameters.bool("resume")
        binsFirst = setup.parameters.string("layout") == "binsByFrames"
        if out.isEmpty { throw ParameterError(parameter: "out", "is empty") }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["spectrum"], format.spectrum != nil else {
            throw FormatError(port: "spectrum", expected: "a spectrum")
        }
        spec = format.spectrum
        return ["report": StreamFormat(.report)]
    }

    /// One manifest row.
    struct Row {
        var id: String
        var metadata: [String: String]
        var shape: [Int]
        var file: String
        var fingerprint: String

        var json: JSON {
            var object: JSONObject = ["id": .string(id), "path": .string(file), "shape": .array(shape.map(JSON.int)),
                                      "fingerprint": .string(fingerprint)]
            for key in ["label", "speaker", "split", "fold", "roles"] { if let value = metadata[key] { object[key] = .string(value) } }
            var rest = JSONObject()
            for key in metadata.keys.sorted() where !["label", "speaker", "split", "fold", "roles"].contains(key) {
                rest[key] = .string(metadata[key]!)
            }
            if rest.count > 0 { object["metadata"] = .object(rest) }
            return .object(object)
        }

        init(id: String, metadata: [String: String], shape: [Int], file: String, fingerprint: String) {
            self.id = id
            self.metadata = metadata
            self.shape = shape
            self.file = file
            self.fingerprint = fingerprint
        }

        init?(json: JSON) {
            guard let id = json["id"]?.stringValue, let file = json["path"]?.stringValue,
                let shape = json["shape"]?.arrayValue?.compactMap(\.intValue), let fingerprint = json["fingerprint"]?.stringValue
            else { return nil }
            var metadata: [String: String] = [:]
            for key in ["label", "speaker", "split", "fold", "roles"] { metadata[key] = json[key]?.stringValue }
            for (key, value) in json["metadata"]?.objectValue ?? JSONObject() { metadata[key] = value.stringValue }
            self.init(id: id, metadata: metadata, shape: shape, file: file, fingerprint: fingerprint)
        }
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: out, withIntermediateDirectories: true)
        let fingerprint = context.inputFingerprint(node: nodeId, port: "spectrum")
        let partialPath = (out as NSString).appendingPathComponent("manifest.partial.jsonl")
        var rows: [String: Row] = [:]
        var order: [String] = []
        if resume, let text = try? String(contentsOfFile: partialPath, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                // A line cut short by a kill does not parse and is ignored.
                guard let json = try? JSON.parse(String(line)), let row = Row(json: json), row.fingerprint == fingerprint,
                    fileManager.fileExists(atPath: (out as NSString).appendingPathComponent(row.file))
                else { continue }
                if rows[row.id] == nil { order.append(row.id) }
                rows[row.id] = row
            }
        }
        let resumed = Set(rows.keys)
        if !resumed.isEmpty { context.progress.message("\(nodeId): \(resumed.count) item(s) already written; resuming") }
        if !fileManager.fileExists(atPath: partialPath) || resumed.isEmpty {
            _ = fileManager.createFile(atPath: partialPath, contents: nil)
        }
        guard let partial = FileHandle(forWritingAtPath: partialPath) else {
            throw ItemError("cannot write \(partialPath)", code: "writeFailed")
        }
        defer { try? partial.close() }
        if resumed.isEmpty { try partial.truncate(atOffset: 0) } else { try partial.seekToEnd() }
        var written = 0
        let iterator = try inputs["spectrum"]!.makeIterator(pass: .first, excluding: resumed)
        // Files are written one after another on this thread, as the items arrive: the map chain upstream
        // computes the next items on its workers meanwhile, and serial creates do not contend for the
        // output folder's lock. NPYFile.write writes to a temporary name and renames when complete.
        let batchSize = max(8, context.workers * 8)
        var lines = ""
        var pending = 0
        var createdFolders = Set<String>()
        var scratch: [UInt8] = []
        // One append per batch, after its files are complete: a kill loses at most this batch's lines.
        func flush() {
            if !lines.isEmpty { partial.write(Data(lines.utf8)) }
            lines = ""
            pending = 0
        }
        do {
            while let item = try iterator.next() {
                switch Result(catching: { try write(item, folders: &createdFolders, scratch: &scratch) }) {
                case .failure(let error):
                    context.record(ItemFailure(itemId: item.id, path: item.metadata[MetadataKey.path], nodeId: nodeId,
                                               code: "writeFailed", reason: "\(error)"))
                case .success(let shape):
                    let row = Row(id: item.id, metadata: item.metadata, shape: shape, file: Self.relativeFile(for: item.id),
                                  fingerprint: fingerprint)
                    lines += row.json.serialized(pretty: false) + "\n"
                    pending += 1
                    if rows[item.id] == nil { order.append(item.id) }
                    rows[item.id] = row
                    written += 1
                }
                if pending >= batchSize { flush() }
            }
        } catch {
            flush()
            throw error
        }
        flush()
        let manifestPath = (out as NSString).appendingPathComponent(csv ? "manifest.csv" : "manifest.jsonl")
        let ordered = order.sorted().compactMap { rows[$0] }
        let text = csv ? Self.csv(ordered) : ordered.map { $0.json.serialized(pretty: false) }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: manifestPath), options: .atomic)
        let summary: JSON = ["out": .string(out), "written": .int(written), "resumed": .int(resumed.count),
                             "manifest": .string(manifestPath), "features": .string(spec?.summary ?? "")]
        context.addReportSection(nodeId, summary)
        return ["report": ArrayStream([Item(id: nodeId, payload: ReportPayload(summary))])]
    }

    /// Writes one item's `.npy`; the shape written. `scratch` is the file buffer, reused between calls.
    func write(_ item: Item, folders: inout Set<String>, scratch: inout [UInt8]) throws -> [Int] {
        let spectrum = try item.payload(as: SpectrumPayload.self)
        let destination = (out as NSString).appendingPathComponent(Self.relativeFile(for: item.id))
        let folder = (destination as NSString).deletingLastPathComponent
        if !folders.contains(folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            folders.insert(folder)
        }
        if binsFirst {
            let shape = [spectrum.bins, spectrum.frames]
            try NPYFile.writeTransposed(spectrum.values, rows: spectrum.frames, columns: spectrum.bins, to: destination,
                                        buffer: &scratch)
            return shape
        } else {
            let shape = [spectrum.frames, spectrum.bins]
            try NPYFile.write(shape: shape, count: spectrum.values.count, to: destination, buffer: &scratch) { output in
                spectrum.values.withUnsafeBufferPointer { if let base = $0.baseAddress { output.update(from: base, count: $0.count) } }
            }
            return shape
        }
    }

    /// `a/b/file.wav` → `a/b/file.npy`; ids without a folder stay flat.
    static func relativeFile(for id: String) -> String {
        let safe = id.replacingOccurrences(of: "..", with: "_")
        let stem = (safe as NSString).deletingPathExtension
        return (stem.hasPrefix("/") ? String(stem.dropFirst()) : stem) + ".npy"
    }

    static func csv(_ rows: [Row]) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = ["id,label,speaker,split,fold,shape,path"]
        for row in rows {
            let values = [row.id, row.metadata["label"] ?? "", row.metadata["speaker"] ?? "", row.metadata["split"] ?? "",
                          row.metadata["fold"] ?? "", row.shape.map(String.init).joined(separator: "x"), row.file]
            lines.append(values.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
