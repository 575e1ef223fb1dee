import CEmoKernels
import COpenBLAS
import Dispatch
import Foundation

/// The one place that sets how many threads OpenBLAS uses for matrix products.
///
/// Default (when `set` has not been called before the first kernel or `Tape`): OpenBLAS runs
/// single-threaded and EmoTensor spreads the work over the cores itself — a convolution hands each
/// core its own range of images (`ImageSplit`), and a lone large product is split by columns
/// (`gemm`). OpenBLAS's own threads busy-wait (`sched_yield`) for ~0.1 s after every product,
/// which cost ~15% of the CPU time of an emohrnet-s training step on 2 cores, competing with the
/// element-wise kernels that run between products.
public enum BLASThreads {
    /// Sets OpenBLAS's thread count (`openblas_set_num_threads`). Call it once at start-up, before
    /// any work runs; 1 (the default) is best when the caller already runs one product per core.
    public static func set(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        _ = defaultApplied
        openblas_set_num_threads(Int32(count))
    }

    /// The thread count OpenBLAS uses now.
    public static var current: Int { Int(openblas_get_num_threads()) }

    private static let defaultApplied: Bool = {
        HeapPolicy.apply()
        openblas_set_num_threads(1)
        return true
    }()

    /// `current`, after applying the single-threaded default if `set` was never called.
    static var effective: Int {
        _ = defaultApplied
        return current
    }
}

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`
/// (`op(A)` is m×k, `op(B)` is k×n, C is m×n). Wrapper over `cblas_sgemm`; with OpenBLAS
/// single-threaded and `parallel`, a large product is split by columns of C over the cores.
func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
) {
    guard m > 0, n > 0 else { return }
    if parallel, k > 0, n >= 64, m * n * k >= 4_000_000, Parallelism.workerCount > 1, BLASThreads.effective == 1 {
        // Split C by columns: C[:, j₀..<j₁] = op(A) · op(B)[:, j₀..<j₁], one share per core.
        let parts = min(Parallelism.workerCount, n / 32)
        // The parts write disjoint columns of C.
        Parallelism.run(parts: parts) { part in
            let low = n * part / parts, high = n * (part + 1) / parts
            gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: high - low, k: k, alpha: alpha, a: a, lda: lda,
                b: transposeB ? b + low * ldb : b + low, ldb: ldb, beta: beta, c: c + low, ldc: ldc, parallel: false)
        }
        return
    }
    if k == 0 {
        if beta == 0 {
            for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
        } else if beta != 1 {
            for row in 0..<m { for col in 0..<n { c[row * ldc + col] *= beta } }
        }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Runs `body(start, end)` over `0..<count` split into contiguous chunks, in parallel on all cores
/// when the total work (`count * costPerItem`, in rough element operations) is worth it.
@inline(__always)
func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Int, Int) -> Void) {
    guard count > 0 else { return }
    let workers = Parallelism.workerCount
    // Below ~32k element operations the dispatch overhead (a few µs) outweighs the gain.
    if workers == 1 || count == 1 || count * costPerItem < 32_768 {
        body(0, count)
        return
    }
    let chunks = min(count, workers * 4)
    // The chunks touch disjoint ranges; the kernels that call this guarantee it.
    Parallelism.run(parts: chunks) { chunk in
        let start = count * chunk / chunks
        let end = count * (chunk + 1) / chunks
        if start < end { body(start, end) }
    }
}

/// Carries a non-Sendable value (a closure over raw pointers) into `concurrentPerform`.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// How many threads the kernels split their work over, and how.
public enum Parallelism {
    /// The number of active processors (fixed at start-up).
    public static let workerCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(part)` for every part in `0..<parts`, concurrently on all cores: on the worker
    /// pool of CEmoKernels (`emo_pool_run`: helpers that spin 0.1 ms between jobs, so back-to-back
    /// kernels do not wait 10–40 µs for a wake-up each), or through GCD when the pool is busy with
    /// another caller's job (a nested or concurrent call). Parts may run on any thread; each must
    /// touch only its own data.
    public static func run(parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 || workerCount == 1 {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = body
            let ran = withUnsafeMutablePointer(to: &job) { pointer in
                emo_pool_run(Int32(workerCount), Int32(parts), { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(part))
                }, pointer)
            }
            if ran == 0 {
                let work = UncheckedSendable(body)
                DispatchQueue.concurrentPerform(iterations: parts) { work.value($0) }
            }
        }
    }
}

/// A lock-protected pool of scratch buffers, so that kernels (im2col, gathered gradients) reuse
/// memory from one call to the next instead of allocating per call.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    private let lock = NSLock()
    private var available: [UnsafeMutableBufferPointer<Float>] = []
    /// The most buffers kept for reuse; extra ones are freed when returned.
    private let keep = 8

    /// Lends a buffer of at least `count` floats (contents undefined) for the duration of `body`.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = take(count: max(count, 1))
        defer { give(buffer) }
        return try body(buffer.baseAddress!)
    }

    private func take(count: Int) -> UnsafeMutableBufferPointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        var best: Int? = nil
        for (index, buffer) in available.enumerated() where buffer.count >= count {
            if best == nil || buffer.count < available[best!].count { best = index }
        }
        if let best { return available.remove(at: best) }
        return UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
    }

    private func give(_ buffer: UnsafeMutableBufferPointer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        available.append(buffer)
        if available.count > keep {
            // Drop the smallest: big buffers are the expensive ones to make again.
            let smallest = available.indices.min { available[$0].count < available[$1].count }!
            available.remove(at: smallest).deallocate()
        }
    }
}

/// Keeps freed tensor memory in the process heap for reuse.
///
/// By default glibc serves every allocation over 32 MB (and, with its dynamic threshold, most
/// over a few MB) with a fresh `mmap` and unmaps it on `free`, so each large activation or
/// gradient of a training step is page-faulted and zeroed by the kernel again: measured ~6 of
/// ~25 CPU-seconds of `sys` time over the emohrnet-s benchmark (batch 64). Turning `mmap` off
/// for `malloc` and not trimming the heap lets the next step reuse the same pages (peak RSS
/// +6%). Applied once, when the first `Tape` is made or the first convolution runs; set
/// `EMOTENSOR_SYSTEM_MALLOC=1` to keep glibc's defaults. The `emohr` CLI applies it at start-up, so
/// the audio front end (large per-file sample and spectrum arrays) benefits too.
public enum HeapPolicy {
    private static let applied: Bool = {
        #if os(Linux)
            guard ProcessInfo.processInfo.environment["EMOTENSOR_SYSTEM_MALLOC"] == nil,
                let symbol = dlsym(nil, "mallopt")
            else { return false }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            let mmapMax: Int32 = -4, trimThreshold: Int32 = -1  // M_MMAP_MAX, M_TRIM_THRESHOLD
            return mallopt(mmapMax, 0) == 1 && mallopt(trimThreshold, Int32.max) == 1
        #else
            return false
        #endif
    }()

    /// Applies the policy (once per process).
    public static func apply() { _ = applied }
}
