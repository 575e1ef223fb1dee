import CSoxr
import Foundation

// The only file that calls libsoxr.

/// libsoxr quality recipes exposed by `Resampler`.
enum SoxrRecipe {
    case high
    case veryHigh

    var recipe: UInt {
        switch self {
        case .high: UInt(SOXR_HQ)
        case .veryHigh: UInt(SOXR_VHQ)
        }
    }
}

enum SoxrBinding {
    /// Resamples mono Float32 with an explicit quality spec (`soxr_oneshot` would otherwise use low
    /// quality), linear phase, one thread. Exactly what `soxr_oneshot` computes (tested bit for bit), but the
    /// resampler of a rate pair and recipe is made once, kept in a pool and cleared between signals, which
    /// saves its set-up and allocations on every file.
    /// Returns exactly `outputCount` samples: soxr's flushed output (round(n·ratio) samples), zero-extended
    /// when `outputCount` is larger (librosa's `fix_length` does the same).
    static func resample(
        _ input: UnsafeBufferPointer<Float>, from inputRate: Int, to outputRate: Int, recipe: SoxrRecipe,
        outputCount: Int
    ) throws -> [Float] {
        let key = SoxrPool.Key(inputRate: inputRate, outputRate: outputRate, recipe: recipe.recipe)
        let resampler = try SoxrPool.shared.take(key)
        // One spare sample so that a rounding difference in soxr's own length leaves no hole.
        var output = [Float](repeating: 0, count: outputCount + 1)
        let error: soxr_error_t? = output.withUnsafeMutableBufferPointer { out in
            let handle = resampler.handle
            let capacity = out.count
            var produced = 0
            // The whole input, then the end-of-input flush (in nil) until soxr has nothing more: the same
            // samples as soxr_oneshot (a single call with a nil `idone` stops short of the tail).
            var consumed = 0
            while consumed < input.count && produced < capacity {
                var used = 0
                var made = 0
                if let error = soxr_process(handle, input.baseAddress! + consumed, input.count - consumed, &used,
                                            out.baseAddress! + produced, capacity - produced, &made) { return error }
                consumed += used
                produced += made
                if used == 0 && made == 0 { break }
            }
            while produced < capacity {
                var made = 0
                if let error = soxr_process(handle, nil, 0, nil, out.baseAddress! + produced, capacity - produced, &made) {
                    return error
                }
                if made == 0 { break }
                produced += made
            }
            return nil
        }
        if let error {
            // A failed resampler is not reused.
            throw AudioError(.libraryFailure, reason: "soxr_process \(inputRate) → \(outputRate) Hz: \(String(cString: error))")
        }
        SoxrPool.shared.give(resampler, key)
        output.removeLast(output.count - outputCount)
        return output
    }
}

/// One libsoxr resampler; deleted when released.
final class SoxrResampler {
    let handle: soxr_t

    init(_ key: SoxrPool.Key) throws {
        var error: soxr_error_t?
        var quality = soxr_quality_spec(key.recipe, 0)
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var runtime = soxr_runtime_spec(1)
        guard let handle = soxr_create(Double(key.inputRate), Double(key.outputRate), 1, &error, &io, &quality, &runtime),
            error == nil
        else {
            throw AudioError(.libraryFailure, reason: "soxr_create \(key.inputRate) → \(key.outputRate) Hz: "
                             + (error.map { String(cString: $0) } ?? "failed"))
        }
        self.handle = handle
    }

    deinit { soxr_delete(handle) }
}

/// Idle resamplers by rate pair and recipe, for any thread to take, use alone and give back cleared.
final class SoxrPool: @unchecked Sendable {
    // `free` is only touched under `lock`; a resampler is used by one caller between take and give.
    static let shared = SoxrPool()
    private let lock = NSLock()
    private var free: [Key: [SoxrResampler]] = [:]

    struct Key: Hashable {
        var inputRate: Int
        var outputRate: Int
        var recipe: UInt
    }

    func take(_ key: Key) throws -> SoxrResampler {
        if let resampler = lock.withLock({ free[key]?.popLast() }) { return resampler }
        return try SoxrResampler(key)
    }

    func give(_ resampler: SoxrResampler, _ key: Key) {
        // Ready for a fresh signal with the same settings.
        guard soxr_clear(resampler.handle) == nil else { return }
        lock.withLock { free[key, default: []].append(resampler) }
    }
}
