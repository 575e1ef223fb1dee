import EmoCore
import EmoJSON

// The JSON that crosses the plugin ABI: node descriptors (as `emohr nodes --json` prints them),
// stream formats, items and errors. Both sides use these functions, so they round-trip.

/// JSON that could not be read back into the value it should describe.
public struct PluginJSONError: Error, CustomStringConvertible, Sendable {
    /// What was missing or malformed.
    public var message: String
    /// An error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension NodeDescriptor {
    /// Reads a descriptor written by `json` (`emohr nodes --json`).
    public init(pluginJSON json: JSON) throws(PluginJSONError) {
        guard let type = json["type"]?.stringValue, let roleName = json["role"]?.stringValue,
            let role = NodeRole(rawValue: roleName)
        else { throw PluginJSONError("a node descriptor needs a type and a role (source, map or stream)") }
        func ports(_ key: String) throws(PluginJSONError) -> [PortSpec] {
            var result: [PortSpec] = []
            for port in json[key]?.arrayValue ?? [] {
                guard let name = port["name"]?.stringValue, let typeName = port["type"]?.stringValue,
                    let portType = PortType(rawValue: typeName)
                else {
                    throw PluginJSONError(
                        "\(type): a port in \(key) needs a name and a type (\(PortType.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                result.append(
                    PortSpec(name, portType, required: port["required"]?.boolValue ?? true, summary: port["summary"]?.stringValue ?? ""))
            }
            return result
        }
        var parameters: [ParameterSpec] = []
        for parameter in json["parameters"]?.arrayValue ?? [] {
            parameters.append(try ParameterSpec(pluginJSON: parameter, node: type))
        }
        self.init(
            type: type, summary: json["summary"]?.stringValue ?? "", details: json["details"]?.stringValue ?? "", role: role,
            inputs: try ports("inputs"), outputs: try ports("outputs"), parameters: parameters,
            stochastic: json["stochastic"]?.boolValue ?? false, multiPass: json["multiPass"]?.boolValue ?? false,
            version: json["version"]?.intValue ?? 1, example: json["example"]?.stringValue ?? "")
    }
}

extension ParameterSpec {
    /// Reads a parameter written by `json`.
    public init(pluginJSON json: JSON, node: String = "") throws(PluginJSONError) {
        guard let name = json["name"]?.stringValue, let kindName = json["kind"]?.stringValue else {
            throw PluginJSONError("\(node): a parameter needs a name and a kind")
        }
        let kind: ParameterKind
        if let choices = json["choices"]?.arrayValue {
            kind = .choice(choices.compactMap(\.stringValue))
        } else {
            let kinds: [ParameterKind] = [.integer, .number, .boolean, .string, .path, .stringList, .numberList, .object]
            guard let match = kinds.first(where: { $0.name == kindName }) else {
                throw PluginJSONError("\(node).\(name): unknown parameter kind \"\(kindName)\"")
            }
            kind = match
        }
        // Spelled out: a `nil` literal in a closure would become JSON.null (JSON is ExpressibleByNilLiteral).
        var defaultValue: JSON? = nil
        if let value = json["default"], !value.isNull { defaultValue = value }
        let required = json["required"]?.boolValue ?? (defaultValue == nil)
        self.init(
            name, kind, default: defaultValue, unit: json["unit"]?.stringValue, minimum: json["minimum"]?.doubleValue,
            optional: defaultValue == nil && !required, summary: json["summary"]?.stringValue ?? "")
        maximum = json["maximum"]?.doubleValue
    }
}

extension EvaluationSpec {
    /// Reads a protocol written by `json`; nil when a field is missing.
    public init?(pluginJSON json: JSON) {
        guard let name = json["name"]?.stringValue, let independent = json["speakerIndependent"]?.boolValue,
            let folds = json["folds"]?.intValue, let validation = json["validation"]?.stringValue
        else { return nil }
        self.init(name: name, speakerIndependent: independent, folds: folds, validation: validation)
    }
}

extension StreamFormat {
    /// The format as JSON (every field; absent ones left out).
    public var pluginJSON: JSON {
        var object: JSONObject = ["type": .string(type.rawValue), "hasSplits": .bool(hasSplits)]
        if let sampleRate { object["sampleRate"] = .int(sampleRate) }
        if let spectrum { object["spectrum"] = spectrum.json }
        if let labels { object["labels"] = .array(labels.map(JSON.string)) }
        if let evaluation { object["evaluation"] = evaluation.json }
        if extra.count > 0 { object["extra"] = .object(extra) }
        return .object(object)
    }

    /// Reads a format written by `pluginJSON`.
    public init(pluginJSON json: JSON) throws(PluginJSONError) {
        guard let typeName = json["type"]?.stringValue, let type = PortType(rawValue: typeName) else {
            throw PluginJSONError("a stream format needs a type (\(PortType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var spectrum: SpectrumSpec?
        if let spec = json["spectrum"], !spec.isNull {
            guard let decoded = SpectrumSpec(json: spec) else {
                throw PluginJSONError("a spectrum spec needs kind, bins, hop, windowLength, fftSize, window and sampleRate")
            }
            spectrum = decoded
        }
        self.init(
            type, sampleRate: json["sampleRate"]?.intValue, spectrum: spectrum,
            labels: json["labels"]?.arrayValue?.compactMap(\.stringValue),
            evaluation: json["evaluation"].flatMap(EvaluationSpec.init(pluginJSON:)),
            hasSplits: json["hasSplits"]?.boolValue ?? false, extra: json["extra"]?.objectValue ?? JSONObject())
    }

    /// Formats by port as one JSON object.
    public static func pluginJSON(_ formats: [String: StreamFormat]) -> JSON {
        .object(JSONObject(formats.sorted { $0.key < $1.key }.map { ($0.key, $0.value.pluginJSON) }))
    }

    /// Formats by port from one JSON object.
    public static func formats(pluginJSON json: JSON) throws(PluginJSONError) -> [String: StreamFormat] {
        guard let object = json.objectValue else { throw PluginJSONError("stream formats must be a JSON object by port") }
        var result: [String: StreamFormat] = [:]
        for (port, value) in object { result[port] = try StreamFormat(pluginJSON: value) }
        return result
    }
}

/// The errors a plugin can report, as JSON: `{"kind": "parameter"|"format"|"item"|"other", …}`, so
/// the host raises the same error type a built-in node would.
public enum PluginErrorJSON {
    /// The error as JSON.
    public static func encode(_ error: any Error) -> JSON {
        switch error {
        case let error as ParameterError:
            var object: JSONObject = ["kind": "parameter", "message": .string(error.message)]
            if let parameter = error.parameter { object["parameter"] = .string(parameter) }
            if let hint = error.hint { object["hint"] = .string(hint) }
            return .object(object)
        case let error as FormatError:
            var object: JSONObject = ["kind": "format", "port": .string(error.port), "expected": .string(error.expected)]
            if let detail = error.detail { object["detail"] = .string(detail) }
            return .object(object)
        case let error as ItemError:
            return ["kind": "item", "message": .string(error.reason), "code": .string(error.code)]
        default:
            return ["kind": "other", "message": .string(String(describing: error))]
        }
    }

    /// The error the JSON describes (an `ItemError`, `ParameterError`, `FormatError` or `PluginFailure`).
    public static func decode(_ text: String, plugin: String) -> any Error {
        guard let json = try? JSON.parse(text), let kind = json["kind"]?.stringValue else {
            return PluginFailure(plugin: plugin, text)
        }
        let message = json["message"]?.stringValue ?? "(no message)"
        switch kind {
        case "parameter":
            return ParameterError(parameter: json["parameter"]?.stringValue, message, hint: json["hint"]?.stringValue)
        case "format":
            return FormatError(
                port: json["port"]?.stringValue ?? "?", expected: json["expected"]?.stringValue ?? "?",
                detail: json["detail"]?.stringValue)
        case "item":
            return ItemError(message, code: json["code"]?.stringValue ?? "failed")
        default:
            return PluginFailure(plugin: plugin, message)
        }
    }
}

/// A failure inside a plugin that is not one of the engine's error types.
public struct PluginFailure: Error, CustomStringConvertible, Sendable {
    /// The plugin's name.
    public var plugin: String
    /// What it said.
    public var message: String
    /// A failure.
    public init(plugin: String, _ message: String) {
        self.plugin = plugin
        self.message = message
    }
    public var description: String { "plugin \(plugin): \(message)" }
}

/// The item JSON the host sends to `process`, and the one the plugin sends back.
public enum PluginItemJSON {
    /// Item id, metadata, source path (utterances), and the context a stochastic node draws from.
    public static func encode(_ item: Item, path: String?, context: ItemContext) -> JSON {
        var object: JSONObject = [
            "id": .string(item.id),
            "metadata": .object(JSONObject(item.metadata.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            "nodeId": .string(context.nodeId), "epoch": .int(context.pass.epoch), "fold": .int(context.pass.fold),
            // A UInt64 does not fit json-c's int64; the decimal text does.
            "seed": .string(String(context.seed)),
        ]
        if let path { object["path"] = .string(path) }
        return .object(object)
    }

    /// The metadata in an item JSON.
    public static func metadata(_ json: JSON) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in json["metadata"]?.objectValue ?? JSONObject() { result[key] = value.stringValue ?? "" }
        return result
    }
}
