#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EmoCore
import EmoJSON

/// A plugin the host refused, with the reason written for the person who asked for it.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable {
    /// The plugin's path (or name, for plugins registered in-process).
    public var path: String
    /// What is wrong.
    public var message: String
    /// How to fix it, when known.
    public var hint: String?

    /// A refusal.
    public init(path: String, _ message: String, hint: String? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var description: String { "plugin \(path): \(message)" + (hint.map { "; \($0)" } ?? "") }
}

/// A model component a plugin declares (block type, fusion method or head).
public struct PluginComponentDeclaration: Sendable {
    /// `block`, `fusion` or `head`.
    public var kind: String
    /// The name model configs use.
    public var name: String
    /// One line.
    public var summary: String
    /// Output channels per configured channel (blocks).
    public var expansion: Int
    /// Position in the plugin's component list (the ABI's component index).
    public var index: Int32
}

/// A loaded plugin: its table, what it declares, and where it came from.
///
/// Lifetime: a library, once loaded, stays loaded until the process ends (`dlclose` is never
/// called). Node proxies, model layers and the tables they call into all point into its code, and
/// a graph or a trained model may outlive any one registry, so unloading would never be safe.
public final class PluginLibrary: @unchecked Sendable {
    /// The path the library was loaded from, or the in-process origin.
    public let path: String
    /// The plugin's name, from its table.
    public let name: String
    /// The plugin's own version string.
    public let version: String
    /// The node types it brings.
    public let nodeDescriptors: [NodeDescriptor]
    /// The model components it brings.
    public let components: [PluginComponentDeclaration]
    /// The plugin's table (valid while the process lives).
    public let table: UnsafePointer<EmohrPluginTable>

    /// Loads a plugin library: `dlopen`, the `emohr_plugin_entry_v1` symbol, the ABI version check,
    /// then the manifest. Every failure is a `PluginLoadError` that says what to do.
    public static func load(path: String, host: EmohrHostTable) throws(PluginLoadError) -> PluginLibrary {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw PluginLoadError(path: path, "no such file", hint: "build the plugin first (swift build -c release in its package folder) and pass the path of its lib*.so")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw PluginLoadError(path: path, "is not a file (a folder? put folders in EMOHR_PLUGIN_PATH, or name the lib*.so)")
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw PluginLoadError(path: path, "is not a shared library this system can load (dlopen: \(reason))")
        }
        guard let symbol = dlsym(handle, PluginABI.entrySymbol) else {
            // A library built for another major version exports that version's entry point instead.
            let other = (2...9).first { dlsym(handle, "emohr_plugin_entry_v\($0)") != nil }
            if let other {
                throw PluginLoadError(
                    path: path, "was built for emohr plugin ABI \(other); this emohr speaks ABI \(PluginABI.version)",
                    hint: "rebuild it against this EmoPluginKit, or use an emohr that speaks ABI \(other)")
            }
            throw PluginLoadError(
                path: path, "has no \(PluginABI.entrySymbol) entry point, so it is not an emohr plugin",
                hint: "a plugin exports it with @_cdecl(\"\(PluginABI.entrySymbol)\"); see docs/plugins.md")
        }
        let entry = unsafeBitCast(symbol, to: EmohrPluginEntry.self)
        let table = withUnsafePointer(to: host) { entry(UnsafeRawPointer($0)) }
        return try PluginLibrary(table: table, origin: path)
    }

    /// Reads a plugin table returned by an entry point (what `load` does after `dlsym`; tests call it
    /// with a table made in-process by `PluginExport.register`).
    public init(table raw: UnsafeRawPointer?, origin: String) throws(PluginLoadError) {
        guard let raw else { throw PluginLoadError(path: origin, "its entry point returned no table") }
        // The stable header: version, size, name. Nothing else is read before the version matches.
        let abiVersion = raw.load(as: UInt32.self)
        let size = raw.load(fromByteOffset: 4, as: UInt32.self)
        let namePointer = raw.load(fromByteOffset: 8, as: UnsafePointer<CChar>?.self)
        let name = namePointer.map { String(cString: $0) } ?? "(unnamed)"
        guard abiVersion == PluginABI.version else {
            throw PluginLoadError(
                path: origin,
                "plugin \(name) was built for emohr plugin ABI \(abiVersion); this emohr speaks ABI \(PluginABI.version)",
                hint: "rebuild it against this EmoPluginKit")
        }
        guard Int(size) >= MemoryLayout<EmohrPluginTable>.size else {
            throw PluginLoadError(
                path: origin, "plugin \(name) has a table of \(size) bytes; ABI \(PluginABI.version) needs \(MemoryLayout<EmohrPluginTable>.size)",
                hint: "rebuild it against this EmoPluginKit")
        }
        let table = raw.assumingMemoryBound(to: EmohrPluginTable.self)
        self.table = table
        path = origin
        self.name = name
        version = table.pointee.version.map { String(cString: $0) } ?? ""
        let manifest: JSON
        do { manifest = try JSON.parse(table.pointee.manifest.map { String(cString: $0) } ?? "") } catch {
            throw PluginLoadError(path: origin, "plugin \(name) gave a manifest that is not JSON: \(error)")
        }
        var descriptors: [NodeDescriptor] = []
        for node in manifest["nodes"]?.arrayValue ?? [] {
            let descriptor: NodeDescriptor
            do { descriptor = try NodeDescriptor(pluginJSON: node) } catch {
                throw PluginLoadError(path: origin, "plugin \(name) declares a node badly: \(error)")
            }
            guard descriptor.role == .map else {
                throw PluginLoadError(
                    path: origin, "plugin \(name) declares \(descriptor.type) as a \(descriptor.role.rawValue) node; plugins bring map nodes in ABI \(PluginABI.version)")
            }
            descriptors.append(descriptor)
        }
        nodeDescriptors = descriptors
        var components: [PluginComponentDeclaration] = []
        for (index, component) in (manifest["components"]?.arrayValue ?? []).enumerated() {
            guard let kind = component["kind"]?.stringValue, ["block", "fusion", "head"].contains(kind),
                let componentName = component["name"]?.stringValue, !componentName.isEmpty
            else { throw PluginLoadError(path: origin, "plugin \(name) declares a model component without a kind (block, fusion, head) or a name") }
            let expansion = component["expansion"]?.intValue ?? 1
            guard expansion >= 1 else {
                throw PluginLoadError(path: origin, "plugin \(name): block \(componentName) has expansion \(expansion); it must be at least 1")
            }
            components.append(
                PluginComponentDeclaration(
                    kind: kind, name: componentName, summary: component["summary"]?.stringValue ?? "", expansion: expansion,
                    index: Int32(index)))
        }
        self.components = components
    }

    /// Registry entries for the plugin's node types: host proxies that call across the ABI.
    public var nodeEntries: [NodeRegistry.Entry] {
        nodeDescriptors.enumerated().map { index, descriptor in
            var shown = descriptor
            let origin = "plugin \(name) \(version) (\(path))"
            shown.details = (descriptor.details.isEmpty ? "" : descriptor.details + "\n\n") + "From \(origin)."
            return NodeRegistry.Entry(descriptor: shown, origin: origin) { [self] setup in
                try PluginNodeProxy(library: self, index: Int32(index), setup: setup)
            }
        }
    }

    /// Registers the plugin's node types; a name already taken is refused with both origins.
    public func register(into registry: inout NodeRegistry) throws(PluginLoadError) {
        for entry in nodeEntries {
            do { try registry.register(entry) } catch {
                throw PluginLoadError(path: path, error.description, hint: "rename the node type in the plugin, or load only one of the two")
            }
        }
    }

    /// Takes an owned string from the plugin and releases it.
    public func take(_ string: EmohrOwnedString?) -> String? {
        guard let string else { return nil }
        defer { table.pointee.freeString(table.pointee.context, string) }
        return String(cString: string)
    }

    /// The error a failed call wrote, as the engine's error type.
    public func error(_ string: EmohrOwnedString?, doing action: String) -> any Error {
        guard let text = take(string) else { return PluginFailure(plugin: name, "\(action) failed without saying why") }
        return PluginErrorJSON.decode(text, plugin: name)
    }
}

/// The host's stand-in for a plugin node: an EmoCore `MapNode` that forwards every call across the
/// C ABI, converting formats and items to JSON and payloads to `EmohrPayload`.
public final class PluginNodeProxy: MapNode, @unchecked Sendable {
    /// Not used: a proxy's declaration is its registry entry's (each plugin node type has its own).
    public static let descriptor = NodeDescriptor(type: "plugin.proxy", summary: "a plugin node", role: .map)

    let library: PluginLibrary
    let handle: UnsafeMutableRawPointer

    public required init(setup: NodeSetup) throws {
        throw PluginFailure(plugin: "?", "plugin nodes are made through their registry entry")
    }

    init(library: PluginLibrary, index: Int32, setup: NodeSetup) throws {
        self.library = library
        let parameters = JSON.object(JSONObject(setup.parameters.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        var error: EmohrOwnedString?
        let table = library.table.pointee
        let made = setup.nodeId.withCString { nodeId in
            parameters.serialized(pretty: false).withCString { table.createNode(table.context, index, nodeId, $0, &error) }
        }
        guard let made else { throw library.error(error, doing: "creating node \(setup.nodeId)") }
        handle = made
    }

    deinit { library.table.pointee.destroyNode(library.table.pointee.context, handle) }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        let table = library.table.pointee
        var error: EmohrOwnedString?
        let result = StreamFormat.pluginJSON(inputs).serialized(pretty: false).withCString {
            table.negotiate(table.context, handle, $0, &error)
        }
        guard let text = library.take(result) else { throw library.error(error, doing: "negotiate") }
        do { return try StreamFormat.formats(pluginJSON: try JSON.parse(text)) } catch {
            throw PluginFailure(plugin: library.name, "negotiate returned formats the host cannot read: \(error)")
        }
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        let table = library.table.pointee
        var output = EmohrPayload()
        var itemOut: EmohrOwnedString?
        var error: EmohrOwnedString?
        let status = try PayloadMarshal.withBorrowed(item.payload) { input, path in
            PluginItemJSON.encode(item, path: path, context: context).serialized(pretty: false).withCString {
                table.process(table.context, handle, $0, UnsafeRawPointer(input), &output, &itemOut, &error)
            }
        }
        defer { table.freePayload(table.context, &output) }
        guard status == 0, let text = library.take(itemOut) else { throw library.error(error, doing: "process") }
        let json: JSON
        do { json = try JSON.parse(text) } catch { throw ItemError("plugin \(library.name) returned an unreadable item: \(error)") }
        for notice in json["notices"]?.arrayValue ?? [] {
            context.notice(notice["code"]?.stringValue ?? "notice", notice["message"]?.stringValue ?? "")
        }
        let payload = try PayloadMarshal.payload(from: output, path: json["path"]?.stringValue)
        return Item(id: json["id"]?.stringValue ?? item.id, metadata: PluginItemJSON.metadata(json), payload: payload)
    }
}
