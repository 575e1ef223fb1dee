import Foundation

extension Kernels {
    /// Softmax cross-entropy with integer labels, mean reduction (PyTorch `F.cross_entropy`
    /// with `weight=` and `label_smoothing=`). logits [N, K], labels N ints in 0..<K,
    /// weights [K]? → (loss scalar, dlogits [N, K] for an upstream gradient of 1)
    ///
    /// With ε = labelSmoothing, w the class weights (all 1 when nil), p = softmax(logits):
    /// loss = Σᵢ [(1 − ε)·w[yᵢ]·(−log p[i, yᵢ]) + (ε/K)·Σ_k w[k]·(−log p[i, k])] / Σᵢ w[yᵢ]
    /// (PyTorch's weighted mean divides both terms by Σᵢ w[yᵢ]; unweighted that is N).
    /// Computed in Double.
    public static func softmaxCrossEntropy(
        logits: Tensor, labels: [Int], weights: Tensor? = nil, labelSmoothing: Float = 0
    ) -> (loss: Float, logitsGradient: Tensor) {
        precondition(logits.rank == 2, "softmaxCrossEntropy: logits must be [N, classes], got \(logits.shape)")
        let n = logits.shape[0], k = logits.shape[1]
        precondition(labels.count == n, "softmaxCrossEntropy: \(labels.count) labels for \(n) rows")
        precondition(labels.allSatisfy { (0..<k).contains($0) }, "softmaxCrossEntropy: label outside 0..<\(k)")
        precondition((0...1).contains(labelSmoothing), "softmaxCrossEntropy: labelSmoothing must be in [0, 1]")
        if let weights { precondition(weights.shape == [k], "softmaxCrossEntropy: weights \(weights.shape) ≠ [\(k)]") }
        let w = (weights?.scalars ?? [Float](repeating: 1, count: k)).map(Double.init)
        let epsilon = Double(labelSmoothing)
        let weightSum = w.reduce(0, +)
        let denominator = labels.reduce(0.0) { $0 + w[$1] }
        var loss = 0.0
        var gradient = [Float](repeating: 0, count: n * k)
        for row in 0..<n {
            let z = logits.scalars[(row * k)..<((row + 1) * k)].map(Double.init)
            let top = z.max()!
            let logSum = Foundation.log(z.reduce(0.0) { $0 + Foundation.exp($1 - top) }) + top
            let y = labels[row]
            var smooth = 0.0
            for j in 0..<k { smooth += w[j] * (logSum - z[j]) }
            loss += (1 - epsilon) * w[y] * (logSum - z[y]) + epsilon / Double(k) * smooth
            for j in 0..<k {
                let p = Foundation.exp(z[j] - logSum)
                let hard = (1 - epsilon) * w[y] * (p - (j == y ? 1 : 0))
                let soft = epsilon / Double(k) * (weightSum * p - w[j])
                gradient[row * k + j] = Float((hard + soft) / denominator)
            }
        }
        return (Float(loss / denominator), Tensor(shape: [n, k], scalars: gradient))
    }
}

/// Mean softmax cross-entropy over a batch (PyTorch `F.cross_entropy(logits, labels,
/// weight=weights, label_smoothing=labelSmoothing)`; formula in `Kernels.softmaxCrossEntropy`).
/// logits [N, K], labels N class indices, weights [K]? → scalar (shape [])
public func softmaxCrossEntropy(
    logits: Variable, labels: [Int], weights: Tensor? = nil, labelSmoothing: Float = 0
) -> Variable {
    let (loss, logitsGradient) = Kernels.softmaxCrossEntropy(
        logits: logits.value, labels: labels, weights: weights, labelSmoothing: labelSmoothing)
    return logits.tape.record(Tensor(scalar: loss), inputs: [logits]) { gradient, _ in
        var result = logitsGradient
        let scale = gradient.scalars[0]
        if scale != 1 { result.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= scale } } }
        return [result]
    }
}

// MARK: - Dropout

extension Kernels {
    /// Inverted dropout: each element is zeroed with `probability`, the others scaled by
    /// 1/(1 − probability). x [*] → (y [*], mask [*] holding 0 or the scale)
    public static func dropoutForward<G: RandomNumberGenerator>(
        _ x: Tensor, probability: Float, rng: inout G
    ) -> (output: Tensor, mask: Tensor) {
        precondition((0..<1).contains(probability), "dropout: probability must be in [0, 1), got \(probability)")
        let scale = 1 / (1 - probability)
        // Draw 32-bit uniforms: keep when u ≥ p.
        let threshold = UInt32(min(Double(probability) * 4_294_967_296.0, 4_294_967_295.0))
        var mask = [Float](repeating: 0, count: x.count)
        var index = 0
        while index < mask.count {
            let bits = rng.next()
            mask[index] = UInt32(truncatingIfNeeded: bits) >= threshold ? scale : 0
            if index + 1 < mask.count { mask[index + 1] = UInt32(truncatingIfNeeded: bits >> 32) >= threshold ? scale : 0 }
            index += 2
        }
        let maskTensor = Tensor(shape: x.shape, scalars: mask)
        let output = Tensor(shape: x.shape, scalars: zip(x.scalars, mask).map { $0 * $1 })
        return (output, maskTensor)
    }
}

/// Dropout (training only: call it only while training). Zeroes each element with `probability`
/// and scales the rest by 1/(1 − probability), like PyTorch `F.dropout(training=True)`; the random
/// draws come from `rng` (so they differ from PyTorch's). [*] → [*]
public func dropout<G: RandomNumberGenerator>(_ x: Variable, probability: Float, rng: inout G) -> Variable {
    if probability == 0 { return x }
    let (value, mask) = Kernels.dropoutForward(x.value, probability: probability, rng: &rng)
    return x.tape.record(value, inputs: [x]) { gradient, _ in
        [Tensor(shape: gradient.shape, scalars: zip(gradient.scalars, mask.scalars).map { $0 * $1 })]
    }
}
