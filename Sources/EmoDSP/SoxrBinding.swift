import CSoxr

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
    /// Resamples mono Float32 in one `soxr_oneshot` call with an explicit quality spec
    /// (soxr_oneshot would otherwise use low quality), linear phase, one thread.
    /// Returns exactly `outputCount` samples: soxr's flushed output (round(n·ratio) samples), zero-extended
    /// when `outputCount` is larger (librosa's `fix_length` does the same).
    static func resample(
        _ input: UnsafeBufferPointer<Float>, from inputRate: Int, to outputRate: Int, recipe: SoxrRecipe,
        outputCount: Int
    ) throws -> [Float] {
        var quality = soxr_quality_spec(recipe.recipe, 0)
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var runtime = soxr_runtime_spec(1)
        // One spare sample so that a rounding difference in soxr's own length leaves no hole.
        var output = [Float](repeating: 0, count: outputCount + 1)
        var produced = 0
        let error: soxr_error_t? = output.withUnsafeMutableBufferPointer { out in
            soxr_oneshot(
                Double(inputRate), Double(outputRate), 1,
                input.baseAddress, input.count, nil,
                out.baseAddress, out.count, &produced,
                &io, &quality, &runtime)
        }
        if let error {
            throw AudioError(.libraryFailure, reason: "soxr_oneshot \(inputRate) → \(outputRate) Hz: \(String(cString: error))")
        }
        output.removeLast(output.count - outputCount)
        _ = produced
        return output
    }
}
