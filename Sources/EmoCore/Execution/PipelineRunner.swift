import EmoJSON
import Foundation

/// Runs a validated graph.
///
/// Streams are pulled: source and map nodes become lazy streams; stream nodes (split, training,
/// metrics, writers) run in dependency order and pull their inputs. Consecutive map nodes with one
/// consumer are fused so each item goes through the chain on one worker. Deterministic results are
/// cached in memory where a stream is read more than once — by a multi-pass node such as training,
/// through stochastic augmentation nodes that then run anew each pass, or by several consumers.
public struct PipelineRunner {
    /// The graph to run.
    public let graph: ResolvedGraph
    /// Shared run state.
    public let context: RunContext

    /// A runner.
    public init(graph: ResolvedGraph, context: RunContext) {
        self.graph = graph
        self.context = context
    }

    /// Runs every node and returns the run report. Throws ``RunFailure`` when a node under the
    /// `fail` policy fails, or a stream node fails.
    @discardableResult
    public func run() throws -> RunReport {
        let started = Date()
        context.progress.event("runStarted", ["pipeline": .string(graph.name), "nodes": .int(graph.nodes.count)])
        var streams: [PortReference: any ItemStream] = [:]
        var outputs: [String: [String: any ItemStream]] = [:]
        let consumers = graph.consumers
        let plan = CachePlan(graph: graph)
        var pulled = Set<PortReference>()
        let fingerprints = graph.fingerprints
        for node in graph.nodes {
            context.inputFingerprints[node.id] = node.inputs.mapValues { fingerprints[$0.nodeId] ?? "" }
        }

        for node in graph.nodes {
            switch node.instance {
            case let source as any SourceNode:
                let port = PortReference(nodeId: node.id, port: node.descriptor.outputs[0].name)
                streams[port] = SourceStream(node: source, nodeId: node.id, context: context)
            case let map as any MapNode:
                guard let source = node.inputs.values.first, let upstream = streams[source] else { continue }
                let stage = MapStage(node: map, nodeId: node.id, policy: node.policy, stochastic: node.descriptor.stochastic)
                let output = PortReference(nodeId: node.id, port: node.descriptor.outputs[0].name)
                if let previous = upstream as? MapStream, !plan.cachePoints.contains(source),
                    consumers[source]?.count == 1
                {
                    streams[output] = MapStream(upstream: previous.upstream, stages: previous.stages + [stage], context: context)
                } else {
                    streams[output] = MapStream(upstream: upstream, stages: [stage], context: context)
                }
            case let streamNode as any StreamNode:
                var inputs: [String: any ItemStream] = [:]
                for (port, source) in node.inputs {
                    guard let stream = streams[source] else { continue }
                    pulled.insert(source)
                    inputs[port] = ProgressStream(stream, progress: context.progress, name: "\(node.id).\(port)")
                }
                context.progress.event("nodeStarted", ["node": .string(node.id), "type": .string(node.descriptor.type)])
                let produced: [String: any ItemStream]
                do {
                    produced = try streamNode.run(inputs: inputs, context: context)
                } catch let failure as RunFailure {
                    throw failure
                } catch {
                    throw RunFailure(itemId: nil, nodeId: node.id, reason: "\(error)")
                }
                outputs[node.id] = produced
                for (port, stream) in produced { streams[PortReference(nodeId: node.id, port: port)] = stream }
                context.progress.event("nodeFinished", ["node": .string(node.id)])
            default:
                throw RunFailure(itemId: nil, nodeId: node.id, reason: "\(type(of: node.instance)) is not a source, map or stream node")
            }
            // Put caches where the plan says, once the stream exists.
            for port in node.descriptor.outputs {
                let reference = PortReference(nodeId: node.id, port: port.name)
                if plan.cachePoints.contains(reference), let stream = streams[reference], stream.isDeterministic {
                    streams[reference] = CachedStream(stream)
                }
            }
        }
        // Drain map and source outputs nobody consumed, so their failures are found and reported.
        for node in graph.nodes where !(node.instance is any StreamNode) {
            for port in node.descriptor.outputs {
                let reference = PortReference(nodeId: node.id, port: port.name)
                guard consumers[reference] == nil, !pulled.contains(reference), let stream = streams[reference] else { continue }
                try ProgressStream(stream, progress: context.progress, name: node.id).forEach { _ in }
            }
        }
        let report = RunReport(
            pipeline: graph.name, file: graph.file, seed: context.seed, seconds: Date().timeIntervalSince(started),
            failures: context.failures, notices: context.notices, sections: context.reportSections)
        context.progress.event("runFinished", ["seconds": .double(report.seconds), "failures": .int(report.failures.count)])
        return report
    }
}

/// Where deterministic results are kept in memory: outputs read by several consumers, read
/// directly by a multi-pass node, or read by a stochastic map chain that a multi-pass node reads.
struct CachePlan {
    var cachePoints = Set<PortReference>()

    init(graph: ResolvedGraph) {
        let consumers = graph.consumers
        func node(_ id: String) -> ResolvedNode? { graph.node(id) }
        // A node's output is read several times when some consumer downstream is multi-pass.
        var readRepeatedly: [String: Bool] = [:]
        for resolved in graph.nodes.reversed() {
            var repeated = false
            for port in resolved.descriptor.outputs {
                for consumer in consumers[PortReference(nodeId: resolved.id, port: port.name)] ?? [] {
                    guard let consumerNode = node(consumer.node) else { continue }
                    if consumerNode.descriptor.multiPass { repeated = true }
                    if consumerNode.instance is any MapNode, readRepeatedly[consumer.node] == true { repeated = true }
                }
            }
            readRepeatedly[resolved.id] = repeated
        }
        for resolved in graph.nodes where !resolved.descriptor.stochastic {
            for port in resolved.descriptor.outputs {
                let reference = PortReference(nodeId: resolved.id, port: port.name)
                let readers = consumers[reference] ?? []
                let feedsStochasticRepeatedly = readers.contains {
                    guard let consumerNode = node($0.node) else { return false }
                    return consumerNode.descriptor.stochastic && readRepeatedly[$0.node] == true
                }
                let feedsMultiPass = readers.contains { node($0.node)?.descriptor.multiPass == true }
                if readers.count > 1 || feedsMultiPass || feedsStochasticRepeatedly { cachePoints.insert(reference) }
            }
        }
    }
}

/// What a run did: failures per item, notices, and the sections nodes added (metrics, summaries).
public struct RunReport: Sendable {
    /// Pipeline name.
    public var pipeline: String
    /// Pipeline file.
    public var file: String
    /// Run seed.
    public var seed: UInt64
    /// Wall time in seconds.
    public var seconds: Double
    /// Per-item failures, with file, node and reason.
    public var failures: [ItemFailure]
    /// Per-item notices (silent files kept, duplicates).
    public var notices: [ItemNotice]
    /// Named sections added by nodes.
    public var sections: [(String, JSON)]

    /// The report as JSON.
    public var json: JSON {
        var object: JSONObject = [
            "pipeline": .string(pipeline), "file": .string(file), "seed": .string(String(seed)),
            "seconds": .double((seconds * 1000).rounded() / 1000),
            "failures": .array(failures.map(\.json)),
            "notices": .array(notices.map {
                ["item": .string($0.itemId), "node": .string($0.nodeId), "code": .string($0.code), "message": .string($0.message)]
            }),
        ]
        var sectionObject = JSONObject()
        for (name, value) in sections { sectionObject[name] = value }
        object["results"] = .object(sectionObject)
        return .object(object)
    }
}
