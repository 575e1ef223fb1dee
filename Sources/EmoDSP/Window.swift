import Foundation

/// Analysis windows, periodic ("DFT-even") as `scipy.signal.get_window(name, N, fftbins=True)`.
///
/// Coefficients are computed in Double and stored as Float. For length N, index i = 0..N-1:
/// - hann: 0.5 − 0.5·cos(2πi/N)
/// - hamming: 0.54 − 0.46·cos(2πi/N)
/// - blackman: 0.42 − 0.5·cos(2πi/N) + 0.08·cos(4πi/N)
/// - rectangular: 1
public enum WindowFunction: String, Sendable, Hashable, CaseIterable {
    case hann
    case hamming
    case blackman
    case rectangular

    /// The periodic window of `length` samples (`length` ≥ 1).
    public func coefficients(length: Int) -> [Float] {
        precondition(length >= 1, "window length must be at least 1")
        let n = Double(length)
        return (0..<length).map { i in
            let x = 2 * Double.pi * Double(i) / n
            let value: Double =
                switch self {
                case .hann: 0.5 - 0.5 * cos(x)
                case .hamming: 0.54 - 0.46 * cos(x)
                case .blackman: 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x)
                case .rectangular: 1
                }
            return Float(value)
        }
    }

    /// The window of `length` samples zero-padded to `fftSize`, centred as `librosa.util.pad_center`:
    /// `(fftSize − length) / 2` zeros before (rounded down), the rest after. Requires length ≤ fftSize.
    public func padded(length: Int, fftSize: Int) -> [Float] {
        precondition(length <= fftSize, "window length must not exceed the FFT size")
        var result = [Float](repeating: 0, count: fftSize)
        let offset = (fftSize - length) / 2
        let w = coefficients(length: length)
        for i in 0..<length { result[offset + i] = w[i] }
        return result
    }
}
