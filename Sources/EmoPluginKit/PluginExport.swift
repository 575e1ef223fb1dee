#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EmoCore
import EmoJSON

/// Turns a plugin's Swift node types and model components into the C table the host reads.
///
/// A plugin's whole registration is its entry point:
/// ```swift
/// @_cdecl("emohr_plugin_entry_v1")
/// public func emohrPluginEntry(_ host: UnsafeRawPointer?) -> UnsafeRawPointer? {
///     PluginExport.register(name: "mfcc", version: "1.0.0", nodes: [MFCCNode.self], host: host)
/// }
/// ```
/// Node types are ordinary EmoCore `MapNode`s, written exactly like built-in ones.
public enum PluginExport {
    /// Builds the plugin's table. Returns it even when the host speaks another ABI version (the
    /// host then reads only the stable header and refuses the plugin with a clear message).
    public static func register(
        name: String, version: String = "0.0.0", nodes: [any MapNode.Type] = [], blocks: [any PluginBlock.Type] = [],
        fusions: [any PluginFusion.Type] = [], heads: [any PluginHead.Type] = [], host: UnsafeRawPointer?
    ) -> UnsafeRawPointer? {
        var components: [ExportedComponent] = []
        for block in blocks { components.append(.block(block)) }
        for fusion in fusions { components.append(.fusion(fusion)) }
        for head in heads { components.append(.head(head)) }
        var ops = EmohrModelOps.unavailable
        if let host, host.load(as: UInt32.self) == PluginABI.version {
            ops = host.load(as: EmohrHostTable.self).model
        }
        let plugin = ExportedPlugin(name: name, version: version, nodes: nodes, components: components, ops: ops)
        return UnsafeRawPointer(plugin.table)
    }
}

/// A component type, type-erased.
enum ExportedComponent {
    case block(any PluginBlock.Type)
    case fusion(any PluginFusion.Type)
    case head(any PluginHead.Type)

    var manifest: JSON {
        switch self {
        case .block(let type):
            ["kind": "block", "name": .string(type.name), "summary": .string(type.summary), "expansion": .int(type.expansion)]
        case .fusion(let type): ["kind": "fusion", "name": .string(type.name), "summary": .string(type.summary)]
        case .head(let type): ["kind": "head", "name": .string(type.name), "summary": .string(type.summary)]
        }
    }

    func make(spec json: JSON, builder: PluginModelBuilder) throws -> ComponentInstance {
        let name = json["name"]?.stringValue ?? ""
        switch self {
        case .block(let type):
            let spec = PluginBlockSpec(
                inputChannels: json["inputChannels"]?.intValue ?? 0, outputChannels: json["outputChannels"]?.intValue ?? 0,
                stride: json["stride"]?.intValue ?? 1, name: name)
            let block = try type.init(spec, builder: builder)
            return ComponentInstance { [try block.forward($0[0])] }
        case .fusion(let type):
            let spec = PluginFusionSpec(channels: json["channels"]?.arrayValue?.compactMap(\.intValue) ?? [], name: name)
            let fusion = try type.init(spec, builder: builder)
            return ComponentInstance { try fusion.forward($0) }
        case .head(let type):
            let spec = PluginHeadSpec(
                inputFeatures: json["inputFeatures"]?.intValue ?? 0, classes: json["classes"]?.intValue ?? 0,
                dropout: Float(json["dropout"]?.doubleValue ?? 0), name: name, options: json["options"]?.objectValue ?? [:])
            let head = try type.init(spec, builder: builder)
            return ComponentInstance { [try head.forward($0[0])] }
        }
    }
}

/// A built component: its forward pass over handles.
final class ComponentInstance {
    let forward: ([PluginTensor]) throws -> [PluginTensor]
    init(forward: @escaping ([PluginTensor]) throws -> [PluginTensor]) { self.forward = forward }
}

/// A built node and its id.
final class NodeInstance {
    let node: any MapNode
    init(node: any MapNode) { self.node = node }
}

/// Collects the notices a node gives while processing one item.
final class NoticeCollector: @unchecked Sendable {
    var notices: [JSON] = []
}

/// One registered plugin: its types, and the C table that points back at it.
final class ExportedPlugin {
    let name: String
    let nodes: [any MapNode.Type]
    let components: [ExportedComponent]
    let ops: EmohrModelOps
    /// Lives as long as the library: the table is the plugin's identity for the host.
    let table: UnsafeMutablePointer<EmohrPluginTable>

    init(name: String, version: String, nodes: [any MapNode.Type], components: [ExportedComponent], ops: EmohrModelOps) {
        self.name = name
        self.nodes = nodes
        self.components = components
        self.ops = ops
        let manifest: JSON = [
            "nodes": .array(nodes.map { $0.descriptor.json }), "components": .array(components.map(\.manifest)),
        ]
        table = .allocate(capacity: 1)
        table.initialize(
            to: EmohrPluginTable(
                abiVersion: PluginABI.version, size: UInt32(MemoryLayout<EmohrPluginTable>.size), name: UnsafePointer(strdup(name)),
                version: UnsafePointer(strdup(version)), manifest: UnsafePointer(strdup(manifest.serialized(pretty: false))),
                context: nil, freeString: exportFreeString, freePayload: exportFreePayload, createNode: exportCreateNode,
                negotiate: exportNegotiate, process: exportProcess, destroyNode: exportDestroyNode,
                createComponent: exportCreateComponent, forwardComponent: exportForwardComponent,
                destroyComponent: exportDestroyComponent))
        // The table refers to this object for the life of the process (a plugin is never unloaded).
        table.pointee.context = Unmanaged.passRetained(self).toOpaque()
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> ExportedPlugin {
        Unmanaged<ExportedPlugin>.fromOpaque(context!).takeUnretainedValue()
    }
}

/// A malloc'd copy of `text`, for the host to release through `freeString`.
func ownedString(_ text: String) -> EmohrOwnedString? { strdup(text) }

func report(_ error: any Error, to out: EmohrErrorOut?) {
    out?.pointee = ownedString(PluginErrorJSON.encode(error).serialized(pretty: false))
}

private func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }

private let exportFreeString: @convention(c) (UnsafeMutableRawPointer?, EmohrOwnedString?) -> Void = { _, string in
    free(string)
}

private let exportFreePayload: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, raw in
    guard let payload = raw?.assumingMemoryBound(to: EmohrPayload.self), let values = payload.pointee.values else { return }
    values.deallocate()
    payload.pointee.values = nil
    payload.pointee.count = 0
}

private let exportCreateNode:
    @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, EmohrErrorOut?) ->
    UnsafeMutableRawPointer? = { context, index, nodeId, parameters, errorOut in
        let plugin = ExportedPlugin.from(context)
        guard index >= 0, Int(index) < plugin.nodes.count else {
            report(PluginFailure(plugin: plugin.name, "no node type at index \(index)"), to: errorOut)
            return nil
        }
        do {
            let values = try JSON.parse(text(parameters)).objectValue ?? [:]
            var dictionary: [String: JSON] = [:]
            for (key, value) in values { dictionary[key] = value }
            let node = try plugin.nodes[Int(index)].init(setup: NodeSetup(nodeId: text(nodeId), parameters: Parameters(dictionary)))
            return Unmanaged.passRetained(NodeInstance(node: node)).toOpaque()
        } catch {
            report(error, to: errorOut)
            return nil
        }
    }

private let exportNegotiate:
    @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<CChar>?, EmohrErrorOut?) ->
    EmohrOwnedString? = { _, handle, inputs, errorOut in
        let instance = Unmanaged<NodeInstance>.fromOpaque(handle!).takeUnretainedValue()
        do {
            let formats = try StreamFormat.formats(pluginJSON: try JSON.parse(text(inputs)))
            let outputs = try instance.node.negotiate(inputs: formats)
            return ownedString(StreamFormat.pluginJSON(outputs).serialized(pretty: false))
        } catch {
            report(error, to: errorOut)
            return nil
        }
    }

private let exportProcess:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeRawPointer?, UnsafeMutableRawPointer?,
        EmohrErrorOut?, EmohrErrorOut?
    ) -> Int32 = { _, handle, itemText, input, output, itemOut, errorOut in
        let instance = Unmanaged<NodeInstance>.fromOpaque(handle!).takeUnretainedValue()
        do {
            let json = try JSON.parse(text(itemText))
            let payload = try PayloadMarshal.payload(from: input!.load(as: EmohrPayload.self), path: json["path"]?.stringValue)
            let item = Item(id: json["id"]?.stringValue ?? "", metadata: PluginItemJSON.metadata(json), payload: payload)
            let collector = NoticeCollector()
            let context = ItemContext(
                nodeId: json["nodeId"]?.stringValue ?? "",
                pass: Pass(epoch: json["epoch"]?.intValue ?? 0, fold: json["fold"]?.intValue ?? 0),
                seed: UInt64(json["seed"]?.stringValue ?? "0") ?? 0,
                noticeSink: { code, message in collector.notices.append(["code": .string(code), "message": .string(message)]) })
            let result = try instance.node.process(item, context: context)
            var path: String?
            output!.storeBytes(of: try PayloadMarshal.allocate(result.payload, path: &path), as: EmohrPayload.self)
            var back: JSONObject = [
                "id": .string(result.id),
                "metadata": .object(JSONObject(result.metadata.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            ]
            if let path { back["path"] = .string(path) }
            if !collector.notices.isEmpty { back["notices"] = .array(collector.notices) }
            itemOut?.pointee = ownedString(JSON.object(back).serialized(pretty: false))
            return 0
        } catch {
            report(error, to: errorOut)
            return -1
        }
    }

private let exportDestroyNode: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, handle in
    guard let handle else { return }
    Unmanaged<NodeInstance>.fromOpaque(handle).release()
}

private let exportCreateComponent:
    @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, EmohrErrorOut?) ->
    UnsafeMutableRawPointer? = { context, index, specText, builder, errorOut in
        let plugin = ExportedPlugin.from(context)
        guard index >= 0, Int(index) < plugin.components.count else {
            report(PluginFailure(plugin: plugin.name, "no model component at index \(index)"), to: errorOut)
            return nil
        }
        do {
            let spec = try JSON.parse(text(specText))
            let instance = try plugin.components[Int(index)].make(
                spec: spec, builder: PluginModelBuilder(ops: plugin.ops, builder: builder))
            return Unmanaged.passRetained(instance).toOpaque()
        } catch {
            report(error, to: errorOut)
            return nil
        }
    }

private let exportForwardComponent:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int64, UnsafeMutablePointer<Int64>?, Int64,
        EmohrErrorOut?
    ) -> Int64 = { context, handle, sessionPointer, inputCount, outputs, capacity, errorOut in
        let plugin = ExportedPlugin.from(context)
        let instance = Unmanaged<ComponentInstance>.fromOpaque(handle!).takeUnretainedValue()
        let session = PluginSession(ops: plugin.ops, pointer: sessionPointer)
        do {
            let results = try instance.forward((0..<inputCount).map { PluginTensor(handle: $0, session: session) })
            guard results.count <= capacity else {
                throw PluginFailure(plugin: plugin.name, "a component gave \(results.count) outputs; the host expects \(capacity)")
            }
            for (index, tensor) in results.enumerated() { outputs![index] = tensor.handle }
            return Int64(results.count)
        } catch {
            report(error, to: errorOut)
            return -1
        }
    }

private let exportDestroyComponent: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = {
    _, handle in
    guard let handle else { return }
    Unmanaged<ComponentInstance>.fromOpaque(handle).release()
}
