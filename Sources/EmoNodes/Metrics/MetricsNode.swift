import EmoCore
import EmoJSON
import Foundation

/// `metrics.classification`: WA, UA, macro-F1, per-class precision and recall, the confusion matrix,
/// per fold and pooled, with per-fold mean ± std; written as JSON and Markdown with a confusion
/// matrix and training curves as SVG. Every report names the protocol and the selection rule.
public final class MetricsNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "metrics.classification",
        summary: "Classification metrics (WA, UA, macro-F1, per class, confusion) per fold and pooled; JSON, Markdown, SVG",
        details: """
            WA = correct / items; UA = mean per-class recall; macro-F1 = mean per-class F1. Per-fold values are \
            summarised as mean ± population std. With `out`, writes metrics.json, metrics.md, confusion.svg and \
            (given the training history) curves.svg.
            """,
        role: .stream,
        inputs: [
            PortSpec("predictions", .predictions, summary: "predictions with true labels"),
            PortSpec("history", .report, required: false, summary: "model.train's history, for curves and the selection rule"),
        ],
        outputs: [PortSpec("report", .report, summary: "the metrics")],
        parameters: [
            ParameterSpec("out", .path, optional: true, summary: "folder for metrics.json, metrics.md and the pictures"),
            ParameterSpec("title", .string, default: "", summary: "report title (default: the pipeline's protocol)"),
        ],
        example: #"{ "id": "metrics", "type": "metrics.classification", "inputs": { "predictions": "train.predictions", "history": "train.history" }, "params": { "out": "$out" } }"#)

    let nodeId: String
    let out: String?
    let title: String
    private var labels: [String] = []
    private var evaluation: EvaluationSpec?

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        out = setup.parameters.optionalString("out")
        title = setup.parameters.string("title")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let format = inputs["predictions"], let labels = format.labels else {
            throw FormatError(port: "predictions", expected: "predictions with a known label set")
        }
        self.labels = labels
        evaluation = format.evaluation
        return ["report": StreamFormat(.report)]
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        let items = try inputs["predictions"]!.collect()
        let history = try inputs["history"]?.collect().first?.payload(as: ReportPayload.self).json
        var byFold: [Int: (truth: [Int], predicted: [Int])] = [:]
        var unlabelled = 0
        for item in items {
            let prediction = try item.payload(as: PredictionPayload.self)
            guard let truth = prediction.truth else {
                unlabelled += 1
                continue
            }
            let fold = Int(item.metadata[MetadataKey.fold] ?? "0") ?? 0
            byFold[fold, default: ([], [])].truth.append(truth)
            byFold[fold, default: ([], [])].predicted.append(prediction.predicted)
        }
        let folds = byFold.keys.sorted()
        let perFold = folds.map { ClassificationMetrics(labels: labels, truth: byFold[$0]!.truth, predicted: byFold[$0]!.predicted) }
        let pooled = ClassificationMetrics(
            labels: labels, truth: folds.flatMap { byFold[$0]!.truth }, predicted: folds.flatMap { byFold[$0]!.predicted })
        let wa = meanAndStandardDeviation(perFold.map(\.weightedAccuracy))
        let ua = meanAndStandardDeviation(perFold.map(\.unweightedAccuracy))
        let f1 = meanAndStandardDeviation(perFold.map(\.macroF1))
        let selection = history?["selection"]?.stringValue.map { rule in
            rule == "bestValidation"
                ? "best validation \(history?["selectionMetric"]?.stringValue == "unweightedAccuracy" ? "UA" : "accuracy (WA)") epoch; validation carved from the training part, test fold never used for selection"
                : "last epoch"
        } ?? "not recorded"
        let protocolName = evaluation.map { "\($0.name) (\($0.speakerIndependent ? "speaker-independent" : "not speaker-independent"))" }
            ?? "no protocol declared"
        func rounded(_ value: Double) -> JSON { .double((value * 10000).rounded() / 10000) }
        var json: JSONObject = [
            "protocol": .string(protocolName), "protocolSpec": evaluation?.json ?? .null, "selection": .string(selection),
            "folds": .int(folds.count),
            "weightedAccuracy": ["mean": rounded(wa.mean), "std": rounded(wa.std)],
            "unweightedAccuracy": ["mean": rounded(ua.mean), "std": rounded(ua.std)],
            "macroF1": ["mean": rounded(f1.mean), "std": rounded(f1.std)],
            "pooled": pooled.json,
            "perFold": .array(zip(folds, perFold).map { fold, metrics in
                var object = metrics.json.objectValue ?? JSONObject()
                object["fold"] = .int(fold)
                let selected = history?["folds"]?.arrayValue?.first { $0["fold"]?.intValue == fold }?["selectedEpoch"]
                object["selectedEpoch"] = selected ?? .null
                return .object(object)
            }),
        ]
        if unlabelled > 0 { json["unlabelledItems"] = .int(unlabelled) }
        let report = JSON.object(json)
        context.addReportSection(nodeId, report)
        context.progress.message(String(
            format: "%@: %@; %@; WA %.1f%% ± %.1f, UA %.1f%% ± %.1f, macro-F1 %.1f%% over %d fold(s), %d items",
            nodeId, protocolName, selection, 100 * wa.mean, 100 * wa.std, 100 * ua.mean, 100 * ua.std, 100 * f1.mean,
            folds.count, pooled.total))
        if let out { try write(report: report, pooled: pooled, perFold: perFold, folds: folds, history: history, to: out) }
        return ["report": ArrayStream([Item(id: nodeId, payload: ReportPayload(report))])]
    }

    func write(report: JSON, pooled: ClassificationMetrics, perFold: [ClassificationMetrics], folds: [Int], history: JSON?,
               to out: String) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func save(_ text: String, _ name: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out + "/" + name), options: .atomic)
        }
        try save(report.serialized() + "\n", "metrics.json")
        let heading = title.isEmpty ? (report["protocol"]?.stringValue ?? "") : title
        try save(SVGCharts.confusionMatrix(labels: labels, confusion: pooled.confusion, title: "Confusion matrix — \(heading)"),
                 "confusion.svg")
        if let foldHistories = history?["folds"]?.arrayValue, !foldHistories.isEmpty {
            var lossSeries: [(name: String, values: [Double])] = []
            var accuracySeries: [(name: String, values: [Double])] = []
            for entry in foldHistories.prefix(3) {
                let fold = entry["fold"]?.intValue ?? 0
                let epochs = entry["epochs"]?.arrayValue ?? []
                let suffix = foldHistories.count > 1 ? " (fold \(fold + 1))" : ""
                lossSeries.append(("training loss" + suffix, epochs.map { $0["loss"]?.doubleValue ?? .nan }))
                accuracySeries.append(("training accuracy" + suffix, epochs.map { $0["trainAccuracy"]?.doubleValue ?? .nan }))
                if epochs.contains(where: { $0["validationAccuracy"] != nil }) {
                    accuracySeries.append(("validation accuracy" + suffix, epochs.map { $0["validationAccuracy"]?.doubleValue ?? .nan }))
                }
            }
            let curves = SVGCharts.curves(title: "Training loss", series: lossSeries, yLabel: "cross-entropy")
            let accuracy = SVGCharts.curves(title: "Accuracy", series: accuracySeries, yLabel: "accuracy", yRange: 0...1)
            try save(curves, "loss.svg")
            try save(accuracy, "accuracy.svg")
        }
        try save(markdown(report: report, pooled: pooled, perFold: perFold, folds: folds, heading: heading), "metrics.md")
    }

    func markdown(report: JSON, pooled: ClassificationMetrics, perFold: [ClassificationMetrics], folds: [Int], heading: String) -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f", 100 * $0) } ?? "–" }
        func meanStd(_ key: String) -> String {
            String(format: "%.1f ± %.1f", 100 * (report[key]?["mean"]?.doubleValue ?? 0), 100 * (report[key]?["std"]?.doubleValue ?? 0))
        }
        var lines = [
            "# \(heading.isEmpty ? "Classification report" : heading)", "",
            "- Protocol: \(report["protocol"]?.stringValue ?? "")",
            "- Model selection: \(report["selection"]?.stringValue ?? "")",
            "- Folds: \(folds.count); test items: \(pooled.total)", "",
            "| metric | mean ± std over folds (%) | pooled (%) |", "|---|---|---|",
            "| WA (accuracy) | \(meanStd("weightedAccuracy")) | \(percent(pooled.weightedAccuracy)) |",
            "| UA (mean recall) | \(meanStd("unweightedAccuracy")) | \(percent(pooled.unweightedAccuracy)) |",
            "| macro-F1 | \(meanStd("macroF1")) | \(percent(pooled.macroF1)) |", "",
        ]
        if folds.count > 1 {
            lines += ["| fold | items | WA % | UA % | macro-F1 % | selected epoch |", "|---|---|---|---|---|---|"]
            let selected = report["perFold"]?.arrayValue ?? []
            for (index, metrics) in perFold.enumerated() {
                let epoch = selected[index]["selectedEpoch"]?.intValue.map(String.init) ?? "–"
                lines.append("| \(folds[index] + 1) | \(metrics.total) | \(percent(metrics.weightedAccuracy)) | \(percent(metrics.unweightedAccuracy)) | \(percent(metrics.macroF1)) | \(epoch) |")
            }
            lines.append("")
        }
        lines += ["| class | precision % | recall % | F1 % | support |", "|---|---|---|---|---|"]
        for (index, label) in labels.enumerated() {
            lines.append("| \(label) | \(percent(pooled.precision[index])) | \(percent(pooled.recall[index])) | \(percent(pooled.f1[index])) | \(pooled.support[index]) |")
        }
        lines += ["", "Confusion matrix (rows: true, columns: predicted), pooled over folds:", "",
                  "| true \\ predicted | " + labels.joined(separator: " | ") + " |",
                  "|---|" + String(repeating: "---|", count: labels.count)]
        for (index, label) in labels.enumerated() {
            lines.append("| \(label) | " + pooled.confusion[index].map(String.init).joined(separator: " | ") + " |")
        }
        lines += ["", "![confusion matrix](confusion.svg)", "", "![training loss](loss.svg) ![accuracy](accuracy.svg)", ""]
        return lines.joined(separator: "\n")
    }
}
