import EmoTensor

// EmoNN — layers, the HRNet family built from a JSON model config, safetensors checkpoints, a
// classifier trainer and benchmarks, on top of EmoTensor's kernels and tape.
//
// Layers are reference types (they own their `Parameter`s and `Buffer`s) confined to one thread.
// Every parameter and buffer carries its full checkpoint name, which follows the PyTorch
// `state_dict` key of the reference model (`scripts/emohrnet.py`), e.g. `stage2.fuse.0.1.0.weight`.

/// A named tensor that is saved in checkpoints but not trained (batch-norm running statistics).
public final class Buffer {
    /// The current value.
    public var value: Tensor
    /// The checkpoint key, e.g. `bn1.running_mean`.
    public var name: String

    public init(_ value: Tensor, name: String) {
        self.value = value
        self.name = name
    }
}

/// One entry of a module's state: a trainable parameter or a buffer.
public enum StateEntry {
    case parameter(Parameter)
    case buffer(Buffer)

    /// The checkpoint key.
    public var name: String {
        switch self {
        case .parameter(let parameter): parameter.name
        case .buffer(let buffer): buffer.name
        }
    }

    /// The current value.
    public var value: Tensor {
        switch self {
        case .parameter(let parameter): parameter.value
        case .buffer(let buffer): buffer.value
        }
    }

    /// Replaces the value (shapes are checked by the caller).
    func assign(_ tensor: Tensor) {
        switch self {
        case .parameter(let parameter): parameter.value = tensor
        case .buffer(let buffer): buffer.value = tensor
        }
    }
}

/// Something that owns parameters and buffers: a layer, a block, a whole model.
public protocol Module: AnyObject {
    /// Every parameter and buffer, in PyTorch `state_dict` order (a module's own tensors, then its
    /// children's in registration order), with full checkpoint names.
    var state: [StateEntry] { get }
}

extension Module {
    /// The trainable parameters in `state_dict` order.
    public var parameters: [Parameter] {
        state.compactMap { if case .parameter(let parameter) = $0 { parameter } else { nil } }
    }

    /// The buffers (running statistics) in `state_dict` order.
    public var buffers: [Buffer] {
        state.compactMap { if case .buffer(let buffer) = $0 { buffer } else { nil } }
    }

    /// The number of trainable scalars (PyTorch `sum(p.numel() for p in model.parameters())`).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// How a forward pass runs: on which tape, in training or evaluation mode, and with which random
/// generator for dropout. One context serves one forward pass on one thread.
public final class ForwardContext {
    /// The tape the pass records on (`Tape(recording: false)` for inference).
    public let tape: Tape
    /// Training mode: batch norm uses batch statistics and updates its running statistics, dropout
    /// is active. Evaluation mode: running statistics, no dropout.
    public let training: Bool
    /// The generator for dropout masks.
    public var generator: SeededGenerator

    public init(tape: Tape, training: Bool, generator: SeededGenerator = SeededGenerator(seed: 0)) {
        self.tape = tape
        self.training = training
        self.generator = generator
    }
}

/// A module with one input and one output (a layer, a residual block, a classifier head).
public protocol Layer: Module {
    /// Applies the layer. x → y; shapes are documented by each layer.
    func forward(_ x: Variable, context: ForwardContext) -> Variable
}

/// Joins checkpoint-name parts with dots, skipping empty parts (`name("stage2", "fuse")`).
@inline(__always)
func name(_ parts: String...) -> String { parts.filter { !$0.isEmpty }.joined(separator: ".") }
