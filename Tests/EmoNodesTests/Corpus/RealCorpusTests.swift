import EmoCore
import EmoJSON
import EmoNodes
import Foundation
import Testing

/// The real corpora in `../shared/corpora` (or `EMOHR_CORPORA`), used only when `EMOHR_CORPUS_TESTS=1`.
enum RealCorpora {
    static let folder: String = {
        if let given = ProcessInfo.processInfo.environment["EMOHR_CORPORA"] { return given }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/corpora").standardizedFileURL.path
    }()

    static var optedIn: Bool { ProcessInfo.processInfo.environment["EMOHR_CORPUS_TESTS"] == "1" }

    static func available(_ name: String) -> Bool {
        optedIn && FileManager.default.fileExists(atPath: folder + "/" + name)
    }

    static func skipReason(_ name: String) -> Comment {
        optedIn
            ? "skipped: \(folder)/\(name) is absent (set EMOHR_CORPORA to the folder holding the corpora)"
            : "skipped: real-corpus tests are opt-in; run with EMOHR_CORPUS_TESTS=1"
    }
}

@Suite struct RealCorpusTests {
    @Test(.enabled(if: RealCorpora.available("emodb"), RealCorpora.skipReason("emodb")))
    func emodbHasAll535FilesWithTheDocumentedCounts() throws {
        let run = try readCorpus("corpus.emodb", ["root": .string(RealCorpora.folder + "/emodb")])
        #expect(run.items.count == 535)
        #expect(run.report.notices.isEmpty, "\(run.report.notices.prefix(5))")
        #expect(labelCounts(run.items) == ["angry": 127, "boredom": 81, "disgust": 46, "fearful": 69, "happy": 71,
                                           "sad": 62, "neutral": 79])
        let speakers = Set(run.items.compactMap { $0.metadata["speaker"] })
        #expect(speakers == Set(EmodbReader.speakers))
        #expect(!run.items.contains { $0.metadata["speaker"] == "08" && $0.label == "disgust" }, "speaker 08 has no disgust file")
        print("EmoDB: \(run.items.count) files, \(speakers.count) speakers, per label \(labelCounts(run.items).sorted { $0.key < $1.key })")

        let loso = try runCorpusPipeline([
            ["id": "corpus", "type": "corpus.emodb", "params": ["root": .string(RealCorpora.folder + "/emodb")]],
            ["id": "dedupe", "type": "corpus.dedupe", "inputs": ["items": "corpus.items"]],
            ["id": "split", "type": "split.leaveOneSpeakerOut", "inputs": ["items": "dedupe.items"]],
        ], capture: "split")
        let duplicates = loso.report.sections.first { $0.0 == "dedupe" }?.1["duplicateGroups"]?.intValue ?? -1
        print("EmoDB: \(duplicates) groups of byte-identical files; leave-one-speaker-out over \(loso.items.count) items")
        for fold in 0..<10 {
            #expect(auditSpeakerIndependence(items: loso.items, fold: fold).isEmpty)
            let test = Set(loso.items.filter { $0.role(inFold: fold) == "test" }.compactMap { $0.metadata["speaker"] })
            let validation = Set(loso.items.filter { $0.role(inFold: fold) == "validation" }.compactMap { $0.metadata["speaker"] })
            #expect(test == [EmodbReader.speakers[fold]] && validation == [EmodbReader.speakers[(fold + 1) % 10]])
        }
    }

    @Test(.enabled(if: RealCorpora.available("ravdess-sample"), RealCorpora.skipReason("ravdess-sample")))
    func ravdessSampleHas120FilesOfTwoActors() throws {
        let run = try readCorpus("corpus.ravdess", ["root": .string(RealCorpora.folder + "/ravdess-sample")])
        #expect(run.items.count == 120)
        #expect(run.report.notices.isEmpty, "\(run.report.notices.prefix(5))")
        let perActor = Dictionary(grouping: run.items, by: { $0.metadata["actor"] ?? "" }).mapValues(\.count)
        #expect(perActor == ["01": 60, "02": 60])
        #expect(labelCounts(run.items) == ["neutral": 8, "calm": 16, "happy": 16, "sad": 16, "angry": 16, "fearful": 16,
                                           "disgust": 16, "surprised": 16])
        print("RAVDESS sample: \(run.items.count) files, per actor \(perActor.sorted { $0.key < $1.key }), per label \(labelCounts(run.items).sorted { $0.key < $1.key })")
    }
}
