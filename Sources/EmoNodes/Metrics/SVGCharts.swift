import Foundation

/// Small, dependency-free SVG pictures for reports.
enum SVGCharts {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A confusion matrix as a heat map, rows = truth, columns = prediction, each row shaded by its
    /// share of the row's items, with the counts written in.
    static func confusionMatrix(labels: [String], confusion: [[Int]], title: String) -> String {
        let cell = 46.0
        let left = 110.0
        let top = 70.0
        let size = Double(labels.count) * cell
        let width = max(left + size + 20, left + 8 * Double(title.count) + 20)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(top + size + 40))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="14" font-weight="bold">\(escape(title))</text>
            <text x="\(left + size / 2)" y="\(top + size + 30)" text-anchor="middle">predicted</text>
            <text x="14" y="\(top + size / 2)" transform="rotate(-90 14 \(top + size / 2))" text-anchor="middle">true</text>

            """
        for (row, counts) in confusion.enumerated() {
            let rowTotal = max(counts.reduce(0, +), 1)
            svg += "<text x=\"\(left - 6)\" y=\"\(top + Double(row) * cell + cell / 2 + 4)\" text-anchor=\"end\">\(escape(labels[row]))</text>\n"
            for (column, count) in counts.enumerated() {
                let share = Double(count) / Double(rowTotal)
                let shade = Int(255 - share * 200)
                let x = left + Double(column) * cell
                let y = top + Double(row) * cell
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#999\"/>\n"
                svg += "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" fill=\"\(share > 0.6 ? "white" : "black")\">\(count)</text>\n"
            }
        }
        for (column, label) in labels.enumerated() {
            let x = left + Double(column) * cell + cell / 2
            svg += "<text x=\"\(x)\" y=\"\(top - 8)\" text-anchor=\"start\" transform=\"rotate(-40 \(x) \(top - 8))\">\(escape(label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Line charts of named series over epochs (e.g. training loss, training and validation accuracy).
    static func curves(title: String, series: [(name: String, values: [Double])], yLabel: String, yRange: ClosedRange<Double>? = nil) -> String {
        let width = 560.0
        let height = 300.0
        let left = 60.0
        let bottom = 40.0
        let plotWidth = width - left - 20
        let plotHeight = height - bottom - 40
        let all = series.flatMap(\.values).filter(\.isFinite)
        let low = yRange?.lowerBound ?? (all.min() ?? 0)
        let high = yRange?.upperBound ?? max((all.max() ?? 1), low + 1e-9)
        let epochs = max(series.map(\.values.count).max() ?? 1, 2)
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
        func x(_ index: Int) -> Double { left + Double(index) / Double(epochs - 1) * plotWidth }
        func y(_ value: Double) -> Double { 40 + (1 - (value - low) / (high - low)) * plotHeight }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="13" font-weight="bold">\(escape(title))</text>
            <line x1="\(left)" y1="\(40 + plotHeight)" x2="\(left + plotWidth)" y2="\(40 + plotHeight)" stroke="black"/>
            <line x1="\(left)" y1="40" x2="\(left)" y2="\(40 + plotHeight)" stroke="black"/>
            <text x="\(left + plotWidth / 2)" y="\(height - 8)" text-anchor="middle">epoch</text>
            <text x="14" y="\(40 + plotHeight / 2)" transform="rotate(-90 14 \(40 + plotHeight / 2))" text-anchor="middle">\(escape(yLabel))</text>

            """
        for tick in 0...4 {
            let value = low + (high - low) * Double(tick) / 4
            svg += "<text x=\"\(left - 4)\" y=\"\(y(value) + 4)\" text-anchor=\"end\">\(String(format: "%.2f", value))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(y(value))\" x2=\"\(left + plotWidth)\" y2=\"\(y(value))\" stroke=\"#eee\"/>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(40 + plotHeight + 14)\" text-anchor=\"middle\">1</text>\n"
        svg += "<text x=\"\(left + plotWidth)\" y=\"\(40 + plotHeight + 14)\" text-anchor=\"middle\">\(epochs)</text>\n"
        for (index, entry) in series.enumerated() {
            let colour = colours[index % colours.count]
            let points = entry.values.enumerated().filter { $0.element.isFinite }
                .map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            svg += "<text x=\"\(left + plotWidth - 150)\" y=\"\(52 + Double(index) * 14)\" fill=\"\(colour)\">\(escape(entry.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A spectrogram-like matrix (bins × frames, low bins at the bottom) as a grey-scale image of
    /// rectangles, for the paper's Figure 1 style panels.
    static func heatMap(values: [Float], frames: Int, bins: Int, x: Double, y: Double, width: Double, height: Double,
                        range: ClosedRange<Float>, diverging: Bool = false) -> String {
        let columnStep = max(1, frames / 300)
        let cellWidth = width / Double((frames + columnStep - 1) / columnStep)
        let cellHeight = height / Double(bins)
        var svg = ""
        for frame in stride(from: 0, to: frames, by: columnStep) {
            for bin in 0..<bins {
                let value = values[frame * bins + bin]
                let t = Double((min(max(value, range.lowerBound), range.upperBound) - range.lowerBound) / (range.upperBound - range.lowerBound))
                let colour: String
                if diverging {
                    let r = Int(t > 0.5 ? 255 : 255 * (2 * t))
                    let b = Int(t < 0.5 ? 255 : 255 * (2 - 2 * t))
                    let g = min(r, b)
                    colour = "rgb(\(r),\(g),\(b))"
                } else {
                    let r = Int(255 * min(1, 1.5 * t))
                    let g = Int(255 * max(0, min(1, 1.5 * t - 0.5)))
                    let b = Int(255 * max(0, 0.5 - t) + 80 * t)
                    colour = "rgb(\(r),\(g),\(b))"
                }
                let px = x + Double(frame / columnStep) * cellWidth
                let py = y + height - Double(bin + 1) * cellHeight
                svg += "<rect x=\"\(String(format: "%.2f", px))\" y=\"\(String(format: "%.2f", py))\" width=\"\(String(format: "%.2f", cellWidth + 0.3))\" height=\"\(String(format: "%.2f", cellHeight + 0.3))\" fill=\"\(colour)\"/>"
            }
            svg += "\n"
        }
        return svg
    }
}
