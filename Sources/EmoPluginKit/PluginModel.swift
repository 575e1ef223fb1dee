import EmoJSON

// What a plugin author writes for model components (block types, fusion methods, heads): ordinary
// Swift classes whose layers and tensor operations are lent by the host, so the host's optimiser,
// autodiff tape and checkpoints see them as if they were built in.

/// A failed tensor or layer operation inside a plugin component (a shape mismatch, say).
public struct PluginTensorError: Error, CustomStringConvertible, Sendable {
    /// What the host said.
    public var message: String
    /// An error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Makes a component's layers while it is constructed. Every layer is a real host layer whose
/// tensors are named `{component prefix}.{name}` in checkpoints (e.g. `stage2.0.branches.0.1.se.fc1.weight`).
public struct PluginModelBuilder {
    let ops: EmohrModelOps
    let builder: UnsafeMutableRawPointer?

    /// A bias-free (unless `bias`) convolution with padding (kernelSize − 1)/2, PyTorch initialisation.
    /// x [N, inputChannels, H, W] → [N, outputChannels, ⌈H/stride⌉, ⌈W/stride⌉].
    public func conv2d(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, bias: Bool = false, name: String
    ) throws(PluginTensorError) -> PluginLayer {
        try check(
            name.withCString {
                ops.conv2d(builder, $0, Int64(inputChannels), Int64(outputChannels), Int64(kernelSize), Int64(stride), bias ? 1 : 0)
            })
    }

    /// A batch norm (PyTorch `BatchNorm2d`, momentum 0.1, eps 1e-5): `{name}.weight`, `.bias`,
    /// `.running_mean`, `.running_var`.
    public func batchNorm(channels: Int, name: String) throws(PluginTensorError) -> PluginLayer {
        try check(name.withCString { ops.batchNorm(builder, $0, Int64(channels)) })
    }

    /// A fully connected layer (PyTorch `nn.Linear`). x [N, inputFeatures] → [N, outputFeatures].
    public func linear(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, name: String) throws(PluginTensorError)
        -> PluginLayer
    {
        try check(name.withCString { ops.linear(builder, $0, Int64(inputFeatures), Int64(outputFeatures), bias ? 1 : 0) })
    }

    /// How a raw parameter starts.
    public enum Initialization: Int32, Sendable {
        case zeros = 0
        case ones = 1
        /// Uniform in ±1/√fanIn, fanIn = the product of shape[1...] (PyTorch's default).
        case uniform = 2
    }

    /// One trainable tensor named `{prefix}.{name}`; apply it (to anything) to get its value.
    public func parameter(name: String, shape: [Int], initialization: Initialization) throws(PluginTensorError) -> PluginLayer {
        let dims = shape.map(Int64.init)
        return try check(
            name.withCString { cName in
                dims.withUnsafeBufferPointer { ops.parameter(builder, cName, $0.baseAddress, Int64(dims.count), initialization.rawValue) }
            })
    }

    private func check(_ index: Int64) throws(PluginTensorError) -> PluginLayer {
        guard index >= 0 else { throw PluginTensorError(ops.lastError(builder).map { String(cString: $0) } ?? "unknown error") }
        return PluginLayer(index: index)
    }
}

/// A layer the host made for this component; apply it with `layer(x)`.
public struct PluginLayer: Sendable {
    /// The host's index of the layer within the component.
    public let index: Int64

    /// The layer applied to `x` (a parameter layer gives its value).
    public func callAsFunction(_ x: PluginTensor) throws(PluginTensorError) -> PluginTensor {
        try x.session.check(x.session.ops.apply(x.session.pointer, index, x.handle))
    }
}

/// The forward call a tensor belongs to.
public final class PluginSession {
    let ops: EmohrModelOps
    let pointer: UnsafeMutableRawPointer?

    init(ops: EmohrModelOps, pointer: UnsafeMutableRawPointer?) {
        self.ops = ops
        self.pointer = pointer
    }

    /// True in training mode (batch norm uses batch statistics, dropout is active).
    public var training: Bool { ops.training(pointer) != 0 }

    func check(_ handle: Int64) throws(PluginTensorError) -> PluginTensor {
        guard handle >= 0 else { throw PluginTensorError(ops.lastError(pointer).map { String(cString: $0) } ?? "unknown error") }
        return PluginTensor(handle: handle, session: self)
    }
}

/// A tensor on the host's autodiff tape, seen from a plugin: Float32, NCHW. Every operation is
/// recorded by the host, so gradients flow through plugin components like through built-in ones.
public struct PluginTensor {
    /// The host's handle, valid during one forward call.
    public let handle: Int64
    /// The forward call.
    public let session: PluginSession

    /// The shape, e.g. [N, C, H, W].
    public var shape: [Int] {
        var dims = [Int64](repeating: 0, count: 8)
        let rank = dims.withUnsafeMutableBufferPointer { session.ops.shape(session.pointer, handle, $0.baseAddress, 8) }
        return rank < 0 ? [] : dims.prefix(Int(rank)).map(Int.init)
    }

    /// max(x, 0).
    public func relu() throws(PluginTensorError) -> PluginTensor { try session.check(session.ops.unary(session.pointer, 0, handle)) }
    /// 1 / (1 + e^−x).
    public func sigmoid() throws(PluginTensorError) -> PluginTensor { try session.check(session.ops.unary(session.pointer, 1, handle)) }
    /// Global average pooling: [N, C, H, W] → [N, C].
    public func globalAveragePooled() throws(PluginTensorError) -> PluginTensor {
        try session.check(session.ops.unary(session.pointer, 2, handle))
    }
    /// Element-wise sum with a tensor of the same shape.
    public func adding(_ other: PluginTensor) throws(PluginTensorError) -> PluginTensor {
        try session.check(session.ops.binary(session.pointer, 0, handle, other.handle))
    }
    /// ReLU(self + other) in one pass (a residual join).
    public func addingRelu(_ other: PluginTensor) throws(PluginTensorError) -> PluginTensor {
        try session.check(session.ops.binary(session.pointer, 1, handle, other.handle))
    }
    /// self [N, C, H, W] scaled per channel by `scale` [N, C] (or [N, C, 1, 1]).
    public func scaledPerChannel(by scale: PluginTensor) throws(PluginTensorError) -> PluginTensor {
        try session.check(session.ops.binary(session.pointer, 2, handle, scale.handle))
    }
    /// Upsampled to height × width (nearest, or bilinear with `bilinear`).
    public func upsampled(height: Int, width: Int, bilinear: Bool = false) throws(PluginTensorError) -> PluginTensor {
        try session.check(session.ops.resize(session.pointer, handle, Int64(height), Int64(width), bilinear ? 1 : 0))
    }
    /// The same values with another shape of the same element count.
    public func reshaped(_ shape: [Int]) throws(PluginTensorError) -> PluginTensor {
        let dims = shape.map(Int64.init)
        return try session.check(
            dims.withUnsafeBufferPointer { session.ops.reshape(session.pointer, handle, $0.baseAddress, Int64(dims.count)) })
    }
    /// Inverted dropout with this probability in training; the identity in evaluation.
    public func dropout(probability: Float) throws(PluginTensorError) -> PluginTensor {
        try session.check(session.ops.dropout(session.pointer, handle, probability))
    }
}

/// What a block type is asked to build (the host's `BlockSpec`).
public struct PluginBlockSpec: Sendable {
    /// Channels of the block's input.
    public var inputChannels: Int
    /// Channels of its output (configured channels × the block type's expansion).
    public var outputChannels: Int
    /// Spatial stride.
    public var stride: Int
    /// Checkpoint prefix of the block's tensors (the host prepends it; layer names are relative).
    public var name: String
}

/// What a fusion method is asked to build.
public struct PluginFusionSpec: Sendable {
    /// Channels of every branch.
    public var channels: [Int]
    /// Checkpoint prefix.
    public var name: String
}

/// What a head is asked to build.
public struct PluginHeadSpec: Sendable {
    /// Pooled features in.
    public var inputFeatures: Int
    /// Classes out.
    public var classes: Int
    /// The config's dropout probability.
    public var dropout: Float
    /// Checkpoint prefix.
    public var name: String
    /// The head's other members in the model config.
    public var options: JSONObject
}

/// A residual block type a model config can name in a stage's `block`.
/// x [N, inputChannels, H, W] → [N, outputChannels, ⌈H/stride⌉, ⌈W/stride⌉].
public protocol PluginBlock: AnyObject {
    /// The name model configs use (`se-basic`).
    static var name: String { get }
    /// One line for `emohr nodes model.train` and docs.
    static var summary: String { get }
    /// Output channels per configured channel (1 basic, 4 bottleneck).
    static var expansion: Int { get }
    /// Makes the layers through `builder`.
    init(_ spec: PluginBlockSpec, builder: PluginModelBuilder) throws
    /// The forward pass.
    func forward(_ x: PluginTensor) throws -> PluginTensor
}

extension PluginBlock {
    public static var expansion: Int { 1 }
}

/// A fusion method a stage can name in `fusion`: branches[i] → outputs[i] of the same shape.
public protocol PluginFusion: AnyObject {
    static var name: String { get }
    static var summary: String { get }
    init(_ spec: PluginFusionSpec, builder: PluginModelBuilder) throws
    func forward(_ branches: [PluginTensor]) throws -> [PluginTensor]
}

/// A classifier head a config can name in `head.type`: [N, inputFeatures] → [N, classes].
public protocol PluginHead: AnyObject {
    static var name: String { get }
    static var summary: String { get }
    init(_ spec: PluginHeadSpec, builder: PluginModelBuilder) throws
    func forward(_ x: PluginTensor) throws -> PluginTensor
}
