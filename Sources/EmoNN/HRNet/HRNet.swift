import EmoJSON
import EmoTensor

/// An HRNet classifier built from a `ModelConfig` (see there for the JSON format).
///
/// x [N, inputChannels, H, W] → logits [N, classes]. Data flow: stem (two 3×3 convolutions + BN +
/// ReLU) → stage 1 (`layer1`, a sequence of blocks) → for every later stage a transition (keeps the
/// existing branches, 3×3 + BN + ReLU where the channel count changes, and makes each new branch
/// by a chain of 3×3 stride-2 convolutions + BN + ReLU from the lowest-resolution branch) followed
/// by the stage's HR modules (blocks per branch, then the fusion) → fuse layer (upsample every
/// branch to the highest resolution, concatenate, 1×1 conv + BN + ReLU) → global average pooling
/// → head.
///
/// Checkpoint names follow the PyTorch reference (`scripts/emohrnet.py`) and extend its rules:
/// `stem.{0,1}.{0,1}.*`; `layer1.*` (one block) or `layer1.{k}.*`; `trans{s}.*` when a transition
/// has one non-identity entry, else `trans{s}.{branch}.*`, with a chain of several convolutions
/// numbered `.{step}` inside; `stage{s}.*` for one module or `stage{s}.{m}.*`, holding
/// `branches.{i}.{k}.*` and the fusion's `fuse.{i}.{j}.*`; the fuse layer `head.{0,1}.*`; the
/// classifier head `fc.*`. Stages are numbered from 1 (`stage2` is the second stage, as upstream).
public final class HRNet: Module {
    /// The (validated) configuration this network was built from.
    public let config: ModelConfig
    let stem: [ConvBatchNorm]
    let layer1: [any Layer]
    /// One per stage after the first.
    let transitions: [Transition]
    /// modules[s − 1][m] for stage s ≥ 1 (0-based).
    let modules: [[HRModule]]
    let fuse: ConvBatchNorm
    let head: any Layer

    struct Transition {
        /// For each branch of the new stage: nil for the identity, else the source branch and chain.
        var paths: [(source: Int, chain: [ConvBatchNorm])?]
        var state: [StateEntry] { paths.flatMap { $0?.chain.flatMap(\.state) ?? [] } }
    }

    struct HRModule {
        var branches: [[any Layer]]
        var fusion: any FusionLayer
        var state: [StateEntry] { branches.flatMap { $0.flatMap(\.state) } + fusion.state }
    }

    /// Builds and initialises the network (seeded: the same seed gives the same weights).
    /// Throws every problem in `config` together.
    public init(config: ModelConfig, registry: ModelComponentRegistry = .standard, seed: UInt64 = 0) throws(ModelConfigError) {
        try config.validate(registry: registry)
        self.config = config
        let builder = LayerBuilder(seed: seed, initialization: config.initialization)
        let stem = config.stem
        let strides = stem.stride == 4 ? [2, 2] : stem.stride == 2 ? [2, 1] : [1, 1]
        self.stem = [
            builder.convBatchNorm(
                inputChannels: stem.inputChannels, outputChannels: stem.channels, kernelSize: 3, stride: strides[0],
                activation: true, name: "stem.0"),
            builder.convBatchNorm(
                inputChannels: stem.channels, outputChannels: stem.channels, kernelSize: 3, stride: strides[1],
                activation: true, name: "stem.1"),
        ]

        let first = config.stages[0]
        // Validation guarantees the block types exist.
        let firstType = registry.blocks[first.block]!
        let firstOut = first.channels[0] * firstType.expansion
        let count = first.blocks[0]
        layer1 = (0..<count).map { k in
            firstType.factory(
                BlockSpec(
                    inputChannels: k == 0 ? stem.channels : firstOut, outputChannels: firstOut, stride: 1,
                    name: count == 1 ? "layer1" : "layer1.\(k)", builder: builder))
        }

        var previous = [firstOut]
        var transitions: [Transition] = []
        var modules: [[HRModule]] = []
        for s in 1..<config.stages.count {
            let stage = config.stages[s]
            let type = registry.blocks[stage.block]!
            let current = stage.channels.map { $0 * type.expansion }
            // Transition trans{s}: which branches need layers, then their names.
            let needs = current.indices.map { i in i >= previous.count || previous[i] != current[i] }
            let entryCount = needs.filter { $0 }.count
            var paths: [(source: Int, chain: [ConvBatchNorm])?] = []
            for i in current.indices {
                guard needs[i] else {
                    paths.append(nil)
                    continue
                }
                let prefix = entryCount == 1 ? "trans\(s)" : "trans\(s).\(i)"
                if i < previous.count {
                    paths.append(
                        (i, [builder.convBatchNorm(
                            inputChannels: previous[i], outputChannels: current[i], kernelSize: 3, activation: true,
                            name: prefix)]))
                } else {
                    let steps = i - previous.count + 1
                    let source = previous.count - 1
                    let chain = (0..<steps).map { k in
                        builder.convBatchNorm(
                            inputChannels: previous[source], outputChannels: k == steps - 1 ? current[i] : previous[source],
                            kernelSize: 3, stride: 2, activation: true, name: steps == 1 ? prefix : "\(prefix).\(k)")
                    }
                    paths.append((source, chain))
                }
            }
            transitions.append(Transition(paths: paths))

            let fusionType = registry.fusions[stage.fusion]!
            modules.append(
                (0..<stage.modules).map { m in
                    let prefix = stage.modules == 1 ? "stage\(s + 1)" : "stage\(s + 1).\(m)"
                    let branches = current.indices.map { i in
                        (0..<stage.blocks[i]).map { k in
                            type.factory(
                                BlockSpec(
                                    inputChannels: current[i], outputChannels: current[i], stride: 1,
                                    name: "\(prefix).branches.\(i).\(k)", builder: builder))
                        }
                    }
                    let fusion = fusionType.factory(FusionSpec(channels: current, name: "\(prefix).fuse", builder: builder))
                    return HRModule(branches: branches, fusion: fusion)
                })
            previous = current
        }
        self.transitions = transitions
        self.modules = modules

        let fuseChannels = config.fuse.channels ?? previous.reduce(0, +)
        fuse = builder.convBatchNorm(
            inputChannels: previous.reduce(0, +), outputChannels: fuseChannels, kernelSize: 1, activation: true, name: "head")
        head = registry.heads[config.head.type]!.factory(
            HeadSpec(
                inputFeatures: fuseChannels, classes: config.head.classes, dropout: config.head.dropout, name: "fc",
                builder: builder, options: config.head.options))
    }

    /// Builds a preset (`emohrnet-s`, `emohrnet-w18`, …; see `ModelConfig.preset`).
    public convenience init(preset: String, classes: Int = 8, inputChannels: Int = 1, seed: UInt64 = 0) throws(ModelConfigError) {
        try self.init(config: ModelConfig.preset(preset, classes: classes, inputChannels: inputChannels), seed: seed)
    }

    public var state: [StateEntry] {
        var entries = stem.flatMap(\.state) + layer1.flatMap(\.state)
        for (transition, stageModules) in zip(transitions, modules) {
            entries += transition.state
            entries += stageModules.flatMap(\.state)
        }
        return entries + fuse.state + head.state
    }

    /// The number of classes (width of the logits).
    public var classes: Int { config.head.classes }

    /// The branch feature maps after the last stage, highest resolution first.
    public func features(_ x: Variable, context: ForwardContext) -> [Variable] {
        var y = x
        for layer in stem { y = layer.forward(y, context: context) }
        for block in layer1 { y = block.forward(y, context: context) }
        var xs = [y]
        for (transition, stageModules) in zip(transitions, modules) {
            xs = transition.paths.enumerated().map { i, path in
                guard let path else { return xs[i] }
                var z = xs[path.source]
                for layer in path.chain { z = layer.forward(z, context: context) }
                return z
            }
            for module in stageModules {
                xs = xs.enumerated().map { i, branch in
                    var z = branch
                    for block in module.branches[i] { z = block.forward(z, context: context) }
                    return z
                }
                xs = module.fusion.forward(xs, context: context)
            }
        }
        return xs
    }

    /// Logits. x [N, inputChannels, H, W] → [N, classes]. Any H, W ≥ 1 works; odd sizes are
    /// upsampled back to the exact size of the higher-resolution branch.
    public func forward(_ x: Variable, context: ForwardContext) -> Variable {
        precondition(
            x.shape.count == 4 && x.shape[1] == config.stem.inputChannels,
            "HRNet: expected input [N, \(config.stem.inputChannels), H, W], got \(x.shape)")
        let xs = features(x, context: context)
        if !context.training && !context.tape.isRecording && xs.count > 1 && fuse.convolution.weight.value.shape[2...] == [1, 1] {
            return head.forward(context.tape.constant(pooledFuseLayer(xs.map(\.value))), context: context)
        }
        let (height, width) = (xs[0].shape[2], xs[0].shape[3])
        let upsampled = xs.enumerated().map { i, branch -> Variable in
            if i == 0 || (branch.shape[2] == height && branch.shape[3] == width) { return branch }
            switch config.fuse.upsampling {
            case .bilinear: return upsampleBilinear(branch, toHeight: height, width: width)
            case .nearest: return upsampleNearest(branch, toHeight: height, width: width)
            }
        }
        let joined = upsampled.count == 1 ? upsampled[0] : concatChannels(upsampled)
        let pooled = globalAveragePool(fuse.forward(joined, context: context))
        return head.forward(pooled, context: context)
    }

    /// Global average pool of the fuse layer, for inference: the same value as upsample → concat →
    /// 1×1 convolution → batch norm → ReLU → pool, computed as Σᵢ upsample(Wᵢ ⋆ xᵢ) with Wᵢ the
    /// columns of the folded 1×1 kernel that read branch i (a 1×1 convolution commutes with
    /// upsampling). Each branch's product runs at its own resolution, so the 240→240 product at
    /// full resolution becomes products from 16, 32, 64 and 128 channels at 1, ¼, ¹⁄₁₆ and ¹⁄₆₄ of
    /// the pixels (8× fewer multiply-adds for emohrnet-s), and no upsampled or concatenated tensor
    /// is written. xs: the branch maps, highest resolution first → [N, fuse channels]
    func pooledFuseLayer(_ xs: [Tensor]) -> Tensor {
        let (weight, bias) = foldedParameters(convolution: fuse.convolution, normalization: fuse.normalization)
        let outputs = weight.shape[0], inputs = weight.shape[1]
        var offset = 0
        let maps = xs.enumerated().map { index, x -> Tensor in
            let channels = x.shape[1]
            var columns = [Float](repeating: 0, count: outputs * channels)
            weight.withUnsafeBufferPointer { w in
                for row in 0..<outputs {
                    for column in 0..<channels { columns[row * channels + column] = w[row * inputs + offset + column] }
                }
            }
            offset += channels
            return Kernels.conv2dForward(
                x, weight: Tensor(shape: [outputs, channels, 1, 1], scalars: columns), bias: index == 0 ? bias : nil)
        }
        precondition(offset == inputs, "HRNet: the fuse layer reads \(inputs) channels, the branches have \(offset)")
        return Kernels.upsampledSumReluMean(maps, bilinear: config.fuse.upsampling == .bilinear)
    }

    /// The spatial size of every branch after the last stage for an input of H × W (each stride-2
    /// 3×3 convolution with padding 1 maps n to ⌈n/2⌉).
    public func branchSizes(height: Int, width: Int) -> [(height: Int, width: Int)] {
        var h = height, w = width
        for _ in 0..<(config.stem.stride == 4 ? 2 : config.stem.stride == 2 ? 1 : 0) {
            h = (h + 1) / 2
            w = (w + 1) / 2
        }
        var sizes = [(h, w)]
        for _ in 1..<max(1, config.stages.last?.branches ?? 1) {
            h = (h + 1) / 2
            w = (w + 1) / 2
            sizes.append((h, w))
        }
        return sizes.map { (height: $0.0, width: $0.1) }
    }
}
