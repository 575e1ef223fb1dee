import EmoCore
import EmoJSON
@testable import EmoNodes
import Foundation
import Testing

@Suite struct RavdessReaderTests {
    /// Actor_XX layout: actors 01, 02 and 05 (03, 04 missing), speech and song, and stray files.
    func actorLayout() throws -> CorpusFixture {
        let fixture = try CorpusFixture("ravdess")
        for emotion in 1...8 {
            try fixture.wav("Actor_01/03-01-0\(emotion)-01-01-01-01.wav")
            try fixture.wav("Actor_02/03-01-0\(emotion)-01-02-02-02.wav")
        }
        try fixture.wav("Actor_05/03-01-05-02-01-01-05.wav")
        try fixture.wav("Actor_01/03-02-03-02-01-01-01.wav")  // song, happy, strong
        try fixture.wav("Actor_02/03-02-06-01-01-01-02.wav")  // song, fearful
        try fixture.wav("Actor_01/03-01-09-01-01-01-01.wav")  // unknown emotion 09
        try fixture.wav("Actor_02/03-01-03-01-01-01-01.wav")  // actor 01 in Actor_02
        try fixture.wav("Actor_01/hello.wav")  // bad name
        try fixture.text("Actor_01/.DS_Store", "x")
        try fixture.text("notes.txt", "notes")
        return fixture
    }

    @Test func readsTheActorLayoutWithMetadataAndReportsStrayFiles() throws {
        let fixture = try actorLayout()
        let run = try readCorpus("corpus.ravdess", ["root": .string(fixture.root)])
        #expect(run.items.count == 17)
        #expect(run.items.map(\.id) == run.items.map(\.id).sorted())
        #expect(run.format("corpus")?.labels == ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"])
        #expect(run.format("corpus")?.type == .utterances)
        let item = try #require(run.item("Actor_02/03-01-07-01-02-02-02.wav"))
        #expect(item.label == "disgust")
        #expect(item.metadata["speaker"] == "02" && item.metadata["actor"] == "02" && item.metadata["sex"] == "female")
        #expect(item.metadata["intensity"] == "normal" && item.metadata["statement"] == "02")
        #expect(item.metadata["text"] == "Dogs are sitting by the door")
        #expect(item.metadata["repetition"] == "02" && item.metadata["vocalChannel"] == "speech")
        #expect(item.metadata["corpus"] == "ravdess" && item.metadata["modality"] == "audio")
        #expect(item.metadata["path"] == fixture.path("Actor_02/03-01-07-01-02-02-02.wav"))
        #expect(try item.payload(as: UtterancePayload.self).path == fixture.path("Actor_02/03-01-07-01-02-02-02.wav"))
        #expect(run.item("Actor_05/03-01-05-02-01-01-05.wav")?.metadata["sex"] == "male")
        let unrecognised = Set(run.notices("unrecognised").map(\.itemId))
        #expect(unrecognised == ["Actor_01/03-01-09-01-01-01-01.wav", "Actor_02/03-01-03-01-01-01-01.wav",
                                 "Actor_01/hello.wav", "Actor_01/.DS_Store", "notes.txt"])
        let emotion09 = try #require(run.notices("unrecognised").first { $0.itemId.contains("-09-") })
        #expect(emotion09.message == "unknown emotion code 09" && emotion09.nodeId == "corpus")
        #expect(run.notices("unrecognised").contains { $0.message.contains("lies in Actor_02") })
        let section = try #require(run.report.sections.first { $0.0 == "corpus" }?.1)
        #expect(section["items"]?.intValue == 17 && section["leftOut"]?.intValue == 5 && section["filteredOut"]?.intValue == 2)
    }

    @Test func songAndAllVocalChannels() throws {
        let fixture = try actorLayout()
        let song = try readCorpus("corpus.ravdess", ["root": .string(fixture.root), "vocalChannel": "song"])
        #expect(song.items.map(\.id) == ["Actor_01/03-02-03-02-01-01-01.wav", "Actor_02/03-02-06-01-01-01-02.wav"])
        #expect(song.format("corpus")?.labels == ["neutral", "calm", "happy", "sad", "angry", "fearful"])
        #expect(song.items.allSatisfy { $0.metadata["vocalChannel"] == "song" })
        let all = try readCorpus("corpus.ravdess", ["root": .string(fixture.root), "vocalChannel": "all"])
        #expect(all.items.count == 19)
    }

    @Test func flatLayoutAndFilters() throws {
        let fixture = try CorpusFixture("ravdess-flat")
        try fixture.wav("03-01-01-01-01-01-01.wav")
        try fixture.wav("03-01-05-01-01-01-01.wav")
        try fixture.wav("03-01-05-02-01-01-01.wav")
        try fixture.wav("03-01-05-02-01-01-04.wav")
        try fixture.wav("03-01-08-02-02-01-04.wav")
        try fixture.wav("01-01-05-02-01-01-04.mp4")  // audio-visual, filtered by modality
        let all = try readCorpus("corpus.ravdess", ["root": .string(fixture.root)])
        #expect(all.items.count == 5 && all.report.notices.isEmpty)
        #expect(all.items[0].id == "03-01-01-01-01-01-01.wav")
        let strong = try readCorpus("corpus.ravdess", ["root": .string(fixture.root), "intensity": "strong"])
        #expect(strong.items.count == 3)
        let filtered = try readCorpus("corpus.ravdess", ["root": .string(fixture.root), "emotions": ["surprised", "05"],
                                                          "actors": ["04"]])
        #expect(filtered.format("corpus")?.labels == ["angry", "surprised"])
        #expect(filtered.items.map(\.label) == ["angry", "surprised"])
    }

    @Test func aMissingRootIsAClearError() throws {
        do {
            _ = try readCorpus("corpus.ravdess", ["root": "/nonexistent/ravdess"])
            Issue.record("a missing root should fail the run")
        } catch let failure as RunFailure {
            #expect(failure.nodeId == "corpus")
            #expect(failure.reason.contains("RAVDESS root folder /nonexistent/ravdess does not exist"))
        }
    }

    @Test func unknownEmotionParameterIsRejected() throws {
        #expect(throws: (any Error).self) {
            _ = try readCorpus("corpus.ravdess", ["root": "/tmp", "emotions": ["joy"]])
        }
    }
}

@Suite struct EmovoReaderTests {
    @Test func readsPerActorFoldersAndReportsOddNames() throws {
        let fixture = try CorpusFixture("emovo")
        try fixture.wav("f1/dis-f1-b1.wav")
        try fixture.wav("f1/gio-f1-l3.wav")
        try fixture.wav("m2/NEU-M2-N1.WAV")  // upper case
        try fixture.wav("m2/pau-m2-d2.wav")
        try fixture.wav("m3/rab-m3-b2.wav")
        try fixture.wav("f3/sor-f3-n5.wav")
        try fixture.wav("f3/tri-f3-b3.wav")
        try fixture.wav("f1/dis-f2-b1.wav")  // actor f2 in folder f1
        try fixture.wav("f1/xyz-f1-b1.wav")  // unknown emotion
        try fixture.wav("f1/dis-f4-b1.wav")  // unknown actor
        try fixture.wav("f1/dis_f1_b1.wav")  // wrong separators
        try fixture.text("documents/readme.txt", "EMOVO")
        let run = try readCorpus("corpus.emovo", ["root": .string(fixture.root)])
        #expect(run.format("corpus")?.labels == ["disgust", "happy", "neutral", "fearful", "angry", "surprised", "sad"])
        #expect(run.items.count == 7)
        #expect(Set(run.items.compactMap(\.label)) == Set(EmovoReader.emotions))
        let upper = try #require(run.item("m2/NEU-M2-N1.WAV"))
        #expect(upper.label == "neutral" && upper.metadata["speaker"] == "m2" && upper.metadata["sex"] == "male")
        #expect(upper.metadata["statement"] == "n1" && upper.metadata["corpus"] == "emovo")
        #expect(run.item("f1/dis-f1-b1.wav")?.metadata["sex"] == "female")
        #expect(Set(run.notices("unrecognised").map(\.itemId))
                == ["f1/dis-f2-b1.wav", "f1/xyz-f1-b1.wav", "f1/dis-f4-b1.wav", "f1/dis_f1_b1.wav", "documents/readme.txt"])
    }

    @Test func flatFolderAndEmotionFilterByCode() throws {
        let fixture = try CorpusFixture("emovo-flat")
        try fixture.wav("dis-f1-b1.wav")
        try fixture.wav("rab-m1-b1.wav")
        try fixture.wav("tri-m1-b1.wav")
        let run = try readCorpus("corpus.emovo", ["root": .string(fixture.root), "emotions": ["rab", "sad"]])
        #expect(run.format("corpus")?.labels == ["angry", "sad"])
        #expect(run.items.map(\.label) == ["angry", "sad"])
    }
}

@Suite struct IemocapReaderTests {
    func twoSessions() throws -> CorpusFixture {
        let fixture = try CorpusFixture("iemocap")
        let header = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
        try fixture.text("Session1/dialog/EmoEvaluation/Ses01F_impro01.txt", header + """
            [6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]
            C-E2:\tNeutral;\t()
            C-E3:\tNeutral;\t()
            A-E3:\tval 3; act 2; dom  2;\t()

            [10.0100 - 11.3925]\tSes01F_impro01_M000\texc\t[3.5000, 3.0000, 3.0000]
            [14.8872 - 18.0175]\tSes01F_impro01_F001\tfru\t[2.0000, 3.5000, 3.5000]
            [19.2900 - 20.7875]\tSes01F_impro01_M001\txxx\t[2.5000, 3.0000, 3.0000]
            [21.0000 - 22.0000]\tSes01F_impro01_F002\toth\t[2.5000, 3.0000, 3.0000]

            """)
        try fixture.text("Session1/dialog/EmoEvaluation/Ses01F_script01_1.txt", header + """
            [1.0 - 2.0]\tSes01F_script01_1_F000\tang\t[1.5000, 4.0000, 4.0000]
            [3.0 - 4.0]\tSes01F_script01_1_M000\tsad\t[1.5000, 1.5000, 2.0000]

            """)
        try fixture.text("Session1/dialog/transcriptions/Ses01F_impro01.txt", """
            Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me.
            Ses01F_impro01_M000 [010.0100-011.3925]: Do you have your forms?

            """)
        for name in ["F000", "M000", "F001", "M001", "F002"] {
            try fixture.wav("Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_\(name).wav")
        }
        try fixture.wav("Session1/sentences/wav/Ses01F_script01_1/Ses01F_script01_1_F000.wav")
        try fixture.wav("Session1/sentences/wav/Ses01F_script01_1/Ses01F_script01_1_M000.wav")
        try fixture.text("Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01.pk", "pickle")
        try fixture.text("Session2/dialog/EmoEvaluation/Ses02M_impro02.txt", header + """
            [1.0 - 2.0]\tSes02M_impro02_F000\thap\t[4.0000, 3.0000, 3.0000]
            [3.0 - 4.0]\tSes02M_impro02_M000\tneu\t[3.0000, 2.0000, 3.0000]
            [5.0 - 6.0]\tSes02M_impro02_F005\tneu\t[3.0000, 2.0000, 3.0000]

            """)
        try fixture.wav("Session2/sentences/wav/Ses02M_impro02/Ses02M_impro02_F000.wav")
        try fixture.wav("Session2/sentences/wav/Ses02M_impro02/Ses02M_impro02_M000.wav")
        try fixture.wav("Session2/sentences/wav/Ses02M_impro02/Ses02M_impro02_M009.wav")  // no label line
        try fixture.text("Session2/dialog/avi/ignored.txt", "not audio")  // outside sentences/wav: not looked at
        return fixture
    }

    @Test func readsTheFourClassSetWithExcitedMergedIntoHappy() throws {
        let fixture = try twoSessions()
        let run = try readCorpus("corpus.iemocap", ["root": .string(fixture.root)])
        #expect(run.format("corpus")?.labels == ["neutral", "happy", "angry", "sad"])
        #expect(run.items.map(\.id) == [
            "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav",
            "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M000.wav",
            "Session1/sentences/wav/Ses01F_script01_1/Ses01F_script01_1_F000.wav",
            "Session1/sentences/wav/Ses01F_script01_1/Ses01F_script01_1_M000.wav",
            "Session2/sentences/wav/Ses02M_impro02/Ses02M_impro02_F000.wav",
            "Session2/sentences/wav/Ses02M_impro02/Ses02M_impro02_M000.wav",
        ])
        #expect(run.items.map { $0.label ?? "" } == ["neutral", "happy", "angry", "sad", "happy", "neutral"])
        #expect(run.items.map { $0.metadata["speaker"] ?? "" } == ["Ses01F", "Ses01M", "Ses01F", "Ses01M", "Ses02F", "Ses02M"])
        let excited = run.items[1]
        #expect(excited.metadata["session"] == "Session1" && excited.metadata["dialog"] == "Ses01F_impro01")
        #expect(excited.metadata["improvised"] == "true" && excited.metadata["sex"] == "male")
        #expect(excited.metadata["emotionCode"] == "exc" && excited.metadata["valence"] == "3.5000")
        #expect(excited.metadata["text"] == "Do you have your forms?")
        #expect(run.items[2].metadata["improvised"] == "false" && run.items[2].metadata["dialog"] == "Ses01F_script01_1")
        #expect(Set(run.notices("unrecognised").map(\.itemId)) == [
            "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01.pk",
            "Session2/sentences/wav/Ses02M_impro02/Ses02M_impro02_M009.wav",
        ])
        #expect(run.notices("missing").map(\.itemId) == ["Session2/Ses02M_impro02_F005"])
    }

    @Test func filtersAndClassChoices() throws {
        let fixture = try twoSessions()
        let improvised = try readCorpus("corpus.iemocap", ["root": .string(fixture.root), "dialogs": "improvised"])
        #expect(improvised.items.count == 4 && improvised.items.allSatisfy { $0.metadata["improvised"] == "true" })
        let scripted = try readCorpus("corpus.iemocap", ["root": .string(fixture.root), "dialogs": "scripted"])
        #expect(scripted.items.count == 2)
        let unmerged = try readCorpus("corpus.iemocap", ["root": .string(fixture.root), "mergeExcitedIntoHappy": false,
                                                          "classes": ["neu", "hap", "exc", "fru"]])
        #expect(unmerged.format("corpus")?.labels == ["neutral", "happy", "excited", "frustrated"])
        #expect(labelCounts(unmerged.items) == ["neutral": 2, "happy": 1, "excited": 1, "frustrated": 1])
        let session2 = try readCorpus("corpus.iemocap", ["root": .string(fixture.root), "sessions": [2]])
        #expect(session2.items.count == 2)
        #expect(throws: (any Error).self) {
            _ = try readCorpus("corpus.iemocap", ["root": .string(fixture.root), "classes": ["neutral", "excited"]])
        }
    }

    @Test func aRootWithoutSessionsIsAClearError() throws {
        let fixture = try CorpusFixture("iemocap-empty")
        try fixture.text("readme.txt", "nothing")
        #expect {
            _ = try readCorpus("corpus.iemocap", ["root": .string(fixture.root)])
        } throws: { error in
            "\(error)".contains("holds no Session1 … Session5 folders")
        }
    }
}

@Suite struct EmodbReaderTests {
    @Test func readsNamesFromTheWavFolder() throws {
        let fixture = try CorpusFixture("emodb")
        try fixture.wav("wav/03a01Fa.wav")
        try fixture.wav("wav/08b02Wb.wav")
        try fixture.wav("wav/16a05Nc.wav")
        try fixture.wav("wav/10a07Td.wav")
        try fixture.wav("wav/11b09Lb.wav")
        try fixture.wav("wav/12b10Ec.wav")
        try fixture.wav("wav/15b03Aa.wav")
        try fixture.wav("wav/99a01Fa.wav")  // unknown speaker
        try fixture.wav("wav/03a01Xa.wav")  // unknown letter
        try fixture.text("wav/readme.txt", "x")
        try fixture.text("lablaut/03a01Fa.lab", "not audio, not looked at")
        let run = try readCorpus("corpus.emodb", ["root": .string(fixture.root)])
        #expect(run.format("corpus")?.labels == ["angry", "boredom", "disgust", "fearful", "happy", "sad", "neutral"])
        #expect(run.items.count == 7)
        let item = try #require(run.item("wav/03a01Fa.wav"))
        #expect(item.label == "happy" && item.metadata["speaker"] == "03" && item.metadata["sex"] == "male")
        #expect(item.metadata["text"] == "a01" && item.metadata["version"] == "a" && item.metadata["corpus"] == "emodb")
        #expect(run.item("wav/16a05Nc.wav")?.metadata["sex"] == "female")
        #expect(Set(run.notices("unrecognised").map(\.itemId)) == ["wav/99a01Fa.wav", "wav/03a01Xa.wav", "wav/readme.txt"])
        // The wav folder itself as root.
        let direct = try readCorpus("corpus.emodb", ["root": .string(fixture.path("wav")), "emotions": ["W", "sad"]])
        #expect(direct.items.map(\.id) == ["08b02Wb.wav", "10a07Td.wav"])
    }
}

@Suite struct FolderAndManifestReaderTests {
    @Test func folderPerLabelWithSpeakerPattern() throws {
        let fixture = try CorpusFixture("folder")
        try fixture.wav("angry/spk1_a.wav")
        try fixture.wav("angry/deeper/spk2_b.FLAC")
        try fixture.wav("happy/spk1_c.ogg")
        try fixture.wav("happy/nospeaker.wav")
        try fixture.text("happy/notes.txt", "x")
        try fixture.wav("loose.wav")
        let run = try readCorpus("corpus.folder", ["root": .string(fixture.root), "speakerPattern": "^(spk[0-9]+)_"])
        #expect(run.format("corpus")?.labels == ["angry", "happy"])
        #expect(run.items.map(\.id) == ["angry/deeper/spk2_b.FLAC", "angry/spk1_a.wav", "happy/spk1_c.ogg"])
        #expect(run.items.map { $0.metadata["speaker"] ?? "" } == ["spk2", "spk1", "spk1"])
        #expect(run.items.map { $0.label ?? "" } == ["angry", "angry", "happy"])
        #expect(Set(run.notices("unrecognised").map(\.itemId)) == ["happy/nospeaker.wav", "happy/notes.txt", "loose.wav"])
        let ordered = try readCorpus("corpus.folder", ["root": .string(fixture.root), "labels": ["happy"]])
        #expect(ordered.format("corpus")?.labels == ["happy"] && ordered.items.count == 2)
        let unlabelled = try readCorpus("corpus.folder", ["root": .string(fixture.root), "labelled": false])
        #expect(unlabelled.format("corpus")?.labels == nil)
        #expect(unlabelled.items.count == 5 && unlabelled.items.allSatisfy { $0.label == nil })
        #expect(throws: (any Error).self) {
            _ = try readCorpus("corpus.folder", ["root": .string(fixture.root), "speakerPattern": "(a)(b)"])
        }
        #expect(throws: (any Error).self) {
            _ = try readCorpus("corpus.folder", ["root": .string(fixture.root), "speakerPattern": "(unclosed"])
        }
    }

    @Test func csvManifestWithQuotesExtraColumnsAndMissingFiles() throws {
        let fixture = try CorpusFixture("manifest")
        try fixture.wav("audio/a.wav")
        try fixture.wav("audio/b, with comma.wav")
        let absolute = try fixture.wav("elsewhere/c.wav")
        let lines = [
            #"path,label,speaker,gender,note"#,
            #"../audio/a.wav,angry,s1,f,"said ""hi""""#,
            #""../audio/b, with comma.wav",happy,s2,m,"#,
            "\(absolute),angry,s1,f,plain",
            "../audio/missing.wav,sad,s3,m,",
            ",sad,s3,m,no path",
        ]
        try fixture.text("lists/train.csv", lines.joined(separator: "\r\n") + "\r\n\r\n")
        let run = try readCorpus("corpus.manifest", ["manifest": .string(fixture.path("lists/train.csv"))])
        #expect(run.format("corpus")?.labels == ["angry", "happy", "sad"])
        #expect(run.items.count == 3)
        let first = try #require(run.items.first { $0.metadata["path"] == fixture.path("audio/a.wav") })
        #expect(first.id == "../audio/a.wav" || first.id == fixture.path("audio/a.wav"))
        #expect(first.label == "angry" && first.metadata["speaker"] == "s1" && first.metadata["gender"] == "f")
        #expect(first.metadata["note"] == "said \"hi\"" && first.metadata["corpus"] == "train")
        #expect(run.items.contains { $0.metadata["path"] == fixture.path("audio/b, with comma.wav") && $0.label == "happy" })
        #expect(run.notices("missing").count == 1 && run.notices("unrecognised").count == 1)
    }

    @Test func jsonLinesManifestWithIdsAndDeclaredLabels() throws {
        let fixture = try CorpusFixture("manifest-jsonl")
        try fixture.wav("a.wav")
        try fixture.wav("b.wav")
        try fixture.wav("c.wav")
        try fixture.text("all.jsonl", """
            {"path": "a.wav", "label": "neutral", "speaker": "x", "age": 31}
            {"id": "utt-b", "path": "b.wav", "label": "sad", "speaker": "y", "corpus": "mine"}

            {"path": "c.wav", "label": "happy", "speaker": "y"}

            """)
        let run = try readCorpus("corpus.manifest", ["manifest": .string(fixture.path("all.jsonl")), "labels": ["sad", "neutral"]])
        #expect(run.format("corpus")?.labels == ["sad", "neutral"])
        #expect(run.items.map(\.id) == ["a.wav", "utt-b"])
        #expect(run.items[0].metadata["age"] == "31" && run.items[0].metadata["corpus"] == "all")
        #expect(run.items[1].metadata["corpus"] == "mine" && run.items[1].metadata["speaker"] == "y")
    }
}

@Suite struct DedupeTests {
    @Test func xxh64MatchesTheReferenceVectors() {
        // From the xxhash Python package (XXH64, seed 0).
        #expect(ContentHash.xxh64(Data()) == 0xEF46_DB37_51D8_E999)
        #expect(ContentHash.xxh64(Data("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(ContentHash.xxh64(Data((0..<100).map { UInt8($0) })) == 0x6AC1_E580_3216_6597)
    }

    func duplicates() throws -> CorpusFixture {
        let fixture = try CorpusFixture("dedupe")
        try fixture.wav("angry/one.wav", content: "A")
        try fixture.wav("angry/two.wav", content: "A")  // same label: a plain copy
        try fixture.wav("angry/three.wav", content: "B")
        try fixture.wav("happy/three.wav", content: "B")  // different label: conflicting
        try fixture.wav("happy/four.wav", content: "C")
        return fixture
    }

    func dedupe(_ fixture: CorpusFixture, policy: String) throws -> CorpusRun {
        try runCorpusPipeline([
            ["id": "corpus", "type": "corpus.folder", "params": ["root": .string(fixture.root)]],
            ["id": "dedupe", "type": "corpus.dedupe", "inputs": ["items": "corpus.items"], "params": ["policy": .string(policy)]],
        ], capture: "dedupe")
    }

    @Test func keepFirstDropsLaterCopies() throws {
        let fixture = try duplicates()
        let run = try dedupe(fixture, policy: "keepFirst")
        #expect(run.items.map(\.id) == ["angry/one.wav", "angry/three.wav", "happy/four.wav"])
        #expect(run.notices("duplicate").count == 4)
        let section = try #require(run.report.sections.first { $0.0 == "dedupe" }?.1)
        #expect(section["duplicateGroups"]?.intValue == 2 && section["dropped"]?.intValue == 2)
        #expect(run.format("dedupe")?.labels == ["angry", "happy"])
    }

    @Test func dropConflictingDropsEveryCopyWhenLabelsDisagree() throws {
        let run = try dedupe(try duplicates(), policy: "dropConflicting")
        #expect(run.items.map(\.id) == ["angry/one.wav", "happy/four.wav"])
        let conflicting = run.notices("duplicate").filter { $0.message.contains("labels disagree") }
        #expect(Set(conflicting.map(\.itemId)) == ["angry/three.wav", "happy/three.wav"])
    }

    @Test func keepAllOnlyReports() throws {
        let run = try dedupe(try duplicates(), policy: "keepAll")
        #expect(run.items.count == 5 && run.notices("duplicate").count == 4)
    }
}

@Suite struct CorpusRegistrationTests {
    @Test func everyNodeIsDocumentedWithARunnableExample() throws {
        let registry = try corpusTestRegistry()
        let types = corpusNodeTypes.map { $0.descriptor.type } + protocolNodeTypes.map { $0.descriptor.type }
        #expect(types.count == 13 && Set(types).count == 13)
        for type in types {
            let descriptor = try #require(registry.entry(type)?.descriptor)
            #expect(!descriptor.summary.isEmpty && !descriptor.details.isEmpty, "\(type)")
            let example = try JSON.parse(descriptor.example)
            #expect(example["type"]?.stringValue == type, "\(type) example")
            #expect(descriptor.parameters.allSatisfy { !$0.summary.isEmpty }, "\(type)")
            #expect(descriptor.outputs.map(\.name) == ["items"] && descriptor.outputs[0].type == .utterances)
        }
    }
}
