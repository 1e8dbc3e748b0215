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
        var sym = [UInt32](); sym.reserveCapacity(codes.count)
        for c in codes {
            let id = charIds[Int(min(c & 7, 4))]
            if id != UInt32.max { sym.append(id) }   // no unk token configured: HF drops the character
        }
        BPETokenizer.mergeAll(&sym, table: table)
        out.append(contentsOf: sym)
    }

    /// Applies merges to `sym` in place: a binary heap of (rank, position) over a linked list.
    static func mergeAll(_ sym: inout [UInt32], table: PairTable) {
        let n = sym.count
        if n < 2 { return }
        var next = [Int32](repeating: 0, count: n)
        var prev = [Int32](repeating: 0, count: n)
        var alive = [Bool](repeating: true, count: n)
        for i in 0..<n { next[i] = Int32(i + 1); prev[i] = Int32(i - 1) }
        next[n - 1] = -1
        // Heap of (rank << 32 | pos), min first; entry also remembers the new id for validation.
        var heap: [(key: UInt64, newId: UInt32)] = []
        heap.reserveCapacity(n)
        func push(_ rank: UInt32, _ pos: Int, _ newId: UInt32) {
            heap.append((UInt64(rank) << 32 | UInt64(pos), newId))
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                if heap[p].key <= heap[c].key { break }
                heap.swapAt(p, c); c = p
            }
        }
        func pop() -> (key: UInt64, newId: UInt32) {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var p = 0
                let m = heap.count
                while true {
                    let l = 2 * p + 1, r = l + 1
                    var s = p
                    if l < m && heap[l].key < heap[s].key { s = l }
                    if r < m && heap[r].key < heap[s].key { s = r }
                    if s == p { break }
                    heap.swapAt(p, s); p = s
                }
            }
            return top
        }
        for i in 0..<(n - 1) {
            if let m = table.lookup(sym[i], sym[i + 1]) { push(m.rank, i, m.newId) }
        }
        while !heap.isEmpty {
            let top = pop()
            let pos = Int(top.key & 0xFFFF_FFFF)
            if !alive[pos] { continue }
            let nx = Int(next[pos])
            if nx < 0 { continue }
            guard let m = table.lookup(sym[pos], sym[nx]), m.newId == top.newId else { continue }
            sym[pos] = m.newId
            alive[nx] = false
            let nn = Int(next[nx])
            next[pos] = Int32(nn)
            if nn >= 0 { prev[nn] = Int32(pos) }
            let pv = Int(prev[pos])
            if pv >= 0, let m2 = table.lookup(sym[pv], sym[pos]) { push(m2.rank, pv, m2.newId) }
            if nn >= 0, let m3 = table.lookup(sym[pos], sym[nn]) { push(m3.rank, pos, m3.newId) }
        }
        var w = 0
        for i in 0..<n where alive[i] { sym[w] = sym[i]; w += 1 }
        sym.removeLast(n - w)
    }
}
