import EmoJSON

/// What a payload is: any value that can cross threads. Built-in payloads are declared in EmoCore
/// (`UtterancePayload`, `AudioPayload`, `SpectrumPayload`, `PredictionPayload`, `ReportPayload`);
/// modules above may add their own (a trained model, say).
public protocol Payload: Sendable {}

/// One utterance flowing along an edge: a stable id, string metadata and one typed payload.
///
/// `id` is stable across runs (for corpora, the path relative to the corpus root), so that
/// randomness drawn from it and cached results keyed by it are reproducible.
public struct Item: Sendable {
    /// Stable identifier, unique within a stream.
    public var id: String
    /// String metadata: `label`, `speaker`, `split`, `fold`, `corpus`, `path`, and whatever a reader adds.
    public var metadata: [String: String]
    /// The value this item carries.
    public var payload: any Payload

    /// An item with the given id, metadata and payload.
    public init(id: String, metadata: [String: String] = [:], payload: any Payload) {
        self.id = id
        self.metadata = metadata
        self.payload = payload
    }

    /// The payload as `T`, or a thrown ``ItemError`` that names the type it had.
    public func payload<T: Payload>(as type: T.Type) throws -> T {
        guard let value = payload as? T else {
            throw ItemError("expected a \(T.self) payload, got \(Swift.type(of: payload))")
        }
        return value
    }

    /// This item with a different payload, id and metadata kept.
    public func with(payload: any Payload) -> Item {
        Item(id: id, metadata: metadata, payload: payload)
    }

    /// The `label` metadata, if any.
    public var label: String? { metadata[MetadataKey.label] }
    /// The `split` metadata (`train`, `validation`, `test`), if any.
    public var split: String? { metadata[MetadataKey.split] }
}

/// Well-known metadata keys, spelled once.
public enum MetadataKey {
    public static let label = "label"
    public static let speaker = "speaker"
    public static let split = "split"
    public static let fold = "fold"
    /// Comma-separated role per fold (`train,validation,test,…`), set by k-fold split nodes.
    public static let roles = "roles"
    public static let path = "path"
    public static let corpus = "corpus"
    public static let session = "session"
}

/// Values of the `split` metadata key.
public enum SplitName {
    public static let train = "train"
    public static let validation = "validation"
    public static let test = "test"
}

/// A per-item failure raised by a node: the reason a person reads in the run report.
public struct ItemError: Error, CustomStringConvertible, Sendable {
    /// Short machine-readable class (`unreadable`, `empty`, `silent`, `tooShort`, …).
    public var code: String
    /// What went wrong, for a person.
    public var reason: String

    /// An error with a reason and an optional code (default `failed`).
    public init(_ reason: String, code: String = "failed") {
        self.reason = reason
        self.code = code
    }

    public var description: String { reason }
}

/// A payload with no samples yet: an utterance to be read from `path`.
public struct UtterancePayload: Payload {
    /// Absolute path of the audio file.
    public var path: String
    /// An utterance read from `path`.
    public init(path: String) { self.path = path }
}

/// Mono (or per-policy mixed) Float32 samples with their sample rate.
public struct AudioPayload: Payload {
    /// Samples in [-1, 1] nominal range.
    public var samples: [Float]
    /// Samples per second.
    public var sampleRate: Int
    /// Channels of the source file before the channel policy was applied.
    public var sourceChannels: Int
    /// Audio with these samples.
    public init(samples: [Float], sampleRate: Int, sourceChannels: Int = 1) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.sourceChannels = sourceChannels
    }
}

/// A frames × bins matrix, frame-major (`values[frame * bins + bin]`).
public struct SpectrumPayload: Payload {
    /// Number of frames (time steps).
    public var frames: Int
    /// Number of bins (frequency bins or Mel bands).
    public var bins: Int
    /// Row-major values, `frames * bins` of them.
    public var values: [Float]
    /// A spectrum; `values.count` must be `frames * bins`.
    public init(frames: Int, bins: Int, values: [Float]) {
        precondition(values.count == frames * bins, "spectrum values \(values.count) ≠ \(frames)×\(bins)")
        self.frames = frames
        self.bins = bins
        self.values = values
    }
}

/// One prediction: class probabilities in the order of the stream's label set.
public struct PredictionPayload: Payload {
    /// Probability per class.
    public var probabilities: [Float]
    /// Index of the predicted class.
    public var predicted: Int
    /// Index of the true class, when the item had a known label.
    public var truth: Int?
    /// A prediction.
    public init(probabilities: [Float], predicted: Int, truth: Int?) {
        self.probabilities = probabilities
        self.predicted = predicted
        self.truth = truth
    }
}

/// A report: any JSON (metrics, a writer's counts).
public struct ReportPayload: Payload {
    /// The report's content.
    public var json: JSON
    /// A report payload.
    public init(_ json: JSON) { self.json = json }
}
