import EmoCore
import EmoDSP

/// `audio.decode`: reads an utterance's file with libsndfile, by content (not by extension), into
/// Float32, applying the channel policy.
///
/// ```json
/// { "id": "decode", "type": "audio.decode", "inputs": { "items": "corpus.items" }, "params": { "channel": "mix" } }
/// ```
public final class DecodeNode: MapNode {
    public static let descriptor = NodeDescriptor(
        type: "audio.decode",
        summary: "Decode audio files (WAV, AIFF, FLAC, …; by content) to Float32 samples",
        details: """
            Integer and float encodings become Float32 in [-1, 1]. `channel` is `mix` (average all \
            channels) or a channel index from 0 (EMOVO's two microphones need one channel, not a mix). \
            Silent files (peak below `silenceThreshold` dBFS) are listed in the run report; with \
            `onSilence: skip` they are also left out.
            """,
        role: .map,
        inputs: [PortSpec("items", .utterances, summary: "utterances with a source path")],
        outputs: [PortSpec("audio", .audio, summary: "samples at the file's own rate")],
        parameters: [
            ParameterSpec("channel", .string, default: "mix", summary: "\"mix\", or the channel index to keep (0, 1, …)"),
            ParameterSpec("silenceThreshold", .number, default: -60, unit: "dBFS", range: -200...0,
                          summary: "peak level below which a file counts as silent"),
            ParameterSpec("onSilence", .choice(["keep", "skip"]), default: "keep", summary: "what to do with silent files"),
            ParameterSpec("minDuration", .number, default: 0, unit: "s", range: 0...3600,
                          summary: "shorter files fail with tooShort"),
        ],
        example: #"{ "id": "decode", "type": "audio.decode", "inputs": { "items": "corpus.items" }, "params": { "channel": "mix" } }"#)

    let decoder: AudioDecoder
    let silenceThreshold: Float
    let skipSilence: Bool
    let minDuration: Double

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        let channel = parameters.string("channel")
        if channel == "mix" {
            decoder = AudioDecoder(channelPolicy: .mix)
        } else if let index = Int(channel), index >= 0 {
            decoder = AudioDecoder(channelPolicy: .channel(index))
        } else {
            throw ParameterError(parameter: "channel", "expects \"mix\" or a channel index from 0, got \"\(channel)\"")
        }
        silenceThreshold = Float(parameters.double("silenceThreshold"))
        skipSilence = parameters.string("onSilence") == "skip"
        minDuration = parameters.double("minDuration")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        var format = inputs["items"]?.converted(to: .audio) ?? StreamFormat(.audio)
        format.sampleRate = nil
        return ["audio": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        let path = try item.payload(as: UtterancePayload.self).path
        let buffer = try itemErrors { try decoder.decode(path: path) }
        if buffer.duration < minDuration {
            throw ItemError(String(format: "lasts %.3f s, shorter than minDuration %.3f s", buffer.duration, minDuration),
                            code: AudioError.Code.tooShort.rawValue)
        }
        var metadata = item.metadata
        if isSilent(buffer.samples, thresholdDB: silenceThreshold) {
            let message = String(format: "silent: peak %.1f dBFS is below %.1f dBFS", peakDecibels(buffer.samples), silenceThreshold)
            if skipSilence { throw ItemError(message, code: AudioError.Code.silent.rawValue) }
            metadata["silent"] = "true"
            context.notice(AudioError.Code.silent.rawValue, message)
        }
        metadata["sourceSampleRate"] = String(buffer.sampleRate)
        metadata["sourceChannels"] = String(buffer.originalChannels)
        return Item(id: item.id, metadata: metadata,
                    payload: AudioPayload(samples: buffer.samples, sampleRate: buffer.sampleRate, sourceChannels: buffer.originalChannels))
    }
}
