import CSampleRate

// The only file that calls libsamplerate.

/// libsamplerate converters exposed by `Resampler`.
enum SampleRateConverter {
    case sincBest
    case sincMedium
    case sincFastest

    var raw: Int32 {
        switch self {
        case .sincBest: Int32(SRC_SINC_BEST_QUALITY)
        case .sincMedium: Int32(SRC_SINC_MEDIUM_QUALITY)
        case .sincFastest: Int32(SRC_SINC_FASTEST)
        }
    }
}

enum SampleRateBinding {
    /// Resamples mono Float32 with one `src_simple` call over the whole buffer (end of input set),
    /// exactly like the reference `src_resample.c`; returns exactly `outputCount` samples.
    static func resample(
        _ input: UnsafeBufferPointer<Float>, from inputRate: Int, to outputRate: Int, converter: SampleRateConverter,
        outputCount: Int
    ) throws -> [Float] {
        // Room for libsamplerate's own length (it may differ from ours by a sample).
        var output = [Float](repeating: 0, count: outputCount + 64)
        let ratio = Double(outputRate) / Double(inputRate)
        var generated = 0
        let code: Int32 = output.withUnsafeMutableBufferPointer { out in
            var data = SRC_DATA()
            data.data_in = input.baseAddress
            data.input_frames = input.count
            data.data_out = out.baseAddress
            data.output_frames = out.count
            data.src_ratio = ratio
            data.end_of_input = 1
            let code = src_simple(&data, converter.raw, 1)
            generated = data.output_frames_gen
            return code
        }
        if code != 0 {
            throw AudioError(
                .libraryFailure, reason: "src_simple \(inputRate) → \(outputRate) Hz: \(String(cString: src_strerror(code)))")
        }
        _ = generated
        output.removeLast(output.count - outputCount)
        return output
    }
}
