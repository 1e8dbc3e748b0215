import Basics

/// One sample of an epoch's order: which source (shard folder), which shard, which sample in it, and
/// `visit`, the number of the shard visit it belongs to (a source that is sampled more than once per
/// epoch visits its shards again; each visit is loaded and released on its own).
public struct SampleRef: Sendable, Equatable {
    public var source: Int
    public var shard: Int
    public var local: Int
    public var visit: Int
}

/// What a source looks like to the planner: the sample count of each shard, and its mixing weight.
public struct PlanSource: Sendable {
    public var shardSamples: [Int]
    public var weight: Double
    public init(shardSamples: [Int], weight: Double) { self.shardSamples = shardSamples; self.weight = weight }
    var samples: Int { shardSamples.reduce(0, +) }
}

/// The order of one epoch, a pure function of (sources, seed, epoch, shuffle buffer size): nothing in it
/// depends on threads or timing, so the same seed gives the same batches whatever the worker count, and a
/// resumed loader recomputes the order and skips what was consumed (as MosaicML Streaming does; this
/// costs a few integers per skipped sample, never data).
///
/// 1. Each source's shards are visited in an order shuffled per epoch; samples follow shard order.
/// 2. Sources are blended by weight: the epoch has as many samples as all sources hold together, source i
///    contributing round(N * w_i / sum w) of them (cycling through its shards again when that is more
///    than it holds), interleaved by always taking from the source with the greatest sampling error
///    (Megatron's BlendedDataset rule), ties to the lower index.
/// 3. The blended stream goes through a shuffle buffer of `bufferSize` samples (a uniform random slot is
///    emitted and refilled), as webdataset and tf.data shuffle a stream in bounded memory.
///
/// `next()` also reports the visits whose last sample has just been emitted (`released`), so a loader
/// can drop shards it no longer needs.
public struct EpochPlan: Sendable {
    public let sources: [PlanSource]
    public let epoch: Int
    public let total: Int
    let quota: [Int]
    let weightShare: [Double]
    var taken: [Int]
    var cursors: [Cursor]
    var buffer: [SampleRef] = []
    let bufferSize: Int
    var rng: SplitMix64
    var remaining: [Int: Int] = [:]
    var nextVisit = 0
    public private(set) var emitted = 0
    /// Visits opened so far (numbered 0, 1, ...).
    public var visitsOpened: Int { nextVisit }
    /// Visits whose first sample has entered the shuffle buffer, in order (a loader may prefetch them).
    public private(set) var opened: [Int: (source: Int, shard: Int)] = [:]

    struct Cursor: Sendable {
        var order: [Int] = []
        var position = 0          // index into order
        var local = 0             // sample within the current shard
        var visit = -1
        var cycle = 0
    }

    public init(sources: [PlanSource], seed: UInt64, epoch: Int, bufferSize: Int) {
        precondition(!sources.isEmpty, "a plan needs at least one source")
        self.sources = sources
        self.epoch = epoch
        self.bufferSize = max(1, bufferSize)
        let sizes = sources.map(\.samples)
        let n = sizes.reduce(0, +)
        let wsum = sources.map(\.weight).reduce(0, +)
        weightShare = sources.map { $0.weight / wsum }
        var q = weightShare.map { Int(($0 * Double(n)).rounded()) }
        for i in q.indices where sizes[i] == 0 { q[i] = 0 }
        quota = q
        total = q.reduce(0, +)
        taken = Array(repeating: 0, count: sources.count)
        rng = SplitMix64(seed: SplitMix64.mix(seed ^ 0x4C4F_4144_4552 ^ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        cursors = Array(repeating: Cursor(), count: sources.count)
        for i in sources.indices { cursors[i].order = shuffledShards(source: i, cycle: 0) }
    }

    /// The shard order of source `i` on its `cycle`-th pass this epoch.
    func shuffledShards(source i: Int, cycle: Int) -> [Int] {
        var g = SplitMix64(seed: SplitMix64.mix(rng.state ^ UInt64(i + 1) &* 0xD6E8_FEB8_6659_FD93 ^ UInt64(cycle) << 32))
        var order = Array(sources[i].shardSamples.indices.filter { sources[i].shardSamples[$0] > 0 })
        if order.count > 1 {
            for k in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(k, Int(g.below(UInt64(k + 1)))) }
        }
        return order
    }

    /// The next sample of the blended stream (before the shuffle buffer), or nil when every quota is met.
    mutating func pull() -> SampleRef? {
        let t = Double(taken.reduce(0, +) + 1)
        var best = -1
        var bestError = -Double.infinity
        for i in sources.indices where taken[i] < quota[i] {
            let e = weightShare[i] * t - Double(taken[i])
            if e > bestError { bestError = e; best = i }
        }
        guard best >= 0 else { return nil }
        taken[best] += 1
        var c = cursors[best]
        if c.visit < 0 || c.local >= sources[best].shardSamples[c.order[c.position]] {
            if c.visit >= 0 { c.position += 1; c.local = 0 }
            if c.position >= c.order.count { c.cycle += 1; c.order = shuffledShards(source: best, cycle: c.cycle); c.position = 0 }
            c.visit = nextVisit
            nextVisit += 1
            let shard = c.order[c.position]
            // Samples of this visit that the epoch will take: the rest of the shard or what is left of the quota.
            remaining[c.visit] = min(sources[best].shardSamples[shard], quota[best] - taken[best] + 1)
            opened[c.visit] = (best, shard)
        }
        let ref = SampleRef(source: best, shard: c.order[c.position], local: c.local, visit: c.visit)
        c.local += 1
        cursors[best] = c
        return ref
    }

    /// The next sample of the epoch and the visits it completes, or nil at the end of the epoch.
    public mutating func next() -> (ref: SampleRef, released: Int?)? {
        while buffer.count < bufferSize, let r = pull() { buffer.append(r) }
        guard !buffer.isEmpty else { return nil }
        let k = Int(rng.below(UInt64(buffer.count)))
        let ref = buffer[k]
        if let r = pull() { buffer[k] = r } else { buffer.swapAt(k, buffer.count - 1); buffer.removeLast() }
        emitted += 1
        var released: Int? = nil
        if let left = remaining[ref.visit] {
            if left <= 1 { remaining[ref.visit] = nil; opened[ref.visit] = nil; released = ref.visit }
            else { remaining[ref.visit] = left - 1 }
        }
        return (ref, released)
    }
}
