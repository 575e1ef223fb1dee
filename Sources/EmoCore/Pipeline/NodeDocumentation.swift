import EmoJSON

extension ParameterSpec {
    /// The declaration as JSON (for `emohr nodes --json`).
    public var json: JSON {
        var object: JSONObject = ["name": .string(name), "kind": .string(kind.name), "summary": .string(summary)]
        if case .choice(let options) = kind { object["choices"] = .array(options.map(JSON.string)) }
        object["default"] = defaultValue ?? .null
        object["required"] = .bool(isRequired)
        if let unit { object["unit"] = .string(unit) }
        if let minimum { object["minimum"] = .double(minimum) }
        if let maximum { object["maximum"] = .double(maximum) }
        return .object(object)
    }

    /// A JSON Schema fragment for the value.
    var schema: JSON {
        var object: JSONObject = ["description": .string(summary)]
        let argument: JSON = ["type": "string", "pattern": "^\\$[A-Za-z_][A-Za-z0-9_]*$"]
        let base: JSONObject
        switch kind {
        case .integer: base = ["type": "integer"]
        case .number: base = ["type": "number"]
        case .boolean: base = ["type": "boolean"]
        case .string, .path: base = ["type": "string"]
        case .choice(let options): base = ["enum": .array(options.map(JSON.string))]
        case .stringList: base = ["type": "array", "items": ["type": "string"]]
        case .numberList: base = ["type": "array", "items": ["type": "number"]]
        case .object: base = ["type": "object"]
        }
        var typed = base
        if let minimum { typed["minimum"] = .double(minimum) }
        if let maximum { typed["maximum"] = .double(maximum) }
        object["anyOf"] = [.object(typed), argument]
        if let defaultValue { object["default"] = defaultValue }
        return .object(object)
    }
}

extension NodeDescriptor {
    /// The declaration as JSON (for `emohr nodes --json`).
    public var json: JSON {
        func ports(_ list: [PortSpec]) -> JSON {
            .array(list.map { ["name": .string($0.name), "type": .string($0.type.rawValue), "required": .bool($0.required),
                               "summary": .string($0.summary)] })
        }
        return [
            "type": .string(type), "summary": .string(summary), "details": .string(details), "role": .string(role.rawValue),
            "stochastic": .bool(stochastic), "multiPass": .bool(multiPass), "version": .int(version),
            "inputs": ports(inputs), "outputs": ports(outputs), "parameters": .array(parameters.map(\.json)),
            "example": .string(example),
        ]
    }

    /// Text for `emohr nodes TYPE`: ports with types, parameters with defaults, units and ranges.
    public var text: String {
        var lines = ["\(type) — \(summary)"]
        if !details.isEmpty { lines.append(""); lines.append(details) }
        lines.append("")
        lines.append("role: \(role.rawValue)\(stochastic ? ", stochastic" : "")\(multiPass ? ", reads its input several times" : "")")
        if !inputs.isEmpty {
            lines.append("inputs:")
            for port in inputs {
                lines.append("  \(port.name): \(port.type.rawValue)\(port.required ? "" : " (optional)") — \(port.summary)")
            }
        }
        if !outputs.isEmpty {
            lines.append("outputs:")
            for port in outputs { lines.append("  \(port.name): \(port.type.rawValue) — \(port.summary)") }
        }
        if !parameters.isEmpty {
            lines.append("parameters:")
            for spec in parameters {
                var detail = spec.kind.name
                if let value = spec.defaultValue { detail += ", default \(value.serialized(pretty: false))" }
                else if spec.isRequired { detail += ", required" }
                if let range = spec.rangeDescription { detail += ", \(range)" } else if let unit = spec.unit { detail += ", \(unit)" }
                lines.append("  \(spec.name) (\(detail)) — \(spec.summary)")
            }
        }
        if !example.isEmpty { lines.append("example:"); lines.append("  " + example) }
        return lines.joined(separator: "\n")
    }

    /// A Markdown section for `docs/nodes.md`.
    public var markdown: String {
        var lines = ["## `\(type)`", "", summary, ""]
        if !details.isEmpty { lines += [details, ""] }
        lines.append("Role: \(role.rawValue)\(stochastic ? " (stochastic)" : "")\(multiPass ? " (reads its input several times)" : "").")
        lines.append("")
        if !inputs.isEmpty || !outputs.isEmpty {
            lines += ["| port | direction | type | summary |", "|---|---|---|---|"]
            for port in inputs { lines.append("| `\(port.name)` | in | \(port.type.rawValue) | \(port.summary) |") }
            for port in outputs { lines.append("| `\(port.name)` | out | \(port.type.rawValue) | \(port.summary) |") }
            lines.append("")
        }
        if !parameters.isEmpty {
            lines += ["| parameter | kind | default | range / unit | summary |", "|---|---|---|---|---|"]
            for spec in parameters {
                let value = spec.defaultValue.map { "`\($0.serialized(pretty: false))`" } ?? (spec.isRequired ? "required" : "–")
                let range = spec.rangeDescription ?? spec.unit ?? ""
                lines.append("| `\(spec.name)` | \(spec.kind.name) | \(value) | \(range) | \(spec.summary) |")
            }
            lines.append("")
        }
        if !example.isEmpty { lines += ["```json", example, "```", ""] }
        return lines.joined(separator: "\n")
    }
}

extension NodeRegistry {
    /// A JSON Schema (draft 2020-12) for pipeline files using these node types.
    public var pipelineSchema: JSON {
        var variants: [JSON] = []
        for descriptor in descriptors {
            var params = JSONObject()
            for spec in descriptor.parameters { params[spec.name] = spec.schema }
            var inputs = JSONObject()
            for port in descriptor.inputs {
                inputs[port.name] = ["type": "string", "description": .string("\(port.type.rawValue): \(port.summary)"),
                                     "pattern": "^[^.]+(\\.[^.]+)?$"]
            }
            let required = descriptor.parameters.filter(\.isRequired).map { JSON.string($0.name) }
            variants.append([
                "description": .string(descriptor.summary),
                "properties": [
                    "type": ["const": .string(descriptor.type)],
                    "params": ["type": "object", "properties": .object(params), "additionalProperties": false,
                               "required": .array(required)],
                    "inputs": ["type": "object", "properties": .object(inputs), "additionalProperties": false],
                ],
            ])
        }
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "emohr pipeline",
            "type": "object",
            "required": ["schemaVersion", "nodes"],
            "properties": [
                "$schema": ["type": "string"],
                "schemaVersion": ["const": 1],
                "name": ["type": "string"],
                "summary": ["type": "string"],
                "report": ["type": "string", "description": "where the run report goes"],
                "arguments": [
                    "type": "object",
                    "additionalProperties": ["type": "object", "properties": ["summary": ["type": "string"], "default": [:]]],
                ],
                "nodes": [
                    "type": "array",
                    "items": [
                        "type": "object", "required": ["id", "type"],
                        "properties": [
                            "id": ["type": "string"], "type": ["type": "string"], "summary": ["type": "string"],
                            "onError": ["enum": ["fail", "skip"]], "params": ["type": "object"], "inputs": ["type": "object"],
                        ],
                        "additionalProperties": false,
                        "oneOf": .array(variants),
                    ],
                ],
            ],
            "additionalProperties": false,
        ]
    }
}
