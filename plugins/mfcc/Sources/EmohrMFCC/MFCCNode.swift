import EmoPluginKit

/// `features.mfcc`: MFCCs (and optionally their deltas) from a log-Mel spectrogram in dB — an
/// ordinary EmoCore `MapNode`, exactly as a built-in node is written.
public final class MFCCNode: MapNode, @unchecked Sendable {
    public static let descriptor = NodeDescriptor(
        type: "features.mfcc",
        summary: "MFCCs (orthonormal DCT-II of log-Mel dB, librosa's convention), optionally with deltas",
        details: """
            Input: a log-Mel spectrogram in dB (spectrum.logMel or spectrum.mel → spectrum.db), not normalised. \
            Output: frames × coefficients (kind mfcc), or frames × 2·coefficients with deltas (each frame's \
            coefficients, then their deltas). Equals librosa.feature.mfcc(S=logmel_db, n_mfcc=coefficients, \
            dct_type=2, norm='ortho') and librosa.feature.delta(width=deltaWidth, mode='interp').
            """,
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "log-Mel spectrogram in dB")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "frames × coefficients MFCCs (× 2 with deltas)")],
        parameters: [
            ParameterSpec("coefficients", .integer, default: 13, range: 1...256, summary: "cepstral coefficients kept (≤ Mel bands)"),
            ParameterSpec("deltas", .boolean, default: false, summary: "append first-order deltas to every frame"),
            ParameterSpec("deltaWidth", .integer, default: 9, unit: "frames", range: 3...99,
                          summary: "frames in the delta window (odd; utterances need at least this many frames)"),
        ],
        example: #"{ "id": "mfcc", "type": "features.mfcc", "inputs": { "spectrum": "logmel.spectrum" }, "params": { "coefficients": 13, "deltas": true } }"#)

    let coefficients: Int
    let deltas: Bool
    let deltaWidth: Int
    private var transform: MFCC?

    public init(setup: NodeSetup) throws {
        coefficients = setup.parameters.int("coefficients")
        deltas = setup.parameters.bool("deltas")
        deltaWidth = setup.parameters.int("deltaWidth")
        if deltaWidth % 2 == 0 {
            throw ParameterError(parameter: "deltaWidth", "is \(deltaWidth); it must be odd", hint: "use \(deltaWidth + 1)")
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["spectrum"], var spec = format.spectrum, spec.kind == "logMel" else {
            throw FormatError(port: "spectrum", expected: "a log-Mel spectrogram in dB", detail: "use spectrum.logMel, or spectrum.mel then spectrum.db")
        }
        guard coefficients <= spec.bins else {
            throw ParameterError(parameter: "coefficients", "is \(coefficients), more than the \(spec.bins) Mel bands of the input")
        }
        if deltas, let frames = spec.frames, frames < deltaWidth {
            throw FormatError(port: "spectrum", expected: "at least \(deltaWidth) frames for deltas", detail: "the input has \(frames)")
        }
        transform = MFCC(melBands: spec.bins, coefficients: coefficients)
        spec.kind = "mfcc"
        spec.bins = coefficients * (deltas ? 2 : 1)
        format.spectrum = spec
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        guard let transform else { throw ItemError("features.mfcc ran before negotiating its format") }
        let spectrum = try item.payload(as: SpectrumPayload.self)
        guard spectrum.bins == transform.melBands else {
            throw ItemError("expected \(transform.melBands) Mel bands, got \(spectrum.bins)")
        }
        let cepstra = transform.apply(spectrum.values, frames: spectrum.frames)
        guard deltas else { return item.with(payload: SpectrumPayload(frames: spectrum.frames, bins: coefficients, values: cepstra)) }
        guard spectrum.frames >= deltaWidth else {
            throw ItemError("has \(spectrum.frames) frames; deltas need at least deltaWidth = \(deltaWidth)", code: "tooShort")
        }
        let delta = MFCC.deltas(cepstra, frames: spectrum.frames, features: coefficients, width: deltaWidth)
        var values = [Float]()
        values.reserveCapacity(cepstra.count * 2)
        for frame in 0..<spectrum.frames {
            values += cepstra[(frame * coefficients)..<((frame + 1) * coefficients)]
            values += delta[(frame * coefficients)..<((frame + 1) * coefficients)]
        }
        return item.with(payload: SpectrumPayload(frames: spectrum.frames, bins: 2 * coefficients, values: values))
    }
}
