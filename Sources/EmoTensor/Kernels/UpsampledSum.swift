import CEmoKernels

extension Kernels {
    /// mean over H×W of ReLU(maps[0] + Σᵢ upsample(maps[i])), without materialising the sum.
    /// maps[0] [N, C, H, W], maps[i] [N, C, Hᵢ, Wᵢ] (upsampled to H × W, PyTorch `bilinear` with
    /// align_corners=False or `nearest`) → [N, C]
    ///
    /// This is the tail of HRNet's fuse layer at inference when its 1×1 convolution is applied to
    /// each branch before upsampling (1×1 convolutions and upsampling commute): one read of the
    /// full-resolution map instead of writing and reading an upsampled, concatenated tensor. The
    /// planes run in C (`emo_upsampled_sum_relu_mean`, AVX-512 where the CPU has it; `portable`
    /// forces the plain-C loops, for tests).
    public static func upsampledSumReluMean(_ maps: [Tensor], bilinear: Bool, portable: Bool = false) -> Tensor {
        precondition(!maps.isEmpty, "upsampledSumReluMean: no maps")
        let (n, c, height, width) = maps[0].nchw
        for map in maps {
            precondition(map.shape.count == 4 && map.shape[0] == n && map.shape[1] == c,
                         "upsampledSumReluMean: map \(map.shape) does not match [\(n), \(c), …]")
        }
        let low = Array(maps.dropFirst())
        // Every low-resolution map's tables in two arrays: the source indices (row lows, row
        // highs, column lows, column highs, each section map after map) and the weights (rows,
        // then columns).
        let rowCount = low.count * height, columnCount = low.count * width
        var indices = [Int32](repeating: 0, count: 2 * (rowCount + columnCount))
        var weights = [Float](repeating: 0, count: rowCount + columnCount)
        for (m, map) in low.enumerated() {
            let (_, _, h, w) = map.nchw
            let rows = bilinear ? AxisMap.bilinear(input: h, output: height) : AxisMap.nearest(input: h, output: height)
            let columns = bilinear ? AxisMap.bilinear(input: w, output: width) : AxisMap.nearest(input: w, output: width)
            for i in 0..<height {
                indices[m * height + i] = Int32(rows.low[i])
                indices[rowCount + m * height + i] = Int32(rows.high[i])
                weights[m * height + i] = rows.highWeight[i]
            }
            for j in 0..<width {
                indices[2 * rowCount + m * width + j] = Int32(columns.low[j])
                indices[2 * rowCount + columnCount + m * width + j] = Int32(columns.high[j])
                weights[rowCount + m * width + j] = columns.highWeight[j]
            }
        }
        let planeCount = height * width
        return Tensor(uninitializedShape: [n, c]) { out in
            let po = out.baseAddress!
            withPointers(maps) { pointers in
                indices.withUnsafeBufferPointer { indices in
                weights.withUnsafeBufferPointer { weights in
                    let index = indices.baseAddress!, weight = weights.baseAddress!
                    let tables = low.indices.map { m in
                        emo_resample_map(
                            planes: pointers[m + 1], height: Int32(low[m].shape[2]), width: Int32(low[m].shape[3]),
                            row_low: index + m * height, row_high: index + rowCount + m * height,
                            row_weight: weight + m * height,
                            column_low: index + 2 * rowCount + m * width,
                            column_high: index + 2 * rowCount + columnCount + m * width,
                            column_weight: weight + rowCount + m * width)
                    }
                    tables.withUnsafeBufferPointer { tables in
                        let scratchCount = emo_upsampled_sum_scratch_floats(Int32(width), Int32(low.count), tables.baseAddress)
                        parallelChunks(n * c, costPerItem: planeCount * (2 * maps.count + 1)) { start, end in
                            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
                            defer { scratch.deallocate() }
                            emo_upsampled_sum_relu_mean(
                                Int32(start), Int32(end), Int32(height), Int32(width), pointers[0], Int32(low.count),
                                tables.baseAddress, scratch, po, portable ? 1 : 0)
                        }
                    }
                }
                }
            }
        }
    }
}
