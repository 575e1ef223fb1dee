import EmoJSON

/// A node's validated parameter values, defaults filled in and paths made absolute.
///
/// Accessors assume the value was validated against the node's ``ParameterSpec``s; asking for an
/// undeclared name, or with the wrong kind, is a programmer error.
public struct Parameters: Sendable {
    /// Values by name.
    public private(set) var values: [String: JSON]

    /// Parameters with these values (tests and plugins; pipelines get theirs from validation).
    public init(_ values: [String: JSON] = [:]) { self.values = values }

    /// Parameters from the declared defaults, overridden by `values`.
    public init(defaultsOf descriptor: NodeDescriptor, overriding values: [String: JSON] = [:]) {
        var filled: [String: JSON] = [:]
        for spec in descriptor.parameters { if let value = spec.defaultValue { filled[spec.name] = value } }
        for (key, value) in values { filled[key] = value }
        self.values = filled
    }

    /// The raw value, or nil when unset.
    public subscript(name: String) -> JSON? { values[name] }

    /// True when the parameter has a value that is not `null`.
    public func has(_ name: String) -> Bool { values[name].map { !$0.isNull } ?? false }

    public func int(_ name: String) -> Int { required(name).intValue ?? precondition(name, "integer") }
    public func double(_ name: String) -> Double { required(name).doubleValue ?? precondition(name, "number") }
    public func bool(_ name: String) -> Bool { required(name).boolValue ?? precondition(name, "boolean") }
    public func string(_ name: String) -> String { required(name).stringValue ?? precondition(name, "string") }
    public func stringList(_ name: String) -> [String] {
        required(name).arrayValue?.compactMap(\.stringValue) ?? precondition(name, "list of strings")
    }
    public func doubleList(_ name: String) -> [Double] {
        required(name).arrayValue?.compactMap(\.doubleValue) ?? precondition(name, "list of numbers")
    }
    public func object(_ name: String) -> JSONObject { required(name).objectValue ?? precondition(name, "object") }

    /// The integer, or nil when unset or null.
    public func optionalInt(_ name: String) -> Int? { has(name) ? int(name) : nil }
    /// The number, or nil when unset or null.
    public func optionalDouble(_ name: String) -> Double? { has(name) ? double(name) : nil }
    /// The string, or nil when unset or null.
    public func optionalString(_ name: String) -> String? { has(name) ? string(name) : nil }

    private func required(_ name: String) -> JSON {
        guard let value = values[name] else { Swift.preconditionFailure("parameter \(name) has no value") }
        return value
    }

    private func precondition<T>(_ name: String, _ kind: String) -> T {
        Swift.preconditionFailure("parameter \(name) is not a \(kind): \(values[name] ?? .null)")
    }
}
