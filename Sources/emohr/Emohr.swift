import ArgumentParser
import EmoTensor

/// The `emohr` command: runs and inspects JSON pipelines for speech emotion recognition.
@main
struct Emohr: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emohr",
        abstract: "Speech emotion recognition with EmoHRNet: JSON pipelines of typed audio, feature and model nodes.",
        version: "0.1.0",
        subcommands: [
            RunCommand.self, ValidateCommand.self, NodesCommand.self, GraphCommand.self, SchemaCommand.self, InferCommand.self, BenchCommand.self,
        ])

    /// Keeps freed large blocks in the heap for reuse before anything runs (see `HeapPolicy`).
    static func main() {
        HeapPolicy.apply()
        main(nil)
    }
}
