import EmoJSON
import Foundation

/// A table read from CSV (with a header row) or JSON lines: one record per row, values as text.
struct TextTable {
    /// Column names in header order (for JSON lines: keys in order of first appearance).
    var columns: [String]
    /// Rows: (line number in the file, values by column). Empty cells are left out.
    var rows: [(line: Int, values: [String: String])]

    /// Reads CSV (RFC 4180: a header row, `,` separators, `"` quoting with `""` escapes, CRLF or LF).
    static func csv(_ text: String, file: String) throws -> TextTable {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var atFieldStart = true
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var index = 0
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
            fields = []
            field = ""
            atFieldStart = true
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if quoted {
                if scalar == "\"" {
                    if index < scalars.count, scalars[index] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case ",":
                fields.append(field)
                field = ""
                atFieldStart = true
            case "\r":
                continue
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
                atFieldStart = false
            }
        }
        if quoted { throw CorpusError("\(file): line \(recordLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let header = records.first else { throw CorpusError("\(file) is empty; it needs a header row") }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [(Int, [String: String])] = []
        for record in records.dropFirst() {
            guard record.fields.count <= columns.count else {
                throw CorpusError("\(file): line \(record.line) has \(record.fields.count) fields but the header has \(columns.count)")
            }
            var values: [String: String] = [:]
            for (column, value) in zip(columns, record.fields) where !value.isEmpty { values[column] = value }
            rows.append((record.line, values))
        }
        return TextTable(columns: columns, rows: rows)
    }

    /// Reads JSON lines: one JSON object per non-empty line; strings kept, numbers and booleans as text.
    static func jsonLines(_ text: String, file: String) throws -> TextTable {
        var columns: [String] = []
        var rows: [(Int, [String: String])] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            let json: JSON
            do {
                json = try JSON.parse(trimmed)
            } catch {
                throw CorpusError("\(file): line \(offset + 1): \(error.reason)")
            }
            guard let object = json.objectValue else {
                throw CorpusError("\(file): line \(offset + 1) is \(json.kindDescription), not an object")
            }
            var values: [String: String] = [:]
            for (key, value) in object {
                if !columns.contains(key) { columns.append(key) }
                if let text = Self.text(value) { values[key] = text }
            }
            rows.append((offset + 1, values))
        }
        return TextTable(columns: columns, rows: rows)
    }

    /// A JSON scalar as text (nil for null and empty strings).
    static func text(_ value: JSON) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text.isEmpty ? nil : text
        case .bool(let flag): return flag ? "true" : "false"
        default:
            if let number = value.intValue { return String(number) }
            if let number = value.doubleValue { return String(number) }
            return value.serialized(pretty: false)
        }
    }
}
