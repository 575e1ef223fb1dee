import RealModule

/// What a batch-normalisation forward pass keeps for its backward pass.
public struct BatchNormCache: Sendable {
    /// x̂ = (x − mean) · invStd, the normalised input. [N, C, H, W] (empty when the forward pass
    /// was asked not to keep it)
    public var normalized: Tensor
    /// 1 / √(var + eps) per channel (batch statistics in training, running ones in inference). [C]
    public var inverseStd: [Float]
    /// Whether batch statistics were used (training).
    public var training: Bool
}

extension Kernels {
    /// Batch normalisation over N, H, W per channel (PyTorch `F.batch_norm`).
    /// x [N, C, H, W], weight γ [C], bias β [C], runningMean [C], runningVar [C] → y [N, C, H, W]
    ///
    /// Training: normalises with the batch mean and the *biased* batch variance, and updates the
    /// running statistics as `running = (1 − momentum)·running + momentum·batch`, using the
    /// *unbiased* variance (× M/(M−1), M = N·H·W) for `runningVar`. Inference: normalises with the
    /// running statistics and leaves them unchanged. y = γ·(x − mean)/√(var + eps) + β.
    public static func batchNormForward(
        _ x: Tensor, weight: Tensor, bias: Tensor, runningMean: inout Tensor, runningVar: inout Tensor,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5, keepNormalized: Bool = true
    ) -> (output: Tensor, cache: BatchNormCache) {
        batchNormForward(
            x, weight: weight, bias: bias, runningMean: &runningMean, runningVar: &runningVar, training: training,
            momentum: momentum, eps: eps, keepNormalized: keepNormalized, relu: false)
    }

    /// `batchNormForward`, followed by max(·, 0) in the same pass when `relu` is set
    /// (`batchNormRelu`).
    static func batchNormForward(
        _ x: Tensor, weight: Tensor, bias: Tensor, runningMean: inout Tensor, runningVar: inout Tensor,
        training: Bool, momentum: Float, eps: Float, keepNormalized: Bool, relu: Bool
    ) -> (output: Tensor, cache: BatchNormCache) {
        let (n, c, h, w) = x.nchw
        precondition(weight.shape == [c] && bias.shape == [c] && runningMean.shape == [c] && runningVar.shape == [c],
                     "batchNorm: parameters must have shape [\(c)]")
        let plane = h * w, m = n * plane
        precondition(!training || m > 1, "batchNorm: training needs more than one value per channel, got \(x.shape)")
        var mean = [Float](repeating: 0, count: c)
        var inverseStd = [Float](repeating: 0, count: c)
        if training {
            var variance = [Double](repeating: 0, count: c)
            x.withUnsafeBufferPointer { px in
                mean.withUnsafeMutableBufferPointer { pm in
                    variance.withUnsafeMutableBufferPointer { pv in
                        let px = px.baseAddress!, pm = pm.baseAddress!, pv = pv.baseAddress!
                        parallelChunks(c, costPerItem: 2 * m) { start, end in
                            for channel in start..<end {
                                var total: Double = 0
                                for image in 0..<n { total += Double(sum(px + (image * c + channel) * plane, count: plane)) }
                                let average = Float(total / Double(m))
                                var squares: Double = 0
                                for image in 0..<n {
                                    let row = px + (image * c + channel) * plane
                                    var partial: Float = 0
                                    for i in 0..<plane {
                                        let d = row[i] - average
                                        partial = Relaxed.multiplyAdd(d, d, partial)
                                    }
                                    squares += Double(partial)
                                }
                                pm[channel] = average
                                pv[channel] = squares / Double(m)
                            }
                        }
                    }
                }
            }
            for channel in 0..<c {
                inverseStd[channel] = Float(1 / (variance[channel] + Double(eps)).squareRoot())
                let unbiased = variance[channel] * Double(m) / Double(m - 1)
                runningMean.scalars[channel] = (1 - momentum) * runningMean.scalars[channel] + momentum * mean[channel]
                runningVar.scalars[channel] = (1 - momentum) * runningVar.scalars[channel] + momentum * Float(unbiased)
            }
        } else {
            for channel in 0..<c {
                mean[channel] = runningMean.scalars[channel]
                inverseStd[channel] = 1 / (runningVar.scalars[channel] + eps).squareRoot()
            }
        }
        // Without a backward pass to come (inference), x̂ is not stored.
        var normalized = keepNormalized ? Tensor(uninitializedShape: x.shape) { _ in } : Tensor(zeros: [0])
        var output = Tensor(uninitializedShape: x.shape) { _ in }
        x.withUnsafeBufferPointer { px in
            normalized.withUnsafeMutableBufferPointer { pn in
                output.withUnsafeMutableBufferPointer { po in
                    // An empty buffer may still have a base address, so test the flag, not the pointer.
                    let px = px.baseAddress!, pn = keepNormalized ? pn.baseAddress : nil, po = po.baseAddress!
                    parallelChunks(n * c, costPerItem: plane) { start, end in
                        for item in start..<end {
                            let channel = item % c
                            let mu = mean[channel], s = inverseStd[channel]
                            let gamma = weight.scalars[channel], beta = bias.scalars[channel]
                            let offset = item * plane
                            switch (pn, relu) {
                            case (let pn?, false):
                                for i in offset..<(offset + plane) {
                                    let v = (px[i] - mu) * s
                                    pn[i] = v
                                    po[i] = Relaxed.multiplyAdd(v, gamma, beta)
                                }
                            case (let pn?, true):
                                for i in offset..<(offset + plane) {
                                    let v = (px[i] - mu) * s
                                    pn[i] = v
                                    po[i] = max(Relaxed.multiplyAdd(v, gamma, beta), 0)
                                }
                            case (nil, false):
                                for i in offset..<(offset + plane) { po[i] = Relaxed.multiplyAdd((px[i] - mu) * s, gamma, beta) }
                            case (nil, true):
                                for i in offset..<(offset + plane) { po[i] = max(Relaxed.multiplyAdd((px[i] - mu) * s, gamma, beta), 0) }
                            }
                        }
                    }
                }
            }
        }
        return (output, BatchNormCache(normalized: normalized, inverseStd: inverseStd, training: training))
    }

    /// Gradients of `batchNormForward`. dy [N, C, H, W] → dx [N, C, H, W], dγ [C], dβ [C].
    ///
    /// dβ = Σ dy, dγ = Σ dy·x̂. Training: dx = γ·invStd/M · (M·dy − dβ − x̂·dγ) (the batch
    /// statistics depend on x). Inference: dx = γ·invStd·dy.
    public static func batchNormBackward(
        outputGradient dy: Tensor, weight: Tensor, cache: BatchNormCache
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        batchNormBackward(outputGradient: dy, weight: weight, cache: cache, reluOutput: nil)
    }

    /// `batchNormBackward`; with `reluOutput` (the output of `batchNormRelu`), dy is first zeroed
    /// where that output is not positive (the ReLU's gradient), inside the same passes.
    static func batchNormBackward(
        outputGradient dy: Tensor, weight: Tensor, cache: BatchNormCache, reluOutput: Tensor?
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let (n, c, h, w) = dy.nchw
        if let reluOutput { precondition(reluOutput.shape == dy.shape, "batchNormRelu: output and gradient shapes differ") }
        // Without a ReLU the mask pointer is dy itself and never read.
        let mask = reluOutput ?? dy
        let plane = h * w, m = n * plane
        var gradientWeight = [Float](repeating: 0, count: c)
        var gradientBias = [Float](repeating: 0, count: c)
        let masked = reluOutput != nil
        mask.withUnsafeBufferPointer { py in
        dy.withUnsafeBufferPointer { pg in
            cache.normalized.withUnsafeBufferPointer { pn in
                gradientWeight.withUnsafeMutableBufferPointer { pw in
                    gradientBias.withUnsafeMutableBufferPointer { pb in
                        let pg = pg.baseAddress!, pn = pn.baseAddress!, pw = pw.baseAddress!, pb = pb.baseAddress!
                        let py = py.baseAddress!
                        parallelChunks(c, costPerItem: 2 * m) { start, end in
                            for channel in start..<end {
                                var sumGradient: Double = 0, sumProduct: Double = 0
                                for image in 0..<n {
                                    let offset = (image * c + channel) * plane
                                    if masked {
                                        let g = pg + offset, x = pn + offset, y = py + offset
                                        var partialGradient: Float = 0, partialProduct: Float = 0
                                        for i in 0..<plane {
                                            let gi = g[i], xi = x[i]
                                            let d: Float = y[i] > 0 ? gi : 0
                                            partialGradient = Relaxed.sum(partialGradient, d)
                                            partialProduct = Relaxed.multiplyAdd(d, xi, partialProduct)
                                        }
                                        sumGradient += Double(partialGradient)
                                        sumProduct += Double(partialProduct)
                                    } else {
                                        sumGradient += Double(sum(pg + offset, count: plane))
                                        sumProduct += Double(dot(pg + offset, pn + offset, count: plane))
                                    }
                                }
                                pb[channel] = Float(sumGradient)
                                pw[channel] = Float(sumProduct)
                            }
                        }
                    }
                }
            }
        }
        }
        let input = Tensor(uninitializedShape: dy.shape) { out in
            mask.withUnsafeBufferPointer { py in
            dy.withUnsafeBufferPointer { pg in
                cache.normalized.withUnsafeBufferPointer { pn in
                    let pg = pg.baseAddress!, pn = pn.baseAddress!, po = out.baseAddress!, py = py.baseAddress!
                    let scaleM = 1 / Float(m)
                    parallelChunks(n * c, costPerItem: plane) { start, end in
                        for item in start..<end {
                            let channel = item % c
                            let k = weight.scalars[channel] * cache.inverseStd[channel]
                            let offset = item * plane
                            switch (cache.training, masked) {
                            case (true, false):
                                let meanGradient = gradientBias[channel] * scaleM
                                let meanProduct = gradientWeight[channel] * scaleM
                                for i in offset..<(offset + plane) {
                                    po[i] = k * (pg[i] - meanGradient - pn[i] * meanProduct)
                                }
                            case (true, true):
                                let meanGradient = gradientBias[channel] * scaleM
                                let meanProduct = gradientWeight[channel] * scaleM
                                for i in offset..<(offset + plane) {
                                    let gi = pg[i]
                                    let d: Float = py[i] > 0 ? gi : 0
                                    po[i] = k * (d - meanGradient - pn[i] * meanProduct)
                                }
                            case (false, false):
                                for i in offset..<(offset + plane) { po[i] = k * pg[i] }
                            case (false, true):
                                for i in offset..<(offset + plane) {
                                    let gi = pg[i]
                                    po[i] = k * (py[i] > 0 ? gi : 0)
                                }
                            }
                        }
                    }
                }
            }
            }
        }
        return (input, Tensor(shape: [c], scalars: gradientWeight), Tensor(shape: [c], scalars: gradientBias))
    }
}

extension ReferenceKernels {
    /// Plain-loop batch normalisation in Double (same semantics as `Kernels.batchNormForward`).
    public static func batchNorm(
        _ x: Tensor, weight: Tensor, bias: Tensor, runningMean: inout Tensor, runningVar: inout Tensor,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
    ) -> Tensor {
        let (n, c, h, w) = x.nchw
        let m = n * h * w
        var y = Tensor(zeros: x.shape)
        for channel in 0..<c {
            var values: [Double] = []
            for image in 0..<n {
                for i in 0..<(h * w) { values.append(Double(x.scalars[(image * c + channel) * h * w + i])) }
            }
            var mean = Double(runningMean.scalars[channel]), variance = Double(runningVar.scalars[channel])
            if training {
                mean = values.reduce(0, +) / Double(m)
                variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
                runningMean.scalars[channel] = Float((1 - Double(momentum)) * Double(runningMean.scalars[channel]) + Double(momentum) * mean)
                runningVar.scalars[channel] = Float(
                    (1 - Double(momentum)) * Double(runningVar.scalars[channel]) + Double(momentum) * variance * Double(m) / Double(m - 1))
            }
            let s = 1 / (variance + Double(eps)).squareRoot()
            for image in 0..<n {
                for i in 0..<(h * w) {
                    let index = (image * c + channel) * h * w + i
                    y.scalars[index] = Float((Double(x.scalars[index]) - mean) * s * Double(weight.scalars[channel]) + Double(bias.scalars[channel]))
                }
            }
        }
        return y
    }
}

/// Batch normalisation (PyTorch `BatchNorm2d` semantics; see `Kernels.batchNormForward`).
/// x [N, C, H, W], weight γ [C], bias β [C] → [N, C, H, W]. In training the running statistics
/// (plain tensors, not differentiated) are updated in place: `running = (1 − momentum)·running +
/// momentum·batch`, with the unbiased batch variance for `runningVar`.
public func batchNorm(
    _ x: Variable, weight: Variable, bias: Variable, runningMean: inout Tensor, runningVar: inout Tensor,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) -> Variable {
    let (output, cache) = Kernels.batchNormForward(
        x.value, weight: weight.value, bias: bias.value, runningMean: &runningMean, runningVar: &runningVar,
        training: training, momentum: momentum, eps: eps,
        keepNormalized: x.tape.isRecording && [x, weight, bias].contains { $0.node != nil })
    let gamma = weight.value
    return x.tape.record(output, inputs: [x, weight, bias]) { gradient, _ in
        let result = Kernels.batchNormBackward(outputGradient: gradient, weight: gamma, cache: cache)
        return [result.input, result.weight, result.bias]
    }
}

/// ReLU(batchNorm(x)) in one pass forward and one backward (the conv–BN–ReLU of every block);
/// same arguments and semantics as `batchNorm` followed by `relu`. x [N, C, H, W] → [N, C, H, W]
public func batchNormRelu(
    _ x: Variable, weight: Variable, bias: Variable, runningMean: inout Tensor, runningVar: inout Tensor,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) -> Variable {
    let (output, cache) = Kernels.batchNormForward(
        x.value, weight: weight.value, bias: bias.value, runningMean: &runningMean, runningVar: &runningVar,
        training: training, momentum: momentum, eps: eps,
        keepNormalized: x.tape.isRecording && [x, weight, bias].contains { $0.node != nil }, relu: true)
    let gamma = weight.value
    return x.tape.record(output, inputs: [x, weight, bias]) { gradient, _ in
        let result = Kernels.batchNormBackward(outputGradient: gradient, weight: gamma, cache: cache, reluOutput: output)
        return [result.input, result.weight, result.bias]
    }
}
