import EmoCore
import EmoJSON
import Foundation

/// `report.augmentationFigure`: the paper's Figure 1 for one utterance — its Mel spectrogram, the
/// augmented version the model trains on, and their difference — as an SVG.
public final class AugmentationFigureNode: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "report.augmentationFigure",
        summary: "Figure 1 of the paper: a Mel spectrogram, its augmented version and their difference (SVG)",
        details: """
            Reads both inputs in epoch `epoch` of fold 0 and draws the item `item` (default: the first item \
            whose role is train, so augmentation applies to it).
            """,
        role: .stream,
        inputs: [
            PortSpec("original", .spectrum, summary: "features before augmentation"),
            PortSpec("augmented", .spectrum, summary: "the same features after augmentation"),
        ],
        outputs: [PortSpec("report", .report, summary: "where the figure went")],
        parameters: [
            ParameterSpec("out", .path, summary: "the SVG file to write"),
            ParameterSpec("item", .string, optional: true, summary: "item id to draw (default: the first training item)"),
            ParameterSpec("epoch", .integer, default: 0, range: 0...100_000, summary: "which epoch's augmentation to draw"),
        ],
        example: #"{ "id": "figure", "type": "report.augmentationFigure", "inputs": { "original": "crop.spectrum", "augmented": "tmask.spectrum" }, "params": { "out": "figure1.svg" } }"#)

    let nodeId: String
    let out: String
    let itemId: String?
    let epoch: Int

    public init(setup: NodeSetup) throws {
        nodeId = setup.nodeId
        out = setup.parameters.string("out")
        itemId = setup.parameters.optionalString("item")
        epoch = setup.parameters.int("epoch")
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        guard inputs["original"]?.spectrum != nil else { throw FormatError(port: "original", expected: "a spectrum") }
        guard inputs["augmented"]?.spectrum != nil else { throw FormatError(port: "augmented", expected: "a spectrum") }
        return ["report": StreamFormat(.report)]
    }

    func find(_ stream: ItemStream, pass: Pass, id: String?) throws -> Item? {
        let iterator = try stream.makeIterator(pass: pass)
        while let item = try iterator.next() {
            if let id { if item.id == id { return item } } else if item.role(inFold: 0) == SplitName.train || item.role(inFold: 0) == nil {
                return item
            }
        }
        return nil
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        let pass = Pass(epoch: epoch, fold: 0)
        guard let original = try find(inputs["original"]!, pass: pass, id: itemId) else {
            throw ItemError("no item \(itemId ?? "with the train role") to draw")
        }
        guard let augmented = try find(inputs["augmented"]!, pass: pass, id: original.id) else {
            throw ItemError("item \(original.id) did not reach the augmented input")
        }
        let a = try original.payload(as: SpectrumPayload.self)
        let b = try augmented.payload(as: SpectrumPayload.self)
        guard a.frames == b.frames, a.bins == b.bins else {
            throw ItemError("the two inputs differ in shape (\(a.frames)×\(a.bins) vs \(b.frames)×\(b.bins)); connect inputs of the same length")
        }
        let difference = zip(b.values, a.values).map { $0 - $1 }
        let low = min(a.values.min() ?? 0, b.values.min() ?? 0)
        let high = max(a.values.max() ?? 1, b.values.max() ?? 1)
        let span = max(difference.map(abs).max() ?? 1, 1e-6)
        let panelWidth = 520.0
        let panelHeight = 150.0
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(panelWidth + 90))" height="\(Int(3 * (panelHeight + 40) + 30))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="70" y="18" font-size="13" font-weight="bold">\(SVGCharts.escape(original.id)) (\(original.label ?? "unlabelled")): \(a.bins) Mel bands × \(a.frames) frames</text>

            """
        let panels: [(String, [Float], ClosedRange<Float>, Bool)] = [
            ("Mel spectrogram (normalised log-Mel)", a.values, low...high, false),
            ("Augmented: time shift, frequency mask, time mask (epoch \(epoch + 1))", b.values, low...high, false),
            ("Difference (augmented − original)", difference, -span...span, true),
        ]
        for (index, panel) in panels.enumerated() {
            let y = 30 + Double(index) * (panelHeight + 40)
            svg += "<text x=\"70\" y=\"\(y + 14)\">\(SVGCharts.escape(panel.0))</text>\n"
            svg += SVGCharts.heatMap(values: panel.1, frames: a.frames, bins: a.bins, x: 70, y: y + 20, width: panelWidth,
                                     height: panelHeight, range: panel.2, diverging: panel.3)
            svg += "<text x=\"62\" y=\"\(y + 24)\" text-anchor=\"end\">\(a.bins)</text><text x=\"62\" y=\"\(y + 20 + panelHeight)\" text-anchor=\"end\">0</text>\n"
        }
        svg += "<text x=\"\(70 + panelWidth / 2)\" y=\"\(3 * (panelHeight + 40) + 22)\" text-anchor=\"middle\">frames (10 ms)</text>\n</svg>\n"
        try FileManager.default.createDirectory(atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(svg.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        let changed = difference.filter { $0 != 0 }.count
        let summary: JSON = ["file": .string(out), "item": .string(original.id), "changedCells": .int(changed), "cells": .int(difference.count)]
        context.addReportSection(nodeId, summary)
        return ["report": ArrayStream([Item(id: nodeId, payload: ReportPayload(summary))])]
    }
}
