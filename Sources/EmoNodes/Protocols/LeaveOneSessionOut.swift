import EmoCore
import EmoJSON
import Foundation

/// `split.leaveOneSessionOut`: one fold per recording session (IEMOCAP's five sessions).
public final class LeaveOneSessionOutSplit: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "split.leaveOneSessionOut",
        summary: "One fold per session (IEMOCAP), speaker-independent",
        details: """
            Fold f tests the f-th session in `sessions` order (default: the values of the `key` \
            metadata found, sorted; for corpus.iemocap Session1 … Session5, 5 folds). Every session \
            with items must be listed. Validation: "nextFold" (default; the next session), \
            "fraction" (whole speakers drawn from the training sessions), "none". Sets `fold` and \
            `roles`. IEMOCAP's speakers each belong to one session, so the protocol is declared \
            speaker-independent and audited; the run fails if a speaker appears in two sessions. The \
            declared fold count is 0 ("one per session found") unless `sessions` is given.
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances with session and speaker metadata")],
        outputs: [PortSpec("items", .utterances, summary: "the same utterances with fold and roles metadata")],
        parameters: [
            ParameterSpec("sessions", .stringList, optional: true, summary: "sessions in fold order; default those found, sorted"),
            ParameterSpec("key", .string, default: "session", summary: "metadata key that names the session"),
        ] + SplitPlanning.validationParameters(rules: [.nextFold, .fraction, .none], default: .nextFold) + [
            SplitPlanning.seedParameter,
        ],
        example: """
            { "id": "split", "type": "split.leaveOneSessionOut", "inputs": { "items": "corpus.items" } }
            """)

    let order: [String]?
    let key: String
    let rule: ValidationRule
    let validationFraction: Double
    let seed: Int?
    let nodeId: String
    let evaluation: EvaluationSpec

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        order = parameters.has("sessions") ? parameters.stringList("sessions") : nil
        key = parameters.string("key")
        rule = ValidationRule(rawValue: parameters.string("validation")) ?? .nextFold
        validationFraction = parameters.double("validationFraction")
        seed = parameters.optionalInt("seed")
        if let order, order.count < 2 { throw ParameterError(parameter: "sessions", "needs at least 2 sessions") }
        if rule == .nextFold, let order, order.count < 3 {
            throw ParameterError(parameter: "validation", "\"nextFold\" needs at least 3 sessions; sessions lists \(order.count)",
                                 hint: "use validation \"fraction\" or \"none\"")
        }
        evaluation = EvaluationSpec(
            name: "leave-one-session-out", speakerIndependent: true, folds: order?.count ?? 0,
            validation: SplitPlanning.validationText(rule, fraction: validationFraction, speakerGrouped: true))
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        try SplitPlanning.outputFormat(inputs, evaluation: evaluation)
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        let items = try input.collect()
        try SplitPlanning.requireMetadata(key, in: items, node: Self.descriptor.type)
        try SplitPlanning.requireMetadata(MetadataKey.speaker, in: items, node: Self.descriptor.type)
        let plan = try GroupFolds(items: items, key: key, order: order, groups: nil, foldCount: nil)
        guard plan.groups.count >= 2 else {
            throw SplitError("leave-one-session-out needs at least 2 sessions; the items have \(plan.groups.count)")
        }
        let seed = SplitPlanning.seed(self.seed, context: context)
        let roles = try SplitPlanning.foldRoles(items: items, testFold: plan.testFold, folds: plan.groups.count, rule: rule,
                                                fraction: validationFraction, speakerGrouped: true, seed: seed)
        let annotated = SplitPlanning.annotate(items, roles: roles, testFold: plan.testFold)
        var evaluation = self.evaluation
        evaluation.folds = plan.groups.count
        try SplitPlanning.requireSpeakerIndependence(annotated, folds: plan.groups.count, protocolName: evaluation.name)
        context.addReportSection(nodeId, SplitPlanning.report(annotated, folds: plan.groups.count, evaluation: evaluation,
                                                              groupKey: key))
        return ["items": SplitPlanning.stream(annotated, from: input)]
    }
}
