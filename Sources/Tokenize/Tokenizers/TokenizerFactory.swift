import GenomeIO

/// Builds tokenizers from settings, and trains BPE on windows.
public enum TokenizerFactory {
    /// A fixed-vocabulary tokenizer (everything but BPE).
    public static func make(kind: TokenizerKind, k: Int = 6, offset: Int = 0, addSpecial: Bool = false) throws -> any Tokenizer {
        switch kind {
        case .char: return CharTokenizer(addSpecial: addSpecial)
        case .kmer: return try KmerTokenizer(k: k, style: .overlapping, addSpecial: addSpecial)
        case .ntKmer: return try KmerTokenizer(k: k, style: .nucleotideTransformer, addSpecial: addSpecial)
        case .barcodeKmer: return try KmerTokenizer(k: k, style: .barcode(offset: offset), addSpecial: addSpecial)
        case .bpe: throw TokenizeError("BPE has no fixed vocabulary: train one with `genome-prep tokenizer train --kind bpe`", field: "kind")
        }
    }

    /// Feeds kept windows (upper-cased) to a BPE trainer.
    struct TrainerOutput: WindowOutput {
        var trainer: BPETrainer
        var buffer: [UInt8] = []
        mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                            codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
            guard split == .train else { return }   // only the train split teaches the tokenizer
            buffer.removeAll(keepingCapacity: true)
            for c in codes { buffer.append(BaseCode.decodeTable[Int(c & 7)]) }
            trainer.feed(buffer)
        }
    }

    /// Trains BPE on the train-split windows that `options` places.
    public static func trainBPE(windows options: WindowsOptions, trainer: BPETrainer,
                                progress: ((Int, Int) -> Void)? = nil) throws -> (BPETokenizer, WindowsSummary) {
        let (summary, out) = try WindowsJob.run(options, into: TrainerOutput(trainer: trainer))
        var t = out.trainer
        if t.windowCount == 0 { throw TokenizeError("no training windows were kept (check the sampler, filters and splits)", field: "windows") }
        return (try t.train(progress: progress), summary)
    }
}
