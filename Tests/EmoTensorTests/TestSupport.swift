import EmoTensor
import Foundation
import Testing

/// max|a − b| / max|b| over one tensor (the relative error used throughout these tests).
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    var difference = 0.0, scale = 0.0
    for (x, y) in zip(a.scalars, b.scalars) {
        difference = max(difference, abs(Double(x) - Double(y)))
        scale = max(scale, abs(Double(y)))
    }
    return scale == 0 ? difference : difference / scale
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape: shape, standardDeviation: scale, using: &rng)
}

/// Values of magnitude in [0.1, 1.1] with random signs: far from ReLU's kink for small steps.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
        Float.random(in: 0.1...1.1, using: &rng) * (Bool.random(using: &rng) ? 1 : -1)
    })
}

/// Finite-difference gradient check.
///
/// The scalar checked is f = Σ output ⊙ R for a fixed random R, accumulated in Double. The analytic
/// gradient comes from `Tape.backward(from:seed: R)`; the numeric one from central differences
/// (f(x + h) − f(x − h)) / 2h with step `h` on every element of every input. Passes when, for each
/// input, max|numeric − analytic| / max|analytic| ≤ `tolerance`. Returns the worst error seen.
@discardableResult
func checkGradients(
    _ inputs: [Tensor], step: Float = 1e-3, tolerance: Double = 2e-3,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ function: (Tape, [Variable]) -> Variable
) -> Double {
    let tape = Tape()
    let variables = inputs.map { tape.variable($0) }
    let output = function(tape, variables)
    let weights = randomTensor(output.shape, seed: 99)
    tape.backward(from: output, seed: weights)
    func evaluate(_ values: [Tensor]) -> Double {
        let inference = Tape(recording: false)
        let result = function(inference, values.map { inference.constant($0) }).value
        return zip(result.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    var worst = 0.0
    for (index, input) in inputs.enumerated() {
        let analytic = tape.gradient(of: variables[index]) ?? Tensor(zeros: input.shape)
        var numeric = [Double](repeating: 0, count: input.count)
        for element in 0..<input.count {
            var values = inputs
            values[index].scalars[element] = input.scalars[element] + step
            let plus = evaluate(values)
            values[index].scalars[element] = input.scalars[element] - step
            let minus = evaluate(values)
            numeric[element] = (plus - minus) / (2 * Double(step))
        }
        var difference = 0.0, scale = 0.0
        for (a, n) in zip(analytic.scalars, numeric) {
            difference = max(difference, abs(Double(a) - n))
            scale = max(scale, abs(Double(a)))
        }
        let error = scale == 0 ? difference : difference / scale
        worst = max(worst, error)
        #expect(error <= tolerance,
                "input \(index) \(input.shape): observed relative error \(error), tolerance \(tolerance) (max |analytic| \(scale))",
                sourceLocation: sourceLocation)
    }
    if ProcessInfo.processInfo.environment["EMOHR_VERBOSE"] != nil {
        print("gradient check \(inputs.map(\.shape)): worst relative error \(worst) (tolerance \(tolerance))")
    }
    return worst
}

/// The folder of this target's fixtures.
func fixturesDirectory() -> URL {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
}
