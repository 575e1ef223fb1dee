import EmoCore
import EmoJSON
import EmoNodes
import Foundation
import Testing

/// A temporary folder to build corpus fixtures in, with the corpora's exact names and layouts.
final class CorpusFixture {
    let root: String

    init(_ name: String = "corpus") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The absolute path of `relative`.
    func path(_ relative: String) -> String { root + "/" + relative }

    /// Writes a tiny valid WAV (44-byte header, a few 16-bit samples). The samples derive from
    /// `content` (default: the relative path), so files differ unless given the same content.
    @discardableResult
    func wav(_ relative: String, content: String? = nil) throws -> String {
        let seed = SeededRandom.seed([content ?? relative])
        let samples = (0..<8).map { Int16(truncatingIfNeeded: seed >> UInt64($0 * 8)) }
        return try write(relative, data: Self.wavData(samples: samples))
    }

    /// Writes text.
    @discardableResult
    func text(_ relative: String, _ text: String) throws -> String {
        try write(relative, data: Data(text.utf8))
    }

    @discardableResult
    func write(_ relative: String, data: Data) throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        return full
    }

    /// A PCM 16-bit mono 16 kHz WAV file.
    static func wavData(samples: [Int16]) -> Data {
        var data = Data()
        func append(_ text: String) { data.append(contentsOf: Array(text.utf8)) }
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append("RIFF")
        append32(UInt32(36 + samples.count * 2))
        append("WAVE")
        append("fmt ")
        append32(16)
        append16(1)
        append16(1)
        append32(16000)
        append32(32000)
        append16(2)
        append16(16)
        append("data")
        append32(UInt32(samples.count * 2))
        for sample in samples { append16(UInt16(bitPattern: sample)) }
        return data
    }
}

/// `corpustest.capture`: keeps the items it receives (a sink for reader and split tests).
final class CorpusCaptureNode: StreamNode {
    static let descriptor = NodeDescriptor(
        type: "corpustest.capture", summary: "Keeps the items it receives", role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "in")], outputs: [PortSpec("report", .report, summary: "none")])
    private(set) var items: [Item] = []
    init(setup: NodeSetup) throws {}
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { ["report": StreamFormat(.report)] }
    func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        items = try inputs["items"]?.collect() ?? []
        return [:]
    }
}

/// A registry with the corpus and protocol nodes and the capture sink.
func corpusTestRegistry() throws -> NodeRegistry {
    var registry = NodeRegistry()
    try registerCorpusNodes(into: &registry)
    try registerProtocolNodes(into: &registry)
    try registry.register(CorpusCaptureNode.self)
    return registry
}

/// What a small pipeline produced.
struct CorpusRun {
    var items: [Item]
    var report: RunReport
    var graph: ResolvedGraph

    /// The negotiated format of `node`'s `items` output.
    func format(_ node: String) -> StreamFormat? { graph.node(node)?.outputFormats["items"] }
    /// Notices with this code.
    func notices(_ code: String) -> [ItemNotice] { report.notices.filter { $0.code == code } }
    /// Item by id.
    func item(_ id: String) -> Item? { items.first { $0.id == id } }
}

/// Validates and runs `nodes` followed by a capture sink reading `last.items`.
func runCorpusPipeline(_ nodes: [JSON], capture last: String, seed: UInt64 = 0) throws -> CorpusRun {
    let all = nodes + [["id": "sink", "type": "corpustest.capture", "inputs": ["items": .string("\(last).items")]]]
    let json: JSON = ["schemaVersion": 1, "name": "corpus-test", "nodes": .array(all)]
    let graph = try PipelineValidator(registry: try corpusTestRegistry()).validate(json: json, file: "test.json", baseDirectory: "/tmp")
    let context = RunContext(seed: seed, workers: 2, progress: ProgressReporter())
    let report = try PipelineRunner(graph: graph, context: context).run()
    let sink = try #require(graph.node("sink")?.instance as? CorpusCaptureNode)
    return CorpusRun(items: sink.items, report: report, graph: graph)
}

/// Runs one reader with these parameters and captures its items.
func readCorpus(_ type: String, _ params: JSONObject) throws -> CorpusRun {
    try runCorpusPipeline([["id": "corpus", "type": .string(type), "params": .object(params)]], capture: "corpus")
}

/// Items grouped by label, counted.
func labelCounts(_ items: [Item]) -> [String: Int] {
    Dictionary(grouping: items, by: { $0.label ?? "" }).mapValues(\.count)
}
