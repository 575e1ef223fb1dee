import CJSONC

/// A JSON syntax error with its place in the text.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    /// 1-based line of the first character json-c could not accept.
    public var line: Int
    /// 1-based column (in characters) on that line.
    public var column: Int
    /// json-c's description of the problem.
    public var reason: String

    public var description: String { "line \(line), column \(column): \(reason)" }
}

extension JSON {
    /// Parses UTF-8 JSON text with json-c.
    ///
    /// Throws ``JSONSyntaxError`` with the line and column where parsing stopped, for empty text too.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSON {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            throw JSONSyntaxError(line: 1, column: 1, reason: "the text is empty; expected a JSON value")
        }
        guard let tokener = json_tokener_new_ex(64) else {
            throw JSONSyntaxError(line: 1, column: 1, reason: "json-c could not allocate a tokener")
        }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, Int32(JSON_TOKENER_STRICT))
        let root: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                json_tokener_parse_ex(tokener, $0.baseAddress, Int32($0.count))
            }
        }
        var error = json_tokener_get_error(tokener)
        var end = Int(json_tokener_get_parse_end(tokener))
        if error == json_tokener_continue {
            error = json_tokener_error_parse_eof
            end = bytes.count
        }
        guard error == json_tokener_success, let root else {
            let reason = String(cString: json_tokener_error_desc(error))
            let (line, column) = lineAndColumn(of: min(end, bytes.count), in: bytes)
            throw JSONSyntaxError(line: line, column: column, reason: reason)
        }
        defer { json_object_put(root) }
        if let extra = bytes[end...].firstIndex(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) {
            let (line, column) = lineAndColumn(of: extra, in: bytes)
            throw JSONSyntaxError(line: line, column: column, reason: "unexpected text after the JSON value")
        }
        return JSON(copying: root)
    }

    /// Builds a Swift value from a json-c object tree (the tree stays owned by the caller).
    private init(copying object: OpaquePointer?) {
        guard let object else {
            self = .null
            return
        }
        switch json_object_get_type(object) {
        case json_type_null: self = .null
        case json_type_boolean: self = .bool(json_object_get_boolean(object) != 0)
        case json_type_int: self = .int(Int(json_object_get_int64(object)))
        case json_type_double: self = .double(json_object_get_double(object))
        case json_type_string:
            let length = Int(json_object_get_string_len(object))
            let pointer = json_object_get_string(object)!
            self = .string(
                pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                })
        case json_type_array:
            let count = json_object_array_length(object)
            self = .array((0..<count).map { JSON(copying: json_object_array_get_idx(object, $0)) })
        case json_type_object:
            var result = JSONObject()
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&iterator))
                result[key] = JSON(copying: json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
            self = .object(result)
        default: self = .null
        }
    }

    private static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in bytes[..<offset] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}

extension JSON {
    /// Serialises with json-c: pretty (two-space indent) or compact, `/` not escaped.
    ///
    /// Doubles are written in Swift's shortest round-trip form; non-finite doubles become `null`.
    public func serialized(pretty: Bool = true) -> String {
        let object = makeCObject()
        defer { json_object_put(object) }
        var flags = JSON_C_TO_STRING_NOSLASHESCAPE
        flags |= pretty ? (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) : JSON_C_TO_STRING_PLAIN
        guard let text = json_object_to_json_string_ext(object, Int32(flags)) else { return "null" }
        var result = String(cString: text)
        if pretty { result = result.replacingTwoSpaceIndent() }
        return result
    }

    private func makeCObject() -> OpaquePointer? {
        switch self {
        case .null: return nil
        case .bool(let b): return json_object_new_boolean(b ? 1 : 0)
        case .int(let i): return json_object_new_int64(Int64(i))
        case .double(let d):
            guard d.isFinite else { return nil }
            let text = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) + ".0" : "\(d)"
            return json_object_new_double_s(d, text)
        case .string(let s): return json_object_new_string_len(s, Int32(s.utf8.count))
        case .array(let elements):
            let array = json_object_new_array_ext(Int32(elements.count))
            for element in elements { json_object_array_add(array, element.makeCObject()) }
            return array
        case .object(let members):
            let object = json_object_new_object()
            for (key, value) in members { json_object_object_add(object, key, value.makeCObject()) }
            return object
        }
    }
}

extension String {
    /// json-c's pretty printer indents with two spaces but leaves a trailing space after `[` and `{`
    /// in spaced mode; this trims trailing spaces on every line.
    fileprivate func replacingTwoSpaceIndent() -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in
                var l = Substring(line)
                while l.last == " " { l = l.dropLast() }
                return String(l)
            }
            .joined(separator: "\n")
    }
}
