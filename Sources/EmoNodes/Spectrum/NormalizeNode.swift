import EmoCore
import EmoDSP
import EmoJSON
import Foundation

/// `spectrum.normalize`: standardises features per utterance, or with statistics fitted on the
/// training items only (per fold), or read from a file.
///
/// ```json
/// { "id": "norm", "type": "spectrum.normalize", "inputs": { "spectrum": "db.spectrum" }, "params": { "mode": "utterance" } }
/// ```
public final class NormalizeNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "spectrum.normalize",
        summary: "Standardise features: per utterance, fitted on training items only, or from a file",
        details: """
            (x − mean) / (std + 1e-8), population std. `utterance`: each item's own mean and std. `fitted`: \
            mean and std (per band or global) fitted on the items whose role is `train` in the current fold, \
            never on validation or test items; refitted for each fold; written to `statisticsPath` when given. \
            `file`: statistics read from `statisticsPath` (inference with a model trained on fitted statistics). \
            Place it before augmentation nodes.
            """,
        role: .stream,
        inputs: [PortSpec("spectrum", .spectrum, summary: "features")],
        outputs: [PortSpec("spectrum", .spectrum, summary: "standardised features")],
        parameters: [
            ParameterSpec("mode", .choice(["utterance", "fitted", "file"]), default: "utterance", summary: "where statistics come from"),
            ParameterSpec("statistics", .choice(["global", "perBand"]), default: "perBand", summary: "fitted/file: one pair or one per band"),
            ParameterSpec("statisticsPath", .path, optional: true, summary: "fitted: write statistics here; file: read them"),
        ],
        example: #"{ "id": "norm", "type": "spectrum.normalize", "inputs": { "spectrum": "db.spectrum" }, "params": { "mode": "utterance" } }"#)

    let mode: String
    let perBand: Bool
    let statisticsPath: String?
    private var fitted: [Int: NormalisationStatistics] = [:]

    public init(setup: NodeSetup) throws {
        let p = setup.parameters
        mode = p.string("mode")
        perBand = p.string("statistics") == "perBand"
        statisticsPath = p.optionalString("statisticsPath")
        if mode == "file" && statisticsPath == nil {
            throw ParameterError(parameter: "statisticsPath", "mode \"file\" needs statisticsPath")
        }
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard var format = inputs["spectrum"], var spec = format.spectrum else {
            throw FormatError(port: "spectrum", expected: "a spectrum")
        }
        if mode == "fitted" && !format.hasSplits {
            throw FormatError(port: "spectrum", expected: "items with train/validation/test roles for mode \"fitted\"",
                              detail: "put a split node upstream, or use mode \"utterance\"")
        }
        spec.normalization = mode == "utterance" ? "utterance" : "fitted-\(perBand ? "perBand" : "global")"
        format.spectrum = spec
        return ["spectrum": format]
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        let upstream = inputs["spectrum"]!
        let fileStatistics = mode == "file" ? try readStatistics() : nil
        let output = DerivedStream(expectedCount: upstream.expectedCount, deterministic: upstream.isDeterministic) {
            [self] pass in
            let statistics: NormalisationStatistics?
            switch mode {
            case "utterance": statistics = nil
            case "file": statistics = fileStatistics
            default: statistics = try fittedStatistics(fold: pass.fold, upstream: upstream, context: context)
            }
            let source = try upstream.makeIterator(pass: pass)
            return ClosureIterator {
                guard let item = try source.next() else { return nil }
                var spectrogram = try item.payload(as: SpectrumPayload.self).spectrogram
                if let statistics {
                    try itemErrors { try Normalisation.apply(statistics, to: &spectrogram) }
                } else {
                    Normalisation.normaliseUtterance(&spectrogram)
                }
                return item.with(payload: spectrogram.payload)
            }
        }
        return ["spectrum": output]
    }

    private func fittedStatistics(fold: Int, upstream: ItemStream, context: RunContext) throws -> NormalisationStatistics {
        if let known = fitted[fold] { return known }
        var accumulator: StatisticsAccumulator?
        try upstream.forEach(pass: Pass(epoch: 0, fold: fold)) { item in
            guard item.role(inFold: fold) == SplitName.train else { return }
            let spectrogram = try item.payload(as: SpectrumPayload.self).spectrogram
            if accumulator == nil { accumulator = StatisticsAccumulator(bins: spectrogram.bins) }
            try accumulator?.add(spectrogram)
        }
        guard let accumulator else { throw ItemError("no training items to fit normalisation statistics on in fold \(fold + 1)") }
        let statistics = try perBand ? accumulator.perBinStatistics() : accumulator.globalStatistics()
        fitted[fold] = statistics
        let json: JSON = ["fold": .int(fold), "frames": .int(accumulator.frames),
                          "mean": .array(statistics.mean.map { .double(Double($0)) }),
                          "std": .array(statistics.std.map { .double(Double($0)) })]
        context.addReportSection("normalization.fold\(fold)", json)
        if let statisticsPath, fold == 0 {
            try Data((json.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: statisticsPath), options: .atomic)
        }
        return statistics
    }

    private func readStatistics() throws -> NormalisationStatistics {
        guard let path = statisticsPath, let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else { throw ItemError("cannot read normalisation statistics from \(statisticsPath ?? "")") }
        let json = try JSON.parse(text)
        guard let mean = json["mean"]?.arrayValue?.compactMap(\.doubleValue), let std = json["std"]?.arrayValue?.compactMap(\.doubleValue),
            mean.count == std.count, !mean.isEmpty
        else { throw ItemError("\(path) does not hold mean and std lists of equal length") }
        return NormalisationStatistics(mean: mean.map(Float.init), std: std.map(Float.init))
    }
}
