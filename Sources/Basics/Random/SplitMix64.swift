/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, seedable generator. Every random choice in
/// GenomePrep takes one of these, seeded explicitly, so runs are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 finaliser: a bijective 64-bit mixer.
    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's method).
    @inline(__always)
    public mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }
}

/// Stable hashes (never Swift's per-process randomised `Hasher`), so values are the same on every run.
public enum StableHash {
    /// FNV-1a, 64-bit, over UTF-8 bytes.
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// Hash of (seed, contig, position, salt) mixed to 64 uniform bits.
    public static func key(seed: UInt64, contig: String, position: Int, salt: UInt64 = 0) -> UInt64 {
        var h = SplitMix64.mix(seed ^ 0x5DEE_CE66_D1CE_4E5B)
        h = SplitMix64.mix(h ^ fnv1a(contig))
        h = SplitMix64.mix(h ^ UInt64(bitPattern: Int64(position)))
        return SplitMix64.mix(h ^ salt)
    }

    /// Maps 64 hash bits to [0, 1) with 53 bits of precision.
    public static func unit(_ h: UInt64) -> Double { Double(h >> 11) * 0x1.0p-53 }
}
