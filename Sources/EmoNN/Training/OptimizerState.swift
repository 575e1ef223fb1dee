import EmoJSON
import EmoTensor

/// Saving and restoring an optimiser's state, so that a killed training run can resume.
///
/// File: safetensors with, per parameter name p, `optimizer.p.exp_avg`, `optimizer.p.exp_avg_sq`
/// and `optimizer.p.step` (a scalar) for Adam/AdamW, or `optimizer.p.momentum_buffer` for SGD;
/// metadata `format` = `emohr-optimizer`, `formatVersion` = `1`, `optimizer` (the
/// `OptimizerConfig` JSON, learning rate included) and the caller's `extra` keys (e.g. the step or
/// epoch count).
public enum OptimizerState {
    public static let format = "emohr-optimizer"

    /// The state tensors of `optimizer` (empty for an unknown optimiser type).
    public static func tensors(of optimizer: any Optimizer) -> [(name: String, tensor: Tensor)] {
        func adam(_ states: [String: AdamState]) -> [(name: String, tensor: Tensor)] {
            states.keys.sorted().flatMap { key -> [(name: String, tensor: Tensor)] in
                let state = states[key]!
                return [
                    ("optimizer.\(key).exp_avg", state.firstMoment), ("optimizer.\(key).exp_avg_sq", state.secondMoment),
                    ("optimizer.\(key).step", Tensor(scalar: Float(state.step))),
                ]
            }
        }
        if let optimizer = optimizer as? Adam { return adam(optimizer.states) }
        if let optimizer = optimizer as? AdamW { return adam(optimizer.states) }
        if let optimizer = optimizer as? SGD {
            return optimizer.momentumBuffers.keys.sorted().map { ("optimizer.\($0).momentum_buffer", optimizer.momentumBuffers[$0]!) }
        }
        return []
    }

    /// Writes the state of `optimizer` (made from `config`).
    public static func write(
        _ optimizer: any Optimizer, config: OptimizerConfig, extra: [String: String] = [:], to path: String
    ) throws(SafeTensorsError) {
        var metadata = extra
        metadata["format"] = format
        metadata["formatVersion"] = "1"
        metadata["optimizer"] = config.json.serialized(pretty: false)
        try SafeTensors(tensors: tensors(of: optimizer), metadata: metadata).write(to: path)
    }

    /// Reads a state file back into a fresh optimiser; returns it, its config and the extra metadata.
    public static func read(from path: String) throws(SafeTensorsError) -> (
        optimizer: any Optimizer, config: OptimizerConfig, extra: [String: String]
    ) {
        let file = try SafeTensors.read(from: path)
        guard file.metadata["format"] == format, file.metadata["formatVersion"] == "1" else {
            throw SafeTensorsError(path: path, message: "not an emohr optimiser state file (version 1)")
        }
        guard let text = file.metadata["optimizer"], let json = try? JSON.parse(text), let config = try? OptimizerConfig(json: json)
        else {
            throw SafeTensorsError(path: path, message: "metadata \"optimizer\" is missing or invalid")
        }
        let tensors = file.dictionary
        func parameterNames(_ suffix: String) -> [String] {
            tensors.keys.filter { $0.hasPrefix("optimizer.") && $0.hasSuffix(suffix) }
                .map { String($0.dropFirst("optimizer.".count).dropLast(suffix.count)) }
        }
        func adamStates() throws(SafeTensorsError) -> [String: AdamState] {
            var states: [String: AdamState] = [:]
            for name in parameterNames(".exp_avg") {
                guard let first = tensors["optimizer.\(name).exp_avg"], let second = tensors["optimizer.\(name).exp_avg_sq"],
                    let step = tensors["optimizer.\(name).step"], first.shape == second.shape
                else { throw SafeTensorsError(path: path, message: "incomplete Adam state for \"\(name)\"") }
                states[name] = AdamState(step: Int(step.scalars[0]), firstMoment: first, secondMoment: second)
            }
            return states
        }
        var extra = file.metadata
        for key in ["format", "formatVersion", "optimizer"] { extra[key] = nil }
        switch config.kind {
        case .adam:
            var optimizer = config.makeOptimizer() as! Adam
            optimizer.states = try adamStates()
            return (optimizer, config, extra)
        case .adamw:
            var optimizer = config.makeOptimizer() as! AdamW
            optimizer.states = try adamStates()
            return (optimizer, config, extra)
        case .sgd:
            var optimizer = config.makeOptimizer() as! SGD
            for name in parameterNames(".momentum_buffer") { optimizer.momentumBuffers[name] = tensors["optimizer.\(name).momentum_buffer"] }
            return (optimizer, config, extra)
        }
    }
}
