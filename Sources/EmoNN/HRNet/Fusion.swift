import EmoTensor

/// A module that exchanges information between the parallel branches at the end of an HR module.
/// branches[i] [N, C_i, H_i, W_i] → outputs[i] of the same shape.
public protocol FusionLayer: Module {
    func forward(_ branches: [Variable], context: ForwardContext) -> [Variable]
}

/// HRNet's multi-resolution fusion (upstream `FUSE_METHOD: SUM`), registered as `sum`.
///
/// y_i = ReLU(Σ_j f_ij(x_j)) with f_ii = identity;
/// j > i (lower resolution): 1×1 convolution C_j → C_i + batch norm, then nearest upsampling to
/// x_i's exact size (odd sizes such as 75/38/19/10 do not halve exactly);
/// j < i (higher resolution): i − j 3×3 stride-2 convolutions + batch norm; all but the last keep
/// C_j channels and end in ReLU, the last maps to C_i without ReLU.
/// State (PyTorch `nn.Sequential` numbering): `{name}.{i}.{j}.0.weight`, `{name}.{i}.{j}.1.*` for
/// j > i; for j < i step k of the chain sits at `{name}.{i}.{j}.{3k}` (convolution) and
/// `{name}.{i}.{j}.{3k+1}` (batch norm), the ReLU taking index 3k + 2.
public final class SumFusion: FusionLayer {
    /// paths[i][j] — the layers carrying branch j to branch i (empty for i == j).
    let paths: [[[ConvBatchNorm]]]

    public init(_ spec: FusionSpec) {
        let c = spec.channels, n = c.count
        paths = (0..<n).map { i in
            (0..<n).map { j -> [ConvBatchNorm] in
                let prefix = name(spec.name, "\(i)", "\(j)")
                if j == i { return [] }
                if j > i {
                    return [spec.builder.convBatchNorm(inputChannels: c[j], outputChannels: c[i], kernelSize: 1, activation: false, name: prefix)]
                }
                return (0..<(i - j)).map { k in
                    let last = k == i - j - 1
                    let conv = spec.builder.conv2d(
                        inputChannels: c[j], outputChannels: last ? c[i] : c[j], kernelSize: 3, stride: 2,
                        name: name(prefix, "\(3 * k)"))
                    let norm = spec.builder.batchNorm(channels: last ? c[i] : c[j], name: name(prefix, "\(3 * k + 1)"))
                    return ConvBatchNorm(convolution: conv, normalization: norm, activation: !last)
                }
            }
        }
    }

    public var state: [StateEntry] { paths.flatMap { $0.flatMap { $0.flatMap(\.state) } } }

    public func forward(_ branches: [Variable], context: ForwardContext) -> [Variable] {
        if !context.training && !context.tape.isRecording { return inferenceForward(branches, context: context) }
        return (0..<branches.count).map { i in
            let target = branches[i].shape
            var terms: [Variable] = []
            for j in 0..<branches.count where j != i {
                var y = branches[j]
                for layer in paths[i][j] { y = layer.forward(y, context: context) }
                if j > i, y.shape[2] != target[2] || y.shape[3] != target[3] {
                    y = upsampleNearest(y, toHeight: target[2], width: target[3])
                }
                terms.append(y)
            }
            guard let last = terms.popLast() else { return branches[i] }
            var sum = branches[i]
            for term in terms { sum = add(sum, term) }
            return addRelu(sum, last)
        }
    }
}

extension SumFusion {
    /// The same sums at inference with fewer passes: the last convolution of each downsampling
    /// path adds the running sum in its own epilogue (and applies the final ReLU when it is the
    /// last term), so only the upsampled terms are added separately.
    func inferenceForward(_ branches: [Variable], context: ForwardContext) -> [Variable] {
        (0..<branches.count).map { i in
            let target = branches[i].shape
            let others = (0..<branches.count).filter { $0 != i }
            var sum = branches[i]
            for (position, j) in others.enumerated() {
                let isLast = position == others.count - 1
                var y = branches[j]
                let path = paths[i][j]
                if j < i, let final = path.last {
                    for layer in path.dropLast() { y = layer.forward(y, context: context) }
                    sum = convolveAndNormalize(
                        y, convolution: final.convolution, normalization: final.normalization, adding: sum, relu: isLast,
                        context: context)
                    continue
                }
                for layer in path { y = layer.forward(y, context: context) }
                if y.shape[2] != target[2] || y.shape[3] != target[3] {
                    y = upsampleNearest(y, toHeight: target[2], width: target[3])
                }
                sum = isLast ? addRelu(sum, y) : add(sum, y)
            }
            return sum
        }
    }
}

/// No exchange between branches (each branch runs alone), registered as `none`; no state.
public final class NoFusion: FusionLayer {
    public init(_ spec: FusionSpec) {}
    public var state: [StateEntry] { [] }
    public func forward(_ branches: [Variable], context: ForwardContext) -> [Variable] { branches }
}
