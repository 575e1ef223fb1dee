/// A small, fast, platform-stable random generator (SplitMix64).
///
/// Seeds come from ``SeededRandom/seed(_:)``, an FNV-1a hash of strings and numbers, never from
/// Swift's `hashValue` (randomised per process), so that every draw can be regenerated exactly.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator with this seed.
    public init(seed: UInt64) { state = seed }

    /// A generator seeded from the hash of these parts (run seed, epoch, item id, node id, …).
    public init(parts: [String]) { state = Self.seed(parts) }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Float in [0, 1).
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// A uniform integer in `range` (inclusive), e.g. a mask width drawn from U(0, F).
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// FNV-1a 64-bit over the UTF-8 of each part, with a separator byte between parts.
    public static func seed(_ parts: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for part in parts {
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0x1F
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
