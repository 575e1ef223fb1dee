import RealModule

/// The fast kernels. Each has a shape comment; forward and backward sit side by side, and
/// `ReferenceKernels` holds the plain-loop oracle for each.
public enum Kernels {}

/// Plain-loop implementations of every kernel, kept as the test oracle (slow; small shapes only).
public enum ReferenceKernels {}

// MARK: - Addition

extension Kernels {
    /// a + b, same shapes. [*] + [*] → [*]
    public static func added(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        return Tensor(uninitializedShape: a.shape) { out in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    let pa = pa.baseAddress!, pb = pb.baseAddress!, po = out.baseAddress!
                    parallelChunks(out.count) { start, end in
                        for i in start..<end { po[i] = pa[i] + pb[i] }
                    }
                }
            }
        }
    }

    /// a += b in place, same shapes.
    public static func addInPlace(_ a: inout Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        let count = a.count
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let pa = pa.baseAddress!, pb = pb.baseAddress!
                parallelChunks(count) { start, end in
                    for i in start..<end { pa[i] += pb[i] }
                }
            }
        }
    }

    /// Sum of all elements (Float accumulation, reassociated so it vectorises).
    @inlinable
    public static func sum(_ pointer: UnsafePointer<Float>, count: Int) -> Float {
        var total: Float = 0
        for i in 0..<count { total = Relaxed.sum(total, pointer[i]) }
        return total
    }

    /// Σ a[i]·b[i] (Float accumulation, reassociated so it vectorises).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var total: Float = 0
        for i in 0..<count { total = Relaxed.multiplyAdd(a[i], b[i], total) }
        return total
    }
}

/// Element-wise sum `a + b` of two variables of the same shape. [*] + [*] → [*]
public func add(_ a: Variable, _ b: Variable) -> Variable {
    let value = Kernels.added(a.value, b.value)
    return a.tape.record(value, inputs: [a, b]) { gradient, needs in
        [needs[0] ? gradient : nil, needs[1] ? gradient : nil]
    }
}

// MARK: - ReLU

extension Kernels {
    /// y = max(x, 0). [*] → [*]
    public static func reluForward(_ x: Tensor) -> Tensor {
        Tensor(uninitializedShape: x.shape) { out in
            x.withUnsafeBufferPointer { px in
                let px = px.baseAddress!, po = out.baseAddress!
                parallelChunks(out.count) { start, end in
                    for i in start..<end { po[i] = max(px[i], 0) }
                }
            }
        }
    }

    /// dx = dy where y > 0, else 0 (PyTorch: the gradient at 0 is 0). Uses the output y.
    /// [*], [*] → [*]
    public static func reluBackward(outputGradient dy: Tensor, output y: Tensor) -> Tensor {
        Tensor(uninitializedShape: y.shape) { out in
            dy.withUnsafeBufferPointer { pg in
                y.withUnsafeBufferPointer { py in
                    let pg = pg.baseAddress!, py = py.baseAddress!, po = out.baseAddress!
                    parallelChunks(out.count) { start, end in
                        // Both loads are unconditional so the select vectorises (a conditional
                        // load of dy compiled to a scalar, branchy loop: ~10% of a training step).
                        for i in start..<end {
                            let g = pg[i]
                            po[i] = py[i] > 0 ? g : 0
                        }
                    }
                }
            }
        }
    }
}

extension ReferenceKernels {
    /// max(x, 0), one element at a time.
    public static func relu(_ x: Tensor) -> Tensor { Tensor(shape: x.shape, scalars: x.scalars.map { $0 > 0 ? $0 : 0 }) }
}

/// Rectified linear unit, max(x, 0). [*] → [*]
public func relu(_ x: Variable) -> Variable {
    let value = Kernels.reluForward(x.value)
    return x.tape.record(value, inputs: [x]) { gradient, _ in
        [Kernels.reluBackward(outputGradient: gradient, output: value)]
    }
}

/// ReLU(a + b) in one pass (the residual join of a BasicBlock or a fusion sum).
/// [*] + [*] → [*]
public func addRelu(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.shape == b.shape, "addRelu: shapes \(a.shape) and \(b.shape) differ")
    let value = Tensor(uninitializedShape: a.shape) { out in
        a.value.withUnsafeBufferPointer { pa in
            b.value.withUnsafeBufferPointer { pb in
                let pa = pa.baseAddress!, pb = pb.baseAddress!, po = out.baseAddress!
                parallelChunks(out.count) { start, end in
                    for i in start..<end { po[i] = max(pa[i] + pb[i], 0) }
                }
            }
        }
    }
    return a.tape.record(value, inputs: [a, b]) { gradient, needs in
        let g = Kernels.reluBackward(outputGradient: gradient, output: value)
        return [needs[0] ? g : nil, needs[1] ? g : nil]
    }
}
