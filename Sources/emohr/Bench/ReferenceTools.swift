import Foundation

/// Runs the Python reference scripts of `scripts/bench/` and reads their figures.
struct ReferenceTools {
    /// The Python interpreter.
    var python: String
    /// The folder holding the scripts.
    var scripts: String

    /// Finds an interpreter with the reference libraries and the scripts folder, or nil with a reason.
    static func locate(python explicit: String?) -> (ReferenceTools?, String) {
        let fileManager = FileManager.default
        let cwd = fileManager.currentDirectoryPath
        let candidates = [explicit, ProcessInfo.processInfo.environment["EMOHR_PYTHON"], cwd + "/.venv-ref/bin/python", "/usr/bin/python3"]
            .compactMap { $0 }
        let scriptCandidates = [cwd + "/scripts/bench", URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../scripts/bench").standardizedFileURL.path]
        guard let scripts = scriptCandidates.first(where: { fileManager.fileExists(atPath: $0 + "/feat_common.py") }) else {
            return (nil, "scripts/bench not found (run from the repository root)")
        }
        for python in candidates where fileManager.isExecutableFile(atPath: python) {
            return (ReferenceTools(python: python, scripts: scripts), python)
        }
        return (nil, "no Python interpreter found (use --python)")
    }

    /// Whether `import` of these modules succeeds.
    func has(_ modules: [String]) -> Bool {
        (try? run(["-c", "import " + modules.joined(separator: ", ")]))?.status == 0
    }

    /// Runs a script (or `-c` code) and returns its status and combined output.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments.map { $0.hasSuffix(".py") && !$0.hasPrefix("/") ? scripts + "/" + $0 : $0 }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The number before `unit` on the last line that has it (`… -> 98.2 files/s`).
    static func number(before unit: String, in output: String) -> Double? {
        for line in output.split(separator: "\n").reversed() {
            guard let range = line.range(of: unit) else { continue }
            let prefix = line[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            if let token = prefix.split(whereSeparator: { $0 == " " || $0 == ">" }).last, let value = Double(token) { return value }
        }
        return nil
    }
}

/// Peak resident memory of this process so far, in bytes (VmHWM).
func peakResidentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
    }
    return 0
}
