/// Source indices and weights for one axis of an upsampling (PyTorch conventions).
struct AxisMap {
    /// First source index per output position.
    var low: [Int]
    /// Second source index per output position (bilinear only; equals `low` at the edge).
    var high: [Int]
    /// Weight of `high` (the weight of `low` is 1 − this).
    var highWeight: [Float]

    /// PyTorch `nearest`: src = min(⌊dst · (in/out)⌋, in − 1), with the scale computed in Float
    /// as PyTorch does (`(float)in / out`), and the exact shortcuts for out == in and out == 2·in.
    static func nearest(input: Int, output: Int) -> AxisMap {
        let scale = Float(input) / Float(output)
        let low = (0..<output).map { destination -> Int in
            if output == input { return destination }
            if output == 2 * input { return destination >> 1 }
            return min(Int((Float(destination) * scale).rounded(.down)), input - 1)
        }
        return AxisMap(low: low, high: low, highWeight: [Float](repeating: 0, count: output))
    }

    /// PyTorch `bilinear`, align_corners=False: src = max(scale·(dst + 0.5) − 0.5, 0),
    /// low = ⌊src⌋, high = low + 1 unless low is the last index, weight(high) = src − low.
    static func bilinear(input: Int, output: Int) -> AxisMap {
        let scale = Float(input) / Float(output)
        var map = AxisMap(low: [], high: [], highWeight: [])
        for destination in 0..<output {
            let source = max(scale * (Float(destination) + 0.5) - 0.5, 0)
            let low = Int(source)
            let high = low + (low < input - 1 ? 1 : 0)
            map.low.append(low)
            map.high.append(high)
            map.highWeight.append(source - Float(low))
        }
        return map
    }
}

extension Kernels {
    /// Separable 2-D interpolation by row and column maps. x [N, C, H, W] → [N, C, Ho, Wo]
    ///
    /// Per plane: first every input row is resampled horizontally into a [H, Wo] buffer, then each
    /// output row blends two of those rows (a vectorisable loop), so the gathers run H·Wo times
    /// instead of 4·Ho·Wo.
    static func interpolate(_ x: Tensor, rows: AxisMap, columns: AxisMap) -> Tensor {
        let (n, c, h, w) = x.nchw
        let outH = rows.low.count, outW = columns.low.count
        return Tensor(uninitializedShape: [n, c, outH, outW]) { out in
            x.withUnsafeBufferPointer { px in
                let px = px.baseAddress!, po = out.baseAddress!
                parallelChunks(n * c, costPerItem: outH * outW * 2) { start, end in
                    var horizontal = [Float](repeating: 0, count: h * outW)
                    horizontal.withUnsafeMutableBufferPointer { buffer in
                        let temporary = buffer.baseAddress!
                        for item in start..<end {
                            let source = px + item * h * w, destination = po + item * outH * outW
                            for ih in 0..<h {
                                let row = source + ih * w, line = temporary + ih * outW
                                for ow in 0..<outW {
                                    let vh = columns.highWeight[ow]
                                    line[ow] = (1 - vh) * row[columns.low[ow]] + vh * row[columns.high[ow]]
                                }
                            }
                            for oh in 0..<outH {
                                let low = temporary + rows.low[oh] * outW, high = temporary + rows.high[oh] * outW
                                let wh = rows.highWeight[oh], wl = 1 - wh
                                let line = destination + oh * outW
                                if wh == 0 {
                                    line.update(from: low, count: outW)
                                } else {
                                    for ow in 0..<outW { line[ow] = wl * low[ow] + wh * high[ow] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adjoint of `interpolate` (vertical adjoint into a [H, Wo] buffer, then the horizontal
    /// scatter). dy [N, C, Ho, Wo] → dx [N, C, H, W]
    static func interpolateBackward(_ dy: Tensor, inputHeight h: Int, inputWidth w: Int, rows: AxisMap, columns: AxisMap) -> Tensor {
        let (n, c, outH, outW) = dy.nchw
        var dx = Tensor(zeros: [n, c, h, w])
        dy.withUnsafeBufferPointer { pg in
            dx.withUnsafeMutableBufferPointer { pd in
                let pg = pg.baseAddress!, pd = pd.baseAddress!
                parallelChunks(n * c, costPerItem: outH * outW * 2) { start, end in
                    var vertical = [Float](repeating: 0, count: h * outW)
                    vertical.withUnsafeMutableBufferPointer { buffer in
                        let temporary = buffer.baseAddress!
                        for item in start..<end {
                            let source = pg + item * outH * outW, destination = pd + item * h * w
                            temporary.update(repeating: 0, count: h * outW)
                            for oh in 0..<outH {
                                let low = temporary + rows.low[oh] * outW, high = temporary + rows.high[oh] * outW
                                let wh = rows.highWeight[oh], wl = 1 - wh
                                let line = source + oh * outW
                                for ow in 0..<outW { low[ow] += wl * line[ow] }
                                if wh != 0 { for ow in 0..<outW { high[ow] += wh * line[ow] } }
                            }
                            for ih in 0..<h {
                                let line = temporary + ih * outW, row = destination + ih * w
                                for ow in 0..<outW {
                                    let vh = columns.highWeight[ow], g = line[ow]
                                    row[columns.low[ow]] += (1 - vh) * g
                                    row[columns.high[ow]] += vh * g
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// Nearest-neighbour resize (PyTorch `F.interpolate(mode="nearest", size=…)`).
    /// x [N, C, H, W] → [N, C, height, width]
    public static func upsampleNearestForward(_ x: Tensor, toHeight height: Int, width: Int) -> Tensor {
        let (_, _, h, w) = x.nchw
        return interpolate(x, rows: .nearest(input: h, output: height), columns: .nearest(input: w, output: width))
    }

    /// Gradient of `upsampleNearestForward`. dy [N, C, Ho, Wo] → dx [N, C, H, W]
    public static func upsampleNearestBackward(_ dy: Tensor, inputHeight: Int, inputWidth: Int) -> Tensor {
        let (_, _, outH, outW) = dy.nchw
        return interpolateBackward(
            dy, inputHeight: inputHeight, inputWidth: inputWidth,
            rows: .nearest(input: inputHeight, output: outH), columns: .nearest(input: inputWidth, output: outW))
    }

    /// Bilinear resize, align_corners=False (PyTorch `F.interpolate(mode="bilinear", size=…)`).
    /// x [N, C, H, W] → [N, C, height, width]
    public static func upsampleBilinearForward(_ x: Tensor, toHeight height: Int, width: Int) -> Tensor {
        let (_, _, h, w) = x.nchw
        return interpolate(x, rows: .bilinear(input: h, output: height), columns: .bilinear(input: w, output: width))
    }

    /// Gradient of `upsampleBilinearForward`. dy [N, C, Ho, Wo] → dx [N, C, H, W]
    public static func upsampleBilinearBackward(_ dy: Tensor, inputHeight: Int, inputWidth: Int) -> Tensor {
        let (_, _, outH, outW) = dy.nchw
        return interpolateBackward(
            dy, inputHeight: inputHeight, inputWidth: inputWidth,
            rows: .bilinear(input: inputHeight, output: outH), columns: .bilinear(input: inputWidth, output: outW))
    }
}

extension ReferenceKernels {
    /// Nearest resize, written out from PyTorch's formula (exact integer arithmetic is *not* used on
    /// purpose: PyTorch computes ⌊dst · Float(in/out)⌋).
    public static func upsampleNearest(_ x: Tensor, toHeight height: Int, width: Int) -> Tensor {
        let (n, c, h, w) = x.nchw
        var y = Tensor(zeros: [n, c, height, width])
        let sh = Float(h) / Float(height), sw = Float(w) / Float(width)
        for plane in 0..<(n * c) {
            for oh in 0..<height {
                let ih = min(Int(Float(oh) * sh), h - 1)
                for ow in 0..<width {
                    let iw = min(Int(Float(ow) * sw), w - 1)
                    y.scalars[(plane * height + oh) * width + ow] = x.scalars[(plane * h + ih) * w + iw]
                }
            }
        }
        return y
    }

    /// Bilinear resize, align_corners=False, in Double.
    public static func upsampleBilinear(_ x: Tensor, toHeight height: Int, width: Int) -> Tensor {
        let (n, c, h, w) = x.nchw
        var y = Tensor(zeros: [n, c, height, width])
        func source(_ d: Int, _ input: Int, _ output: Int) -> (Int, Int, Double) {
            let s = max((Double(input) / Double(output)) * (Double(d) + 0.5) - 0.5, 0)
            let low = min(Int(s), input - 1)
            return (low, min(low + 1, input - 1), s - Double(low))
        }
        for plane in 0..<(n * c) {
            for oh in 0..<height {
                let (h0, h1, a) = source(oh, h, height)
                for ow in 0..<width {
                    let (w0, w1, b) = source(ow, w, width)
                    func v(_ i: Int, _ j: Int) -> Double { Double(x.scalars[(plane * h + i) * w + j]) }
                    let value = (1 - a) * ((1 - b) * v(h0, w0) + b * v(h0, w1)) + a * ((1 - b) * v(h1, w0) + b * v(h1, w1))
                    y.scalars[(plane * height + oh) * width + ow] = Float(value)
                }
            }
        }
        return y
    }
}

/// Nearest-neighbour resize to an exact size (PyTorch `F.interpolate(x, size=(height, width))`):
/// src = min(⌊dst · in/out⌋, in − 1). x [N, C, H, W] → [N, C, height, width]
public func upsampleNearest(_ x: Variable, toHeight height: Int, width: Int) -> Variable {
    let (_, _, h, w) = x.value.nchw
    let value = Kernels.upsampleNearestForward(x.value, toHeight: height, width: width)
    return x.tape.record(value, inputs: [x]) { gradient, _ in
        [Kernels.upsampleNearestBackward(gradient, inputHeight: h, inputWidth: w)]
    }
}

/// Bilinear resize to an exact size, align_corners=False (PyTorch
/// `F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False)`).
/// x [N, C, H, W] → [N, C, height, width]
public func upsampleBilinear(_ x: Variable, toHeight height: Int, width: Int) -> Variable {
    let (_, _, h, w) = x.value.nchw
    let value = Kernels.upsampleBilinearForward(x.value, toHeight: height, width: width)
    return x.tape.record(value, inputs: [x]) { gradient, _ in
        [Kernels.upsampleBilinearBackward(gradient, inputHeight: h, inputWidth: w)]
    }
}

func withPointers<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    func nest(_ index: Int, _ collected: [UnsafePointer<Float>]) -> R {
        if index == tensors.count { return body(collected) }
        return tensors[index].withUnsafeBufferPointer { nest(index + 1, collected + [$0.baseAddress!]) }
    }
    return nest(0, [])
}
