import EmoPluginKit
import Foundation
import Testing

@testable import EmohrMFCC

/// The librosa reference (Fixtures/librosa_mfcc.json; its `recipe` says how it was made).
struct Reference {
    let frames: Int, melBands: Int, coefficients: Int
    let logMel: [Float], mfcc: [Float], delta: [Float]

    static func load() throws -> Reference {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/librosa_mfcc", withExtension: "json"))
        let json = try JSON.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
        func floats(_ key: String) -> [Float] { json[key]?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? [] }
        return Reference(
            frames: json["frames"]?.intValue ?? 0, melBands: json["melBands"]?.intValue ?? 0,
            coefficients: json["coefficients"]?.intValue ?? 0, logMel: floats("logMel"), mfcc: floats("mfcc"), delta: floats("delta"))
    }
}

/// Largest |observed − expected|, with the index where it occurs.
func maxError(_ observed: [Float], _ expected: [Float]) -> (error: Float, index: Int) {
    var worst: (Float, Int) = (0, 0)
    for i in observed.indices where abs(observed[i] - expected[i]) > worst.0 { worst = (abs(observed[i] - expected[i]), i) }
    return worst
}

// Coefficients are in dB-scale units (|c0| reaches a few hundred); Float32 sums over 128 bands
// agree with librosa's float64 to 1.5e-5 (measured); the tolerance leaves room for other CPUs.
let tolerance: Float = 2e-4

@Test func mfccMatchesLibrosa() throws {
    let reference = try Reference.load()
    let observed = MFCC(melBands: reference.melBands, coefficients: reference.coefficients).apply(reference.logMel, frames: reference.frames)
    #expect(observed.count == reference.mfcc.count)
    let (error, index) = maxError(observed, reference.mfcc)
    #expect(error < tolerance, "MFCC: observed \(observed[index]), expected \(reference.mfcc[index]) at \(index), error \(error), tolerance \(tolerance)")
}

@Test func deltasMatchLibrosaInterp() throws {
    let reference = try Reference.load()
    let observed = MFCC.deltas(reference.mfcc, frames: reference.frames, features: reference.coefficients, width: 9)
    let (error, index) = maxError(observed, reference.delta)
    #expect(error < tolerance, "delta: observed \(observed[index]), expected \(reference.delta[index]) at \(index), error \(error), tolerance \(tolerance)")
}

/// The node through the plugin ABI, in process: the table `PluginExport` makes, read by the host's
/// `PluginLibrary`, the host proxy negotiating and processing an item across the C boundary.
@Test func nodeThroughTheABIMatchesLibrosa() throws {
    let reference = try Reference.load()
    let library = try PluginLibrary(table: emohrPluginEntry(nil), origin: "in-process mfcc")
    #expect(library.name == "mfcc")
    var registry = NodeRegistry()
    try library.register(into: &registry)
    let entry = try #require(registry.entry("features.mfcc"))
    let node = try entry.make(
        NodeSetup(nodeId: "mfcc", parameters: Parameters(defaultsOf: entry.descriptor, overriding: ["deltas": true])))
    let map = try #require(node as? any MapNode)
    var spec = SpectrumSpec(kind: "logMel", bins: reference.melBands, hop: 160, windowLength: 400, fftSize: 512, window: "hann", sampleRate: 16000)
    spec.dbReference = "1.0"
    let outputs = try map.negotiate(inputs: ["spectrum": StreamFormat(.spectrum, sampleRate: 16000, spectrum: spec, labels: ["a", "b"])])
    #expect(outputs["spectrum"]?.spectrum?.kind == "mfcc")
    #expect(outputs["spectrum"]?.spectrum?.bins == 2 * reference.coefficients)
    #expect(outputs["spectrum"]?.labels == ["a", "b"])
    let item = Item(
        id: "x.wav", metadata: ["label": "a"],
        payload: SpectrumPayload(frames: reference.frames, bins: reference.melBands, values: reference.logMel))
    let result = try map.process(item, context: ItemContext(nodeId: "mfcc"))
    #expect(result.id == "x.wav" && result.label == "a")
    let spectrum = try result.payload(as: SpectrumPayload.self)
    #expect(spectrum.frames == reference.frames && spectrum.bins == 2 * reference.coefficients)
    let c = reference.coefficients
    var cepstra: [Float] = [], deltas: [Float] = []
    for frame in 0..<reference.frames {
        let start = frame * 2 * c
        cepstra += spectrum.values[start..<(start + c)]
        deltas += spectrum.values[(start + c)..<(start + 2 * c)]
    }
    #expect(maxError(cepstra, reference.mfcc).error < tolerance)
    #expect(maxError(deltas, reference.delta).error < tolerance)
}

@Test func refusesWhatItCannotUse() throws {
    let library = try PluginLibrary(table: emohrPluginEntry(nil), origin: "in-process mfcc")
    var registry = NodeRegistry()
    try library.register(into: &registry)
    let entry = try #require(registry.entry("features.mfcc"))
    #expect(throws: ParameterError.self) {
        _ = try entry.make(NodeSetup(nodeId: "m", parameters: Parameters(defaultsOf: entry.descriptor, overriding: ["deltaWidth": 8])))
    }
    let node = try #require(try entry.make(NodeSetup(nodeId: "m", parameters: Parameters(defaultsOf: entry.descriptor))) as? any MapNode)
    let power = SpectrumSpec(kind: "power", bins: 257, hop: 160, windowLength: 400, fftSize: 512, window: "hann", sampleRate: 16000)
    #expect(throws: FormatError.self) { _ = try node.negotiate(inputs: ["spectrum": StreamFormat(.spectrum, spectrum: power)]) }
}
