// The emohr plugin C ABI, version 1.
//
// A plugin and the host each link their own copy of the core Swift modules, so Swift types,
// protocol conformances and registries are not shared across the boundary. Only what C can express
// crosses it: integers, floats, pointers, C function pointers and NUL-terminated UTF-8 JSON text.
// The structs below are that ABI, written in Swift: every field is a C scalar, a pointer or a
// `@convention(c)` function pointer, laid out in declaration order with natural alignment, exactly
// as the C declarations in docs/plugins.md.
//
// Rules (see docs/plugins.md, "ABI versioning"):
// * the entry point's symbol name carries the major version (`emohr_plugin_entry_v1`);
// * both tables start with the same three fields, which never change: ABI version (UInt32), the
//   table's size in bytes (UInt32), the plugin's (or host's) name; nothing after them is read until
//   the versions are known to be equal;
// * a version is never changed in place: a new field or function means a new version.
// * strings a plugin returns are allocated by the plugin and released with its `freeString`; the
//   payloads it returns with its `freePayload`. Strings the host passes are valid during the call.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The plugin ABI's version and entry symbol.
public enum PluginABI {
    /// The ABI version this EmoPluginKit speaks.
    public static let version: UInt32 = 1
    /// The C symbol a plugin exports; the host finds the plugin through it.
    public static let entrySymbol = "emohr_plugin_entry_v1"
}

/// The entry point's C type: `const void *emohr_plugin_entry_v1(const EmohrHostTable *host)`.
/// Returns the plugin's `EmohrPluginTable` (which stays valid while the library is loaded), or NULL.
public typealias EmohrPluginEntry = @convention(c) (UnsafeRawPointer?) -> UnsafeRawPointer?

/// A C string the callee allocated; the receiver releases it through the owner's `freeString`.
public typealias EmohrOwnedString = UnsafeMutablePointer<CChar>

/// Where a failing call writes its error: a JSON object (see `PluginErrorJSON`), owned by the callee.
public typealias EmohrErrorOut = UnsafeMutablePointer<EmohrOwnedString?>

/// The payload kinds that cross the ABI (`EmohrPayload.kind`).
public enum EmohrPayloadKind {
    /// No samples; the item's source path travels in the item JSON (`path`).
    public static let utterance: Int32 = 1
    /// `values` holds `count` samples at `sampleRate` Hz; `sourceChannels` as decoded.
    public static let audio: Int32 = 2
    /// `values` holds `frames × bins` values, frame-major.
    public static let spectrum: Int32 = 3
}

/// One item's payload, `struct emohr_payload` in C.
public struct EmohrPayload {
    /// One of `EmohrPayloadKind`.
    public var kind: Int32
    /// Padding kept explicit so the C and Swift layouts agree.
    public var reserved: Int32
    /// Audio: samples per second.
    public var sampleRate: Int64
    /// Audio: channels of the source file.
    public var sourceChannels: Int64
    /// Spectrum: frames (rows).
    public var frames: Int64
    /// Spectrum: bins per frame (columns).
    public var bins: Int64
    /// Number of floats at `values`.
    public var count: Int64
    /// The samples or values. Input payloads are borrowed for the call; output payloads belong to
    /// the plugin until the host hands them to `freePayload`.
    public var values: UnsafeMutablePointer<Float>?

    /// An empty payload of no kind (what the host passes for a plugin to fill).
    public init() {
        kind = 0
        reserved = 0
        sampleRate = 0
        sourceChannels = 0
        frames = 0
        bins = 0
        count = 0
        values = nil
    }
}

// MARK: - Host → plugin

/// The tensor operations the host lends to plugin model components, `struct emohr_model_ops`.
///
/// Component construction gets an opaque *builder*; layers and parameters made through it are real
/// host layers named `{component prefix}.{name}` in checkpoints and trained by the host optimiser.
/// Each forward call gets an opaque *session*; tensors are `Int64` handles valid in that session
/// (the inputs are handles 0, 1, …). Every op records itself on the host's autodiff tape.
/// Functions returning a handle return −1 on failure; `lastError` then says why.
public struct EmohrModelOps {
    /// `conv2d(builder, name, inputChannels, outputChannels, kernelSize, stride, bias)` → layer:
    /// bias-free unless `bias` ≠ 0, padding (kernelSize − 1)/2, PyTorch initialisation.
    public var conv2d: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64, Int64, Int64, Int64, Int32) -> Int64
    /// `batchNorm(builder, name, channels)` → layer: BatchNorm2d (momentum 0.1, eps 1e-5), batch
    /// statistics in training, running statistics in evaluation.
    public var batchNorm: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64) -> Int64
    /// `linear(builder, name, inputFeatures, outputFeatures, bias)` → layer: PyTorch `nn.Linear`.
    public var linear: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64, Int64, Int32) -> Int64
    /// `parameter(builder, name, shape, rank, initialization)` → layer holding one trainable tensor;
    /// initialization: 0 zeros, 1 ones, 2 uniform ±1/√fanIn (fanIn = product of shape[1...]).
    public var parameter: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<Int64>?, Int64, Int32) -> Int64
    /// `apply(session, layer, x)` → the layer applied to x (a parameter layer ignores x and gives its value).
    public var apply: @convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Int64
    /// `unary(session, op, x)`: op 0 ReLU, 1 sigmoid, 2 global average pool ([N, C, H, W] → [N, C]).
    public var unary: @convention(c) (UnsafeMutableRawPointer?, Int32, Int64) -> Int64
    /// `binary(session, op, a, b)`: op 0 a + b, 1 ReLU(a + b), 2 channel scale a[N, C, H, W] · b[N, C]
    /// (b may also be [N, C, 1, 1]).
    public var binary: @convention(c) (UnsafeMutableRawPointer?, Int32, Int64, Int64) -> Int64
    /// `resize(session, x, height, width, mode)`: upsampling to height × width; mode 0 nearest, 1 bilinear.
    public var resize: @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int32) -> Int64
    /// `reshape(session, x, shape, rank)` → the same values with a new shape of the same count.
    public var reshape: @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafePointer<Int64>?, Int64) -> Int64
    /// `dropout(session, x, probability)`: inverted dropout in training, identity in evaluation.
    public var dropout: @convention(c) (UnsafeMutableRawPointer?, Int64, Float) -> Int64
    /// `shape(session, x, out, capacity)` → rank (−1 for a bad handle); writes up to `capacity` dims.
    public var shape: @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafeMutablePointer<Int64>?, Int64) -> Int64
    /// `training(session)` → 1 in training mode, 0 in evaluation.
    public var training: @convention(c) (UnsafeMutableRawPointer?) -> Int32
    /// `lastError(builder or session)` → why the last call on it failed (host-owned, valid until the next call).
    public var lastError: @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<CChar>?

    /// A table from its functions.
    public init(
        conv2d: @escaping @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64, Int64, Int64, Int64, Int32) -> Int64,
        batchNorm: @escaping @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64) -> Int64,
        linear: @escaping @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int64, Int64, Int32) -> Int64,
        parameter: @escaping @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<Int64>?, Int64, Int32) -> Int64,
        apply: @escaping @convention(c) (UnsafeMutableRawPointer?, Int64, Int64) -> Int64,
        unary: @escaping @convention(c) (UnsafeMutableRawPointer?, Int32, Int64) -> Int64,
        binary: @escaping @convention(c) (UnsafeMutableRawPointer?, Int32, Int64, Int64) -> Int64,
        resize: @escaping @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int32) -> Int64,
        reshape: @escaping @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafePointer<Int64>?, Int64) -> Int64,
        dropout: @escaping @convention(c) (UnsafeMutableRawPointer?, Int64, Float) -> Int64,
        shape: @escaping @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafeMutablePointer<Int64>?, Int64) -> Int64,
        training: @escaping @convention(c) (UnsafeMutableRawPointer?) -> Int32,
        lastError: @escaping @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<CChar>?
    ) {
        self.conv2d = conv2d
        self.batchNorm = batchNorm
        self.linear = linear
        self.parameter = parameter
        self.apply = apply
        self.unary = unary
        self.binary = binary
        self.resize = resize
        self.reshape = reshape
        self.dropout = dropout
        self.shape = shape
        self.training = training
        self.lastError = lastError
    }

    /// A table whose every operation fails with "this host offers no model operations" (hosts
    /// without EmoNN, and tests).
    public static var unavailable: EmohrModelOps {
        EmohrModelOps(
        conv2d: { _, _, _, _, _, _, _ in -1 }, batchNorm: { _, _, _ in -1 }, linear: { _, _, _, _, _ in -1 },
        parameter: { _, _, _, _, _ in -1 }, apply: { _, _, _ in -1 }, unary: { _, _, _ in -1 }, binary: { _, _, _, _ in -1 },
        resize: { _, _, _, _, _ in -1 }, reshape: { _, _, _, _ in -1 }, dropout: { _, _, _ in -1 },
        shape: { _, _, _, _ in -1 }, training: { _ in 0 },
            lastError: { _ in UnsafePointer(PluginABIStrings.noModelOperations) })
    }
}

/// Static C strings the ABI hands out.
enum PluginABIStrings {
    nonisolated(unsafe) static let noModelOperations: UnsafeMutablePointer<CChar> = strdup(
        "this host offers no model operations")!
    nonisolated(unsafe) static let hostName: UnsafeMutablePointer<CChar> = strdup("emohr")!
}

/// What the host gives the plugin's entry point, `struct emohr_host_table`.
public struct EmohrHostTable {
    /// `PluginABI.version` of the host. Stable field.
    public var abiVersion: UInt32
    /// `MemoryLayout<EmohrHostTable>.size`. Stable field.
    public var size: UInt32
    /// The host's name (`emohr`). Stable field.
    public var name: UnsafePointer<CChar>?
    /// Tensor operations for model components.
    public var model: EmohrModelOps

    /// The table of this host version, lending `model`.
    public init(model: EmohrModelOps = .unavailable) {
        abiVersion = PluginABI.version
        size = UInt32(MemoryLayout<EmohrHostTable>.size)
        name = UnsafePointer(PluginABIStrings.hostName)
        self.model = model
    }
}

// MARK: - Plugin → host

/// What a plugin's entry point returns, `struct emohr_plugin_table`. Every function takes the
/// table's `context` first.
public struct EmohrPluginTable {
    /// `PluginABI.version` the plugin was built with. Stable field.
    public var abiVersion: UInt32
    /// `MemoryLayout<EmohrPluginTable>.size`. Stable field.
    public var size: UInt32
    /// The plugin's name (`mfcc`). Stable field.
    public var name: UnsafePointer<CChar>?
    /// The plugin's own version (`1.0.0`).
    public var version: UnsafePointer<CChar>?
    /// JSON: `{"nodes": [NodeDescriptor JSON…], "components": [{"kind", "name", "summary", "expansion"}…]}`;
    /// node and component indices below are positions in these arrays.
    public var manifest: UnsafePointer<CChar>?
    /// Passed back as the first argument of every function.
    public var context: UnsafeMutableRawPointer?
    /// Releases a string the plugin returned.
    public var freeString: @convention(c) (UnsafeMutableRawPointer?, EmohrOwnedString?) -> Void
    /// Releases the values of a payload (an `EmohrPayload *`) the plugin returned.
    public var freePayload: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void
    /// `createNode(context, nodeIndex, nodeId, parametersJSON, error)` → node handle, or NULL and an error.
    public var createNode:
        @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, EmohrErrorOut?) ->
        UnsafeMutableRawPointer?
    /// `negotiate(context, node, inputFormatsJSON, error)` → output formats JSON, or NULL and an error.
    public var negotiate:
        @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<CChar>?, EmohrErrorOut?) ->
        EmohrOwnedString?
    /// `process(context, node, itemJSON, input, output, itemOut, error)` → 0, or −1 and an error;
    /// `input` is a `const EmohrPayload *` (borrowed), `output` an `EmohrPayload *` the plugin fills.
    /// Thread-safe: the host calls it from several threads at once for different items.
    public var process:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeRawPointer?,
            UnsafeMutableRawPointer?, EmohrErrorOut?, EmohrErrorOut?
        ) -> Int32
    /// Releases a node handle.
    public var destroyNode: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void
    /// `createComponent(context, componentIndex, specJSON, builder, error)` → component handle, or NULL.
    public var createComponent:
        @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, EmohrErrorOut?) ->
        UnsafeMutableRawPointer?
    /// `forwardComponent(context, component, session, inputCount, outputs, capacity, error)` → the
    /// number of outputs written (handles), or −1 and an error. Inputs are handles 0 ..< inputCount.
    public var forwardComponent:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int64, UnsafeMutablePointer<Int64>?,
            Int64, EmohrErrorOut?
        ) -> Int64
    /// Releases a component handle.
    public var destroyComponent: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void
}
