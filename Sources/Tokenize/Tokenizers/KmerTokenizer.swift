/// k-mer tokenizers (k = 3...6 overlapping, 2...8 NT, 1...8 BarcodeMAE).
///
/// - `.overlapping` (DNABERT): every k-mer at stride 1 (L - k + 1 tokens; DNABERT's dropped last k-mer
///   is not reproduced). Vocabulary `[PAD] [UNK] [CLS] [SEP] [MASK]` then the 4^k k-mers in DNABERT's
///   order, lexicographic over A < T < C < G (its released `vocab.txt`: AAAAAA, AAAAAT, AAAAAC, AAAAAG,
///   AAAATA, ...), so ids match the `DNA_bert_k` checkpoints; a k-mer containing N is `[UNK]`.
/// - `.nucleotideTransformer` (NT): split on N; each run is cut into k-mers from the left; leftover
///   bases and each N are single-letter tokens. NT's vocabulary: `<unk> <pad> <mask> <cls>`, the 4^k
///   k-mers in NT's ATCG order, `A T C G N`, `<eos> <bos>`.
/// - `.barcode(offset:)` (BarcodeMAE): skip `offset` bases, then non-overlapping k-mers; a k-mer with N
///   is `[UNK]`; a trailing partial k-mer is dropped. DNABERT's vocabulary.
public struct KmerTokenizer: Tokenizer {
    public enum Style: Sendable, Equatable {
        case overlapping
        case nucleotideTransformer
        case barcode(offset: Int)
    }
    public static let dnabertSpecials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    public static let ntSpecials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]

    public let k: Int
    public let style: Style
    public let addSpecial: Bool
    public let vocabulary: Vocabulary
    public var kind: TokenizerKind {
        switch style { case .overlapping: .kmer; case .nucleotideTransformer: .ntKmer; case .barcode: .barcodeKmer }
    }
    /// ACGT code -> the ATCG digit of DNABERT's and NT's k-mer order.
    static let ntDigit: [Int] = [0, 2, 3, 1]
    /// A whole k-mer's ACGT-order code (2 bits per base) to its ATCG-order code, every base at once: with
    /// base bits (b1 b0), A 00 -> 00, C 01 -> 10, G 10 -> 11, T 11 -> 01, i.e. d1 = b1 ^ b0 and d0 = b1.
    @inline(__always)
    static func atcgOrder(_ x: UInt32) -> UInt32 {
        let hi = (x >> 1) & 0x5555_5555, lo = x & 0x5555_5555
        return ((hi ^ lo) << 1) | hi
    }

    public init(k: Int, style: Style = .overlapping, addSpecial: Bool = false) throws {
        switch style {
        case .overlapping:
            guard (3...6).contains(k) else { throw TokenizeError("k = \(k) is outside 3...6 for overlapping k-mers", field: "k") }
        case .nucleotideTransformer:
            guard (2...8).contains(k) else { throw TokenizeError("k = \(k) is outside 2...8 (NT k-mers; k = 1 is the char tokenizer)", field: "k") }
        case .barcode(let o):
            guard (1...8).contains(k) else { throw TokenizeError("k = \(k) is outside 1...8", field: "k") }
            guard (0..<k).contains(o) else { throw TokenizeError("offset \(o) is outside 0...\(k - 1)", field: "offset") }
        }
        self.k = k; self.style = style; self.addSpecial = addSpecial
        let n = 1 << (2 * k)
        switch style {
        case .overlapping, .barcode:
            let kmers = (0..<n).map { KmerTokenizer.kmerString($0, k: k, alphabet: Array("ATCG".utf8)) }
            vocabulary = try Vocabulary(tokens: Self.dnabertSpecials + kmers, specials: Self.dnabertSpecials)
        case .nucleotideTransformer:
            let kmers = (0..<n).map { KmerTokenizer.kmerString($0, k: k, alphabet: Array("ATCG".utf8)) }
            let toks = Array(Self.ntSpecials[0..<4]) + kmers + ["A", "T", "C", "G", "N"] + Array(Self.ntSpecials[4...])
            vocabulary = try Vocabulary(tokens: toks, specials: Self.ntSpecials)
        }
    }

    static func kmerString(_ w: Int, k: Int, alphabet: [UInt8]) -> String {
        var s = [UInt8](repeating: 0, count: k)
        for i in 0..<k { s[k - 1 - i] = alphabet[(w >> (2 * i)) & 3] }
        return String(decoding: s, as: UTF8.self)
    }

    var clsId: UInt32 { style == .nucleotideTransformer ? 3 : 2 }
    var endId: UInt32 { style == .nucleotideTransformer ? UInt32(vocabulary.count - 2) : 3 }  // <eos> or [SEP]

    public func encode(_ codes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        if addSpecial { out.append(clsId) }
        let n = codes.count
        let mask = (1 << (2 * k)) - 1
        switch style {
        case .overlapping:
            // Rolling 2-bit code; a k-mer is valid when the last N is at least k bases back.
            // Written through a pointer into space grown once per window (no per-token append).
            let count = max(0, n - k + 1)
            let base = out.count
            out.append(contentsOf: repeatElement(0, count: count))
            let kk = k, msk = mask
            guard let src = codes.baseAddress else { return }
            if count > 0 && (3...6).contains(kk) {
                // No loop-carried state: each id is built from its own k codes, so the loop vectorises.
                out.withUnsafeMutableBufferPointer { o in
                    KmerTokenizer.overlappingIds(src, o.baseAddress! + base, count, kk)
                }
                if addSpecial { out.append(endId) }
                return
            }
            out.withUnsafeMutableBufferPointer { o in
                let dst = o.baseAddress! + base
                var code = 0, lastN = -1
                let head = min(n, kk - 1)
                for i in 0..<head {
                    let c = Int(src[i] & 7)
                    code = ((code << 2) | KmerTokenizer.ntDigit[c & 3]) & msk
                    lastN = c > 3 ? i : lastN
                }
                var i = head
                // The register keeps shifting (two operations on the dependency chain); the mask is
                // applied off the chain.
                var reg = UInt64(truncatingIfNeeded: code)
                while i < n {
                    let c = Int(src[i] & 7)
                    reg = (reg << 2) | UInt64(KmerTokenizer.ntDigit[c & 3])
                    lastN = c > 3 ? i : lastN
                    dst[i - kk + 1] = i - lastN >= kk ? 5 &+ UInt32(truncatingIfNeeded: Int(truncatingIfNeeded: reg) & msk) : 1
                    i += 1
                }
            }
        case .barcode(let offset):
            var i = offset
            while i + k <= n {
                var code = 0, ok = true
                for j in i..<(i + k) { let b = Int(codes[j] & 7); if b > 3 { ok = false }; code = (code << 2) | KmerTokenizer.ntDigit[b & 3] }
                out.append(ok ? 5 + UInt32(code) : 1)
                i += k
            }
        case .nucleotideTransformer:
            let single = 4 + (1 << (2 * k))   // id of "A"
            var i = 0
            while i < n {
                let b = Int(codes[i] & 7)
                if b > 3 { out.append(UInt32(single + 4)); i += 1; continue }
                // Length of the ACGT run from i, up to k.
                var run = 0
                while run < k && i + run < n && Int(codes[i + run] & 7) <= 3 { run += 1 }
                if run == k {
                    var code = 0
                    for j in i..<(i + k) { code = (code << 2) | KmerTokenizer.ntDigit[Int(codes[j] & 3)] }
                    out.append(4 + UInt32(code)); i += k
                } else {
                    for j in i..<(i + run) { out.append(UInt32(single + KmerTokenizer.ntDigit[Int(codes[j] & 3)])) }
                    i += run
                }
            }
        }
        if addSpecial { out.append(endId) }
    }

    /// ids[i] = 5 + the ATCG-order index of codes[i..<i+k], or 1 ([UNK]) when one of them is N.
    @inline(__always)
    static func overlappingIds(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt32>, _ count: Int, _ k: Int) {
        switch k {
        case 6: idsFixed6(src, dst, count)
        case 5: idsGeneric(src, dst, count, 5)
        case 4: idsGeneric(src, dst, count, 4)
        default: idsGeneric(src, dst, count, 3)
        }
    }

    static func idsFixed6(_ s: UnsafePointer<UInt8>, _ d: UnsafeMutablePointer<UInt32>, _ count: Int) {
        for i in 0..<count {
            let c0 = UInt32(s[i] & 7), c1 = UInt32(s[i + 1] & 7), c2 = UInt32(s[i + 2] & 7)
            let c3 = UInt32(s[i + 3] & 7), c4 = UInt32(s[i + 4] & 7), c5 = UInt32(s[i + 5] & 7)
            let code = atcgOrder((c0 & 3) << 10 | (c1 & 3) << 8 | (c2 & 3) << 6 | (c3 & 3) << 4 | (c4 & 3) << 2 | (c5 & 3))
            let hasN = (c0 | c1 | c2 | c3 | c4 | c5) & 4
            d[i] = hasN != 0 ? 1 : 5 &+ code
        }
    }

    static func idsGeneric(_ s: UnsafePointer<UInt8>, _ d: UnsafeMutablePointer<UInt32>, _ count: Int, _ k: Int) {
        for i in 0..<count {
            var code: UInt32 = 0, n: UInt32 = 0
            for j in 0..<k { let c = UInt32(s[i + j] & 7); code = code << 2 | (c & 3); n |= c & 4 }
            d[i] = n != 0 ? 1 : 5 &+ atcgOrder(code)
        }
    }

    /// Decoding overlapping k-mers keeps the first k-mer whole and the last base of each next one.
    public func decode(_ ids: [UInt32]) throws -> [UInt8] {
        guard style == .overlapping else {
            var out: [UInt8] = []
            let specials = Set(vocabulary.specials)
            for id in ids {
                try checkId(id)
                let t = vocabulary.tokens[Int(id)]
                if t == "[UNK]" { out.append(contentsOf: Array(repeating: UInt8(ascii: "N"), count: k)); continue }
                if specials.contains(t) { continue }
                out.append(contentsOf: t.utf8)
            }
            return out
        }
        var out: [UInt8] = []
        var first = true
        for id in ids {
            try checkId(id)
            let t = vocabulary.tokens[Int(id)]
            if t.hasPrefix("[") && t != "[UNK]" { continue }
            let bases = t == "[UNK]" ? Array(repeating: UInt8(ascii: "N"), count: k) : Array(t.utf8)
            if first { out.append(contentsOf: bases); first = false } else { out.append(bases[k - 1]) }
        }
        return out
    }
}
