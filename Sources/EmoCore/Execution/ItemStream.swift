import Foundation

/// Pulls items one at a time. Used from one thread.
public protocol ItemIterator: AnyObject {
    /// The next item, or nil at the end of the stream. Throws ``RunFailure`` when a node under the
    /// `fail` policy fails on an item.
    func next() throws -> Item?
}

/// A stream of items that can be read one or more times (passes). Each pass runs the upstream
/// nodes again, except where the engine put a cache: deterministic results are then replayed.
public protocol ItemStream: AnyObject {
    /// Number of items per pass, if known ahead.
    var expectedCount: Int? { get }
    /// True when every pass yields the same items (no stochastic node upstream).
    var isDeterministic: Bool { get }
    /// Starts pass `pass` (the epoch, for stochastic nodes).
    func makeIterator(pass: Pass) throws -> any ItemIterator
}

extension ItemStream {
    /// Starts a pass that leaves out the items with these ids. Map chains drop them before doing
    /// any work, so a writer resuming a killed run does not recompute finished items.
    public func makeIterator(pass: Pass, excluding ids: Set<String>) throws -> any ItemIterator {
        if ids.isEmpty { return try makeIterator(pass: pass) }
        if let filterable = self as? any ExcludingItemStream { return try filterable.makeFilteredIterator(pass: pass, excluding: ids) }
        let source = try makeIterator(pass: pass)
        return ClosureIterator {
            while let item = try source.next() { if !ids.contains(item.id) { return item } }
            return nil
        }
    }

    /// Reads one whole pass into an array.
    public func collect(pass: Pass = .first) throws -> [Item] {
        let iterator = try makeIterator(pass: pass)
        var items: [Item] = []
        if let expectedCount { items.reserveCapacity(expectedCount) }
        while let item = try iterator.next() { items.append(item) }
        return items
    }

    /// Calls `body` for every item of one pass, without keeping them.
    public func forEach(pass: Pass = .first, _ body: (Item) throws -> Void) throws {
        let iterator = try makeIterator(pass: pass)
        while let item = try iterator.next() { try body(item) }
    }
}

/// A stream that can leave items out before computing them.
protocol ExcludingItemStream: ItemStream {
    func makeFilteredIterator(pass: Pass, excluding ids: Set<String>) throws -> any ItemIterator
}

/// A run stopped by an item under the `fail` policy, or by a stream node.
public struct RunFailure: Error, CustomStringConvertible, Sendable {
    /// The item at fault, if any.
    public var itemId: String?
    /// The node that failed.
    public var nodeId: String
    /// Why.
    public var reason: String

    /// A run failure.
    public init(itemId: String?, nodeId: String, reason: String) {
        self.itemId = itemId
        self.nodeId = nodeId
        self.reason = reason
    }

    public var description: String {
        if let itemId { return "node \(nodeId) failed on item \(itemId): \(reason)" }
        return "node \(nodeId) failed: \(reason)"
    }
}

/// A stream over items held in memory.
public final class ArrayStream: ItemStream {
    private let items: [Item]
    public let isDeterministic: Bool
    public var expectedCount: Int? { items.count }

    /// A stream that yields `items` on every pass.
    public init(_ items: [Item], deterministic: Bool = true) {
        self.items = items
        self.isDeterministic = deterministic
    }

    public func makeIterator(pass: Pass) -> any ItemIterator { ArrayIterator(items) }
}

final class ArrayIterator: ItemIterator {
    private let items: [Item]
    private var index = 0
    init(_ items: [Item]) { self.items = items }
    func next() -> Item? {
        guard index < items.count else { return nil }
        defer { index += 1 }
        return items[index]
    }
}

/// A stream whose passes are produced by a closure (stream nodes that derive an output lazily).
public final class DerivedStream: ItemStream {
    public let expectedCount: Int?
    public let isDeterministic: Bool
    private let make: (Pass) throws -> any ItemIterator

    /// A stream whose pass `p` is `make(p)`.
    public init(expectedCount: Int?, deterministic: Bool, make: @escaping (Pass) throws -> any ItemIterator) {
        self.expectedCount = expectedCount
        self.isDeterministic = deterministic
        self.make = make
    }

    public func makeIterator(pass: Pass) throws -> any ItemIterator { try make(pass) }
}

/// An iterator from a closure.
public final class ClosureIterator: ItemIterator {
    private let body: () throws -> Item?
    /// An iterator that calls `body` for each item.
    public init(_ body: @escaping () throws -> Item?) { self.body = body }
    public func next() throws -> Item? { try body() }
}

/// The stream of a source node: asks the node for its items on each pass.
final class SourceStream: ItemStream {
    let node: any SourceNode
    let nodeId: String
    let context: RunContext
    private(set) var expectedCount: Int?
    var isDeterministic: Bool { true }

    init(node: any SourceNode, nodeId: String, context: RunContext) {
        self.node = node
        self.nodeId = nodeId
        self.context = context
    }

    func makeIterator(pass: Pass) throws -> any ItemIterator {
        let sequence: ItemSequence
        do {
            sequence = try node.makeItems(context: context)
        } catch {
            throw RunFailure(itemId: nil, nodeId: nodeId, reason: "\(error)")
        }
        expectedCount = sequence.count
        let nodeId = self.nodeId
        return ClosureIterator {
            do { return try sequence.next() } catch let error as RunFailure { throw error } catch {
                throw RunFailure(itemId: nil, nodeId: nodeId, reason: "\(error)")
            }
        }
    }
}

/// Replays a deterministic stream from memory after its first complete pass, so a consumer that
/// reads its input several times recomputes only what lies downstream of the cache.
final class CachedStream: ItemStream {
    private let upstream: any ItemStream
    private var cached: [Item]?
    /// How many passes were served from memory (tests look at this).
    private(set) var replays = 0

    init(_ upstream: any ItemStream) { self.upstream = upstream }

    var expectedCount: Int? { cached?.count ?? upstream.expectedCount }
    var isDeterministic: Bool { true }

    func makeIterator(pass: Pass) throws -> any ItemIterator {
        if let cached {
            replays += 1
            return ArrayIterator(cached)
        }
        let source = try upstream.makeIterator(pass: pass)
        var recorded: [Item] = []
        return ClosureIterator { [weak self] in
            if let item = try source.next() {
                recorded.append(item)
                return item
            }
            self?.cached = recorded
            return nil
        }
    }
}

/// Counts items into a progress task as a consumer pulls them.
final class ProgressStream: ExcludingItemStream {
    private let upstream: any ItemStream
    private let progress: ProgressReporter
    private let name: String

    init(_ upstream: any ItemStream, progress: ProgressReporter, name: String) {
        self.upstream = upstream
        self.progress = progress
        self.name = name
    }

    var expectedCount: Int? { upstream.expectedCount }
    var isDeterministic: Bool { upstream.isDeterministic }

    func makeIterator(pass: Pass) throws -> any ItemIterator { try makeFilteredIterator(pass: pass, excluding: []) }

    func makeFilteredIterator(pass: Pass, excluding ids: Set<String>) throws -> any ItemIterator {
        let source = try upstream.makeIterator(pass: pass, excluding: ids)
        let total = upstream.expectedCount.map { max(0, $0 - ids.count) }
        let task = progress.task(pass == .first ? name : "\(name) (\(pass))", total: total)
        return ClosureIterator {
            guard let item = try source.next() else {
                task.finish()
                return nil
            }
            task.advance()
            return item
        }
    }
}
