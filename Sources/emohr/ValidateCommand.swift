import ArgumentParser
import EmoCore
import Foundation

/// `emohr validate FILE…`: checks pipeline files and reports every problem; non-zero on any.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check pipeline files and report every problem at once.")

    @Argument(help: "Pipeline files.") var files: [String]
    @Option(name: .customLong("arg"), help: "An argument value, name=value (repeatable).") var arguments: [String] = []
    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        let registry = try registryOptions.makeRegistry()
        let values = try parseArguments(arguments)
        var failed = 0
        for file in files {
            let validator = PipelineValidator(registry: registry, arguments: values, requireArgumentValues: false)
            do {
                let graph = try validator.validate(file: file)
                print("\(file): valid (\(graph.nodes.count) nodes)")
            } catch {
                failed += 1
                printError(error.description)
            }
        }
        if failed > 0 { throw ExitCode(invalidPipelineExitCode) }
    }
}

/// Parses `name=value` pairs; a malformed one is a usage error.
func parseArguments(_ pairs: [String]) throws -> [String: String] {
    var values: [String: String] = [:]
    for pair in pairs {
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
            throw ValidationError("--arg expects name=value, got \"\(pair)\"")
        }
        values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
    }
    return values
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
