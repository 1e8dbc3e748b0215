import GenomeIO

/// A byte-pair-encoding tokenizer with Hugging Face `tokenizers` semantics (model `BPE`, no
/// dropout, no prefixes/suffixes, `fuse_unk` false): a window is one word, split into characters
/// (unknown characters become the unk token), then merges are applied lowest rank first, leftmost
/// first among equal ranks, until none applies.
public struct BPETokenizer: Tokenizer {
    public let kind = TokenizerKind.bpe
    public let vocabulary: Vocabulary
    /// Merges in rank order: (left token, right token).
    public let merges: [(String, String)]
    public let unkToken: String
    let table: PairTable
    /// Code (A C G T N) -> id of the single-character token, or the unk id.
    let charIds: [UInt32]
    let unkId: UInt32?

    public init(vocabulary: Vocabulary, merges: [(String, String)], unkToken: String = "[UNK]") throws {
        self.vocabulary = vocabulary
        self.merges = merges
        self.unkToken = unkToken
        unkId = vocabulary.id(unkToken)
        var t = PairTable(capacity: merges.count)
        for (rank, m) in merges.enumerated() {
            guard let a = vocabulary.id(m.0), let b = vocabulary.id(m.1) else {
                throw TokenizeError("merge \(rank) ('\(m.0)' '\(m.1)') uses a token that is not in the vocabulary", field: "model.merges")
            }
            guard let c = vocabulary.id(m.0 + m.1) else {
                throw TokenizeError("merge \(rank) ('\(m.0)' '\(m.1)') makes '\(m.0 + m.1)', which is not in the vocabulary", field: "model.merges")
            }
            // A pair listed twice keeps its last rank, as HF's loader does.
            t.insert(a, b, rank: UInt32(rank), newId: c)
        }
        table = t
        let unk = unkId ?? UInt32.max
        charIds = ["A", "C", "G", "T", "N"].map { vocabulary.id($0) ?? unk }
    }

    public func encode(_ codes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        let scratch = BPEScratch()
        encode(codes, into: &out, scratch: scratch)
    }

    /// Encodes with caller-owned scratch memory: no allocation per window once the scratch has grown
    /// to the longest window (one scratch per thread).
    public func encode(_ codes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32], scratch: BPEScratch) {
        let n = codes.count
        if n == 0 { return }
        let ranks = max(1, merges.count)
        scratch.reserve(symbols: n, ranks: ranks)
        let sym = scratch.sym
        var m = 0
        charIds.withUnsafeBufferPointer { ids in
            for c in codes {
                let id = ids[Int(min(c & 7, 4))]
                if id != UInt32.max { sym[m] = id; m += 1 }   // no unk token configured: HF drops the character
            }
        }
        let count = BPETokenizer.mergeAll(sym, m, scratch.next, scratch.prev, scratch.nodePos, scratch.nodeNext,
                                          scratch.heads, scratch.tailOf, ranks, table)
        var i: Int32 = count > 0 ? 0 : -1
        out.reserveCapacity(out.count + count)
        while i >= 0 { out.append(sym[Int(i)]); i = scratch.next[Int(i)] }
    }

    /// Applies merges in place exactly as HF's `Word::merge_all`: repeatedly the lowest-rank pair,
    /// and among pairs of that rank the leftmost. Candidates sit in one bucket per rank (a bucket
    /// queue: `minRank` only moves down when a lower-rank pair appears); a candidate is used only if
    /// the pair now at its position still has that rank. Returns the number of symbols left; the
    /// result is the list from 0 following `next`.
    static func mergeAll(_ sym: UnsafeMutablePointer<UInt32>, _ n: Int, _ next: UnsafeMutablePointer<Int32>,
                         _ prev: UnsafeMutablePointer<Int32>, _ nodePos: UnsafeMutablePointer<Int32>,
                         _ nodeNext: UnsafeMutablePointer<Int32>, _ heads: UnsafeMutablePointer<Int32>,
                         _ tailOf: UnsafeMutablePointer<Int32>, _ ranks: Int, _ table: PairTable) -> Int {
        if n < 2 { if n == 1 { next[0] = -1 }; return n }
        for i in 0..<n { next[i] = Int32(i + 1); prev[i] = Int32(i - 1) }
        next[n - 1] = -1
        heads.initialize(repeating: -1, count: ranks)
        var used: Int32 = 0
        var minRank = ranks
        // Each bucket is a list sorted by position, so its head is always the leftmost candidate.
        @inline(__always) func push(_ rank: Int, _ pos: Int) {
            let node = used
            used += 1
            nodePos[Int(node)] = Int32(pos)
            var at = heads[rank]
            if at < 0 || nodePos[Int(at)] > Int32(pos) {
                nodeNext[Int(node)] = at
                heads[rank] = node
            } else {
                while nodeNext[Int(at)] >= 0 && nodePos[Int(nodeNext[Int(at)])] < Int32(pos) { at = nodeNext[Int(at)] }
                nodeNext[Int(node)] = nodeNext[Int(at)]
                nodeNext[Int(at)] = node
            }
            if rank < minRank { minRank = rank }
        }
        // Initial candidates: appended at each bucket's tail, so the buckets come out sorted for free.
        for i in 0..<(n - 1) {
            if let m = table.lookup(sym[i], sym[i + 1]) {
                let r = Int(m.rank)
                let node = used
                used += 1
                nodePos[Int(node)] = Int32(i)
                nodeNext[Int(node)] = -1
                if heads[r] < 0 { heads[r] = node } else { nodeNext[Int(tailOf[r])] = node }
                tailOf[r] = node
                if r < minRank { minRank = r }
            }
        }
        var count = n
        while true {
            while minRank < ranks && heads[minRank] < 0 { minRank += 1 }
            if minRank >= ranks { break }
            let rank = minRank
            let best = heads[rank]
            heads[rank] = nodeNext[Int(best)]
            let pos = Int(nodePos[Int(best)])
            let nx = Int(next[pos])
            if nx < 0 || prev[pos] == -2 { continue }          // removed, or now the last symbol
            guard let m = table.lookup(sym[pos], sym[nx]), Int(m.rank) == rank else { continue }
            sym[pos] = m.newId
            prev[nx] = -2                                       // tag the right symbol as removed
            let nn = Int(next[nx])
            next[pos] = Int32(nn)
            if nn >= 0 { prev[nn] = Int32(pos) }
            count -= 1
            let pv = Int(prev[pos])
            if pv >= 0, let m2 = table.lookup(sym[pv], sym[pos]) { push(Int(m2.rank), pv) }
            if nn >= 0, let m3 = table.lookup(sym[pos], sym[nn]) { push(Int(m3.rank), pos) }
        }
        return count
    }
}

/// Reusable working memory of ``BPETokenizer/encode(_:into:scratch:)``; one per thread.
public final class BPEScratch {
    var symbols = 0, ranks = 0
    var sym = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    var next = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var prev = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var nodePos = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var nodeNext = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var heads = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    var tailOf = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    public init() {}

    func reserve(symbols n: Int, ranks r: Int) {
        if n > symbols {
            for p in [sym] as [UnsafeMutablePointer<UInt32>] { p.deallocate() }
            next.deallocate(); prev.deallocate(); nodePos.deallocate(); nodeNext.deallocate()
            let c = max(n, 2 * symbols)
            sym = .allocate(capacity: c); next = .allocate(capacity: c); prev = .allocate(capacity: c)
            nodePos = .allocate(capacity: 3 * c + 4); nodeNext = .allocate(capacity: 3 * c + 4)
            symbols = c
        }
        if r > ranks {
            heads.deallocate(); tailOf.deallocate()
            heads = .allocate(capacity: r); tailOf = .allocate(capacity: r)
            ranks = r
        }
    }

    deinit {
        sym.deallocate(); next.deallocate(); prev.deallocate(); nodePos.deallocate()
        nodeNext.deallocate(); heads.deallocate(); tailOf.deallocate()
    }
}
