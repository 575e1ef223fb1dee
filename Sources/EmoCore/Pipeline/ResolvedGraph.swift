import EmoJSON

/// A connection from a producer's output port.
public struct PortReference: Sendable, Hashable, CustomStringConvertible {
    /// Producer node id.
    public var nodeId: String
    /// Producer output port.
    public var port: String
    public var description: String { "\(nodeId).\(port)" }
}

/// One node of a validated pipeline: built, with its negotiated formats.
public final class ResolvedNode {
    /// Node id.
    public let id: String
    /// The registry entry it was built from.
    public let entry: NodeRegistry.Entry
    /// Validated parameters.
    public let parameters: Parameters
    /// Input port → producer.
    public let inputs: [String: PortReference]
    /// Error policy for map nodes.
    public let policy: ErrorPolicy
    /// The built node.
    public let instance: any Node
    /// Negotiated format of each input.
    public let inputFormats: [String: StreamFormat]
    /// Negotiated format of each output.
    public let outputFormats: [String: StreamFormat]

    init(id: String, entry: NodeRegistry.Entry, parameters: Parameters, inputs: [String: PortReference],
         policy: ErrorPolicy, instance: any Node, inputFormats: [String: StreamFormat],
         outputFormats: [String: StreamFormat]) {
        self.id = id
        self.entry = entry
        self.parameters = parameters
        self.inputs = inputs
        self.policy = policy
        self.instance = instance
        self.inputFormats = inputFormats
        self.outputFormats = outputFormats
    }

    /// The node's descriptor.
    public var descriptor: NodeDescriptor { entry.descriptor }
}

/// A pipeline that passed validation: nodes in dependency order, built and negotiated.
public final class ResolvedGraph {
    /// The pipeline's name.
    public let name: String
    /// Its summary.
    public let summary: String
    /// The file it came from.
    public let file: String
    /// The folder relative paths resolved against.
    public let baseDirectory: String
    /// Nodes in a dependency (topological) order.
    public let nodes: [ResolvedNode]
    /// Where the run report goes, if the file says.
    public let reportPath: String?

    init(name: String, summary: String, file: String, baseDirectory: String, nodes: [ResolvedNode], reportPath: String?) {
        self.name = name
        self.summary = summary
        self.file = file
        self.baseDirectory = baseDirectory
        self.nodes = nodes
        self.reportPath = reportPath
    }

    /// The node with this id.
    public func node(_ id: String) -> ResolvedNode? { nodes.first { $0.id == id } }

    /// A content hash of each node's output: its type, version and parameters, and the hashes of
    /// its inputs. Two runs give a node the same fingerprint exactly when they would compute the
    /// same deterministic results (writers key resumable outputs with it).
    public var fingerprints: [String: String] {
        var result: [String: String] = [:]
        for node in nodes {
            var parts = [node.descriptor.type, String(node.descriptor.version)]
            for key in node.parameters.values.keys.sorted() {
                parts.append(key + "=" + (node.parameters.values[key]?.serialized(pretty: false) ?? "null"))
            }
            for (port, source) in node.inputs.sorted(by: { $0.key < $1.key }) {
                parts.append(port + "<-" + source.port + ":" + (result[source.nodeId] ?? ""))
            }
            result[node.id] = String(SeededRandom.seed(parts), radix: 16)
        }
        return result
    }

    /// Consumers of each output: producer port → [(consumer node, input port)].
    public var consumers: [PortReference: [(node: String, port: String)]] {
        var result: [PortReference: [(node: String, port: String)]] = [:]
        for node in nodes {
            for (port, source) in node.inputs.sorted(by: { $0.key < $1.key }) {
                result[source, default: []].append((node.id, port))
            }
        }
        return result
    }

    /// The graph as text: each node with its type, wiring and negotiated formats.
    public var textDescription: String {
        var lines = ["\(name)" + (summary.isEmpty ? "" : " — \(summary)")]
        for node in nodes {
            lines.append("  \(node.id) [\(node.descriptor.type)]")
            for (port, source) in node.inputs.sorted(by: { $0.key < $1.key }) {
                let format = node.inputFormats[port]?.summary ?? "?"
                lines.append("    ← \(port) from \(source): \(format)")
            }
            for port in node.descriptor.outputs {
                let format = node.outputFormats[port.name]?.summary ?? port.type.rawValue
                lines.append("    → \(port.name): \(format)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The graph in Graphviz DOT.
    public var dotDescription: String {
        var lines = ["digraph \"\(name)\" {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for node in nodes {
            lines.append("  \"\(node.id)\" [label=\"\(node.id)\\n\(node.descriptor.type)\"];")
        }
        for node in nodes {
            for (port, source) in node.inputs.sorted(by: { $0.key < $1.key }) {
                let format = node.inputFormats[port]?.summary ?? ""
                let label = "\(source.port) → \(port)\\n\(format)".replacingOccurrences(of: "\"", with: "'")
                lines.append("  \"\(source.nodeId)\" -> \"\(node.id)\" [label=\"\(label)\", fontsize=9];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}
