import ArgumentParser
import EmoCore
import EmoNodes
import EmoPluginKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options every command that needs the node registry shares: where plugins come from.
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("plugin"),
        help: ArgumentHelp(
            "A plugin shared library to load (repeatable).",
            discussion: "Also loaded: every file, and every *.so in every folder, of EMOHR_PLUGIN_PATH (colon-separated)."))
    var plugins: [String] = []

    /// The plugins named by `--plugin` and `EMOHR_PLUGIN_PATH`, loaded.
    func loadPlugins() throws -> PluginSet {
        do {
            return try PluginSet.load(
                explicit: plugins, searchPath: getenv(PluginPaths.environmentVariable).map { String(cString: $0) })
        } catch {
            throw CommandFailure(description: "\(error)")
        }
    }

    /// The built-in nodes plus those of every plugin; model nodes accept the plugins' components.
    func makeRegistry() throws -> NodeRegistry {
        let set = try loadPlugins()
        do { return try set.makeRegistry() } catch let error as PluginLoadError {
            throw CommandFailure(description: "\(error)")
        }
    }
}

/// A failure whose message is already written for a person; exits with `code`.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var code: Int32 = 1
}

/// Exit status for a pipeline file with problems (EX_DATAERR).
let invalidPipelineExitCode: Int32 = 65
