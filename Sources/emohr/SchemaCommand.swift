import ArgumentParser
import EmoCore

/// `emohr schema`: a JSON Schema for pipeline files, generated from the registry.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Print a JSON Schema for pipeline files, generated from the node registry.")

    @OptionGroup var registryOptions: RegistryOptions

    func run() throws {
        print(try registryOptions.makeRegistry().pipelineSchema.serialized())
    }
}
