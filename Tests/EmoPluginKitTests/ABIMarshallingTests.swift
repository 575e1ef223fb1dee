import EmoPluginKit
import Testing

// Round trips of everything that crosses the plugin ABI, without dlopen.

@Test func descriptorRoundTripsThroughJSON() throws {
    let descriptor = NodeDescriptor(
        type: "test.everything", summary: "every parameter kind", details: "details", role: .map,
        inputs: [PortSpec("audio", .audio, summary: "in"), PortSpec("extra", .spectrum, required: false, summary: "optional")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "out")],
        parameters: [
            ParameterSpec("count", .integer, default: 3, unit: "frames", range: 1...10, summary: "an integer"),
            ParameterSpec("gain", .number, default: 0.5, minimum: 0, summary: "a number"),
            ParameterSpec("on", .boolean, default: true, summary: "a Boolean"),
            ParameterSpec("label", .string, optional: true, summary: "optional string"),
            ParameterSpec("mode", .choice(["a", "b"]), default: "a", summary: "a choice"),
            ParameterSpec("file", .path, summary: "a required path"),
            ParameterSpec("names", .stringList, default: ["x"], summary: "strings"),
            ParameterSpec("values", .numberList, optional: true, summary: "numbers"),
            ParameterSpec("config", .object, optional: true, summary: "an object"),
        ],
        stochastic: true, multiPass: false, version: 4, example: "{}")
    let decoded = try NodeDescriptor(pluginJSON: descriptor.json)
    #expect(decoded.json == descriptor.json)
    #expect(decoded.parameter("file")?.isRequired == true)
    #expect(decoded.parameter("label")?.optional == true)
    #expect(decoded.parameter("mode")?.kind == .choice(["a", "b"]))
    #expect(decoded.parameter("count")?.maximum == 10)
}

@Test func malformedDescriptorsAreRefusedWithTheirPlace() {
    #expect(throws: PluginJSONError.self) { _ = try NodeDescriptor(pluginJSON: ["type": "a.b", "role": "sideways"]) }
    #expect(throws: PluginJSONError.self) {
        _ = try NodeDescriptor(pluginJSON: ["type": "a.b", "role": "map", "inputs": [["name": "x", "type": "Video"]]])
    }
    #expect(throws: PluginJSONError.self) {
        _ = try NodeDescriptor(pluginJSON: ["type": "a.b", "role": "map", "parameters": [["name": "x", "kind": "colour"]]])
    }
}

@Test func streamFormatsRoundTrip() throws {
    var spec = SpectrumSpec(kind: "logMel", bins: 64, hop: 160, windowLength: 400, fftSize: 512, window: "hann", sampleRate: 16000)
    spec.melScale = "slaney"
    spec.fmax = 8000
    spec.frames = 160
    spec.normalization = "utterance"
    let formats: [String: StreamFormat] = [
        "spectrum": StreamFormat(
            .spectrum, sampleRate: 16000, spectrum: spec, labels: ["angry", "sad"],
            evaluation: EvaluationSpec(name: "speakers", speakerIndependent: true, folds: 1, validation: "speakers s06"),
            hasSplits: true, extra: ["plugin": "value"]),
        "audio": StreamFormat(.audio),
    ]
    let decoded = try StreamFormat.formats(pluginJSON: try JSON.parse(StreamFormat.pluginJSON(formats).serialized()))
    #expect(decoded == formats)
}

@Test func errorsKeepTheirType() {
    let parameter = PluginErrorJSON.decode(
        PluginErrorJSON.encode(ParameterError(parameter: "hop", "too big", hint: "halve it")).serialized(), plugin: "p")
    #expect((parameter as? ParameterError)?.parameter == "hop")
    #expect((parameter as? ParameterError)?.hint == "halve it")
    let format = PluginErrorJSON.decode(
        PluginErrorJSON.encode(FormatError(port: "spectrum", expected: "log-Mel", detail: "got power")).serialized(), plugin: "p")
    #expect((format as? FormatError)?.description == "spectrum expects log-Mel (got power)")
    let item = PluginErrorJSON.decode(PluginErrorJSON.encode(ItemError("silent", code: "silent")).serialized(), plugin: "p")
    #expect((item as? ItemError)?.code == "silent")
    let other = PluginErrorJSON.decode("not json", plugin: "p")
    #expect((other as? PluginFailure)?.description == "plugin p: not json")
}

@Test(arguments: [0, 1, 7])
func payloadsRoundTrip(count: Int) throws {
    let values = (0..<(count * 3)).map { Float($0) * 0.25 - 1 }
    let payloads: [any Payload] = [
        AudioPayload(samples: Array(values.prefix(count)), sampleRate: 22050, sourceChannels: 2),
        SpectrumPayload(frames: count, bins: 3, values: values),
        UtterancePayload(path: "/data/a b.wav"),
    ]
    for payload in payloads {
        // Borrowed (host → plugin).
        let borrowed = try PayloadMarshal.withBorrowed(payload) { raw, path in
            try PayloadMarshal.payload(from: raw.pointee, path: path)
        }
        // Owned (plugin → host), then released.
        var path: String?
        let owned = try PayloadMarshal.allocate(payload, path: &path)
        let copied = try PayloadMarshal.payload(from: owned, path: path)
        owned.values?.deallocate()
        for result in [borrowed, copied] {
            switch (payload, result) {
            case (let a as AudioPayload, let b as AudioPayload):
                #expect(a.samples == b.samples && a.sampleRate == b.sampleRate && a.sourceChannels == b.sourceChannels)
            case (let a as SpectrumPayload, let b as SpectrumPayload):
                #expect(a.values == b.values && a.frames == b.frames && a.bins == b.bins)
            case (let a as UtterancePayload, let b as UtterancePayload):
                #expect(a.path == b.path)
            default:
                Issue.record("\(type(of: payload)) came back as \(type(of: result))")
            }
        }
    }
}

@Test func payloadsThatCannotCrossAreItemErrors() {
    #expect(throws: ItemError.self) {
        try PayloadMarshal.withBorrowed(ReportPayload(["a": 1])) { _, _ in () }
    }
    var raw = EmohrPayload()
    raw.kind = EmohrPayloadKind.spectrum
    raw.frames = 2
    raw.bins = 3
    raw.count = 5
    #expect(throws: ItemError.self) { _ = try PayloadMarshal.payload(from: raw, path: nil) }
}

@Test func tableLayoutStartsWithTheStableHeader() {
    // The refusal of other ABI versions reads these three fields from any table.
    #expect(MemoryLayout<EmohrPluginTable>.offset(of: \.abiVersion) == 0)
    #expect(MemoryLayout<EmohrPluginTable>.offset(of: \.size) == 4)
    #expect(MemoryLayout<EmohrPluginTable>.offset(of: \.name) == 8)
    #expect(MemoryLayout<EmohrHostTable>.offset(of: \.abiVersion) == 0)
    #expect(MemoryLayout<EmohrHostTable>.offset(of: \.name) == 8)
    // struct emohr_payload: int32 kind, int32 reserved, five int64, float *values.
    #expect(MemoryLayout<EmohrPayload>.size == 56)
    #expect(MemoryLayout<EmohrPayload>.offset(of: \.values) == 48)
}
