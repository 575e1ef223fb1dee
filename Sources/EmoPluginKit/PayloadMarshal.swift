import EmoCore

/// Converts payloads to and from `EmohrPayload` (both sides of the ABI use it).
public enum PayloadMarshal {
    /// The Swift payload an `EmohrPayload` describes (values copied). `path` is the utterance path
    /// carried in the item JSON.
    public static func payload(from raw: EmohrPayload, path: String?) throws(ItemError) -> any Payload {
        let values = raw.values.map { Array(UnsafeBufferPointer(start: $0, count: Int(raw.count))) } ?? []
        switch raw.kind {
        case EmohrPayloadKind.utterance:
            return UtterancePayload(path: path ?? "")
        case EmohrPayloadKind.audio:
            return AudioPayload(samples: values, sampleRate: Int(raw.sampleRate), sourceChannels: Int(raw.sourceChannels))
        case EmohrPayloadKind.spectrum:
            guard raw.frames >= 0, raw.bins >= 0, raw.frames * raw.bins == raw.count else {
                throw ItemError("a spectrum payload of \(raw.frames)×\(raw.bins) carries \(raw.count) values")
            }
            return SpectrumPayload(frames: Int(raw.frames), bins: Int(raw.bins), values: values)
        default:
            throw ItemError("payload kind \(raw.kind) cannot cross the plugin boundary (utterances, audio and spectra can)")
        }
    }

    /// Calls `body` with an `EmohrPayload` that borrows `payload`'s values (valid during the call).
    public static func withBorrowed<R>(
        _ payload: any Payload, _ body: (UnsafePointer<EmohrPayload>, _ path: String?) throws -> R
    ) throws -> R {
        var raw = EmohrPayload()
        switch payload {
        case let utterance as UtterancePayload:
            raw.kind = EmohrPayloadKind.utterance
            return try withUnsafePointer(to: raw) { try body($0, utterance.path) }
        case let audio as AudioPayload:
            raw.kind = EmohrPayloadKind.audio
            raw.sampleRate = Int64(audio.sampleRate)
            raw.sourceChannels = Int64(audio.sourceChannels)
            return try borrow(audio.samples, &raw, body)
        case let spectrum as SpectrumPayload:
            raw.kind = EmohrPayloadKind.spectrum
            raw.frames = Int64(spectrum.frames)
            raw.bins = Int64(spectrum.bins)
            return try borrow(spectrum.values, &raw, body)
        default:
            throw ItemError("a \(type(of: payload)) payload cannot cross the plugin boundary (utterances, audio and spectra can)")
        }
    }

    private static func borrow<R>(
        _ values: [Float], _ raw: inout EmohrPayload, _ body: (UnsafePointer<EmohrPayload>, String?) throws -> R
    ) throws -> R {
        try values.withUnsafeBufferPointer { buffer in
            raw.count = Int64(buffer.count)
            raw.values = UnsafeMutablePointer(mutating: buffer.baseAddress)
            return try withUnsafePointer(to: raw) { try body($0, nil) }
        }
    }

    /// An `EmohrPayload` owning a fresh copy of `payload`'s values (released by `freePayload`).
    /// An utterance's path is returned through `path`.
    public static func allocate(_ payload: any Payload, path: inout String?) throws(ItemError) -> EmohrPayload {
        var raw = EmohrPayload()
        func copy(_ values: [Float]) {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(values.count, 1))
            values.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.initialize(from: base, count: values.count) } }
            raw.values = pointer
            raw.count = Int64(values.count)
        }
        switch payload {
        case let utterance as UtterancePayload:
            raw.kind = EmohrPayloadKind.utterance
            path = utterance.path
        case let audio as AudioPayload:
            raw.kind = EmohrPayloadKind.audio
            raw.sampleRate = Int64(audio.sampleRate)
            raw.sourceChannels = Int64(audio.sourceChannels)
            copy(audio.samples)
        case let spectrum as SpectrumPayload:
            raw.kind = EmohrPayloadKind.spectrum
            raw.frames = Int64(spectrum.frames)
            raw.bins = Int64(spectrum.bins)
            copy(spectrum.values)
        default:
            throw ItemError("a \(type(of: payload)) payload cannot cross the plugin boundary (utterances, audio and spectra can)")
        }
        return raw
    }
}
