/// Character tokens: `[PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 A=5 C=6 G=7 T=8 N=9`.
/// FinDNA's 5-channel one-hot (A, C, G, N, T) is a view the trainer computes from these ids.
public struct CharTokenizer: Tokenizer {
    public static let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    public let kind = TokenizerKind.char
    public let vocabulary: Vocabulary
    public let addSpecial: Bool

    public init(addSpecial: Bool = false) {
        vocabulary = try! Vocabulary(tokens: Self.specials + ["A", "C", "G", "T", "N"], specials: Self.specials)
        self.addSpecial = addSpecial
    }

    public func encode(_ codes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        if addSpecial { out.append(2) }
        let base = out.count
        out.append(contentsOf: repeatElement(0, count: codes.count))
        out.withUnsafeMutableBufferPointer { o in
            let dst = o.baseAddress! + base
            for i in 0..<codes.count { dst[i] = 5 + UInt32(min(codes[i] & 7, 4)) }
        }
        if addSpecial { out.append(3) }
    }
}

extension CharTokenizer {
    /// FinDNA's 5-channel one-hot view (channels A, C, G, N, T) of character-token ids, written into a
    /// caller-owned `(ids.count, 5)` row-major buffer; special tokens are all-zero rows. It is computed
    /// when needed (by the trainer), never stored in shards.
    public static func oneHotFinDNA(_ ids: UnsafeBufferPointer<UInt32>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= ids.count * 5, "one-hot buffer holds \(out.count) floats, needs \(ids.count * 5)")
        // id 5..9 = A C G T N -> channel A0 C1 G2 N3 T4
        let channel: [Int] = [0, 1, 2, 4, 3]
        for (i, id) in ids.enumerated() {
            for c in 0..<5 { out[i * 5 + c] = 0 }
            if (5...9).contains(id) { out[i * 5 + channel[Int(id) - 5]] = 1 }
        }
    }
}
