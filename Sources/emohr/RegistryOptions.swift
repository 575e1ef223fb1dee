import ArgumentParser
import EmoCore
import EmoNodes

/// Options every command that needs the node registry shares: where plugins come from.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("plugin"), help: "A plugin shared library to load (repeatable). Also read: EMOHR_PLUGIN_PATH.")
    var plugins: [String] = []

    /// The built-in nodes plus those of every plugin.
    func makeRegistry() throws -> NodeRegistry {
        try BuiltinNodes.makeRegistry()
    }
}

/// A failure whose message is already written for a person; exits with `code`.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var code: Int32 = 1
}

/// Exit status for a pipeline file with problems (EX_DATAERR).
let invalidPipelineExitCode: Int32 = 65
