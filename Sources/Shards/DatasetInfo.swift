import Basics
import FoundationEssentials
import Glibc

/// What a reader of a GenomePrep dataset needs to know about its tokens, without the tokenizer: the
/// structured `dataset` object of `genomeprep.json`. The trainer learns the vocabulary size and the
/// special ids from here (it never imports Tokenize), and so does the Python package.
///
/// In JSON (snake_case, as Hugging Face configs are written):
/// `{"token_column": "tokens", "token_dtype": "uint8", "tokenizer": "char", "k": null, "vocab_size": 10,
///   "special_ids": {"pad": 0, "unk": 1, "cls": 2, "sep": 3, "mask": 4},
///   "base_ids": {"A": 5, "C": 6, "G": 7, "T": 8, "N": 9}, "window": 1000, "tokens_per_window": 1000,
///   "pmi_rank": false, "soft_mask": false}`
public struct DatasetInfo: Sendable, Equatable {
    /// The ids of the special tokens; nil where the vocabulary has no such token.
    public struct SpecialIDs: Sendable, Equatable {
        public var pad: Int?, unk: Int?, cls: Int?, sep: Int?, mask: Int?
        public init(pad: Int? = nil, unk: Int? = nil, cls: Int? = nil, sep: Int? = nil, mask: Int? = nil) {
            self.pad = pad; self.unk = unk; self.cls = cls; self.sep = sep; self.mask = mask
        }
    }
    /// The ids of single-base tokens (character tokens); nil for k-mers and BPE.
    public struct BaseIDs: Sendable, Equatable {
        public var a: Int, c: Int, g: Int, t: Int, n: Int?
        public init(a: Int, c: Int, g: Int, t: Int, n: Int?) { self.a = a; self.c = c; self.g = g; self.t = t; self.n = n }
    }

    /// The MDS column holding the token ids.
    public var tokenColumn: String
    /// `uint8` or `uint16`.
    public var tokenDType: String
    /// The tokenizer family: `char`, `kmer`, `nt-kmer`, `barcode-kmer`, `bpe`.
    public var tokenizer: String
    public var k: Int?
    public var vocabSize: Int
    public var specialIDs: SpecialIDs
    public var baseIDs: BaseIDs?
    /// Bases per window (for the random sampler, the window length it draws).
    public var window: Int
    /// Tokens in every window when that never varies (char, k-mers); nil for BPE and NT k-mers.
    public var tokensPerWindow: Int?
    /// Whether the shards have a `pmi_rank` column (a rank per token, for CM-GEMS masking).
    public var hasPMIRank: Bool
    /// Whether the shards have a `soft_mask` column (one bit per base, LSB first).
    public var hasSoftMask: Bool

    public init(tokenColumn: String = "tokens", tokenDType: String, tokenizer: String, k: Int?, vocabSize: Int,
                specialIDs: SpecialIDs, baseIDs: BaseIDs?, window: Int, tokensPerWindow: Int?,
                hasPMIRank: Bool, hasSoftMask: Bool) {
        self.tokenColumn = tokenColumn; self.tokenDType = tokenDType; self.tokenizer = tokenizer; self.k = k
        self.vocabSize = vocabSize; self.specialIDs = specialIDs; self.baseIDs = baseIDs; self.window = window
        self.tokensPerWindow = tokensPerWindow; self.hasPMIRank = hasPMIRank; self.hasSoftMask = hasSoftMask
    }

    public var json: JSONValue {
        func opt(_ v: Int?) -> JSONValue { v.map { .int($0) } ?? .null }
        var o = JSONObject()
        o.add("token_column", .string(tokenColumn))
        o.add("token_dtype", .string(tokenDType))
        o.add("tokenizer", .string(tokenizer))
        o.add("k", opt(k))
        o.add("vocab_size", .int(vocabSize))
        var s = JSONObject()
        s.add("pad", opt(specialIDs.pad)); s.add("unk", opt(specialIDs.unk)); s.add("cls", opt(specialIDs.cls))
        s.add("sep", opt(specialIDs.sep)); s.add("mask", opt(specialIDs.mask))
        o.add("special_ids", .object(s))
        if let b = baseIDs {
            var x = JSONObject()
            x.add("A", .int(b.a)); x.add("C", .int(b.c)); x.add("G", .int(b.g)); x.add("T", .int(b.t)); x.add("N", opt(b.n))
            o.add("base_ids", .object(x))
        } else {
            o.add("base_ids", .null)
        }
        o.add("window", .int(window))
        o.add("tokens_per_window", opt(tokensPerWindow))
        o.add("pmi_rank", .bool(hasPMIRank))
        o.add("soft_mask", .bool(hasSoftMask))
        return .object(o)
    }

    /// Reads the `dataset` object; every id is checked against the vocabulary size.
    public init(json v: JSONValue) throws {
        func id(_ x: JSONValue?, _ name: String, vocab: Int) throws -> Int? {
            guard let x else { return nil }
            let i = try x.asInt()
            guard i >= 0, i < vocab else { throw JSONError("\(name) id \(i) is outside the vocabulary (0..<\(vocab))") }
            return i
        }
        let vocab = try v.field("vocab_size").asInt()
        guard vocab > 0, vocab <= 1 << 32 else { throw JSONError("vocab_size \(vocab) is out of range") }
        let s = try v.field("special_ids")
        let specials = SpecialIDs(pad: try id(s.optionalField("pad"), "pad", vocab: vocab), unk: try id(s.optionalField("unk"), "unk", vocab: vocab),
                                  cls: try id(s.optionalField("cls"), "cls", vocab: vocab), sep: try id(s.optionalField("sep"), "sep", vocab: vocab),
                                  mask: try id(s.optionalField("mask"), "mask", vocab: vocab))
        var bases: BaseIDs? = nil
        if let b = try v.optionalField("base_ids") {
            func need(_ k: String) throws -> Int { try id(b.field(k), k, vocab: vocab)! }
            bases = BaseIDs(a: try need("A"), c: try need("C"), g: try need("G"), t: try need("T"),
                            n: try id(b.optionalField("N"), "N", vocab: vocab))
        }
        let window = try v.field("window").asInt()
        guard window > 0 else { throw JSONError("window \(window) must be positive") }
        let perWindow = try v.optionalField("tokens_per_window")?.asInt()
        if let perWindow, perWindow <= 0 { throw JSONError("tokens_per_window \(perWindow) must be positive") }
        let dtype = try v.field("token_dtype").asString()
        guard dtype == "uint8" || dtype == "uint16" else { throw JSONError("token_dtype '\(dtype)' is not uint8 or uint16") }
        self.init(tokenColumn: try v.field("token_column").asString(), tokenDType: dtype,
                  tokenizer: try v.field("tokenizer").asString(), k: try v.optionalField("k")?.asInt(),
                  vocabSize: vocab, specialIDs: specials, baseIDs: bases, window: window, tokensPerWindow: perWindow,
                  hasPMIRank: try v.field("pmi_rank").asBool(), hasSoftMask: try v.field("soft_mask").asBool())
    }

    /// Reads `genomeprep.json` of a run folder; given a split folder (`OUT/train`), reads its parent's.
    public static func load(folder: String) throws -> DatasetInfo {
        var candidates = [folder + "/genomeprep.json"]
        let trimmed = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        if let slash = trimmed.lastIndex(of: "/") {
            candidates.append(String(trimmed[..<slash]) + "/genomeprep.json")
        } else {
            candidates.append("genomeprep.json")
        }
        guard let path = candidates.first(where: { access($0, R_OK) == 0 }) else {
            throw ShardsError("no genomeprep.json in this folder or its parent", path: folder,
                              hint: "give a folder written by `genome-prep run` (or one of its split folders)")
        }
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { throw ShardsError("cannot read", path: path) }
        do {
            let root = try JSONValue.parse(Array(data))
            guard let d = try root.optionalField("dataset") else {
                throw ShardsError("has no 'dataset' object (written by an older genome-prep)", path: path,
                                  hint: "run the same pipeline again with this version to add it")
            }
            return try DatasetInfo(json: d)
        } catch let e as JSONError {
            throw ShardsError("dataset: \(e.message)", path: path)
        }
    }
}
