#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EmoJSON
import EmoNN
import EmoPluginKit
import EmoTensor

// The host half of model components across the plugin ABI: the tensor operations lent to plugins
// (`EmohrModelOps`), and the layers that stand in for plugin blocks, fusions and heads inside an
// HRNet.
//
// It lives in the CLI target because that is the one place that sees both EmoPluginKit (the ABI)
// and EmoNN/EmoTensor (layers, the tape): EmoPluginKit must stay free of the tensor modules (it is
// what a plugin links), and EmoNodes does not depend on EmoPluginKit.

/// One layer a plugin component made through the host.
enum HostLayer {
    case convolution(Conv2d)
    case batchNorm(BatchNorm2d)
    case linear(Linear)
    case parameter(Parameter)

    var state: [StateEntry] {
        switch self {
        case .convolution(let layer): layer.state
        case .batchNorm(let layer): layer.state
        case .linear(let layer): layer.state
        case .parameter(let parameter): [.parameter(parameter)]
        }
    }
}

/// Holds the last error message for `lastError` (a C string valid until the next failure).
class ErrorHolder {
    private var message: UnsafeMutablePointer<CChar>?
    func fail(_ text: String) -> Int64 {
        free(message)
        message = strdup(text)
        return -1
    }
    var lastError: UnsafePointer<CChar>? { message.map { UnsafePointer($0) } }
    deinit { free(message) }
}

/// What a plugin component's constructor builds into: named host layers.
final class PluginBuildSession: ErrorHolder {
    let prefix: String
    let builder: LayerBuilder
    var layers: [HostLayer] = []

    init(prefix: String, builder: LayerBuilder) {
        self.prefix = prefix
        self.builder = builder
    }

    func name(_ suffix: String) -> String { [prefix, suffix].filter { !$0.isEmpty }.joined(separator: ".") }

    func add(_ layer: HostLayer) -> Int64 {
        layers.append(layer)
        return Int64(layers.count - 1)
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> PluginBuildSession {
        Unmanaged<PluginBuildSession>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

/// One forward call of a plugin component: its layers, the tape context and the tensors so far.
final class PluginForwardSession: ErrorHolder {
    let layers: [HostLayer]
    let context: ForwardContext
    var variables: [Variable]

    init(layers: [HostLayer], context: ForwardContext, inputs: [Variable]) {
        self.layers = layers
        self.context = context
        variables = inputs
    }

    func add(_ variable: Variable) -> Int64 {
        variables.append(variable)
        return Int64(variables.count - 1)
    }

    func variable(_ handle: Int64) -> Variable? { handle >= 0 && handle < variables.count ? variables[Int(handle)] : nil }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> PluginForwardSession {
        Unmanaged<PluginForwardSession>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

private func cText(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }

/// x · s per channel: x [N, C, H, W], s [N, C] or [N, C, 1, 1] → [N, C, H, W].
func scalePerChannel(_ x: Variable, _ s: Variable) -> Variable {
    let (n, c, h, w) = x.value.nchw
    let input = x.value.scalars, scale = s.value.scalars
    let value = Tensor(shape: x.shape, scalars: HostKernels.scalePerChannel(input, scale: scale, planes: n * c, planeSize: h * w))
    let scaleShape = s.shape
    return x.tape.record(value, inputs: [x, s]) { gradient, needs in
        let (dx, ds) = HostKernels.scalePerChannelBackward(
            outputGradient: gradient.scalars, input: input, scale: scale, planes: n * c, planeSize: h * w)
        return [needs[0] ? Tensor(shape: [n, c, h, w], scalars: dx) : nil, needs[1] ? Tensor(shape: scaleShape, scalars: ds) : nil]
    }
}

/// 1 / (1 + e^−x). [*] → [*]
func sigmoid(_ x: Variable) -> Variable {
    let output = HostKernels.sigmoid(x.value.scalars)
    let value = Tensor(shape: x.shape, scalars: output)
    return x.tape.record(value, inputs: [x]) { gradient, _ in
        [Tensor(shape: gradient.shape, scalars: HostKernels.sigmoidBackward(outputGradient: gradient.scalars, output: output))]
    }
}

/// The same values in another shape. [*] → [shape]
func reshape(_ x: Variable, to shape: [Int]) -> Variable {
    let original = x.shape
    return x.tape.record(x.value.reshaped(to: shape), inputs: [x]) { gradient, _ in [gradient.reshaped(to: original)] }
}

/// The tensor operations the host lends to plugins.
enum PluginModelHost {
    static var hostTable: EmohrHostTable { EmohrHostTable(model: operations) }

    static var operations: EmohrModelOps {
        EmohrModelOps(
            conv2d: { pointer, name, inputs, outputs, kernel, stride, bias in
                let session = PluginBuildSession.from(pointer)
                guard inputs > 0, outputs > 0, kernel > 0, stride > 0 else {
                    return session.fail("conv2d \(cText(name)): channels, kernel size and stride must be positive")
                }
                return session.add(
                    .convolution(
                        session.builder.conv2d(
                            inputChannels: Int(inputs), outputChannels: Int(outputs), kernelSize: Int(kernel), stride: Int(stride),
                            bias: bias != 0, name: session.name(cText(name)))))
            },
            batchNorm: { pointer, name, channels in
                let session = PluginBuildSession.from(pointer)
                guard channels > 0 else { return session.fail("batchNorm \(cText(name)): channels must be positive") }
                return session.add(.batchNorm(session.builder.batchNorm(channels: Int(channels), name: session.name(cText(name)))))
            },
            linear: { pointer, name, inputs, outputs, bias in
                let session = PluginBuildSession.from(pointer)
                guard inputs > 0, outputs > 0 else { return session.fail("linear \(cText(name)): feature counts must be positive") }
                return session.add(
                    .linear(
                        session.builder.linear(
                            inputFeatures: Int(inputs), outputFeatures: Int(outputs), bias: bias != 0, name: session.name(cText(name)))))
            },
            parameter: { pointer, name, dims, rank, initialization in
                let session = PluginBuildSession.from(pointer)
                guard rank >= 1, rank <= 8, let dims else { return session.fail("parameter \(cText(name)): rank must be 1 … 8") }
                let shape = (0..<Int(rank)).map { Int(dims[$0]) }
                guard shape.allSatisfy({ $0 > 0 }) else { return session.fail("parameter \(cText(name)): shape \(shape) has a zero or negative size") }
                let value: Tensor
                switch initialization {
                case 0: value = Tensor(zeros: shape)
                case 1: value = Tensor(repeating: 1, shape: shape)
                case 2:
                    let bound = 1 / Float(max(1, shape.dropFirst().reduce(1, *))).squareRoot()
                    value = Tensor.randomUniform(shape: shape, in: -bound...bound, using: &session.builder.generator)
                default: return session.fail("parameter \(cText(name)): unknown initialization \(initialization)")
                }
                return session.add(.parameter(Parameter(value, name: session.name(cText(name)))))
            },
            apply: { pointer, layerIndex, handle in
                let session = PluginForwardSession.from(pointer)
                guard layerIndex >= 0, layerIndex < session.layers.count else { return session.fail("apply: no layer \(layerIndex)") }
                guard let x = session.variable(handle) else { return session.fail("apply: no tensor \(handle)") }
                let context = session.context
                switch session.layers[Int(layerIndex)] {
                case .convolution(let layer):
                    let expected = layer.weight.value.shape[1]
                    guard x.shape.count == 4, x.shape[1] == expected else {
                        return session.fail("conv2d \(layer.weight.name): expects [N, \(expected), H, W], got \(x.shape)")
                    }
                    return session.add(layer.forward(x, context: context))
                case .batchNorm(let layer):
                    let expected = layer.weight.value.count
                    guard x.shape.count == 4, x.shape[1] == expected else {
                        return session.fail("batchNorm \(layer.weight.name): expects [N, \(expected), H, W], got \(x.shape)")
                    }
                    return session.add(layer.forward(x, context: context))
                case .linear(let layer):
                    let expected = layer.weight.value.shape[1]
                    guard x.shape.count == 2, x.shape[1] == expected else {
                        return session.fail("linear \(layer.weight.name): expects [N, \(expected)], got \(x.shape)")
                    }
                    return session.add(layer.forward(x, context: context))
                case .parameter(let parameter):
                    return session.add(context.tape.parameter(parameter))
                }
            },
            unary: { pointer, operation, handle in
                let session = PluginForwardSession.from(pointer)
                guard let x = session.variable(handle) else { return session.fail("no tensor \(handle)") }
                switch operation {
                case 0: return session.add(relu(x))
                case 1: return session.add(sigmoid(x))
                case 2:
                    guard x.shape.count == 4 else { return session.fail("globalAveragePool: expects [N, C, H, W], got \(x.shape)") }
                    return session.add(globalAveragePool(x))
                default: return session.fail("unknown unary operation \(operation)")
                }
            },
            binary: { pointer, operation, first, second in
                let session = PluginForwardSession.from(pointer)
                guard let a = session.variable(first), let b = session.variable(second) else {
                    return session.fail("no tensor \(first) or \(second)")
                }
                switch operation {
                case 0, 1:
                    guard a.shape == b.shape else { return session.fail("add: shapes \(a.shape) and \(b.shape) differ") }
                    return session.add(operation == 0 ? add(a, b) : addRelu(a, b))
                case 2:
                    guard a.shape.count == 4, b.value.count == a.shape[0] * a.shape[1], b.shape.first == a.shape[0] else {
                        return session.fail("scalePerChannel: expects x [N, C, H, W] and s [N, C], got \(a.shape) and \(b.shape)")
                    }
                    return session.add(scalePerChannel(a, b))
                default: return session.fail("unknown binary operation \(operation)")
                }
            },
            resize: { pointer, handle, height, width, mode in
                let session = PluginForwardSession.from(pointer)
                guard let x = session.variable(handle) else { return session.fail("no tensor \(handle)") }
                guard x.shape.count == 4, height > 0, width > 0 else {
                    return session.fail("upsample: expects [N, C, H, W] and a positive size, got \(x.shape) → \(height)×\(width)")
                }
                return session.add(
                    mode == 1
                        ? upsampleBilinear(x, toHeight: Int(height), width: Int(width))
                        : upsampleNearest(x, toHeight: Int(height), width: Int(width)))
            },
            reshape: { pointer, handle, dims, rank in
                let session = PluginForwardSession.from(pointer)
                guard let x = session.variable(handle) else { return session.fail("no tensor \(handle)") }
                guard rank >= 1, rank <= 8, let dims else { return session.fail("reshape: rank must be 1 … 8") }
                let shape = (0..<Int(rank)).map { Int(dims[$0]) }
                guard shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == x.value.count else {
                    return session.fail("reshape: \(x.shape) cannot become \(shape)")
                }
                return session.add(reshape(x, to: shape))
            },
            dropout: { pointer, handle, probability in
                let session = PluginForwardSession.from(pointer)
                guard let x = session.variable(handle) else { return session.fail("no tensor \(handle)") }
                guard probability >= 0, probability < 1 else { return session.fail("dropout: probability \(probability) is not in [0, 1)") }
                guard session.context.training, probability > 0 else { return session.add(x) }
                return session.add(EmoTensor.dropout(x, probability: probability, rng: &session.context.generator))
            },
            shape: { pointer, handle, out, capacity in
                let session = PluginForwardSession.from(pointer)
                guard let x = session.variable(handle) else { return -1 }
                for (index, size) in x.shape.prefix(Int(max(capacity, 0))).enumerated() { out?[index] = Int64(size) }
                return Int64(x.shape.count)
            },
            training: { pointer in PluginForwardSession.from(pointer).context.training ? 1 : 0 },
            lastError: { pointer in
                guard let pointer else { return nil }
                return Unmanaged<ErrorHolder>.fromOpaque(pointer).takeUnretainedValue().lastError
            })
    }
}

/// A plugin model component inside the host model: a block or head (`Layer`) or a fusion method
/// (`FusionLayer`). Its tensors are host layers, so optimisers and checkpoints see them.
final class PluginComponentLayer: Layer, FusionLayer {
    let library: PluginLibrary
    let declaration: PluginComponentDeclaration
    let handle: UnsafeMutableRawPointer
    let layers: [HostLayer]
    let prefix: String

    /// Builds the component from its spec (as JSON); a plugin that cannot build it is a bug in the
    /// plugin (the model config has been validated), so the message names the plugin.
    init(library: PluginLibrary, declaration: PluginComponentDeclaration, spec: JSON, builder: LayerBuilder) {
        self.library = library
        self.declaration = declaration
        prefix = spec["name"]?.stringValue ?? ""
        let session = PluginBuildSession(prefix: prefix, builder: builder)
        let table = library.table.pointee
        var error: EmohrOwnedString?
        let made = withExtendedLifetime(session) {
            spec.serialized(pretty: false).withCString {
                table.createComponent(table.context, declaration.index, $0, Unmanaged.passUnretained(session).toOpaque(), &error)
            }
        }
        guard let made else {
            preconditionFailure(
                "plugin \(library.name): \(declaration.kind) \(declaration.name) could not be built at \(prefix): \(library.error(error, doing: "building"))")
        }
        handle = made
        layers = session.layers
    }

    deinit { library.table.pointee.destroyComponent(library.table.pointee.context, handle) }

    var state: [StateEntry] { layers.flatMap(\.state) }

    func forward(_ x: Variable, context: ForwardContext) -> Variable { forwardAll([x], context: context)[0] }

    func forward(_ branches: [Variable], context: ForwardContext) -> [Variable] { forwardAll(branches, context: context) }

    private func forwardAll(_ inputs: [Variable], context: ForwardContext) -> [Variable] {
        let session = PluginForwardSession(layers: layers, context: context, inputs: inputs)
        let table = library.table.pointee
        var outputs = [Int64](repeating: -1, count: max(inputs.count, 1))
        var error: EmohrOwnedString?
        let count = withExtendedLifetime(session) {
            outputs.withUnsafeMutableBufferPointer {
                table.forwardComponent(
                    table.context, handle, Unmanaged.passUnretained(session).toOpaque(), Int64(inputs.count), $0.baseAddress,
                    Int64($0.count), &error)
            }
        }
        guard count >= 0 else {
            preconditionFailure(
                "plugin \(library.name): \(declaration.kind) \(declaration.name) at \(prefix) failed in its forward pass: \(library.error(error, doing: "forward"))")
        }
        let expected = declaration.kind == "fusion" ? inputs.count : 1
        let results = outputs.prefix(Int(count)).compactMap { session.variable($0) }
        precondition(
            results.count == expected,
            "plugin \(library.name): \(declaration.kind) \(declaration.name) gave \(results.count) outputs; \(expected) expected")
        return results
    }
}

extension ModelComponentRegistry {
    /// Adds a plugin's block types, fusion methods and heads; a name already registered (built in,
    /// or by an earlier plugin) is refused.
    mutating func register(plugin library: PluginLibrary) throws(PluginLoadError) {
        for declaration in library.components {
            let taken: Bool
            switch declaration.kind {
            case "block": taken = blocks[declaration.name] != nil
            case "fusion": taken = fusions[declaration.name] != nil
            default: taken = heads[declaration.name] != nil
            }
            if taken {
                throw PluginLoadError(
                    path: library.path,
                    "\(declaration.kind) \(declaration.name) is already registered (built in, or by another plugin); plugin \(library.name) cannot register it again",
                    hint: "rename it in the plugin")
            }
            let summary = declaration.summary + " (plugin \(library.name))"
            switch declaration.kind {
            case "block":
                register(block: declaration.name, expansion: declaration.expansion, summary: summary) { spec in
                    PluginComponentLayer(
                        library: library, declaration: declaration,
                        spec: [
                            "inputChannels": .int(spec.inputChannels), "outputChannels": .int(spec.outputChannels),
                            "stride": .int(spec.stride), "name": .string(spec.name),
                        ], builder: spec.builder)
                }
            case "fusion":
                register(fusion: declaration.name, summary: summary) { spec in
                    PluginComponentLayer(
                        library: library, declaration: declaration,
                        spec: ["channels": .array(spec.channels.map(JSON.int)), "name": .string(spec.name)], builder: spec.builder)
                }
            default:
                register(head: declaration.name, summary: summary) { spec in
                    PluginComponentLayer(
                        library: library, declaration: declaration,
                        spec: [
                            "inputFeatures": .int(spec.inputFeatures), "classes": .int(spec.classes),
                            "dropout": .double(Double(spec.dropout)), "name": .string(spec.name), "options": .object(spec.options),
                        ], builder: spec.builder)
                }
            }
        }
    }
}
