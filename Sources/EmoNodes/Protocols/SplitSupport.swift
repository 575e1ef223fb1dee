import EmoCore
import EmoJSON
import Foundation

/// A split that cannot be made from the items it was given (a listed speaker with no items, a
/// speaker on both sides of a speaker-independent protocol, too few folds for the validation rule).
public struct SplitError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, for a person.
    public var message: String
    /// How to fix it, when known.
    public var hint: String?

    /// A split error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

/// Finds speakers that a speaker-independent protocol puts on both sides in fold `fold`: speakers
/// with test items and training or validation items, and speakers with both training and
/// validation items. Items carry their role through `roles` (per fold) or `split`; items with no
/// role in the fold are ignored. Items with a role but no `speaker` metadata are counted in one
/// problem, since their independence cannot be checked.
///
/// Returns one sentence per problem, sorted (empty when the fold is speaker-independent); folds are
/// numbered from 1 in the sentences, as in progress output.
public func auditSpeakerIndependence(items: [Item], fold: Int) -> [String] {
    var counts: [String: [String: Int]] = [:]  // speaker → role → items
    var withoutSpeaker = 0
    for item in items {
        guard let role = item.role(inFold: fold) else { continue }
        guard let speaker = item.metadata[MetadataKey.speaker], !speaker.isEmpty else {
            withoutSpeaker += 1
            continue
        }
        counts[speaker, default: [:]][role, default: 0] += 1
    }
    var problems: [String] = []
    let foldName = "fold \(fold + 1)"
    for (speaker, roles) in counts.sorted(by: { $0.key < $1.key }) {
        let test = roles[SplitName.test] ?? 0
        let train = roles[SplitName.train] ?? 0
        let validation = roles[SplitName.validation] ?? 0
        if test > 0 && train + validation > 0 {
            problems.append("speaker \(speaker) is on both sides in \(foldName): \(test) test items, \(train) training items, \(validation) validation items")
        } else if train > 0 && validation > 0 {
            problems.append("speaker \(speaker) is in both training and validation in \(foldName): \(train) training items, \(validation) validation items")
        }
    }
    if withoutSpeaker > 0 {
        problems.append("\(withoutSpeaker) items with a role in \(foldName) have no speaker metadata, so speaker independence cannot be checked")
    }
    return problems
}

/// How a protocol carves validation items from the training part.
enum ValidationRule: String {
    /// In fold f, the items of fold f+1 (cyclically) validate.
    case nextFold
    /// A fraction of the training part: stratified by label, or whole speakers when speaker-independent.
    case fraction
    /// Listed speakers validate.
    case speakers
    /// No validation items.
    case none
}

/// Split planning shared by the protocol nodes.
enum SplitPlanning {
    /// The split parameters every protocol node shares.
    static func validationParameters(
        rules: [ValidationRule], default rule: ValidationRule?, fraction: Double = 0.1
    ) -> [ParameterSpec] {
        [
            ParameterSpec("validation", .choice(rules.map(\.rawValue)), default: rule.map { .string($0.rawValue) },
                          optional: rule == nil,
                          summary: "how validation items are carved from the training part (never from the test part)"),
            ParameterSpec("validationFraction", .number, default: .double(fraction), range: 0.01...0.9,
                          summary: "with validation \"fraction\": share of the training part that validates"),
        ]
    }

    /// The optional `seed` parameter.
    static let seedParameter = ParameterSpec(
        "seed", .integer, minimum: 0, optional: true,
        summary: "seed for the random assignment; default the run seed (--seed)")

    /// The seed to draw from: the `seed` parameter, else the run seed.
    static func seed(_ parameter: Int?, context: RunContext) -> UInt64 {
        parameter.map { UInt64($0) } ?? context.seed
    }

    /// A generator for one purpose. It does not depend on the node id, so renaming a node keeps its split.
    static func random(_ seed: UInt64, _ parts: String...) -> SeededRandom {
        SeededRandom(parts: ["split", String(seed)] + parts)
    }

    /// `indices` in a seeded random order, independent of the order they came in (sorted by id first).
    static func shuffled(_ indices: [Int], items: [Item], random: inout SeededRandom) -> [Int] {
        shuffle(indices.sorted { items[$0].id < items[$1].id }, random: &random)
    }

    /// Fisher–Yates shuffle of `values` in their given order.
    static func shuffle(_ values: [Int], random: inout SeededRandom) -> [Int] {
        var order = values
        if order.count > 1 {
            for position in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(position, random.nextInt(in: 0...position))
            }
        }
        return order
    }

    /// Indices grouped by label, labels sorted (unlabelled items under "").
    static func byLabel(_ indices: [Int], items: [Item]) -> [(label: String, indices: [Int])] {
        Dictionary(grouping: indices) { items[$0].label ?? "" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Indices grouped by speaker, speakers sorted.
    static func bySpeaker(_ indices: [Int], items: [Item]) -> [(speaker: String, indices: [Int])] {
        Dictionary(grouping: indices) { items[$0].metadata[MetadataKey.speaker] ?? "" }
            .sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// A stratified random subset of `indices` with `round(count × fraction)` members, each label
    /// represented in proportion (largest remainders get the rounding).
    static func stratifiedSubset(_ indices: [Int], items: [Item], fraction: Double, seed: UInt64, purpose: String) -> Set<Int> {
        let groups = byLabel(indices, items: items)
        let target = Int((Double(indices.count) * fraction).rounded())
        var quotas = groups.map { Int((Double($0.indices.count) * fraction).rounded(.down)) }
        let remainders = groups.enumerated().map { Double($0.element.indices.count) * fraction - Double(quotas[$0.offset]) }
        var missing = target - quotas.reduce(0, +)
        for index in remainders.indices.sorted(by: { remainders[$0] > remainders[$1] || (remainders[$0] == remainders[$1] && $0 < $1) })
        where missing > 0 && quotas[index] < groups[index].indices.count {
            quotas[index] += 1
            missing -= 1
        }
        var chosen = Set<Int>()
        for (groupIndex, group) in groups.enumerated() {
            var random = Self.random(seed, purpose, "label", group.label)
            chosen.formUnion(shuffled(group.indices, items: items, random: &random).prefix(quotas[groupIndex]))
        }
        return chosen
    }

    /// Whole speakers drawn at random from `indices` until they hold at least `round(count × fraction)`
    /// items (at least one speaker), always leaving at least one speaker out.
    static func speakerSubset(_ indices: [Int], items: [Item], fraction: Double, seed: UInt64, purpose: String) throws -> Set<Int> {
        let groups = bySpeaker(indices, items: items)
        guard groups.count >= 2 else {
            throw SplitError("cannot carve whole speakers from a part with \(groups.count) speaker(s)",
                             hint: "use more speakers, or validation \"none\"")
        }
        var random = Self.random(seed, purpose, "speakers")
        let order = shuffle(Array(groups.indices), random: &random)
        let target = max(1, Int((Double(indices.count) * fraction).rounded()))
        var chosen = Set<Int>()
        for (taken, groupIndex) in order.enumerated() where chosen.count < target && taken < groups.count - 1 {
            chosen.formUnion(groups[groupIndex].indices)
        }
        return chosen
    }

    /// Per-item roles in each fold, given each item's test fold (nil: never tested, always training).
    static func foldRoles(
        items: [Item], testFold: [Int?], folds: Int, rule: ValidationRule, fraction: Double, speakerGrouped: Bool, seed: UInt64
    ) throws -> [[String]] {
        var roles = Array(repeating: [String](), count: items.count)
        if rule == .nextFold && folds < 3 {
            throw SplitError("validation \"nextFold\" needs at least 3 folds; this split has \(folds)",
                             hint: "use validation \"fraction\" or \"none\"")
        }
        for fold in 0..<folds {
            var validation = Set<Int>()
            let training = items.indices.filter { testFold[$0] != fold }
            switch rule {
            case .nextFold:
                validation = Set(training.filter { testFold[$0] == (fold + 1) % folds })
            case .fraction:
                validation = speakerGrouped
                    ? try speakerSubset(training, items: items, fraction: fraction, seed: seed, purpose: "validation fold \(fold)")
                    : stratifiedSubset(training, items: items, fraction: fraction, seed: seed, purpose: "validation fold \(fold)")
            case .none, .speakers:
                break
            }
            for index in items.indices {
                roles[index].append(testFold[index] == fold ? SplitName.test
                                    : validation.contains(index) ? SplitName.validation : SplitName.train)
            }
        }
        return roles
    }

    /// The items with `roles` and `fold` set (and `split` removed) for a k-fold protocol.
    static func annotate(_ items: [Item], roles: [[String]], testFold: [Int?]) -> [Item] {
        items.indices.map { index in
            var item = items[index]
            item.metadata[MetadataKey.roles] = roles[index].joined(separator: ",")
            item.metadata[MetadataKey.fold] = testFold[index].map(String.init)
            item.metadata[MetadataKey.split] = nil
            return item
        }
    }

    /// The items with `split` set (and `roles`, `fold` removed) for a single-split protocol.
    static func annotate(_ items: [Item], splits: [String]) -> [Item] {
        items.indices.map { index in
            var item = items[index]
            item.metadata[MetadataKey.split] = splits[index]
            item.metadata[MetadataKey.roles] = nil
            item.metadata[MetadataKey.fold] = nil
            return item
        }
    }

    /// The output stream: the annotated items when the input is deterministic; otherwise a stream
    /// that pulls the input again on each pass (stochastic upstream nodes draw anew) and copies each
    /// item's split keys (`split`, `roles`, `fold`) from the first pass, leaving out dropped items.
    static func stream(
        _ annotated: [Item], from input: any ItemStream, copying keys: [String] = [MetadataKey.split, MetadataKey.roles, MetadataKey.fold]
    ) -> any ItemStream {
        if input.isDeterministic { return ArrayStream(annotated) }
        var byId: [String: [String: String]] = [:]
        for item in annotated { byId[item.id] = item.metadata.filter { keys.contains($0.key) } }
        return DerivedStream(expectedCount: annotated.count, deterministic: false) { pass in
            let upstream = try input.makeIterator(pass: pass)
            return ClosureIterator {
                while var item = try upstream.next() {
                    guard let assigned = byId[item.id] else { continue }
                    for key in keys { item.metadata[key] = assigned[key] }
                    return item
                }
                return nil
            }
        }
    }

    /// The input format with the protocol attached.
    static func outputFormat(_ inputs: [String: StreamFormat], evaluation: EvaluationSpec) throws -> [String: StreamFormat] {
        guard var format = inputs["items"] else { throw FormatError(port: "items", expected: "Utterances") }
        format.evaluation = evaluation
        format.hasSplits = true
        return ["items": format]
    }

    /// Runs the speaker audit on every fold and throws when any speaker is on both sides.
    static func requireSpeakerIndependence(_ items: [Item], folds: Int, protocolName: String) throws {
        var problems: [String] = []
        for fold in 0..<max(1, folds) { problems += auditSpeakerIndependence(items: items, fold: fold) }
        guard problems.isEmpty else {
            let shown = problems.prefix(10).joined(separator: "; ")
            let more = problems.count > 10 ? "; and \(problems.count - 10) more" : ""
            throw SplitError("\(protocolName) is declared speaker-independent but is not: \(shown)\(more)")
        }
    }

    /// Throws unless every item has `key` metadata (speaker, session).
    static func requireMetadata(_ key: String, in items: [Item], node: String) throws {
        let lacking = items.filter { ($0.metadata[key] ?? "").isEmpty }
        guard lacking.isEmpty else {
            throw SplitError("\(node) needs \(key) metadata, but \(lacking.count) items have none (e.g. \(lacking[0].id))",
                             hint: "use a reader that sets \(key), or a manifest with a \(key) column")
        }
    }

    /// A report section: per fold, how many items each role has, and the test/validation groups.
    static func report(_ items: [Item], folds: Int, evaluation: EvaluationSpec, groupKey: String?) -> JSON {
        var foldReports: [JSON] = []
        for fold in 0..<max(1, folds) {
            var counts: [String: Int] = [:]
            var groups: [String: Set<String>] = [:]
            for item in items {
                guard let role = item.role(inFold: fold) else { continue }
                counts[role, default: 0] += 1
                if let groupKey, let value = item.metadata[groupKey] { groups[role, default: []].insert(value) }
            }
            var entry: JSONObject = [
                "fold": .int(fold), "train": .int(counts[SplitName.train] ?? 0),
                "validation": .int(counts[SplitName.validation] ?? 0), "test": .int(counts[SplitName.test] ?? 0),
            ]
            if let groupKey {
                entry["test\(groupKey.capitalized)s"] = .array((groups[SplitName.test] ?? []).sorted().map(JSON.string))
                entry["validation\(groupKey.capitalized)s"] = .array((groups[SplitName.validation] ?? []).sorted().map(JSON.string))
            }
            foldReports.append(.object(entry))
        }
        return [
            "protocol": .string(evaluation.name), "speakerIndependent": .bool(evaluation.speakerIndependent),
            "folds": .int(folds), "validation": .string(evaluation.validation), "items": .int(items.count),
            "perFold": .array(foldReports),
        ]
    }

    /// The `validation` text of an ``EvaluationSpec``: the rule name first, then its detail.
    static func validationText(_ rule: ValidationRule, fraction: Double, speakerGrouped: Bool, speakers: [String] = []) -> String {
        switch rule {
        case .nextFold: "nextFold"
        case .none: "none"
        case .speakers: "speakers " + speakers.joined(separator: " ")
        case .fraction: "fraction \(fraction) of the training part, " + (speakerGrouped ? "whole speakers" : "stratified by label")
        }
    }

    /// Speakers (or sessions) listed in a parameter entry: separated by spaces, commas or `+`.
    static func splitGroup(_ entry: String) -> [String] {
        entry.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "+" }).map(String.init)
    }
}
