import EmoTensor
import Testing

@Suite struct TapeTests {
    @Test func gradientsAccumulateAcrossUsesAndSteps() {
        let weight = Parameter(Tensor(shape: [1, 2], scalars: [2, 3]), name: "fc.weight")
        let x = Tensor(shape: [1, 2], scalars: [1, 1])
        for _ in 0..<2 {
            let tape = Tape()
            let w = tape.parameter(weight)
            // The same parameter used twice: y = x·wᵀ + x·wᵀ, dy/dw = 2x.
            let y = add(linear(tape.constant(x), weight: w), linear(tape.constant(x), weight: tape.parameter(weight)))
            tape.backward(from: y)
        }
        #expect(weight.grad?.scalars == [4, 4])  // two steps × 2x, accumulated
    }

    @Test func inferenceModeRecordsNothing() {
        let tape = Tape(recording: false)
        let weight = Parameter(randomTensor([3, 2, 3, 3], seed: 1))
        let y = relu(conv2d(tape.constant(randomTensor([1, 2, 5, 5], seed: 2)), weight: tape.parameter(weight), padding: 1))
        #expect(tape.nodeCount == 0)
        #expect(y.node == nil)
        #expect(y.shape == [1, 3, 5, 5])
        tape.backward(from: y)
        #expect(weight.grad == nil)
    }

    @Test func batchNormInInferenceModeKeepsNoCacheAndGivesTheSameValues() {
        let x = randomTensor([2, 3, 4, 5], seed: 3)
        let gamma = Parameter(randomTensor([3], seed: 4)), beta = Parameter(randomTensor([3], seed: 5))
        var outputs: [Tensor] = []
        for recording in [true, false] {
            let tape = Tape(recording: recording)
            var mean = Tensor(zeros: [3]), variance = Tensor(repeating: 1, shape: [3])
            outputs.append(batchNorm(tape.constant(x), weight: tape.parameter(gamma), bias: tape.parameter(beta),
                                     runningMean: &mean, runningVar: &variance, training: true).value)
        }
        #expect(outputs[0] == outputs[1])
    }

    @Test func constantsNeedNoGradient() {
        let tape = Tape()
        let y = relu(tape.constant(Tensor(shape: [2], scalars: [1, -1])))
        #expect(y.node == nil && tape.nodeCount == 0)
    }

    @Test func valueSemantics() {
        let a = Tensor(shape: [2], scalars: [1, 2])
        var b = a
        b[flat: 0] = 5
        #expect(a.scalars == [1, 2] && b.scalars == [5, 2])
    }
}
