import EmoCore
import EmoNodes
import Foundation
import Testing

/// Every ready-to-run pipeline in `pipelines/` validates against the built-in registry.
@Suite struct PipelineFilesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var pipelineFiles: [String] {
        let root = repository.appendingPathComponent("pipelines").path
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        // Plugin pipelines need their plugins loaded; scripts/build-plugins.sh runs them.
        return files.filter { $0.hasSuffix(".json") && !$0.hasPrefix("plugins/") }.sorted().map { root + "/" + $0 }
    }

    @Test func thereArePipelines() {
        let names = Self.pipelineFiles.map { ($0 as NSString).lastPathComponent }
        for expected in ["quickstart.json", "convert-features.json", "emodb.json", "emodb-loso.json", "ravdess-speaker-6fold.json",
                         "iemocap-loso-session.json", "emovo-random-10fold.json"] {
            #expect(names.contains(expected), "pipelines/…/\(expected) is missing")
        }
    }

    @Test(arguments: pipelineFiles) func validates(_ file: String) throws {
        let validator = PipelineValidator(registry: try BuiltinNodes.makeRegistry(), requireArgumentValues: false)
        do {
            _ = try validator.validate(file: file)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func experimentPipelinesDeclareTheirProtocolFamily() throws {
        let folder = Self.repository.appendingPathComponent("pipelines/experiments").path
        for corpus in ["ravdess", "emovo", "iemocap", "emodb"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(corpus) }
            #expect(files.contains { $0.contains("random") }, "\(corpus): no random-split pipeline")
            #expect(files.contains { $0.contains("loso") || $0.contains("speaker") }, "\(corpus): no speaker-independent pipeline")
        }
    }
}
