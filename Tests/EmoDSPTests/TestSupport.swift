import Foundation
import Testing

@testable import EmoDSP

/// Loads a fixture `.npy` from the test bundle.
func fixture(_ name: String) throws -> NPYFile.Array {
    guard let url = Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Fixtures") else {
        throw AudioError(.fileMissing, path: "Fixtures/\(name).npy", reason: "fixture not in the test bundle")
    }
    return try NPYFile.read(url.path)
}

/// Loads a (bins, frames) reference as a frames × bins spectrogram.
func fixtureSpectrogram(_ name: String) throws -> Spectrogram {
    let array = try fixture(name)
    return Spectrogram.fromBinMajor(array.values, bins: array.shape[0], frames: array.shape[1])
}

/// A fresh temporary folder, removed by the caller with `removeTemporaryFolder`.
func makeTemporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "emodsp-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTemporaryFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Prints a measured figure so that test logs carry the observed accuracy.
func report(_ line: String) {
    print("[EmoDSP accuracy] \(line)")
}

/// Largest absolute difference, and its index.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> (value: Double, index: Int) {
    precondition(a.count == b.count)
    var best = 0.0, index = 0
    for i in a.indices {
        let d = abs(Double(a[i]) - Double(b[i]))
        if d > best { best = d; index = i }
    }
    return (best, index)
}

/// Whether slow, opt-in tests are enabled.
let slowTestsEnabled = ProcessInfo.processInfo.environment["EMOHR_SLOW_TESTS"] == "1"

/// A test signal helper: a sine at `frequency` Hz.
func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
    (0..<count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
}
