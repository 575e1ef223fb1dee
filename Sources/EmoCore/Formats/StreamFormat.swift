import EmoJSON

/// The semantic type of a port: what its items carry.
public enum PortType: String, Sendable, CaseIterable, Codable {
    /// Items with metadata and a source path, no samples yet.
    case utterances = "Utterances"
    /// Samples with sample rate and channel count.
    case audio = "Audio"
    /// Frames × bins with the full spectral spec.
    case spectrum = "Spectrum"
    /// A trained classifier with the feature spec and label set it expects.
    case model = "Model"
    /// Per item: class probabilities, predicted and true label.
    case predictions = "Predictions"
    /// Metrics and summaries.
    case report = "Report"
}

/// What flows on a stream, negotiated at validation time before any audio is read: the port type
/// plus everything known about the payload (sample rate, spectral spec, label set, protocol).
///
/// Map nodes copy their input's format and change what they change, so facts such as the label set
/// and the evaluation protocol travel down the graph.
public struct StreamFormat: Sendable, Equatable {
    /// The semantic type.
    public var type: PortType
    /// Sample rate in Hz, when fixed (nil: varies by file, as decoded).
    public var sampleRate: Int?
    /// The spectral spec, for `Spectrum` and `Model` streams.
    public var spectrum: SpectrumSpec?
    /// The class labels in index order, when known from the reader or the model.
    public var labels: [String]?
    /// The evaluation protocol, once a split node has assigned one.
    public var evaluation: EvaluationSpec?
    /// Whether items carry the `split`/`fold` metadata a stochastic training-only node looks at.
    public var hasSplits: Bool
    /// Attributes added by plugins, carried along untouched.
    public var extra: JSONObject

    /// A format of the given type with nothing else known.
    public init(
        _ type: PortType, sampleRate: Int? = nil, spectrum: SpectrumSpec? = nil, labels: [String]? = nil,
        evaluation: EvaluationSpec? = nil, hasSplits: Bool = false, extra: JSONObject = JSONObject()
    ) {
        self.type = type
        self.sampleRate = sampleRate
        self.spectrum = spectrum
        self.labels = labels
        self.evaluation = evaluation
        self.hasSplits = hasSplits
        self.extra = extra
    }

    /// This format converted to another port type, keeping labels, protocol and splits.
    public func converted(to type: PortType) -> StreamFormat {
        var copy = self
        copy.type = type
        return copy
    }

    /// A phrase for messages: `Audio at 16 kHz`, `128-band log-Mel at 16 kHz, hop 160`.
    public var summary: String {
        switch type {
        case .audio:
            if let sampleRate { return "Audio at \(SpectrumSpec.hertz(sampleRate))" }
            return "Audio at its file's rate"
        case .spectrum, .model:
            let spec = spectrum?.summary ?? "an unknown spectrum"
            return type == .model ? "a model for \(spec)" : spec
        default:
            return type.rawValue
        }
    }
}

/// The full spectral spec: enough to tell whether two feature streams are interchangeable.
public struct SpectrumSpec: Sendable, Equatable {
    /// `magnitude`, `power`, `mel`, `logMel`, or a plugin's kind (`mfcc`, …).
    public var kind: String
    /// Bins per frame (FFT bins or Mel bands).
    public var bins: Int
    /// Hop between frames in samples.
    public var hop: Int
    /// Window length in samples.
    public var windowLength: Int
    /// FFT size in samples.
    public var fftSize: Int
    /// Window name (`hann`, …).
    public var window: String
    /// Sample rate of the audio the spectrum was computed from, in Hz.
    public var sampleRate: Int
    /// Mel scale (`slaney`, `htk`) for Mel kinds.
    public var melScale: String?
    /// Mel area normalisation (`slaney`, `none`) for Mel kinds.
    public var melNorm: String?
    /// Lowest and highest Mel frequency in Hz.
    public var fmin: Double?
    /// Highest Mel frequency in Hz.
    public var fmax: Double?
    /// dB reference (`1.0`, `max`) once converted to dB.
    public var dbReference: String?
    /// Normalisation applied (`utterance`, `fitted`), if any.
    public var normalization: String?
    /// Fixed number of frames, once cropped or padded.
    public var frames: Int?

    /// A spec with the STFT parameters; the rest start unset.
    public init(kind: String, bins: Int, hop: Int, windowLength: Int, fftSize: Int, window: String, sampleRate: Int) {
        self.kind = kind
        self.bins = bins
        self.hop = hop
        self.windowLength = windowLength
        self.fftSize = fftSize
        self.window = window
        self.sampleRate = sampleRate
    }

    /// A phrase such as `128-band log-Mel at 16 kHz, hop 160, normalised per utterance`.
    public var summary: String {
        let kindWord: String
        switch kind {
        case "logMel": kindWord = "\(bins)-band log-Mel"
        case "mel": kindWord = "\(bins)-band Mel"
        case "magnitude": kindWord = "\(bins)-bin magnitude spectrum"
        case "power": kindWord = "\(bins)-bin power spectrum"
        default: kindWord = "\(bins)-bin \(kind)"
        }
        var text = "\(kindWord) at \(Self.hertz(sampleRate)), hop \(hop)"
        if let normalization { text += ", normalised (\(normalization))" }
        if let frames { text += ", \(frames) frames" }
        return text
    }

    /// Human-readable differences from `other` (empty when interchangeable), each naming both values.
    public func differences(from other: SpectrumSpec) -> [String] {
        var result: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { result.append("\(name) \(Self.text(a)) vs \(Self.text(b))") }
        }
        check("kind", kind, other.kind)
        check("bins", bins, other.bins)
        check("hop", hop, other.hop)
        check("windowLength", windowLength, other.windowLength)
        check("fftSize", fftSize, other.fftSize)
        check("window", window, other.window)
        check("sampleRate", sampleRate, other.sampleRate)
        check("melScale", melScale, other.melScale)
        check("melNorm", melNorm, other.melNorm)
        check("fmin", fmin, other.fmin)
        check("fmax", fmax, other.fmax)
        check("dbReference", dbReference, other.dbReference)
        check("normalization", normalization, other.normalization)
        check("frames", frames, other.frames)
        return result
    }

    static func text<T>(_ value: T) -> String {
        if let optional = value as? any OptionalProtocol { return optional.textOrNone }
        return "\(value)"
    }

    /// `16 kHz`, `22.05 kHz`, `24414 Hz`.
    public static func hertz(_ rate: Int) -> String {
        if rate % 1000 == 0 { return "\(rate / 1000) kHz" }
        if rate % 50 == 0 { return "\(Double(rate) / 1000) kHz" }
        return "\(rate) Hz"
    }
}

protocol OptionalProtocol { var textOrNone: String { get } }
extension Optional: OptionalProtocol {
    var textOrNone: String {
        switch self {
        case .some(let value): "\(value)"
        case .none: "none"
        }
    }
}

/// The evaluation protocol a split node assigned, carried to training and reports.
public struct EvaluationSpec: Sendable, Equatable {
    /// Name, e.g. `leave-one-speaker-out`, `random stratified 10-fold`.
    public var name: String
    /// True when no speaker may appear on both sides; training audits this.
    public var speakerIndependent: Bool
    /// Number of test folds (1 for a single train/validation/test split).
    public var folds: Int
    /// How the validation set is carved from the training part.
    public var validation: String

    /// A protocol description.
    public init(name: String, speakerIndependent: Bool, folds: Int, validation: String) {
        self.name = name
        self.speakerIndependent = speakerIndependent
        self.folds = folds
        self.validation = validation
    }
}
