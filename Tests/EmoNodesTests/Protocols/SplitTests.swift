import EmoCore
import EmoJSON
import EmoNodes
import Foundation
import Testing

/// Synthetic utterances: for each speaker, `perLabel[label]` items of that label.
func splitTestItems(speakers: [String], perLabel: [String: Int], session: (String) -> String? = { _ in nil }) -> [Item] {
    var items: [Item] = []
    for speaker in speakers {
        for (label, count) in perLabel.sorted(by: { $0.key < $1.key }) {
            for index in 0..<count {
                var metadata = ["label": label, "speaker": speaker]
                metadata["session"] = session(speaker)
                items.append(Item(id: "\(speaker)/\(label)-\(index).wav", metadata: metadata,
                                  payload: UtterancePayload(path: "/corpus/\(speaker)/\(label)-\(index).wav")))
            }
        }
    }
    return items
}

/// What a split node produced when driven directly (no pipeline).
struct SplitOutcome {
    var items: [Item]
    var format: StreamFormat
    var context: RunContext

    /// Item ids whose role in `fold` is `role`.
    func ids(_ role: String, fold: Int = 0) -> Set<String> { Set(items.filter { $0.role(inFold: fold) == role }.map(\.id)) }
}

/// Builds a split node from parameters (defaults filled in), negotiates and runs it over `items`.
func runSplit<N: StreamNode>(_ type: N.Type, _ params: [String: JSON], items: [Item], seed: UInt64 = 0) throws -> SplitOutcome {
    let node = try N(setup: NodeSetup(nodeId: "split", parameters: Parameters(defaultsOf: N.descriptor, overriding: params)))
    let format = try #require(try node.negotiate(inputs: ["items": StreamFormat(.utterances, labels: ["a", "b", "c"])])["items"])
    let context = RunContext(seed: seed, workers: 2)
    let output = try node.run(inputs: ["items": ArrayStream(items)], context: context)
    return SplitOutcome(items: try #require(output["items"]).collect(), format: format, context: context)
}

/// The number of folds an item's roles list.
func foldCount(_ items: [Item]) -> Int { items.first?.metadata["roles"]?.split(separator: ",").count ?? 0 }

@Suite struct RandomSplitTests {
    let items = splitTestItems(speakers: ["s1", "s2", "s3", "s4", "s5"], perLabel: ["a": 20, "b": 10, "c": 6])

    @Test func stratifiedProportions() throws {
        let outcome = try runSplit(RandomSplit.self, ["testFraction": 0.2, "validationFraction": 0.125], items: items)
        let bySplit = Dictionary(grouping: outcome.items, by: { $0.split ?? "" })
        #expect(labelCounts(bySplit["test"] ?? []) == ["a": 20, "b": 10, "c": 6])
        #expect(labelCounts(bySplit["validation"] ?? []) == ["a": 10, "b": 5, "c": 3])
        #expect(labelCounts(bySplit["train"] ?? []) == ["a": 70, "b": 35, "c": 21])
        #expect(outcome.items.map(\.id) == items.map(\.id), "order is kept")
        #expect(outcome.items.allSatisfy { $0.metadata["roles"] == nil && $0.metadata["fold"] == nil })
        #expect(outcome.format.evaluation == EvaluationSpec(
            name: "random stratified split", speakerIndependent: false, folds: 1,
            validation: "fraction 0.125 of the training part, stratified by label"))
        #expect(outcome.format.hasSplits && outcome.format.labels == ["a", "b", "c"])
    }

    @Test func theSameSeedGivesTheSameSplitAndAnotherSeedAnother() throws {
        let first = try runSplit(RandomSplit.self, [:], items: items, seed: 1)
        let again = try runSplit(RandomSplit.self, [:], items: items.reversed(), seed: 1)
        let other = try runSplit(RandomSplit.self, [:], items: items, seed: 2)
        #expect(first.ids("test") == again.ids("test") && first.ids("validation") == again.ids("validation"))
        #expect(first.ids("test") != other.ids("test"))
        let parameter = try runSplit(RandomSplit.self, ["seed": 1], items: items, seed: 99)
        #expect(parameter.ids("test") == first.ids("test"), "the seed parameter overrides the run seed")
    }

    @Test func validationNoneAndSpeakerIndependentDraws() throws {
        let none = try runSplit(RandomSplit.self, ["validation": "none"], items: items)
        #expect(none.ids("validation").isEmpty && none.format.evaluation?.validation == "none")
        let bySpeaker = try runSplit(RandomSplit.self, ["speakerIndependent": true, "testFraction": 0.2, "validationFraction": 0.25],
                                     items: items)
        #expect(bySpeaker.format.evaluation?.speakerIndependent == true)
        #expect(auditSpeakerIndependence(items: bySpeaker.items, fold: 0).isEmpty)
        #expect(!bySpeaker.ids("test").isEmpty && !bySpeaker.ids("validation").isEmpty && !bySpeaker.ids("train").isEmpty)
    }
}

@Suite struct KFoldSplitTests {
    let items = splitTestItems(speakers: ["s1", "s2", "s3"], perLabel: ["a": 17, "b": 9, "c": 5])

    func checkEveryItemIsTestExactlyOnce(_ outcome: SplitOutcome, folds: Int) {
        for item in outcome.items {
            let roles = (item.metadata["roles"] ?? "").split(separator: ",").map(String.init)
            #expect(roles.count == folds)
            #expect(roles.filter { $0 == "test" }.count == 1, "\(item.id): \(roles)")
            #expect(roles.firstIndex(of: "test") == Int(item.metadata["fold"] ?? ""))
            #expect(item.split == nil)
        }
    }

    @Test func everyItemIsTestedOnceAndFoldsAreStratified() throws {
        let outcome = try runSplit(KFoldSplit.self, ["folds": 5], items: items)
        checkEveryItemIsTestExactlyOnce(outcome, folds: 5)
        let sizes = (0..<5).map { outcome.ids("test", fold: $0).count }
        #expect(sizes.max()! - sizes.min()! <= 1 && sizes.reduce(0, +) == items.count)
        for label in ["a", "b", "c"] {
            let perFold = (0..<5).map { fold in outcome.items.filter { $0.label == label && $0.role(inFold: fold) == "test" }.count }
            #expect(perFold.max()! - perFold.min()! <= 1, "\(label): \(perFold)")
        }
        #expect(outcome.format.evaluation?.name == "stratified 5-fold" && outcome.format.evaluation?.folds == 5)
    }

    @Test func nextFoldValidatesOnTheNextFoldOnly() throws {
        let outcome = try runSplit(KFoldSplit.self, ["folds": 4, "validation": "nextFold"], items: items)
        for fold in 0..<4 {
            for item in outcome.items {
                let testFold = Int(item.metadata["fold"] ?? "") ?? -1
                let expected = testFold == fold ? "test" : testFold == (fold + 1) % 4 ? "validation" : "train"
                #expect(item.role(inFold: fold) == expected)
            }
        }
    }

    @Test func fractionValidationComesFromTrainingOnly() throws {
        let outcome = try runSplit(KFoldSplit.self, ["folds": 5, "validation": "fraction", "validationFraction": 0.2], items: items)
        checkEveryItemIsTestExactlyOnce(outcome, folds: 5)
        for fold in 0..<5 {
            let test = outcome.ids("test", fold: fold)
            let validation = outcome.ids("validation", fold: fold)
            let train = outcome.ids("train", fold: fold)
            #expect(test.isDisjoint(with: validation) && train.isDisjoint(with: validation))
            #expect(validation.count == Int((Double(items.count - test.count) * 0.2).rounded()))
        }
        let again = try runSplit(KFoldSplit.self, ["folds": 5, "validation": "fraction", "validationFraction": 0.2], items: items)
        #expect(again.items.map { $0.metadata["roles"] ?? "" } == outcome.items.map { $0.metadata["roles"] ?? "" })
        let other = try runSplit(KFoldSplit.self, ["folds": 5, "validation": "fraction"], items: items, seed: 5)
        #expect(other.items.map { $0.metadata["roles"] ?? "" } != outcome.items.map { $0.metadata["roles"] ?? "" })
    }

    @Test func aStochasticInputIsPulledAgainOnEachPassWithTheSameAssignment() throws {
        let node = try KFoldSplit(setup: NodeSetup(nodeId: "split", parameters: Parameters(defaultsOf: KFoldSplit.descriptor)))
        let output = try #require(try node.run(inputs: ["items": ArrayStream(items, deterministic: false)],
                                               context: RunContext())["items"])
        #expect(!output.isDeterministic)
        let deterministic = try runSplit(KFoldSplit.self, [:], items: items)
        for epoch in 0..<2 {
            let pass = try output.collect(pass: Pass(epoch: epoch))
            #expect(pass.map { $0.metadata["roles"] ?? "" } == deterministic.items.map { $0.metadata["roles"] ?? "" })
        }
    }

    @Test func twoFoldsCannotValidateOnTheNextFold() {
        #expect(throws: ParameterError.self) { _ = try runSplit(KFoldSplit.self, ["folds": 2], items: items) }
    }

    @Test func speakerIndependentFoldsDealWholeSpeakers() throws {
        let many = splitTestItems(speakers: (1...7).map { "s\($0)" }, perLabel: ["a": 3, "b": 2])
        let outcome = try runSplit(KFoldSplit.self, ["folds": 3, "speakerIndependent": true], items: many)
        checkEveryItemIsTestExactlyOnce(outcome, folds: 3)
        for fold in 0..<3 { #expect(auditSpeakerIndependence(items: outcome.items, fold: fold).isEmpty) }
        #expect(outcome.format.evaluation?.speakerIndependent == true)
    }
}

@Suite struct SpeakerProtocolTests {
    static let emodbSpeakers = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]

    @Test func leaveOneSpeakerOutHasOneFoldPerSpeakerAndValidatesOnTheNextSpeaker() throws {
        let items = splitTestItems(speakers: Self.emodbSpeakers, perLabel: ["a": 2, "b": 1])
        let outcome = try runSplit(LeaveOneSpeakerOutSplit.self, [:], items: items)
        #expect(foldCount(outcome.items) == 10)
        for (fold, speaker) in Self.emodbSpeakers.enumerated() {
            let next = Self.emodbSpeakers[(fold + 1) % 10]
            #expect(Set(outcome.items.filter { $0.role(inFold: fold) == "test" }.compactMap { $0.metadata["speaker"] }) == [speaker])
            #expect(Set(outcome.items.filter { $0.role(inFold: fold) == "validation" }.compactMap { $0.metadata["speaker"] }) == [next])
            #expect(auditSpeakerIndependence(items: outcome.items, fold: fold).isEmpty)
        }
        #expect(outcome.format.evaluation == EvaluationSpec(name: "leave-one-speaker-out", speakerIndependent: true, folds: 0,
                                                            validation: "nextFold"))
        let section = try #require(outcome.context.reportSections.first { $0.0 == "split" }?.1)
        #expect(section["folds"]?.intValue == 10)
    }

    @Test func anExplicitSpeakerOrderSetsTheFoldsAndTheNextSpeaker() throws {
        let items = splitTestItems(speakers: ["a", "b", "c", "d"], perLabel: ["a": 1])
        let outcome = try runSplit(LeaveOneSpeakerOutSplit.self, ["speakers": ["d", "b", "a", "c"]], items: items)
        #expect(outcome.ids("test", fold: 0) == ["d/a-0.wav"] && outcome.ids("validation", fold: 0) == ["b/a-0.wav"])
        #expect(outcome.ids("validation", fold: 3) == ["d/a-0.wav"])
        #expect(outcome.format.evaluation?.folds == 4)
        #expect(throws: SplitError.self) {
            _ = try runSplit(LeaveOneSpeakerOutSplit.self, ["speakers": ["d", "b", "a"]], items: items)
        }
        #expect(throws: SplitError.self) {
            _ = try runSplit(LeaveOneSpeakerOutSplit.self, ["speakers": ["d", "b", "a", "c", "e"]], items: items)
        }
    }

    @Test func ravdessSixFoldsOfFourActors() throws {
        let actors = (1...24).map { String(format: "%02d", $0) }
        let items = splitTestItems(speakers: actors, perLabel: ["a": 1, "b": 1])
        let groups: [JSON] = stride(from: 0, to: 24, by: 4).map { start in .string(actors[start..<start + 4].joined(separator: " ")) }
        let grouped = try runSplit(LeaveOneSpeakerOutSplit.self, ["groups": .array(groups)], items: items)
        let dealt = try runSplit(LeaveOneSpeakerOutSplit.self, ["folds": 6], items: items)
        #expect(foldCount(grouped.items) == 6)
        #expect(grouped.items.map { $0.metadata["roles"] ?? "" } == dealt.items.map { $0.metadata["roles"] ?? "" })
        for fold in 0..<6 {
            let testActors = Set(grouped.items.filter { $0.role(inFold: fold) == "test" }.compactMap { $0.metadata["speaker"] })
            #expect(testActors == Set(actors[fold * 4..<fold * 4 + 4]))
            #expect(grouped.ids("validation", fold: fold).count == 8)
        }
        #expect(grouped.format.evaluation?.name == "leave-speakers-out (6 folds)" && grouped.format.evaluation?.folds == 6)
        #expect(throws: SplitError.self) {
            _ = try runSplit(LeaveOneSpeakerOutSplit.self, ["groups": .array(Array(groups.dropLast()))], items: items)
        }
    }

    @Test func fractionValidationTakesWholeSpeakers() throws {
        let items = splitTestItems(speakers: Self.emodbSpeakers, perLabel: ["a": 3])
        let outcome = try runSplit(LeaveOneSpeakerOutSplit.self, ["validation": "fraction", "validationFraction": 0.2], items: items)
        for fold in 0..<10 {
            #expect(auditSpeakerIndependence(items: outcome.items, fold: fold).isEmpty)
            #expect(outcome.ids("validation", fold: fold).count == 6)  // two whole speakers of 3 items ≥ 0.2 × 27
        }
    }

    @Test func leaveOneSessionOut() throws {
        let speakers = ["Ses01F", "Ses01M", "Ses02F", "Ses02M", "Ses03F", "Ses03M"]
        let items = splitTestItems(speakers: speakers, perLabel: ["a": 2, "b": 1]) { "Session\($0.dropFirst(4).prefix(1))" }
        let outcome = try runSplit(LeaveOneSessionOutSplit.self, [:], items: items)
        #expect(foldCount(outcome.items) == 3)
        for fold in 0..<3 {
            let test = Set(outcome.items.filter { $0.role(inFold: fold) == "test" }.compactMap { $0.metadata["session"] })
            let validation = Set(outcome.items.filter { $0.role(inFold: fold) == "validation" }.compactMap { $0.metadata["session"] })
            #expect(test == ["Session\(fold + 1)"] && validation == ["Session\((fold + 1) % 3 + 1)"])
        }
        #expect(outcome.format.evaluation?.name == "leave-one-session-out" && outcome.format.evaluation?.speakerIndependent == true)
        // A speaker recorded in two sessions breaks speaker independence: the node refuses.
        var crossing = items
        crossing[0].metadata["speaker"] = "Ses02F"
        #expect {
            _ = try runSplit(LeaveOneSessionOutSplit.self, [:], items: crossing)
        } throws: { error in
            "\(error)".contains("speaker Ses02F is on both sides")
        }
    }

    @Test func explicitTestAndValidationSpeakers() throws {
        let items = splitTestItems(speakers: Self.emodbSpeakers, perLabel: ["a": 2])
        let outcome = try runSplit(SpeakersSplit.self, ["testSpeakers": ["03", "08"], "validationSpeakers": ["09"]], items: items)
        #expect(outcome.ids("test").count == 4 && outcome.ids("validation").count == 2 && outcome.ids("train").count == 14)
        #expect(outcome.items.allSatisfy { $0.metadata["roles"] == nil })
        #expect(outcome.format.evaluation == EvaluationSpec(name: "leave-speakers-out", speakerIndependent: true, folds: 1,
                                                            validation: "speakers 09"))
        let fraction = try runSplit(SpeakersSplit.self, ["testSpeakers": ["03"], "validation": "fraction"], items: items)
        #expect(auditSpeakerIndependence(items: fraction.items, fold: 0).isEmpty && fraction.ids("validation").count == 2)
        let none = try runSplit(SpeakersSplit.self, ["testSpeakers": ["03"]], items: items)
        #expect(none.ids("validation").isEmpty)
        #expect(throws: SplitError.self) { _ = try runSplit(SpeakersSplit.self, ["testSpeakers": ["99"]], items: items) }
        #expect(throws: ParameterError.self) {
            _ = try runSplit(SpeakersSplit.self, ["testSpeakers": ["03"], "validationSpeakers": ["03"]], items: items)
        }
    }
}

@Suite struct FromFileSplitTests {
    let items = splitTestItems(speakers: ["s1", "s2", "s3"], perLabel: ["a": 2])

    @Test func foldsFromCSVAreRenumberedFromZero() throws {
        let fixture = try CorpusFixture("folds")
        let rows = items.map { item in "\(item.id),\((item.metadata["speaker"] ?? "").dropFirst())" }
        let file = try fixture.text("folds.csv", (["id,fold"] + rows).joined(separator: "\n") + "\n")
        let outcome = try runSplit(FromFileSplit.self, ["file": .string(file), "speakerIndependent": true], items: items)
        #expect(outcome.items.map { $0.metadata["fold"] ?? "" } == ["0", "0", "1", "1", "2", "2"])
        #expect(outcome.items[0].metadata["roles"] == "test,train,train")
        #expect(outcome.format.evaluation == EvaluationSpec(name: "folds from folds.csv", speakerIndependent: true, folds: 3,
                                                            validation: "none"))
    }

    @Test func splitFromJSONAndUnlistedItems() throws {
        let fixture = try CorpusFixture("split-json")
        let file = try fixture.text("split.json", #"{"s1/a-0.wav": "test", "s1/a-1.wav": "test", "s2/a-0.wav": "val", "s2/a-1.wav": "dev", "s3/a-0.wav": "train"}"#)
        #expect(throws: SplitError.self) { _ = try runSplit(FromFileSplit.self, ["file": .string(file)], items: items) }
        let asTrain = try runSplit(FromFileSplit.self, ["file": .string(file), "unlisted": "train", "name": "official"], items: items)
        #expect(asTrain.ids("train") == ["s3/a-0.wav", "s3/a-1.wav"] && asTrain.ids("validation").count == 2)
        #expect(asTrain.format.evaluation?.name == "official" && asTrain.format.evaluation?.folds == 1)
        let dropped = try runSplit(FromFileSplit.self, ["file": .string(file), "unlisted": "drop"], items: items)
        #expect(dropped.items.count == 5 && dropped.items.allSatisfy { $0.split != nil })
        let array = try fixture.text("folds.json", #"[{"id": "s1/a-0.wav", "fold": 1}, {"id": "s2/a-0.wav", "fold": 2}, {"id": "s3/a-0.wav", "fold": 3}]"#)
        let folds = try runSplit(FromFileSplit.self, ["file": .string(array), "unlisted": "drop", "validation": "nextFold"], items: items)
        #expect(folds.items.map { $0.metadata["roles"] ?? "" } == ["test,train,validation", "validation,test,train", "train,validation,test"])
    }

    @Test func theAuditCatchesAnOverlappingSplitReadFromAFile() throws {
        let fixture = try CorpusFixture("overlap")
        // s2 has one item in test and one in training: not speaker-independent.
        let file = try fixture.text("split.csv", """
            id,split
            s1/a-0.wav,test
            s1/a-1.wav,test
            s2/a-0.wav,test
            s2/a-1.wav,train
            s3/a-0.wav,validation
            s3/a-1.wav,train

            """)
        let declaredDependent = try runSplit(FromFileSplit.self, ["file": .string(file)], items: items)
        let problems = auditSpeakerIndependence(items: declaredDependent.items, fold: 0)
        #expect(problems == [
            "speaker s2 is on both sides in fold 1: 1 test items, 1 training items, 0 validation items",
            "speaker s3 is in both training and validation in fold 1: 1 training items, 1 validation items",
        ])
        #expect {
            _ = try runSplit(FromFileSplit.self, ["file": .string(file), "speakerIndependent": true], items: items)
        } throws: { error in
            "\(error)".contains("is declared speaker-independent but is not") && "\(error)".contains("speaker s2")
        }
    }

    @Test func theAuditCountsItemsWithoutSpeakers() {
        var items = self.items
        items[0].metadata["speaker"] = nil
        items = items.map { var item = $0; item.metadata["split"] = "train"; return item }
        #expect(auditSpeakerIndependence(items: items, fold: 0)
                == ["1 items with a role in fold 1 have no speaker metadata, so speaker independence cannot be checked"])
    }
}

@Suite struct ProtocolPipelineTests {
    @Test func everySplitOutputCarriesItsProtocol() throws {
        let fixture = try CorpusFixture("protocols")
        let items = splitTestItems(speakers: ["s1", "s2", "s3", "s4"], perLabel: ["a": 3, "b": 3]) { "Session\($0.dropFirst())" }
        let foldFile = try fixture.text("folds.csv", (["id,fold"] + items.map { "\($0.id),\($0.metadata["speaker"]?.dropFirst() ?? "")" }).joined(separator: "\n"))
        let cases: [(any StreamNode.Type, [String: JSON], String)] = [
            (RandomSplit.self, [:], "random stratified split"),
            (KFoldSplit.self, ["folds": 3], "stratified 3-fold"),
            (SpeakersSplit.self, ["testSpeakers": ["s1"]], "leave-speakers-out"),
            (LeaveOneSpeakerOutSplit.self, [:], "leave-one-speaker-out"),
            (LeaveOneSessionOutSplit.self, [:], "leave-one-session-out"),
            (FromFileSplit.self, ["file": .string(foldFile)], "folds from folds.csv"),
        ]
        for (type, params, name) in cases {
            func check<N: StreamNode>(_ concrete: N.Type) throws {
                let outcome = try runSplit(concrete, params, items: items)
                #expect(outcome.format.evaluation?.name == name && outcome.format.hasSplits, "\(N.descriptor.type)")
                #expect(outcome.items.allSatisfy { $0.role(inFold: 0) != nil }, "\(N.descriptor.type)")
            }
            try check(type)
        }
    }

    @Test func emodbFixtureThroughLeaveOneSpeakerOutInAPipeline() throws {
        let fixture = try CorpusFixture("emodb-loso")
        for speaker in ["03", "08", "09"] {
            for letter in ["W", "N", "F"] { try fixture.wav("wav/\(speaker)a01\(letter)a.wav") }
        }
        let run = try runCorpusPipeline([
            ["id": "corpus", "type": "corpus.emodb", "params": ["root": .string(fixture.root)]],
            ["id": "split", "type": "split.leaveOneSpeakerOut", "inputs": ["items": "corpus.items"]],
        ], capture: "split")
        #expect(run.format("split")?.evaluation?.name == "leave-one-speaker-out")
        #expect(run.format("split")?.labels == EmodbReader.emotions)
        #expect(run.items.count == 9 && foldCount(run.items) == 3)
        #expect(Set(run.items.filter { $0.role(inFold: 0) == "test" }.compactMap { $0.metadata["speaker"] }) == ["03"])
        #expect(Set(run.items.filter { $0.role(inFold: 0) == "validation" }.compactMap { $0.metadata["speaker"] }) == ["08"])
        let section = try #require(run.report.sections.first { $0.0 == "split" }?.1)
        #expect(section["perFold"]?.arrayValue?.first?["testSpeakers"] == ["03"])
    }
}
