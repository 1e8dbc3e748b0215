import Basics

/// Applies a masking strategy to one row of a batch in place. The row's `tokens` (unmasked ids, padded),
/// `attention` and, for the PMI strategies, `ranks` are filled; the masker writes `ids`, `labels`,
/// `positions` and the index sets. Every random draw comes from the row's own generator, seeded from
/// (seed, epoch, position in the epoch's order), so the result never depends on which worker ran it.
/// A masker owns scratch buffers of one row (allocated once); give each worker its own (`copy()`).
public final class Masker: @unchecked Sendable {
    public let settings: MaskingSettings
    public let vocabSize: Int
    public let maskID: Int32
    public let padID: Int32
    /// 1 for ids that may be selected, 0 for specials (pad, unk, cls, sep, mask): and-ed with attention,
    /// branch-free where it matters.
    let open: UnsafeMutablePointer<UInt8>
    let length: Int
    let selected: UnsafeMutablePointer<Bool>
    let order: UnsafeMutablePointer<Int32>
    let centres: UnsafeMutablePointer<Int32>
    let scratch: UnsafeMutablePointer<Int32>
    let specialIDs: [Int]
    let bert: Bernoulli, kspanDraw: Bernoulli, genemaskDraw: Bernoulli, globalPMIDraw: Bernoulli
    /// The 80/10/10 split as thresholds on one 64-bit draw: [MASK] below the first, a random id below the
    /// second, else kept.
    let maskBelow: Bernoulli, changeBelow: Bernoulli

    public init(settings: MaskingSettings, vocabSize: Int, maskID: Int, padID: Int, specialIDs: [Int], length: Int) {
        self.settings = settings
        self.vocabSize = vocabSize
        self.maskID = Int32(maskID)
        self.padID = Int32(padID)
        self.specialIDs = specialIDs
        open = .allocate(capacity: vocabSize)
        open.initialize(repeating: 1, count: vocabSize)
        for i in specialIDs where i >= 0 && i < vocabSize { open[i] = 0 }
        self.length = length
        selected = .allocate(capacity: length); selected.initialize(repeating: false, count: length)
        order = .allocate(capacity: length); order.initialize(repeating: 0, count: length)
        centres = .allocate(capacity: length); centres.initialize(repeating: 0, count: length)
        scratch = .allocate(capacity: length); scratch.initialize(repeating: 0, count: length)
        bert = Bernoulli(settings.bertRate); kspanDraw = Bernoulli(settings.kspanRate)
        genemaskDraw = Bernoulli(settings.genemaskRate); globalPMIDraw = Bernoulli(settings.globalPMIRate)
        maskBelow = Bernoulli(settings.maskFraction); changeBelow = Bernoulli(settings.maskFraction + settings.randomFraction)
    }

    deinit {
        open.deallocate(); selected.deallocate(); order.deallocate(); centres.deallocate(); scratch.deallocate()
    }

    /// Another masker with the same settings and its own buffers (one per worker).
    public func copy() -> Masker {
        Masker(settings: settings, vocabSize: vocabSize, maskID: Int(maskID), padID: Int(padID), specialIDs: specialIDs, length: length)
    }

    /// The positions selected by the last `apply` or geometry call (for tests and tools).
    var selectedPositions: [Int] { (0..<length).filter { selected[$0] } }

    /// Views of one row's arrays.
    public struct Row {
        public var tokens: UnsafeMutablePointer<Int32>
        public var ranks: UnsafeMutablePointer<UInt16>
        public var attention: UnsafeMutablePointer<UInt8>
        public var ids: UnsafeMutablePointer<Int32>
        public var labels: UnsafeMutablePointer<Int32>
        public var positions: UnsafeMutablePointer<Int32>
        public var visibleIndex: UnsafeMutablePointer<Int32>
        public var maskedIndex: UnsafeMutablePointer<Int32>
        public var visibleCount: Int32 = 0
        public var maskedCount: Int32 = 0
        /// Set when every position is a real, non-special token (the loader knows from decoding).
        public var allEligible = false
    }

    @inline(__always)
    func eligible(_ r: Row, _ i: Int) -> Bool { r.attention[i] & open[Int(r.tokens[i])] != 0 }

    /// Applies `strategy` (one of the per-row strategies: not `cm-step` or `cm-gems`, which pick one of
    /// these per batch).
    public func apply(_ strategy: MaskingStrategy, to r: inout Row, rng: inout SplitMix64) {
        r.ids.update(from: r.tokens, count: length)
        r.labels.update(repeating: -100, count: length)
        for i in 0..<length { r.positions[i] = Int32(truncatingIfNeeded: i) }
        selected.update(repeating: false, count: length)
        if strategy == .bert { return bertFused(&r, rng: &rng) }
        r.visibleCount = 0; r.maskedCount = 0
        // The real-token range [lo, hi]: spans are clipped to it (A.4).
        var lo = -1, hi = -1
        for i in 0..<length where eligible(r, i) { if lo < 0 { lo = i }; hi = i }
        guard lo >= 0 else { return }
        switch strategy {
        case .bert:
            for i in lo...hi where eligible(r, i) && bert.draw(&rng) { selected[i] = true }
            corrupt(&r, rng: &rng)
        case .kspan:
            var n = 0
            for c in lo...hi where eligible(r, c) && kspanDraw.draw(&rng) { centres[n] = Int32(c); n += 1 }
            kspanSpans(centres: n, lo: lo, hi: hi)
            corrupt(&r, rng: &rng)
        case .genemask:
            genemask(&r, lo, hi, rng: &rng)
            corrupt(&r, rng: &rng)
        case .globalPMI:
            globalPMI(&r, lo, hi, rng: &rng)
            corrupt(&r, rng: &rng)
        case .hadGroup:
            hadGroups(&r, rng: &rng)
        case .mae:
            mae(&r, rng: &rng)
        case .cmStep, .cmGems, .findna:
            preconditionFailure("\(strategy) is not a per-row token masking (curricula pick one per batch; FinDNA builds float views)")
        }
    }

    /// BERT in one pass (the hot path of the common case). Selection takes 16 random bits per position
    /// (four positions per 64-bit draw; the rate is rounded to a multiple of 1/65536, 0.15 -> 0.149994) and
    /// is gathered into a 64-position bit mask without branches; then each selected position draws its
    /// 80/10/10 fate. `selected` is left unused.
    func bertFused(_ r: inout Row, rng: inout SplitMix64) {
        let tokens = r.tokens, att = r.attention, ids = r.ids, labels = r.labels
        let thr = UInt64((min(max(settings.bertRate, 0), 1) * 65536).rounded())
        let open = self.open
        var g = rng
        var i = 0
        while i < length {
            let n = min(64, length - i)
            var bits: UInt64 = 0
            var k = 0
            // Four positions per draw: 16 bits each against the threshold, and-ed with eligibility.
            if r.allEligible {
                while k + 4 <= n {
                    let x = g.next()
                    let s0 = UInt64((x & 0xFFFF) < thr ? 1 : 0), s1 = UInt64(((x &>> 16) & 0xFFFF) < thr ? 1 : 0)
                    let s2 = UInt64(((x &>> 32) & 0xFFFF) < thr ? 1 : 0), s3 = UInt64((x &>> 48) < thr ? 1 : 0)
                    bits |= (s0 | s1 &<< 1 | s2 &<< 2 | s3 &<< 3) &<< UInt64(k)
                    k += 4
                }
            }
            while k + 4 <= n {
                let x = g.next()
                let p = i + k
                let e0 = UInt64(open[Int(tokens[p])] & att[p]), e1 = UInt64(open[Int(tokens[p + 1])] & att[p + 1])
                let e2 = UInt64(open[Int(tokens[p + 2])] & att[p + 2]), e3 = UInt64(open[Int(tokens[p + 3])] & att[p + 3])
                let s0 = UInt64((x & 0xFFFF) < thr ? 1 : 0) & e0
                let s1 = UInt64(((x &>> 16) & 0xFFFF) < thr ? 1 : 0) & e1
                let s2 = UInt64(((x &>> 32) & 0xFFFF) < thr ? 1 : 0) & e2
                let s3 = UInt64((x &>> 48) < thr ? 1 : 0) & e3
                bits |= (s0 | s1 &<< 1 | s2 &<< 2 | s3 &<< 3) &<< UInt64(k)
                k += 4
            }
            if k < n {
                let x = g.next()
                for lane in 0..<(n - k) {
                    let p = i + k + lane
                    let v = (x &>> UInt64(16 * lane)) & 0xFFFF
                    bits |= (UInt64(v < thr ? 1 : 0) & UInt64(open[Int(tokens[p])] & att[p])) &<< UInt64(k + lane)
                }
            }
            while bits != 0 {
                let p = i + bits.trailingZeroBitCount
                bits &= bits &- 1
                labels[p] = tokens[p]
                ids[p] = corrupted(tokens[p], &g)
            }
            i += 64
        }
        rng = g
    }

    /// DNABERT's span for overlapping 6-mers (A.4.1): offsets -2...+3 around each of the first `n` centres,
    /// which hides one nucleotide completely.
    func kspanSpans(centres n: Int, lo: Int, hi: Int) {
        for k in 0..<n { let c = Int(centres[k]); span(c - 2, c + 3, lo, hi) }
    }

    /// Marks the positions of [a, b] clipped to [lo, hi] (specials inside are dropped by `corrupt`).
    @inline(__always)
    func span(_ a: Int, _ b: Int, _ lo: Int, _ hi: Int) {
        let s = max(a, lo), e = min(b, hi)
        if s <= e { for i in s...e { selected[i] = true } }
    }

    /// 80% [MASK], 10% a random id from the whole vocabulary (as Hugging Face's collator and the seed code
    /// do, A.5), 10% kept; never a special or padding position.
    func corrupt(_ r: inout Row, rng: inout SplitMix64) {
        for i in 0..<length where selected[i] {
            guard eligible(r, i) else { selected[i] = false; continue }
            r.labels[i] = r.tokens[i]
            r.ids[i] = corrupted(r.tokens[i], &rng)
        }
    }

    /// What a target becomes: one draw decides [MASK], a random id, or the token itself.
    @inline(__always)
    func corrupted(_ token: Int32, _ g: inout SplitMix64) -> Int32 {
        let u = g.next()
        if maskBelow.always || u < maskBelow.threshold { return maskID }
        if changeBelow.always || u < changeBelow.threshold { return Int32(g.below(UInt64(vocabSize))) }
        return token
    }

    /// GeneMask (A.4.2): centres drawn with rate q, then ``genemaskSpans``.
    func genemask(_ r: inout Row, _ lo: Int, _ hi: Int, rng: inout SplitMix64) {
        var n = 0
        for c in lo...hi where eligible(r, c) && genemaskDraw.draw(&rng) { centres[n] = Int32(c); n += 1 }
        genemaskSpans(centres: n, ranks: r.ranks, lo: lo, hi: hi)
    }

    /// GeneMask's geometry for the first `n` entries of `centres` (ascending positions): each centre masks
    /// c-2...c+3; p(c) is the position of the lowest rank in that window (the centre itself on a tie, then
    /// the leftmost); when h = ceil(n/2) >= 5 the centres are sorted by (rank(p(c)), c) and the first h
    /// kept (sort-then-cut, fixing CM-GEMS's cut-then-sort, defect A.7.2), else all are kept; each kept
    /// centre also masks p-5...p+5. Ranks are of the k-mer at each position (defect A.7.1 fixed).
    func genemaskSpans(centres n: Int, ranks: UnsafePointer<UInt16>, lo: Int, hi: Int) {
        guard n > 0 else { return }
        for k in 0..<n {
            let c = Int(centres[k])
            span(c - 2, c + 3, lo, hi)
            var best = c, bestRank = ranks[c]
            for i in max(c - 2, lo)...min(c + 3, hi) where ranks[i] < bestRank { best = i; bestRank = ranks[i] }
            order[k] = Int32(best)
        }
        let h = (n + 1) / 2
        var chosen = n
        if h >= 5 {
            // Sort (p(c), c) pairs by rank of p(c), then by centre: order[] holds p(c), centres[] holds c.
            let cs = centres, ps = order
            for k in 0..<n { scratch[k] = Int32(k) }
            var idx = UnsafeMutableBufferPointer(start: scratch, count: n)
            idx.sort { a, b in
                let ra = ranks[Int(ps[Int(a)])], rb = ranks[Int(ps[Int(b)])]
                return ra != rb ? ra < rb : cs[Int(a)] < cs[Int(b)]
            }
            // order[] is overwritten while read through ps (the same buffer): copy the picks first.
            for k in 0..<h { centres[k] = ps[Int(scratch[k])] }
            for k in 0..<h { order[k] = centres[k] }
            chosen = h
        }
        for k in 0..<chosen { let p = Int(order[k]); span(p - 5, p + 5, lo, hi) }
    }

    /// Global-PMI (A.4.3): k counts Bernoulli(q) successes over the E real positions (only the count is
    /// used), then ``globalPMISpans``.
    func globalPMI(_ r: inout Row, _ lo: Int, _ hi: Int, rng: inout SplitMix64) {
        var k = 0
        for i in lo...hi where eligible(r, i) && globalPMIDraw.draw(&rng) { k += 1 }
        globalPMISpans(k: k, row: r, lo: lo, hi: hi)
    }

    /// The k eligible positions with the lowest (rank, position) are centres of p-5...p+5 spans.
    func globalPMISpans(k: Int, row r: Row, lo: Int, hi: Int) {
        guard k > 0 else { return }
        var e = 0
        for i in lo...hi where eligible(r, i) { order[e] = Int32(i); e += 1 }
        let ranks = r.ranks
        var all = UnsafeMutableBufferPointer(start: order, count: e)
        all.sort { (a: Int32, b: Int32) -> Bool in
            let ra = ranks[Int(a)], rb = ranks[Int(b)]
            return ra != rb ? ra < rb : a < b
        }
        for j in 0..<min(k, e) { let p = Int(order[j]); span(p - 5, p + 5, lo, hi) }
    }

    /// HAD grouping (C.2): the window's positions cut into non-overlapping groups of `groupSize` bases
    /// from position 0; each group is masked whole with probability `groupRate`. Masked bases become
    /// [MASK] (the paper's corruption split is unknown). Fills the visible and masked index sets.
    func hadGroups(_ r: inout Row, rng: inout SplitMix64) {
        let g = max(1, settings.groupSize)
        var start = 0
        while start < length {
            let take = rng.unit() < settings.groupRate
            for i in start..<min(start + g, length) where take && eligible(r, i) { selected[i] = true }
            start += g
        }
        for i in 0..<length where r.attention[i] != 0 {
            if selected[i] {
                r.labels[i] = r.tokens[i]; r.ids[i] = maskID
                r.maskedIndex[Int(r.maskedCount)] = Int32(i); r.maskedCount += 1
            } else {
                r.visibleIndex[Int(r.visibleCount)] = Int32(i); r.visibleCount += 1
            }
        }
    }

    /// BarcodeMAE (D.2): exactly round(rate * E) of the E eligible tokens are hidden (chosen by a partial
    /// Fisher-Yates shuffle); the visible ones (including [UNK]) are packed left in `ids` with their
    /// original positions, the rest of the row is padding. `labels` keep the original layout.
    func mae(_ r: inout Row, rng: inout SplitMix64) {
        var e = 0
        for i in 0..<length where eligible(r, i) { order[e] = Int32(i); e += 1 }
        let hide = Int((settings.maeRate * Double(e)).rounded())
        for j in 0..<hide {
            let k = j + Int(rng.below(UInt64(e - j)))
            let t = order[j]; order[j] = order[k]; order[k] = t
            selected[Int(order[j])] = true
        }
        var v = 0
        for i in 0..<length where r.attention[i] != 0 {
            if selected[i] {
                r.labels[i] = r.tokens[i]
                r.maskedIndex[Int(r.maskedCount)] = Int32(i); r.maskedCount += 1
            } else {
                r.visibleIndex[v] = Int32(i); v += 1
            }
        }
        r.visibleCount = Int32(v)
        for j in 0..<length {
            if j < v { r.ids[j] = r.tokens[Int(r.visibleIndex[j])]; r.positions[j] = r.visibleIndex[j] }
            else { r.ids[j] = padID; r.positions[j] = 0 }
        }
        // The packed row's attention: the first v columns.
        for j in 0..<length { r.attention[j] = j < v ? 1 : 0 }
    }
}

/// A Bernoulli(p) draw as one comparison of 64 random bits against p * 2^64 (p >= 1: always).
struct Bernoulli: Sendable {
    let always: Bool
    let threshold: UInt64
    init(_ p: Double) {
        always = p >= 1
        threshold = p <= 0 || p >= 1 ? 0 : UInt64(p * 18_446_744_073_709_551_616.0)
    }
    @inline(__always)
    func draw(_ g: inout SplitMix64) -> Bool { always || g.next() < threshold }
}

extension SplitMix64 {
    /// A uniform double in [0, 1) with 53 bits.
    @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
