/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast generator whose output depends only on its
/// 64-bit state, so sequences are identical on every run and platform.
///
/// Seed it per (run seed, epoch, item id, node id) with `init(runSeed:epoch:itemID:nodeID:)`, which
/// hashes those with FNV-1a 64 (never Swift's `hashValue`, which is randomised per process).
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// Current state.
    public private(set) var state: UInt64

    /// Starts from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Starts from FNV-1a 64 of (runSeed as 8 little-endian bytes, epoch as 8 little-endian bytes,
    /// the UTF-8 of itemID, a 0 byte, the UTF-8 of nodeID).
    public init(runSeed: UInt64, epoch: Int, itemID: String, nodeID: String) {
        var hash = FNV1a64()
        hash.combine(runSeed)
        hash.combine(UInt64(bitPattern: Int64(epoch)))
        hash.combine(itemID)
        hash.combine(byte: 0)
        hash.combine(nodeID)
        state = hash.value
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `range` (closed), by multiply-shift with rejection (Lemire), defined here so
    /// that results do not depend on the standard library's algorithm.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
        if span == 0 { return Int(bitPattern: UInt(next())) }
        var product = next().multipliedFullWidth(by: span)
        if product.low < span {
            let threshold = (0 &- span) % span
            while product.low < threshold { product = next().multipliedFullWidth(by: span) }
        }
        return range.lowerBound &+ Int(bitPattern: UInt(product.high))
    }
}

/// FNV-1a, 64-bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3.
public struct FNV1a64: Sendable, Hashable {
    /// The hash so far.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// An empty hash.
    public init() {}

    /// Mixes one byte.
    public mutating func combine(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// Mixes 8 little-endian bytes.
    public mutating func combine(_ word: UInt64) {
        for i in 0..<8 { combine(byte: UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
    }

    /// Mixes the UTF-8 bytes of a string.
    public mutating func combine(_ string: String) {
        for byte in string.utf8 { combine(byte: byte) }
    }

    /// FNV-1a 64 of a string's UTF-8 bytes.
    public static func hash(_ string: String) -> UInt64 {
        var h = FNV1a64()
        h.combine(string)
        return h.value
    }
}
