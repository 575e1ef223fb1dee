import EmoCore
import EmoJSON
import Foundation

/// A problem with a corpus as a whole (missing root, nothing recognisable in it), thrown by readers.
public struct CorpusError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, for a person.
    public var message: String
    /// How to fix it, when known.
    public var hint: String?

    /// A corpus error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

/// Notice codes the corpus and split nodes use.
public enum CorpusNoticeCode {
    /// A file whose name does not parse, an unknown code, a stray file: left out, not guessed.
    public static let unrecognised = "unrecognised"
    /// A label line or manifest row whose audio file is not there.
    public static let missing = "missing"
    /// Byte-identical files.
    public static let duplicate = "duplicate"
    /// A file that could not be read.
    public static let unreadable = "unreadable"
}

extension RunContext {
    /// Records a notice about an item in the run report.
    func notice(itemId: String, nodeId: String, code: String, message: String) {
        notice(ItemNotice(itemId: itemId, nodeId: nodeId, code: code, message: message))
    }
}

/// A file found under a corpus root.
struct CorpusFile: Sendable {
    /// Path relative to the corpus root, `/`-separated: the item id.
    var id: String
    /// Absolute path.
    var path: String

    /// The file name (last path component).
    var name: String { id.split(separator: "/").last.map(String.init) ?? id }
    /// The name without its extension.
    var stem: String { (name as NSString).deletingPathExtension }
    /// The extension, lower case, without the dot.
    var fileExtension: String { (name as NSString).pathExtension.lowercased() }
    /// The name of the folder the file lies in (empty for files directly under the root).
    var parentName: String {
        let parts = id.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : ""
    }
}

/// Listing and item-building helpers shared by the corpus readers.
enum CorpusScanning {
    /// Audio file extensions the generic readers accept (lower case).
    static let audioExtensions: Set<String> = ["wav", "flac", "aiff", "aif", "ogg", "mp3"]

    /// The root as an absolute, standardised path without a trailing slash; throws when it is not a folder.
    static func checkedRoot(_ root: String, corpus: String) throws -> String {
        let standardized = URL(fileURLWithPath: root).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: standardized, isDirectory: &isDirectory) else {
            throw CorpusError("\(corpus) root folder \(standardized) does not exist",
                              hint: "set the reader's root parameter to the folder that holds the corpus")
        }
        guard isDirectory.boolValue else {
            throw CorpusError("\(corpus) root \(standardized) is a file, not a folder")
        }
        return standardized
    }

    /// Every regular file under `folder` (recursively, hidden files included), with ids relative to
    /// `root` (`folder` must lie under `root`), sorted by id.
    static func listFiles(in folder: String, root: String) -> [CorpusFile] {
        let prefix = folder == root ? "" : String(folder.dropFirst(root.count + 1)) + "/"
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [CorpusFile] = []
        while let relative = enumerator.nextObject() as? String {
            let path = folder + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            files.append(CorpusFile(id: prefix + relative, path: path))
        }
        return files.sorted { $0.id < $1.id }
    }

    /// An utterance item with the conventional metadata keys.
    static func item(
        file: CorpusFile, corpus: String, label: String?, speaker: String?, extra: [String: String] = [:]
    ) -> Item {
        var metadata = extra
        metadata[MetadataKey.corpus] = corpus
        metadata[MetadataKey.path] = file.path
        if let label { metadata[MetadataKey.label] = label }
        if let speaker { metadata[MetadataKey.speaker] = speaker }
        return Item(id: file.id, metadata: metadata, payload: UtterancePayload(path: file.path))
    }

    /// Resolves a list of wanted emotions given as names or corpus codes into names, in the corpus's
    /// label order; throws a ``ParameterError`` naming any unknown entry.
    static func selectLabels(
        _ wanted: [String], parameter: String, order: [String], codes: [String: String]
    ) throws -> [String] {
        var chosen = Set<String>()
        for entry in wanted {
            let key = entry.lowercased()
            if order.contains(key) {
                chosen.insert(key)
            } else if let name = codes[key] ?? codes[entry] {
                chosen.insert(name)
            } else {
                throw ParameterError(parameter: parameter, "unknown emotion \"\(entry)\"",
                                     hint: "use one of " + order.joined(separator: ", "))
            }
        }
        guard !chosen.isEmpty else { throw ParameterError(parameter: parameter, "the list is empty") }
        return order.filter(chosen.contains)
    }
}

/// What one reader pass found: kept items, rejected files, and how many were filtered out on purpose.
/// `finish` sorts, reports (once per node) and returns the items.
struct CorpusScan {
    /// The corpus name (`emodb`, `ravdess`, …) for messages and the report.
    var corpus: String
    /// Items kept.
    var items: [Item] = []
    /// Files left out with a reason, reported as notices: (id, code, message).
    var rejected: [(id: String, code: String, message: String)] = []
    /// Files left out by the reader's filters (not a problem).
    var filteredOut = 0

    init(corpus: String) { self.corpus = corpus }

    /// Leaves a file out as unrecognised.
    mutating func reject(_ id: String, _ message: String, code: String = CorpusNoticeCode.unrecognised) {
        rejected.append((id, code, message))
    }

    /// Sorts the items by id, reports notices and a summary section (the first time only), and
    /// returns them. Throws when nothing was found, naming what was seen instead.
    func finish(context: RunContext, nodeId: String, root: String, report: Bool, labels: [String]?) throws -> [Item] {
        let sorted = items.sorted { $0.id < $1.id }
        if report {
            for entry in rejected {
                context.notice(itemId: entry.id, nodeId: nodeId, code: entry.code, message: entry.message)
            }
            var perLabel = JSONObject()
            let counts = Dictionary(grouping: sorted, by: { $0.label ?? "" }).mapValues(\.count)
            for label in labels ?? counts.keys.sorted() { perLabel[label] = .int(counts[label] ?? 0) }
            let speakers = Set(sorted.compactMap { $0.metadata[MetadataKey.speaker] })
            let section: JSON = [
                "type": .string("corpus.\(corpus)"), "root": .string(root), "items": .int(sorted.count),
                "labels": .object(perLabel), "speakers": .int(speakers.count),
                "leftOut": .int(rejected.count), "filteredOut": .int(filteredOut),
            ]
            context.addReportSection(nodeId, section)
        }
        if sorted.isEmpty {
            let why = rejected.isEmpty
                ? (filteredOut > 0 ? "all \(filteredOut) files were excluded by the reader's filters" : "the folder holds no files")
                : "\(rejected.count) files were left out, e.g. \(rejected[0].id): \(rejected[0].message)"
            throw CorpusError("no \(corpus) utterances found under \(root): \(why)",
                              hint: "check the root parameter and the reader's filters")
        }
        return sorted
    }
}
