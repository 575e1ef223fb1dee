extension Kernels {
    /// Concatenation along channels. [N, C₁, H, W], [N, C₂, H, W], … → [N, ΣCᵢ, H, W]
    public static func concatChannelsForward(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatChannels: no inputs")
        let (n, _, h, w) = parts[0].nchw
        for part in parts {
            precondition(part.rank == 4 && part.shape[0] == n && part.shape[2] == h && part.shape[3] == w,
                         "concatChannels: shapes \(parts.map(\.shape)) differ outside the channel axis")
        }
        let channels = parts.map { $0.shape[1] }
        let total = channels.reduce(0, +), plane = h * w
        return Tensor(uninitializedShape: [n, total, h, w]) { out in
            let po = out.baseAddress!
            var offset = 0
            for (part, c) in zip(parts, channels) {
                part.withUnsafeBufferPointer { pp in
                    let pp = pp.baseAddress!
                    let start = offset
                    parallelChunks(n, costPerItem: c * plane) { first, last in
                        for image in first..<last {
                            (po + (image * total + start) * plane).update(from: pp + image * c * plane, count: c * plane)
                        }
                    }
                }
                offset += c
            }
        }
    }

    /// Gradient of `concatChannelsForward`: the channel slices of dy.
    /// dy [N, ΣCᵢ, H, W] → [N, Cᵢ, H, W] for each i
    public static func concatChannelsBackward(_ dy: Tensor, channels: [Int]) -> [Tensor] {
        let (n, total, h, w) = dy.nchw
        let plane = h * w
        var offset = 0
        return dy.withUnsafeBufferPointer { pg in
            let pg = pg.baseAddress!
            return channels.map { c in
                let start = offset
                offset += c
                return Tensor(uninitializedShape: [n, c, h, w]) { out in
                    for image in 0..<n {
                        (out.baseAddress! + image * c * plane).update(from: pg + (image * total + start) * plane, count: c * plane)
                    }
                }
            }
        }
    }
}

/// Concatenates NCHW tensors along the channel axis (PyTorch `torch.cat(xs, dim=1)`).
/// [N, C₁, H, W], [N, C₂, H, W], … → [N, ΣCᵢ, H, W]
public func concatChannels(_ parts: [Variable]) -> Variable {
    precondition(!parts.isEmpty, "concatChannels: no inputs")
    let value = Kernels.concatChannelsForward(parts.map(\.value))
    let channels = parts.map { $0.shape[1] }
    return parts[0].tape.record(value, inputs: parts) { gradient, needs in
        let slices = Kernels.concatChannelsBackward(gradient, channels: channels)
        return zip(slices, needs).map { $1 ? $0 : nil }
    }
}

// MARK: - Global average pooling

extension Kernels {
    /// Mean over H and W. x [N, C, H, W] → [N, C]
    public static func globalAveragePoolForward(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = x.nchw
        let plane = h * w
        return Tensor(uninitializedShape: [n, c]) { out in
            x.withUnsafeBufferPointer { px in
                let px = px.baseAddress!, po = out.baseAddress!
                parallelChunks(n * c, costPerItem: plane) { start, end in
                    for item in start..<end { po[item] = sum(px + item * plane, count: plane) / Float(plane) }
                }
            }
        }
    }

    /// Gradient of the mean: dy/(H·W) spread over each plane. dy [N, C] → dx [N, C, H, W]
    public static func globalAveragePoolBackward(_ dy: Tensor, height h: Int, width w: Int) -> Tensor {
        let (n, c) = (dy.shape[0], dy.shape[1])
        let plane = h * w
        return Tensor(uninitializedShape: [n, c, h, w]) { out in
            let po = out.baseAddress!
            for item in 0..<(n * c) { (po + item * plane).update(repeating: dy.scalars[item] / Float(plane), count: plane) }
        }
    }
}

extension ReferenceKernels {
    /// Mean over H and W in Double. [N, C, H, W] → [N, C]
    public static func globalAveragePool(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = x.nchw
        return Tensor(shape: [n, c], scalars: (0..<(n * c)).map { item in
            Float(x.scalars[(item * h * w)..<((item + 1) * h * w)].reduce(0.0) { $0 + Double($1) } / Double(h * w))
        })
    }
}

/// Global average pooling (PyTorch `flatten(adaptive_avg_pool2d(x, 1), 1)`). [N, C, H, W] → [N, C]
public func globalAveragePool(_ x: Variable) -> Variable {
    let (_, _, h, w) = x.value.nchw
    let value = Kernels.globalAveragePoolForward(x.value)
    return x.tape.record(value, inputs: [x]) { gradient, _ in
        [Kernels.globalAveragePoolBackward(gradient, height: h, width: w)]
    }
}

// MARK: - Linear

extension Kernels {
    /// y = x·Wᵀ + b (PyTorch `F.linear`). x [N, in], weight [out, in], bias [out]? → [N, out]
    public static func linearForward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                     "linear: input \(x.shape) and weight \(weight.shape) do not fit")
        let n = x.shape[0], input = x.shape[1], output = weight.shape[0]
        if let bias { precondition(bias.shape == [output], "linear: bias \(bias.shape) ≠ [\(output)]") }
        return Tensor(uninitializedShape: [n, output]) { out in
            let po = out.baseAddress!
            if let bias {
                for row in 0..<n { (po + row * output).update(from: bias.scalars, count: output) }
            }
            x.withUnsafeBufferPointer { px in
                weight.withUnsafeBufferPointer { pw in
                    gemm(transposeA: false, transposeB: true, m: n, n: output, k: input,
                         a: px.baseAddress!, lda: input, b: pw.baseAddress!, ldb: input,
                         beta: bias == nil ? 0 : 1, c: po, ldc: output)
                }
            }
        }
    }

    /// Gradients of `linearForward`. dy [N, out] → dx = dy·W [N, in], dW = dyᵀ·x [out, in],
    /// db = Σₙ dy [out].
    public static func linearBackward(
        outputGradient dy: Tensor, input x: Tensor, weight: Tensor
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let n = x.shape[0], input = x.shape[1], output = weight.shape[0]
        let dx = Tensor(uninitializedShape: [n, input]) { out in
            dy.withUnsafeBufferPointer { pg in
                weight.withUnsafeBufferPointer { pw in
                    gemm(transposeA: false, transposeB: false, m: n, n: input, k: output,
                         a: pg.baseAddress!, lda: output, b: pw.baseAddress!, ldb: input,
                         beta: 0, c: out.baseAddress!, ldc: input)
                }
            }
        }
        let dw = Tensor(uninitializedShape: [output, input]) { out in
            dy.withUnsafeBufferPointer { pg in
                x.withUnsafeBufferPointer { px in
                    gemm(transposeA: true, transposeB: false, m: output, n: input, k: n,
                         a: pg.baseAddress!, lda: output, b: px.baseAddress!, ldb: input,
                         beta: 0, c: out.baseAddress!, ldc: input)
                }
            }
        }
        var db = [Float](repeating: 0, count: output)
        for row in 0..<n { for j in 0..<output { db[j] += dy.scalars[row * output + j] } }
        return (dx, dw, Tensor(shape: [output], scalars: db))
    }
}

extension ReferenceKernels {
    /// y = x·Wᵀ + b with plain loops in Double.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let n = x.shape[0], input = x.shape[1], output = weight.shape[0]
        var y = Tensor(zeros: [n, output])
        for row in 0..<n {
            for o in 0..<output {
                var total = Double(bias?.scalars[o] ?? 0)
                for i in 0..<input { total += Double(x.scalars[row * input + i]) * Double(weight.scalars[o * input + i]) }
                y.scalars[row * output + o] = Float(total)
            }
        }
        return y
    }
}

/// Fully connected layer, y = x·Wᵀ + b (PyTorch `F.linear`).
/// x [N, in], weight [out, in], bias [out]? → [N, out]
public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    let input = x.value, kernel = weight.value
    let value = Kernels.linearForward(input, weight: kernel, bias: bias?.value)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return x.tape.record(value, inputs: inputs) { gradient, needs in
        let result = Kernels.linearBackward(outputGradient: gradient, input: input, weight: kernel)
        return needs.count > 2 ? [result.input, result.weight, result.bias] : [result.input, result.weight]
    }
}
