/// A trainable tensor: its value, its accumulated gradient and its checkpoint name.
///
/// `grad` accumulates over backward passes (PyTorch semantics); set it to `nil` to zero it.
/// `name` is the key used in checkpoints, e.g. `stage2.0.branches.0.0.conv1.weight`.
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// The gradient accumulated by `Tape.backward`, or `nil` when none has been computed.
    public var grad: Tensor?
    /// The checkpoint key.
    public var name: String

    public init(_ value: Tensor, name: String = "") {
        self.value = value
        self.name = name
    }
}

/// A value on a tape: the tensor and, while recording, the node that produced it.
///
/// Variables are cheap handles; the tensor they carry is shared (copy-on-write).
public struct Variable {
    /// The forward value.
    public let value: Tensor
    /// The tape node, or `nil` for a constant (no gradient flows into it) and in inference mode.
    public let node: Int?
    /// The tape this variable belongs to.
    public let tape: Tape

    /// The shape of the value.
    public var shape: [Int] { value.shape }
}

/// A reverse-mode autodiff tape. Make one per training step and use it from one thread.
///
/// Every differentiable op computes its value and, if any input needs a gradient and the tape is
/// recording, appends one node holding its pullback: a closure from the output's gradient to one
/// gradient per input (`nil` where `needsGradient[i]` is false). `backward(from:)` runs the
/// pullbacks in reverse order, summing gradients that reach the same node, and adds the
/// gradients of parameter leaves to `Parameter.grad`. A tape runs backward once; its nodes are
/// released afterwards.
public final class Tape {
    /// A pullback: output gradient and which inputs need one → one gradient per input.
    public typealias Pullback = (_ outputGradient: Tensor, _ needsGradient: [Bool]) -> [Tensor?]

    private struct Node {
        var inputs: [Int?]
        var pullback: Pullback?
        var parameter: Parameter?
        var isLeaf: Bool
    }

    /// False in inference mode: ops compute their values and keep nothing.
    public let isRecording: Bool
    private var nodes: [Node] = []
    private var leafGradients: [Int: Tensor] = [:]

    /// A recording tape, or (`recording: false`) one for inference.
    public init(recording: Bool = true) {
        isRecording = recording
        HeapPolicy.apply()
    }

    /// The number of recorded nodes (0 in inference mode).
    public var nodeCount: Int { nodes.count }

    /// A constant input: no gradient is computed for it.
    public func constant(_ value: Tensor) -> Variable { Variable(value: value, node: nil, tape: self) }

    /// A trainable parameter; `backward` accumulates its gradient into `parameter.grad`.
    public func parameter(_ parameter: Parameter) -> Variable {
        guard isRecording else { return Variable(value: parameter.value, node: nil, tape: self) }
        nodes.append(Node(inputs: [], pullback: nil, parameter: parameter, isLeaf: true))
        return Variable(value: parameter.value, node: nodes.count - 1, tape: self)
    }

    /// An input whose gradient is wanted; read it with `gradient(of:)` after `backward`.
    public func variable(_ value: Tensor) -> Variable {
        guard isRecording else { return Variable(value: value, node: nil, tape: self) }
        nodes.append(Node(inputs: [], pullback: nil, parameter: nil, isLeaf: true))
        return Variable(value: value, node: nodes.count - 1, tape: self)
    }

    /// Records an op's result. Ops call this; `pullback` is only kept when some input needs a
    /// gradient and the tape is recording.
    public func record(_ value: Tensor, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        precondition(inputs.allSatisfy { $0.tape === self }, "mixing variables from different tapes")
        guard isRecording, inputs.contains(where: { $0.node != nil }) else {
            return Variable(value: value, node: nil, tape: self)
        }
        nodes.append(Node(inputs: inputs.map(\.node), pullback: pullback, parameter: nil, isLeaf: false))
        return Variable(value: value, node: nodes.count - 1, tape: self)
    }

    /// Back-propagates from `output`, seeded with `seed` (default: ones, i.e. d output/d output
    /// for a scalar loss). Accumulates parameter gradients and releases the recorded nodes.
    public func backward(from output: Variable, seed: Tensor? = nil) {
        precondition(output.tape === self, "variable from another tape")
        guard let start = output.node else { return }
        let seedValue = seed ?? Tensor(repeating: 1, shape: output.shape)
        precondition(seedValue.shape == output.shape, "seed shape \(seedValue.shape) ≠ output shape \(output.shape)")
        // Which nodes lie on a path to `start` from a leaf (only those need gradients).
        var needed = [Bool](repeating: false, count: nodes.count)
        for index in 0...start {
            if nodes[index].isLeaf {
                needed[index] = true
            } else {
                needed[index] = nodes[index].inputs.contains { $0.map { needed[$0] } ?? false }
            }
        }
        var gradients = [Tensor?](repeating: nil, count: nodes.count)
        gradients[start] = seedValue
        for index in stride(from: start, through: 0, by: -1) {
            guard let gradient = gradients[index] else { continue }
            gradients[index] = nil
            let node = nodes[index]
            if node.isLeaf {
                if let parameter = node.parameter {
                    parameter.grad = parameter.grad.map { Kernels.added($0, gradient) } ?? gradient
                } else {
                    leafGradients[index] = leafGradients[index].map { Kernels.added($0, gradient) } ?? gradient
                }
                continue
            }
            let needs = node.inputs.map { $0.map { needed[$0] } ?? false }
            guard needs.contains(true), let pullback = node.pullback else { continue }
            let inputGradients = pullback(gradient, needs)
            for (input, inputGradient) in zip(node.inputs, inputGradients) {
                guard let input, needed[input], let inputGradient else { continue }
                if var existing = gradients[input] {
                    // Take the tensor out of the array first so that, when nothing else holds it,
                    // the sum is written in place instead of into a fresh allocation.
                    gradients[input] = nil
                    Kernels.addInPlace(&existing, inputGradient)
                    gradients[input] = existing
                } else {
                    gradients[input] = inputGradient
                }
            }
            nodes[index].pullback = nil
        }
        for index in nodes.indices { nodes[index].pullback = nil }
    }

    /// The gradient reaching an input made with `variable(_:)`, available after `backward`
    /// (parameter gradients go to `Parameter.grad` instead).
    public func gradient(of variable: Variable) -> Tensor? {
        guard let node = variable.node else { return nil }
        return leafGradients[node]
    }
}
