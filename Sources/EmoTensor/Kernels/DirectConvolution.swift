import CEmoKernels
import Dispatch
import Foundation

/// Which algorithm a 2-D convolution uses.
public enum ConvolutionAlgorithm: String, Sendable, CaseIterable {
    /// The direct kernels where they are measured to be faster (see `DirectConvolution.isPreferred`),
    /// im2col + sgemm elsewhere.
    case automatic
    /// im2col + `cblas_sgemm` (any groups and dilation).
    case im2col
    /// The direct (im2col-free, indirect-product) kernels of `CEmoKernels`, with Winograd
    /// F(4×4, 3×3) or F(2×2, 3×3) for 3×3 stride-1 shapes on AVX-512 (`EMOTENSOR_WINOGRAD=0`
    /// turns it off, `=2` keeps the smaller, more exact tiles); groups 1, dilation 1 only — other
    /// convolutions still use im2col.
    case direct
    /// The direct kernels with their portable C micro-kernels, on any CPU (what a CPU without
    /// AVX-512 runs; for tests).
    case directPortable

    /// The process-wide choice: `EMOTENSOR_CONVOLUTION=im2col|direct|automatic` (default automatic).
    /// For experiments and benchmarks; read once.
    public static let configured: ConvolutionAlgorithm = {
        guard let text = ProcessInfo.processInfo.environment["EMOTENSOR_CONVOLUTION"] else { return .automatic }
        guard let value = ConvolutionAlgorithm(rawValue: text) else {
            fatalError("EMOTENSOR_CONVOLUTION=\(text): expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }()
}

/// The direct convolution kernels (`CEmoKernels`): each pass runs as an indirect matrix product
/// over pointers into the input (read in place, no product reading zero padding, where channels are
/// whole 16-float vectors; zero-padded stride phases otherwise), a part of the batch per worker at a
/// time (no im2col matrix, small images stay in cache). Where the channel counts are whole vectors,
/// the channels are in the vectors and any image width fills them; otherwise the pixels are. The
/// input gradient is the same product on dy, phase by phase; the weight gradient accumulates outer
/// products with dyᵀ. AVX-512 micro-kernels where the CPU has them.
enum DirectConvolution {
    /// True when the AVX-512 micro-kernels run on this CPU (the portable ones are correct but slow,
    /// so `automatic` uses im2col without them).
    static var isAccelerated: Bool { emo_direct_conv_accelerated() != 0 }

    /// The convolutions the direct kernels can compute.
    static func supports(_ g: ConvolutionGeometry) -> Bool {
        g.groups == 1 && g.dilation == Size2D(1)
    }

    /// The three passes of a convolution, which may use different algorithms.
    enum Pass { case forward, inputGradient, weightGradient }

    /// Whether `algorithm` sends `pass` of `g` to the direct kernels.
    static func chosen(for g: ConvolutionGeometry, pass: Pass = .forward, algorithm: ConvolutionAlgorithm) -> Bool {
        guard supports(g) else { return false }
        switch algorithm {
        case .im2col: return false
        case .direct, .directPortable: return true
        case .automatic: return isAccelerated && isPreferred(g, pass: pass)
        }
    }

    /// Where the direct kernels beat im2col + sgemm, measured with `emohr bench ops --algorithms`
    /// on the emohrnet-s shapes at batch 64 (docs/performance.md): every pass of every shape except
    /// two kinds of weight gradient, whose kernel transposes dy per image ([Cout][P] → [P][Cout])
    /// and reuses it over the Cin·kh·kw input rows:
    /// - a one-channel input (the stem's first convolution, 9 rows: im2col + sgemm 17.3 ms against
    ///   22.0 ms);
    /// - a 1×1 convolution that widens (Cin < Cout, e.g. 32→128: 10.8 ms against 11.1 ms), where
    ///   the transpose costs about what the products do and sgemm needs no im2col at all.
    static func isPreferred(_ g: ConvolutionGeometry, pass: Pass) -> Bool {
        guard pass == .weightGradient else { return true }
        if g.inputChannels == 1 { return false }
        if g.isPointwise && g.inputChannels < g.outputChannels { return false }
        return true
    }

    /// The C description of `g`; `portable` selects the portable micro-kernels on any CPU.
    static func shape(_ g: ConvolutionGeometry, portable: Bool) -> emo_conv_shape {
        emo_conv_shape(
            cin: Int32(g.inputChannels), height: Int32(g.inputHeight), width: Int32(g.inputWidth),
            cout: Int32(g.outputChannels), kh: Int32(g.kernelSize.height), kw: Int32(g.kernelSize.width),
            sh: Int32(g.stride.height), sw: Int32(g.stride.width), ph: Int32(g.padding.height),
            pw: Int32(g.padding.width), portable: portable ? 1 : 0)
    }

    /// Contiguous image ranges, up to 8 per core (claimed as workers come free), so a core slowed by
    /// another process does not hold the op up (trans3's backward: 3.10–3.35 ms with 4 per core,
    /// 3.05–3.07 with 8).
    static func parts(batch: Int) -> Int { min(batch, 8 * Parallelism.workerCount) }

    static func images(part: Int, of parts: Int, batch: Int) -> Range<Int> {
        (batch * part / parts)..<(batch * (part + 1) / parts)
    }

    /// Runs `body(part)` for every part, concurrently when there are several.
    static func run(parts: Int, _ body: (Int) -> Void) {
        // Parts touch disjoint images and their own scratch buffers.
        Parallelism.run(parts: parts, body)
    }

    /// Floats of scratch that hold `bytes` bytes.
    static func floats(_ bytes: Int) -> Int { (bytes + 3) / 4 + 16 }

    /// x [N, Cin, H, W], weight [Cout, Cin, kh, kw], bias [Cout]? → [N, Cout, Ho, Wo]
    /// `residual` (the output's shape) added and ReLU applied in the same pass.
    static func forward(
        _ x: Tensor, weight: Tensor, bias: Tensor?, residual: Tensor?, relu: Bool, geometry g: ConvolutionGeometry,
        portable: Bool
    ) -> Tensor {
        var s = shape(g, portable: portable)
        let forwardWeights = Tensor(uninitializedShape: [Int(emo_conv_forward_weights_count(&s))]) { out in
            weight.withUnsafeBufferPointer { emo_conv_prepare_forward_weights(&s, $0.baseAddress!, out.baseAddress!) }
        }
        let scratch = floats(emo_conv_forward_scratch_bytes(&s))
        let inputImage = g.inputChannels * g.inputPlane, outputImage = g.outputChannels * g.outputPlane
        let parts = parts(batch: g.batch)
        return Tensor(uninitializedShape: [g.batch, g.outputChannels, g.outputHeight, g.outputWidth]) { out in
            let po = out.baseAddress!
            x.withUnsafeBufferPointer { px in
                forwardWeights.withUnsafeBufferPointer { pw in
                    withOptionalPointer(bias) { pb in
                    withOptionalPointer(residual) { pr in
                        let px = px.baseAddress!, pw = pw.baseAddress!
                        run(parts: parts) { part in
                            var s = s
                            ScratchPool.shared.withBuffer(count: scratch) { buffer in
                                for image in images(part: part, of: parts, batch: g.batch) {
                                    emo_conv_forward_image(
                                        &s, px + image * inputImage, pw, pb, pr.map { $0 + image * outputImage },
                                        relu ? 1 : 0, po + image * outputImage, buffer)
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
    }

    /// Gradients with respect to the input and the weight (each only when asked for), in one
    /// parallel job: the weight gradient's parts first (one fixed contiguous range of images per
    /// worker, each with its own accumulator, summed in worker order: the gradient is the same float
    /// for float from run to run, and there is one accumulator per core, not per part — up to
    /// 36·Cin·Cout floats for a Winograd gradient), then the input gradient's smaller parts, which the workers
    /// claim as they come free, so neither waits for the other at the end.
    static func backward(
        outputGradient dy: Tensor, input x: Tensor, weight: Tensor, geometry g: ConvolutionGeometry,
        computeInput: Bool, computeWeight: Bool, portable: Bool
    ) -> (input: Tensor?, weight: Tensor?) {
        var s = shape(g, portable: portable)
        let inputImage = g.inputChannels * g.inputPlane, outputImage = g.outputChannels * g.outputPlane
        let dataParts = computeInput ? parts(batch: g.batch) : 0
        let workers = computeWeight ? min(g.batch, Parallelism.workerCount) : 0
        let dataWeights: Tensor? = computeInput
            ? Tensor(uninitializedShape: [Int(emo_conv_data_weights_count(&s))]) { out in
                weight.withUnsafeBufferPointer { emo_conv_prepare_data_weights(&s, $0.baseAddress!, out.baseAddress!) }
            } : nil
        let dataScratch = computeInput ? floats(emo_conv_backward_data_scratch_bytes(&s)) : 0
        let weightScratch = computeWeight ? floats(emo_conv_backward_weight_scratch_bytes(&s)) : 0
        let accumulatorCount = computeWeight ? Int(emo_conv_weight_accumulator_count(&s)) : 0
        var dw: Tensor? = nil
        // Both gradients, dx written through `pdx` (nil without it).
        func compute(_ pdx: UnsafeMutablePointer<Float>?) {
            ScratchPool.shared.withBuffer(count: max(workers * accumulatorCount, 1)) { accumulators in
                x.withUnsafeBufferPointer { px in
                    dy.withUnsafeBufferPointer { pdy in
                        withOptionalPointer(dataWeights) { pw in
                            let px = px.baseAddress!, pdy = pdy.baseAddress!
                            run(parts: workers + dataParts) { part in
                                var s = s
                                if part < workers {
                                    let accumulator = accumulators + part * accumulatorCount
                                    accumulator.update(repeating: 0, count: accumulatorCount)
                                    ScratchPool.shared.withBuffer(count: weightScratch) { buffer in
                                        let range = images(part: part, of: workers, batch: g.batch)
                                        emo_conv_backward_weight_images(
                                            &s, Int32(range.count), px + range.lowerBound * inputImage,
                                            pdy + range.lowerBound * outputImage, accumulator, buffer)
                                    }
                                    return
                                }
                                ScratchPool.shared.withBuffer(count: dataScratch) { buffer in
                                    for image in images(part: part - workers, of: dataParts, batch: g.batch) {
                                        emo_conv_backward_data_image(
                                            &s, pdy + image * outputImage, pw!, pdx! + image * inputImage, buffer)
                                    }
                                }
                            }
                        }
                    }
                }
                guard computeWeight else { return }
                guard workers > 0 else {  // an empty batch
                    dw = Tensor(zeros: weight.shape)
                    return
                }
                for worker in 1..<workers {
                    let partial = accumulators + worker * accumulatorCount
                    for i in 0..<accumulatorCount { accumulators[i] += partial[i] }
                }
                dw = Tensor(uninitializedShape: weight.shape) { emo_conv_finish_weight_gradient(&s, accumulators, $0.baseAddress!) }
            }
        }
        var dx: Tensor? = nil
        if computeInput {
            dx = Tensor(uninitializedShape: x.shape) { compute($0.baseAddress!) }
        } else {
            compute(nil)
        }
        return (dx, dw)
    }
}

/// Calls `body` with the base address of `tensor`'s elements, or nil when there is no tensor.
@inline(__always)
private func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension Kernels {
    /// True when the direct convolution kernels run on AVX-512 on this CPU.
    public static var directConvolutionAccelerated: Bool { DirectConvolution.isAccelerated }
}
