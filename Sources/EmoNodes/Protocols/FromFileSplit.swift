import EmoCore
import EmoJSON
import Foundation

/// `split.fromFile`: folds or a split read from a CSV or JSON file mapping item id → fold or split.
public final class FromFileSplit: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "split.fromFile",
        summary: "Folds or a train/validation/test split read from a CSV or JSON file",
        details: """
            The file maps item ids (paths relative to the corpus root, as readers set them) to a fold \
            or a split. CSV: a header with `id` (or `path`) and `fold` or `split` columns. JSON: an \
            object {"<id>": 3, …} or {"<id>": "test", …}, or an array of {"id": …, "fold"|"split": …} \
            objects. Fold values are integers; their sorted distinct values become folds 0 … k-1 \
            (so 1-based files work). Split values: train (training), validation (val, valid, dev), \
            test. With folds, `fold` and `roles` are set and validation is carved from each fold's \
            training part by `validation` ("nextFold", "fraction", "none"); with a split, `split` is \
            set and validation "fraction" carves it from the training items when the file names no \
            validation items. Items not in the file follow `unlisted`: "error" (default), "drop", or \
            "train" (training in every fold). Ids in the file that match no item are reported in the \
            report section. With `speakerIndependent` the protocol is declared speaker-independent \
            and audited: the run fails if a speaker is on both sides. Protocol name: `name`, else \
            "folds from <file>" or "split from <file>".
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances")],
        outputs: [PortSpec("items", .utterances, summary: "the same utterances with split or fold metadata")],
        parameters: [
            ParameterSpec("file", .path, summary: "CSV or JSON file mapping item id to fold or split"),
            ParameterSpec("format", .choice(["auto", "csv", "json"]), default: "auto", summary: "file format; auto follows the extension"),
            ParameterSpec("unlisted", .choice(["error", "drop", "train"]), default: "error",
                          summary: "what to do with items the file does not list"),
            ParameterSpec("speakerIndependent", .boolean, default: false,
                          summary: "declare the protocol speaker-independent (and audit it)"),
            ParameterSpec("name", .string, optional: true, summary: "protocol name for reports; default from the file name"),
        ] + SplitPlanning.validationParameters(rules: [.nextFold, .fraction, .none], default: ValidationRule.none) + [
            SplitPlanning.seedParameter,
        ],
        example: """
            { "id": "split", "type": "split.fromFile", "inputs": { "items": "corpus.items" }, "params": { "file": "folds.csv", "speakerIndependent": true } }
            """)

    /// What the file assigns.
    enum Assignment {
        /// Test fold per id (already mapped to 0 … k-1), and k.
        case folds([String: Int], count: Int)
        /// Split name per id.
        case splits([String: String])
    }

    let file: String
    let format: String
    let unlisted: String
    let speakerIndependent: Bool
    let name: String?
    let rule: ValidationRule
    let validationFraction: Double
    let seed: Int?
    let nodeId: String
    private var evaluation: EvaluationSpec

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        file = parameters.string("file")
        unlisted = parameters.string("unlisted")
        speakerIndependent = parameters.bool("speakerIndependent")
        name = parameters.optionalString("name")
        rule = ValidationRule(rawValue: parameters.string("validation")) ?? .none
        validationFraction = parameters.double("validationFraction")
        seed = parameters.optionalInt("seed")
        let extensionName = (file as NSString).pathExtension.lowercased()
        switch parameters.string("format") {
        case "auto":
            switch extensionName {
            case "csv": format = "csv"
            case "json": format = "json"
            default:
                throw ParameterError(parameter: "format", "cannot tell the format of \(file) from its extension",
                                     hint: "name it .csv or .json, or set format")
            }
        case let chosen: format = chosen
        }
        evaluation = EvaluationSpec(name: "", speakerIndependent: speakerIndependent, folds: 0, validation: "")
        evaluation = makeEvaluation(folds: 0, isFolds: true)
    }

    func makeEvaluation(folds: Int, isFolds: Bool) -> EvaluationSpec {
        let fileName = (file as NSString).lastPathComponent
        return EvaluationSpec(
            name: name ?? (isFolds ? "folds from \(fileName)" : "split from \(fileName)"),
            speakerIndependent: speakerIndependent, folds: isFolds ? folds : 1,
            validation: SplitPlanning.validationText(rule, fraction: validationFraction, speakerGrouped: speakerIndependent))
    }

    /// The file's fold count is read when the graph is validated, when the file is already there.
    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        switch try? readAssignment() {
        case .folds(_, let count): evaluation = makeEvaluation(folds: count, isFolds: true)
        case .splits: evaluation = makeEvaluation(folds: 1, isFolds: false)
        case nil: break
        }
        return try SplitPlanning.outputFormat(inputs, evaluation: evaluation)
    }

    /// Reads and checks the file.
    func readAssignment() throws -> Assignment {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw SplitError("split file \(file) does not exist or cannot be read as UTF-8 text")
        }
        var pairs: [(id: String, value: String, place: String)] = []
        var column = ""
        if format == "csv" {
            let table = try TextTable.csv(text, file: file)
            guard let idColumn = ["id", "path"].first(where: table.columns.contains) else {
                throw SplitError("\(file) has no id column (columns: \(table.columns.joined(separator: ", ")))")
            }
            guard let valueColumn = ["fold", "split"].first(where: table.columns.contains) else {
                throw SplitError("\(file) has no fold or split column (columns: \(table.columns.joined(separator: ", ")))")
            }
            column = valueColumn
            for row in table.rows {
                guard let id = row.values[idColumn], let value = row.values[valueColumn] else {
                    throw SplitError("\(file): line \(row.line) lacks \(idColumn) or \(valueColumn)")
                }
                pairs.append((id, value, "line \(row.line)"))
            }
        } else {
            let json: JSON
            do {
                json = try JSON.parse(text)
            } catch {
                throw SplitError("\(file): \(error)")
            }
            if let object = json.objectValue {
                for (id, value) in object {
                    guard let text = TextTable.text(value) else { throw SplitError("\(file): \(id) has no fold or split") }
                    if column.isEmpty { column = value.stringValue != nil && value.intValue == nil ? "split" : "fold" }
                    pairs.append((id, text, id))
                }
            } else if let array = json.arrayValue {
                for (index, element) in array.enumerated() {
                    guard let id = element["id"].flatMap(TextTable.text) ?? element["path"].flatMap(TextTable.text) else {
                        throw SplitError("\(file): entry \(index) has no id")
                    }
                    if let fold = element["fold"].flatMap(TextTable.text) {
                        if column == "split" { throw SplitError("\(file) mixes fold and split entries") }
                        column = "fold"
                        pairs.append((id, fold, "entry \(index)"))
                    } else if let split = element["split"].flatMap(TextTable.text) {
                        if column == "fold" { throw SplitError("\(file) mixes fold and split entries") }
                        column = "split"
                        pairs.append((id, split, "entry \(index)"))
                    } else {
                        throw SplitError("\(file): entry \(index) has neither fold nor split")
                    }
                }
            } else {
                throw SplitError("\(file) is \(json.kindDescription); expected an object or an array")
            }
        }
        guard !pairs.isEmpty else { throw SplitError("\(file) assigns no items") }
        var seen = Set<String>()
        for pair in pairs where !seen.insert(Self.normalised(pair.id)).inserted {
            throw SplitError("\(file): \(pair.place) assigns \(pair.id) a second time")
        }
        if column == "fold" {
            var numbers: [String: Int] = [:]
            for pair in pairs {
                guard let number = Int(pair.value) ?? Double(pair.value).flatMap({ $0 == $0.rounded() ? Int($0) : nil }) else {
                    throw SplitError("\(file): \(pair.place): fold \"\(pair.value)\" is not an integer")
                }
                numbers[Self.normalised(pair.id)] = number
            }
            let distinct = Set(numbers.values).sorted()
            guard distinct.count >= 2 else { throw SplitError("\(file) names only one fold; k-fold needs two or more") }
            let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($0.element, $0.offset) })
            return .folds(numbers.mapValues { index[$0] ?? 0 }, count: distinct.count)
        }
        var splits: [String: String] = [:]
        for pair in pairs {
            switch pair.value.lowercased() {
            case "train", "training": splits[Self.normalised(pair.id)] = SplitName.train
            case "validation", "val", "valid", "dev": splits[Self.normalised(pair.id)] = SplitName.validation
            case "test": splits[Self.normalised(pair.id)] = SplitName.test
            default:
                throw SplitError("\(file): \(pair.place): split \"\(pair.value)\" is not train, validation or test")
            }
        }
        return .splits(splits)
    }

    static func normalised(_ id: String) -> String { id.hasPrefix("./") ? String(id.dropFirst(2)) : id }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        var items = try input.collect()
        let assignment = try readAssignment()
        let listed: Set<String>
        switch assignment {
        case .folds(let map, _): listed = Set(map.keys)
        case .splits(let map): listed = Set(map.keys)
        }
        let missing = items.filter { !listed.contains($0.id) }
        if !missing.isEmpty {
            switch unlisted {
            case "drop": items.removeAll { !listed.contains($0.id) }
            case "train": break
            default:
                throw SplitError("\(missing.count) items are not in \(file) (e.g. \(missing[0].id))",
                                 hint: "set unlisted to \"drop\" or \"train\", or add them to the file")
            }
        }
        let unmatched = listed.subtracting(items.map(\.id)).sorted()
        let seed = SplitPlanning.seed(self.seed, context: context)
        if speakerIndependent { try SplitPlanning.requireMetadata(MetadataKey.speaker, in: items, node: Self.descriptor.type) }
        let annotated: [Item]
        let evaluation: EvaluationSpec
        switch assignment {
        case .folds(let map, let count):
            evaluation = makeEvaluation(folds: count, isFolds: true)
            let testFold = items.map { map[$0.id] }
            let roles = try SplitPlanning.foldRoles(items: items, testFold: testFold, folds: count, rule: rule,
                                                    fraction: validationFraction, speakerGrouped: speakerIndependent, seed: seed)
            annotated = SplitPlanning.annotate(items, roles: roles, testFold: testFold)
        case .splits(let map):
            evaluation = makeEvaluation(folds: 1, isFolds: false)
            var splits = items.map { map[$0.id] ?? SplitName.train }
            switch rule {
            case .nextFold:
                throw SplitError("validation \"nextFold\" needs folds, but \(file) gives a split",
                                 hint: "use validation \"fraction\" or \"none\"")
            case .fraction:
                guard !splits.contains(SplitName.validation) else {
                    throw SplitError("\(file) already names validation items; validation \"fraction\" would carve more",
                                     hint: "set validation to \"none\"")
                }
                let training = items.indices.filter { splits[$0] == SplitName.train }
                let chosen = speakerIndependent
                    ? try SplitPlanning.speakerSubset(training, items: items, fraction: validationFraction, seed: seed, purpose: "validation")
                    : SplitPlanning.stratifiedSubset(training, items: items, fraction: validationFraction, seed: seed, purpose: "validation")
                for index in chosen { splits[index] = SplitName.validation }
            case .none, .speakers:
                break
            }
            annotated = SplitPlanning.annotate(items, splits: splits)
        }
        if speakerIndependent {
            try SplitPlanning.requireSpeakerIndependence(annotated, folds: evaluation.folds, protocolName: evaluation.name)
        }
        var section = SplitPlanning.report(annotated, folds: evaluation.folds, evaluation: evaluation,
                                           groupKey: speakerIndependent ? MetadataKey.speaker : nil)
        if case .object(var object) = section {
            object["unlistedItems"] = .int(missing.count)
            object["unmatchedIds"] = .array(unmatched.prefix(50).map(JSON.string))
            object["unmatchedIdCount"] = .int(unmatched.count)
            section = .object(object)
        }
        context.addReportSection(nodeId, section)
        return ["items": SplitPlanning.stream(annotated, from: input)]
    }
}
