import EmoJSON
import EmoTensor

/// Which optimiser to train with and its settings, as data (JSON keys are the property names).
///
/// The default is the paper's recipe: Adam, lr 1e-3, β (0.9, 0.999), eps 1e-8, L2 weight decay 1e-4
/// (PyTorch `torch.optim.Adam(weight_decay=1e-4)`). `adamw` applies decoupled decay; `sgd` uses
/// `momentum`, `dampening` and `nesterov`.
public struct OptimizerConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case adam, adamw, sgd }

    public var kind: Kind
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    public var momentum: Float
    public var dampening: Float
    public var nesterov: Bool

    public init(
        kind: Kind = .adam, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 1e-4, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
    }

    /// Parses `{"kind": "adam", "learningRate": 0.001, …}`; absent keys keep their defaults; every
    /// problem is reported together.
    public init(json: JSON) throws(ModelConfigError) {
        self.init()
        var list = IssueList()
        guard let object = json.objectValue else {
            throw ModelConfigError(issues: [ModelConfigIssue("", "expected an object, got \(json.kindDescription)")])
        }
        let numbers: [(String, WritableKeyPath<OptimizerConfig, Float>)] = [
            ("learningRate", \.learningRate), ("beta1", \.beta1), ("beta2", \.beta2), ("eps", \.eps),
            ("weightDecay", \.weightDecay), ("momentum", \.momentum), ("dampening", \.dampening),
        ]
        list.checkKeys(object, known: ["kind", "nesterov"] + numbers.map(\.0), path: "")
        let kindName = list.string(object, "kind", path: "", fallback: "adam")
        if let kind = Kind(rawValue: kindName) {
            self.kind = kind
        } else {
            let choices = Kind.allCases.map(\.rawValue)
            list.add("kind", "unknown optimiser \"\(kindName)\"; choices: \(choices.joined(separator: ", "))",
                hint: suggestion(for: kindName, among: choices))
        }
        for (key, path) in numbers {
            guard let value = object[key] else { continue }
            if let number = value.doubleValue, number.isFinite, number >= 0 {
                self[keyPath: path] = Float(number)
            } else {
                list.add(key, "expected a non-negative number, got \(value.serialized(pretty: false))")
            }
        }
        if let value = object["nesterov"] {
            if let flag = value.boolValue { nesterov = flag } else { list.add("nesterov", "expected a Boolean, got \(value.kindDescription)") }
        }
        if learningRate <= 0 { list.add("learningRate", "must be positive") }
        if !(0..<1).contains(beta1) { list.add("beta1", "must be in [0, 1), got \(beta1)") }
        if !(0..<1).contains(beta2) { list.add("beta2", "must be in [0, 1), got \(beta2)") }
        if nesterov && (kind != .sgd || momentum <= 0 || dampening != 0) {
            list.add("nesterov", "needs kind sgd, momentum > 0 and dampening 0")
        }
        if !list.issues.isEmpty { throw ModelConfigError(issues: list.issues) }
    }

    /// The settings as JSON.
    public var json: JSON {
        func number(_ value: Float) -> JSON { .double(Double(String(value)) ?? Double(value)) }
        return [
            "kind": .string(kind.rawValue), "learningRate": number(learningRate), "beta1": number(beta1),
            "beta2": number(beta2), "eps": number(eps), "weightDecay": number(weightDecay),
            "momentum": number(momentum), "dampening": number(dampening), "nesterov": .bool(nesterov),
        ]
    }

    /// A fresh optimiser with these settings.
    public func makeOptimizer() -> any Optimizer {
        switch kind {
        case .adam: Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
        case .adamw: AdamW(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
        case .sgd:
            SGD(learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
        }
    }
}
