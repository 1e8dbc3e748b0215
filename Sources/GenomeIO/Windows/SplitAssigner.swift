import Basics

/// Assigns train/val/test as a pure function of (seed, contig, position): independent of thread
/// count, input order, and of other inputs being added.
public struct SplitAssigner: Sendable {
    public let spec: SplitSpec
    public let seed: UInt64

    public init(spec: SplitSpec, seed: UInt64) { self.spec = spec; self.seed = seed }

    /// Split of the block holding `position` (hashed mode) or of the contig (contig-list mode).
    @inline(__always)
    public func split(contig: String, contigHash: UInt64, position: Int) -> Split {
        switch spec {
        case .contigs(let val, let test):
            return test.contains(contig) ? .test : (val.contains(contig) ? .val : .train)
        case .hashed(let val, let test, let block):
            if val == 0 && test == 0 { return .train }
            var h = SplitMix64.mix(seed ^ 0x243F_6A88_85A3_08D3)
            h = SplitMix64.mix(h ^ contigHash)
            h = SplitMix64.mix(h ^ UInt64(position / block))
            let u = StableHash.unit(h)
            if u < test { return .test }
            if u < test + val { return .val }
            return .train
        }
    }

    /// Split of the window `[start, end)`, or nil when it crosses into another split's territory.
    public func split(contig: String, contigHash: UInt64, start: Int, end: Int) -> Split? {
        let s = split(contig: contig, contigHash: contigHash, position: start)
        guard case .hashed(_, _, let block) = spec else { return s }
        var b = (start / block + 1) * block
        while b < end {
            if split(contig: contig, contigHash: contigHash, position: b) != s { return nil }
            b += block
        }
        return s
    }
}
