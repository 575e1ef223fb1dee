import EmoCore
import EmoJSON
import EmoNN
import EmoTensor

/// A trained classifier travelling on a `Model` port, with the exact feature spec and label set it
/// expects. Used by one consumer at a time (the classifier is not thread-safe), hence unchecked.
public final class ModelPayload: Payload, @unchecked Sendable {
    /// The network with its labels.
    public let classifier: Classifier
    /// The features the model was trained on.
    public let featureSpec: SpectrumSpec
    /// The cross-validation fold it was trained for (0 for single splits).
    public let fold: Int
    /// The epoch kept (1-based), by the selection rule.
    public let selectedEpoch: Int

    /// A model payload.
    public init(classifier: Classifier, featureSpec: SpectrumSpec, fold: Int, selectedEpoch: Int) {
        self.classifier = classifier
        self.featureSpec = featureSpec
        self.fold = fold
        self.selectedEpoch = selectedEpoch
    }
}

/// Turns feature items into model input batches.
enum BatchAssembly {
    /// Items with frames × bins spectra (all the same size) → [N, 1, bins, frames], mel bands as
    /// height and time as width, the layout of the reference model.
    static func batch(_ spectra: [SpectrumPayload]) throws -> Tensor {
        guard let first = spectra.first else { throw ItemError("an empty batch") }
        let frames = first.frames
        let bins = first.bins
        var scalars = [Float](repeating: 0, count: spectra.count * frames * bins)
        try scalars.withUnsafeMutableBufferPointer { out in
            for (index, spectrum) in spectra.enumerated() {
                guard spectrum.frames == frames, spectrum.bins == bins else {
                    throw ItemError("items of \(spectrum.frames)×\(spectrum.bins) and \(frames)×\(bins) in one batch; put spectrum.fixLength upstream")
                }
                let base = index * frames * bins
                spectrum.values.withUnsafeBufferPointer { values in
                    for frame in 0..<frames {
                        for bin in 0..<bins { out[base + bin * frames + frame] = values[frame * bins + bin] }
                    }
                }
            }
        }
        return Tensor(shape: [spectra.count, 1, bins, frames], scalars: scalars)
    }

    /// Probabilities for every item, in batches of `batchSize`.
    static func predict(_ classifier: Classifier, items: [Item], batchSize: Int) throws -> [[Float]] {
        var result: [[Float]] = []
        result.reserveCapacity(items.count)
        var start = 0
        while start < items.count {
            let slice = items[start..<min(start + batchSize, items.count)]
            let batch = try batch(slice.map { try $0.payload(as: SpectrumPayload.self) })
            do { result += try classifier.predict(batch) } catch { throw ItemError(error.description) }
            start += batchSize
        }
        return result
    }
}
