import EmoCore

/// The built-in node types, registered from one explicit list.
public enum BuiltinNodes {
    /// A registry holding every built-in node type.
    public static func makeRegistry() throws -> NodeRegistry {
        var registry = NodeRegistry()
        try register(into: &registry)
        return registry
    }

    /// Registers every built-in node type into `registry`.
    public static func register(into registry: inout NodeRegistry) throws {
        try registerCorpusNodes(into: &registry)
        try registerProtocolNodes(into: &registry)
        for type in audioNodeTypes + modelNodeTypes { try registry.registerType(type, origin: "built-in") }
    }

    /// Model and metrics nodes.
    static let modelNodeTypes: [any Node.Type] = [SyntheticCorpusNode.self, TrainNode.self, LoadModelNode.self, InferNode.self, MetricsNode.self]

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
