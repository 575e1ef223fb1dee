import Foundation

/// Branch-free elementary functions for hot loops, so that the compiler can vectorise them.
enum FastMath {
    /// 10·log10(x) for positive, finite x, via a Cephes-style `logf` (mantissa in [√½, √2), degree-9
    /// polynomial). Relative error of ln about 1e-7, so below 2e-5 dB over the range of float;
    /// other inputs (zero, subnormal, negative, inf, NaN) fall back to Foundation.
    @inline(__always)
    static func decibels(_ x: Float) -> Float {
        guard x.isNormal, x > 0 else { return 10 * log10(x) }
        return naturalLog(x) * decibelsPerNeper
    }

    /// 10 / ln 10: dB per neper of power.
    static let decibelsPerNeper: Float = 4.342_944_819_032_518

    /// ln(x) for positive normal x (no checks).
    @inline(__always)
    static func naturalLog(_ value: Float) -> Float {
        let bits = value.bitPattern
        var exponent = Float(Int32(bitPattern: (bits >> 23) & 0xff) - 126)
        // Mantissa scaled into [0.5, 1).
        var x = Float(bitPattern: (bits & 0x807f_ffff) | 0x3f00_0000)
        let small = x < 0.707_106_781_186_547_524
        exponent = small ? exponent - 1 : exponent
        x = small ? x + x - 1 : x - 1
        let z = x * x
        var y: Float = 7.037_683_629_2e-2
        y = y * x - 1.151_461_031_0e-1
        y = y * x + 1.167_699_874_0e-1
        y = y * x - 1.242_014_084_6e-1
        y = y * x + 1.424_932_278_7e-1
        y = y * x - 1.666_805_766_5e-1
        y = y * x + 2.000_071_476_5e-1
        y = y * x - 2.499_999_399_3e-1
        y = y * x + 3.333_333_117_4e-1
        y = y * x * z
        y += -2.121_944_400_546_905_827_679e-4 * exponent
        y += -0.5 * z
        return x + y + 0.693_359_375 * exponent
    }
}
