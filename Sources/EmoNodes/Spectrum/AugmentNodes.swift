import EmoCore
import EmoDSP

/// Parameters every augmentation node shares: which items, how likely, what fill.
enum AugmentationParameters {
    static let common: [ParameterSpec] = [
        ParameterSpec("applyTo", .choice(["train", "all"]), default: "train",
                      summary: "train: only items whose role in the current fold is train"),
        ParameterSpec("probability", .number, default: 1, range: 0...1, summary: "chance of applying to an item"),
        ParameterSpec("fill", .choice(["zero", "mean", "value"]), default: "zero", summary: "what masked or shifted-in cells hold"),
        ParameterSpec("fillValue", .number, default: 0, summary: "the value for fill \"value\""),
    ]

    static func fill(_ parameters: Parameters) -> FillValue {
        switch parameters.string("fill") {
        case "mean": .mean
        case "value": .constant(Float(parameters.double("fillValue")))
        default: .zero
        }
    }

    /// Whether to augment `item` in this pass, drawing the coin from its generator.
    static func applies(to item: Item, context: ItemContext, trainOnly: Bool, probability: Double,
                        random: inout SeededRandom) -> Bool {
        if trainOnly && context.role(of: item) != SplitName.train { return false }
        return probability >= 1 || Double(random.nextUnitFloat()) < probability
    }
}

/// `augment.timeShift`: shifts features in time by s ~ U(−maxShift, maxShift) frames (roll or pad).
public final class TimeShiftNode: MapNode {
    public static let descriptor = NodeDescriptor(
        type: "augment.timeShift",
        summary: "Random time shift by s ~ U(−maxShift, maxShift) frames, rolled or padded",
        details: "Redrawn every epoch from (seed, fold, epoch, item id, node id). Training items only by default.",
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "features")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "shifted features")],
        parameters: [
            ParameterSpec("maxShift", .integer, default: 30, unit: "frames", range: 0...100_000, summary: "largest shift"),
            ParameterSpec("mode", .choice(["roll", "pad"]), default: "roll", summary: "roll wraps around; pad fills"),
        ] + AugmentationParameters.common,
        stochastic: true,
        example: #"{ "id": "shift", "type": "augment.timeShift", "inputs": { "spectrum": "crop.spectrum" }, "params": { "maxShift": 30 } }"#)

    let maxShift: Int
    let mode: ShiftMode
    let trainOnly: Bool
    let probability: Double

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        maxShift = p.int("maxShift")
        mode = p.string("mode") == "pad" ? .pad(AugmentationParameters.fill(p)) : .roll
        trainOnly = p.string("applyTo") == "train"
        probability = p.double("probability")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["spectrum"] else { throw FormatError(port: "spectrum", expected: "a spectrum") }
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        var random = context.random(for: item)
        guard AugmentationParameters.applies(to: item, context: context, trainOnly: trainOnly, probability: probability,
                                             random: &random) else { return item }
        let shift = random.nextInt(in: -maxShift...maxShift)
        let spectrogram = try item.payload(as: SpectrumPayload.self).spectrogram
        return item.with(payload: Augmentation.timeShift(spectrogram, frames: shift, mode: mode).payload)
    }
}

/// `augment.freqMask` and `augment.timeMask`: SpecAugment masks, `count` of them, each of width
/// w ~ U(0, maxWidth) at a uniform start.
public class MaskNode {
    let count: Int
    let maxWidth: Int
    let fill: FillValue
    let trainOnly: Bool
    let probability: Double
    let alongTime: Bool

    init(setup: NodeSetup, alongTime: Bool) {
        let p = setup.parameters
        count = p.int("count")
        maxWidth = p.int("maxWidth")
        fill = AugmentationParameters.fill(p)
        trainOnly = p.string("applyTo") == "train"
        probability = p.double("probability")
        self.alongTime = alongTime
    }

    static func parameters(defaultWidth: Int, unit: String) -> [ParameterSpec] {
        [
            ParameterSpec("count", .integer, default: 1, range: 0...100, summary: "number of masks"),
            ParameterSpec("maxWidth", .integer, default: .int(defaultWidth), unit: unit, range: 0...100_000,
                          summary: "widths are drawn from U(0, maxWidth)"),
        ] + AugmentationParameters.common
    }

    func negotiateMask(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["spectrum"] else { throw FormatError(port: "spectrum", expected: "a spectrum") }
        return ["spectrum": format]
    }

    func mask(_ item: Item, context: ItemContext) throws -> Item {
        var random = context.random(for: item)
        guard AugmentationParameters.applies(to: item, context: context, trainOnly: trainOnly, probability: probability,
                                             random: &random) else { return item }
        var spectrogram = try item.payload(as: SpectrumPayload.self).spectrogram
        let extent = alongTime ? spectrogram.frames : spectrogram.bins
        for _ in 0..<count {
            let width = min(random.nextInt(in: 0...maxWidth), extent)
            let start = random.nextInt(in: 0...(extent - width))
            spectrogram = alongTime
                ? Augmentation.timeMask(spectrogram, start: start, width: width, fill: fill)
                : Augmentation.frequencyMask(spectrogram, start: start, width: width, fill: fill)
        }
        return item.with(payload: spectrogram.payload)
    }
}

/// `augment.freqMask`: SpecAugment frequency masking, f ~ U(0, F) bands.
public final class FrequencyMaskNode: MaskNode, MapNode, @unchecked Sendable {
    public static let descriptor = NodeDescriptor(
        type: "augment.freqMask",
        summary: "SpecAugment frequency masks: count × width f ~ U(0, F) bands at a uniform start",
        details: "Redrawn every epoch from (seed, fold, epoch, item id, node id). Training items only by default.",
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "features")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "masked features")],
        parameters: MaskNode.parameters(defaultWidth: 8, unit: "bands"),
        stochastic: true,
        example: #"{ "id": "fmask", "type": "augment.freqMask", "inputs": { "spectrum": "shift.spectrum" }, "params": { "count": 1, "maxWidth": 8 } }"#)

    public required init(setup: NodeSetup) throws { super.init(setup: setup, alongTime: false) }
    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { try negotiateMask(inputs: inputs) }
    public func process(_ item: Item, context: ItemContext) throws -> Item { try mask(item, context: context) }
}

/// `augment.timeMask`: SpecAugment time masking, t ~ U(0, T) frames.
public final class TimeMaskNode: MaskNode, MapNode, @unchecked Sendable {
    public static let descriptor = NodeDescriptor(
        type: "augment.timeMask",
        summary: "SpecAugment time masks: count × width t ~ U(0, T) frames at a uniform start",
        details: "Redrawn every epoch from (seed, fold, epoch, item id, node id). Training items only by default.",
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "features")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "masked features")],
        parameters: MaskNode.parameters(defaultWidth: 40, unit: "frames"),
        stochastic: true,
        example: #"{ "id": "tmask", "type": "augment.timeMask", "inputs": { "spectrum": "fmask.spectrum" }, "params": { "count": 1, "maxWidth": 40 } }"#)

    public required init(setup: NodeSetup) throws { super.init(setup: setup, alongTime: true) }
    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] { try negotiateMask(inputs: inputs) }
    public func process(_ item: Item, context: ItemContext) throws -> Item { try mask(item, context: context) }
}
