import EmoJSON
import Foundation

/// Checks a pipeline file and builds its graph, reporting every problem at once, each with its
/// place and a hint: syntax (line and column), schema version, duplicate ids, unknown types,
/// parameters and ports (with did-you-mean), parameter kinds and ranges, missing inputs, port type
/// and format mismatches (naming both ports and both formats), cycles, undeclared arguments.
public struct PipelineValidator {
    /// Largest pipeline file read, in bytes.
    public static let maximumFileSize = 4 << 20

    /// The node types available.
    public var registry: NodeRegistry
    /// Argument values from the command line (`--arg name=value`), as text.
    public var arguments: [String: String]
    /// When false (`emohr validate`), arguments without a value are accepted and the parameters
    /// that use them are not checked further.
    public var requireArgumentValues: Bool
    /// Folder that command-line path arguments resolve against.
    public var workingDirectory: String

    /// A validator.
    public init(registry: NodeRegistry, arguments: [String: String] = [:], requireArgumentValues: Bool = true,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.registry = registry
        self.arguments = arguments
        self.requireArgumentValues = requireArgumentValues
        self.workingDirectory = workingDirectory
    }

    /// Reads, checks and builds the pipeline in `path`.
    public func validate(file path: String) throws(PipelineError) -> ResolvedGraph {
        let text = try Self.readPipelineText(path)
        let json: JSON
        do { json = try JSON.parse(text) } catch {
            throw PipelineError(file: path, diagnostics: [Diagnostic(
                "line \(error.line), column \(error.column)", "JSON syntax error: \(error.reason)")])
        }
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: workingDirectory))
        return try validate(json: json, file: path, baseDirectory: absolute.deletingLastPathComponent().path)
    }

    /// Reads a pipeline file's text, refusing what is missing, a folder, very large, or not UTF-8.
    public static func readPipelineText(_ path: String) throws(PipelineError) -> String {
        func fail(_ message: String, hint: String? = nil) -> PipelineError {
            PipelineError(file: path, diagnostics: [Diagnostic("", message, hint: hint)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw fail("no such file", hint: "check the path; pipelines/ holds ready-to-run ones")
        }
        if isDirectory.boolValue { throw fail("is a folder, not a pipeline file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > maximumFileSize {
            throw fail("is \(size) bytes; pipeline files are at most \(maximumFileSize) bytes",
                       hint: "is this a data file rather than a pipeline?")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot be read (permissions?)") }
        if data.isEmpty { throw fail("is empty; expected a JSON pipeline") }
        guard let text = String(data: data, encoding: .utf8) else { throw fail("is not UTF-8 text") }
        return text
    }

    /// Checks and builds a pipeline given as parsed JSON.
    public func validate(json: JSON, file: String, baseDirectory: String) throws(PipelineError) -> ResolvedGraph {
        var diagnostics: [Diagnostic] = []
        guard let document = PipelineDocument.read(json, diagnostics: &diagnostics) else {
            throw PipelineError(file: file, diagnostics: diagnostics)
        }
        var checker = GraphChecker(validator: self, document: document, baseDirectory: baseDirectory)
        checker.diagnostics = diagnostics
        let graph = checker.check(file: file)
        if !checker.diagnostics.isEmpty { throw PipelineError(file: file, diagnostics: checker.diagnostics) }
        guard let graph else { throw PipelineError(file: file, diagnostics: [Diagnostic("", "the graph could not be built")]) }
        return graph
    }
}

/// The checks of one validation, with the diagnostics found so far.
private struct GraphChecker {
    let validator: PipelineValidator
    let document: PipelineDocument
    let baseDirectory: String
    var diagnostics: [Diagnostic] = []

    init(validator: PipelineValidator, document: PipelineDocument, baseDirectory: String) {
        self.validator = validator
        self.document = document
        self.baseDirectory = baseDirectory
    }

    mutating func report(_ location: String, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(location, message, hint: hint))
    }

    mutating func check(file: String) -> ResolvedGraph? {
        checkArguments()
        var entries: [String: PipelineNodeEntry] = [:]
        for entry in document.nodes {
            if let first = entries[entry.id] {
                report("nodes[\(entry.index)].id", "\"\(entry.id)\" is already the id of nodes[\(first.index)]",
                       hint: "node ids must be unique")
            } else {
                entries[entry.id] = entry
            }
        }
        var registered: [String: NodeRegistry.Entry] = [:]
        for entry in document.nodes where entries[entry.id]?.index == entry.index {
            guard let registryEntry = validator.registry.entry(entry.type) else {
                report("nodes[\(entry.index)].type", "unknown node type \"\(entry.type)\"",
                       hint: Suggestion.hint(for: entry.type, among: validator.registry.typeNames)
                           ?? "`emohr nodes` lists the node types")
                continue
            }
            registered[entry.id] = registryEntry
        }
        var parameters: [String: Parameters] = [:]
        var wiring: [String: [String: PortReference]] = [:]
        for entry in document.nodes {
            guard let registryEntry = registered[entry.id], entries[entry.id]?.index == entry.index else { continue }
            parameters[entry.id] = checkParameters(entry, registryEntry.descriptor)
            wiring[entry.id] = checkInputs(entry, registryEntry.descriptor, entries: entries, registered: registered)
        }
        guard let order = topologicalOrder(entries: entries, wiring: wiring) else { return nil }
        if !diagnostics.isEmpty { return nil }
        return build(file: file, order: order, entries: entries, registered: registered, parameters: parameters, wiring: wiring)
    }

    // MARK: Arguments

    mutating func checkArguments() {
        let declared = Set(document.arguments.map(\.name))
        for name in validator.arguments.keys.sorted() where !declared.contains(name) {
            report("--arg \(name)", "the pipeline declares no argument \"\(name)\"",
                   hint: Suggestion.hint(for: name, among: Array(declared))
                       ?? (declared.isEmpty ? "it declares none" : "declared: \(declared.sorted().joined(separator: ", "))"))
        }
    }

    /// The value of `$name`, with whether it came from the command line; nil when undeclared or unset.
    mutating func argumentValue(_ name: String, at place: String) -> (value: JSON, fromCommandLine: Bool)?? {
        guard let declaration = document.arguments.first(where: { $0.name == name }) else {
            let names = document.arguments.map(\.name)
            report(place, "uses undeclared argument $\(name)",
                   hint: Suggestion.hint(for: name, among: names).map { $0 + " — or declare it under \"arguments\"" }
                       ?? "declare it under \"arguments\"")
            return nil
        }
        if let text = validator.arguments[name] { return .some((.string(text), true)) }
        if let value = declaration.defaultValue { return .some((value, false)) }
        if validator.requireArgumentValues {
            report(place, "argument $\(name) has no value", hint: "pass --arg \(name)=…")
        }
        return .some(nil)
    }

    // MARK: Parameters

    mutating func checkParameters(_ entry: PipelineNodeEntry, _ descriptor: NodeDescriptor) -> Parameters {
        var values: [String: JSON] = [:]
        let names = descriptor.parameters.map(\.name)
        for (name, raw) in entry.params {
            let place = "nodes[\(entry.index)].params.\(name)"
            guard let spec = descriptor.parameter(name) else {
                report(place, "\(descriptor.type) has no parameter \"\(name)\"",
                       hint: Suggestion.hint(for: name, among: names)
                           ?? "its parameters: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
                continue
            }
            guard let (value, fromCommandLine) = substitute(raw, spec: spec, at: place) else { continue }
            if let problem = spec.problem(with: value) {
                report(place, problem, hint: spec.rangeDescription.map { "allowed: \($0)" })
                continue
            }
            values[name] = spec.kind == .path ? .string(resolvePath(value.stringValue ?? "", fromCommandLine)) : value
        }
        for spec in descriptor.parameters where spec.isRequired && entry.params[spec.name] == nil {
            report("nodes[\(entry.index)].params", "\(descriptor.type) needs parameter \"\(spec.name)\" (\(spec.kind.name))",
                   hint: spec.summary)
        }
        for spec in descriptor.parameters where values[spec.name] == nil {
            if let value = spec.defaultValue {
                values[spec.name] = spec.kind == .path ? .string(resolvePath(value.stringValue ?? "", false)) : value
            }
        }
        return Parameters(values)
    }

    /// Replaces `$name` and `${name}`; converts command-line text to the parameter's kind.
    /// Returns nil when the value cannot be checked (a problem was reported, or an unset argument).
    mutating func substitute(_ raw: JSON, spec: ParameterSpec, at place: String) -> (JSON, Bool)? {
        guard let text = raw.stringValue, text.contains("$") else { return (raw, false) }
        if text.hasPrefix("$"), !text.hasPrefix("${"), text.dropFirst().allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            guard let found = argumentValue(String(text.dropFirst()), at: place) else { return nil }
            guard let (value, fromCommandLine) = found else { return (Self.placeholder(for: spec), false) }
            guard fromCommandLine, let string = value.stringValue else { return (value, fromCommandLine) }
            guard let converted = Self.convert(string, to: spec.kind) else {
                report(place, "--arg \(text.dropFirst())=\(string): \(spec.name) expects \(spec.kind.name)")
                return nil
            }
            return (converted, true)
        }
        var result = ""
        var rest = Substring(text)
        var fromCommandLine = false
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                report(place, "has an unclosed ${ in \"\(text)\"")
                return nil
            }
            let name = String(rest[open.upperBound..<close])
            guard let found = argumentValue(name, at: place) else { return nil }
            guard let (value, commandLine) = found else { return nil }
            if result.isEmpty { fromCommandLine = commandLine }
            result += value.stringValue ?? value.serialized(pretty: false)
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return (.string(result), fromCommandLine)
    }

    /// A stand-in for an argument with no value when only checking (`emohr validate`), so that the
    /// node can still be built and its formats negotiated.
    static func placeholder(for spec: ParameterSpec) -> JSON {
        if let value = spec.defaultValue { return value }
        switch spec.kind {
        case .integer: return .int(Int(max(spec.minimum ?? 1, 1)))
        case .number: return .double(max(spec.minimum ?? 1, 1))
        case .boolean: return .bool(false)
        case .choice(let options): return .string(options.first ?? "")
        case .stringList, .numberList: return .array([])
        case .object: return .object(JSONObject())
        case .string, .path: return .string("unset-\(spec.name)")
        }
    }

    static func convert(_ text: String, to kind: ParameterKind) -> JSON? {
        switch kind {
        case .integer: return Int(text).map(JSON.int)
        case .number: return Double(text).map(JSON.double)
        case .boolean: return ["true": JSON.bool(true), "false": .bool(false)][text.lowercased()]
        case .stringList: return .array(text.split(separator: ",").map { .string(String($0)) })
        case .numberList:
            let numbers = text.split(separator: ",").map { Double($0) }
            return numbers.contains(nil) ? nil : .array(numbers.map { .double($0!) })
        case .object: return try? JSON.parse(text)
        default: return .string(text)
        }
    }

    func resolvePath(_ path: String, _ fromCommandLine: Bool) -> String {
        if path.hasPrefix("/") || path.isEmpty { return path }
        let base = fromCommandLine ? validator.workingDirectory : baseDirectory
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
    }

    // MARK: Inputs

    mutating func checkInputs(
        _ entry: PipelineNodeEntry, _ descriptor: NodeDescriptor, entries: [String: PipelineNodeEntry],
        registered: [String: NodeRegistry.Entry]
    ) -> [String: PortReference] {
        var wired: [String: PortReference] = [:]
        let inputNames = descriptor.inputs.map(\.name)
        for (port, source) in entry.inputs {
            let place = "nodes[\(entry.index)].inputs.\(port)"
            guard let input = descriptor.input(port) else {
                report(place, "\(descriptor.type) has no input port \"\(port)\"",
                       hint: Suggestion.hint(for: port, among: inputNames)
                           ?? "its inputs: \(inputNames.isEmpty ? "none" : inputNames.joined(separator: ", "))")
                continue
            }
            let parts = source.split(separator: ".", maxSplits: 1).map(String.init)
            let producerId = parts[0]
            guard let producer = entries[producerId] else {
                report(place, "refers to unknown node \"\(producerId)\"",
                       hint: Suggestion.hint(for: producerId, among: Array(entries.keys).sorted()))
                continue
            }
            guard let producerType = registered[producerId]?.descriptor else { continue }
            let outputNames = producerType.outputs.map(\.name)
            let outputPort: String
            if parts.count == 2 {
                outputPort = parts[1]
            } else if outputNames.count == 1 {
                outputPort = outputNames[0]
            } else {
                report(place, "\"\(source)\" must name one of \(producerId)'s outputs",
                       hint: "write \"\(producerId).<port>\" with <port> one of \(outputNames.joined(separator: ", "))")
                continue
            }
            guard let output = producerType.output(outputPort) else {
                report(place, "node \"\(producerId)\" (\(producer.type)) has no output port \"\(outputPort)\"",
                       hint: Suggestion.hint(for: outputPort, among: outputNames)
                           ?? "its outputs: \(outputNames.isEmpty ? "none" : outputNames.joined(separator: ", "))")
                continue
            }
            guard output.type == input.type else {
                report(place, "\(entry.id).\(port) takes \(input.type.rawValue); \(producerId).\(outputPort) gives \(output.type.rawValue)",
                       hint: Self.conversionHint(from: output.type, to: input.type))
                continue
            }
            wired[port] = PortReference(nodeId: producerId, port: outputPort)
        }
        for input in descriptor.inputs where input.required && wired[input.name] == nil
            && !entry.inputs.contains(where: { $0.port == input.name })
        {
            report("nodes[\(entry.index)].inputs", "\(entry.id) (\(descriptor.type)) needs input \"\(input.name)\" (\(input.type.rawValue))",
                   hint: "connect it: \"inputs\": { \"\(input.name)\": \"<node>.<port>\" }")
        }
        return wired
    }

    static func conversionHint(from: PortType, to: PortType) -> String? {
        switch (from, to) {
        case (.utterances, .audio): "put an audio.decode node between them"
        case (.audio, .spectrum): "put spectrum.stft (and spectrum.mel) between them"
        case (.utterances, .spectrum): "decode and transform first: audio.decode → spectrum.stft → spectrum.mel"
        default: nil
        }
    }

    // MARK: Order and cycles

    /// Nodes in dependency order, or nil after reporting a cycle.
    mutating func topologicalOrder(entries: [String: PipelineNodeEntry], wiring: [String: [String: PortReference]]) -> [String]? {
        let ids = document.nodes.map(\.id).filter { entries[$0] != nil }.reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var order: [String] = []
        var stack: [String] = []
        var cycle: [String]?
        func visit(_ id: String) {
            if cycle != nil || state[id] == 2 { return }
            if state[id] == 1 {
                let start = stack.firstIndex(of: id) ?? 0
                cycle = Array(stack[start...]) + [id]
                return
            }
            state[id] = 1
            stack.append(id)
            for source in (wiring[id] ?? [:]).values.sorted(by: { $0.nodeId < $1.nodeId }) { visit(source.nodeId) }
            stack.removeLast()
            state[id] = 2
            order.append(id)
        }
        for id in ids { visit(id) }
        if let cycle {
            // Printed in data-flow order: producer → consumer.
            report("nodes", "the graph has a cycle: \(cycle.reversed().joined(separator: " → "))",
                   hint: "a node cannot depend on its own output")
            return nil
        }
        return order
    }

    // MARK: Build and negotiate

    mutating func build(
        file: String, order: [String], entries: [String: PipelineNodeEntry], registered: [String: NodeRegistry.Entry],
        parameters: [String: Parameters], wiring: [String: [String: PortReference]]
    ) -> ResolvedGraph? {
        var built: [String: ResolvedNode] = [:]
        var resolved: [ResolvedNode] = []
        for id in order {
            guard let entry = entries[id], let registryEntry = registered[id] else { continue }
            let descriptor = registryEntry.descriptor
            let place = "nodes[\(entry.index)]"
            let inputs = wiring[id] ?? [:]
            var inputFormats: [String: StreamFormat] = [:]
            var upstreamFailed = false
            for (port, source) in inputs {
                guard let format = built[source.nodeId]?.outputFormats[source.port] else {
                    upstreamFailed = true
                    continue
                }
                inputFormats[port] = format
            }
            if upstreamFailed { continue }
            let instance: any Node
            do {
                instance = try registryEntry.make(NodeSetup(nodeId: id, parameters: parameters[id] ?? Parameters()))
            } catch let error as ParameterError {
                report(place + (error.parameter.map { ".params.\($0)" } ?? ".params"), error.message, hint: error.hint)
                continue
            } catch {
                report(place, "\(descriptor.type) could not be built: \(error)")
                continue
            }
            var outputFormats: [String: StreamFormat]
            do {
                outputFormats = try instance.negotiate(inputs: inputFormats)
            } catch let error as FormatError {
                let source = inputs[error.port]
                let given = inputFormats[error.port]?.summary ?? "nothing"
                let message = "\(id).\(error.port) expects \(error.expected); "
                    + (source.map { "\($0) gives \(given)" } ?? "it is not connected")
                report(place + ".inputs.\(error.port)", message, hint: error.detail)
                continue
            } catch let error as ParameterError {
                report(place + (error.parameter.map { ".params.\($0)" } ?? ".params"), error.message, hint: error.hint)
                continue
            } catch {
                report(place, "\(descriptor.type) rejected its inputs: \(error)")
                continue
            }
            for port in descriptor.outputs where outputFormats[port.name] == nil {
                outputFormats[port.name] = StreamFormat(port.type)
            }
            let policy = entry.onError.flatMap(ErrorPolicy.init(rawValue:)) ?? .skip
            let node = ResolvedNode(
                id: id, entry: registryEntry, parameters: parameters[id] ?? Parameters(), inputs: inputs, policy: policy,
                instance: instance, inputFormats: inputFormats, outputFormats: outputFormats)
            built[id] = node
            resolved.append(node)
        }
        var reportPath: String?
        if let report = document.report {
            let spec = ParameterSpec("report", .path, summary: "run report path")
            if let (value, fromCommandLine) = substitute(report, spec: spec, at: "report"), let text = value.stringValue {
                reportPath = resolvePath(text, fromCommandLine)
            }
        }
        return ResolvedGraph(
            name: document.name, summary: document.summary, file: file, baseDirectory: baseDirectory, nodes: resolved,
            reportPath: reportPath)
    }
}
