import Shards
import Tokenize

extension DatasetInfo {
    /// The dataset description of a run's shards, read off its tokenizer: the ids of its special tokens
    /// (by their DNABERT or Nucleotide Transformer names) and of its single-base tokens.
    init(tokenizer t: any Tokenizer, k: Int?, window: Int, tokensPerWindow: Int?, wide: Bool,
         pmiRank: Bool, softMask: Bool) {
        let v = t.vocabulary
        func id(_ names: String...) -> Int? { names.lazy.compactMap { v.id($0) }.first.map(Int.init) }
        let specials = SpecialIDs(pad: id("[PAD]", "<pad>"), unk: id("[UNK]", "<unk>"), cls: id("[CLS]", "<cls>"),
                                  sep: id("[SEP]", "<eos>"), mask: id("[MASK]", "<mask>"))
        var bases: BaseIDs? = nil
        if t.kind == .char, let a = id("A"), let c = id("C"), let g = id("G"), let tt = id("T") {
            bases = BaseIDs(a: a, c: c, g: g, t: tt, n: id("N"))
        }
        self.init(tokenDType: wide ? "uint16" : "uint8", tokenizer: t.kind.rawValue,
                  k: t.kind == .char || t.kind == .bpe ? nil : k, vocabSize: v.count, specialIDs: specials,
                  baseIDs: bases, window: window, tokensPerWindow: tokensPerWindow, hasPMIRank: pmiRank, hasSoftMask: softMask)
    }
}
