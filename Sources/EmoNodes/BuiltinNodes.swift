import EmoCore
import EmoNN

/// The built-in node types, registered from one explicit list.
public enum BuiltinNodes {
    /// A registry holding every built-in node type; model nodes accept the block types, fusion
    /// methods and heads of `modelComponents`.
    public static func makeRegistry(modelComponents: ModelComponentRegistry = .standard) throws -> NodeRegistry {
        var registry = NodeRegistry()
        try register(into: &registry, modelComponents: modelComponents)
        return registry
    }

    /// Registers every built-in node type into `registry`.
    public static func register(into registry: inout NodeRegistry, modelComponents: ModelComponentRegistry = .standard) throws {
        try registerCorpusNodes(into: &registry)
        try registerProtocolNodes(into: &registry)
        for type in audioNodeTypes + modelNodeTypes { try registry.registerType(type, origin: "built-in") }
        try registry.register(NodeRegistry.Entry(descriptor: TrainNode.descriptor, origin: "built-in") { setup in
            let node = try TrainNode(setup: setup)
            node.components = modelComponents
            return node
        })
        try registry.register(NodeRegistry.Entry(descriptor: LoadModelNode.descriptor, origin: "built-in") { setup in
            let node = try LoadModelNode(setup: setup)
            node.components = modelComponents
            return node
        })
    }

    /// Model and metrics nodes.
    static let modelNodeTypes: [any Node.Type] = [SyntheticCorpusNode.self, InferNode.self, MetricsNode.self, PredictionListNode.self, AugmentationFigureNode.self,
    ]

    /// Audio front end nodes.
    static let audioNodeTypes: [any Node.Type] = [
        DecodeNode.self, ResampleNode.self, STFTNode.self, MelNode.self, DecibelNode.self, LogMelNode.self, NormalizeNode.self,
        FixLengthNode.self, TimeShiftNode.self, FrequencyMaskNode.self, TimeMaskNode.self, FeatureWriterNode.self,
    ]
}

extension NodeRegistry {
    /// Registers a node type given as an existential metatype.
    public mutating func registerType(_ type: any Node.Type, origin: String) throws {
        func open<N: Node>(_ concrete: N.Type) throws { try self.register(concrete, origin: origin) }
        try open(type)
    }
}
