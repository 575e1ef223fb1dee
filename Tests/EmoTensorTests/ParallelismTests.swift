import EmoTensor
import Foundation
import Testing

/// `Parallelism.run` on the spinning worker pool: every part runs exactly once, also when several
/// threads call at once (all but one fall back to GCD) and when a part calls it again (nested).
@Suite struct ParallelismTests {
    /// Counts per part; each part writes only its own slot.
    final class Slots: @unchecked Sendable {
        var counts: [Int]
        init(_ count: Int) { counts = Array(repeating: 0, count: count) }
    }

    @Test func everyPartRunsOnce() {
        for parts in [1, 2, 3, 8, 100] {
            let slots = Slots(parts)
            for _ in 0..<50 { Parallelism.run(parts: parts) { slots.counts[$0] += 1 } }
            #expect(slots.counts == Array(repeating: 50, count: parts), "\(parts) parts")
        }
    }

    @Test func concurrentCallersEachRunTheirOwnParts() {
        let callers = 4, parts = 16, rounds = 200
        let slots = (0..<callers).map { _ in Slots(parts) }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<rounds { Parallelism.run(parts: parts) { slots[caller].counts[$0] += 1 } }
        }
        for caller in 0..<callers { #expect(slots[caller].counts == Array(repeating: rounds, count: parts)) }
    }

    @Test func nestedCallsComplete() {
        let outer = 4, inner = 8
        let slots = Slots(outer * inner)
        Parallelism.run(parts: outer) { i in
            Parallelism.run(parts: inner) { j in slots.counts[i * inner + j] += 1 }
        }
        #expect(slots.counts == Array(repeating: 1, count: outer * inner))
    }
}
