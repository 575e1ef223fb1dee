import EmoCore
import EmoJSON
import Foundation

/// `split.kfold`: seeded k-fold cross-validation, stratified by label.
public final class KFoldSplit: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "split.kfold",
        summary: "Seeded k-fold cross-validation, stratified by label",
        details: """
            Shuffles each label's items (seeded; independent of input order and node id) and deals \
            them round-robin into `folds` folds, label after label, so fold sizes and per-label \
            counts differ by at most one. Every item is test in exactly one fold. Sets `fold` (the \
            fold where the item is test, from 0) and `roles` (its role in each fold, e.g. \
            `train,validation,test,train,train`). Validation comes from the training part only: \
            "nextFold" (in fold f the items of fold f+1 validate; needs 3 folds or more), "fraction" \
            (`validationFraction` of the training part, stratified), or "none". With \
            `speakerIndependent` whole speakers are dealt instead (largest first, to the smallest \
            fold), validation fractions take whole speakers, and the protocol is audited. Protocol \
            name: "stratified k-fold" with k (or "speaker-independent k-fold").
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances with labels")],
        outputs: [PortSpec("items", .utterances, summary: "the same utterances with fold and roles metadata")],
        parameters: [
            ParameterSpec("folds", .integer, default: 5, range: 2...100, summary: "number of folds (k)"),
        ] + SplitPlanning.validationParameters(rules: [.nextFold, .fraction, .none], default: .nextFold) + [
            ParameterSpec("speakerIndependent", .boolean, default: false, summary: "deal whole speakers instead of items"),
            SplitPlanning.seedParameter,
        ],
        example: """
            { "id": "split", "type": "split.kfold", "inputs": { "items": "corpus.items" }, "params": { "folds": 10, "validation": "fraction" } }
            """)

    let folds: Int
    let rule: ValidationRule
    let validationFraction: Double
    let speakerIndependent: Bool
    let seed: Int?
    let nodeId: String
    let evaluation: EvaluationSpec

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        folds = parameters.int("folds")
        rule = ValidationRule(rawValue: parameters.string("validation")) ?? .nextFold
        validationFraction = parameters.double("validationFraction")
        speakerIndependent = parameters.bool("speakerIndependent")
        seed = parameters.optionalInt("seed")
        if rule == .nextFold && folds < 3 {
            throw ParameterError(parameter: "validation", "\"nextFold\" needs at least 3 folds; folds is \(folds)",
                                 hint: "use validation \"fraction\" or \"none\", or more folds")
        }
        evaluation = EvaluationSpec(
            name: speakerIndependent ? "speaker-independent \(folds)-fold" : "stratified \(folds)-fold",
            speakerIndependent: speakerIndependent, folds: folds,
            validation: SplitPlanning.validationText(rule, fraction: validationFraction, speakerGrouped: speakerIndependent))
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        try SplitPlanning.outputFormat(inputs, evaluation: evaluation)
    }

    /// Each item's test fold.
    func assignFolds(_ items: [Item], seed: UInt64) throws -> [Int?] {
        var testFold = [Int?](repeating: nil, count: items.count)
        let all = Array(items.indices)
        if speakerIndependent {
            let speakers = SplitPlanning.bySpeaker(all, items: items)
            guard speakers.count >= folds else {
                throw SplitError("\(folds) speaker-independent folds need at least \(folds) speakers; the items have \(speakers.count)")
            }
            var random = SplitPlanning.random(seed, "kfold", "speakers")
            let order = SplitPlanning.shuffle(Array(speakers.indices), random: &random)
                .enumerated().sorted { (speakers[$0.element].indices.count, -$0.offset) > (speakers[$1.element].indices.count, -$1.offset) }
                .map(\.element)
            var sizes = Array(repeating: 0, count: folds)
            for group in order {
                let fold = sizes.indices.min { (sizes[$0], $0) < (sizes[$1], $1) } ?? 0
                sizes[fold] += speakers[group].indices.count
                for index in speakers[group].indices { testFold[index] = fold }
            }
        } else {
            guard items.count >= folds else {
                throw SplitError("\(folds) folds need at least \(folds) items; the stream has \(items.count)")
            }
            var position = 0
            for group in SplitPlanning.byLabel(all, items: items) {
                var random = SplitPlanning.random(seed, "kfold", "label", group.label)
                for index in SplitPlanning.shuffled(group.indices, items: items, random: &random) {
                    testFold[index] = position % folds
                    position += 1
                }
            }
        }
        return testFold
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        let items = try input.collect()
        let seed = SplitPlanning.seed(self.seed, context: context)
        if speakerIndependent { try SplitPlanning.requireMetadata(MetadataKey.speaker, in: items, node: "split.kfold") }
        let testFold = try assignFolds(items, seed: seed)
        let roles = try SplitPlanning.foldRoles(items: items, testFold: testFold, folds: folds, rule: rule,
                                                fraction: validationFraction, speakerGrouped: speakerIndependent, seed: seed)
        let annotated = SplitPlanning.annotate(items, roles: roles, testFold: testFold)
        if speakerIndependent { try SplitPlanning.requireSpeakerIndependence(annotated, folds: folds, protocolName: evaluation.name) }
        context.addReportSection(nodeId, SplitPlanning.report(annotated, folds: folds, evaluation: evaluation,
                                                              groupKey: speakerIndependent ? MetadataKey.speaker : nil))
        return ["items": SplitPlanning.stream(annotated, from: input)]
    }
}
