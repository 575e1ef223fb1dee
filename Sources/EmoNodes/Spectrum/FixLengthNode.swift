import EmoCore
import EmoDSP

/// `spectrum.fixLength`: crops or pads to a fixed number of frames for batching: a random crop for
/// training items (drawn anew each epoch), a centre crop otherwise.
public final class FixLengthNode: MapNode {
    public static let descriptor = NodeDescriptor(
        type: "spectrum.fixLength",
        summary: "Crop or pad to N frames: random crop for training items, centre crop otherwise",
        details: """
            Longer items are cropped; shorter ones padded at the end with `padValue`. `crop: auto` draws a \
            random start for items whose role in the current fold is `train` (from seed, fold, epoch, item \
            id) and crops the centre of every other item.
            """,
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "features")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "features of exactly `frames` frames")],
        parameters: [
            ParameterSpec("frames", .integer, default: 300, unit: "frames", range: 1...100_000, summary: "output length"),
            ParameterSpec("padValue", .number, default: 0, summary: "value for padded frames"),
            ParameterSpec("crop", .choice(["auto", "random", "centre", "start"]), default: "auto",
                          summary: "auto: random for training items, centre otherwise"),
        ],
        stochastic: true,
        example: #"{ "id": "crop", "type": "spectrum.fixLength", "inputs": { "spectrum": "norm.spectrum" }, "params": { "frames": 300 } }"#)

    let fixedLength: FixedLength
    let crop: String

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        fixedLength = try FixedLength(frames: p.int("frames"), padValue: Float(p.double("padValue")))
        crop = p.string("crop")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["spectrum"], var spec = format.spectrum else {
            throw FormatError(port: "spectrum", expected: "a spectrum")
        }
        spec.frames = fixedLength.frames
        format.spectrum = spec
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        let spectrogram = try item.payload(as: SpectrumPayload.self).spectrogram
        let position: CropPosition
        var random = context.random(for: item)
        switch crop {
        case "random": position = .random(Double(random.nextUnitFloat()))
        case "centre": position = .centre
        case "start": position = .start(0)
        default:
            position = context.role(of: item) == SplitName.train
                ? .random(Double(random.nextUnitFloat())) : .centre
        }
        return item.with(payload: fixedLength.apply(spectrogram, position: position).payload)
    }
}
