import EmoTensor

/// Every parameter and buffer of a model by checkpoint name: a snapshot to keep the best epoch, or
/// what a checkpoint holds. A value (Sendable), independent of the model it came from.
public struct ModelState: Sendable, Equatable {
    /// Names in `state_dict` order.
    public var names: [String]
    /// Tensors by name.
    public var tensors: [String: Tensor]

    public init(names: [String], tensors: [String: Tensor]) {
        self.names = names
        self.tensors = tensors
    }

    /// The entries in order.
    public var ordered: [(name: String, tensor: Tensor)] { names.compactMap { name in tensors[name].map { (name, $0) } } }
}

/// Why a state could not be loaded into a model: every missing, unused and mis-shaped key at once.
public struct StateLoadError: Error, Sendable, CustomStringConvertible {
    /// Keys the model needs that the state lacks, with the shape the model expects.
    public var missing: [(name: String, shape: [Int])]
    /// Keys in the state that the model does not have, with their shapes.
    public var unused: [(name: String, shape: [Int])]
    /// Keys whose shapes differ: the model's and the state's.
    public var misshaped: [(name: String, expected: [Int], found: [Int])]
    /// Where the state came from (a checkpoint path), if known.
    public var source: String?

    public var description: String {
        var lines = [
            "\(source.map { "\($0): " } ?? "")cannot load weights: \(missing.count) missing, \(unused.count) unused, \(misshaped.count) mis-shaped"
        ]
        lines += missing.map { "  missing: \($0.name) (model expects \($0.shape))" }
        lines += unused.map { "  unused: \($0.name) \($0.shape) (not in the model)" }
        lines += misshaped.map { "  mis-shaped: \($0.name): model \($0.expected), checkpoint \($0.found)" }
        if !missing.isEmpty || !misshaped.isEmpty {
            lines.append("  hint: was the checkpoint made with another model config (channels, blocks, classes)?")
        }
        return lines.joined(separator: "\n")
    }
}

extension Module {
    /// A copy of every parameter and buffer (cheap: tensors are copy-on-write).
    public func snapshot() -> ModelState {
        let entries = state
        return ModelState(
            names: entries.map(\.name),
            tensors: Dictionary(entries.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Replaces every parameter and buffer from `state`. Checks everything first and changes
    /// nothing unless every key is present with the right shape and no key is left over.
    /// PyTorch's `*.num_batches_tracked` counters are ignored (not kept by this implementation).
    public func load(_ state: ModelState, source: String? = nil) throws(StateLoadError) {
        let entries = self.state
        var error = StateLoadError(missing: [], unused: [], misshaped: [], source: source)
        let known = Set(entries.map(\.name))
        for entry in entries {
            guard let tensor = state.tensors[entry.name] else {
                error.missing.append((entry.name, entry.value.shape))
                continue
            }
            if tensor.shape != entry.value.shape {
                error.misshaped.append((entry.name, entry.value.shape, tensor.shape))
            }
        }
        for name in state.names where !known.contains(name) && !name.hasSuffix("num_batches_tracked") {
            error.unused.append((name, state.tensors[name]?.shape ?? []))
        }
        guard error.missing.isEmpty, error.unused.isEmpty, error.misshaped.isEmpty else { throw error }
        for entry in entries { entry.assign(state.tensors[entry.name]!) }
    }

    /// Restores a snapshot taken from this model (same as `load`, for snapshots that cannot fail).
    public func restore(_ snapshot: ModelState) {
        do {
            try load(snapshot)
        } catch {
            preconditionFailure("restore: the snapshot does not belong to this model:\n\(error)")
        }
    }
}
