import EmoPluginKit
import Testing

// Finite-difference checks of the host operations EmoTensor lacks (sigmoid, per-channel scale):
// the pullbacks the host records on its tape are these backward functions.

/// A deterministic pseudo-random vector in [-2, 2].
func values(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) * 4 - 2
    }
}

/// Central difference of L = Σ w·f(x) with respect to x[i], in Double-accumulated Float.
func numericGradient(_ f: ([Float]) -> [Float], at x: [Float], weights: [Float], step: Float = 1e-2) -> [Float] {
    (0..<x.count).map { i in
        var plus = x, minus = x
        plus[i] += step
        minus[i] -= step
        let lp = zip(f(plus), weights).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let lm = zip(f(minus), weights).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        return Float((lp - lm) / Double(2 * step))
    }
}

func expectClose(_ observed: [Float], _ expected: [Float], tolerance: Float, _ what: String) {
    #expect(observed.count == expected.count)
    for i in observed.indices {
        let error = abs(observed[i] - expected[i])
        if error > tolerance * max(1, abs(expected[i])) {
            Issue.record("\(what)[\(i)]: observed \(observed[i]), expected \(expected[i]), error \(error), tolerance \(tolerance)")
            return
        }
    }
}

@Test func sigmoidValuesAndGradient() {
    let extremes = HostKernels.sigmoid([0, 100, -100])
    #expect(extremes[0] == 0.5 && extremes[1] == 1 && extremes[2] >= 0 && extremes[2] < 1e-30)
    let x = values(12, seed: 1), dy = values(12, seed: 2)
    let analytic = HostKernels.sigmoidBackward(outputGradient: dy, output: HostKernels.sigmoid(x))
    expectClose(analytic, numericGradient(HostKernels.sigmoid, at: x, weights: dy), tolerance: 2e-3, "dx")
}

@Test(arguments: [(1, 1), (2, 3), (6, 5)])
func scalePerChannelGradients(planes: Int, planeSize: Int) {
    let x = values(planes * planeSize, seed: 3), s = values(planes, seed: 4), dy = values(planes * planeSize, seed: 5)
    let forward = HostKernels.scalePerChannel(x, scale: s, planes: planes, planeSize: planeSize)
    #expect(forward[0] == x[0] * s[0])
    let (dx, ds) = HostKernels.scalePerChannelBackward(outputGradient: dy, input: x, scale: s, planes: planes, planeSize: planeSize)
    let numericX = numericGradient({ HostKernels.scalePerChannel($0, scale: s, planes: planes, planeSize: planeSize) }, at: x, weights: dy)
    let numericS = numericGradient({ HostKernels.scalePerChannel(x, scale: $0, planes: planes, planeSize: planeSize) }, at: s, weights: dy)
    expectClose(dx, numericX, tolerance: 2e-3, "dx")
    expectClose(ds, numericS, tolerance: 2e-3, "ds")
}
