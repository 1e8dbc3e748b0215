/// Encodes with any tokenizer using working memory that is kept between windows: one per thread.
/// BPE needs scratch buffers for its merge queue; the other tokenizers need none. Every caller that
/// encodes many windows goes through this, so no tokenizer allocates per window on the hot path.
public final class TokenEncoder {
    public let tokenizer: any Tokenizer
    private let bpe: BPETokenizer?
    private let scratch = BPEScratch()

    public init(_ tokenizer: any Tokenizer) {
        self.tokenizer = tokenizer
        bpe = tokenizer as? BPETokenizer
    }

    @inline(__always)
    public func encode(_ codes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        if let bpe { bpe.encode(codes, into: &out, scratch: scratch) } else { tokenizer.encode(codes, into: &out) }
    }
}
