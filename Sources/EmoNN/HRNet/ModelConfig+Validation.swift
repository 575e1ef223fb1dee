import EmoJSON

/// One problem in a model config: where (a JSON path such as `stages[2].channels`), what, and a
/// suggestion when there is one.
public struct ModelConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var hint: String?

    public init(_ path: String, _ message: String, hint: String? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var description: String { (path.isEmpty ? "" : "\(path): ") + message + (hint.map { " (\($0))" } ?? "") }
}

/// Every problem found in a model config, reported together.
public struct ModelConfigError: Error, Sendable, CustomStringConvertible {
    public var issues: [ModelConfigIssue]

    public init(issues: [ModelConfigIssue]) { self.issues = issues }

    public var description: String {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        return "model config: \(count)\n" + issues.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Collects issues, one per path (a field already reported is not reported again).
struct IssueList {
    var issues: [ModelConfigIssue] = []

    mutating func add(_ path: String, _ message: String, hint: String? = nil) {
        guard !issues.contains(where: { $0.path == path }) else { return }
        issues.append(ModelConfigIssue(path, message, hint: hint))
    }

    /// Reports keys of `object` that are not in `known`, with a suggestion.
    mutating func checkKeys(_ object: JSONObject, known: [String], path: String) {
        for key in object.keys where !known.contains(key) {
            add(join(path, key), "unknown key", hint: suggestion(for: key, among: known))
        }
    }

    /// An integer member (absent: `fallback`, or an issue when `fallback` is nil).
    mutating func int(_ object: JSONObject, _ key: String, path: String, fallback: Int?) -> Int {
        let here = join(path, key)
        guard let value = object[key] else {
            if fallback == nil { add(here, "missing (an integer is required)") }
            return fallback ?? 1
        }
        guard let int = value.intValue else {
            add(here, "expected an integer, got \(value.kindDescription)")
            return fallback ?? 1
        }
        return int
    }

    /// A string member.
    mutating func string(_ object: JSONObject, _ key: String, path: String, fallback: String?) -> String {
        let here = join(path, key)
        guard let value = object[key] else {
            if fallback == nil { add(here, "missing (a string is required)") }
            return fallback ?? ""
        }
        guard let string = value.stringValue else {
            add(here, "expected a string, got \(value.kindDescription)")
            return fallback ?? ""
        }
        return string
    }

    /// An array of integers.
    mutating func ints(_ object: JSONObject, _ key: String, path: String) -> [Int] {
        let here = join(path, key)
        guard let value = object[key] else {
            add(here, "missing (an array of integers is required)")
            return []
        }
        guard let array = value.arrayValue else {
            add(here, "expected an array of integers, got \(value.kindDescription)")
            return []
        }
        var result: [Int] = []
        for (index, element) in array.enumerated() {
            if let int = element.intValue {
                result.append(int)
            } else {
                add("\(here)[\(index)]", "expected an integer, got \(element.kindDescription)")
                result.append(1)
            }
        }
        return result
    }

    /// An object member (absent: empty unless required).
    mutating func object(_ object: JSONObject, _ key: String, path: String, required: Bool) -> JSONObject {
        let here = join(path, key)
        guard let value = object[key] else {
            if required { add(here, "missing (an object is required)") }
            return [:]
        }
        guard let result = value.objectValue else {
            add(here, "expected an object, got \(value.kindDescription)")
            return [:]
        }
        return result
    }
}

func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

/// `did you mean "x"?` for the closest candidate within a small edit distance, else nil.
func suggestion(for word: String, among candidates: [String]) -> String? {
    let lower = word.lowercased()
    let scored = candidates.map { ($0, editDistance(lower, $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else {
        if let contained = candidates.first(where: { lower.count >= 3 && $0.lowercased().contains(lower) }) {
            return "did you mean \"\(contained)\"?"
        }
        return nil
    }
    return "did you mean \"\(best.0)\"?"
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

extension ModelConfig {
    /// Parses and validates a model config; every problem is reported together, each with its
    /// JSON path (unknown keys and components come with a did-you-mean suggestion).
    public init(json: JSON, registry: ModelComponentRegistry = .standard) throws(ModelConfigError) {
        var list = IssueList()
        guard let root = json.objectValue else {
            throw ModelConfigError(issues: [ModelConfigIssue("", "expected an object, got \(json.kindDescription)")])
        }
        list.checkKeys(root, known: ["name", "initialization", "stem", "stages", "fuse", "pooling", "head"], path: "")
        var name: String? = nil
        if let value = root["name"] {
            if let string = value.stringValue { name = string } else { list.add("name", "expected a string, got \(value.kindDescription)") }
        }
        var initialization = ConvolutionInitialization.pytorch
        let initName = list.string(root, "initialization", path: "", fallback: "pytorch")
        if let value = ConvolutionInitialization(rawValue: initName) {
            initialization = value
        } else {
            let choices = ConvolutionInitialization.allCases.map(\.rawValue)
            list.add("initialization", "unknown initialisation \"\(initName)\"; choices: \(choices.joined(separator: ", "))",
                hint: suggestion(for: initName, among: choices))
        }

        let stemObject = list.object(root, "stem", path: "", required: false)
        list.checkKeys(stemObject, known: ["inputChannels", "channels", "stride"], path: "stem")
        let stem = Stem(
            inputChannels: list.int(stemObject, "inputChannels", path: "stem", fallback: 1),
            channels: list.int(stemObject, "channels", path: "stem", fallback: 64),
            stride: list.int(stemObject, "stride", path: "stem", fallback: 4))

        var stages: [Stage] = []
        if let value = root["stages"] {
            if let array = value.arrayValue {
                for (index, element) in array.enumerated() {
                    let path = "stages[\(index)]"
                    guard let object = element.objectValue else {
                        list.add(path, "expected an object, got \(element.kindDescription)")
                        continue
                    }
                    list.checkKeys(object, known: ["modules", "branches", "block", "blocks", "channels", "fusion"], path: path)
                    stages.append(
                        Stage(
                            modules: list.int(object, "modules", path: path, fallback: 1),
                            branches: list.int(object, "branches", path: path, fallback: nil),
                            block: list.string(object, "block", path: path, fallback: nil),
                            blocks: list.ints(object, "blocks", path: path),
                            channels: list.ints(object, "channels", path: path),
                            fusion: list.string(object, "fusion", path: path, fallback: "sum")))
                }
            } else {
                list.add("stages", "expected an array, got \(value.kindDescription)")
            }
        } else {
            list.add("stages", "missing (an array of stages is required)")
        }

        let fuseObject = list.object(root, "fuse", path: "", required: false)
        list.checkKeys(fuseObject, known: ["channels", "upsampling"], path: "fuse")
        var fuse = Fuse()
        if fuseObject["channels"] != nil && fuseObject["channels"]?.isNull == false {
            fuse.channels = list.int(fuseObject, "channels", path: "fuse", fallback: nil)
        }
        let upsampling = list.string(fuseObject, "upsampling", path: "fuse", fallback: "bilinear")
        if let value = Upsampling(rawValue: upsampling) {
            fuse.upsampling = value
        } else {
            let choices = Upsampling.allCases.map(\.rawValue)
            list.add("fuse.upsampling", "unknown upsampling \"\(upsampling)\"; choices: \(choices.joined(separator: ", "))",
                hint: suggestion(for: upsampling, among: choices))
        }

        let pooling = list.string(root, "pooling", path: "", fallback: "average")
        if pooling != "average" {
            list.add("pooling", "unknown pooling \"\(pooling)\"; the only choice is \"average\" (global average pooling)",
                hint: suggestion(for: pooling, among: ["average"]))
        }

        let headObject = list.object(root, "head", path: "", required: true)
        var dropout: Float = 0
        if let value = headObject["dropout"] {
            if let number = value.doubleValue { dropout = Float(number) } else {
                list.add("head.dropout", "expected a number, got \(value.kindDescription)")
            }
        }
        var options = headObject
        for key in ["type", "classes", "dropout"] { options[key] = nil }
        let head = Head(
            type: list.string(headObject, "type", path: "head", fallback: "linear"),
            classes: list.int(headObject, "classes", path: "head", fallback: nil), dropout: dropout, options: options)

        self.init(name: name, initialization: initialization, stem: stem, stages: stages, fuse: fuse, head: head)
        validate(registry: registry, into: &list)
        if !list.issues.isEmpty { throw ModelConfigError(issues: list.issues) }
    }

    /// Checks the config's meaning (counts, lengths, known components); throws every problem found.
    public func validate(registry: ModelComponentRegistry = .standard) throws(ModelConfigError) {
        var list = IssueList()
        validate(registry: registry, into: &list)
        if !list.issues.isEmpty { throw ModelConfigError(issues: list.issues) }
    }

    func validate(registry: ModelComponentRegistry, into list: inout IssueList) {
        func positive(_ value: Int, _ path: String) {
            if value < 1 { list.add(path, "must be a positive integer, got \(value)") }
        }
        positive(stem.inputChannels, "stem.inputChannels")
        positive(stem.channels, "stem.channels")
        if ![1, 2, 4].contains(stem.stride) { list.add("stem.stride", "must be 1, 2 or 4, got \(stem.stride)") }
        if stages.isEmpty { list.add("stages", "needs at least one stage") }
        var previousBranches = 0
        for (index, stage) in stages.enumerated() {
            let path = "stages[\(index)]"
            positive(stage.modules, "\(path).modules")
            positive(stage.branches, "\(path).branches")
            if registry.blocks[stage.block] == nil && !stage.block.isEmpty {
                let known = registry.blocks.keys.sorted()
                list.add("\(path).block", "unknown block \"\(stage.block)\"; registered: \(known.joined(separator: ", "))",
                    hint: suggestion(for: stage.block, among: known))
            }
            if registry.fusions[stage.fusion] == nil {
                let known = registry.fusions.keys.sorted()
                list.add("\(path).fusion", "unknown fusion \"\(stage.fusion)\"; registered: \(known.joined(separator: ", "))",
                    hint: suggestion(for: stage.fusion, among: known))
            }
            for (key, values) in [("blocks", stage.blocks), ("channels", stage.channels)] {
                if values.count != stage.branches && stage.branches >= 1 {
                    list.add("\(path).\(key)", "has \(values.count) entries but the stage has \(stage.branches) branches")
                }
                for (i, value) in values.enumerated() { positive(value, "\(path).\(key)[\(i)]") }
            }
            if index == 0 {
                if stage.branches != 1 {
                    list.add("\(path).branches", "the first stage (upstream layer1) has one branch, got \(stage.branches)")
                }
                if stage.modules != 1 {
                    list.add("\(path).modules", "the first stage (upstream layer1) has one module, got \(stage.modules)")
                }
            } else if stage.branches < previousBranches {
                list.add("\(path).branches", "a stage cannot have fewer branches (\(stage.branches)) than the one before (\(previousBranches))")
            }
            previousBranches = stage.branches
        }
        if let channels = fuse.channels { positive(channels, "fuse.channels") }
        if registry.heads[head.type] == nil {
            let known = registry.heads.keys.sorted()
            list.add("head.type", "unknown head \"\(head.type)\"; registered: \(known.joined(separator: ", "))",
                hint: suggestion(for: head.type, among: known))
        }
        positive(head.classes, "head.classes")
        if !(0..<1).contains(head.dropout) { list.add("head.dropout", "must be in [0, 1), got \(head.dropout)") }
    }
}
