import ArgumentParser
import EmoCore

/// `emohr graph FILE`: the resolved graph with negotiated formats, as text or Graphviz DOT.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Print the resolved graph with its negotiated formats.")

    @Argument(help: "The pipeline file.") var file: String
    @Option(name: .customLong("arg"), help: "An argument value, name=value (repeatable).") var arguments: [String] = []
    @Flag(help: "Print Graphviz DOT.") var dot = false
    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let validator = PipelineValidator(
            registry: try registryOptions.makeRegistry(), arguments: try parseArguments(arguments), requireArgumentValues: false)
        do {
            let graph = try validator.validate(file: file)
            print(dot ? graph.dotDescription : graph.textDescription)
        } catch {
            printError(error.description)
            throw ExitCode(invalidPipelineExitCode)
        }
    }
}
