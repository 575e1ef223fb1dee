import ArgumentParser
import EmoCore
import EmoDSP
import EmoJSON
import EmoNodes
import Foundation

/// `emohr bench features`: converts N files (decode → 16 kHz → STFT 512/400/160 → 128 Slaney Mel →
/// dB → per-utterance normalisation → .npy) and, with `--compare`, runs librosa (one process and a
/// pool of 2) and torchaudio (2 threads) on the same files in the same run; prints ratios.
struct BenchFeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Feature-extraction throughput against librosa and torchaudio.")

    @Option(help: "Number of files.") var files = 200
    @Option(help: "Use the first N .wav files of this folder instead of synthetic 3.6-s 48 kHz files.") var corpus: String?
    @Flag(help: "Also run librosa and torchaudio on the same files and print ratios.") var compare = false
    @Option(help: "Python interpreter with librosa and torchaudio (default: .venv-ref/bin/python).") var python: String?
    @Option(help: "Worker threads (default: all cores).") var workers: Int?
    @Option(help: "Resampler backend: soxr or libsamplerate.") var backend = "soxr"

    func validate() throws {
        if files < 1 { throw ValidationError("--files must be at least 1") }
        if !["soxr", "libsamplerate"].contains(backend) { throw ValidationError("--backend is soxr or libsamplerate") }
    }

    func run() throws {
        let input = try corpus.map { try firstFiles(in: $0, count: files) } ?? syntheticFiles(count: files)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let out = work + "/emohr"
        let audioSeconds = try input.files.reduce(0.0) { $0 + (try decodeAudio(path: $1).duration) }
        print("files: \(input.files.count) (\(input.description)), \(String(format: "%.1f", audioSeconds)) s of audio")
        print("pipeline: decode → 16 kHz (\(backend)) → STFT 512/400/160 Hann → 128 Slaney Mel → dB → per-utterance mean/std → .npy")

        // Warm up (FFTW plans, page cache) on one file, then time the whole set.
        _ = try convert(files: Array(input.files.prefix(1)), root: input.root, out: work + "/warmup")
        let started = Date()
        let cpuBefore = processCPUSeconds()
        let report = try convert(files: input.files, root: input.root, out: out)
        let seconds = Date().timeIntervalSince(started)
        let cpu = processCPUSeconds() - cpuBefore
        let rate = Double(input.files.count - report.failures.count) / seconds
        print(String(format: "emohr: %.3f s -> %.1f files/s, realtime x%.0f, peak memory %d MiB, %d failed",
                     seconds, rate, audioSeconds / seconds, peakResidentBytes() >> 20, report.failures.count))
        // CPU time (user + system, all threads) says how much work a file took, which a busy shared machine
        // disturbs far less than the wall time.
        print(String(format: "emohr CPU time: %.3f s, %.2f ms per file (%.2f cores busy on average)",
                     cpu, 1000 * cpu / Double(max(1, input.files.count)), cpu / seconds))
        guard compare else { return }

        let (tools, where_) = ReferenceTools.locate(python: python)
        guard let tools, tools.has(["librosa", "soundfile", "numpy"]) else {
            print("reference tools: not installed (\(where_)); see scripts/bench/README.md")
            return
        }
        var ratios: [(String, Double)] = []
        let listing = work + "/inputs"
        try linkInputs(input.files, into: listing)
        // torchaudio twice: functional.resample (kernel rebuilt per call, the reference's setting) and
        // transforms.Resample (kernel cached); the better of the two is "torchaudio" in the final line.
        for (name, script, extra) in [("librosa", "feat_librosa.py", [String]()), ("librosa pool of 2", "feat_librosa_pool.py", ["2"]),
                                      ("torchaudio functional", "feat_torchaudio.py", ["functional"]),
                                      ("torchaudio cached", "feat_torchaudio.py", ["transform"])] {
            // The cached-kernel script is built for 48 kHz input only.
            if name == "torchaudio cached", let first = input.files.first, (try? decodeAudio(path: first).sampleRate) != 48_000 {
                continue
            }
            if name.hasPrefix("torchaudio") && !tools.has(["torch"]) {
                print("torchaudio: torch not installed")
                continue
            }
            let result = try tools.run([script, listing, work + "/" + name.replacingOccurrences(of: " ", with: "-"), String(input.files.count)] + extra)
            guard result.status == 0, let theirs = ReferenceTools.number(before: "files/s", in: result.output) else {
                print("\(name): failed\n" + result.output.split(separator: "\n").suffix(5).joined(separator: "\n"))
                continue
            }
            print(result.output.split(separator: "\n").last.map(String.init) ?? "")
            ratios.append((name, rate / theirs))
        }
        if let agreement = try? compareOutputs(ours: out, theirs: work + "/librosa", files: input.files, root: input.root) {
            print(String(format: "agreement with librosa (soxr HQ) on %d files: max |Δ| %.2e, mean |Δ| %.2e (normalised log-Mel units)",
                         agreement.count, agreement.maximum, agreement.mean))
        }
        for (name, ratio) in ratios where !name.hasPrefix("torchaudio") { print(String(format: "ratio vs %@: %.2f", name, ratio)) }
        if let best = ratios.filter({ $0.0.hasPrefix("torchaudio") }).min(by: { $0.1 < $1.1 }) {
            print("torchaudio's faster mode on these files: \(best.0.dropFirst("torchaudio ".count)) resampling")
            print(String(format: "ratio vs torchaudio: %.2f", best.1))
        }
    }

    struct Inputs {
        var files: [String]
        var root: String
        var description: String
    }

    func syntheticFiles(count: Int) throws -> Inputs {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emohr-bench-synthetic-48k").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let emotions = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
        var paths: [String] = []
        for index in 0..<count {
            let emotion = emotions[index % emotions.count]
            let actor = index % 24 + 1
            let path = folder + String(format: "/03-01-%02d-01-01-01-%02d-%04d.wav", index % 8 + 1, actor, index)
            if !FileManager.default.fileExists(atPath: path) {
                let profile = ProsodyProfile.emotion(emotion, baseF0: actor % 2 == 1 ? 115 : 210, formantScale: actor % 2 == 1 ? 1 : 1.15)!
                let samples = SyntheticUtterance(profile: profile, duration: 3.6, sampleRate: 48_000, seed: UInt64(index)).render()
                try WAVWriter.write(samples, sampleRate: 48_000, encoding: .pcm16, to: path)
            }
            paths.append(path)
        }
        return Inputs(files: paths, root: folder, description: "synthetic speech-like, 3.6 s, 48 kHz, 16-bit")
    }

    func firstFiles(in folder: String, count: Int) throws -> Inputs {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw ValidationError("cannot read \(folder)")
        }
        let wavs = enumerator.compactMap { $0 as? String }.filter { $0.lowercased().hasSuffix(".wav") }.sorted()
        guard !wavs.isEmpty else { throw ValidationError("no .wav files in \(folder)") }
        return Inputs(files: wavs.prefix(count).map { root + "/" + $0 }, root: root, description: folder)
    }

    /// Runs the conversion through the graph engine, exactly as `pipelines/convert-features.json`.
    func convert(files: [String], root: String, out: String) throws -> RunReport {
        // A manifest of exactly these files (the folder may hold more from an earlier, larger run).
        let listing = out + ".manifest.csv"
        try FileManager.default.createDirectory(atPath: (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let rows = ["id,path"] + files.map { "\($0.dropFirst(root.count + 1)),\($0)" }
        try (rows.joined(separator: "\n") + "\n").write(toFile: listing, atomically: true, encoding: .utf8)
        let pipeline: JSON = [
            "schemaVersion": 1, "name": "bench-features",
            "nodes": [
                ["id": "corpus", "type": "corpus.manifest", "params": ["manifest": .string(listing), "format": "csv"]],
                ["id": "decode", "type": "audio.decode", "inputs": ["items": "corpus.items"]],
                ["id": "resample", "type": "audio.resample", "inputs": ["audio": "decode.audio"],
                 "params": ["sampleRate": 16000, "backend": .string(backend), "quality": backend == "soxr" ? "hq" : "best"]],
                ["id": "logmel", "type": "spectrum.logMel", "inputs": ["audio": "resample.audio"],
                 "params": ["melBands": 128, "fmax": 8000, "normalize": "utterance"]],
                ["id": "write", "type": "features.write", "inputs": ["spectrum": "logmel.spectrum"],
                 "params": ["out": .string(out), "resume": false]],
            ],
        ]
        let registry = try BuiltinNodes.makeRegistry()
        let graph = try PipelineValidator(registry: registry).validate(json: pipeline, file: "bench-features", baseDirectory: root)
        return try PipelineRunner(graph: graph, context: RunContext(workers: workers ?? ProcessInfo.processInfo.activeProcessorCount))
            .run()
    }

    func linkInputs(_ files: [String], into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            try FileManager.default.createSymbolicLink(
                atPath: folder + "/" + (file as NSString).lastPathComponent, withDestinationPath: file)
        }
    }

    func compareOutputs(ours: String, theirs: String, files: [String], root: String) throws -> (count: Int, maximum: Float, mean: Float) {
        var maximum: Float = 0
        var total: Double = 0
        var values = 0
        var count = 0
        for file in files.prefix(20) {
            let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            let relative = (String(file.dropFirst(root.count + 1)) as NSString).deletingPathExtension
            guard let a = try? NPYFile.read(ours + "/" + relative + ".npy"), let b = try? NPYFile.read(theirs + "/" + name + ".npy"),
                a.shape == b.shape else { continue }
            for (x, y) in zip(a.values, b.values) {
                let d = abs(x - y)
                maximum = max(maximum, d)
                total += Double(d)
            }
            values += a.values.count
            count += 1
        }
        guard count > 0 else { throw ValidationError("no comparable outputs") }
        return (count, maximum, Float(total / Double(values)))
    }
}

/// User + system CPU time of this process (all threads), in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
