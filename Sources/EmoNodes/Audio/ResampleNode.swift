import EmoCore
import EmoDSP

/// `audio.resample`: converts to a fixed sample rate with libsoxr (default) or libsamplerate.
///
/// Default: soxr HQ. Measured for 3.6 s at 48 kHz → 16 kHz on one core: soxr HQ 2.1 ms, VHQ 3.1 ms;
/// libsamplerate best 210 ms, medium 52 ms, fastest 22 ms; soxr HQ is within about 1e-3 RMS of
/// libsamplerate best (both ≥ 136 dB SNR on a clean test signal), so it is the default — about 100×
/// faster at the same accuracy. Audio already at the target rate passes through unchanged.
public final class ResampleNode: MapNode {
    public static let descriptor = NodeDescriptor(
        type: "audio.resample",
        summary: "Resample to a fixed rate (libsoxr HQ by default, or libsamplerate)",
        details: """
            `backend` soxr (quality hq or vhq) or libsamplerate (quality best, medium or fastest). soxr HQ is \
            about 100× faster than libsamplerate best at about the same accuracy (see docs/front-end.md). \
            Audio already at `sampleRate` passes through unchanged.
            """,
        role: .map,
        inputs: [PortSpec("audio", .audio, summary: "audio at any rate")],
        outputs: [PortSpec("audio", .audio, summary: "audio at sampleRate")],
        parameters: [
            ParameterSpec("sampleRate", .integer, default: 16000, unit: "Hz", range: 1000...384_000, summary: "target rate"),
            ParameterSpec("backend", .choice(["soxr", "libsamplerate"]), default: "soxr", summary: "resampling library"),
            ParameterSpec("quality", .choice(["hq", "vhq", "best", "medium", "fastest"]), default: "hq",
                          summary: "soxr: hq, vhq; libsamplerate: best, medium, fastest"),
        ],
        example: #"{ "id": "resample", "type": "audio.resample", "inputs": { "audio": "decode.audio" }, "params": { "sampleRate": 16000 } }"#)

    let sampleRate: Int
    let resampler: Resampler

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        sampleRate = parameters.int("sampleRate")
        let quality = parameters.string("quality")
        switch parameters.string("backend") {
        case "soxr":
            guard let soxrQuality = Resampler.SoxrQuality(rawValue: quality) else {
                throw ParameterError(parameter: "quality", "soxr takes quality hq or vhq, got \"\(quality)\"")
            }
            resampler = Resampler(backend: .soxr(quality: soxrQuality))
        default:
            guard let srcQuality = Resampler.SampleRateQuality(rawValue: quality) else {
                throw ParameterError(parameter: "quality", "libsamplerate takes quality best, medium or fastest, got \"\(quality)\"")
            }
            resampler = Resampler(backend: .libsamplerate(quality: srcQuality))
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        var format = inputs["audio"] ?? StreamFormat(.audio)
        format.sampleRate = sampleRate
        return ["audio": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        let audio = try item.payload(as: AudioPayload.self)
        if audio.sampleRate == sampleRate { return item }
        let samples = try itemErrors { try resampler.resample(audio.samples, from: audio.sampleRate, to: sampleRate) }
        return item.with(payload: AudioPayload(samples: samples, sampleRate: sampleRate, sourceChannels: audio.sourceChannels))
    }
}
