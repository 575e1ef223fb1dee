import EmoNN
import EmoTensor
import Testing

@Suite struct TrainingTests {
    /// Class 0: a bright horizontal band in the upper half; class 1: in the lower half; plus noise.
    static func task(count: Int, seed: UInt64) -> (Tensor, [Int]) {
        var generator = SeededGenerator(seed: seed)
        let (h, w) = (16, 16)
        var x = Tensor.randomNormal(shape: [count, 1, h, w], standardDeviation: 0.3, using: &generator)
        var labels: [Int] = []
        for item in 0..<count {
            let label = item % 2
            labels.append(label)
            let row = label == 0 ? Int.random(in: 2..<6, using: &generator) : Int.random(in: 10..<14, using: &generator)
            for column in 0..<w { x.scalars[item * h * w + row * w + column] += 2 }
        }
        return (x, labels)
    }

    @Test func tinyModelOverfitsATinyTask() throws {
        let classifier = try Classifier(
            config: smallConfig(classes: 2), labels: ["up", "down"], optimizer: OptimizerConfig(learningRate: 1e-2), seed: 1)
        let (x, labels) = Self.task(count: 8, seed: 2)
        var losses: [Float] = []
        var correct = 0
        for _ in 0..<15 {
            let result = try classifier.trainStep(batch: x, labels: labels)
            losses.append(result.loss)
            correct = result.correct
        }
        print("losses:", losses.map { String(format: "%.3f", $0) }.joined(separator: " "), "correct:", correct)
        #expect(losses.last! < 0.5 * losses.first!)
        #expect(correct == 8)
        let probabilities = try classifier.predict(x)
        #expect(probabilities.count == 8 && probabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-5 })
    }

    @Test func snapshotRestoresTheBestEpoch() throws {
        let classifier = try Classifier(config: smallConfig(classes: 2), labels: ["up", "down"], seed: 1)
        let (x, labels) = Self.task(count: 4, seed: 3)
        let best = classifier.snapshot()
        let before = try classifier.logits(x)
        try classifier.trainStep(batch: x, labels: labels)
        #expect(try classifier.logits(x) != before)
        classifier.restore(best)
        #expect(try classifier.logits(x) == before)
    }

    @Test func sameSeedSameRun() throws {
        func run() throws -> [Float] {
            var config = smallConfig(classes: 2)
            config.head.dropout = 0.3
            let classifier = try Classifier(config: config, labels: ["up", "down"], seed: 5)
            let (x, labels) = Self.task(count: 4, seed: 3)
            return try (0..<3).map { _ in try classifier.trainStep(batch: x, labels: labels).loss }
        }
        #expect(try run() == run())
    }

    @Test func badInputIsReported() throws {
        let classifier = try Classifier(config: smallConfig(classes: 2), labels: ["up", "down"], seed: 1)
        #expect(throws: ModelInputError.self) { try classifier.trainStep(batch: Tensor(zeros: [2, 3, 8, 8]), labels: [0, 1]) }
        #expect(throws: ModelInputError.self) { try classifier.trainStep(batch: Tensor(zeros: [2, 1, 8, 8]), labels: [0]) }
        #expect(throws: ModelInputError.self) { try classifier.trainStep(batch: Tensor(zeros: [2, 1, 8, 8]), labels: [0, 2]) }
        #expect(throws: ModelInputError.self) { try classifier.trainStep(batch: Tensor(zeros: [1, 1, 4, 4]), labels: [0]) }
        #expect(throws: ModelConfigError.self) { try Classifier(config: smallConfig(classes: 2), labels: ["a", "b", "c"]) }
    }

    @Test func optimizerConfigFromJSON() throws {
        let config = try OptimizerConfig(json: ["kind": "adamw", "learningRate": 0.0005, "weightDecay": 0.01])
        #expect(config.kind == .adamw && config.learningRate == 0.0005 && config.weightDecay == 0.01)
        #expect(try OptimizerConfig(json: config.json) == config)
        do {
            _ = try OptimizerConfig(json: ["kind": "adma", "learningRate": -1, "betas": 1])
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.map(\.path).sorted() == ["betas", "kind", "learningRate"])
            #expect(error.issues.first { $0.path == "kind" }?.hint == "did you mean \"adam\"?")
        }
    }
}
