import EmoCore
import EmoJSON
import Foundation
import Testing

@Suite struct ExecutionTests {
    @Test func mapNodesKeepItemOrderUnderParallelism() throws {
        let resolved = try graph([
            ["id": "numbers", "type": "test.numbers", "params": ["count": 500]],
            ["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"], "params": ["delayMicroseconds": 50]],
            ["id": "collect", "type": "test.collect", "inputs": ["items": "square.items"]],
        ])
        try PipelineRunner(graph: resolved, context: RunContext(workers: 4)).run()
        let collect = try #require(resolved.node("collect")?.instance as? CollectNode)
        #expect(collect.values[0] == (0..<500).map { Double($0 * $0) })
        #expect(collect.ids[0] == (0..<500).map { String(format: "item-%06d", $0) })
    }

    @Test func aStreamOfAHundredThousandItemsRunsInBoundedMemory() throws {
        // 100 000 items × 64 KiB = 6.1 GiB if the engine kept them; it must keep only a chunk.
        let resolved = try graph([
            ["id": "numbers", "type": "test.numbers", "params": ["count": 100_000]],
            ["id": "inflate", "type": "test.inflate", "inputs": ["items": "numbers.items"], "params": ["floats": 16384]],
            ["id": "count", "type": "test.needs16k", "inputs": ["audio": "inflate.audio"]],
        ])
        let before = residentBytes()
        let report = try PipelineRunner(graph: resolved, context: RunContext()).run()
        let grown = peakResidentBytes() - before
        print("[EmoCore memory] 100 000 items × 64 KiB: peak resident grew by \(grown >> 20) MiB (6.1 GiB if kept)")
        #expect(report.sections.first?.1["items"]?.intValue == 100_000)
        #expect(grown < 512 << 20, "peak resident memory grew by \(grown >> 20) MiB; bound 512 MiB")
    }

    @Test func aFailingItemUnderSkipIsReportedAndTheRestComplete() throws {
        let resolved = try graph([
            ["id": "numbers", "type": "test.numbers", "params": ["count": 20]],
            ["id": "fail", "type": "test.fail", "inputs": ["items": "numbers.items"], "params": ["failOn": [3, 17]],
             "onError": "skip"],
            ["id": "collect", "type": "test.collect", "inputs": ["items": "fail.items"]],
        ])
        let report = try PipelineRunner(graph: resolved, context: RunContext()).run()
        let collect = try #require(resolved.node("collect")?.instance as? CollectNode)
        #expect(collect.values[0].count == 18)
        #expect(!collect.values[0].contains(3) && !collect.values[0].contains(17))
        #expect(report.failures.map(\.itemId) == ["item-000003", "item-000017"])
        #expect(report.failures.allSatisfy { $0.nodeId == "fail" && $0.reason.hasPrefix("cannot take") && $0.code == "unreadable" })
        #expect(report.json["failures"]?.arrayValue?.count == 2)
    }

    @Test func aFailingItemUnderFailStopsTheRunNamingItemNodeAndReason() throws {
        let resolved = try graph([
            ["id": "numbers", "type": "test.numbers", "params": ["count": 20]],
            ["id": "fail", "type": "test.fail", "inputs": ["items": "numbers.items"], "params": ["failOn": [5]],
             "onError": "fail"],
            ["id": "collect", "type": "test.collect", "inputs": ["items": "fail.items"]],
        ])
        do {
            try PipelineRunner(graph: resolved, context: RunContext()).run()
            Issue.record("the run should have stopped")
        } catch let failure as RunFailure {
            #expect(failure.itemId == "item-000005")
            #expect(failure.nodeId == "fail")
            #expect(failure.description == "node fail failed on item item-000005: cannot take 5")
        }
    }

    @Test func cacheServesDeterministicResultsWhileStochasticNodesDrawAnewEachPass() throws {
        func run(seed: UInt64) throws -> (CollectNode, SquareNode) {
            let resolved = try graph([
                ["id": "numbers", "type": "test.numbers", "params": ["count": 50]],
                ["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"]],
                ["id": "noise", "type": "test.noise", "inputs": ["items": "square.items"]],
                ["id": "collect", "type": "test.collect", "inputs": ["items": "noise.items"], "params": ["passes": 3]],
            ])
            try PipelineRunner(graph: resolved, context: RunContext(seed: seed)).run()
            return (resolved.node("collect")!.instance as! CollectNode, resolved.node("square")!.instance as! SquareNode)
        }
        let (first, square) = try run(seed: 7)
        #expect(square.callCount == 50, "the deterministic node ran \(square.callCount) times over 3 passes; expected 50")
        #expect(first.values[0] != first.values[1] && first.values[1] != first.values[2])
        for pass in 0..<3 {
            for (index, value) in first.values[pass].enumerated() {
                let noise = value - Double(index * index)
                #expect(noise >= 0 && noise < 1)
            }
        }
        let (again, _) = try run(seed: 7)
        #expect(again.values == first.values, "the same seed must give the same draws")
        let (other, _) = try run(seed: 8)
        #expect(other.values[0] != first.values[0])
    }

    @Test func aMultiPassConsumerOfDeterministicNodesRunsThemOnce() throws {
        let resolved = try graph([
            ["id": "numbers", "type": "test.numbers", "params": ["count": 30]],
            ["id": "square", "type": "test.square", "inputs": ["items": "numbers.items"]],
            ["id": "collect", "type": "test.collect", "inputs": ["items": "square.items"], "params": ["passes": 4]],
        ])
        try PipelineRunner(graph: resolved, context: RunContext()).run()
        #expect((resolved.node("square")!.instance as! SquareNode).callCount == 30)
        #expect((resolved.node("collect")!.instance as! CollectNode).values.count == 4)
    }

    @Test func eventsAreWrittenAsJSONLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let resolved = try graph([
            ["id": "numbers", "type": "test.numbers", "params": ["count": 5]],
            ["id": "fail", "type": "test.fail", "inputs": ["items": "numbers.items"], "params": ["failOn": [2]]],
            ["id": "collect", "type": "test.collect", "inputs": ["items": "fail.items"]],
        ])
        let progress = try ProgressReporter(display: .silent, eventsPath: path)
        try PipelineRunner(graph: resolved, context: RunContext(progress: progress)).run()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let events = try lines.map { try JSON.parse(String($0)) }
        let names = events.compactMap { $0["event"]?.stringValue }
        #expect(names.first == "runStarted" && names.last == "runFinished")
        #expect(names.contains("itemFailed") && names.contains("taskFinished"))
        let finished = try #require(events.first { $0["event"]?.stringValue == "taskFinished" })
        #expect(finished["done"]?.intValue == 4 && finished["total"]?.intValue == 5)
    }
}

private func statusValue(_ key: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
    return 0
}

func residentBytes() -> Int { statusValue("VmRSS") }
func peakResidentBytes() -> Int { statusValue("VmHWM") }
