import FoundationEssentials
import Basics
import GenomeIO
import Shards
import Tokenize

/// A declarative pipeline (`pipelines/*.json`). Unknown keys are errors naming the file and key path.
public struct PipelineConfig: Sendable {
    public var version = 1
    public var name: String
    public var inputs: [String]
    /// Per-input labels (`{"path": ..., "label": ...}`), written as a `label` column; nil when none is given.
    public var labels: [String]? = nil
    /// Per-input integer weights (`{"path": ..., "weight": 2}`): each of the input's windows is written
    /// that many times (upsampling, as data-mix recipes repeat a small genome); nil when none is given.
    public var weights: [Int]? = nil
    /// Write a `gc` column (int64: G and C bases in the window as written).
    public var gcColumn = false
    public var window = 1000
    public var stride = 1000
    /// tiled (window, stride), random (count, perContig) or bed (bed, jitter), as `genome-prep windows`.
    public var sampler = SamplerSpec.tiled(stride: 1000)
    public var maxNFraction = 0.0
    public var softMask = "upper"
    /// softMask drop: windows with a larger lowercase fraction are dropped (as `genome-prep windows`).
    public var maxLowerFraction = 0.5
    public var strand = StrandMode.forward
    public var seed: UInt64 = 0
    public var val = 0.0
    public var test = 0.0
    public var splitBlock = 100_000
    public var tokenizer: TokenizerKind = .char
    /// An existing tokenizer.json to shard with (`tokenizer.file`): a DNABERT-2 or other Hugging Face BPE,
    /// GenomePrep's WordLevel vocabularies, or another run's tokenizer.json.
    public var tokenizerFile: String? = nil
    public var k = 6
    public var offset = 0
    public var vocabSize = 4096
    public var minFrequency = 2
    public var pmi: (maxK: Int, minCount: UInt64)? = nil
    /// The strands PMI counts (`pmi.strand`, as `pmi-stats --strand`): forward, both or canonical.
    public var pmiStrand = CountStrand.forward
    public var out: String
    public var sizeLimit = 64 << 20
    public var zstdLevel: Int? = 3
    /// "records": token bytes coded as zstd literals, the rest matched to the previous sample (`RecordZstd`);
    /// "search": zstd's own match search; "auto": records for character tokens, search otherwise.
    public var zstdMode = "auto"
    /// Hashes recorded for every shard file (MDS allows any of sha1, xxh3_64, ...; none is required).
    public var hashes: [MDSHash] = [.xxh3_64]
    /// The config's own bytes (recorded in provenance; a different config refuses to reuse an output folder).
    public var text = ""

    static let sections: [String: Set<String>] = [
        "": ["version", "name", "inputs", "windows", "tokenizer", "pmi", "shards"],
        "windows": ["window", "stride", "sampler", "count", "perContig", "bed", "jitter", "maxNFraction", "softMask", "maxLowerFraction", "strand",
                    "seed", "val", "test", "splitBlock"],
        "tokenizer": ["kind", "k", "offset", "vocabSize", "minFrequency", "file"],
        "pmi": ["maxK", "minCount", "strand"],
        "shards": ["out", "sizeLimit", "zstdLevel", "zstdMode", "hashes", "gc"],
    ]

    public static func load(path: String) throws -> PipelineConfig {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw PipelineError("cannot read the pipeline config", path: path)
        }
        let root: JSONValue
        do { root = try JSONValue.parse(Array(data)) } catch { throw PipelineError("not valid JSON: \(error)", path: path) }
        guard case .object(let o) = root else { throw PipelineError("the config must be a JSON object", path: path) }
        // The typed, range-checked reads every config shares (ConfigReader); every number is checked here,
        // before it sizes or seeds anything (a negative seed trapped, a window of 10^12 tried to allocate it).
        let r = ConfigReader(path: path, sections: sections)
        func check(_ obj: JSONObject, _ section: String) throws { try r.checkKeys(obj, section) }
        try check(o, "")
        func bad(_ key: String, _ want: String) -> PipelineError { r.bad(key, want) }
        func str(_ obj: JSONObject, _ k: String, _ full: String) throws -> String? { try r.string(obj, k, full: full) }
        func int(_ obj: JSONObject, _ k: String, _ full: String, _ range: ClosedRange<Int> = 0...Int.max) throws -> Int? {
            try r.int(obj, k, range, full: full)
        }
        func num(_ obj: JSONObject, _ k: String, _ full: String, _ range: ClosedRange<Double> = 0...1) throws -> Double? {
            try r.number(obj, k, range, full: full)
        }
        func section(_ k: String) throws -> JSONObject? { try r.section(o, k) }
        guard let name = try str(o, "name", "name") else { throw bad("name", "present (a string)") }
        guard case .array(let ins)? = o["inputs"], !ins.isEmpty else { throw bad("inputs", "a non-empty list of FASTA paths") }
        var inputs: [String] = [], labels: [String?] = [], weights: [Int] = []
        for (i, v) in ins.enumerated() {
            switch v {
            case .string(let s): inputs.append(s); labels.append(nil); weights.append(1)
            case .object(let x):
                for (k, _) in x.pairs where k != "path" && k != "label" && k != "weight" {
                    throw PipelineError("unknown key 'inputs[\(i)].\(k)' (an input is a path or {\"path\", \"label\", \"weight\"})", path: path)
                }
                guard let p = try str(x, "path", "inputs[\(i)].path") else { throw bad("inputs[\(i)].path", "present") }
                inputs.append(p); labels.append(try str(x, "label", "inputs[\(i)].label"))
                if let w = x["weight"] {
                    guard case .int(let n) = w, (1...100).contains(n) else {
                        throw bad("inputs[\(i)].weight", "an integer 1...100 (each window is written that many times; for fractional mixing weight the split folders in the training config, data.train[].weight)")
                    }
                    weights.append(n)
                } else {
                    weights.append(1)
                }
            default: throw bad("inputs", "a list of FASTA paths or {\"path\", \"label\"} objects")
            }
        }
        if labels.contains(where: { $0 != nil }) {
            guard labels.allSatisfy({ $0 != nil && !$0!.isEmpty }) else { throw bad("inputs", "all labelled (a non-empty label on every input) or none") }
        }
        guard let sh = try section("shards"), let out = try str(sh, "out", "shards.out") else { throw bad("shards.out", "present (the output folder)") }
        var c = PipelineConfig(name: name, inputs: inputs, out: out)
        if labels.contains(where: { $0 != nil }) { c.labels = labels.map { $0! } }
        if weights.contains(where: { $0 != 1 }) { c.weights = weights }
        c.text = String(decoding: data, as: UTF8.self)
        if let v = try int(o, "version", "version") {
            guard v == 1 else { throw PipelineError("config version \(v) is not supported (this tool reads version 1)", path: path) }
        }
        if let w = try section("windows") {
            c.window = try int(w, "window", "windows.window", 1...PipelineConfig.maxWindow) ?? c.window
            c.stride = try int(w, "stride", "windows.stride", 1...PipelineConfig.maxWindow) ?? c.window
            switch try str(w, "sampler", "windows.sampler") ?? "tiled" {
            case "tiled": c.sampler = .tiled(stride: c.stride)
            case "random":
                guard let n = try int(w, "count", "windows.count", 1...PipelineConfig.maxWindows) else { throw bad("windows.count", "a positive number of windows for the random sampler") }
                var perContig = false
                if let v = w["perContig"] { guard case .bool(let b) = v else { throw bad("windows.perContig", "true or false") }; perContig = b }
                c.sampler = .random(count: n, perContig: perContig)
            case "bed":
                guard let bed = try str(w, "bed", "windows.bed") else { throw bad("windows.bed", "the BED file of the bed sampler") }
                c.sampler = .bed(path: bed, jitter: try int(w, "jitter", "windows.jitter", 0...PipelineConfig.maxWindow) ?? 0)
            default: throw bad("windows.sampler", "tiled, random or bed")
            }
            for (key, used) in [("count", c.sampler.name == "random"), ("perContig", c.sampler.name == "random"),
                                ("bed", c.sampler.name == "bed"), ("jitter", c.sampler.name == "bed")] where w[key] != nil && !used {
                throw PipelineError("'windows.\(key)' does not apply to the \(c.sampler.name) sampler", path: path)
            }
            // BED intervals are taken as they are unless asked otherwise (as `genome-prep windows` does).
            c.maxNFraction = try num(w, "maxNFraction", "windows.maxNFraction") ?? (c.sampler.name == "bed" ? 1 : c.maxNFraction)
            c.softMask = try str(w, "softMask", "windows.softMask") ?? c.softMask
            guard ["upper", "keep", "drop"].contains(c.softMask) else { throw bad("windows.softMask", "upper, keep or drop (got '\(c.softMask)')") }
            c.maxLowerFraction = try num(w, "maxLowerFraction", "windows.maxLowerFraction") ?? c.maxLowerFraction
            if w["maxLowerFraction"] != nil && c.softMask != "drop" { throw PipelineError("'windows.maxLowerFraction' applies to softMask drop", path: path) }
            if let s = try str(w, "strand", "windows.strand") {
                guard let m = StrandMode(rawValue: s) else { throw bad("windows.strand", "forward, both or random") }
                c.strand = m
            }
            c.seed = UInt64(try int(w, "seed", "windows.seed") ?? 0)
            c.val = try num(w, "val", "windows.val") ?? 0
            c.test = try num(w, "test", "windows.test") ?? 0
            guard c.val + c.test < 1 else { throw bad("windows.val + windows.test", "below 1 so that a train split remains (got \(c.val + c.test))") }
            c.splitBlock = try int(w, "splitBlock", "windows.splitBlock", 1...(1 << 40)) ?? c.splitBlock
        }
        if let t = try section("tokenizer"), let file = try str(t, "file", "tokenizer.file") {
            guard t.count == 1 else {
                throw PipelineError("'tokenizer.file' takes no other tokenizer keys (the file says what it is; got \(t.pairs.map { $0.0 }.sorted()))", path: path)
            }
            // Loaded here so that its kind and k are known to the checks below (pmi needs 6-mers).
            let loaded = try HFTokenizerJSON.load(path: file)
            c.tokenizerFile = file
            c.tokenizer = loaded.kind
            if let km = loaded as? KmerTokenizer {
                c.k = km.k
                if case .barcode(let o) = km.style { c.offset = o }
            }
        } else if let t = try section("tokenizer") {
            if let k = try str(t, "kind", "tokenizer.kind") {
                guard let kind = TokenizerKind(rawValue: k) else { throw bad("tokenizer.kind", "char, kmer, nt-kmer, barcode-kmer or bpe") }
                c.tokenizer = kind
            }
            c.k = try int(t, "k", "tokenizer.k", 1...12) ?? c.k
            c.offset = try int(t, "offset", "tokenizer.offset", 0...11) ?? 0
            c.vocabSize = try int(t, "vocabSize", "tokenizer.vocabSize", 1...65_536) ?? c.vocabSize
            c.minFrequency = try int(t, "minFrequency", "tokenizer.minFrequency", 0...Int.max) ?? c.minFrequency
        }
        if let p = try section("pmi") {
            guard c.tokenizer == .kmer else { throw PipelineError("'pmi' gives per-token ranks for overlapping k-mer tokens only (tokenizer.kind \"kmer\")", path: path) }
            guard c.k == 6 else { throw PipelineError("'pmi' ranks are for 6-mer tokens: set tokenizer.k to 6 (got \(c.k))", path: path) }
            c.pmi = (try int(p, "maxK", "pmi.maxK", 1...14) ?? 10, UInt64(try int(p, "minCount", "pmi.minCount") ?? 101))
            if let st = try str(p, "strand", "pmi.strand") {
                guard let v = CountStrand(rawValue: st) else { throw bad("pmi.strand", "forward, both or canonical") }
                c.pmiStrand = v
            }
        }
        c.sizeLimit = try int(sh, "sizeLimit", "shards.sizeLimit", 1024...(1 << 31)) ?? c.sizeLimit
        if let g = sh["gc"] { guard case .bool(let b) = g else { throw bad("shards.gc", "true or false") }; c.gcColumn = b }
        if let z = sh["zstdLevel"] {
            if z == .null { c.zstdLevel = nil } else { c.zstdLevel = try int(sh, "zstdLevel", "shards.zstdLevel", -7...22) }
        }
        if let h = sh["hashes"] {
            guard case .array(let list) = h else { throw bad("shards.hashes", "a list such as [\"xxh3_64\", \"sha1\"]") }
            c.hashes = try list.map { v in
                guard case .string(let name) = v, let a = MDSHash(rawValue: name) else { throw bad("shards.hashes", "a list of sha1 and xxh3_64 (got \(v.renderPython()))") }
                return a
            }
            guard Set(c.hashes).count == c.hashes.count else { throw bad("shards.hashes", "a list without repeats") }
        }
        if let m = try str(sh, "zstdMode", "shards.zstdMode") {
            guard ["auto", "records", "search"].contains(m) else { throw bad("shards.zstdMode", "auto, records or search") }
            if m == "records" && c.tokenizer != .char {
                throw PipelineError("shards.zstdMode 'records' codes character tokens (tokenizer.kind \"char\"); use auto or search", path: path)
            }
            c.zstdMode = m
        }
        // Relative paths are relative to the current directory, as on the command line.
        return c
    }
}

extension PipelineConfig {
    /// A config's meaning as text: parsed and written back with sorted keys and fixed spacing, so that
    /// re-indenting or reordering keys does not make it "another config". Nil when it does not parse.
    static func canonical(_ text: String) -> String? {
        (try? JSONValue.parse(Array(text.utf8)))?.renderPython()
    }

    /// The largest window or stride a config may ask for (1 Gbp), and the most random windows (2^31).
    static let maxWindow = 1 << 30
    static let maxWindows = 1 << 31
}
