import EmoCore
import EmoDSP

/// `spectrum.logMel`: the fused fast path of `spectrum.stft` → `spectrum.mel` → `spectrum.db`
/// (→ per-utterance `spectrum.normalize`) in one node, with the same parameters, the same output
/// format and the same numbers (to float rounding), but one pass per frame and no intermediate
/// spectra. Batch conversion of corpora uses it.
public final class LogMelNode: MapNode, @unchecked Sendable {
    public static let descriptor = NodeDescriptor(
        type: "spectrum.logMel",
        summary: "Fused STFT → Mel → dB (→ per-utterance normalisation): the fast path for batch conversion",
        details: """
            Equals spectrum.stft (power) → spectrum.mel → spectrum.db (→ spectrum.normalize mode utterance) to \
            float rounding, without the intermediate spectra. Parameters and their defaults are those of the \
            separate nodes.
            """,
        role: .map,
        inputs: [PortSpec("audio", .audio, summary: "audio at a fixed sample rate")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "frames × melBands log-Mel")],
        parameters: STFTNode.framingParameters + MelNode.filterbankParameters + [
            ParameterSpec("amin", .number, default: 1e-10, range: 1e-30...1, summary: "floor applied before the logarithm"),
            ParameterSpec("topDb", .number, unit: "dB", range: 0...400, optional: true, summary: "clip to max − topDb"),
            ParameterSpec("normalize", .choice(["none", "utterance"]), default: "none", summary: "per-utterance mean/std after dB"),
        ],
        example: #"{ "id": "logmel", "type": "spectrum.logMel", "inputs": { "audio": "resample.audio" }, "params": { "melBands": 128, "fmax": 8000, "normalize": "utterance" } }"#)

    let parameters: Parameters
    private var extractor: LogMelExtractor?

    public init(setup: NodeSetup) throws {
        parameters = setup.parameters
        if parameters.int("windowLength") > parameters.int("fftSize") {
            throw ParameterError(parameter: "windowLength",
                                 "is \(parameters.int("windowLength")), longer than fftSize \(parameters.int("fftSize"))")
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["audio"], let sampleRate = format.sampleRate else {
            throw FormatError(port: "audio", expected: "Audio at a fixed sample rate", detail: "put audio.resample before it")
        }
        let p = parameters
        let configuration = LogMelConfiguration(
            sampleRate: sampleRate, fftSize: p.int("fftSize"), windowLength: p.int("windowLength"), hopLength: p.int("hop"),
            window: WindowFunction(rawValue: p.string("window")) ?? .hann, center: p.bool("center"),
            padMode: PadMode(rawValue: p.string("padMode")) ?? .reflect, melBands: p.int("melBands"), fmin: p.double("fmin"),
            fmax: p.optionalDouble("fmax"), scale: MelScale(rawValue: p.string("scale")) ?? .slaney,
            melNormalization: MelNormalization(rawValue: p.string("norm")) ?? .slaney, amin: Float(p.double("amin")),
            topDb: p.optionalDouble("topDb").map(Float.init), reference: .value(1),
            normalisation: p.string("normalize") == "utterance" ? .utterance(epsilon: Normalisation.defaultEpsilon) : .none)
        do { extractor = try LogMelExtractor(configuration) } catch let error as AudioError {
            throw ParameterError(parameter: nil, error.reason)
        }
        var spec = SpectrumSpec(
            kind: "logMel", bins: configuration.melBands, hop: configuration.hopLength, windowLength: configuration.windowLength,
            fftSize: configuration.fftSize, window: configuration.window.rawValue, sampleRate: sampleRate)
        spec.melScale = configuration.scale.rawValue
        spec.melNorm = configuration.melNormalization.rawValue
        spec.fmin = configuration.fmin
        spec.fmax = configuration.fmax ?? Double(sampleRate) / 2
        spec.dbReference = "1.0"
        if p.string("normalize") == "utterance" { spec.normalization = "utterance" }
        format.type = .spectrum
        format.spectrum = spec
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        guard let extractor else { throw ItemError("spectrum.logMel ran before negotiating its format") }
        let audio = try item.payload(as: AudioPayload.self)
        return item.with(payload: try itemErrors { try extractor.extract(audio.samples) }.payload)
    }
}
