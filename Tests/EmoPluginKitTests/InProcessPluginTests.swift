import EmoPluginKit
import Testing

/// A node written as a plugin author writes one: an ordinary `MapNode`.
final class GainNode: MapNode, @unchecked Sendable {
    static let descriptor = NodeDescriptor(
        type: "test.gain", summary: "multiply samples or values", role: .map,
        inputs: [PortSpec("input", .spectrum, summary: "anything with values")],
        outputs: [PortSpec("output", .spectrum, summary: "scaled")],
        parameters: [ParameterSpec("gain", .number, default: 2, summary: "factor")])

    let gain: Float
    init(setup: NodeSetup) throws {
        gain = Float(setup.parameters.double("gain"))
        if gain == 0 { throw ParameterError(parameter: "gain", "must not be 0") }
    }

    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["input"] else { throw FormatError(port: "input", expected: "a stream") }
        var out = format
        out.extra["gain"] = .double(Double(gain))
        return ["output": out]
    }

    func process(_ item: Item, context: ItemContext) throws -> Item {
        var metadata = item.metadata
        metadata["epoch"] = String(context.epoch)
        metadata["seed"] = String(context.seed)
        switch item.payload {
        case let audio as AudioPayload:
            context.notice("scaled", "audio of \(audio.samples.count) samples")
            return Item(id: item.id, metadata: metadata, payload: AudioPayload(samples: audio.samples.map { $0 * gain }, sampleRate: audio.sampleRate))
        case let spectrum as SpectrumPayload:
            return Item(
                id: item.id, metadata: metadata,
                payload: SpectrumPayload(frames: spectrum.frames, bins: spectrum.bins, values: spectrum.values.map { $0 * gain }))
        default:
            throw ItemError("nothing to scale", code: "empty")
        }
    }
}

/// A block that only tries to make a layer (the test host lends no model operations).
final class NeedsHostBlock: PluginBlock {
    static let name = "needs-host"
    static let summary = "asks the host for a convolution"
    init(_ spec: PluginBlockSpec, builder: PluginModelBuilder) throws {
        _ = try builder.conv2d(inputChannels: spec.inputChannels, outputChannels: spec.outputChannels, kernelSize: 3, name: "conv")
    }
    func forward(_ x: PluginTensor) throws -> PluginTensor { x }
}

func loadGainPlugin(name: String = "gain") throws -> PluginLibrary {
    let host = EmohrHostTable()
    let table = withUnsafePointer(to: host) {
        PluginExport.register(name: name, version: "2.1", nodes: [GainNode.self], blocks: [NeedsHostBlock.self], host: UnsafeRawPointer($0))
    }
    return try PluginLibrary(table: table, origin: "in-process \(name)")
}

@Test func pluginNodesWorkThroughTheProxy() throws {
    let library = try loadGainPlugin()
    #expect(library.name == "gain" && library.version == "2.1")
    #expect(library.nodeDescriptors.map(\.type) == ["test.gain"])
    #expect(library.components.map(\.name) == ["needs-host"])
    var registry = NodeRegistry()
    try library.register(into: &registry)
    let entry = try #require(registry.entry("test.gain"))
    #expect(entry.origin.contains("plugin gain 2.1"))
    let node = try #require(try entry.make(NodeSetup(nodeId: "g", parameters: Parameters(["gain": 3]))) as? any MapNode)
    let outputs = try node.negotiate(inputs: ["input": StreamFormat(.spectrum, labels: ["x"])])
    #expect(outputs["output"]?.extra["gain"] == .double(3))
    #expect(outputs["output"]?.labels == ["x"])

    let collected = NoticeBox()
    let context = ItemContext(nodeId: "g", pass: Pass(epoch: 4, fold: 1), seed: UInt64.max) { code, message in
        collected.append(code + ": " + message)
    }
    let audio = try node.process(Item(id: "a", metadata: ["label": "x"], payload: AudioPayload(samples: [1, -2], sampleRate: 8000)), context: context)
    #expect(try audio.payload(as: AudioPayload.self).samples == [3, -6])
    #expect(audio.metadata == ["label": "x", "epoch": "4", "seed": String(UInt64.max)])
    #expect(collected.values == ["scaled: audio of 2 samples"])
    let spectrum = try node.process(Item(id: "s", payload: SpectrumPayload(frames: 1, bins: 2, values: [1, 2])), context: context)
    #expect(try spectrum.payload(as: SpectrumPayload.self).values == [3, 6])
    let failure = #expect(throws: ItemError.self) {
        _ = try node.process(Item(id: "u", payload: UtterancePayload(path: "/x.wav")), context: context)
    }
    #expect(failure?.code == "empty" && failure?.reason == "nothing to scale")
    #expect(throws: ItemError.self) { _ = try node.process(Item(id: "r", payload: ReportPayload(nil)), context: context) }
}

@Test func pluginParameterErrorsKeepTheirParameter() throws {
    var registry = NodeRegistry()
    try loadGainPlugin().register(into: &registry)
    let entry = try #require(registry.entry("test.gain"))
    let error = #expect(throws: ParameterError.self) {
        _ = try entry.make(NodeSetup(nodeId: "g", parameters: Parameters(["gain": 0])))
    }
    #expect(error?.parameter == "gain")
}

@Test func aNameAlreadyRegisteredIsRefused() throws {
    var registry = NodeRegistry()
    try loadGainPlugin(name: "first").register(into: &registry)
    let error = #expect(throws: PluginLoadError.self) { try loadGainPlugin(name: "second").register(into: &registry) }
    #expect(error?.description.contains("test.gain is already registered (by plugin first") == true)
    #expect(error?.description.contains("in-process second") == true)
}

@Test func componentsWithoutHostOperationsFailWithTheHostsMessage() throws {
    let library = try loadGainPlugin()
    let table = library.table.pointee
    var error: EmohrOwnedString?
    let made = #"{"inputChannels": 4, "outputChannels": 4, "stride": 1, "name": "layer1"}"#.withCString {
        table.createComponent(table.context, 0, $0, nil, &error)
    }
    #expect(made == nil)
    #expect(String(describing: library.error(error, doing: "building")).contains("this host offers no model operations"))
}

final class NoticeBox: @unchecked Sendable {
    private(set) var values: [String] = []
    func append(_ value: String) { values.append(value) }
}
