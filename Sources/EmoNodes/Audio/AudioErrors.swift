import EmoCore
import EmoDSP

extension ItemError {
    /// The item error for a front-end error: its code and reason, without the path (the report
    /// lists the path beside it).
    init(_ error: any Error) {
        if let audio = error as? AudioError {
            self.init(audio.reason, code: audio.code.rawValue)
        } else if let item = error as? ItemError {
            self = item
        } else {
            self.init("\(error)")
        }
    }
}

/// Runs `body`, turning front-end errors into ``ItemError``s.
func itemErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw ItemError(error) }
}

extension Spectrogram {
    /// As an engine payload (no copy: arrays are copy-on-write).
    var payload: SpectrumPayload { SpectrumPayload(frames: frames, bins: bins, values: values) }
}

extension SpectrumPayload {
    /// As a front-end spectrogram.
    var spectrogram: Spectrogram { Spectrogram(frames: frames, bins: bins, values: values) }
}
