import EmoJSON

extension SpectrumSpec {
    /// The spec as JSON (stored in checkpoints as the feature spec a model expects).
    public var json: JSON {
        var object: JSONObject = [
            "kind": .string(kind), "bins": .int(bins), "hop": .int(hop), "windowLength": .int(windowLength),
            "fftSize": .int(fftSize), "window": .string(window), "sampleRate": .int(sampleRate),
        ]
        if let melScale { object["melScale"] = .string(melScale) }
        if let melNorm { object["melNorm"] = .string(melNorm) }
        if let fmin { object["fmin"] = .double(fmin) }
        if let fmax { object["fmax"] = .double(fmax) }
        if let dbReference { object["dbReference"] = .string(dbReference) }
        if let normalization { object["normalization"] = .string(normalization) }
        if let frames { object["frames"] = .int(frames) }
        return .object(object)
    }

    /// Reads a spec written by ``json``; nil when a required field is missing.
    public init?(json: JSON) {
        guard let kind = json["kind"]?.stringValue, let bins = json["bins"]?.intValue, let hop = json["hop"]?.intValue,
            let windowLength = json["windowLength"]?.intValue, let fftSize = json["fftSize"]?.intValue,
            let window = json["window"]?.stringValue, let sampleRate = json["sampleRate"]?.intValue
        else { return nil }
        self.init(kind: kind, bins: bins, hop: hop, windowLength: windowLength, fftSize: fftSize, window: window, sampleRate: sampleRate)
        melScale = json["melScale"]?.stringValue
        melNorm = json["melNorm"]?.stringValue
        fmin = json["fmin"]?.doubleValue
        fmax = json["fmax"]?.doubleValue
        dbReference = json["dbReference"]?.stringValue
        normalization = json["normalization"]?.stringValue
        frames = json["frames"]?.intValue
    }
}

extension EvaluationSpec {
    /// The protocol as JSON (stored in reports and checkpoints).
    public var json: JSON {
        ["name": .string(name), "speakerIndependent": .bool(speakerIndependent), "folds": .int(folds),
         "validation": .string(validation)]
    }
}
