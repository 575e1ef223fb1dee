import EmoJSON

/// A declared pipeline argument (`$root`), set on the command line with `--arg root=…`.
public struct PipelineArgument: Sendable {
    /// Name, used as `$name` or `${name}` in parameter values.
    public var name: String
    /// One-line summary.
    public var summary: String
    /// Value used when none is given.
    public var defaultValue: JSON?
}

/// One entry of `nodes` in a pipeline file, as written.
public struct PipelineNodeEntry: Sendable {
    /// Position in `nodes` (for locations such as `nodes[3]`).
    public var index: Int
    /// Unique id.
    public var id: String
    /// Node type name.
    public var type: String
    /// Parameter values as written.
    public var params: JSONObject
    /// Wiring: input port → `"node.port"`.
    public var inputs: [(port: String, source: String)]
    /// The `onError` policy, if given.
    public var onError: String?
}

/// A pipeline file parsed into its parts, before any meaning is checked.
public struct PipelineDocument: Sendable {
    /// Supported `schemaVersion` values.
    public static let supportedSchemaVersions = [1]

    /// `schemaVersion`.
    public var schemaVersion: Int
    /// `name`.
    public var name: String
    /// `summary`.
    public var summary: String
    /// Declared arguments in file order.
    public var arguments: [PipelineArgument]
    /// Nodes in file order.
    public var nodes: [PipelineNodeEntry]
    /// `report`: where the run report goes (may use arguments), if given.
    public var report: JSON?

    /// Reads the structure of a parsed file, adding a diagnostic for each structural problem.
    /// Returns nil when the file cannot be read further (not an object, unknown schema version).
    static func read(_ json: JSON, diagnostics: inout [Diagnostic]) -> PipelineDocument? {
        guard let root = json.objectValue else {
            diagnostics.append(Diagnostic("", "a pipeline file is a JSON object, got \(json.kindDescription)"))
            return nil
        }
        guard let versionValue = root["schemaVersion"] else {
            diagnostics.append(Diagnostic("schemaVersion", "is missing", hint: "add \"schemaVersion\": 1"))
            return nil
        }
        guard let version = versionValue.intValue, supportedSchemaVersions.contains(version) else {
            diagnostics.append(Diagnostic(
                "schemaVersion", "\(versionValue.serialized(pretty: false)) is not supported",
                hint: "this emohr reads schemaVersion \(supportedSchemaVersions.map(String.init).joined(separator: ", "))"))
            return nil
        }
        let known = ["schemaVersion", "name", "summary", "arguments", "nodes", "report", "$schema"]
        for key in root.keys where !known.contains(key) {
            diagnostics.append(Diagnostic(key, "is not a pipeline field", hint: Suggestion.hint(for: key, among: known)))
        }
        var document = PipelineDocument(
            schemaVersion: version, name: root["name"]?.stringValue ?? "pipeline",
            summary: root["summary"]?.stringValue ?? "", arguments: [], nodes: [], report: root["report"])
        if let name = root["name"], name.stringValue == nil {
            diagnostics.append(Diagnostic("name", "expects a string, got \(name.kindDescription)"))
        }
        if let arguments = root["arguments"] {
            if let object = arguments.objectValue {
                for (name, declaration) in object {
                    let place = "arguments.\(name)"
                    if declaration.objectValue == nil && declaration.stringValue == nil {
                        diagnostics.append(Diagnostic(place, "expects an object with summary and default"))
                        continue
                    }
                    document.arguments.append(PipelineArgument(
                        name: name, summary: declaration["summary"]?.stringValue ?? declaration.stringValue ?? "",
                        defaultValue: declaration["default"]))
                }
            } else {
                diagnostics.append(Diagnostic("arguments", "expects an object, got \(arguments.kindDescription)"))
            }
        }
        guard let nodes = root["nodes"] else {
            diagnostics.append(Diagnostic("nodes", "is missing", hint: "a pipeline lists its nodes in \"nodes\": [ … ]"))
            return document
        }
        guard let list = nodes.arrayValue else {
            diagnostics.append(Diagnostic("nodes", "expects an array, got \(nodes.kindDescription)"))
            return document
        }
        if list.isEmpty { diagnostics.append(Diagnostic("nodes", "is empty")) }
        for (index, value) in list.enumerated() {
            if let entry = readNode(value, index: index, diagnostics: &diagnostics) { document.nodes.append(entry) }
        }
        return document
    }

    private static func readNode(_ value: JSON, index: Int, diagnostics: inout [Diagnostic]) -> PipelineNodeEntry? {
        let place = "nodes[\(index)]"
        guard let object = value.objectValue else {
            diagnostics.append(Diagnostic(place, "expects an object, got \(value.kindDescription)"))
            return nil
        }
        let known = ["id", "type", "params", "inputs", "onError", "summary"]
        for key in object.keys where !known.contains(key) {
            diagnostics.append(Diagnostic("\(place).\(key)", "is not a node field", hint: Suggestion.hint(for: key, among: known)))
        }
        guard let id = object["id"]?.stringValue, !id.isEmpty else {
            diagnostics.append(Diagnostic("\(place).id", "is missing or not a string"))
            return nil
        }
        guard let type = object["type"]?.stringValue else {
            diagnostics.append(Diagnostic("\(place).type", "is missing or not a string"))
            return nil
        }
        var entry = PipelineNodeEntry(index: index, id: id, type: type, params: JSONObject(), inputs: [], onError: nil)
        if let params = object["params"] {
            if let paramsObject = params.objectValue { entry.params = paramsObject } else {
                diagnostics.append(Diagnostic("\(place).params", "expects an object, got \(params.kindDescription)"))
            }
        }
        if let inputs = object["inputs"] {
            if let inputsObject = inputs.objectValue {
                for (port, source) in inputsObject {
                    if let text = source.stringValue { entry.inputs.append((port, text)) } else {
                        diagnostics.append(Diagnostic(
                            "\(place).inputs.\(port)", "expects \"node.port\", got \(source.kindDescription)"))
                    }
                }
            } else {
                diagnostics.append(Diagnostic("\(place).inputs", "expects an object, got \(inputs.kindDescription)"))
            }
        }
        if let policy = object["onError"] {
            let names = ErrorPolicy.allCases.map(\.rawValue)
            if let text = policy.stringValue, names.contains(text) { entry.onError = text } else {
                diagnostics.append(Diagnostic(
                    "\(place).onError", "expects one of \(names.map { "\"\($0)\"" }.joined(separator: ", "))"))
            }
        }
        return entry
    }
}
