import EmoJSON
import EmoNN
import EmoTensor
import Testing

@Suite struct ModelConfigTests {
    @Test func emohrnetSHasTheReferenceParameterCount() throws {
        let model = try HRNet(preset: "emohrnet-s", classes: 8)
        #expect(model.parameterCount == 1_536_776)
        // 434 state_dict entries in PyTorch = 362 tensors here + 72 batch norms' num_batches_tracked.
        #expect(model.state.count == 362)
        #expect(model.buffers.count == 2 * 72)
        #expect(model.state.first?.name == "stem.0.0.weight")
        #expect(model.state.last?.name == "fc.bias")
        let names = Set(model.state.map(\.name))
        for key in [
            "layer1.conv1.weight", "layer1.downsample.1.running_var", "trans1.0.0.weight", "trans1.1.1.bias",
            "trans2.0.weight", "stage2.branches.1.1.bn2.weight", "stage3.fuse.2.0.3.weight", "stage4.fuse.0.3.1.running_mean",
            "head.0.weight", "head.1.bias",
        ] {
            #expect(names.contains(key), "\(key)")
        }
    }

    @Test(.enabled(if: slowTestsEnabled)) func w18ParameterCount() throws {
        let model = try HRNet(preset: "emohrnet-w18", classes: 8)
        #expect(model.parameterCount == 9_636_716)
    }

    @Test func presetJSONRoundTrips() throws {
        let config = try ModelConfig.preset("emohrnet-s", classes: 7)
        let text = config.json.serialized()
        let parsed = try ModelConfig(json: JSON.parse(text))
        #expect(parsed == config)
        #expect(config.fuseChannels() == 240)
    }

    @Test func everyProblemIsReportedTogether() throws {
        let text = """
            {"stem": {"inputChannels": 0, "channels": 64, "stride": 3, "strid": 4},
             "stages": [
               {"modules": 1, "branches": 1, "block": "bottleneck", "blocks": [1], "channels": [32]},
               {"modules": 1, "branches": 2, "block": "basci", "blocks": [2, 2], "channels": [16, 32, 64], "fusion": "sum"},
               {"modules": 0, "branches": 3, "block": "basic", "blocks": [2, -1, 2], "channels": [16, 32, 64], "fusion": "summ"}
             ],
             "fuse": {"upsampling": "bilinaer"},
             "pooling": "max",
             "head": {"type": "linaer", "classes": 0, "dropout": 1.5}}
            """
        do {
            _ = try ModelConfig(json: JSON.parse(text))
            Issue.record("expected an error")
        } catch let error as ModelConfigError {
            let byPath = Dictionary(error.issues.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            print(error)
            #expect(byPath["stem.inputChannels"] != nil)
            #expect(byPath["stem.stride"] != nil)
            #expect(byPath["stem.strid"]?.hint == "did you mean \"stride\"?")
            #expect(byPath["stages[1].block"]?.hint == "did you mean \"basic\"?")
            #expect(byPath["stages[1].channels"]?.message.contains("3 entries but the stage has 2 branches") == true)
            #expect(byPath["stages[2].modules"] != nil)
            #expect(byPath["stages[2].blocks[1]"] != nil)
            #expect(byPath["stages[2].fusion"]?.hint == "did you mean \"sum\"?")
            #expect(byPath["fuse.upsampling"]?.hint == "did you mean \"bilinear\"?")
            #expect(byPath["pooling"] != nil)
            #expect(byPath["head.type"]?.hint == "did you mean \"linear\"?")
            #expect(byPath["head.classes"] != nil)
            #expect(byPath["head.dropout"] != nil)
            #expect(error.issues.count == 13)
        }
    }

    @Test func missingAndMistypedFields() throws {
        let text = """
            {"stages": [{"branches": 2, "block": "basic", "blocks": "two", "channels": [16, "x"]}], "head": {}}
            """
        do {
            _ = try ModelConfig(json: JSON.parse(text))
            Issue.record("expected an error")
        } catch let error as ModelConfigError {
            let paths = error.issues.map(\.path)
            #expect(paths.contains("stages[0].blocks"))
            #expect(paths.contains("stages[0].channels[1]"))
            #expect(paths.contains("stages[0].branches"))  // first stage must have one branch
            #expect(paths.contains("head.classes"))
        }
    }

    @Test func unknownPresetSuggests() {
        #expect(throws: ModelConfigError.self) { try ModelConfig.preset("emohrnet-m") }
    }

    @Test func registeredComponentsAreUsableFromJSON() throws {
        // A variant: a "plain" block (one 3×3 conv + BN + ReLU) registered next to the built-ins.
        final class PlainBlock: Layer {
            let layer: ConvBatchNorm
            init(_ spec: BlockSpec) {
                layer = spec.builder.convBatchNorm(
                    inputChannels: spec.inputChannels, outputChannels: spec.outputChannels, kernelSize: 3,
                    stride: spec.stride, activation: true, name: spec.name)
            }
            var state: [StateEntry] { layer.state }
            func forward(_ x: Variable, context: ForwardContext) -> Variable { layer.forward(x, context: context) }
        }
        var registry = ModelComponentRegistry.standard
        registry.register(block: "plain", summary: "conv + BN + ReLU") { PlainBlock($0) }
        var json = smallConfig().json.objectValue!
        var stages = json["stages"]!.arrayValue!
        var stage = stages[1].objectValue!
        stage["block"] = "plain"
        stages[1] = .object(stage)
        json["stages"] = .array(stages)
        #expect(throws: ModelConfigError.self) { try ModelConfig(json: .object(json)) }
        let config = try ModelConfig(json: .object(json), registry: registry)
        let model = try HRNet(config: config, registry: registry, seed: 1)
        #expect(model.state.contains { $0.name == "stage2.branches.1.0.0.weight" })
        let context = ForwardContext(tape: Tape(recording: false), training: false)
        let y = model.forward(context.tape.constant(Tensor(zeros: [2, 1, 16, 20])), context: context)
        #expect(y.shape == [2, 3])
    }
}
