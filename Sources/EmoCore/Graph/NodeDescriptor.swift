import EmoJSON

/// A declared port: its name, semantic type and what it needs, as data.
public struct PortSpec: Sendable {
    /// Port name, unique among the node's inputs (or outputs).
    public var name: String
    /// Semantic type.
    public var type: PortType
    /// One-line summary.
    public var summary: String
    /// For inputs: false when the port may be left unconnected.
    public var required: Bool

    /// A port declaration.
    public init(_ name: String, _ type: PortType, required: Bool = true, summary: String) {
        self.name = name
        self.type = type
        self.summary = summary
        self.required = required
    }
}

/// How a node runs.
public enum NodeRole: String, Sendable {
    /// Produces a stream from parameters alone (corpus readers).
    case source
    /// One item in, one item out, in parallel over items, order kept.
    case map
    /// Reads whole streams (split, train, metrics, writers).
    case stream
}

/// What a node type declares about itself, as static data: the single source of truth for
/// validation, `emohr nodes`, the JSON Schema and the generated docs.
public struct NodeDescriptor: Sendable {
    /// `namespace.name`, e.g. `spectrum.mel`.
    public var type: String
    /// One-line summary.
    public var summary: String
    /// Longer explanation: units, conventions.
    public var details: String
    /// How it runs.
    public var role: NodeRole
    /// Input ports.
    public var inputs: [PortSpec]
    /// Output ports.
    public var outputs: [PortSpec]
    /// Parameters.
    public var parameters: [ParameterSpec]
    /// True when outputs depend on (seed, epoch, item id, node id) as well as inputs.
    public var stochastic: Bool
    /// True when the node reads its inputs more than once (training epochs); the engine then caches
    /// deterministic upstream results and reruns stochastic ones each pass.
    public var multiPass: Bool
    /// Bumped when the node's output changes for the same inputs and parameters (cache keys use it).
    public var version: Int
    /// A runnable example of the node in a pipeline file.
    public var example: String

    /// A node declaration.
    public init(
        type: String, summary: String, details: String = "", role: NodeRole, inputs: [PortSpec] = [],
        outputs: [PortSpec] = [], parameters: [ParameterSpec] = [], stochastic: Bool = false,
        multiPass: Bool = false, version: Int = 1, example: String = ""
    ) {
        self.type = type
        self.summary = summary
        self.details = details
        self.role = role
        self.inputs = inputs
        self.outputs = outputs
        self.parameters = parameters
        self.stochastic = stochastic
        self.multiPass = multiPass
        self.version = version
        self.example = example
    }

    /// The input port with this name.
    public func input(_ name: String) -> PortSpec? { inputs.first { $0.name == name } }
    /// The output port with this name.
    public func output(_ name: String) -> PortSpec? { outputs.first { $0.name == name } }
    /// The parameter with this name.
    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
}
