import EmoJSON

/// What a node is given when it is built: its id in the pipeline and its validated parameters.
public struct NodeSetup: Sendable {
    /// The node's `id` in the pipeline file.
    public var nodeId: String
    /// Validated parameters, defaults filled in.
    public var parameters: Parameters

    /// A setup.
    public init(nodeId: String, parameters: Parameters) {
        self.nodeId = nodeId
        self.parameters = parameters
    }
}

/// A node type. Its ``NodeDescriptor`` is static data; an instance is built from validated
/// parameters, negotiates formats before anything runs (all cross-parameter and format checks, and
/// all planning such as FFT plans and filterbanks), then processes items.
public protocol Node: AnyObject, SendableMetatype {
    /// The declaration: type name, ports, parameters.
    static var descriptor: NodeDescriptor { get }

    /// Builds the node. Throw ``ParameterError`` for problems that involve several parameters.
    init(setup: NodeSetup) throws

    /// Given the formats arriving on each connected input, returns the format of each output.
    /// Throw ``FormatError`` when an input's format is not acceptable.
    func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat]
}

/// A node that produces a stream from its parameters alone (a corpus reader).
public protocol SourceNode: Node {
    /// Lists the items; called once per pass over the stream. Errors here stop the run.
    func makeItems(context: RunContext) throws -> ItemSequence
}

/// A node that maps one item to one item. It runs over items in parallel, so it must be `Sendable`:
/// configuration is fixed after `negotiate`, and `process` keeps its scratch space local.
public protocol MapNode: Node, Sendable {
    /// Transforms one item. Throw ``ItemError`` for a problem with this item (it is then skipped
    /// or stops the run, as the node's `onError` policy says).
    func process(_ item: Item, context: ItemContext) throws -> Item
}

/// A node that reads whole streams (split, training, metrics, writers) and returns output streams.
public protocol StreamNode: Node {
    /// Reads the inputs and returns a stream for each output port.
    func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream]
}

/// A sequence of items from a source: a count when known (for progress) and a pull function.
public struct ItemSequence {
    /// Number of items, if known ahead.
    public var count: Int?
    /// Returns the next item, or nil at the end.
    public var next: () throws -> Item?

    /// A sequence from a pull function.
    public init(count: Int?, next: @escaping () throws -> Item?) {
        self.count = count
        self.next = next
    }

    /// A sequence over an array.
    public init(_ items: [Item]) {
        var index = 0
        self.count = items.count
        self.next = {
            guard index < items.count else { return nil }
            defer { index += 1 }
            return items[index]
        }
    }
}

/// A problem with one or more parameters, found when the node is built.
public struct ParameterError: Error, CustomStringConvertible, Sendable {
    /// The parameter at fault, when there is one.
    public var parameter: String?
    /// What is wrong, for a person.
    public var message: String
    /// How to fix it, when known.
    public var hint: String?

    /// A parameter error.
    public init(parameter: String?, _ message: String, hint: String? = nil) {
        self.parameter = parameter
        self.message = message
        self.hint = hint
    }

    public var description: String { (parameter.map { "\($0): " } ?? "") + message }
}

/// An input format a node cannot accept, found at validation time.
public struct FormatError: Error, CustomStringConvertible, Sendable {
    /// The input port whose format is wrong.
    public var port: String
    /// What the port expects, as a phrase (`64-band log-Mel at 16 kHz, hop 160`).
    public var expected: String
    /// Extra detail (the differing fields), if any.
    public var detail: String?

    /// A format error.
    public init(port: String, expected: String, detail: String? = nil) {
        self.port = port
        self.expected = expected
        self.detail = detail
    }

    public var description: String { "\(port) expects \(expected)" + (detail.map { " (\($0))" } ?? "") }
}
