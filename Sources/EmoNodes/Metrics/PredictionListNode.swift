import EmoCore
import EmoJSON
import Foundation

/// `predictions.list`: the predictions as a report (one row per item: id, label, probabilities),
/// optionally written as CSV or JSON lines.
public final class PredictionListNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "predictions.list",
        summary: "List predictions (id, predicted label, probabilities, true label) in the report and optionally a file",
        role: .stream,
        inputs: [PortSpec("predictions", .predictions, summary: "predictions")],
        outputs: [PortSpec("report", .report, summary: "the list")],
        parameters: [ParameterSpec("out", .path, optional: true, summary: "write the list here (.csv or .jsonl)")],
        example: #"{ "id": "list", "type": "predictions.list", "inputs": { "predictions": "infer.predictions" }, "params": { "out": "predictions.csv" } }"#)

    let nodeId: String
    let out: String?
    private var labels: [String] = []

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        out = setup.parameters.optionalString("out")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard let labels = inputs["predictions"]?.labels else {
            throw FormatError(port: "predictions", expected: "predictions with a known label set")
        }
        self.labels = labels
        return ["report": StreamFormat(.report)]
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        var rows: [JSON] = []
        var csv = ["id,label,truth," + labels.joined(separator: ",")]
        try inputs["predictions"]!.forEach { item in
            let prediction = try item.payload(as: PredictionPayload.self)
            var probabilities = JSONObject()
            for (label, value) in zip(labels, prediction.probabilities) { probabilities[label] = .double((Double(value) * 1e4).rounded() / 1e4) }
            var row: JSONObject = ["id": .string(item.id), "label": .string(labels[prediction.predicted]),
                                   "probabilities": .object(probabilities)]
            if let truth = prediction.truth { row["truth"] = .string(labels[truth]) }
            rows.append(.object(row))
            csv.append("\(item.id),\(labels[prediction.predicted]),\(prediction.truth.map { labels[$0] } ?? ""),"
                + prediction.probabilities.map { String(format: "%.4f", $0) }.joined(separator: ","))
        }
        if let out {
            let text = out.hasSuffix(".csv") ? csv.joined(separator: "\n") + "\n" : rows.map { $0.serialized(pretty: false) }.joined(separator: "\n") + "\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        }
        context.addReportSection(nodeId, .array(rows))
        return ["report": ArrayStream([Item(id: nodeId, payload: ReportPayload(.array(rows)))])]
    }
}
