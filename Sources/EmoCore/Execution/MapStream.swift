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
/// keeping item order: items are pulled in chunks; each item goes through every stage of the chain
/// on one worker; the chunk is yielded in order before the next is pulled.
final class MapStream: ExcludingItemStream, @unchecked Sendable {
    let upstream: any ItemStream
    let stages: [MapStage]
    let context: RunContext
    let chunkSize: Int

    init(upstream: any ItemStream, stages: [MapStage], context: RunContext, chunkSize: Int? = nil) {
        self.upstream = upstream
        self.stages = stages
        self.context = context
        self.chunkSize = chunkSize ?? max(8, context.workers * 8)
    }

    var expectedCount: Int? { upstream.expectedCount }
    var isDeterministic: Bool { upstream.isDeterministic && !stages.contains { $0.stochastic } }

    func makeIterator(pass: Pass) throws -> any ItemIterator {
        MapIterator(upstream: try upstream.makeIterator(pass: pass), stream: self, pass: pass)
    }

    func makeFilteredIterator(pass: Pass, excluding ids: Set<String>) throws -> any ItemIterator {
        MapIterator(upstream: try upstream.makeIterator(pass: pass, excluding: ids), stream: self, pass: pass)
    }

    /// Runs every stage on one item; nil when a stage under `skip` failed (the failure is recorded).
    func process(_ item: Item, pass: Pass) throws -> Item? {
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
                    throw RunFailure(itemId: item.id, nodeId: stage.nodeId, reason: reason)
                case .skip:
                    context.record(ItemFailure(itemId: item.id, path: item.metadata[MetadataKey.path],
                                               nodeId: stage.nodeId, code: code, reason: reason))
                    return nil
                }
            }
        }
        return current
    }
}

final class MapIterator: ItemIterator {
    private let upstream: any ItemIterator
    private let stream: MapStream
    private let pass: Pass
    private var ready: [Item] = []
    private var readyIndex = 0
    private var upstreamDone = false

    init(upstream: any ItemIterator, stream: MapStream, pass: Pass) {
        self.upstream = upstream
        self.stream = stream
        self.pass = pass
    }

    func next() throws -> Item? {
        while readyIndex >= ready.count {
            if upstreamDone { return nil }
            try refill()
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }

    private func refill() throws {
        var inputs: [Item] = []
        inputs.reserveCapacity(stream.chunkSize)
        while inputs.count < stream.chunkSize, let item = try upstream.next() { inputs.append(item) }
        if inputs.count < stream.chunkSize { upstreamDone = true }
        let results = ResultSlots(count: inputs.count)
        let stream = self.stream
        let pass = self.pass
        if inputs.count == 1 || stream.context.workers == 1 {
            for index in inputs.indices { results.set(index, Result { try stream.process(inputs[index], pass: pass) }) }
        } else {
            inputs.withUnsafeBufferPointer { buffer in
                nonisolated(unsafe) let shared = buffer
                DispatchQueue.concurrentPerform(iterations: shared.count) { index in
                    results.set(index, Result { try stream.process(shared[index], pass: pass) })
                }
            }
        }
        ready.removeAll(keepingCapacity: true)
        readyIndex = 0
        for result in results.values {
            if let item = try result?.get() { ready.append(item) }
        }
    }
}

/// Result slots written by worker threads, each slot by exactly one worker.
private final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Result<Item?, any Error>?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Result<Item?, any Error>) { slots[index] = value }

    var values: [Result<Item?, any Error>?] { Array(UnsafeBufferPointer(start: slots, count: count)) }
}
