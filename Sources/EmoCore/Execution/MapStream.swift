import Dispatch
import Foundation

/// What to do when a node fails on one item.
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Stop the run, naming the item, the node and the reason.
    case fail
    /// Leave the item out, list it in the run report, and go on.
    case skip
}

/// One map node in a fused chain.
struct MapStage: @unchecked Sendable {
    let node: any MapNode
    let nodeId: String
    let policy: ErrorPolicy
    let stochastic: Bool
}

/// Runs a chain of map nodes over an upstream stream, in parallel on all workers, in bounded memory,
/// keeping item order.
///
/// The consumer's thread pulls items from upstream and hands them to a pool of worker threads
/// (`context.workers` of them, started on demand); each item goes through every stage of the chain on
/// one worker, and workers take the next item as soon as they finish one, so there is no barrier between
/// groups of items. At most `window` items (two chunks of `chunkSize`) are in flight between the
/// consumer and the workers, so the next results are computed while the consumer handles the current
/// ones (writes files, say), and memory stays bounded. Results are delivered in item order; a failure under
/// `skip` is recorded when the consumer reaches that item (so the report lists failures in item order), and
/// the first failure under `fail` in item order stops the stream: the items before it are delivered, later
/// items are not computed. With one worker everything runs on the consumer's thread.
final class MapStream: ExcludingItemStream, @unchecked Sendable {
    let upstream: any ItemStream
    let stages: [MapStage]
    let context: RunContext
    let chunkSize: Int

    init(upstream: any ItemStream, stages: [MapStage], context: RunContext, chunkSize: Int? = nil) {
        self.upstream = upstream
        self.stages = stages
        self.context = context
        self.chunkSize = max(1, chunkSize ?? max(8, context.workers * 8))
    }

    /// Items in flight at most (submitted to workers and not yet delivered).
    var window: Int { 2 * chunkSize }

    var expectedCount: Int? { upstream.expectedCount }
    var isDeterministic: Bool { upstream.isDeterministic && !stages.contains { $0.stochastic } }

    func makeIterator(pass: Pass) throws -> any ItemIterator {
        MapIterator(upstream: try upstream.makeIterator(pass: pass), stream: self, pass: pass)
    }

    func makeFilteredIterator(pass: Pass, excluding ids: Set<String>) throws -> any ItemIterator {
        MapIterator(upstream: try upstream.makeIterator(pass: pass, excluding: ids), stream: self, pass: pass)
    }

    /// What running the chain on one item gave.
    enum Outcome: Sendable {
        /// The transformed item.
        case item(Item)
        /// A stage under `skip` failed; the failure is recorded when the consumer reaches the item.
        case skipped(ItemFailure)
        /// A stage under `fail` failed (a ``RunFailure``).
        case failed(RunFailure)
    }

    /// Runs every stage on one item.
    func process(_ item: Item, pass: Pass) -> Outcome {
        var current = item
        for stage in stages {
            let runContext = context
            let itemId = item.id
            let nodeId = stage.nodeId
            let itemContext = ItemContext(nodeId: stage.nodeId, pass: pass, seed: context.seed) { code, message in
                runContext.notice(ItemNotice(itemId: itemId, nodeId: nodeId, code: code, message: message))
            }
            do {
                current = try stage.node.process(current, context: itemContext)
            } catch {
                let reason = (error as? ItemError)?.reason ?? "\(error)"
                let code = (error as? ItemError)?.code ?? "failed"
                switch stage.policy {
                case .fail:
                    return .failed(RunFailure(itemId: item.id, nodeId: stage.nodeId, reason: reason))
                case .skip:
                    return .skipped(ItemFailure(itemId: item.id, path: item.metadata[MetadataKey.path],
                                                nodeId: stage.nodeId, code: code, reason: reason))
                }
            }
        }
        return .item(current)
    }
}

/// Pulls from upstream on the consumer's thread, computes on the workers, delivers in order.
final class MapIterator: ItemIterator {
    private let upstream: any ItemIterator
    private let stream: MapStream
    private let pass: Pass
    /// The worker pool; nil with one worker (everything then runs on the consumer's thread).
    private let pool: MapWorkerPool?
    /// Sequence number of the next item to deliver.
    private var head = 0
    /// Sequence number the next item pulled from upstream gets.
    private var submitted = 0
    private var upstreamDone = false
    /// An error upstream threw after `submitted` items: thrown once every earlier item is delivered.
    private var upstreamError: (any Error)?
    /// Once the stream has thrown, it throws the same error again.
    private var terminal: (any Error)?

    init(upstream: any ItemIterator, stream: MapStream, pass: Pass) {
        self.upstream = upstream
        self.stream = stream
        self.pass = pass
        pool = stream.context.workers > 1 ? MapWorkerPool(stream: stream, pass: pass, workers: stream.context.workers) : nil
    }

    deinit { pool?.shutdown() }

    func next() throws -> Item? {
        if let terminal { throw terminal }
        guard let pool else { return try nextInline() }
        while true {
            // Keep the window full: the workers compute ahead while the consumer handles what it got.
            while !upstreamDone, submitted - head < stream.window, !pool.hasFailure {
                let item: Item?
                do { item = try upstream.next() } catch {
                    upstreamError = error
                    upstreamDone = true
                    break
                }
                guard let item else {
                    upstreamDone = true
                    break
                }
                pool.submit(item, sequence: submitted)
                submitted += 1
            }
            if head == submitted {
                pool.shutdown()
                if let upstreamError { return try stop(upstreamError) }
                return nil
            }
            let outcome = pool.take(sequence: head)
            head += 1
            switch outcome {
            case .item(let item):
                return item
            case .skipped(let failure):
                stream.context.record(failure)
            case .failed(let failure):
                pool.shutdown()
                return try stop(failure)
            }
        }
    }

    private func nextInline() throws -> Item? {
        while true {
            let input: Item?
            do { input = try upstream.next() } catch { return try stop(error) }
            guard let input else { return nil }
            switch stream.process(input, pass: pass) {
            case .item(let item):
                return item
            case .skipped(let failure):
                stream.context.record(failure)
            case .failed(let failure):
                return try stop(failure)
            }
        }
    }

    private func stop(_ error: any Error) throws -> Item? {
        terminal = error
        throw error
    }
}

/// Worker threads and the bounded ring of items in flight between them and one consumer.
///
/// Sequence numbers are consecutive; the slot of item `s` is `s % window`, and the consumer submits item
/// `s + window` only after it has taken item `s`, so a slot is never reused while in use. Workers take
/// items in sequence order, one at a time. A failure under `fail` at item `s` makes workers leave every
/// later item uncomputed (the consumer stops at `s`). All state is guarded by `condition`.
private final class MapWorkerPool: @unchecked Sendable {
    private let stream: MapStream
    private let pass: Pass
    private let workers: Int
    private let window: Int
    private let condition = NSCondition()
    private var inputs: [Item?]
    private var results: [MapStream.Outcome?]
    /// Items submitted so far, and items taken by workers so far.
    private var submitted = 0
    private var taken = 0
    /// The earliest item whose chain failed under `fail`.
    private var firstFailure: Int?
    private var cancelled = false
    private var live = 0
    private var idle = 0

    init(stream: MapStream, pass: Pass, workers: Int) {
        self.stream = stream
        self.pass = pass
        self.workers = workers
        window = stream.window
        inputs = Array(repeating: nil, count: window)
        results = Array(repeating: nil, count: window)
    }

    /// Whether some item failed under `fail` (the consumer then stops pulling upstream).
    var hasFailure: Bool { condition.withLock { firstFailure != nil } }

    /// Hands item `sequence` (the next consecutive number) to the workers.
    func submit(_ item: Item, sequence: Int) {
        condition.withLock {
            precondition(sequence == submitted && !cancelled, "map items must be submitted in order, before shutdown")
            inputs[sequence % window] = item
            submitted += 1
            if idle == 0 && live < workers {
                live += 1
                let thread = Thread { [self] in work() }
                thread.name = "emohr map worker"
                thread.start()
            } else {
                condition.broadcast()
            }
        }
    }

    /// Waits for item `sequence` (the oldest not yet taken) and takes its outcome.
    func take(sequence: Int) -> MapStream.Outcome {
        condition.withLock {
            while results[sequence % window] == nil { condition.wait() }
            let outcome = results[sequence % window]!
            results[sequence % window] = nil
            return outcome
        }
    }

    /// Stops the workers and waits until every one has returned (an item being computed is finished first).
    func shutdown() {
        condition.withLock {
            cancelled = true
            condition.broadcast()
            while live > 0 { condition.wait() }
            for index in inputs.indices { inputs[index] = nil }
        }
    }

    private func work() {
        condition.lock()
        while !cancelled {
            guard taken < submitted else {
                idle += 1
                condition.wait()
                idle -= 1
                continue
            }
            let sequence = taken
            taken += 1
            let slot = sequence % window
            let item = inputs[slot]!
            inputs[slot] = nil
            if let firstFailure, sequence > firstFailure { continue }
            condition.unlock()
            let outcome = stream.process(item, pass: pass)
            condition.lock()
            if case .failed = outcome { firstFailure = min(firstFailure ?? sequence, sequence) }
            results[slot] = outcome
            condition.broadcast()
        }
        live -= 1
        condition.broadcast()
        condition.unlock()
    }
}
