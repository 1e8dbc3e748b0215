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
        for c in codes { out.append(5 + UInt32(min(c & 7, 4))) }
        if addSpecial { out.append(3) }
    }
}
