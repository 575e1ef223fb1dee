import EmoJSON
import Foundation
import Testing

/// The `emohr` executable end to end: exit codes, messages, JSON output.
@Suite struct CommandLineTests {
    static let executable = PipelineFilesTests.repository.appendingPathComponent(".build/debug/emohr").path

    func emohr(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments
        process.currentDirectoryURL = PipelineFilesTests.repository
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    var available: Bool { FileManager.default.isExecutableFile(atPath: Self.executable) }

    @Test func usageErrorsExit64() throws {
        guard available else { return print("skipped: \(Self.executable) not built") }
        #expect(try emohr(["run"]).status == 64)
        #expect(try emohr(["nodes", "--bogus"]).status == 64)
        #expect(try emohr(["run", "pipelines/quickstart.json", "--arg", "novalue"]).status == 64)
    }

    @Test func validateReportsEveryProblemAndExitsNonZero() throws {
        guard available else { return print("skipped: \(Self.executable) not built") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try #"{"schemaVersion": 1, "nodes": [{"id": "a", "type": "spectrum.mell"}, {"id": "b", "type": "audio.decode", "params": {"chanel": 0}}]}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try emohr(["validate", file, "pipelines/convert-features.json"])
        #expect(result.status == 65)
        #expect(result.output.contains("unknown node type \"spectrum.mell\" (did you mean \"spectrum.mel\"?)"), "\(result.output)")
        #expect(result.output.contains("has no parameter \"chanel\" (did you mean \"channel\"?)"), "\(result.output)")
        #expect(result.output.contains("needs input \"items\""), "\(result.output)")
        #expect(result.output.contains("convert-features.json: valid"))
    }

    @Test func nodesDescribesPortsAndParameters() throws {
        guard available else { return print("skipped: \(Self.executable) not built") }
        let text = try emohr(["nodes", "spectrum.mel"])
        #expect(text.status == 0)
        #expect(text.output.contains("melBands (integer, default 128, 1 … 1024 bands)"), "\(text.output)")
        let json = try JSON.parse(try emohr(["nodes", "--json"]).output)
        let types = json.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        for type in ["audio.decode", "audio.resample", "spectrum.stft", "spectrum.mel", "spectrum.db", "spectrum.normalize",
                     "augment.timeShift", "augment.freqMask", "augment.timeMask", "model.train", "model.infer",
                     "metrics.classification", "corpus.ravdess", "split.leaveOneSpeakerOut"] {
            #expect(types.contains(type), "\(type) missing from emohr nodes --json")
        }
    }

    @Test func schemaAndGraphDescribeTheRegistryAndThePipeline() throws {
        guard available else { return print("skipped: \(Self.executable) not built") }
        let schema = try JSON.parse(try emohr(["schema"]).output)
        #expect(schema["properties"]?["schemaVersion"]?["const"]?.intValue == 1)
        let variants = schema["properties"]?["nodes"]?["items"]?["oneOf"]?.arrayValue ?? []
        #expect(variants.count > 20)
        let graph = try emohr(["graph", "pipelines/convert-features.json"])
        #expect(graph.output.contains("→ spectrum: 128-band log-Mel at 16 kHz, hop 160, normalised (utterance)"), "\(graph.output)")
        let dot = try emohr(["graph", "--dot", "pipelines/convert-features.json"])
        #expect(dot.output.hasPrefix("digraph") && dot.output.contains("\"logmel\" -> \"write\""))
    }
}

extension CommandLineTests {
    @Test func theNodeReferenceInDocsIsUpToDate() throws {
        guard available else { return print("skipped: \(Self.executable) not built") }
        let generated = try emohr(["nodes", "--markdown"]).output
        let committed = try String(contentsOf: PipelineFilesTests.repository.appendingPathComponent("docs/nodes.md"), encoding: .utf8)
        #expect(generated == committed, "docs/nodes.md is stale: regenerate it with `emohr nodes --markdown > docs/nodes.md`")
    }
}
