import Basics
import FoundationEssentials
import GenomeIO

/// Reads and writes Hugging Face `tokenizers` `tokenizer.json` (version 1.0) for GenomePrep's
/// tokenizers, so that `tokenizers.Tokenizer.from_file` loads them and encodes to the same ids.
///
/// How each tokenizer is expressed:
/// - char: `WordLevel` + `Split` on the regex `.` (isolated); unknown characters are the unk token.
/// - nt-kmer: `WordLevel` + `Split` on `[ACGT]{k}|.` (isolated): left-to-right k-mers within ACGT runs,
///   single letters elsewhere, exactly NT's rule.
/// - kmer (overlapping, DNABERT): `WordLevel` + `WhitespaceSplit`; HF cannot make overlapping tokens, so
///   the text must be the space-separated k-mers (DNABERT's own input convention).
/// - barcode-kmer: `WordLevel` + `Split` on `.{k}` (isolated); the text must start at the offset and
///   hold a whole number of k-mers.
/// - bpe: `BPE` + `Whitespace` (a window is one word), DNABERT-2's setup.
///
/// Every file also has a post-processor that adds the specials the matching checkpoints expect around
/// a sequence (`[CLS] … [SEP]`; NT: `<cls> … <eos>`), so `encode(text)` gives a model's input and
/// `encode(text, add_special_tokens=False)` gives exactly the ids in the shards (which hold no specials),
/// and a `Fuse` decoder, so `decode` gives the bases back without spaces (BPE keeps `[UNK]`, which is
/// not marked special). Overlapping k-mers have no decoder: no Hugging Face decoder can merge
/// overlapping tokens, so they decode to DNABERT's space-separated k-mers (`genome-prep tokenizer
/// decode` merges them).
public enum HFTokenizerJSON {
    /// The tokens a model's input starts and ends with (`[CLS]`, `[SEP]`; NT: `<cls>`, `<eos>`).
    public static func boundaryTokens(_ t: any Tokenizer) -> (first: String, last: String) {
        t.kind == .ntKmer ? ("<cls>", "<eos>") : ("[CLS]", "[SEP]")
    }

    // MARK: export

    public static func export(_ t: any Tokenizer) -> String {
        var o = JSONObject()
        o.add("version", .string("1.0"))
        o.add("truncation", .null)
        o.add("padding", .null)
        var added: [JSONValue] = []
        for s in t.vocabulary.specials {
            var a = JSONObject()
            a.add("id", .int(Int(t.vocabulary.id(s)!)))
            a.add("content", .string(s))
            a.add("single_word", .bool(false)); a.add("lstrip", .bool(false)); a.add("rstrip", .bool(false))
            // BPE's [UNK] stands for bases, so decoding keeps it (skip_special_tokens drops specials only).
            a.add("normalized", .bool(false)); a.add("special", .bool(!(t is BPETokenizer && s == "[UNK]")))
            added.append(.object(a))
        }
        o.add("added_tokens", .array(added))
        o.add("normalizer", .null)
        func split(_ regex: String) -> JSONValue {
            var p = JSONObject()
            p.add("type", .string("Split"))
            var pat = JSONObject(); pat.add("Regex", .string(regex))
            p.add("pattern", .object(pat))
            p.add("behavior", .string("Isolated"))
            p.add("invert", .bool(false))
            return .object(p)
        }
        func simple(_ type: String) -> JSONValue { var p = JSONObject(); p.add("type", .string(type)); return .object(p) }
        var vocab = JSONObject()
        for (i, tok) in t.vocabulary.tokens.enumerated() { vocab.add(tok, .int(i)) }
        var model = JSONObject()
        switch t {
        case let b as BPETokenizer:
            o.add("pre_tokenizer", simple("Whitespace"))
            model.add("type", .string("BPE"))
            model.add("dropout", .null)
            model.add("unk_token", .string(b.unkToken))
            model.add("continuing_subword_prefix", .null)
            model.add("end_of_word_suffix", .null)
            model.add("fuse_unk", .bool(false))
            model.add("byte_fallback", .bool(false))
            model.add("ignore_merges", .bool(false))
            model.add("vocab", .object(vocab))
            model.add("merges", .array(b.merges.map { .string("\($0.0) \($0.1)") }))
        case let k as KmerTokenizer:
            switch k.style {
            case .overlapping: o.add("pre_tokenizer", simple("WhitespaceSplit"))
            case .nucleotideTransformer: o.add("pre_tokenizer", split("[ACGT]{\(k.k)}|."))
            case .barcode: o.add("pre_tokenizer", split(".{\(k.k)}"))
            }
            model.add("type", .string("WordLevel"))
            model.add("vocab", .object(vocab))
            model.add("unk_token", .string(k.style == .nucleotideTransformer ? "<unk>" : "[UNK]"))
        default:
            o.add("pre_tokenizer", split("."))
            model.add("type", .string("WordLevel"))
            model.add("vocab", .object(vocab))
            model.add("unk_token", .string("[UNK]"))
        }
        let (first, last) = boundaryTokens(t)
        if let firstID = t.vocabulary.id(first), let lastID = t.vocabulary.id(last) {
            func special(_ tok: String, _ type: Int) -> JSONValue {
                var x = JSONObject(); x.add("id", .string(tok)); x.add("type_id", .int(type))
                var w = JSONObject(); w.add("SpecialToken", .object(x)); return .object(w)
            }
            func sequence(_ id: String, _ type: Int) -> JSONValue {
                var x = JSONObject(); x.add("id", .string(id)); x.add("type_id", .int(type))
                var w = JSONObject(); w.add("Sequence", .object(x)); return .object(w)
            }
            func entry(_ tok: String, _ id: UInt32) -> JSONValue {
                var x = JSONObject(); x.add("id", .string(tok)); x.add("ids", .array([.int(Int(id))])); x.add("tokens", .array([.string(tok)]))
                return .object(x)
            }
            var pp = JSONObject()
            pp.add("type", .string("TemplateProcessing"))
            pp.add("single", .array([special(first, 0), sequence("A", 0), special(last, 0)]))
            pp.add("pair", .array([special(first, 0), sequence("A", 0), special(last, 0), sequence("B", 1), special(last, 1)]))
            var st = JSONObject(); st.add(first, entry(first, firstID)); st.add(last, entry(last, lastID))
            pp.add("special_tokens", .object(st))
            o.add("post_processor", .object(pp))
        } else {
            o.add("post_processor", .null)
        }
        o.add("decoder", t.kind == .kmer ? .null : simple("Fuse"))
        o.add("model", .object(model))
        return JSONValue.object(o).render() + "\n"
    }

    public static func write(_ t: any Tokenizer, to path: String) throws {
        let file = try OutputFile(path: path)
        do { try file.write(export(t)); try file.commit() } catch { file.abandon(); throw error }
    }

    /// The special tokens under the names `transformers` gives them (pad, unk, cls, sep, mask; NT: bos/eos).
    static func specialTokensMap(_ t: any Tokenizer) -> JSONObject {
        var m = JSONObject()
        let v = t.vocabulary
        let names: [(String, String)] = t.kind == .ntKmer
            ? [("bos_token", "<bos>"), ("eos_token", "<eos>"), ("unk_token", "<unk>"), ("sep_token", "<eos>"), ("pad_token", "<pad>"),
               ("cls_token", "<cls>"), ("mask_token", "<mask>")]
            : [("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"), ("cls_token", "[CLS]"), ("mask_token", "[MASK]")]
        for (key, tok) in names where v.id(tok) != nil { m.add(key, .string(tok)) }
        return m
    }

    /// `tokenizer_config.json` and `special_tokens_map.json`, which `transformers.AutoTokenizer` reads next
    /// to `tokenizer.json` (a `PreTrainedTokenizerFast` with the specials named, padding on the right).
    public static func transformersFiles(_ t: any Tokenizer, modelMaxLength: Int) -> [(name: String, text: String)] {
        var c = JSONObject()
        c.add("tokenizer_class", .string("PreTrainedTokenizerFast"))
        c.add("model_max_length", .int(modelMaxLength))
        c.add("padding_side", .string("right"))
        c.add("truncation_side", .string("right"))
        c.add("clean_up_tokenization_spaces", .bool(false))
        c.add("model_input_names", .array([.string("input_ids"), .string("token_type_ids"), .string("attention_mask")]))
        let m = specialTokensMap(t)
        for (k, v) in m.pairs { c.add(k, v) }
        return [("tokenizer_config.json", JSONValue.object(c).render() + "\n"), ("special_tokens_map.json", JSONValue.object(m).render() + "\n")]
    }

    // MARK: import

    /// A post-processor is applied or refused, never ignored: GenomePrep's shards hold a window's tokens
    /// without specials, and the tokenizer.json it writes adds `[CLS] … [SEP]` (NT: `<cls> … <eos>`) when
    /// encoding for a model. So a file may have no post-processor, or a TemplateProcessing that wraps a
    /// single sequence in one special token on each side (DNABERT-2's `[CLS] $A [SEP]`), which the written
    /// file reproduces; anything else (BertProcessing, RobertaProcessing, ByteLevel, other templates) is
    /// refused, naming the field.
    static func checkPostProcessor(_ v: JSONValue?, vocab: JSONObject, path: String) throws {
        guard let v, v != .null else { return }
        func refuse(_ why: String) -> TokenizeError {
            TokenizeError("\(why); GenomePrep applies only '[CLS] $A [SEP]'-style templates (the shards hold no specials; "
                          + "the tokenizer.json it writes adds them for models)", path: path, field: "post_processor")
        }
        guard case .object(let p) = v, case .string(let type)? = p["type"] else { throw refuse("not an object with a type") }
        guard type == "TemplateProcessing" else { throw refuse("post-processor type '\(type)' is not applied") }
        guard case .array(let single)? = p["single"], single.count == 3 else { throw refuse("the single-sequence template is not [special] $A [special]") }
        func specialName(_ x: JSONValue) -> String? {
            if case .object(let w) = x, case .object(let s)? = w["SpecialToken"], case .string(let id)? = s["id"] { return id }
            return nil
        }
        guard let first = specialName(single[0]), let last = specialName(single[2]),
              case .object(let mid) = single[1], mid["Sequence"] != nil else {
            throw refuse("the single-sequence template is not [special] $A [special]")
        }
        let expected = [("[CLS]", "[SEP]"), ("<cls>", "<eos>")]
        guard expected.contains(where: { $0 == (first, last) }), vocab[first] != nil, vocab[last] != nil else {
            throw refuse("the template wraps sequences in '\(first)' and '\(last)'")
        }
    }

    /// Loads a `tokenizer.json`: BPE models (trained by GenomePrep or by HF `BpeTrainer`), and the
    /// WordLevel vocabularies GenomePrep writes. Anything else is refused, naming the field.
    public static func load(path: String) throws -> any Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizeError("cannot read: \(error)", path: path)
        }
        let root: JSONValue
        do { root = try JSONValue.parse(Array(data)) } catch let e as JSONError {
            throw TokenizeError("not valid JSON (truncated or hand-edited?): \(e.message)", path: path)
        }
        guard case .object(let o) = root else { throw TokenizeError("top level is not a JSON object", path: path) }
        guard case .object(let model)? = o["model"] else { throw TokenizeError("missing or not an object", path: path, field: "model") }
        guard case .string(let type)? = model["type"] else { throw TokenizeError("missing model type", path: path, field: "model.type") }
        guard case .object(let vocabObj)? = model["vocab"] else { throw TokenizeError("missing or not an object", path: path, field: "model.vocab") }
        try checkPostProcessor(o["post_processor"], vocab: vocabObj, path: path)
        var tokens = [String?](repeating: nil, count: vocabObj.count)
        for (tok, v) in vocabObj.pairs {
            guard case .int(let id) = v, id >= 0, id < vocabObj.count else {
                throw TokenizeError("token '\(tok)' has id \(v.render()), outside 0...\(vocabObj.count - 1): ids must be 0..<size with no gaps", path: path, field: "model.vocab")
            }
            if let other = tokens[id] { throw TokenizeError("id \(id) is used by both '\(other)' and '\(tok)'", path: path, field: "model.vocab") }
            tokens[id] = tok
        }
        let toks = tokens.map { $0! }
        var specials: [String] = []
        if case .array(let added)? = o["added_tokens"] {
            for a in added {
                if case .object(let ao) = a, case .string(let c)? = ao["content"] {
                    guard vocabObj[c] != nil else {
                        throw TokenizeError("added token '\(c)' is not in the vocabulary", path: path, field: "added_tokens")
                    }
                    specials.append(c)
                }
            }
        }
        switch type {
        case "BPE":
            guard case .array(let ms)? = model["merges"] else { throw TokenizeError("missing merges", path: path, field: "model.merges") }
            var merges: [(String, String)] = []
            for (i, m) in ms.enumerated() {
                switch m {
                case .string(let s):
                    let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw TokenizeError("merge \(i) '\(s)' is not two tokens", path: path, field: "model.merges") }
                    merges.append((String(parts[0]), String(parts[1])))
                case .array(let a):
                    guard a.count == 2, case .string(let x) = a[0], case .string(let y) = a[1] else {
                        throw TokenizeError("merge \(i) is not a pair of strings", path: path, field: "model.merges")
                    }
                    merges.append((x, y))
                default: throw TokenizeError("merge \(i) is neither \"a b\" nor [\"a\", \"b\"]", path: path, field: "model.merges")
                }
            }
            for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix"] {
                if let v = model[key], v != .null {
                    throw TokenizeError("\(key) = \(v.render()) is not supported (GenomePrep encodes plain BPE)", path: path, field: "model.\(key)")
                }
            }
            for key in ["byte_fallback", "ignore_merges"] {
                if case .bool(true)? = model[key] {
                    throw TokenizeError("\(key) = true is not supported (GenomePrep encodes plain BPE)", path: path, field: "model.\(key)")
                }
            }
            var unk = "[UNK]"
            if case .string(let u)? = model["unk_token"] { unk = u }
            let bpe: BPETokenizer
            do {
                bpe = try BPETokenizer(vocabulary: Vocabulary(tokens: toks, specials: specials), merges: merges, unkToken: unk)
            } catch var e as TokenizeError { e.path = path; throw e }
            // A vocabulary with no base, or an unk token it lacks, encodes DNA to nothing (3000 bases gave
            // 0 tokens): refused.
            for base in ["A", "C", "G", "T"] where vocabObj[base] == nil {
                throw TokenizeError("the vocabulary has no token '\(base)', so windows would encode to nothing", path: path, field: "model.vocab")
            }
            guard vocabObj[unk] != nil else {
                throw TokenizeError("unk_token '\(unk)' is not in the vocabulary (N and unknown bases would vanish)", path: path, field: "model.unk_token")
            }
            return bpe
        case "WordLevel":
            // Recognise GenomePrep's own vocabularies.
            var candidates: [any Tokenizer] = [CharTokenizer()]
            for k in 3...6 { candidates.append(try KmerTokenizer(k: k)) }
            for k in 2...8 { candidates.append(try KmerTokenizer(k: k, style: .nucleotideTransformer)) }
            let pattern: String? = {
                if case .object(let p)? = o["pre_tokenizer"], case .object(let pat)? = p["pattern"], case .string(let r)? = pat["Regex"] { return r }
                return nil
            }()
            if let pattern, pattern.hasPrefix(".{"), let k = Int(pattern.dropFirst(2).dropLast()) {
                candidates.append(try KmerTokenizer(k: k, style: .barcode(offset: 0)))
            }
            for c in candidates where c.vocabulary.tokens == toks {
                if c.kind == .kmer, pattern != nil { continue }
                return c
            }
            throw TokenizeError("this WordLevel vocabulary (\(toks.count) tokens) is not one of GenomePrep's (char, k-mer, NT k-mer)", path: path, field: "model.vocab")
        default:
            throw TokenizeError("model type '\(type)' is not supported (BPE and GenomePrep's WordLevel vocabularies are)", path: path, field: "model.type")
        }
    }
}
