import EmoCore
import EmoJSON
import EmoNodes
import Foundation
import Testing

/// Training, checkpoints, resuming, inference and metrics through the graph, on a tiny synthetic
/// corpus and a tiny HRNet (fast in debug builds).
@Suite(.serialized) struct TrainingPipelineTests {
    static let tinyModel: JSON = [
        "stem": ["inputChannels": 1, "channels": 8, "stride": 4],
        "stages": [
            ["modules": 1, "branches": 1, "block": "bottleneck", "blocks": [1], "channels": [4]],
            ["modules": 1, "branches": 2, "block": "basic", "blocks": [1, 1], "channels": [4, 8]],
        ],
    ]

    /// corpus.synthetic → split by speaker → decode → log-Mel → crop → augment → train → metrics.
    func trainingPipeline(folder: String, epochs: Int, melBands: Int = 16) -> JSON {
        [
            "schemaVersion": 1, "name": "tiny-training",
            "nodes": [
                ["id": "corpus", "type": "corpus.synthetic",
                 "params": ["folder": .string(folder + "/data"), "speakers": 4, "perEmotion": 3, "duration": 0.6,
                            "emotions": ["sad", "angry"]]],
                ["id": "split", "type": "split.speakers", "inputs": ["items": "corpus.items"],
                 "params": ["testSpeakers": ["s04"], "validationSpeakers": ["s03"]]],
                ["id": "decode", "type": "audio.decode", "inputs": ["items": "split.items"]],
                ["id": "resample", "type": "audio.resample", "inputs": ["audio": "decode.audio"], "params": ["sampleRate": 16000]],
                ["id": "logmel", "type": "spectrum.logMel", "inputs": ["audio": "resample.audio"],
                 "params": ["melBands": .int(melBands), "normalize": "utterance"]],
                ["id": "crop", "type": "spectrum.fixLength", "inputs": ["spectrum": "logmel.spectrum"], "params": ["frames": 48]],
                ["id": "tmask", "type": "augment.timeMask", "inputs": ["spectrum": "crop.spectrum"], "params": ["maxWidth": 8]],
                ["id": "train", "type": "model.train", "inputs": ["features": "tmask.spectrum"],
                 "params": ["modelConfig": Self.tinyModel, "epochs": .int(epochs), "batchSize": 4,
                            "checkpoints": .string(folder + "/checkpoints")]],
                ["id": "metrics", "type": "metrics.classification",
                 "inputs": ["predictions": "train.predictions", "history": "train.history"],
                 "params": ["out": .string(folder + "/report")]],
            ],
        ]
    }

    func run(_ json: JSON, seed: UInt64 = 3) throws -> RunReport {
        let graph = try PipelineValidator(registry: try BuiltinNodes.makeRegistry()).validate(json: json, file: "t.json", baseDirectory: "/")
        return try PipelineRunner(graph: graph, context: RunContext(seed: seed, workers: 2)).run()
    }

    func section(_ report: RunReport, _ name: String) -> JSON? { report.sections.first { $0.0 == name }?.1 }

    func epochRecords(_ report: RunReport) -> [String] {
        let folds = section(report, "train")?["folds"]?.arrayValue ?? []
        return folds.flatMap { $0["epochs"]?.arrayValue ?? [] }.map { epoch in
            var record = epoch.objectValue ?? JSONObject()
            record["seconds"] = nil  // wall time differs between runs
            return JSON.object(record).serialized(pretty: false)
        }
    }

    @Test func trainsSelectsByValidationAndReportsWithTheProtocol() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("train-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = try run(trainingPipeline(folder: folder, epochs: 2))
        let metrics = try #require(section(report, "metrics"))
        #expect(metrics["protocol"]?.stringValue == "leave-speakers-out (speaker-independent)")
        #expect(metrics["selection"]?.stringValue?.hasPrefix("best validation accuracy (WA) epoch") == true)
        #expect(metrics["pooled"]?["items"]?.intValue == 6, "the test speaker's 6 utterances")
        let history = try #require(section(report, "train")?["folds"]?.arrayValue?.first)
        #expect(history["epochs"]?.arrayValue?.count == 2)
        #expect(history["trainItems"]?.intValue == 12 && history["validationItems"]?.intValue == 6)
        for file in ["metrics.json", "metrics.md", "confusion.svg", "loss.svg", "accuracy.svg"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/report/" + file), "\(file) missing")
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/checkpoints/fold-0/model.safetensors"))
    }

    @Test func aResumedRunEqualsAnUninterruptedOne() throws {
        let straight = FileManager.default.temporaryDirectory.appendingPathComponent("straight-\(UUID())").path
        let resumed = FileManager.default.temporaryDirectory.appendingPathComponent("resumed-\(UUID())").path
        defer {
            try? FileManager.default.removeItem(atPath: straight)
            try? FileManager.default.removeItem(atPath: resumed)
        }
        let full = try run(trainingPipeline(folder: straight, epochs: 3))
        // A run stopped after epoch 2, then started again for 3 epochs: it continues from epoch 2.
        _ = try run(trainingPipeline(folder: resumed, epochs: 2))
        let continued = try run(trainingPipeline(folder: resumed, epochs: 3))
        #expect(epochRecords(full).count == 3)
        #expect(epochRecords(continued) == epochRecords(full), "per-epoch losses and accuracies must match")
        #expect(section(continued, "metrics")?["pooled"] == section(full, "metrics")?["pooled"])
    }

    @Test func aSavedModelPredictsThroughAnInferencePipelineAndRefusesOtherFeatures() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("infer-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trained = try run(trainingPipeline(folder: folder, epochs: 1))
        func inference(melBands: Int) -> JSON {
            [
                "schemaVersion": 1, "name": "infer",
                "nodes": [
                    ["id": "model", "type": "model.load", "params": ["path": .string(folder + "/checkpoints/fold-0/model.safetensors")]],
                    ["id": "corpus", "type": "corpus.synthetic",
                     "params": ["folder": .string(folder + "/data"), "speakers": 4, "perEmotion": 3, "duration": 0.6,
                                "emotions": ["sad", "angry"]]],
                    ["id": "decode", "type": "audio.decode", "inputs": ["items": "corpus.items"]],
                    ["id": "resample", "type": "audio.resample", "inputs": ["audio": "decode.audio"], "params": ["sampleRate": 16000]],
                    ["id": "logmel", "type": "spectrum.logMel", "inputs": ["audio": "resample.audio"],
                     "params": ["melBands": .int(melBands), "normalize": "utterance"]],
                    ["id": "crop", "type": "spectrum.fixLength", "inputs": ["spectrum": "logmel.spectrum"], "params": ["frames": 48]],
                    ["id": "infer", "type": "model.infer", "inputs": ["model": "model.model", "features": "crop.spectrum"]],
                    ["id": "metrics", "type": "metrics.classification", "inputs": ["predictions": "infer.predictions"]],
                ],
            ]
        }
        let report = try run(inference(melBands: 16))
        #expect(section(report, "metrics")?["pooled"]?["items"]?.intValue == 24)
        // The test speaker's items, predicted again from the checkpoint, score as in training.
        #expect(section(trained, "metrics")?["pooled"]?["items"]?.intValue == 6)
        do {
            _ = try run(inference(melBands: 20))
            Issue.record("features with 20 bands must be refused for a 16-band model")
        } catch let error as PipelineError {
            let message = error.diagnostics.map(\.description).joined()
            #expect(message.contains("infer.features expects 16-band log-Mel at 16 kHz, hop 160"), "\(message)")
            #expect(message.contains("bins 16 vs 20"), "\(message)")
        }
    }
}
