import GenomeIO

/// Trains BPE exactly as Hugging Face `tokenizers`' `BpeTrainer` does (no limit_alphabet, no
/// initial alphabet, no prefixes, no max token length), so that the same windows and settings give
/// the same vocabulary and merges:
/// 1. specials first, in the order given; then every character seen, in code-point order;
/// 2. pair counts weighted by word counts; a max-heap of (count, then smaller pair ids first) entries
///    that carry the set of words they were found in; a popped entry whose count is stale is pushed
///    back with the current count;
/// 3. merging stops at `vocabSize` tokens, when the best count is below `minFrequency`, or when no
///    pair is left; a merge is applied only to the words of the popped entry, and pair counts change
///    only through the neighbours of each merged occurrence (the merged pair's own count is not reset,
///    as in HF).
/// Words are whole windows (one window is one word). Symbols are 16-bit ids, so a 1 kbp window costs
/// 2 KiB however far training goes.
public struct BPETrainer {
    public var vocabSize: Int
    public var minFrequency: Int
    public var specials: [String]

    public init(vocabSize: Int = 4096, minFrequency: Int = 2,
                specials: [String] = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]) throws {
        guard (1...65_535).contains(vocabSize) else {
            throw TokenizeError("vocab size \(vocabSize) is outside 1...65535 (16-bit token ids)", field: "vocab_size")
        }
        self.vocabSize = vocabSize; self.minFrequency = minFrequency; self.specials = specials
    }

    // Word storage: all distinct words back to back; each word shrinks in place as merges apply.
    var symbols: [UInt16] = []
    var starts: [Int] = []
    var lengths: [Int32] = []
    var wordCounts: [Int64] = []
    var wordIndex: [[UInt8]: Int32] = [:]
    var alphabet = Set<UInt8>()

    /// Adds one window (ASCII bases as they will be encoded: upper-case A C G T N).
    public mutating func feed(_ window: [UInt8]) {
        if let i = wordIndex[window] { wordCounts[Int(i)] += 1; return }
        wordIndex[window] = Int32(starts.count)
        starts.append(symbols.count)
        lengths.append(Int32(window.count))
        wordCounts.append(1)
        for b in window { alphabet.insert(b); symbols.append(UInt16(b)) }   // raw bytes for now; ids later
    }

    /// Adds a window given as base codes (soft-mask ignored).
    public mutating func feed(codes: UnsafeBufferPointer<UInt8>) {
        feed(codes.map { Array("ACGTNNNN".utf8)[Int($0 & 7)] })
    }

    public var windowCount: Int { Int(wordCounts.reduce(0, +)) }

    struct Entry {
        var count: Int64
        var pair: UInt32   // a << 16 | b
        var pos: [Int32]
    }

    /// Max-heap order: higher count first, then the smaller pair.
    @inline(__always)
    static func before(_ x: Entry, _ y: Entry) -> Bool {
        x.count != y.count ? x.count > y.count : x.pair < y.pair
    }

    public mutating func train(progress: ((Int, Int) -> Void)? = nil) throws -> BPETokenizer {
        var idToWord: [String] = []
        var wordToId: [String: UInt16] = [:]
        for s in specials where wordToId[s] == nil { wordToId[s] = UInt16(idToWord.count); idToWord.append(s) }
        var byteId = [UInt16](repeating: 0, count: 256)
        for b in alphabet.sorted() {
            let s = String(decoding: [b], as: UTF8.self)
            if wordToId[s] == nil { wordToId[s] = UInt16(idToWord.count); idToWord.append(s) }
            byteId[Int(b)] = wordToId[s]!
        }
        for i in 0..<symbols.count { symbols[i] = byteId[Int(symbols[i])] }
        wordIndex = [:]

        // Initial pair counts and positions.
        var pairCounts: [UInt32: Int64] = [:]
        var where_: [UInt32: [Int32]] = [:]
        symbols.withUnsafeBufferPointer { sym in
            for w in 0..<starts.count {
                let s = starts[w], n = Int(lengths[w])
                if n < 2 { continue }
                for i in s..<(s + n - 1) {
                    let p = UInt32(sym[i]) << 16 | UInt32(sym[i + 1])
                    pairCounts[p, default: 0] += wordCounts[w]
                    if where_[p]?.last != Int32(w) { where_[p, default: []].append(Int32(w)) }
                }
            }
        }
        var heap: [Entry] = []
        for (p, pos) in where_ where pairCounts[p]! > 0 { heapPush(&heap, Entry(count: pairCounts[p]!, pair: p, pos: pos)) }
        where_ = [:]

        var merges: [(UInt32, UInt16)] = []
        var changes: [(UInt32, Int32)] = []
        while idToWord.count < vocabSize, !heap.isEmpty {
            var top = heapPop(&heap)
            let current = pairCounts[top.pair] ?? 0
            if top.count != current {
                top.count = current
                heapPush(&heap, top)
                continue
            }
            if top.count < 1 || Int64(minFrequency) > top.count { break }
            let a = UInt16(top.pair >> 16), b = UInt16(top.pair & 0xFFFF)
            let newToken = idToWord[Int(a)] + idToWord[Int(b)]
            let newId: UInt16
            if let existing = wordToId[newToken] { newId = existing } else {
                newId = UInt16(idToWord.count)
                wordToId[newToken] = newId
                idToWord.append(newToken)
            }
            merges.append((top.pair, newId))
            progress?(idToWord.count, vocabSize)

            // Merge in the words of this entry, collecting (pair, ±1) changes per word.
            var newWhere: [UInt32: [Int32]] = [:]
            for w in top.pos {
                changes.removeAll(keepingCapacity: true)
                mergeWord(Int(w), a, b, newId, &changes)
                let c = wordCounts[Int(w)]
                for (p, d) in changes {
                    pairCounts[p, default: 0] += Int64(d) * c
                    if d > 0, newWhere[p]?.last != w { newWhere[p, default: []].append(w) }
                }
            }
            for (p, pos) in newWhere {
                let c = pairCounts[p] ?? 0
                if c > 0 { heapPush(&heap, Entry(count: c, pair: p, pos: pos)) }
            }
        }
        // Merges as HF saves them: one per pair, ordered by the pair's last merge.
        var lastRank: [UInt32: Int] = [:]
        for (i, m) in merges.enumerated() { lastRank[m.0] = i }
        let ordered = lastRank.sorted { $0.value < $1.value }
        let mergeStrings = ordered.map { (idToWord[Int($0.key >> 16)], idToWord[Int($0.key & 0xFFFF)]) }
        let vocab = try Vocabulary(tokens: idToWord, specials: specials)
        return try BPETokenizer(vocabulary: vocab, merges: mergeStrings, unkToken: specials.contains("[UNK]") ? "[UNK]" : (specials.first ?? "[UNK]"))
    }

    /// HF `Word::merge`: left to right, non-overlapping; changes for the neighbours of each occurrence.
    mutating func mergeWord(_ w: Int, _ a: UInt16, _ b: UInt16, _ newId: UInt16, _ changes: inout [(UInt32, Int32)]) {
        let s = starts[w], n = Int(lengths[w])
        symbols.withUnsafeMutableBufferPointer { sym in
            var r = s, o = s
            let end = s + n
            while r < end {
                if sym[r] == a && r + 1 < end && sym[r + 1] == b {
                    if o > s {
                        let p = sym[o - 1]
                        changes.append((UInt32(p) << 16 | UInt32(a), -1))
                        changes.append((UInt32(p) << 16 | UInt32(newId), 1))
                    }
                    if r + 2 < end {
                        let nx = sym[r + 2]
                        changes.append((UInt32(b) << 16 | UInt32(nx), -1))
                        changes.append((UInt32(newId) << 16 | UInt32(nx), 1))
                    }
                    sym[o] = newId; o += 1; r += 2
                } else {
                    sym[o] = sym[r]; o += 1; r += 1
                }
            }
            lengths[w] = Int32(o - s)
        }
    }

    func heapPush(_ h: inout [Entry], _ e: Entry) {
        h.append(e)
        var c = h.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if !BPETrainer.before(h[c], h[p]) { break }
            h.swapAt(p, c); c = p
        }
    }

    func heapPop(_ h: inout [Entry]) -> Entry {
        let top = h[0]
        let last = h.removeLast()
        if !h.isEmpty {
            h[0] = last
            var p = 0
            let m = h.count
            while true {
                let l = 2 * p + 1, r = l + 1
                var s = p
                if l < m && BPETrainer.before(h[l], h[s]) { s = l }
                if r < m && BPETrainer.before(h[r], h[s]) { s = r }
                if s == p { break }
                h.swapAt(p, s); p = s
            }
        }
        return top
    }
}
