import COpenBLAS
import Dispatch
import Foundation

/// The one place that sets how many threads OpenBLAS uses for matrix products.
public enum BLASThreads {
    /// Sets OpenBLAS's thread count (`openblas_set_num_threads`). Call it once at start-up, before
    /// any work runs; 1 is best when the caller already runs one product per core.
    public static func set(_ count: Int) {
        precondition(count >= 1, "BLAS thread count must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// The thread count OpenBLAS uses now.
    public static var current: Int { Int(openblas_get_num_threads()) }
}

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`
/// (`op(A)` is m×k, `op(B)` is k×n, C is m×n). Thin wrapper over `cblas_sgemm`.
@inline(__always)
func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
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
    withoutActuallyEscaping(body) { body in
        // The chunks touch disjoint ranges; the kernels that call this guarantee it.
        let work = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { work.value(start, end) }
        }
    }
}

/// Carries a non-Sendable value (a closure over raw pointers) into `concurrentPerform`.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// How many threads the element-wise kernels split their work over.
public enum Parallelism {
    /// The number of active processors (fixed at start-up).
    public static let workerCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
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
