import EmoCore
import EmoJSON
import Foundation

/// `split.leaveOneSpeakerOut`: one fold per speaker (or per group of speakers).
public final class LeaveOneSpeakerOutSplit: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "split.leaveOneSpeakerOut",
        summary: "Speaker-independent folds: one per speaker, or per group of speakers",
        details: """
            Fold f tests the f-th speaker in `speakers` order (default: the speakers found, sorted), \
            so the number of folds is the number of speakers (EmoDB: 10). `groups` tests several \
            speakers per fold instead, each entry listing one fold's speakers separated by spaces, \
            commas or `+` (RAVDESS 6 folds of 4 actors: ["01 02 03 04", "05 06 07 08", …]); `folds` \
            deals the ordered speakers into that many consecutive groups. Every speaker with items \
            must be in the order or a group, and every listed speaker must have items. Validation: \
            "nextFold" (default) validates on the next fold's speakers (fold f+1, cyclically; with \
            speakers in list order this is the next speaker, as in the reference EmoDB script), \
            "fraction" on whole speakers drawn from the training speakers, "none". Sets `fold` and \
            `roles` metadata; the split is audited for speaker independence and the run fails on \
            overlap. The declared fold count is 0 ("one per speaker found") when neither \
            `speakers`, `groups` nor `folds` fixes it; the items' `roles` then carry the count.
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances with speaker metadata")],
        outputs: [PortSpec("items", .utterances, summary: "the same utterances with fold and roles metadata")],
        parameters: [
            ParameterSpec("speakers", .stringList, optional: true, summary: "speakers in fold order; default the speakers found, sorted"),
            ParameterSpec("groups", .stringList, optional: true,
                          summary: "speakers tested together, one entry per fold (\"01 02 03 04\")"),
            ParameterSpec("folds", .integer, range: 2...1000, optional: true,
                          summary: "deal the ordered speakers into this many consecutive groups"),
        ] + SplitPlanning.validationParameters(rules: [.nextFold, .fraction, .none], default: .nextFold) + [
            SplitPlanning.seedParameter,
        ],
        example: """
            { "id": "split", "type": "split.leaveOneSpeakerOut", "inputs": { "items": "corpus.items" }, "params": { "folds": 6 } }
            """)

    let order: [String]?
    let groups: [[String]]?
    let foldCount: Int?
    let rule: ValidationRule
    let validationFraction: Double
    let seed: Int?
    let nodeId: String
    let evaluation: EvaluationSpec

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        order = parameters.has("speakers") ? parameters.stringList("speakers") : nil
        groups = parameters.has("groups") ? parameters.stringList("groups").map(SplitPlanning.splitGroup) : nil
        foldCount = parameters.optionalInt("folds")
        rule = ValidationRule(rawValue: parameters.string("validation")) ?? .nextFold
        validationFraction = parameters.double("validationFraction")
        seed = parameters.optionalInt("seed")
        if groups != nil && (order != nil || foldCount != nil) {
            throw ParameterError(parameter: "groups", "groups fixes the folds; speakers and folds cannot be given with it")
        }
        let knownFolds = groups?.count ?? foldCount ?? order?.count ?? 0
        if let groups, groups.count < 2 { throw ParameterError(parameter: "groups", "needs at least 2 groups") }
        if let order, order.count < 2 { throw ParameterError(parameter: "speakers", "needs at least 2 speakers") }
        if rule == .nextFold && knownFolds > 0 && knownFolds < 3 {
            throw ParameterError(parameter: "validation", "\"nextFold\" needs at least 3 folds; this split has \(knownFolds)",
                                 hint: "use validation \"fraction\" or \"none\"")
        }
        let grouped = groups.map { $0.contains { $0.count > 1 } } ?? (foldCount != nil)
        evaluation = EvaluationSpec(
            name: grouped ? "leave-speakers-out (\(knownFolds) folds)" : "leave-one-speaker-out",
            speakerIndependent: true, folds: knownFolds,
            validation: SplitPlanning.validationText(rule, fraction: validationFraction, speakerGrouped: true))
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        try SplitPlanning.outputFormat(inputs, evaluation: evaluation)
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        let items = try input.collect()
        try SplitPlanning.requireMetadata(MetadataKey.speaker, in: items, node: Self.descriptor.type)
        let plan = try GroupFolds(items: items, key: MetadataKey.speaker, order: order, groups: groups, foldCount: foldCount)
        guard plan.groups.count >= 2 else {
            throw SplitError("leave-one-speaker-out needs at least 2 speakers; the items have \(plan.groups.count)")
        }
        let seed = SplitPlanning.seed(self.seed, context: context)
        let roles = try SplitPlanning.foldRoles(items: items, testFold: plan.testFold, folds: plan.groups.count, rule: rule,
                                                fraction: validationFraction, speakerGrouped: true, seed: seed)
        let annotated = SplitPlanning.annotate(items, roles: roles, testFold: plan.testFold)
        var evaluation = self.evaluation
        evaluation.folds = plan.groups.count
        try SplitPlanning.requireSpeakerIndependence(annotated, folds: plan.groups.count, protocolName: evaluation.name)
        context.addReportSection(nodeId, SplitPlanning.report(annotated, folds: plan.groups.count, evaluation: evaluation,
                                                              groupKey: MetadataKey.speaker))
        return ["items": SplitPlanning.stream(annotated, from: input)]
    }
}
