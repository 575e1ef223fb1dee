import EmoJSON
import Foundation

/// PyTorch timing emohrnet-s's convolution shapes on request (`bench_ops_pytorch.py --serve`), so
/// that `emohr bench ops --compare` can interleave its own runs of each shape with PyTorch's: both
/// tools then see the same state of a shared machine, shape by shape.
final class PyTorchConvolutionServer {
    /// Run times in seconds of one shape in one layout.
    struct Runs {
        var forward: [Double] = []
        var backward: [Double] = []
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffered = Data()
    /// PyTorch's version and the shape names in its order (the same order as ours).
    private(set) var version = "?"
    private(set) var shapeNames: [String] = []

    /// Starts the script; throws when it does not answer with its shape list.
    init(tools: ReferenceTools, batch: Int, height: Int, width: Int, repetitions: Int, minimumSeconds: Double) throws {
        process.executableURL = URL(fileURLWithPath: tools.python)
        process.arguments = [tools.scripts + "/../reference/tensor/bench_ops_pytorch.py", "--serve",
                             "--batch", String(batch), "--height", String(height), "--width", String(width),
                             "--repetitions", String(repetitions), "--min-seconds", String(minimumSeconds)]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        guard let line = readLine(), let hello = try? JSON.parse(line), let names = hello["shapes"]?.arrayValue else {
            process.terminate()
            throw BenchError("bench_ops_pytorch.py --serve did not start (see the lines above)")
        }
        version = hello["torch"]?.stringValue ?? "?"
        shapeNames = names.compactMap(\.stringValue)
    }

    /// Times shape `index` in both layouts.
    func measure(_ index: Int) throws -> (nchw: Runs, channelsLast: Runs) {
        input.fileHandleForWriting.write(Data("\(index)\n".utf8))
        guard let line = readLine(), let reply = try? JSON.parse(line) else {
            throw BenchError("bench_ops_pytorch.py --serve stopped answering at shape \(index)")
        }
        func runs(_ layout: String) -> Runs {
            Runs(forward: reply[layout]?["forward"]?.arrayValue?.compactMap(\.doubleValue) ?? [],
                 backward: reply[layout]?["backward"]?.arrayValue?.compactMap(\.doubleValue) ?? [])
        }
        return (runs("nchw"), runs("channels_last"))
    }

    /// Closes the script's input and waits for it to end.
    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// The next line of the script's output, or nil at its end.
    private func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                buffered.removeSubrange(buffered.startIndex...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered.append(chunk)
        }
    }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
