/// The node types a run can use, by type name. Built from an explicit list (built-ins, then
/// plugins); registering a name twice is an error. No global state: the CLI builds one and passes it.
public struct NodeRegistry: Sendable {
    /// How to build one node type.
    public struct Entry: Sendable {
        /// The declaration.
        public var descriptor: NodeDescriptor
        /// Where it came from (`built-in`, or a plugin's path).
        public var origin: String
        /// Builds an instance.
        public var make: @Sendable (NodeSetup) throws -> any Node

        /// An entry with a factory of its own (a plugin's proxy, or a node given extra services).
        public init(descriptor: NodeDescriptor, origin: String, make: @escaping @Sendable (NodeSetup) throws -> any Node) {
            self.descriptor = descriptor
            self.origin = origin
            self.make = make
        }
    }

    private var entries: [String: Entry] = [:]
    private var order: [String] = []

    /// An empty registry.
    public init() {}

    /// Registers a node type implemented in Swift.
    public mutating func register<N: Node>(_ type: N.Type, origin: String = "built-in") throws(RegistryError) {
        try register(Entry(descriptor: N.descriptor, origin: origin, make: { try N(setup: $0) }))
    }

    /// Registers an entry (plugins that bring their own factory).
    public mutating func register(_ entry: Entry) throws(RegistryError) {
        let name = entry.descriptor.type
        if let existing = entries[name] {
            throw RegistryError(
                "node type \(name) is already registered (by \(existing.origin)); \(entry.origin) cannot register it again")
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
            throw RegistryError("node type name \(name) from \(entry.origin) is not of the form namespace.name")
        }
        entries[name] = entry
        order.append(name)
    }

    /// The entry for a type name.
    public func entry(_ type: String) -> Entry? { entries[type] }

    /// Type names in registration order.
    public var typeNames: [String] { order }

    /// All descriptors, sorted by type name.
    public var descriptors: [NodeDescriptor] { order.sorted().compactMap { entries[$0]?.descriptor } }
}

/// A registration refused.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    /// Why.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
