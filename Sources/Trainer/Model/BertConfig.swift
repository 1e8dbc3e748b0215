import Basics

/// The sizes of a BERT encoder with a masked-LM head, as Hugging Face's `BertConfig` names them (the
/// fields of `config.json`). Dropout is not modelled: GenomePrep trains with dropout 0 (small models,
/// few passes; see the README's trainer section), and writes 0 to the exported config.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize = 128
    public var layers = 2
    public var heads = 4
    public var intermediateSize = 512
    public var maxPositions = 512
    public var typeVocabSize = 2
    public var layerNormEps: Float = 1e-12
    public var initializerRange: Float = 0.02
    public var padTokenID = 0

    public init(vocabSize: Int) { self.vocabSize = vocabSize }

    public var headSize: Int { hiddenSize / heads }

    /// Checks every size before anything is allocated from it.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw TrainerError("model.\(key): \(why)", key: key) }
        }
        try check((1...1 << 20).contains(vocabSize), "vocab_size", "must be 1...\(1 << 20) (got \(vocabSize))")
        try check((1...8192).contains(hiddenSize), "hidden", "must be 1...8192 (got \(hiddenSize))")
        try check((1...128).contains(layers), "layers", "must be 1...128 (got \(layers))")
        try check((1...256).contains(heads) && hiddenSize % heads == 0, "heads", "must divide hidden \(hiddenSize) (got \(heads))")
        try check((1...65536).contains(intermediateSize), "intermediate", "must be 1...65536 (got \(intermediateSize))")
        try check((1...1 << 20).contains(maxPositions), "max_positions", "must be 1...\(1 << 20) (got \(maxPositions))")
        try check((0..<vocabSize).contains(padTokenID), "pad_token_id", "must be an id of the vocabulary (got \(padTokenID))")
        try check(layerNormEps > 0 && layerNormEps < 1, "layer_norm_eps", "must be in (0, 1)")
        try check(initializerRange > 0 && initializerRange < 10, "initializer_range", "must be in (0, 10)")
    }

    /// Hugging Face's `config.json` for `BertForMaskedLM`.
    public var huggingFaceJSON: JSONValue {
        var o = JSONObject()
        o.add("architectures", .array([.string("BertForMaskedLM")]))
        o.add("model_type", .string("bert"))
        o.add("vocab_size", .int(vocabSize))
        o.add("hidden_size", .int(hiddenSize))
        o.add("num_hidden_layers", .int(layers))
        o.add("num_attention_heads", .int(heads))
        o.add("intermediate_size", .int(intermediateSize))
        o.add("hidden_act", .string("gelu"))
        o.add("hidden_dropout_prob", .double(0))
        o.add("attention_probs_dropout_prob", .double(0))
        o.add("max_position_embeddings", .int(maxPositions))
        o.add("type_vocab_size", .int(typeVocabSize))
        o.add("initializer_range", .double(Double(initializerRange)))
        o.add("layer_norm_eps", .double(Double(layerNormEps)))
        o.add("pad_token_id", .int(padTokenID))
        o.add("position_embedding_type", .string("absolute"))
        o.add("tie_word_embeddings", .bool(true))
        o.add("torch_dtype", .string("float32"))
        return .object(o)
    }

    /// Reads a `config.json` written by ``huggingFaceJSON`` (or by Hugging Face for a BERT).
    public init(huggingFace v: JSONValue) throws {
        do {
            guard try v.field("model_type").asString() == "bert" else { throw JSONError("model_type is not bert") }
            self.init(vocabSize: try v.field("vocab_size").asInt())
            hiddenSize = try v.field("hidden_size").asInt()
            layers = try v.field("num_hidden_layers").asInt()
            heads = try v.field("num_attention_heads").asInt()
            intermediateSize = try v.field("intermediate_size").asInt()
            maxPositions = try v.field("max_position_embeddings").asInt()
            typeVocabSize = try v.optionalField("type_vocab_size")?.asInt() ?? 2
            layerNormEps = Float(try v.optionalField("layer_norm_eps")?.asDouble() ?? 1e-12)
            initializerRange = Float(try v.optionalField("initializer_range")?.asDouble() ?? 0.02)
            padTokenID = try v.optionalField("pad_token_id")?.asInt() ?? 0
            if let act = try v.optionalField("hidden_act")?.asString(), act != "gelu" {
                throw JSONError("hidden_act \(act) is not supported (gelu only)")
            }
        } catch let e as JSONError {
            throw TrainerError("config.json: \(e.message)")
        }
        guard (1...16).contains(typeVocabSize) else { throw TrainerError("config.json: type_vocab_size \(typeVocabSize) must be 1...16") }
        try validate()
    }
}
