import CFFTW
import Foundation

// The only file that calls FFTW (single precision).
//
// Planning is not thread-safe in FFTW, so every plan is made under one process-wide lock and cached
// per FFT size for the life of the process. Executing a plan with `fftwf_execute_dft_r2c` on other
// arrays is thread-safe, so each caller owns an `FFTWorkspace` (buffers from `fftwf_malloc`, hence
// with the alignment the plan was made for) and executes the shared plan concurrently.
// Plans use FFTW_ESTIMATE: FFTW_MEASURE costs about 84 ms per process per size for a few percent.

/// A cached real-to-complex plan for one FFT size; safe to share, executed on per-caller buffers.
struct RealFFTPlan: @unchecked Sendable {
    // The plan pointer is immutable after creation and FFTW's new-array execute is thread-safe.
    fileprivate let plan: OpaquePointer
    /// Transform length (real samples in).
    let size: Int
    /// Complex bins out: size / 2 + 1.
    var bins: Int { size / 2 + 1 }

    /// Returns the process-wide plan for `size`, creating it (under the planner lock) on first use.
    static func forSize(_ size: Int) throws -> RealFFTPlan {
        try PlanCache.shared.plan(size: size)
    }

    /// Transforms `workspace.input` (size reals) into `workspace.output` (bins complex values).
    func execute(_ workspace: FFTWorkspace) {
        precondition(workspace.size == size, "workspace made for another FFT size")
        fftwf_execute_dft_r2c(plan, workspace.input, workspace.complexOutput)
    }
}

/// Per-caller aligned buffers for one FFT size. Not thread-safe: one per thread or per task.
final class FFTWorkspace {
    let size: Int
    /// `size` real input samples.
    let input: UnsafeMutablePointer<Float>
    fileprivate let complexOutput: UnsafeMutablePointer<fftwf_complex>
    /// Interleaved (re, im) output, `size / 2 + 1` pairs.
    let output: UnsafeMutablePointer<Float>

    init(size: Int) {
        self.size = size
        guard let inRaw = fftwf_alloc_real(size), let outRaw = fftwf_alloc_complex(size / 2 + 1) else {
            // Allocation failure of a few KiB is not something a caller can handle.
            preconditionFailure("fftwf_malloc failed for an FFT of size \(size)")
        }
        input = inRaw
        input.initialize(repeating: 0, count: size)
        complexOutput = outRaw
        output = UnsafeMutableRawPointer(outRaw).bindMemory(to: Float.self, capacity: 2 * (size / 2 + 1))
        output.initialize(repeating: 0, count: 2 * (size / 2 + 1))
    }

    deinit {
        fftwf_free(input)
        fftwf_free(complexOutput)
    }
}

private final class PlanCache: @unchecked Sendable {
    // Guarded by `lock`; FFTW's planner itself must only be entered under this lock.
    static let shared = PlanCache()
    private let lock = NSLock()
    private var plans: [Int: RealFFTPlan] = [:]

    func plan(size: Int) throws -> RealFFTPlan {
        guard size >= 2 else {
            throw AudioError(.invalidParameter, reason: "FFT size must be at least 2 (got \(size))")
        }
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[size] { return plan }
        let scratch = FFTWorkspace(size: size)
        guard
            let raw = fftwf_plan_dft_r2c_1d(
                Int32(size), scratch.input, scratch.complexOutput, UInt32(FFTW_ESTIMATE | FFTW_PRESERVE_INPUT))
        else {
            throw AudioError(.libraryFailure, reason: "fftwf_plan_dft_r2c_1d failed for size \(size)")
        }
        let plan = RealFFTPlan(plan: raw, size: size)
        plans[size] = plan
        return plan
    }
}
