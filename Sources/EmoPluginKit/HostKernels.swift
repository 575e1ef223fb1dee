/// The arithmetic of the two host tensor operations EmoTensor does not have, lent to plugin model
/// components: the logistic sigmoid and the per-channel scale of squeeze-and-excitation.
///
/// The host (`Sources/emohr/Plugins/`) records them on its autodiff tape with these pullbacks. They
/// live here, in plain arrays, so `EmoPluginKitTests` can check every gradient against finite
/// differences without depending on the tensor modules.
public enum HostKernels {
    /// y = 1 / (1 + e^−x), element-wise. [*] → [*]
    public static func sigmoid(_ x: [Float]) -> [Float] {
        x.map { value in
            // Written per sign so neither branch overflows exp.
            if value >= 0 { return 1 / (1 + (-value).exponential) }
            let e = value.exponential
            return e / (1 + e)
        }
    }

    /// dx = dy · y · (1 − y), from the output y. [*], [*] → [*]
    public static func sigmoidBackward(outputGradient dy: [Float], output y: [Float]) -> [Float] {
        precondition(dy.count == y.count, "sigmoidBackward: \(dy.count) gradients for \(y.count) outputs")
        return (0..<y.count).map { dy[$0] * y[$0] * (1 - y[$0]) }
    }

    /// y[n, c, i] = x[n, c, i] · s[n, c], with x [N, C, HW] flattened and s [N, C].
    public static func scalePerChannel(_ x: [Float], scale s: [Float], planes: Int, planeSize: Int) -> [Float] {
        precondition(x.count == planes * planeSize && s.count == planes, "scalePerChannel: shapes disagree")
        var y = [Float](repeating: 0, count: x.count)
        for plane in 0..<planes {
            let factor = s[plane], base = plane * planeSize
            for i in base..<(base + planeSize) { y[i] = x[i] * factor }
        }
        return y
    }

    /// dx[n, c, i] = dy[n, c, i] · s[n, c]; ds[n, c] = Σ_i dy[n, c, i] · x[n, c, i].
    public static func scalePerChannelBackward(
        outputGradient dy: [Float], input x: [Float], scale s: [Float], planes: Int, planeSize: Int
    ) -> (input: [Float], scale: [Float]) {
        precondition(dy.count == x.count && x.count == planes * planeSize && s.count == planes, "scalePerChannelBackward: shapes disagree")
        var dx = [Float](repeating: 0, count: x.count)
        var ds = [Float](repeating: 0, count: planes)
        for plane in 0..<planes {
            let factor = s[plane], base = plane * planeSize
            var sum: Double = 0
            for i in base..<(base + planeSize) {
                dx[i] = dy[i] * factor
                sum += Double(dy[i]) * Double(x[i])
            }
            ds[plane] = Float(sum)
        }
        return (dx, ds)
    }
}

extension Float {
    /// e^self, without Foundation.
    var exponential: Float {
        #if canImport(Glibc)
        return Glibc.expf(self)
        #else
        return Darwin.expf(self)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
