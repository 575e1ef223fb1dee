import EmoCore
import EmoJSON
import Foundation

/// `split.speakers`: one split with explicit test (and optionally validation) speakers.
public final class SpeakersSplit: StreamNode {
    public static let descriptor = NodeDescriptor(
        type: "split.speakers",
        summary: "One speaker-independent split with listed test (and validation) speakers",
        details: """
            Items of `testSpeakers` are test; items of `validationSpeakers` validate; the rest train. \
            `validation` defaults to "speakers" when `validationSpeakers` is given and "none" \
            otherwise; "fraction" draws whole speakers from the training speakers until they hold \
            `validationFraction` of the training items. Every listed speaker must have items, and a \
            speaker cannot be listed on both sides. Sets `split` metadata; the split is audited for \
            speaker independence. Protocol name: "leave-speakers-out".
            """,
        role: .stream,
        inputs: [PortSpec("items", .utterances, summary: "utterances with speaker metadata")],
        outputs: [PortSpec("items", .utterances, summary: "the same utterances with split metadata")],
        parameters: [
            ParameterSpec("testSpeakers", .stringList, summary: "speakers whose items are test"),
            ParameterSpec("validationSpeakers", .stringList, optional: true, summary: "speakers whose items validate"),
        ] + SplitPlanning.validationParameters(rules: [.speakers, .fraction, .none], default: nil) + [
            SplitPlanning.seedParameter,
        ],
        example: """
            { "id": "split", "type": "split.speakers", "inputs": { "items": "corpus.items" }, "params": { "testSpeakers": ["03", "08"], "validationSpeakers": ["09"] } }
            """)

    let testSpeakers: [String]
    let validationSpeakers: [String]
    let rule: ValidationRule
    let validationFraction: Double
    let seed: Int?
    let nodeId: String
    let evaluation: EvaluationSpec

    public init(setup: NodeSetup) throws {
        let parameters = setup.parameters
        nodeId = setup.nodeId
        testSpeakers = parameters.stringList("testSpeakers")
        validationSpeakers = parameters.has("validationSpeakers") ? parameters.stringList("validationSpeakers") : []
        validationFraction = parameters.double("validationFraction")
        seed = parameters.optionalInt("seed")
        if let given = parameters.optionalString("validation") {
            rule = ValidationRule(rawValue: given) ?? .none
        } else {
            rule = validationSpeakers.isEmpty ? .none : .speakers
        }
        guard !testSpeakers.isEmpty else { throw ParameterError(parameter: "testSpeakers", "the list is empty") }
        if rule == .speakers && validationSpeakers.isEmpty {
            throw ParameterError(parameter: "validationSpeakers", "validation is \"speakers\" but no validation speakers are listed")
        }
        if rule != .speakers && !validationSpeakers.isEmpty {
            throw ParameterError(parameter: "validationSpeakers", "validation speakers are listed but validation is \"\(rule.rawValue)\"",
                                 hint: "drop validationSpeakers, or set validation to \"speakers\"")
        }
        let both = Set(testSpeakers).intersection(validationSpeakers).sorted()
        if !both.isEmpty {
            throw ParameterError(parameter: "validationSpeakers",
                                 "speakers " + both.joined(separator: ", ") + " are listed for both test and validation")
        }
        evaluation = EvaluationSpec(
            name: "leave-speakers-out", speakerIndependent: true, folds: 1,
            validation: SplitPlanning.validationText(rule, fraction: validationFraction, speakerGrouped: true,
                                                     speakers: validationSpeakers))
    }

    public func negotiate(inputs: [String: StreamFormat]) throws -> [String: StreamFormat] {
        try SplitPlanning.outputFormat(inputs, evaluation: evaluation)
    }

    public func run(inputs: [String: ItemStream], context: RunContext) throws -> [String: ItemStream] {
        guard let input = inputs["items"] else { return [:] }
        let items = try input.collect()
        try SplitPlanning.requireMetadata(MetadataKey.speaker, in: items, node: Self.descriptor.type)
        let found = Set(items.compactMap { $0.metadata[MetadataKey.speaker] })
        let absent = (testSpeakers + validationSpeakers).filter { !found.contains($0) }
        guard absent.isEmpty else {
            throw SplitError("listed speakers " + absent.joined(separator: ", ") + " have no items",
                             hint: "items have speakers " + found.sorted().joined(separator: ", "))
        }
        let test = Set(testSpeakers)
        var validationSet = Set(validationSpeakers)
        let training = items.indices.filter { !test.contains(items[$0].metadata[MetadataKey.speaker] ?? "") && !validationSet.contains(items[$0].metadata[MetadataKey.speaker] ?? "") }
        guard !training.isEmpty else { throw SplitError("no speaker is left for training") }
        var validationIndices = Set<Int>()
        if rule == .fraction {
            let seed = SplitPlanning.seed(self.seed, context: context)
            validationIndices = try SplitPlanning.speakerSubset(training, items: items, fraction: validationFraction, seed: seed,
                                                                purpose: "validation")
            validationSet = Set(validationIndices.compactMap { items[$0].metadata[MetadataKey.speaker] })
        }
        let splits = items.map { item -> String in
            let speaker = item.metadata[MetadataKey.speaker] ?? ""
            return test.contains(speaker) ? SplitName.test : validationSet.contains(speaker) ? SplitName.validation : SplitName.train
        }
        let annotated = SplitPlanning.annotate(items, splits: splits)
        try SplitPlanning.requireSpeakerIndependence(annotated, folds: 1, protocolName: evaluation.name)
        context.addReportSection(nodeId, SplitPlanning.report(annotated, folds: 1, evaluation: evaluation, groupKey: MetadataKey.speaker))
        return ["items": SplitPlanning.stream(annotated, from: input)]
    }
}
