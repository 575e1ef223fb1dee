import CSoxr
import Foundation
import Testing

@testable import EmoDSP

/// The batch-conversion fast paths give exactly what the plain definitions give.
@Suite("Fast paths")
struct FastPathTests {
    @Test("isSilent equals peakDecibels < threshold, at the boundary too, ignoring NaN")
    func silenceBoundary() {
        for threshold: Float in [-60, -90, -20.5, -0.0001, 0, -200, -120.25] {
            let bound = loudnessBound(threshold)
            // Just below, at and just above the smallest loud amplitude, in a long and a short signal.
            for amplitude in [bound.nextDown, bound, bound.nextUp, -bound, -bound.nextDown] {
                for count in [3, 1000] {
                    var samples = [Float](repeating: 0, count: count)
                    samples[count - 2] = amplitude
                    #expect(isSilent(samples, thresholdDB: threshold) == (peakDecibels(samples) < threshold),
                            "threshold \(threshold), amplitude \(amplitude), \(count) samples")
                }
            }
        }
        var withNaN = [Float](repeating: 1e-6, count: 100)
        withNaN[40] = .nan
        #expect(isSilent(withNaN) && peakDecibels(withNaN) < -60)
        withNaN[41] = .infinity
        #expect(!isSilent(withNaN))
        #expect(isSilent([], thresholdDB: -60) == (peakDecibels([]) < -60))
        #expect(isSilent([0.5], thresholdDB: .infinity) == (peakDecibels([0.5]) < .infinity))
        #expect(isSilent([0.5], thresholdDB: -.infinity) == (peakDecibels([0.5]) < -.infinity))
    }

    @Test("the Mel filterbank on 8 frames at once equals it frame by frame")
    func melBlock() throws {
        let bank = try MelFilterbank(sampleRate: 16_000, fftSize: 512, melBands: 128, fmin: 0, fmax: 8000, scale: .slaney,
                                     normalization: .slaney)
        let bins = 257
        var generator = SplitMix64(seed: 3)
        let frames = (0..<8).map { _ in (0..<bins).map { _ in Float(generator.nextUnit()) * 10 } }
        let block = UnsafeMutableRawPointer.allocate(byteCount: 4 * bins * 8, alignment: 32).bindMemory(to: Float.self, capacity: bins * 8)
        defer { block.deallocate() }
        for k in 0..<bins { for lane in 0..<8 { block[8 * k + lane] = frames[lane][k] } }
        for lanes in [8, 5, 1] {
            var blocked = [Float](repeating: -1, count: 8 * 128)
            blocked.withUnsafeMutableBufferPointer { bank.apply(block: block, lanes: lanes, into: $0.baseAddress!, rowStride: 128) }
            for lane in 0..<8 {
                var single = [Float](repeating: 0, count: 128)
                frames[lane].withUnsafeBufferPointer { input in
                    single.withUnsafeMutableBufferPointer { bank.apply(row: input.baseAddress!, into: $0.baseAddress!) }
                }
                let row = Array(blocked[(lane * 128)..<((lane + 1) * 128)])
                if lane < lanes {
                    for (a, b) in zip(row, single) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "lane \(lane): \(a) vs \(b)") }
                } else {
                    #expect(row.allSatisfy { $0 == -1 }, "lane \(lane) of \(lanes) was written")
                }
            }
        }
    }

    @Test("NPY transposed write equals writing the transposed array; one buffer serves files of any size")
    func npyTransposed() throws {
        let folder = try makeTemporaryFolder()
        defer { removeTemporaryFolder(folder) }
        var buffer: [UInt8] = []
        for (rows, columns) in [(361, 128), (3, 2), (17, 33), (1, 1), (40, 5)] {
            let spectrogram = Spectrogram(frames: rows, bins: columns, values: (0..<(rows * columns)).map { Float($0) * 0.5 - 7 })
            try NPYFile.writeTransposed(spectrogram.values, rows: rows, columns: columns, to: folder + "/t.npy", buffer: &buffer)
            try NPYFile.write(values: spectrogram.transposed(), shape: [columns, rows], to: folder + "/p.npy")
            let fast = try #require(FileManager.default.contents(atPath: folder + "/t.npy"))
            let plain = try #require(FileManager.default.contents(atPath: folder + "/p.npy"))
            #expect(fast == plain, "\(rows) × \(columns)")
            #expect(try NPYFile.read(folder + "/t.npy").shape == [columns, rows])
        }
        #expect(throws: AudioError.self) { try NPYFile.writeTransposed([1, 2, 3], rows: 2, columns: 2, to: folder + "/x.npy", buffer: &buffer) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}


@Suite("Pooled soxr")
struct PooledSoxrTests {
    /// What the binding computed before the pool: one `soxr_oneshot` call.
    func oneshot(_ input: [Float], from inputRate: Int, to outputRate: Int, recipe: UInt, outputCount: Int) -> [Float] {
        var quality = soxr_quality_spec(recipe, 0)
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var runtime = soxr_runtime_spec(1)
        var output = [Float](repeating: 0, count: outputCount + 1)
        var produced = 0
        let error = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { out in
                soxr_oneshot(Double(inputRate), Double(outputRate), 1, source.baseAddress, source.count, nil,
                             out.baseAddress, out.count, &produced, &io, &quality, &runtime)
            }
        }
        #expect(error == nil)
        return Array(output.prefix(outputCount))
    }

    @Test("a reused, cleared resampler gives soxr_oneshot's output bit for bit, from any thread")
    func pooledEqualsOneshot() throws {
        var generator = SplitMix64(seed: 9)
        for (from, to) in [(48_000, 16_000), (44_100, 16_000), (22_050, 16_000), (8_000, 16_000)] {
            for recipe in [SoxrRecipe.high, .veryHigh] {
                // Different lengths in turn, so every call after the first reuses a resampler.
                for count in [172_800, 1, 999, 48_000, 3, 172_800] {
                    let input = (0..<count).map { _ in Float(generator.nextUnit() * 2 - 1) * 0.5 }
                    let expectedCount = Resampler.outputCount(count, from: from, to: to)
                    let pooled = try input.withUnsafeBufferPointer {
                        try SoxrBinding.resample($0, from: from, to: to, recipe: recipe, outputCount: expectedCount)
                    }
                    let reference = oneshot(input, from: from, to: to, recipe: recipe.recipe, outputCount: expectedCount)
                    let differing = zip(pooled, reference).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(pooled.count == reference.count && differing == 0,
                            "\(from) → \(to), \(recipe), \(count) samples: \(differing) of \(reference.count) differ")
                }
            }
        }
        // Concurrent callers each get their own resampler.
        let input = (0..<48_000).map { Float(sin(Double($0) * 0.01)) * 0.3 }
        let reference = oneshot(input, from: 48_000, to: 16_000, recipe: SoxrRecipe.high.recipe, outputCount: 16_000)
        let mismatches = Counter()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let result = try? input.withUnsafeBufferPointer {
                try SoxrBinding.resample($0, from: 48_000, to: 16_000, recipe: .high, outputCount: 16_000)
            }
            if result?.map(\.bitPattern) != reference.map(\.bitPattern) { mismatches.increment() }
        }
        #expect(mismatches.value == 0)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
