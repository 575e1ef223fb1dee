import EmoCore
import EmoDSP

/// `spectrum.stft`: short-time Fourier transform with FFTW (one plan per FFT size, reused across
/// threads), magnitude or power.
///
/// librosa's conventions: periodic window of `windowLength` centred in `fftSize`; with `center`,
/// frame k is centred on sample k·hop and the signal is padded by fftSize/2 (constant or numpy
/// `reflect`); frames = 1 + (n + 2·⌊fftSize/2⌋ − fftSize) / hop.
public final class STFTNode: MapNode {
    public static let descriptor = NodeDescriptor(
        type: "spectrum.stft",
        summary: "Short-time Fourier transform (FFTW), magnitude or power",
        details: "librosa conventions: periodic window centred in the FFT frame, centring pads fftSize/2 on each side.",
        role: .map,
        inputs: [PortSpec("audio", .audio, summary: "audio at a fixed sample rate")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "frames × (fftSize/2+1) bins")],
        parameters: STFTNode.framingParameters + [
            ParameterSpec("output", .choice(["power", "magnitude"]), default: "power", summary: "|X|² or |X|"),
        ],
        example: #"{ "id": "stft", "type": "spectrum.stft", "inputs": { "audio": "resample.audio" }, "params": { "fftSize": 512, "windowLength": 400, "hop": 160 } }"#)

    /// Framing parameters shared with `spectrum.logMel`.
    static let framingParameters: [ParameterSpec] = [
        ParameterSpec("fftSize", .integer, default: 512, unit: "samples", range: 16...65536, summary: "FFT size"),
        ParameterSpec("windowLength", .integer, default: 400, unit: "samples", range: 1...65536, summary: "window length (≤ fftSize)"),
        ParameterSpec("hop", .integer, default: 160, unit: "samples", range: 1...65536, summary: "hop between frames"),
        ParameterSpec("window", .choice(WindowFunction.allCases.map(\.rawValue)), default: "hann", summary: "window function (periodic)"),
        ParameterSpec("center", .boolean, default: true, summary: "centre frames on k·hop by padding fftSize/2"),
        ParameterSpec("padMode", .choice(["reflect", "constant"]), default: "reflect", summary: "padding when centring"),
    ]

    let transform: ShortTimeFourierTransform
    let configuration: STFTConfiguration

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        configuration = STFTConfiguration(
            fftSize: p.int("fftSize"), windowLength: p.int("windowLength"), hopLength: p.int("hop"),
            window: WindowFunction(rawValue: p.string("window")) ?? .hann, center: p.bool("center"),
            padMode: PadMode(rawValue: p.string("padMode")) ?? .reflect,
            output: SpectralOutput(rawValue: p.string("output")) ?? .power)
        if configuration.windowLength > configuration.fftSize {
            throw ParameterError(parameter: "windowLength", "is \(configuration.windowLength), longer than fftSize \(configuration.fftSize)")
        }
        do { transform = try ShortTimeFourierTransform(configuration) } catch let error as AudioError {
            throw ParameterError(parameter: nil, error.reason)
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["audio"], let sampleRate = format.sampleRate else {
            throw FormatError(port: "audio", expected: "Audio at a fixed sample rate", detail: "put audio.resample before it")
        }
        format.type = .spectrum
        format.spectrum = SpectrumSpec(
            kind: configuration.output.rawValue, bins: configuration.bins, hop: configuration.hopLength,
            windowLength: configuration.windowLength, fftSize: configuration.fftSize, window: configuration.window.rawValue,
            sampleRate: sampleRate)
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        let audio = try item.payload(as: AudioPayload.self)
        return item.with(payload: try itemErrors { try transform.compute(audio.samples) }.payload)
    }
}

/// `spectrum.mel`: a Mel filterbank (Slaney or HTK scale, Slaney or no area normalisation).
public final class MelNode: MapNode, @unchecked Sendable {
    public static let descriptor = NodeDescriptor(
        type: "spectrum.mel",
        summary: "Mel filterbank: Slaney or HTK scale, Slaney or no area normalisation",
        details: "librosa.filters.mel exactly (computed in Double), applied sparsely. Input: power (or magnitude) spectrum.",
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "power or magnitude spectrum")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "frames × melBands")],
        parameters: MelNode.filterbankParameters,
        example: #"{ "id": "mel", "type": "spectrum.mel", "inputs": { "spectrum": "stft.spectrum" }, "params": { "melBands": 128 } }"#)

    /// Filterbank parameters shared with `spectrum.logMel`.
    static let filterbankParameters: [ParameterSpec] = [
        ParameterSpec("melBands", .integer, default: 128, unit: "bands", range: 1...1024, summary: "number of Mel bands"),
        ParameterSpec("fmin", .number, default: 0, unit: "Hz", range: 0...192_000, summary: "lowest frequency"),
        ParameterSpec("fmax", .number, unit: "Hz", range: 1...192_000, optional: true, summary: "highest frequency (default: sampleRate/2)"),
        ParameterSpec("scale", .choice(["slaney", "htk"]), default: "slaney", summary: "Mel scale"),
        ParameterSpec("norm", .choice(["slaney", "none"]), default: "slaney", summary: "area normalisation"),
    ]

    let melBands: Int
    let fmin: Double
    let fmax: Double?
    let scale: MelScale
    let norm: MelNormalization
    private var filterbank: MelFilterbank?

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        melBands = p.int("melBands")
        fmin = p.double("fmin")
        fmax = p.optionalDouble("fmax")
        scale = MelScale(rawValue: p.string("scale")) ?? .slaney
        norm = MelNormalization(rawValue: p.string("norm")) ?? .slaney
        if let fmax, fmax <= fmin { throw ParameterError(parameter: "fmax", "is \(fmax) Hz, not above fmin \(fmin) Hz") }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["spectrum"], var spec = format.spectrum, ["power", "magnitude"].contains(spec.kind) else {
            throw FormatError(port: "spectrum", expected: "a power or magnitude spectrum from spectrum.stft")
        }
        do {
            filterbank = try MelFilterbank(
                sampleRate: spec.sampleRate, fftSize: spec.fftSize, melBands: melBands, fmin: fmin, fmax: fmax, scale: scale,
                normalization: norm)
        } catch let error as AudioError {
            throw ParameterError(parameter: "fmax", error.reason)
        }
        spec.kind = "mel"
        spec.bins = melBands
        spec.melScale = scale.rawValue
        spec.melNorm = norm.rawValue
        spec.fmin = fmin
        spec.fmax = fmax ?? Double(spec.sampleRate) / 2
        format.spectrum = spec
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        guard let filterbank else { throw ItemError("spectrum.mel ran before negotiating its format") }
        let spectrum = try item.payload(as: SpectrumPayload.self)
        return item.with(payload: filterbank.apply(spectrum.spectrogram).payload)
    }
}

/// `spectrum.db`: power to decibels, 10·log10(max(x, amin)) − 10·log10(max(ref, amin)), optional topDb.
public final class DecibelNode: MapNode {
    public static let descriptor = NodeDescriptor(
        type: "spectrum.db",
        summary: "Power to dB (librosa.power_to_db): amin floor, reference 1.0 or per-item max, optional topDb",
        role: .map,
        inputs: [PortSpec("spectrum", .spectrum, summary: "power or Mel power")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "the same in dB")],
        parameters: [
            ParameterSpec("amin", .number, default: 1e-10, range: 1e-30...1, summary: "floor applied before the logarithm"),
            ParameterSpec("reference", .choice(["one", "max"]), default: "one", summary: "1.0, or each item's maximum"),
            ParameterSpec("topDb", .number, unit: "dB", range: 0...400, optional: true, summary: "clip to max − topDb"),
        ],
        example: #"{ "id": "db", "type": "spectrum.db", "inputs": { "spectrum": "mel.spectrum" } }"#)

    let conversion: PowerToDecibels
    let referenceName: String

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        referenceName = p.string("reference")
        let topDb = p.optionalDouble("topDb").map(Float.init)
        do {
            conversion = try PowerToDecibels(
                reference: referenceName == "max" ? .maximum : .value(1), amin: Float(p.double("amin")), topDb: topDb)
        } catch let error as AudioError {
            throw ParameterError(parameter: nil, error.reason)
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["spectrum"], var spec = format.spectrum, ["power", "mel"].contains(spec.kind) else {
            throw FormatError(port: "spectrum", expected: "a power or Mel power spectrum")
        }
        spec.kind = spec.kind == "mel" ? "logMel" : "logPower"
        spec.dbReference = referenceName == "max" ? "max" : "1.0"
        format.spectrum = spec
        return ["spectrum": format]
    }

    public func process(_ item: Item, context: ItemContext) throws -> Item {
        let spectrum = try item.payload(as: SpectrumPayload.self)
        return item.with(payload: conversion.apply(spectrum.spectrogram).payload)
    }
}
