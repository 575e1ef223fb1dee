import EmoJSON

/// An HRNet classifier described as data, mirroring upstream HRNet's classification config
/// (`STAGE1..4` with `NUM_MODULES`, `NUM_BRANCHES`, `BLOCK`, `NUM_BLOCKS`, `NUM_CHANNELS`,
/// `FUSE_METHOD`) in camelCase JSON, plus the paper's fuse layer, pooling and head:
///
/// ```json
/// {
///   "name": "emohrnet-s",
///   "initialization": "pytorch",
///   "stem": {"inputChannels": 1, "channels": 64, "stride": 4},
///   "stages": [
///     {"modules": 1, "branches": 1, "block": "bottleneck", "blocks": [1], "channels": [32]},
///     {"modules": 1, "branches": 2, "block": "basic", "blocks": [2, 2], "channels": [16, 32], "fusion": "sum"},
///     {"modules": 1, "branches": 3, "block": "basic", "blocks": [2, 2, 2], "channels": [16, 32, 64], "fusion": "sum"},
///     {"modules": 1, "branches": 4, "block": "basic", "blocks": [2, 2, 2, 2], "channels": [16, 32, 64, 128], "fusion": "sum"}
///   ],
///   "fuse": {"channels": 240, "upsampling": "bilinear"},
///   "pooling": "average",
///   "head": {"type": "linear", "classes": 8, "dropout": 0}
/// }
/// ```
/// * `stem`: two 3×3 convolutions + BN + ReLU, inputChannels → channels → channels; `stride` 4 makes
///   both stride 2, 2 only the first, 1 neither.
/// * `stages[0]` is upstream's `layer1`: one branch, one module, `blocks[0]` blocks. Each later stage
///   keeps the previous branches and may add new lower-resolution ones (made by 3×3 stride-2
///   transitions); a stage runs `modules` HR modules, each `blocks[i]` blocks on branch i followed
///   by the fusion. A branch carries `channels[i] × expansion` channels (expansion 4 for
///   `bottleneck`, 1 for `basic`). `fusion` defaults to `sum` (HRNet's).
/// * `fuse`: the paper's fuse layer — every branch of the last stage upsampled (`bilinear`, PyTorch
///   align_corners=False, or `nearest`) to the highest resolution, concatenated, 1×1 convolution +
///   BN + ReLU into `channels` (default: the sum of the branch channels).
/// * `pooling`: `average` (global average pooling; the only one).
/// * `head`: a registered head `type` (default `linear`), `classes`, `dropout` (default 0).
/// * `initialization`: `pytorch` (default; PyTorch's layer defaults, as the reference) or `hrnet`.
public struct ModelConfig: Sendable, Equatable {
    /// The input stem.
    public struct Stem: Sendable, Equatable {
        public var inputChannels: Int
        public var channels: Int
        public var stride: Int
        public init(inputChannels: Int = 1, channels: Int = 64, stride: Int = 4) {
            self.inputChannels = inputChannels
            self.channels = channels
            self.stride = stride
        }
    }

    /// One stage (upstream `STAGEk`).
    public struct Stage: Sendable, Equatable {
        public var modules: Int
        public var branches: Int
        public var block: String
        public var blocks: [Int]
        public var channels: [Int]
        public var fusion: String
        public init(modules: Int = 1, branches: Int, block: String, blocks: [Int], channels: [Int], fusion: String = "sum") {
            self.modules = modules
            self.branches = branches
            self.block = block
            self.blocks = blocks
            self.channels = channels
            self.fusion = fusion
        }
    }

    /// How the fuse layer brings branches to the highest resolution.
    public enum Upsampling: String, Sendable, CaseIterable { case bilinear, nearest }

    /// The paper's fuse layer.
    public struct Fuse: Sendable, Equatable {
        /// Output channels; nil means the sum of the last stage's branch channels.
        public var channels: Int?
        public var upsampling: Upsampling
        public init(channels: Int? = nil, upsampling: Upsampling = .bilinear) {
            self.channels = channels
            self.upsampling = upsampling
        }
    }

    /// The classifier head.
    public struct Head: Sendable, Equatable {
        public var type: String
        public var classes: Int
        public var dropout: Float
        /// The head's other JSON members (besides type, classes, dropout), passed to its factory.
        public var options: JSONObject
        public init(type: String = "linear", classes: Int, dropout: Float = 0, options: JSONObject = [:]) {
            self.type = type
            self.classes = classes
            self.dropout = dropout
            self.options = options
        }
    }

    public var name: String?
    public var initialization: ConvolutionInitialization
    public var stem: Stem
    public var stages: [Stage]
    public var fuse: Fuse
    public var head: Head

    /// A config from its parts, not validated (use `validate(registry:)` or go through JSON).
    public init(
        name: String? = nil, initialization: ConvolutionInitialization = .pytorch, stem: Stem, stages: [Stage],
        fuse: Fuse = Fuse(), head: Head
    ) {
        self.name = name
        self.initialization = initialization
        self.stem = stem
        self.stages = stages
        self.fuse = fuse
        self.head = head
    }

    /// Branch output channels of stage `index` (configured channels × the block's expansion).
    public func branchChannels(ofStage index: Int, registry: ModelComponentRegistry = .standard) -> [Int] {
        let expansion = registry.blocks[stages[index].block]?.expansion ?? 1
        return stages[index].channels.map { $0 * expansion }
    }

    /// The fuse layer's output channels.
    public func fuseChannels(registry: ModelComponentRegistry = .standard) -> Int {
        fuse.channels ?? branchChannels(ofStage: stages.count - 1, registry: registry).reduce(0, +)
    }

    /// The config as JSON (every field written out, defaults included).
    public var json: JSON {
        var object = JSONObject()
        if let name { object["name"] = .string(name) }
        object["initialization"] = .string(initialization.rawValue)
        object["stem"] = [
            "inputChannels": .int(stem.inputChannels), "channels": .int(stem.channels), "stride": .int(stem.stride),
        ]
        object["stages"] = .array(
            stages.map { stage in
                [
                    "modules": .int(stage.modules), "branches": .int(stage.branches), "block": .string(stage.block),
                    "blocks": .array(stage.blocks.map { .int($0) }), "channels": .array(stage.channels.map { .int($0) }),
                    "fusion": .string(stage.fusion),
                ]
            })
        var fuseObject: JSONObject = ["upsampling": .string(fuse.upsampling.rawValue)]
        if let channels = fuse.channels { fuseObject = ["channels": .int(channels), "upsampling": .string(fuse.upsampling.rawValue)] }
        object["fuse"] = .object(fuseObject)
        object["pooling"] = "average"
        var headObject = head.options
        headObject["type"] = .string(head.type)
        headObject["classes"] = .int(head.classes)
        headObject["dropout"] = .double(Double(String(head.dropout)) ?? 0)  // 0.1, not 0.10000000149
        object["head"] = .object(headObject)
        return .object(object)
    }
}
