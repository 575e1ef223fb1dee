import EmoCore
import EmoDSP
import EmoJSON
import EmoNodes
import Foundation
import Testing

/// The front end as a corpus run: good files are converted, every bad one is listed with its node
/// and reason, and a re-run resumes without recomputing.
@Suite struct FrontEndPipelineTests {
    /// A folder of good and bad audio files, and a manifest listing them all.
    struct Fixture {
        let folder: URL
        let manifest: String
        let good: [String]
        let bad: [String: String]  // id → expected failing node

        init() throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("frontend-\(UUID())")
            folder = root
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            func path(_ name: String) -> String { root.appendingPathComponent(name).path }
            func tone(_ rate: Int, seconds: Double = 0.5, channels: Int = 1) -> [Float] {
                let count = Int(Double(rate) * seconds)
                return (0..<(count * channels)).map { index in
                    let frame = index / channels
                    let channel = index % channels
                    return Float(0.3 * sin(2 * Double.pi * (channel == 0 ? 440 : 660) * Double(frame) / Double(rate)))
                }
            }
            try WAVWriter.write(tone(48000), sampleRate: 48000, to: path("good-48k.wav"))
            try WAVWriter.write(tone(16000), sampleRate: 16000, encoding: .float32, to: path("good-16k-float.wav"))
            try WAVWriter.write(tone(96000), sampleRate: 96000, encoding: .pcm24, to: path("rate-96k.wav"))
            try WAVWriter.write(tone(24414), sampleRate: 24414, to: path("rate-24414.wav"))
            try WAVWriter.write(tone(44100, channels: 2), sampleRate: 44100, channels: 2, to: path("stereo.wav"))
            try WAVWriter.write(tone(22050), sampleRate: 22050, container: .aiff, to: path("aiff-behind.wav"))
            try WAVWriter.write(Array(repeating: 0, count: 8000), sampleRate: 16000, to: path("silence.wav"))
            try WAVWriter.write([0.1, -0.1, 0.2], sampleRate: 16000, to: path("three-samples.wav"))
            _ = FileManager.default.createFile(atPath: path("empty.wav"), contents: Data())
            try Data("this is text, not audio\n".utf8).write(to: URL(fileURLWithPath: path("text.wav")))
            let whole = try Data(contentsOf: URL(fileURLWithPath: path("good-48k.wav")))
            try whole.prefix(30).write(to: URL(fileURLWithPath: path("truncated-header.wav")))
            try FileManager.default.createDirectory(atPath: path("folder.wav"), withIntermediateDirectories: true)
            let goodFiles = ["good-48k.wav", "good-16k-float.wav", "rate-96k.wav", "rate-24414.wav", "stereo.wav", "aiff-behind.wav",
                    "silence.wav", "three-samples.wav"]
            let badFiles = ["empty.wav": "decode", "text.wav": "decode", "truncated-header.wav": "decode", "folder.wav": "decode",
                   "missing.wav": "decode"]
            let manifestPath = path("manifest.csv")
            let rows = ["path,label"] + (goodFiles + badFiles.keys.sorted()).map { "\($0),x" }
            try (rows.joined(separator: "\n") + "\n").write(toFile: manifestPath, atomically: true, encoding: .utf8)
            good = goodFiles
            bad = badFiles
            manifest = manifestPath
        }
    }

    func pipeline(manifest: String, out: String, melBands: Int = 64) -> JSON {
        [
            "schemaVersion": 1, "name": "frontend-test",
            "nodes": [
                ["id": "corpus", "type": "corpus.manifest", "params": ["manifest": .string(manifest), "checkFiles": false]],
                ["id": "decode", "type": "audio.decode", "inputs": ["items": "corpus.items"]],
                ["id": "resample", "type": "audio.resample", "inputs": ["audio": "decode.audio"], "params": ["sampleRate": 16000]],
                ["id": "stft", "type": "spectrum.stft", "inputs": ["audio": "resample.audio"]],
                ["id": "mel", "type": "spectrum.mel", "inputs": ["spectrum": "stft.spectrum"], "params": ["melBands": .int(melBands)]],
                ["id": "db", "type": "spectrum.db", "inputs": ["spectrum": "mel.spectrum"]],
                ["id": "norm", "type": "spectrum.normalize", "inputs": ["spectrum": "db.spectrum"]],
                ["id": "write", "type": "features.write", "inputs": ["spectrum": "norm.spectrum"], "params": ["out": .string(out)]],
            ],
        ]
    }

    func run(_ json: JSON, base: String) throws -> RunReport {
        let graph = try PipelineValidator(registry: try BuiltinNodes.makeRegistry()).validate(json: json, file: "t.json", baseDirectory: base)
        return try PipelineRunner(graph: graph, context: RunContext()).run()
    }

    @Test func aCorpusRunConvertsGoodFilesAndListsEveryBadOne() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let out = fixture.folder.appendingPathComponent("out").path
        let report = try run(pipeline(manifest: fixture.manifest, out: out), base: fixture.folder.path)
        for name in fixture.good {
            let array = try NPYFile.read(out + "/" + (name as NSString).deletingPathExtension + ".npy")
            #expect(array.shape[0] == 64, "\(name): \(array.shape)")
            #expect(array.values.allSatisfy { $0.isFinite }, "\(name) has non-finite values")
        }
        // 0.5 s at 16 kHz, hop 160, centred: 1 + 8000/160 = 51 frames, whatever the source rate.
        for name in ["good-48k", "rate-96k", "rate-24414", "stereo", "aiff-behind"] {
            #expect(try NPYFile.read(out + "/\(name).npy").shape == [64, 51], "\(name)")
        }
        let failed = Dictionary(uniqueKeysWithValues: report.failures.map { ($0.itemId, $0) })
        #expect(Set(failed.keys) == Set(fixture.bad.keys), "\(report.failures)")
        for (id, node) in fixture.bad { #expect(failed[id]?.nodeId == node) }
        #expect(failed["missing.wav"]?.code == "fileMissing")
        #expect(failed["empty.wav"]?.code == "empty")
        #expect(report.notices.contains { $0.itemId == "silence.wav" && $0.code == "silent" })
        let manifest = try String(contentsOfFile: out + "/manifest.jsonl", encoding: .utf8)
        #expect(manifest.split(separator: "\n").count == fixture.good.count)
    }

    @Test func aRerunResumesAndAChangedParameterRecomputes() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let out = fixture.folder.appendingPathComponent("out").path
        _ = try run(pipeline(manifest: fixture.manifest, out: out), base: fixture.folder.path)
        // Simulate a kill: one output lost, the partial manifest cut in the middle of its last line.
        try FileManager.default.removeItem(atPath: out + "/stereo.npy")
        let partial = out + "/manifest.partial.jsonl"
        var text = try String(contentsOfFile: partial, encoding: .utf8)
        text.removeLast(20)
        try text.write(toFile: partial, atomically: true, encoding: .utf8)
        let modified = try FileManager.default.attributesOfItem(atPath: out + "/good-48k.npy")[.modificationDate] as? Date
        let second = try run(pipeline(manifest: fixture.manifest, out: out), base: fixture.folder.path)
        let written = second.sections.first { $0.0 == "write" }?.1
        #expect(written?["written"]?.intValue == 2, "the lost file and the cut line are redone: \(String(describing: written))")
        #expect(written?["resumed"]?.intValue == fixture.good.count - 2)
        #expect(FileManager.default.fileExists(atPath: out + "/stereo.npy"))
        let unchanged = try FileManager.default.attributesOfItem(atPath: out + "/good-48k.npy")[.modificationDate] as? Date
        #expect(unchanged == modified, "a finished file was rewritten")
        // A different parameter: everything is recomputed.
        let third = try run(pipeline(manifest: fixture.manifest, out: out, melBands: 40), base: fixture.folder.path)
        #expect(third.sections.first { $0.0 == "write" }?.1["written"]?.intValue == fixture.good.count)
        #expect(try NPYFile.read(out + "/good-48k.npy").shape == [40, 51])
    }

    @Test func theFusedLogMelNodeEqualsTheSeparateNodes() throws {
        let fixture = try Fixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let separate = fixture.folder.appendingPathComponent("separate").path
        let fused = fixture.folder.appendingPathComponent("fused").path
        _ = try run(pipeline(manifest: fixture.manifest, out: separate), base: fixture.folder.path)
        var json = pipeline(manifest: fixture.manifest, out: fused)
        var nodes = json["nodes"]!.arrayValue!.filter { !["stft", "mel", "db", "norm"].contains($0["id"]!.stringValue!) }
        nodes.insert(["id": "logmel", "type": "spectrum.logMel", "inputs": ["audio": "resample.audio"],
                      "params": ["melBands": 64, "normalize": "utterance"]], at: 3)
        nodes[4] = ["id": "write", "type": "features.write", "inputs": ["spectrum": "logmel.spectrum"], "params": ["out": .string(fused)]]
        json = ["schemaVersion": 1, "name": "fused", "nodes": .array(nodes)]
        _ = try run(json, base: fixture.folder.path)
        for name in ["good-48k", "stereo", "rate-24414"] {
            let a = try NPYFile.read(separate + "/\(name).npy")
            let b = try NPYFile.read(fused + "/\(name).npy")
            #expect(a.shape == b.shape)
            let error = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? .infinity
            // Both standardise dB values of order 10–100 to unit variance; float rounding of the dB
            // values (1e-5 relative) bounds the difference.
            #expect(error < 1e-3, "\(name): max |fused − separate| = \(error), tolerance 1e-3")
        }
    }
}
