import EmoJSON

/// The kind of value a parameter takes.
public enum ParameterKind: Sendable, Equatable {
    case integer
    case number
    case boolean
    case string
    /// One of a fixed list of strings.
    case choice([String])
    /// A file or folder path; relative paths resolve against the pipeline file's folder
    /// (or the working directory, for values given with `--arg`).
    case path
    /// A list of strings.
    case stringList
    /// A list of numbers.
    case numberList
    /// Any JSON object (a model config, say), validated by the node itself.
    case object

    /// Name used in messages, docs and the JSON Schema.
    public var name: String {
        switch self {
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .string: "string"
        case .choice(let options): "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        case .path: "path"
        case .stringList: "list of strings"
        case .numberList: "list of numbers"
        case .object: "object"
        }
    }
}

/// A declared parameter: the single source of truth for validation, `emohr nodes`, the schema and docs.
public struct ParameterSpec: Sendable {
    /// Name, the same in Swift and JSON (`melBands`, `hopLength`).
    public var name: String
    /// Kind of value.
    public var kind: ParameterKind
    /// Default value; nil means the parameter is required (or optional with no value, see `optional`).
    public var defaultValue: JSON?
    /// Unit for numbers (`Hz`, `samples`, `frames`, `dB`), if any.
    public var unit: String?
    /// Smallest allowed value for numbers (inclusive).
    public var minimum: Double?
    /// Largest allowed value for numbers (inclusive).
    public var maximum: Double?
    /// One-line summary.
    public var summary: String
    /// True when the parameter may be left out without a default.
    public var optional: Bool

    /// A parameter declaration.
    public init(
        _ name: String, _ kind: ParameterKind, default defaultValue: JSON? = nil, unit: String? = nil,
        range: ClosedRange<Double>? = nil, minimum: Double? = nil, optional: Bool = false, summary: String
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.unit = unit
        self.minimum = range?.lowerBound ?? minimum
        self.maximum = range?.upperBound
        self.optional = optional
        self.summary = summary
    }

    /// True when the pipeline must give a value.
    public var isRequired: Bool { defaultValue == nil && !optional }

    /// Checks one value; returns the problem in words, or nil when it is acceptable.
    public func problem(with value: JSON) -> String? {
        switch kind {
        case .integer:
            guard let number = value.intValue else { return "expects an integer, got \(value.kindDescription)" }
            return rangeProblem(Double(number))
        case .number:
            guard let number = value.doubleValue else { return "expects a number, got \(value.kindDescription)" }
            return rangeProblem(number)
        case .boolean:
            return value.boolValue == nil ? "expects true or false, got \(value.kindDescription)" : nil
        case .string, .path:
            return value.stringValue == nil ? "expects a string, got \(value.kindDescription)" : nil
        case .choice(let options):
            guard let text = value.stringValue else { return "expects \(kind.name), got \(value.kindDescription)" }
            return options.contains(text) ? nil : "expects \(kind.name), got \"\(text)\""
        case .stringList:
            guard let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                return "expects a list of strings, got \(value.kindDescription)"
            }
            return nil
        case .numberList:
            guard let list = value.arrayValue, list.allSatisfy({ $0.doubleValue != nil }) else {
                return "expects a list of numbers, got \(value.kindDescription)"
            }
            return nil
        case .object:
            return value.objectValue == nil ? "expects an object, got \(value.kindDescription)" : nil
        }
    }

    private func rangeProblem(_ number: Double) -> String? {
        let unitText = unit.map { " \($0)" } ?? ""
        if let minimum, number < minimum {
            return "is \(Self.format(number))\(unitText), below the minimum \(Self.format(minimum))\(unitText)"
        }
        if let maximum, number > maximum {
            return "is \(Self.format(number))\(unitText), above the maximum \(Self.format(maximum))\(unitText)"
        }
        return nil
    }

    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }

    /// The allowed range in words (`1 … 512 frames`), or nil.
    public var rangeDescription: String? {
        guard minimum != nil || maximum != nil else { return nil }
        let low = minimum.map(Self.format) ?? "−∞"
        let high = maximum.map(Self.format) ?? "∞"
        return "\(low) … \(high)" + (unit.map { " \($0)" } ?? "")
    }
}
