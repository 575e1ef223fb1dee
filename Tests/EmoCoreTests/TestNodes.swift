import EmoCore
import EmoJSON
import Foundation

/// A number payload for engine tests.
struct NumberPayload: Payload {
    var value: Double
    var padding: [Float] = []
}

/// `test.numbers`: a source of `count` items numbered 0…count-1.
final class NumbersNode: SourceNode {
    static let descriptor = NodeDescriptor(
        type: "test.numbers", summary: "Numbers 0…count-1", role: .source,
        outputs: [PortSpec("items", .utterances, summary: "numbers")],
        parameters: [
            ParameterSpec("count", .integer, default: 10, range: 0...10_000_000, summary: "how many"),
            ParameterSpec("sampleRate", .integer, default: 16000, unit: "Hz", range: 1...384_000, summary: "rate to announce"),
            ParameterSpec("root", .path, default: ".", summary: "a path"),
        ])
    let count: Int
    let sampleRate: Int
    init(setup: NodeSetup) throws {
        count = setup.parameters.int("count")
        sampleRate = setup.parameters.int("sampleRate")
    }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, sampleRate: sampleRate, labels: ["even", "odd"])]
    }
    func makeItems(context: RunContext) throws -> ItemSequence {
        var index = 0
        let count = self.count
        return ItemSequence(count: count) {
            guard index < count else { return nil }
            defer { index += 1 }
            return Item(id: String(format: "item-%06d", index), metadata: ["label": index % 2 == 0 ? "even" : "odd"],
                        payload: NumberPayload(value: Double(index)))
        }
    }
}

/// `test.breakingNumbers`: numbers 0…count-1, but the source throws when it reaches `throwAfter`.
final class BreakingNumbersNode: SourceNode {
    static let descriptor = NodeDescriptor(
        type: "test.breakingNumbers", summary: "Numbers that break off", role: .source,
        outputs: [PortSpec("items", .utterances, summary: "numbers")],
        parameters: [
            ParameterSpec("count", .integer, default: 10, range: 0...10_000_000, summary: "how many"),
            ParameterSpec("throwAfter", .integer, default: -1, range: -1...10_000_000,
                          summary: "throw instead of yielding item number throwAfter (-1: never)"),
        ])
    let count: Int
    let throwAfter: Int
    init(setup: NodeSetup) throws {
        count = setup.parameters.int("count")
        throwAfter = setup.parameters.int("throwAfter")
    }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["items": StreamFormat(.utterances, sampleRate: 16000, labels: ["even", "odd"])]
    }
    func makeItems(context: RunContext) throws -> ItemSequence {
        var index = 0
        let count = self.count
        let throwAfter = self.throwAfter
        return ItemSequence(count: count) {
            guard index < count else { return nil }
            if index == throwAfter { throw ItemError("the source broke after \(index) items") }
            defer { index += 1 }
            return Item(id: String(format: "item-%06d", index), payload: NumberPayload(value: Double(index)))
        }
    }
}

/// `test.square`: squares the number; counts its calls.
final class SquareNode: MapNode, @unchecked Sendable {
    static let descriptor = NodeDescriptor(
        type: "test.square", summary: "Squares", role: .map,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("items", .utterances, summary: "out")],
        parameters: [ParameterSpec("delayMicroseconds", .integer, default: 0, range: 0...1_000_000, summary: "work to simulate")])
    let delay: Int
    private let lock = NSLock()
    private var calls = 0
    var callCount: Int { lock.withLock { calls } }
    init(setup: NodeSetup) throws { delay = setup.parameters.int("delayMicroseconds") }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { ["items": inputs["items"]!] }
    func process(_ item: Item, context: ItemContext) throws -> Item {
        lock.withLock { calls += 1 }
        // Uneven work so that later items often finish before earlier ones.
        if delay > 0 { usleep(UInt32(delay * (1 + (item.id.hashValue & 3)))) }
        let value = try item.payload(as: NumberPayload.self).value
        return item.with(payload: NumberPayload(value: value * value))
    }
}

/// `test.fail`: fails on the listed numbers.
final class FailNode: MapNode {
    static let descriptor = NodeDescriptor(
        type: "test.fail", summary: "Fails on some numbers", role: .map,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("items", .utterances, summary: "out")],
        parameters: [ParameterSpec("failOn", .numberList, default: [], summary: "numbers to fail on")])
    let failOn: [Double]
    init(setup: NodeSetup) throws { failOn = setup.parameters.doubleList("failOn") }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { ["items": inputs["items"]!] }
    func process(_ item: Item, context: ItemContext) throws -> Item {
        let value = try item.payload(as: NumberPayload.self).value
        if failOn.contains(value) { throw ItemError("cannot take \(Int(value))", code: "unreadable") }
        return item
    }
}

/// `test.delay`: sleeps on the listed numbers (to make earlier items finish later).
final class DelayNode: MapNode {
    static let descriptor = NodeDescriptor(
        type: "test.delay", summary: "Sleeps on some numbers", role: .map,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("items", .utterances, summary: "out")],
        parameters: [ParameterSpec("delayOn", .numberList, default: [], summary: "numbers to sleep on"),
                     ParameterSpec("delayMicroseconds", .integer, default: 50_000, range: 0...10_000_000, summary: "how long")])
    let delayOn: [Double]
    let delay: Int
    init(setup: NodeSetup) throws {
        delayOn = setup.parameters.doubleList("delayOn")
        delay = setup.parameters.int("delayMicroseconds")
    }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { ["items": inputs["items"]!] }
    func process(_ item: Item, context: ItemContext) throws -> Item {
        if delayOn.contains(try item.payload(as: NumberPayload.self).value) { usleep(UInt32(delay)) }
        return item
    }
}

/// `test.noise`: adds U(0, 1) noise drawn from the item's generator (stochastic).
final class NoiseNode: MapNode {
    static let descriptor = NodeDescriptor(
        type: "test.noise", summary: "Adds noise", role: .map,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("items", .utterances, summary: "out")],
        stochastic: true)
    init(setup: NodeSetup) throws {}
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { ["items": inputs["items"]!] }
    func process(_ item: Item, context: ItemContext) throws -> Item {
        var random = context.random(for: item)
        let value = try item.payload(as: NumberPayload.self).value
        return item.with(payload: NumberPayload(value: value + Double(random.nextUnitFloat())))
    }
}

/// `test.inflate`: gives each item a large payload (bounded-memory test).
final class InflateNode: MapNode {
    static let descriptor = NodeDescriptor(
        type: "test.inflate", summary: "Makes payloads large", role: .map,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("audio", .audio, summary: "out")],
        parameters: [ParameterSpec("floats", .integer, default: 16384, range: 0...100_000_000, summary: "floats per item")])
    let floats: Int
    init(setup: NodeSetup) throws { floats = setup.parameters.int("floats") }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        ["audio": inputs["items"]!.converted(to: .audio)]
    }
    func process(_ item: Item, context: ItemContext) throws -> Item {
        let value = try item.payload(as: NumberPayload.self).value
        return item.with(payload: AudioPayload(samples: Array(repeating: Float(value), count: floats), sampleRate: 16000))
    }
}

/// `test.needs16k`: an Audio consumer that needs 16 kHz.
final class Needs16kNode: StreamNode {
    static let descriptor = NodeDescriptor(
        type: "test.needs16k", summary: "Counts 16 kHz audio", role: .stream,
        inputs: [PortSpec("audio", .audio, summary: "16 kHz audio")], outputs: [PortSpec("report", .report, summary: "count")])
    init(setup: NodeSetup) throws {}
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard inputs["audio"]?.sampleRate == 16000 else { throw FormatError(port: "audio", expected: "Audio at 16 kHz") }
        return ["report": StreamFormat(.report)]
    }
    func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        var count = 0
        var total: Float = 0
        try inputs["audio"]!.forEach { item in
            count += 1
            total += try item.payload(as: AudioPayload.self).samples.first ?? 0
        }
        context.addReportSection("count", ["items": .int(count), "sumOfFirstSamples": .double(Double(total))])
        return [:]
    }
}

/// `test.collect`: reads its input `passes` times and records every value (multi-pass).
final class CollectNode: StreamNode {
    static let descriptor = NodeDescriptor(
        type: "test.collect", summary: "Collects values over passes", role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("report", .report, summary: "values")],
        parameters: [ParameterSpec("passes", .integer, default: 1, range: 1...100, summary: "passes")], multiPass: true)
    let passes: Int
    private(set) var values: [[Double]] = []
    private(set) var ids: [[String]] = []
    init(setup: NodeSetup) throws { passes = setup.parameters.int("passes") }
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { ["report": StreamFormat(.report)] }
    func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        for pass in 0..<passes {
            let items = try inputs["items"]!.collect(pass: Pass(epoch: pass))
            values.append(try items.map { try $0.payload(as: NumberPayload.self).value })
            ids.append(items.map(\.id))
        }
        return [:]
    }
}

/// A registry of the test nodes.
func testRegistry() throws -> NodeRegistry {
    var registry = NodeRegistry()
    try registry.register(NumbersNode.self)
    try registry.register(SquareNode.self)
    try registry.register(FailNode.self)
    try registry.register(NoiseNode.self)
    try registry.register(DelayNode.self)
    try registry.register(BreakingNumbersNode.self)
    try registry.register(InflateNode.self)
    try registry.register(Needs16kNode.self)
    try registry.register(CollectNode.self)
    return registry
}

/// Builds a pipeline from node JSON snippets and validates it.
func graph(_ nodes: [JSON], arguments: [String: JSON] = [:], registry: NodeRegistry? = nil) throws -> ResolvedGraph {
    var argumentObject = JSONObject()
    for (name, value) in arguments { argumentObject[name] = ["default": value] }
    let json: JSON = ["schemaVersion": 1, "name": "test", "arguments": .object(argumentObject), "nodes": .array(nodes)]
    let validator = PipelineValidator(registry: try registry ?? testRegistry())
    return try validator.validate(json: json, file: "test.json", baseDirectory: "/tmp")
}
