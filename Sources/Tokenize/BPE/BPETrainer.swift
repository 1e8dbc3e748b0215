import Basics
import Dispatch
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
        // Pair counts live in a dense vocab x vocab table: 8192^2 x 8 bytes = 512 MiB at most.
        guard (1...8192).contains(vocabSize) else {
            throw TokenizeError("vocab size \(vocabSize) is outside 1...8192 (the trainer keeps a dense vocab x vocab pair table)", field: "vocab_size")
        }
        self.vocabSize = vocabSize; self.minFrequency = minFrequency; self.specials = specials
    }

    // Word storage: all distinct words back to back; each word shrinks in place as merges apply.
    /// Symbol storage in fixed 128 MiB chunks (no doubling growth, so 1 Gbp of windows costs 2 GiB
    /// and not up to 6 at a reallocation); a word never spans chunks. `starts[w]` points at word w.
    final class ChunkStorage {
        var chunks: [UnsafeMutablePointer<UInt16>] = []
        /// Word lengths while training, in memory this class owns (both merge threads write here).
        var lens: UnsafeMutablePointer<Int32>?
        deinit { for c in chunks { c.deallocate() }; lens?.deallocate() }
    }
    let storage = ChunkStorage()
    var chunkFill = 0
    var chunkCapacity = 0
    static let chunkSymbols = 1 << 26
    var starts: [UnsafeMutablePointer<UInt16>] = []
    var totalSymbols = 0
    var lengths: [Int32] = []
    var wordCounts: [Int64] = []
    /// Dedup of identical windows by a 64-bit hash; colliding words are compared byte by byte.
    var wordIndex: [UInt64: [Int32]] = [:]
    var alphabet = Set<UInt8>()

    /// Adds one window (ASCII bases as they will be encoded: upper-case A C G T N).
    public mutating func feed(_ window: [UInt8]) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in window { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        if let cands = wordIndex[h] {
            for i in cands where Int(lengths[Int(i)]) == window.count {
                let s = starts[Int(i)]
                var same = true
                for (j, b) in window.enumerated() where s[j] != UInt16(b) { same = false; break }
                if same { wordCounts[Int(i)] += 1; return }
            }
        }
        wordIndex[h, default: []].append(Int32(starts.count))
        if chunkFill + window.count > chunkCapacity {
            chunkCapacity = max(BPETrainer.chunkSymbols, window.count)
            storage.chunks.append(.allocate(capacity: chunkCapacity))
            chunkFill = 0
        }
        let p = storage.chunks[storage.chunks.count - 1] + chunkFill
        chunkFill += window.count
        totalSymbols += window.count
        starts.append(p)
        lengths.append(Int32(window.count))
        wordCounts.append(1)
        for (j, b) in window.enumerated() { alphabet.insert(b); p[j] = UInt16(b) }   // raw bytes for now; ids later
    }

    /// Adds a window given as base codes (soft-mask ignored).
    public mutating func feed(codes: UnsafeBufferPointer<UInt8>) {
        feed(codes.map { Array("ACGTNNNN".utf8)[Int($0 & 7)] })
    }

    public var windowCount: Int { Int(wordCounts.reduce(0, +)) }

    struct Entry {
        var count: Int64
        var pair: UInt32   // a << 16 | b
        /// The words this entry was found in: ascending word indices, delta-coded as LEB128 varints
        /// (1-3 bytes a word instead of 4: the heap's word lists are most of the trainer's memory).
        var pos: [UInt8]
        init(count: Int64, pair: UInt32, pos words: [Int32]) {
            self.count = count; self.pair = pair
            var bytes: [UInt8] = []
            bytes.reserveCapacity(words.count + 8)
            var last: Int32 = -1
            for w in words {
                precondition(w > last, "word lists must ascend")
                var d = UInt32(w - last)
                last = w
                while d >= 0x80 { bytes.append(UInt8(d & 0x7F) | 0x80); d >>= 7 }
                bytes.append(UInt8(d))
            }
            self.pos = bytes
        }
        func words() -> [Int32] {
            var out: [Int32] = []
            out.reserveCapacity(pos.count)
            var last: Int32 = -1
            var d: UInt32 = 0, shift: UInt32 = 0
            for b in pos {
                d |= UInt32(b & 0x7F) << shift
                if b & 0x80 != 0 { shift += 7; continue }
                last += Int32(d); out.append(last)
                d = 0; shift = 0
            }
            return out
        }
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
        for w in 0..<starts.count {
            let p = starts[w]
            for j in 0..<Int(lengths[w]) { p[j] = byteId[Int(p[j])] }
        }
        wordIndex = [:]

        // Pair counts live in a dense vocab x vocab table (ids never exceed vocabSize).
        let V = max(vocabSize, idToWord.count)
        var pairCounts = [Int64](repeating: 0, count: V * V)
        var lastSeen = [Int32](repeating: -1, count: V * V)
        var where_: [Int: [Int32]] = [:]
        do {
            pairCounts.withUnsafeMutableBufferPointer { pc in
                lastSeen.withUnsafeMutableBufferPointer { ls in
                    for w in 0..<starts.count {
                        let sym = starts[w], n = Int(lengths[w])
                        if n < 2 { continue }
                        let c = wordCounts[w]
                        for i in 0..<(n - 1) {
                            let p = Int(sym[i]) * V + Int(sym[i + 1])
                            pc[p] += c
                            if ls[p] != Int32(w) { ls[p] = Int32(w); where_[p, default: []].append(Int32(w)) }
                        }
                    }
                }
            }
        }
        lastSeen = []
        storage.lens?.deallocate()
        let lensBuffer = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, lengths.count))
        for (i, l) in lengths.enumerated() { lensBuffer[i] = l }
        storage.lens = lensBuffer
        func packed(_ p: Int) -> UInt32 { UInt32(p / V) << 16 | UInt32(p % V) }
        var heap: [Entry] = []
        for (p, pos) in where_ where pairCounts[p] > 0 { heapPush(&heap, Entry(count: pairCounts[p], pair: packed(p), pos: pos)) }
        where_ = [:]

        var merges: [(UInt32, UInt16)] = []
        let deltas = [MergeDelta(size: V), MergeDelta(size: V)]
        var touched: [Int] = []
        var newWhere: [Int: [Int32]] = [:]
        while idToWord.count < vocabSize, !heap.isEmpty {
            var top = heapPop(&heap)
            let a = Int(top.pair >> 16), b = Int(top.pair & 0xFFFF)
            let current = pairCounts[a * V + b]
            if top.count != current {
                top.count = current
                heapPush(&heap, top)
                continue
            }
            if top.count < 1 || Int64(minFrequency) > top.count { break }
            let newToken = idToWord[a] + idToWord[b]
            let newId: UInt16
            if let existing = wordToId[newToken] { newId = existing } else {
                newId = UInt16(idToWord.count)
                wordToId[newToken] = newId
                idToWord.append(newToken)
            }
            merges.append((top.pair, newId))
            progress?(idToWord.count, vocabSize)

            // Merge in the words of this entry (two threads for large entries, each on its own words).
            // Every change touches a pair (x, a), (x, new), (b, x) or (new, x), so each thread sums its
            // changes into four small arrays indexed by x; they are added up afterwards in a fixed
            // order, so results never depend on the thread count.
            touched.removeAll(keepingCapacity: true)
            let topWords = top.words()
            let parts = topWords.count >= 2048 ? 2 : 1
            let na = UInt16(a), nb = UInt16(b)
            if parts == 1 {
                mergeWords(topWords[...], na, nb, newId, deltas[0])
            } else {
                let half = topWords.count / 2
                let slices = [topWords[..<half], topWords[half...]]
                let me = UnsafeTransfer(value: self)
                let ds = UnsafeTransfer(value: deltas)
                DispatchQueue.concurrentPerform(iterations: 2) { t in
                    me.value.mergeWords(slices[t], na, nb, newId, ds.value[t])
                }
            }
            let nid = Int(newId)
            var special: Set<Int32> = []   // words of (new, new), which both sides can report
            for t in 0..<parts {
                let d = deltas[t]
                for x in d.touched {
                    pairCounts[x * V + a] += d.leftA[x]
                    pairCounts[x * V + nid] += d.leftNew[x]
                    pairCounts[b * V + x] += d.rightB[x]
                    pairCounts[nid * V + x] += d.rightNew[x]
                    for (p, words) in [(x * V + nid, d.leftWords[x]), (nid * V + x, d.rightWords[x])] where !words.isEmpty {
                        if newWhere[p] == nil { touched.append(p); newWhere[p] = [] }
                        if x == nid {
                            for w in words where special.insert(w).inserted { newWhere[p]!.append(w) }
                        } else {
                            newWhere[p]!.append(contentsOf: words)
                        }
                    }
                }
                d.reset()
            }
            for p in touched {
                var pos = newWhere.removeValue(forKey: p)!
                if p == nid * V + nid { pos.sort() }   // (new, new) collects words from both sides
                if pairCounts[p] > 0 { heapPush(&heap, Entry(count: pairCounts[p], pair: packed(p), pos: pos)) }
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

    /// One thread's summed changes of one merge, by the other symbol x of each changed pair.
    final class MergeDelta: @unchecked Sendable {
        var leftA: [Int64], leftNew: [Int64], rightB: [Int64], rightNew: [Int64]
        var leftWords: [[Int32]], rightWords: [[Int32]]
        var touched: [Int] = []
        var seen: [Bool]
        init(size: Int) {
            leftA = Array(repeating: 0, count: size); leftNew = leftA; rightB = leftA; rightNew = leftA
            leftWords = Array(repeating: [], count: size); rightWords = leftWords
            seen = Array(repeating: false, count: size)
        }
        @inline(__always) func touch(_ x: Int) { if !seen[x] { seen[x] = true; touched.append(x) } }
        func reset() {
            for x in touched {
                leftA[x] = 0; leftNew[x] = 0; rightB[x] = 0; rightNew[x] = 0
                // Release the lists: keeping the capacity of every neighbour's largest list ever
                // would hold gigabytes by the end of a 1 Gbp run.
                leftWords[x] = []; rightWords[x] = []
                seen[x] = false
            }
            touched.removeAll(keepingCapacity: true)
        }
    }

    /// HF `Word::merge` over several words: left to right, non-overlapping; for each occurrence the
    /// pairs with its neighbours change by -count/+count. Words are disjoint, so two threads may run
    /// this on different word lists at once (symbols and lengths are written through raw pointers).
    func mergeWords(_ words: ArraySlice<Int32>, _ a: UInt16, _ b: UInt16, _ newId: UInt16, _ d: MergeDelta) {
        let lens = storage.lens!
        for w32 in words {
            let w = Int(w32)
            let sym = starts[w], n = Int(lens[w])
            let s = 0
            let c = wordCounts[w]
            let end = n
            // Skip ahead to the first occurrence; nothing moves before it.
            var r = s
            while r + 1 < end && !(sym[r] == a && sym[r + 1] == b) { r += 1 }
            if r + 1 >= end { continue }
            var o = r
            while r < end {
                if sym[r] == a && r + 1 < end && sym[r + 1] == b {
                    if o > s {
                        let x = Int(sym[o - 1])
                        d.touch(x)
                        d.leftA[x] -= c
                        d.leftNew[x] += c
                        if d.leftWords[x].last != w32 { d.leftWords[x].append(w32) }
                    }
                    if r + 2 < end {
                        let x = Int(sym[r + 2])
                        d.touch(x)
                        d.rightB[x] -= c
                        d.rightNew[x] += c
                        if d.rightWords[x].last != w32 { d.rightWords[x].append(w32) }
                    }
                    sym[o] = newId; o += 1; r += 2
                } else {
                    sym[o] = sym[r]; o += 1; r += 1
                }
            }
            lens[w] = Int32(o - s)
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
