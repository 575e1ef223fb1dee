import EmoJSON
import Foundation

/// One per-item failure, as listed in the run report.
public struct ItemFailure: Sendable, Equatable {
    /// The item's id.
    public var itemId: String
    /// The source file, when the item has one.
    public var path: String?
    /// The node that failed.
    public var nodeId: String
    /// Short class of the problem (`unreadable`, `silent`, …).
    public var code: String
    /// The reason, for a person.
    public var reason: String

    /// A failure record.
    public init(itemId: String, path: String?, nodeId: String, code: String, reason: String) {
        self.itemId = itemId
        self.path = path
        self.nodeId = nodeId
        self.code = code
        self.reason = reason
    }

    /// As JSON for reports and events.
    public var json: JSON {
        var object: JSONObject = ["item": .string(itemId), "node": .string(nodeId), "code": .string(code),
                                  "reason": .string(reason)]
        if let path { object["path"] = .string(path) }
        return .object(object)
    }
}

/// A note about an item that is not a failure (a silent file that was kept, say).
public struct ItemNotice: Sendable, Equatable {
    /// The item's id.
    public var itemId: String
    /// The node that noticed.
    public var nodeId: String
    /// Short class (`silent`, `clipped`, `duplicate`).
    public var code: String
    /// What was noticed.
    public var message: String

    /// A notice.
    public init(itemId: String, nodeId: String, code: String, message: String) {
        self.itemId = itemId
        self.nodeId = nodeId
        self.code = code
        self.message = message
    }
}

/// Shared state of one run: seed, worker count, progress, events, and what goes into the run report.
/// Thread-safe: map nodes on worker threads record failures and notices here.
public final class RunContext: @unchecked Sendable {
    /// The run seed.
    public let seed: UInt64
    /// Worker threads for map nodes.
    public let workers: Int
    /// Progress and event output.
    public let progress: ProgressReporter
    /// Folder the pipeline file lives in (relative outputs resolve here).
    public let baseDirectory: String

    private let lock = NSLock()
    private var failureList: [ItemFailure] = []
    private var noticeList: [ItemNotice] = []
    private var sectionList: [(String, JSON)] = []

    /// A context.
    public init(seed: UInt64 = 0, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                progress: ProgressReporter = ProgressReporter(), baseDirectory: String = ".") {
        self.seed = seed
        self.workers = max(1, workers)
        self.progress = progress
        self.baseDirectory = baseDirectory
    }

    /// The fingerprint of what arrives on each input port, by consumer node id and port (set by the
    /// runner; see ``ResolvedGraph/fingerprints``).
    public internal(set) var inputFingerprints: [String: [String: String]] = [:]

    /// The fingerprint of what arrives on `port` of node `nodeId` ("" when unknown).
    public func inputFingerprint(node nodeId: String, port: String) -> String {
        inputFingerprints[nodeId]?[port] ?? ""
    }

    /// Records a per-item failure (and emits an event).
    public func record(_ failure: ItemFailure) {
        lock.withLock { failureList.append(failure) }
        progress.event("itemFailed", failure.json.objectValue ?? JSONObject())
        progress.message("skipped \(failure.itemId) at \(failure.nodeId): \(failure.reason)")
    }

    /// Records a notice about an item.
    public func notice(_ notice: ItemNotice) {
        lock.withLock { noticeList.append(notice) }
        progress.event("itemNotice", ["item": .string(notice.itemId), "node": .string(notice.nodeId),
                                      "code": .string(notice.code), "message": .string(notice.message)])
    }

    /// Adds a named section (a node's summary, metrics) to the run report.
    public func addReportSection(_ name: String, _ value: JSON) {
        lock.withLock { sectionList.append((name, value)) }
    }

    /// Failures so far, in the order recorded.
    public var failures: [ItemFailure] { lock.withLock { failureList } }
    /// Notices so far.
    public var notices: [ItemNotice] { lock.withLock { noticeList } }
    /// Report sections so far.
    public var reportSections: [(String, JSON)] { lock.withLock { sectionList } }
}
