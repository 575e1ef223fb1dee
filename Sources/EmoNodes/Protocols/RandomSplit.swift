import EmoCore
import EmoJSON
import Foundation

/// `split.random`: one seeded train/validation/test split, stratified by label.
public final class RandomSplit: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "split.random",
        summary: "One seeded random train/validation/test split, stratified by label",
        details: """
            Draws `testFraction` of the items as test, in proportion per label (largest remainders get \
            the rounding), then carves validation from the remaining training part: with validation \
            "fraction", `validationFraction` of it, again stratified (so testFraction 0.2 and \
            validationFraction 0.125 give 70/10/20). Sets each item's `split` metadata to train, \
            validation or test. The draw depends on the seed (the `seed` parameter, else the run \
            seed) and the item ids, not on the input order or the node id. With `speakerIndependent` \
            whole speakers are drawn instead (not stratified; at least one speaker on each side), the \
            protocol is declared speaker-independent and audited. Protocol name: "random stratified \
            split" (or "random speaker-independent split").
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances with labels")],
        outputs: [PortSpec("items", .utterances, summary: "the same utterances with split metadata")],
        parameters: [
            ParameterSpec("testFraction", .number, default: 0.2, range: 0.01...0.9, summary: "share of all items that is test"),
        ] + SplitPlanning.validationParameters(rules: [.fraction, .none], default: .fraction) + [
            ParameterSpec("speakerIndependent", .boolean, default: false, summary: "draw whole speakers instead of items"),
            SplitPlanning.seedParameter,
        ],
        example: """
            { "id": "split", "type": "split.random", "inputs": { "items": "corpus.items" }, "params": { "testFraction": 0.2, "validationFraction": 0.125 } }
            """)

    let testFraction: Double
    let rule: ValidationRule
    let validationFraction: Double
    let speakerIndependent: Bool
    let seed: Int?
    let nodeId: String
    let evaluation: EvaluationSpec

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        testFraction = parameters.double("testFraction")
        rule = ValidationRule(rawValue: parameters.string("validation")) ?? .fraction
        validationFraction = parameters.double("validationFraction")
        speakerIndependent = parameters.bool("speakerIndependent")
        seed = parameters.optionalInt("seed")
        evaluation = EvaluationSpec(
            name: speakerIndependent ? "random speaker-independent split" : "random stratified split",
            speakerIndependent: speakerIndependent, folds: 1,
            validation: SplitPlanning.validationText(rule, fraction: validationFraction, speakerGrouped: speakerIndependent))
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        try SplitPlanning.outputFormat(inputs, evaluation: evaluation)
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        let items = try input.collect()
        let seed = SplitPlanning.seed(self.seed, context: context)
        let all = Array(items.indices)
        if speakerIndependent { try SplitPlanning.requireMetadata(MetadataKey.speaker, in: items, node: "split.random") }
        let test = speakerIndependent
            ? try SplitPlanning.speakerSubset(all, items: items, fraction: testFraction, seed: seed, purpose: "test")
            : SplitPlanning.stratifiedSubset(all, items: items, fraction: testFraction, seed: seed, purpose: "test")
        let training = all.filter { !test.contains($0) }
        var validation = Set<Int>()
        if rule == .fraction {
            validation = speakerIndependent
                ? try SplitPlanning.speakerSubset(training, items: items, fraction: validationFraction, seed: seed, purpose: "validation")
                : SplitPlanning.stratifiedSubset(training, items: items, fraction: validationFraction, seed: seed, purpose: "validation")
        }
        let splits = all.map { test.contains($0) ? SplitName.test : validation.contains($0) ? SplitName.validation : SplitName.train }
        let annotated = SplitPlanning.annotate(items, splits: splits)
        if speakerIndependent { try SplitPlanning.requireSpeakerIndependence(annotated, folds: 1, protocolName: evaluation.name) }
        context.addReportSection(nodeId, SplitPlanning.report(annotated, folds: 1, evaluation: evaluation,
                                                              groupKey: speakerIndependent ? MetadataKey.speaker : nil))
        return ["items": SplitPlanning.stream(annotated, from: input)]
    }
}
