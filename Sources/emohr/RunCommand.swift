import ArgumentParser
import EmoCore
import EmoJSON
import Foundation

/// `emohr run FILE`: validates and runs a pipeline, with progress and a run report.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a pipeline file.")

    @Argument(help: "The pipeline file.") var file: String
    @Option(name: .customLong("arg"), help: "An argument value, name=value (repeatable).") var arguments: [String] = []
    @Option(help: "Write progress and results as JSON lines to this file.") var events: String?
    @Option(help: "Write the run report (JSON) here; default: the pipeline's \"report\", else <name>-report.json.")
    var report: String?
    @Option(help: "Run seed: every random draw derives from it.") var seed: UInt64 = 0
    @Option(help: "Worker threads for per-item nodes (default: all cores).") var workers: Int?
    @Flag(help: "No progress on the terminal.") var quiet = false
    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        let registry = try registryOptions.makeRegistry()
        let validator = PipelineValidator(registry: registry, arguments: try parseArguments(arguments))
        let graph: ResolvedGraph
        do { graph = try validator.validate(file: file) } catch {
            printError(error.description)
            throw ExitCode(invalidPipelineExitCode)
        }
        let progress = try ProgressReporter(display: quiet ? .silent : nil, eventsPath: events)
        let context = RunContext(
            seed: seed, workers: workers ?? ProcessInfo.processInfo.activeProcessorCount, progress: progress,
            baseDirectory: graph.baseDirectory)
        progress.message("running \(graph.name) (\(graph.nodes.count) nodes, seed \(seed))")
        let reportPath = report ?? graph.reportPath ?? "\(graph.name)-report.json"
        let result: RunReport
        do {
            result = try PipelineRunner(graph: graph, context: context).run()
        } catch {
            printError("Error: \(error)")
            throw ExitCode.failure
        }
        try writeReport(result.json, to: reportPath)
        if !result.failures.isEmpty {
            progress.message("\(result.failures.count) item(s) failed and were skipped:")
            for failure in result.failures.prefix(20) {
                progress.message("  \(failure.path ?? failure.itemId) at \(failure.nodeId): \(failure.reason)")
            }
            if result.failures.count > 20 { progress.message("  … and \(result.failures.count - 20) more") }
        }
        progress.message(String(format: "done in %.1f s; report: %@", result.seconds, reportPath))
    }
}

/// Writes JSON to a file atomically (temporary name, then rename).
func writeReport(_ json: JSON, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data((json.serialized() + "\n").utf8).write(to: url, options: .atomic)
}
