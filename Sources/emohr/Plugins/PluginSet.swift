import EmoCore
import EmoNN
import EmoNodes
import EmoPluginKit

/// The plugins of one command: loaded once, then turned into a node registry whose model nodes
/// accept the plugins' model components.
struct PluginSet {
    /// The loaded libraries, in load order.
    var libraries: [PluginLibrary] = []

    /// Loads every library named (see `PluginPaths.resolve`); the first refusal stops the command.
    static func load(explicit: [String], searchPath: String?) throws(PluginLoadError) -> PluginSet {
        let paths = try PluginPaths.resolve(explicit: explicit, searchPath: searchPath)
        let host = PluginModelHost.hostTable
        var set = PluginSet()
        for path in paths { set.libraries.append(try PluginLibrary.load(path: path, host: host)) }
        return set
    }

    /// The standard model components plus every plugin's.
    func modelComponents() throws(PluginLoadError) -> ModelComponentRegistry {
        var components = ModelComponentRegistry.standard
        for library in libraries { try components.register(plugin: library) }
        return components
    }

    /// The built-in nodes (their model nodes given the plugins' components), then every plugin's nodes.
    func makeRegistry() throws -> NodeRegistry {
        var registry = try BuiltinNodes.makeRegistry(modelComponents: try modelComponents())
        for library in libraries { try library.register(into: &registry) }
        return registry
    }
}
