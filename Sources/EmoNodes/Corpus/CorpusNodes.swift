import EmoCore

/// The corpus readers and corpus tools, in registration order.
public let corpusNodeTypes: [any Node.Type] = [
    RavdessReader.self, EmovoReader.self, IemocapReader.self, EmodbReader.self, FolderReader.self,
    ManifestReader.self, DedupeNode.self,
]

/// Registers the corpus readers (`corpus.ravdess`, `corpus.emovo`, `corpus.iemocap`, `corpus.emodb`,
/// `corpus.folder`, `corpus.manifest`) and `corpus.dedupe` into `registry`.
public func registerCorpusNodes(into registry: inout NodeRegistry, origin: String = "built-in") throws {
    try registry.register(RavdessReader.self, origin: origin)
    try registry.register(EmovoReader.self, origin: origin)
    try registry.register(IemocapReader.self, origin: origin)
    try registry.register(EmodbReader.self, origin: origin)
    try registry.register(FolderReader.self, origin: origin)
    try registry.register(ManifestReader.self, origin: origin)
    try registry.register(DedupeNode.self, origin: origin)
}
