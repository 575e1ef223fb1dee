import Dispatch

/// The sizes of one 2-D convolution (PyTorch `Conv2d` semantics, zero padding).
public struct ConvolutionGeometry: Sendable, Hashable {
    public var batch: Int
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var outputChannels: Int
    public var kernelSize: Size2D
    public var stride: Size2D
    public var padding: Size2D
    public var dilation: Size2D
    public var groups: Int

    /// Checks the sizes and derives the output size; `x` is [N, Cin, H, W], the weight
    /// [Cout, Cin/groups, kh, kw].
    public init(
        input: [Int], weight: [Int], stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int
    ) {
        precondition(input.count == 4, "conv2d: input must be NCHW, got \(input)")
        precondition(weight.count == 4, "conv2d: weight must be [Cout, Cin/groups, kh, kw], got \(weight)")
        precondition(groups >= 1 && input[1] % groups == 0 && weight[0] % groups == 0,
                     "conv2d: channels \(input[1]) → \(weight[0]) not divisible by groups \(groups)")
        precondition(weight[1] * groups == input[1],
                     "conv2d: weight \(weight) expects \(weight[1] * groups) input channels, input has \(input[1])")
        precondition(stride.height >= 1 && stride.width >= 1 && dilation.height >= 1 && dilation.width >= 1
                     && padding.height >= 0 && padding.width >= 0, "conv2d: bad stride/dilation/padding")
        batch = input[0]
        inputChannels = input[1]
        inputHeight = input[2]
        inputWidth = input[3]
        outputChannels = weight[0]
        kernelSize = Size2D(height: weight[2], width: weight[3])
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        precondition(outputHeight >= 1 && outputWidth >= 1,
                     "conv2d: input \(input) too small for kernel \(kernelSize) dilation \(dilation)")
    }

    /// ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1
    public var outputHeight: Int {
        (inputHeight + 2 * padding.height - dilation.height * (kernelSize.height - 1) - 1) / stride.height + 1
    }
    /// ⌊(W + 2·padding − dilation·(kw − 1) − 1) / stride⌋ + 1
    public var outputWidth: Int {
        (inputWidth + 2 * padding.width - dilation.width * (kernelSize.width - 1) - 1) / stride.width + 1
    }
    /// Output pixels per image.
    var outputPlane: Int { outputHeight * outputWidth }
    /// Input pixels per image and channel.
    var inputPlane: Int { inputHeight * inputWidth }
    /// Rows of the im2col matrix per group: Cin/groups · kh · kw.
    var groupRows: Int { inputChannels / groups * kernelSize.height * kernelSize.width }
    /// Rows of the im2col matrix: Cin · kh · kw.
    var columnRows: Int { inputChannels * kernelSize.height * kernelSize.width }
    /// A 1×1, stride-1, unpadded convolution: the input already is the im2col matrix.
    var isPointwise: Bool {
        kernelSize == Size2D(1) && stride == Size2D(1) && padding == Size2D(0)
    }
    /// Output rows per im2col band when a block is one image: the whole image unless its column
    /// matrix passes 1 M floats, in which case bands of rows keep it in cache.
    var rowsPerBand: Int {
        if isPointwise || imagesPerBlock > 1 { return outputHeight }
        return max(1, min(outputHeight, 1_048_576 / max(columnRows * outputWidth, 1)))
    }
    /// Floats of the column buffer a block or band needs.
    var columnBufferCount: Int {
        imagesPerBlock > 1 ? columnRows * imagesPerBlock * outputPlane : columnRows * rowsPerBand * outputWidth
    }
    /// Multiply-adds ×2 of the forward pass.
    public var forwardFLOPs: Double {
        2 * Double(batch) * Double(outputChannels) * Double(outputPlane) * Double(groupRows)
    }

    /// Images per im2col block. A 1×1 stride-1 convolution always runs one product per image
    /// straight on the input (no im2col, no gather/scatter: measured 2–3× faster than batching on
    /// the emohrnet-s fusion shapes). Otherwise an image with ≥ 2048 output pixels is a good matrix
    /// product alone; smaller ones are batched up to ~16k columns (a gather of the input columns
    /// and a scatter of the output), without letting the column buffer pass 1 M floats (4 MB, so
    /// it stays in cache between im2col and the GEMM: measured 1.3–1.7× faster than an 8 M cap
    /// on the 32- and 64-channel branch shapes).
    var imagesPerBlock: Int {
        if isPointwise { return 1 }
        let byColumns = outputPlane >= 2048 ? 1 : max(1, 16384 / max(outputPlane, 1))
        let byMemory = max(1, 1_048_576 / max(columnRows * outputPlane, 1))
        return max(1, min(batch, byColumns, byMemory))
    }
}

@inline(__always) private func floorDivide(_ a: Int, _ b: Int) -> Int {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}

@inline(__always) private func ceilDivide(_ a: Int, _ b: Int) -> Int { -floorDivide(-a, b) }

extension ConvolutionGeometry {
    /// The output columns `ow` whose input column `ow·stride − padding + kj·dilation` is inside.
    @inline(__always)
    func validColumns(kernelColumn kj: Int) -> Range<Int> {
        let offset = kj * dilation.width - padding.width
        let low = max(0, ceilDivide(-offset, stride.width))
        let high = min(outputWidth, floorDivide(inputWidth - 1 - offset, stride.width) + 1)
        return low < high ? low..<high : 0..<0
    }
}

/// How a convolution spreads its images over the cores.
///
/// With OpenBLAS single-threaded (`BLASThreads.set(1)`), the batch is cut into contiguous ranges
/// of whole blocks ("parts", up to 4 per core, taken by whichever core is free, so a core slowed
/// by another process does not hold the op up) and each part runs its own im2col, GEMMs and copies
/// (no synchronisation inside the op, and no OpenBLAS threads spinning between products while
/// the element-wise kernels run). Otherwise one part walks the whole batch: OpenBLAS splits each
/// product over its threads and the copies around it use `parallelChunks`.
struct ImageSplit {
    /// Images per im2col block (`imagesPerBlock`, capped so that every core gets a block).
    let block: Int
    /// The number of parts (1: OpenBLAS is multithreaded, or a single block).
    let parts: Int
    let batch: Int

    init(geometry g: ConvolutionGeometry) {
        batch = g.batch
        let cores = BLASThreads.effective == 1 ? min(Parallelism.workerCount, g.batch) : 1
        block = cores > 1 ? min(g.imagesPerBlock, (g.batch + cores - 1) / cores) : g.imagesPerBlock
        parts = cores > 1 ? min(4 * cores, (g.batch + block - 1) / block) : 1
    }

    /// The images of part `index`: whole blocks, as even a share as blocks allow (never empty).
    func images(of index: Int) -> Range<Int> {
        let blocks = (batch + block - 1) / block
        let low = blocks * index / parts * block, high = blocks * (index + 1) / parts * block
        return min(low, batch)..<min(high, batch)
    }

    /// Runs `body(part, images, parallel)` once per part, concurrently when there are several;
    /// `parallel` tells the body whether it may split its own loops over the cores.
    func run(_ body: (_ part: Int, _ images: Range<Int>, _ parallel: Bool) -> Void) {
        if parts == 1 {
            body(0, 0..<batch, true)
            return
        }
        // Parts touch disjoint images and their own scratch buffers.
        Parallelism.run(parts: parts) { index in body(index, images(of: index), false) }
    }
}

/// `parallelChunks` when `parallel`, else one serial call over the whole range.
@inline(__always)
func chunks(_ count: Int, costPerItem: Int, parallel: Bool, _ body: (Int, Int) -> Void) {
    if parallel {
        parallelChunks(count, costPerItem: costPerItem, body)
    } else if count > 0 {
        body(0, count)
    }
}

/// Calls `body` with the base address of `tensor`'s elements, or nil when there is no tensor.
@inline(__always)
func withMutablePointer<R>(_ tensor: inout Tensor?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    if tensor == nil { return body(nil) }
    return tensor!.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

extension Kernels {
    // MARK: im2col / col2im

    /// Writes the im2col rows of channels `channels` of one image.
    /// image [Cin, H, W] → columns [Cin·kh·kw, ld] at column offset `columnOffset` (P columns).
    static func im2col(
        image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, channels: Range<Int>, outputRows: Range<Int>,
        columns: UnsafeMutablePointer<Float>, leadingDimension ld: Int, columnOffset: Int
    ) {
        let kh = g.kernelSize.height, kw = g.kernelSize.width
        let outW = g.outputWidth
        let sh = g.stride.height, sw = g.stride.width
        for c in channels {
            let plane = image + c * g.inputPlane
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = columns + ((c * kh + ki) * kw + kj) * ld + columnOffset
                    let valid = g.validColumns(kernelColumn: kj)
                    let columnShift = kj * g.dilation.width - g.padding.width
                    for oh in outputRows {
                        let ih = oh * sh - g.padding.height + ki * g.dilation.height
                        let destination = row + (oh - outputRows.lowerBound) * outW
                        if ih < 0 || ih >= g.inputHeight || valid.isEmpty {
                            destination.update(repeating: 0, count: outW)
                            continue
                        }
                        let source = plane + ih * g.inputWidth + columnShift
                        // Plain loops rather than memset/memmove: the rows are short (10–150
                        // floats), so three library calls per row cost more than the copy.
                        for ow in 0..<valid.lowerBound { destination[ow] = 0 }
                        if sw == 1 {
                            for ow in valid { destination[ow] = source[ow] }
                        } else {
                            for ow in valid { destination[ow] = source[ow * sw] }
                        }
                        for ow in valid.upperBound..<outW { destination[ow] = 0 }
                    }
                }
            }
        }
    }

    /// Adds the im2col rows of channels `channels` back into one image's gradient (the adjoint of
    /// `im2col`). columns [Cin·kh·kw, ld] → image [Cin, H, W] (accumulates).
    static func col2im(
        columns: UnsafePointer<Float>, leadingDimension ld: Int, columnOffset: Int,
        geometry g: ConvolutionGeometry, channels: Range<Int>, outputRows: Range<Int>, image: UnsafeMutablePointer<Float>
    ) {
        let kh = g.kernelSize.height, kw = g.kernelSize.width
        let outW = g.outputWidth
        let sh = g.stride.height, sw = g.stride.width
        for c in channels {
            let plane = image + c * g.inputPlane
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = columns + ((c * kh + ki) * kw + kj) * ld + columnOffset
                    let valid = g.validColumns(kernelColumn: kj)
                    if valid.isEmpty { continue }
                    let columnShift = kj * g.dilation.width - g.padding.width
                    for oh in outputRows {
                        let ih = oh * sh - g.padding.height + ki * g.dilation.height
                        if ih < 0 || ih >= g.inputHeight { continue }
                        let source = row + (oh - outputRows.lowerBound) * outW
                        let destination = plane + ih * g.inputWidth + columnShift
                        if sw == 1 {
                            for ow in valid { destination[ow] += source[ow] }
                        } else {
                            for ow in valid { destination[ow * sw] += source[ow] }
                        }
                    }
                }
            }
        }
    }

    /// im2col of output rows `rows` of images `first..<first+count` into one block
    /// [Cin·kh·kw, count·|rows|·Wo], in parallel unless the caller already is one of several parts.
    static func im2colBlock(
        input: UnsafePointer<Float>, geometry g: ConvolutionGeometry, first: Int, count: Int, rows: Range<Int>,
        columns: UnsafeMutablePointer<Float>, parallel: Bool = true
    ) {
        let perImage = rows.count * g.outputWidth
        let ld = count * perImage
        let channels = g.inputChannels
        let cost = g.kernelSize.height * g.kernelSize.width * perImage
        chunks(count * channels, costPerItem: cost, parallel: parallel) { start, end in
            var item = start
            while item < end {
                let image = item / channels, channel = item % channels
                let last = min(end - item, channels - channel)
                im2col(
                    image: input + (first + image) * channels * g.inputPlane, geometry: g,
                    channels: channel..<(channel + last), outputRows: rows, columns: columns, leadingDimension: ld,
                    columnOffset: image * perImage)
                item += last
            }
        }
    }

    // MARK: Forward

    /// 2-D convolution (cross-correlation, zero padding, PyTorch `conv2d`).
    /// x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout]? → y [N, Cout, Ho, Wo]
    ///
    /// im2col over blocks of images + one `cblas_sgemm` per group and block; a 1×1 stride-1
    /// convolution skips im2col when a block is one image. Or the direct kernels
    /// (`ConvolutionAlgorithm`). `residual` (shaped like the output) is added and then `relu`
    /// applied, in the same pass on the direct path (inference with folded batch norm).
    public static func conv2dForward(
        _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, groups: Int = 1, adding residual: Tensor? = nil, relu: Bool = false,
        algorithm: ConvolutionAlgorithm = .configured
    ) -> Tensor {
        let g = ConvolutionGeometry(
            input: x.shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        if let bias { precondition(bias.shape == [g.outputChannels], "conv2d: bias \(bias.shape) ≠ [\(g.outputChannels)]") }
        if let residual {
            precondition(residual.shape == [g.batch, g.outputChannels, g.outputHeight, g.outputWidth],
                         "conv2d: residual \(residual.shape) ≠ output shape")
        }
        if DirectConvolution.chosen(for: g, algorithm: algorithm) {
            return DirectConvolution.forward(
                x, weight: weight, bias: bias, residual: residual, relu: relu, geometry: g,
                portable: algorithm == .directPortable)
        }
        if relu || residual != nil {
            var y = conv2dForward(
                x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                algorithm: .im2col)
            if let residual { addInPlace(&y, residual) }
            if relu {
                y.withUnsafeMutableBufferPointer { values in
                    let base = values.baseAddress!
                    parallelChunks(values.count, costPerItem: 1) { start, end in
                        for i in start..<end where !(base[i] > 0) { base[i] = 0 }
                    }
                }
            }
            return y
        }
        let plane = g.outputPlane, outC = g.outputChannels
        let rowsPerGroup = outC / g.groups, kg = g.groupRows
        let split = ImageSplit(geometry: g)
        return Tensor(uninitializedShape: [g.batch, outC, g.outputHeight, g.outputWidth]) { out in
            let po = out.baseAddress!
            x.withUnsafeBufferPointer { px in
                weight.withUnsafeBufferPointer { pw in
                    let px = px.baseAddress!, pw = pw.baseAddress!
                    let needsColumns = !(g.isPointwise && split.block == 1)
                    let needsGather = split.block > 1
                    let band = g.rowsPerBand, outW = g.outputWidth
                    split.run { _, images, parallel in
                        ScratchPool.shared.withBuffer(count: needsColumns ? g.columnBufferCount : 0) { columns in
                            ScratchPool.shared.withBuffer(count: needsGather ? outC * split.block * plane : 0) { gathered in
                                var first = images.lowerBound
                                while first < images.upperBound {
                                    let count = min(split.block, images.upperBound - first)
                                    var rowStart = 0
                                    while rowStart < g.outputHeight {
                                        // One image may be split into bands of output rows; blocks of
                                        // several images always take whole images.
                                        let rows = rowStart..<min(g.outputHeight, rowStart + (count == 1 ? band : g.outputHeight))
                                        let ld = count * rows.count * outW
                                        let source: UnsafePointer<Float>
                                        if needsColumns {
                                            im2colBlock(
                                                input: px, geometry: g, first: first, count: count, rows: rows, columns: columns,
                                                parallel: parallel)
                                            source = UnsafePointer(columns)
                                        } else {
                                            source = px + first * g.inputChannels * g.inputPlane
                                        }
                                        let destination = count == 1 ? po + first * outC * plane + rows.lowerBound * outW : gathered
                                        let ldc = count == 1 ? plane : ld
                                        for group in 0..<g.groups {
                                            if kg <= 16 {
                                                // A very short inner dimension (the 1-channel stem: 9): a
                                                // GEMM spends its time packing; plain multiply-adds don't.
                                                chunks(ld, costPerItem: rowsPerGroup * kg, parallel: parallel) { start, end in
                                                    shortInnerProduct(
                                                        m: rowsPerGroup, columns: start..<end, k: kg,
                                                        a: pw + group * rowsPerGroup * kg, lda: kg,
                                                        b: source + group * kg * ld, ldb: ld,
                                                        c: destination + group * rowsPerGroup * ldc, ldc: ldc)
                                                }
                                                continue
                                            }
                                            gemm(
                                                transposeA: false, transposeB: false, m: rowsPerGroup, n: ld, k: kg,
                                                a: pw + group * rowsPerGroup * kg, lda: kg,
                                                b: source + group * kg * ld, ldb: ld,
                                                beta: 0, c: destination + group * rowsPerGroup * ldc, ldc: ldc,
                                                parallel: parallel)
                                        }
                                        if count > 1 {
                                            // [Cout, count·P] → [count, Cout, P]
                                            chunks(count * outC, costPerItem: plane, parallel: parallel) { start, end in
                                                for item in start..<end {
                                                    let image = item / outC, channel = item % outC
                                                    (po + ((first + image) * outC + channel) * plane).update(
                                                        from: gathered + channel * ld + image * plane, count: plane)
                                                }
                                            }
                                        }
                                        rowStart = rows.upperBound
                                    }
                                    first += count
                                }
                            }
                        }
                    }
                }
            }
            if let bias {
                bias.withUnsafeBufferPointer { pb in
                    let pb = pb.baseAddress!
                    parallelChunks(g.batch * outC, costPerItem: plane) { start, end in
                        for item in start..<end {
                            let value = pb[item % outC], row = po + item * plane
                            for i in 0..<plane { row[i] += value }
                        }
                    }
                }
            }
        }
    }

    /// C[:, columns] = A · B[:, columns] for a short inner dimension k, row-major, in tiles of
    /// 512 columns that stay in L1 while the k products are added (in order t = 0..<k).
    /// A [m, k] (lda), B [k, n] (ldb), C [m, n] (ldc).
    static func shortInnerProduct(
        m: Int, columns: Range<Int>, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        var low = columns.lowerBound
        while low < columns.upperBound {
            let width = min(512, columns.upperBound - low)
            for row in 0..<m {
                let out = c + row * ldc + low, weights = a + row * lda
                let first = weights[0], column = b + low
                for j in 0..<width { out[j] = first * column[j] }
                for t in 1..<max(k, 1) {
                    let weight = weights[t], line = b + t * ldb + low
                    for j in 0..<width { out[j] += weight * line[j] }
                }
            }
            low += width
        }
    }

    // MARK: Backward

    /// Gradients of `conv2dForward`. dy [N, Cout, Ho, Wo], x [N, Cin, H, W],
    /// weight [Cout, Cin/groups, kh, kw] → dx [N, Cin, H, W]?, dweight [Cout, Cin/groups, kh, kw]?,
    /// dbias [Cout]? (each computed only when asked for).
    public static func conv2dBackward(
        outputGradient dy: Tensor, input x: Tensor, weight: Tensor, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, groups: Int = 1,
        computeInput: Bool = true, computeWeight: Bool = true, computeBias: Bool = true,
        algorithm: ConvolutionAlgorithm = .configured
    ) -> (input: Tensor?, weight: Tensor?, bias: Tensor?) {
        let g = ConvolutionGeometry(
            input: x.shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        precondition(dy.shape == [g.batch, g.outputChannels, g.outputHeight, g.outputWidth],
                     "conv2d backward: gradient shape \(dy.shape) ≠ output shape")
        let directInputGradient = computeInput && DirectConvolution.chosen(for: g, pass: .inputGradient, algorithm: algorithm)
        let directWeight = computeWeight && DirectConvolution.chosen(for: g, pass: .weightGradient, algorithm: algorithm)
        if directInputGradient || directWeight {
            let (dx, dw) = DirectConvolution.backward(
                outputGradient: dy, input: x, weight: weight, geometry: g, computeInput: directInputGradient,
                computeWeight: directWeight, portable: algorithm == .directPortable)
            let rest: (input: Tensor?, weight: Tensor?, bias: Tensor?) =
                computeInput != directInputGradient || computeWeight != directWeight
                ? conv2dBackward(
                    outputGradient: dy, input: x, weight: weight, stride: stride, padding: padding, dilation: dilation,
                    groups: groups, computeInput: computeInput && !directInputGradient,
                    computeWeight: computeWeight && !directWeight, computeBias: false, algorithm: .im2col)
                : (nil, nil, nil)
            return (dx ?? rest.input, dw ?? rest.weight, computeBias ? channelSums(dy) : nil)
        }
        let plane = g.outputPlane, outC = g.outputChannels
        let rowsPerGroup = outC / g.groups, kg = g.groupRows
        let split = ImageSplit(geometry: g)
        let block = split.block
        // Stride 1: the input gradient is itself a convolution of dy with the flipped, transposed
        // kernel (padding d·(k−1) − p), which runs as im2col + GEMM at forward speed instead of a
        // thin GEMM followed by a col2im scatter.
        let inputByConvolution = computeInput && g.stride == Size2D(1) && !g.isPointwise
            && padding.height <= dilation.height * (g.kernelSize.height - 1)
            && padding.width <= dilation.width * (g.kernelSize.width - 1)
        let computeInput = computeInput && !inputByConvolution
        var dx: Tensor? = computeInput ? Tensor(zeros: x.shape) : nil
        if inputByConvolution {
            dx = conv2dForward(
                dy, weight: flippedTransposedKernel(weight, groups: groups), bias: nil, stride: 1,
                padding: Size2D(height: dilation.height * (g.kernelSize.height - 1) - padding.height,
                                width: dilation.width * (g.kernelSize.width - 1) - padding.width),
                dilation: dilation, groups: groups, algorithm: algorithm)
        }
        var dw: Tensor? = computeWeight ? Tensor(zeros: weight.shape) : nil
        let directInput = g.isPointwise && block == 1
        guard computeInput || computeWeight else {
            return (dx, dw, computeBias ? channelSums(dy) : nil)
        }
        // Every part but the first sums its share of dW into a buffer of its own; they are
        // added to dW at the end.
        let weightCount = weight.count
        ScratchPool.shared.withBuffer(count: computeWeight ? (split.parts - 1) * weightCount : 0) { partials in
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                weight.withUnsafeBufferPointer { pw in
                    let pdy = pdy.baseAddress!, px = px.baseAddress!, pw = pw.baseAddress!
                    let band = g.rowsPerBand, outW = g.outputWidth
                    withMutablePointer(&dw) { pdw in
                    withMutablePointer(&dx) { pdx in
                    // dx may already hold the result of the stride-1 adjoint convolution.
                    let pdx = computeInput ? pdx : nil
                    split.run { part, images, parallel in
                        let weightTarget = pdw.map { part == 0 ? $0 : partials + (part - 1) * weightCount }
                        ScratchPool.shared.withBuffer(count: g.columnBufferCount) { columns in
                            ScratchPool.shared.withBuffer(count: block > 1 ? outC * block * plane : 0) { gathered in
                                var first = images.lowerBound
                                while first < images.upperBound {
                                    let count = min(block, images.upperBound - first)
                                    var rowStart = 0
                                    while rowStart < g.outputHeight {
                                        let rows = rowStart..<min(g.outputHeight, rowStart + (count == 1 ? band : g.outputHeight))
                                        let ld = count * rows.count * outW
                                        // dy block as [Cout, ld] with leading dimension ldDy
                                        let dyBlock: UnsafePointer<Float>
                                        let ldDy: Int
                                        if count == 1 {
                                            dyBlock = pdy + first * outC * plane + rows.lowerBound * outW
                                            ldDy = plane
                                        } else {
                                            chunks(count * outC, costPerItem: plane, parallel: parallel) { start, end in
                                                for item in start..<end {
                                                    let image = item / outC, channel = item % outC
                                                    (gathered + channel * ld + image * plane).update(
                                                        from: pdy + ((first + image) * outC + channel) * plane, count: plane)
                                                }
                                            }
                                            dyBlock = UnsafePointer(gathered)
                                            ldDy = ld
                                        }
                                        if let weightTarget {
                                            let source: UnsafePointer<Float>
                                            if directInput {
                                                source = px + first * g.inputChannels * g.inputPlane
                                            } else {
                                                im2colBlock(
                                                    input: px, geometry: g, first: first, count: count, rows: rows,
                                                    columns: columns, parallel: parallel)
                                                source = UnsafePointer(columns)
                                            }
                                            let accumulate = first > images.lowerBound || rowStart > 0
                                            for group in 0..<g.groups {
                                                // dW_g [Cout/G, Kg] += dy_g [Cout/G, ld] · col_gᵀ [ld, Kg]
                                                gemm(
                                                    transposeA: false, transposeB: true, m: rowsPerGroup, n: kg, k: ld,
                                                    a: dyBlock + group * rowsPerGroup * ldDy, lda: ldDy,
                                                    b: source + group * kg * ld, ldb: ld,
                                                    beta: accumulate ? 1 : 0,
                                                    c: weightTarget + group * rowsPerGroup * kg, ldc: kg,
                                                    parallel: parallel)
                                            }
                                        }
                                        if let pdx {
                                            let target = directInput ? pdx + first * g.inputChannels * g.inputPlane : columns
                                            for group in 0..<g.groups {
                                                // dcol_g [Kg, ld] = W_gᵀ [Kg, Cout/G] · dy_g [Cout/G, ld]
                                                gemm(
                                                    transposeA: true, transposeB: false, m: kg, n: ld, k: rowsPerGroup,
                                                    a: pw + group * rowsPerGroup * kg, lda: kg,
                                                    b: dyBlock + group * rowsPerGroup * ldDy, ldb: ldDy,
                                                    beta: 0, c: target + group * kg * ld, ldc: ld,
                                                    parallel: parallel)
                                            }
                                            if !directInput {
                                                let channels = g.inputChannels
                                                let perImage = rows.count * outW
                                                let cost = g.kernelSize.height * g.kernelSize.width * perImage
                                                chunks(count * channels, costPerItem: cost, parallel: parallel) { start, end in
                                                    var item = start
                                                    while item < end {
                                                        let image = item / channels, channel = item % channels
                                                        let last = min(end - item, channels - channel)
                                                        col2im(
                                                            columns: columns, leadingDimension: ld,
                                                            columnOffset: image * perImage, geometry: g,
                                                            channels: channel..<(channel + last), outputRows: rows,
                                                            image: pdx + (first + image) * channels * g.inputPlane)
                                                        item += last
                                                    }
                                                }
                                            }
                                        }
                                        rowStart = rows.upperBound
                                    }
                                    first += count
                                }
                            }
                        }
                    }
                    if let pdw, split.parts > 1 {
                        // Every part had at least one image, so every partial was written.
                        for part in 1..<split.parts {
                            let partial = partials + (part - 1) * weightCount
                            for i in 0..<weightCount { pdw[i] += partial[i] }
                        }
                    }
                    }
                    }
                }
            }
        }
        }
        let db: Tensor? = computeBias ? channelSums(dy) : nil
        return (dx, dw, db)
    }

    /// The kernel of the adjoint convolution: swaps input and output channels within each group and
    /// rotates each kh×kw filter by 180°. [Cout, Cin/G, kh, kw] → [Cin, Cout/G, kh, kw]
    static func flippedTransposedKernel(_ weight: Tensor, groups: Int) -> Tensor {
        let (outC, inPerGroup, kh, kw) = weight.nchw
        let outPerGroup = outC / groups
        return Tensor(uninitializedShape: [inPerGroup * groups, outPerGroup, kh, kw]) { out in
            weight.withUnsafeBufferPointer { pw in
                for group in 0..<groups {
                    for co in 0..<outPerGroup {
                        for ci in 0..<inPerGroup {
                            let source = pw.baseAddress! + ((group * outPerGroup + co) * inPerGroup + ci) * kh * kw
                            let target = out.baseAddress! + ((group * inPerGroup + ci) * outPerGroup + co) * kh * kw
                            for i in 0..<(kh * kw) { target[kh * kw - 1 - i] = source[i] }
                        }
                    }
                }
            }
        }
    }

    /// Σ over N, H, W per channel. [N, C, H, W] → [C]
    public static func channelSums(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        return Tensor(uninitializedShape: [c]) { out in
            x.withUnsafeBufferPointer { px in
                let px = px.baseAddress!, po = out.baseAddress!
                parallelChunks(c, costPerItem: n * plane) { start, end in
                    for channel in start..<end {
                        var total: Double = 0
                        for image in 0..<n { total += Double(sum(px + (image * c + channel) * plane, count: plane)) }
                        po[channel] = Float(total)
                    }
                }
            }
        }
    }
}

extension ReferenceKernels {
    /// Direct-loop convolution, Double accumulation. Same shapes as `Kernels.conv2dForward`.
    public static func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, groups: Int = 1
    ) -> Tensor {
        let g = ConvolutionGeometry(
            input: x.shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let cinG = g.inputChannels / groups, coutG = g.outputChannels / groups
        let kh = g.kernelSize.height, kw = g.kernelSize.width
        var y = Tensor(zeros: [g.batch, g.outputChannels, g.outputHeight, g.outputWidth])
        for n in 0..<g.batch {
            for co in 0..<g.outputChannels {
                let group = co / coutG
                for oh in 0..<g.outputHeight {
                    for ow in 0..<g.outputWidth {
                        var total = Double(bias?.scalars[co] ?? 0)
                        for ci in 0..<cinG {
                            let cIn = group * cinG + ci
                            for ki in 0..<kh {
                                for kj in 0..<kw {
                                    let ih = oh * stride.height - padding.height + ki * dilation.height
                                    let iw = ow * stride.width - padding.width + kj * dilation.width
                                    guard ih >= 0, ih < g.inputHeight, iw >= 0, iw < g.inputWidth else { continue }
                                    let xv = x.scalars[((n * g.inputChannels + cIn) * g.inputHeight + ih) * g.inputWidth + iw]
                                    let wv = weight.scalars[((co * cinG + ci) * kh + ki) * kw + kj]
                                    total += Double(xv) * Double(wv)
                                }
                            }
                        }
                        y.scalars[((n * g.outputChannels + co) * g.outputHeight + oh) * g.outputWidth + ow] = Float(total)
                    }
                }
            }
        }
        return y
    }

    /// Direct-loop gradients of `conv2d` (Double accumulation).
    public static func conv2dBackward(
        outputGradient dy: Tensor, input x: Tensor, weight: Tensor, stride: Size2D = 1, padding: Size2D = 0,
        dilation: Size2D = 1, groups: Int = 1
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let g = ConvolutionGeometry(
            input: x.shape, weight: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let cinG = g.inputChannels / groups, coutG = g.outputChannels / groups
        let kh = g.kernelSize.height, kw = g.kernelSize.width
        var dx = [Double](repeating: 0, count: x.count)
        var dw = [Double](repeating: 0, count: weight.count)
        var db = [Double](repeating: 0, count: g.outputChannels)
        for n in 0..<g.batch {
            for co in 0..<g.outputChannels {
                let group = co / coutG
                for oh in 0..<g.outputHeight {
                    for ow in 0..<g.outputWidth {
                        let gy = Double(dy.scalars[((n * g.outputChannels + co) * g.outputHeight + oh) * g.outputWidth + ow])
                        db[co] += gy
                        for ci in 0..<cinG {
                            let cIn = group * cinG + ci
                            for ki in 0..<kh {
                                for kj in 0..<kw {
                                    let ih = oh * stride.height - padding.height + ki * dilation.height
                                    let iw = ow * stride.width - padding.width + kj * dilation.width
                                    guard ih >= 0, ih < g.inputHeight, iw >= 0, iw < g.inputWidth else { continue }
                                    let xi = ((n * g.inputChannels + cIn) * g.inputHeight + ih) * g.inputWidth + iw
                                    let wi = ((co * cinG + ci) * kh + ki) * kw + kj
                                    dx[xi] += gy * Double(weight.scalars[wi])
                                    dw[wi] += gy * Double(x.scalars[xi])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: x.shape, scalars: dx.map(Float.init)),
                Tensor(shape: weight.shape, scalars: dw.map(Float.init)),
                Tensor(shape: [g.outputChannels], scalars: db.map(Float.init)))
    }
}

/// 2-D convolution (PyTorch `F.conv2d`: cross-correlation, zero padding).
/// x [N, Cin, H, W], weight [Cout, Cin/groups, kh, kw], bias [Cout]? → [N, Cout, Ho, Wo] with
/// Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise Wo).
public func conv2d(
    _ x: Variable, weight: Variable, bias: Variable? = nil, stride: Size2D = 1, padding: Size2D = 0,
    dilation: Size2D = 1, groups: Int = 1
) -> Variable {
    let input = x.value, kernel = weight.value
    let value = Kernels.conv2dForward(
        input, weight: kernel, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return x.tape.record(value, inputs: inputs) { gradient, needs in
        let result = Kernels.conv2dBackward(
            outputGradient: gradient, input: input, weight: kernel, stride: stride, padding: padding,
            dilation: dilation, groups: groups, computeInput: needs[0], computeWeight: needs[1],
            computeBias: needs.count > 2 && needs[2])
        return needs.count > 2 ? [result.input, result.weight, result.bias] : [result.input, result.weight]
    }
}
