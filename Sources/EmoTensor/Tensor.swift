// EmoTensor — Float32 tensors, BLAS-backed kernels and a reverse-mode autodiff tape.
//
// Overview of the API
// -------------------
// * `Tensor` — a value type: `shape: [Int]` and `scalars: [Float]` (row-major, NCHW for images).
//   Copy-on-write comes from `Array`; copying a tensor is O(1) until one copy is mutated.
// * `Kernels` — the raw forward/backward kernels, each with a shape comment, side by side with
//   `ReferenceKernels`, plain loops kept as the test oracle. They do not know about autodiff.
// * `Tape`, `Variable`, `Parameter` — reverse-mode autodiff. Make one `Tape` per training step
//   (used from one thread), wrap parameters with `tape.parameter(p)` and data with
//   `tape.constant(t)`, call the differentiable ops below, then `tape.backward(from: loss)`.
//   Parameter gradients accumulate into `Parameter.grad` (PyTorch semantics; set it to nil to
//   zero it). `Tape(recording: false)` is inference mode: ops compute values and record nothing.
// * Differentiable ops (free functions on `Variable`, defined next to their kernels):
//   `conv2d(_:weight:bias:stride:padding:dilation:groups:)`,
//   `batchNorm(_:weight:bias:runningMean:runningVar:training:momentum:eps:)`, `batchNormRelu(…)` (the
//   same followed by ReLU, fused), `relu(_:)`,
//   `add(_:_:)`, `addRelu(_:_:)` (ReLU(a + b) in one pass), `upsampleNearest(_:toHeight:width:)`,
//   `upsampleBilinear(_:toHeight:width:)`,
//   `concatChannels(_:)`, `globalAveragePool(_:)`, `linear(_:weight:bias:)`,
//   `softmaxCrossEntropy(logits:labels:weights:labelSmoothing:)`, `dropout(_:probability:rng:)`.
// * `BLASThreads.set(_:)` — the one place that sets OpenBLAS's thread count.
// * `readNPY(_:)` / `readNPYTensor(_:)` / `writeNPY(_:shape:data:)` — float32 `.npy` files.
// * `Size2D` (kernel sizes, strides, paddings; an integer literal means both), `SeededGenerator`
//   (SplitMix64, for reproducible initialisation and dropout masks).
//
// Example (one training step of a conv–BN–ReLU layer):
//
//     let tape = Tape()
//     let x = tape.constant(batch)                                  // [N, 1, 128, 300]
//     var y = conv2d(x, weight: tape.parameter(convWeight), stride: 2, padding: 1)
//     y = relu(batchNorm(y, weight: tape.parameter(gamma), bias: tape.parameter(beta),
//                        runningMean: &runningMean, runningVar: &runningVar, training: true))
//     let logits = linear(globalAveragePool(y), weight: tape.parameter(fcWeight), bias: tape.parameter(fcBias))
//     let loss = softmaxCrossEntropy(logits: logits, labels: labels)
//     tape.backward(from: loss)                                     // fills Parameter.grad
//
// Speed: convolutions are im2col + `cblas_sgemm` (1×1 stride-1: one GEMM per image straight on
// the input; stride-1 input gradients as a convolution with the flipped kernel); element-wise
// kernels split large tensors over the cores (`Parallelism.run`: a spinning worker pool) and use
// swift-numerics `Relaxed` sums so reductions vectorise; im2col buffers come from a reused pool.
// OpenBLAS runs single-threaded unless `BLASThreads.set` says otherwise: convolutions then give each
// core its own range of images (see `ImageSplit`), so no BLAS thread spins between products.
// The first `Tape` keeps glibc from unmapping large freed blocks (`HeapPolicy`), so activations
// reuse already-mapped pages from step to step.
// * `runConvolutionBenchmark(batch:height:width:repetitions:)` — times the convolutions of the
//   reference model emohrnet-s (see Benchmark/ConvolutionBenchmark.swift).
//
// Conventions: Float32 everywhere, NCHW contiguous, PyTorch semantics for every op (documented per
// op). Programmer errors (mismatched shapes) are `precondition` failures.

import Foundation

/// A dense, contiguous Float32 tensor with value semantics (row-major; images are NCHW).
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each dimension, outermost first. `[]` is a scalar holding one element.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// Makes a tensor from a shape and its row-major elements.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// A scalar (shape `[]`).
    public init(scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// A tensor whose elements are written by `initializer` (every element must be written).
    public init(
        uninitializedShape shape: [Int],
        initializingWith initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.scalars = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try initializer(buffer)
            initialized = count
        }
    }

    /// Normal samples, mean 0 and the given standard deviation (Box–Muller on `rng`).
    public static func randomNormal<G: RandomNumberGenerator>(
        shape: [Int], standardDeviation: Float = 1, using rng: inout G
    ) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        var index = 0
        while index < count {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
            let u2 = Double.random(in: 0..<1, using: &rng)
            let radius = (-2 * _log(u1)).squareRoot()
            values[index] = Float(radius * _cos(2 * .pi * u2)) * standardDeviation
            if index + 1 < count { values[index + 1] = Float(radius * _sin(2 * .pi * u2)) * standardDeviation }
            index += 2
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// Uniform samples in `range`.
    public static func randomUniform<G: RandomNumberGenerator>(
        shape: [Int], in range: ClosedRange<Float>, using rng: inout G
    ) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: range, using: &rng) })
    }

    /// The number of elements.
    @inlinable public var count: Int { scalars.count }
    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The same elements with another shape of equal element count.
    public func reshaped(to newShape: [Int]) -> Tensor { Tensor(shape: newShape, scalars: scalars) }

    /// Element access by flat (row-major) index.
    @inlinable public subscript(flat index: Int) -> Float {
        get { scalars[index] }
        set { scalars[index] = newValue }
    }

    /// The four extents of an NCHW tensor.
    @inlinable public var nchw: (n: Int, c: Int, h: Int, w: Int) {
        precondition(shape.count == 4, "expected an NCHW tensor, got shape \(shape)")
        return (shape[0], shape[1], shape[2], shape[3])
    }

    /// Read-only access to the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Mutable access to the elements (copies first if the storage is shared).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }

    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(scalars.count > 8 ? ", …" : "")])"
    }
}

@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Foundation.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Foundation.sin(x) }

/// A height/width pair for kernel sizes, strides, paddings and dilations; an integer literal
/// means the same value for both.
public struct Size2D: Sendable, Hashable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
    public init(_ both: Int) { self.init(height: both, width: both) }
    public init(integerLiteral value: Int) { self.init(value) }
    public var description: String { height == width ? "\(height)" : "\(height)×\(width)" }
}

/// A small, fast, seedable random number generator (SplitMix64), for reproducible initialisation,
/// dropout masks and tests.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
