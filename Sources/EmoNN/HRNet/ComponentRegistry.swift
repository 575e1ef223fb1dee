import EmoJSON
import EmoTensor

/// What a block factory is given: make one residual block with these channels and stride, naming
/// every parameter and buffer under `name` (e.g. `stage2.branches.0.1`), drawing initial values
/// from `builder`.
public struct BlockSpec {
    /// Channels of the block's input.
    public var inputChannels: Int
    /// Channels of the block's output (the config's branch channels × the block type's expansion).
    public var outputChannels: Int
    /// Spatial stride of the block (1 inside HRNet; transitions do the down-sampling).
    public var stride: Int
    /// The checkpoint-name prefix of the block's tensors.
    public var name: String
    /// Makes initialised layers (convolutions, batch norms, linear layers) from one seeded generator.
    public var builder: LayerBuilder

    public init(inputChannels: Int, outputChannels: Int, stride: Int, name: String, builder: LayerBuilder) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.stride = stride
        self.name = name
        self.builder = builder
    }
}

/// What a fusion factory is given: the channels of every branch, the name prefix of its tensors
/// (e.g. `stage3.fuse`) and the layer builder.
public struct FusionSpec {
    public var channels: [Int]
    public var name: String
    public var builder: LayerBuilder

    public init(channels: [Int], name: String, builder: LayerBuilder) {
        self.channels = channels
        self.name = name
        self.builder = builder
    }
}

/// What a head factory is given: pooled feature count, class count, dropout probability, the name
/// prefix (`fc`), the layer builder, and and the head's other JSON members (options of its own).
public struct HeadSpec {
    public var inputFeatures: Int
    public var classes: Int
    public var dropout: Float
    public var name: String
    public var builder: LayerBuilder
    public var options: JSONObject

    public init(inputFeatures: Int, classes: Int, dropout: Float, name: String, builder: LayerBuilder, options: JSONObject = [:]) {
        self.inputFeatures = inputFeatures
        self.classes = classes
        self.dropout = dropout
        self.name = name
        self.builder = builder
        self.options = options
    }
}

/// The model components an HRNet config may name: residual block types, fusion methods and
/// classifier heads. A model variant is one `register` call plus a JSON change.
///
/// ```swift
/// var registry = ModelComponentRegistry.standard
/// registry.register(block: "se-basic", expansion: 1, summary: "basic block with squeeze-excitation") {
///     spec in SqueezeExcitationBlock(spec)   // a `Layer` naming its tensors under spec.name
/// }
/// let model = try HRNet(config: ModelConfig(json: json, registry: registry), registry: registry, seed: 0)
/// ```
/// A later registration under the same name replaces the earlier one.
public struct ModelComponentRegistry: Sendable {
    /// Makes a block: a `Layer` mapping [N, inputChannels, H, W] → [N, outputChannels, ⌈H/s⌉, ⌈W/s⌉].
    public typealias BlockFactory = @Sendable (BlockSpec) -> any Layer
    /// Makes a fusion layer for branches of the given channels.
    public typealias FusionFactory = @Sendable (FusionSpec) -> any FusionLayer
    /// Makes a head: a `Layer` mapping [N, inputFeatures] → [N, classes].
    public typealias HeadFactory = @Sendable (HeadSpec) -> any Layer

    /// A registered block type.
    public struct BlockType: Sendable {
        public var name: String
        /// Output channels per configured branch channel (1 basic, 4 bottleneck).
        public var expansion: Int
        public var summary: String
        public var factory: BlockFactory
    }

    /// A registered fusion method.
    public struct FusionType: Sendable {
        public var name: String
        public var summary: String
        public var factory: FusionFactory
    }

    /// A registered head.
    public struct HeadType: Sendable {
        public var name: String
        public var summary: String
        public var factory: HeadFactory
    }

    public private(set) var blocks: [String: BlockType] = [:]
    public private(set) var fusions: [String: FusionType] = [:]
    public private(set) var heads: [String: HeadType] = [:]

    /// An empty registry.
    public init() {}

    /// The built-in components: blocks `basic`, `bottleneck`; fusions `sum` (HRNet), `none`;
    /// head `linear`.
    public static let standard: ModelComponentRegistry = {
        var registry = ModelComponentRegistry()
        registry.register(block: "basic", expansion: 1, summary: "ResNet basic block: two 3×3 convolutions + residual") {
            BasicBlock($0)
        }
        registry.register(
            block: "bottleneck", expansion: Bottleneck.expansion,
            summary: "ResNet bottleneck: 1×1, 3×3, 1×1 convolutions (expansion 4) + residual"
        ) { Bottleneck($0) }
        registry.register(
            fusion: "sum", summary: "HRNet fusion: resample every branch to every resolution, sum, ReLU"
        ) { SumFusion($0) }
        registry.register(fusion: "none", summary: "no exchange between branches") { NoFusion($0) }
        registry.register(head: "linear", summary: "optional dropout, then a fully connected layer") { LinearHead($0) }
        return registry
    }()

    /// Registers a block type; `expansion` is output channels per configured channel.
    public mutating func register(block name: String, expansion: Int = 1, summary: String = "", factory: @escaping BlockFactory) {
        precondition(expansion >= 1, "block expansion must be at least 1")
        blocks[name] = BlockType(name: name, expansion: expansion, summary: summary, factory: factory)
    }

    /// Registers a fusion method.
    public mutating func register(fusion name: String, summary: String = "", factory: @escaping FusionFactory) {
        fusions[name] = FusionType(name: name, summary: summary, factory: factory)
    }

    /// Registers a classifier head.
    public mutating func register(head name: String, summary: String = "", factory: @escaping HeadFactory) {
        heads[name] = HeadType(name: name, summary: summary, factory: factory)
    }
}
