import EmoJSON
import EmoNN
import EmoTensor
import Foundation
import Testing

@Suite struct CheckpointTests {
    static func batch(_ n: Int, height: Int = 20, width: Int = 24, seed: UInt64 = 9) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomNormal(shape: [n, 1, height, width], using: &generator)
    }

    /// A classifier with non-trivial weights and running statistics (two training steps).
    static func trainedClassifier(config: ModelConfig = smallConfig(), seed: UInt64 = 4) throws -> Classifier {
        let labels = (0..<config.head.classes).map { "emotion\($0)" }
        let classifier = try Classifier(config: config, labels: labels, seed: seed)
        for _ in 0..<2 { try classifier.trainStep(batch: batch(4), labels: [0, 1, 2, 1].map { $0 % config.head.classes }) }
        return classifier
    }

    @Test func roundTripGivesTheSameLogitsAndMetadata() throws {
        let classifier = try Self.trainedClassifier()
        let path = temporaryPath("model.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let featureSpec = #"{"type":"logmel","melBands":64,"frames":300}"#
        try classifier.save(
            to: path, featureSpec: featureSpec, trainingProtocol: #"{"name":"random-split","seed":0}"#,
            metrics: #"{"validationAccuracy":0.5}"#)
        let (loaded, metadata) = try Classifier.load(from: path)
        #expect(metadata.labels == classifier.labels)
        #expect(metadata.featureSpec == featureSpec)
        #expect(metadata.trainingProtocol == #"{"name":"random-split","seed":0}"#)
        #expect(metadata.metrics == #"{"validationAccuracy":0.5}"#)
        #expect(try ModelConfig(json: metadata.modelConfig) == classifier.model.config)
        #expect(loaded.snapshot() == classifier.snapshot())
        let x = Self.batch(3, seed: 21)
        #expect(try loaded.logits(x) == classifier.logits(x))
        // The file is plain safetensors: 8-byte little-endian header length, then JSON.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0)
        let header = try JSON.parse(String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self))
        #expect(header["stem.0.0.weight"]?["dtype"]?.stringValue == "F32")
        #expect(header["__metadata__"]?["format"]?.stringValue == "emohr-checkpoint")
    }

    @Test func loaderReportsEveryMissingUnusedAndMisshapedKey() throws {
        let model = try HRNet(config: smallConfig(), seed: 1)
        let before = model.snapshot()
        var state = model.snapshot()
        state.tensors["stem.0.1.running_mean"] = nil
        state.tensors["fc.bias"] = nil
        state.tensors["fc.weight"] = Tensor(zeros: [4, 14])
        state.tensors["head.0.weight"] = Tensor(zeros: [14, 14, 3, 3])
        state.tensors["stage9.extra.weight"] = Tensor(zeros: [2, 2])
        state.names.append("stage9.extra.weight")
        state.tensors["stem.0.1.num_batches_tracked"] = Tensor(scalar: 3)  // PyTorch counters are ignored
        state.names.append("stem.0.1.num_batches_tracked")
        state.tensors["stem.0.0.weight"] = Tensor(zeros: [4, 1, 3, 3])  // right shape, new value
        do {
            try model.load(state, source: "broken.safetensors")
            Issue.record("expected an error")
        } catch {
            #expect(error.missing.map(\.name).sorted() == ["fc.bias", "stem.0.1.running_mean"])
            #expect(error.missing.first { $0.name == "fc.bias" }?.shape == [3])
            #expect(error.unused.map(\.name) == ["stage9.extra.weight"])
            #expect(error.misshaped.count == 2)
            #expect(error.misshaped.contains { $0.name == "fc.weight" && $0.expected == [3, 14] && $0.found == [4, 14] })
            #expect(error.misshaped.contains { $0.name == "head.0.weight" && $0.expected == [14, 14, 1, 1] && $0.found == [14, 14, 3, 3] })
            let text = error.description
            #expect(text.contains("2 missing, 1 unused, 2 mis-shaped"))
            #expect(text.contains("fc.weight: model [3, 14], checkpoint [4, 14]"))
            print(text)
        }
        #expect(model.snapshot() == before)  // nothing changed
    }

    @Test func safetensorsErrorsNameTheProblem() throws {
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode([1, 2, 3]) }
        var bytes = SafeTensors(tensors: [("a", Tensor(zeros: [2, 3]))], metadata: ["k": "v"]).encoded()
        let good = try SafeTensors.decode(bytes)
        #expect(good.tensors.first?.tensor.shape == [2, 3])
        #expect(good.metadata == ["k": "v"])
        bytes.removeLast(4)
        do {
            _ = try SafeTensors.decode(bytes, path: "cut.safetensors")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("cut.safetensors"))
            #expect(error.description.contains("data_offsets"))
        }
        let f16 = #"{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#
        var header = Array(f16.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + [0, 0]
        do {
            _ = try SafeTensors.decode(file)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("F16"))
            #expect(error.hint != nil)
        }
        // Plain weights (no emohr metadata) are refused as a checkpoint with a hint.
        let path = temporaryPath("plain.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensors(tensors: [("a", Tensor(zeros: [1]))]).write(to: path)
        #expect(throws: SafeTensorsError.self) { try Checkpoint.read(from: path) }
    }

    @Test(arguments: [OptimizerConfig.Kind.adam, .adamw, .sgd])
    func resumingFromSavedStateContinuesExactly(kind: OptimizerConfig.Kind) throws {
        let config = smallConfig()
        let optimizer = OptimizerConfig(kind: kind, learningRate: 1e-2, weightDecay: 1e-4, momentum: kind == .sgd ? 0.9 : 0)
        let original = try Classifier(config: config, labels: ["a", "b", "c"], optimizer: optimizer, seed: 3)
        let x = Self.batch(4)
        for _ in 0..<2 { try original.trainStep(batch: x, labels: [0, 1, 2, 0]) }
        let weights = temporaryPath("resume.safetensors"), state = temporaryPath("resume.optimizer.safetensors")
        defer {
            try? FileManager.default.removeItem(atPath: weights)
            try? FileManager.default.removeItem(atPath: state)
        }
        try original.save(to: weights)
        try original.saveTrainingState(to: state, extra: ["epoch": "2"])
        let (resumed, _) = try Classifier.load(from: weights)
        let extra = try resumed.loadTrainingState(from: state)
        #expect(extra == ["epoch": "2"])
        #expect(resumed.stepsTaken == 2)
        #expect(resumed.optimizerConfig == optimizer)
        let a = try original.trainStep(batch: x, labels: [0, 1, 2, 0])
        let b = try resumed.trainStep(batch: x, labels: [0, 1, 2, 0])
        #expect(a.loss == b.loss)
        #expect(original.snapshot() == resumed.snapshot())
    }

    /// Opt-in (`EMOHR_PYTORCH=/path/to/python` with torch, numpy, safetensors): a checkpoint written
    /// here, loaded by `scripts/reference/model/compare_checkpoint.py` into the PyTorch reference.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["EMOHR_PYTORCH"] != nil))
    func pytorchLoadsOurCheckpointAndAgrees() throws {
        let python = ProcessInfo.processInfo.environment["EMOHR_PYTORCH"]!
        let script = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(
            "../../scripts/reference/model/compare_checkpoint.py"
        ).standardized.path
        for (name, config, height, width) in [
            ("emohrnet-s", try ModelConfig.preset("emohrnet-s", classes: 8), 64, 300),
            ("tiny", try Fixtures.tinyConfig(), 21, 37),
        ] {
            let classifier = try Self.trainedClassifier(config: config)
            let directory = temporaryPath(name)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let x = Self.batch(2, height: height, width: width, seed: 77)
            try classifier.save(to: "\(directory)/model.safetensors")
            try writeNPY("\(directory)/input.npy", shape: x.shape, data: x.scalars)
            let logits = try classifier.logits(x)
            try writeNPY("\(directory)/logits.npy", shape: logits.shape, data: logits.scalars)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script, "\(directory)/model.safetensors", "\(directory)/input.npy", "\(directory)/logits.npy"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            process.waitUntilExit()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            print("\(name): \(output)")
            #expect(process.terminationStatus == 0, "\(name): \(output)")
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
