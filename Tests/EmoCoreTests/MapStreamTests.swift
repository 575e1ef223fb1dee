@testable import EmoCore
import EmoJSON
import Foundation
import Testing

/// The pipelined map stream: workers compute ahead of the consumer in a bounded window, results come in
/// item order, the first failure in item order wins, and dropping an iterator stops its workers.
@Suite struct MapStreamTests {
    /// A map stream over `count` numbers through the graph's map nodes (in graph order), fused into one chain.
    func mapStream(_ nodes: [JSON], count: Int = 200, throwAfter: Int = -1, workers: Int, chunkSize: Int? = nil,
                   seed: UInt64 = 0) throws -> (MapStream, ResolvedGraph, RunContext) {
        let resolved = try graph([["id": "numbers", "type": "test.breakingNumbers",
                                   "params": ["count": .int(count), "throwAfter": .int(throwAfter)]]] + nodes)
        let context = RunContext(seed: seed, workers: workers, progress: ProgressReporter())
        let source = SourceStream(node: resolved.node("numbers")!.instance as! any SourceNode, nodeId: "numbers", context: context)
        let stages = resolved.nodes.compactMap { node -> MapStage? in
            guard let map = node.instance as? any MapNode else { return nil }
            return MapStage(node: map, nodeId: node.id, policy: node.policy, stochastic: node.descriptor.stochastic)
        }
        return (MapStream(upstream: source, stages: stages, context: context, chunkSize: chunkSize), resolved, context)
    }

    func values(_ items: [Item]) throws -> [Double] { try items.map { try $0.payload(as: NumberPayload.self).value } }

    @Test(arguments: [1, 2, 3, 8])
    func orderIsKeptWithUnevenWorkAndAnyWindow(chunkSize: Int) throws {
        let (stream, _, _) = try mapStream(
            [["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"], "params": ["delayMicroseconds": 20]]],
            count: 300, workers: 4, chunkSize: chunkSize)
        let items = try stream.collect()
        #expect(try values(items) == (0..<300).map { Double($0 * $0) })
        #expect(items.map(\.id) == (0..<300).map { String(format: "item-%06d", $0) })
    }

    @Test func theFirstFailureInItemOrderWinsEvenWhenALaterOneHappensFirst() throws {
        // Item 3 is slow and fails; item 9 fails at once, long before item 3 does.
        let (stream, _, _) = try mapStream([
            ["id": "slow", "type": "test.delay", "inputs": ["items": "numbers.items"], "params": ["delayOn": [3]]],
            ["id": "fail", "type": "test.fail", "inputs": ["items": "slow.items"], "params": ["failOn": [3, 9]], "onError": "fail"],
        ], count: 40, workers: 4)
        let iterator = try stream.makeIterator(pass: .first)
        var delivered: [Double] = []
        do {
            while let item = try iterator.next() { delivered.append(try item.payload(as: NumberPayload.self).value) }
            Issue.record("the stream should have thrown")
        } catch let failure as RunFailure {
            #expect(failure.itemId == "item-000003" && failure.nodeId == "fail")
        }
        #expect(delivered == [0, 1, 2], "the items before the failure are delivered, none after")
        // The stream stays failed.
        #expect(throws: RunFailure.self) { try iterator.next() }
    }

    @Test func skippedFailuresAreReportedInItemOrder() throws {
        for _ in 0..<5 {
            let (stream, _, context) = try mapStream([
                ["id": "slow", "type": "test.delay", "inputs": ["items": "numbers.items"],
                 "params": ["delayOn": [1, 8], "delayMicroseconds": 20_000]],
                ["id": "fail", "type": "test.fail", "inputs": ["items": "slow.items"], "params": ["failOn": [1, 5, 8, 13, 21, 34]],
                 "onError": "skip"],
            ], count: 40, workers: 4)
            let items = try stream.collect()
            #expect(items.count == 34)
            #expect(context.failures.map(\.itemId) == [1, 5, 8, 13, 21, 34].map { String(format: "item-%06d", $0) })
        }
    }

    @Test(arguments: [1, 3])
    func anUpstreamErrorComesAfterTheItemsBeforeIt(workers: Int) throws {
        let (stream, _, _) = try mapStream(
            [["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"]]], count: 40, throwAfter: 10,
            workers: workers)
        let iterator = try stream.makeIterator(pass: .first)
        var delivered = 0
        do {
            while try iterator.next() != nil { delivered += 1 }
            Issue.record("the stream should have thrown")
        } catch let failure as RunFailure {
            #expect(failure.nodeId == "numbers" && failure.itemId == nil)
        }
        #expect(delivered == 10)
    }

    @Test func anItemFailureBeforeAnUpstreamErrorWins() throws {
        let (stream, _, _) = try mapStream(
            [["id": "fail", "type": "test.fail", "inputs": ["items": "numbers.items"], "params": ["failOn": [4]], "onError": "fail"]],
            count: 40, throwAfter: 6, workers: 2)
        #expect { _ = try stream.collect() } throws: { ($0 as? RunFailure)?.itemId == "item-000004" }
    }

    @Test func workersComputeAheadOnlyWithinTheWindowAndStopWhenTheIteratorIsDropped() throws {
        let (stream, resolved, _) = try mapStream(
            [["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"], "params": ["delayMicroseconds": 100]]],
            count: 10_000, workers: 3, chunkSize: 4)
        let square = resolved.node("square")!.instance as! SquareNode
        var iterator: (any ItemIterator)? = try stream.makeIterator(pass: .first)
        for _ in 0..<5 { _ = try iterator?.next() }
        usleep(100_000)
        // 5 delivered, at most a window (8) more computed ahead.
        #expect(square.callCount <= 5 + stream.window, "computed \(square.callCount) items for 5 delivered")
        iterator = nil
        let afterDrop = square.callCount
        usleep(50_000)
        #expect(square.callCount == afterDrop, "workers went on after the iterator was dropped")
    }

    @Test func stochasticNodesDrawTheSameWithAnyNumberOfWorkers() throws {
        func run(workers: Int) throws -> [Double] {
            let (stream, _, _) = try mapStream(
                [["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"], "params": ["delayMicroseconds": 10]],
                 ["id": "noise", "type": "test.noise", "inputs": ["items": "square.items"]]],
                count: 200, workers: workers, seed: 11)
            return try values(try stream.collect(pass: Pass(epoch: 2)))
        }
        let one = try run(workers: 1)
        #expect(try run(workers: 2) == one)
        #expect(try run(workers: 5) == one)
    }
}
