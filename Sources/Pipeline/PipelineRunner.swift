import Basics
import FoundationEssentials
import GenomeIO
import Glibc
import Shards
import Tokenize

/// What `genome-prep run` did.
public struct PipelineSummary: Sendable {
    public var windows: [Int] = [0, 0, 0]
    public var dropped: [String: Int] = [:]
    public var bases = 0
    public var tokens = 0
    public var shardBytes = 0
    public var seconds = 0.0

    public func render() -> String {
        let total = windows.reduce(0, +)
        var s = "windows   \(total) (train \(windows[0]), val \(windows[1]), test \(windows[2]))\n"
        let d = dropped.values.reduce(0, +)
        s += "dropped   \(d)" + (d > 0 ? ": " + dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") : "") + "\n"
        let secs = max(seconds, 1e-9)
        s += "speed     \(Int(Double(total) / secs)) windows/s, \(Int(Double(bases) / secs / 1e6)) Mbase/s\n"
        let bpb = bases > 0 ? Double(shardBytes * 8) / Double(bases) : 0
        s += "shards    \(shardBytes) bytes on disk, \(String(Double(Int(bpb * 1000)) / 1000)) bits per base\n"
        s += "time      \(String(Double(Int(seconds * 1000)) / 1000)) s\n"
        return s
    }
}

/// How far a run is: bases read of the total (nil when an input has no `.fai`), windows kept.
public struct RunProgress: Sendable {
    public var bases: Int
    public var totalBases: Int?
    public var windows: Int
}

/// One machine's slice of a run (`--part i/n`): the windows whose (seed, contig, split block) hash to
/// `index` modulo `count`, written to `<split>/part-0000i/`. Every part reads every input (BPE and PMI
/// see the whole genome, so all parts share one tokenizer), so the parts together hold exactly the
/// samples of a single run.
public struct PipelinePart: Sendable, Equatable {
    public let index: Int
    public let count: Int
    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= 99_999, index >= 0, index < count else {
            throw PipelineError("--part must be i/n with 0 <= i < n (got \(index)/\(count))")
        }
        self.index = index; self.count = count
    }
    /// Parses "i/n".
    public init(parsing s: String) throws {
        let f = s.split(separator: "/")
        guard f.count == 2, let i = Int(f[0]), let n = Int(f[1]) else { throw PipelineError("--part must look like 0/4 (got '\(s)')") }
        try self.init(index: i, count: n)
    }
    public var folder: String { "part-" + String(index).leftPad(5) }
    public var text: String { "\(index)/\(count)" }

    @inline(__always)
    func owns(seed: UInt64, contig: String, start: Int, block: Int) -> Bool {
        StableHash.key(seed: seed, contig: contig, position: start / block, salt: 0x5041_5254) % UInt64(count) == UInt64(index)
    }
}

/// Takes kept windows on the windowing thread: progress, the --part slice, counts, resume skipping;
/// then copies each window into a batch for the tokenize stage.
struct RunOutput: WindowOutput {
    let stage: TokenizeStage
    let hasWriter: [Bool]
    var source: String
    /// Per-input labels, and the current input's.
    var labels: [String]? = nil
    var label = ""
    /// Per-input repetition counts of train windows, and the current input's.
    var weights: [Int]? = nil
    var weight = 1
    var part: PipelinePart? = nil
    var seed: UInt64 = 0
    var block = 100_000
    var progress: ((RunProgress) -> Void)? = nil
    var totalBases: Int? = nil
    var reports = 0
    /// Bases of the inputs and contigs finished before the current one (for progress).
    var basesBefore = 0
    var contigLengths: [String: Int] = [:]
    var currentContig = ""
    var currentBase = 0
    /// Samples per split already in adopted shards of an interrupted run: skipped, not rewritten.
    var skip: [Int] = [0, 0, 0]
    var batch = TokenizeStage.Batch()
    var summary = PipelineSummary()

    mutating func beginInput(index: Int, path: String) {
        source = path.split(separator: "/").last.map(String.init) ?? path
        label = labels?[index] ?? ""
        weight = weights?[index] ?? 1
        if index > 0 { basesBefore += contigLengths[currentContig] ?? 0 }
        currentContig = ""
    }

    mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                        codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
        if let progress {
            if contig != currentContig {
                basesBefore += contigLengths[currentContig] ?? 0
                currentContig = contig
            }
            currentBase = basesBefore + start
            reports &+= 1
            if reports & 1023 == 0 {
                progress(RunProgress(bases: currentBase, totalBases: totalBases,
                                     windows: summary.windows[0] + summary.windows[1] + summary.windows[2]))
            }
        }
        guard hasWriter[split.rawValue] else { return }
        if let part, !part.owns(seed: seed, contig: contig, start: start, block: block) { return }
        // A weight upsamples training data; val and test keep each window once (evaluation sees it once).
        for _ in 0..<(split == .train ? weight : 1) {
            summary.windows[split.rawValue] += 1
            summary.bases += codes.count
            if skip[split.rawValue] > 0 { skip[split.rawValue] -= 1; continue }
            batch.add(contig: contig, start: start, strand: strand.rawValue, split: split.rawValue, source: source, label: label, codes: codes)
            if batch.windows.count >= TokenizeStage.batchWindows || batch.codes.count >= TokenizeStage.batchBases {
                try stage.submit(batch)
                batch = stage.takeBatch()
            }
        }
    }

    /// Sends the last batch and waits for the stage; the token count.
    mutating func finish() throws -> Int {
        if !batch.windows.isEmpty { try stage.submit(batch); batch = stage.takeBatch() }
        return try stage.finish()
    }
}

/// The number of tokens every window of `window` bases encodes to, when it never varies: the same for
/// windows of A's, C's, N's and a mix (BPE and NT k-mers, which split on N, vary).
func fixedTokenCount(_ t: any Tokenizer, window: Int) -> Int? {
    guard t.kind != .bpe, window > 0 else { return nil }
    let encoder = TokenEncoder(t)
    var counts = Set<Int>()
    var ids: [UInt32] = []
    for fill: UInt8 in [0, 1, 4] {
        var codes = [UInt8](repeating: fill, count: window)
        if fill == 1 { for i in stride(from: 0, to: window, by: 3) { codes[i] = 4 } }
        ids.removeAll(keepingCapacity: true)
        codes.withUnsafeBufferPointer { encoder.encode($0, into: &ids) }
        counts.insert(ids.count)
    }
    return counts.count == 1 && counts.first! > 0 ? counts.first! : nil
}

/// `genome-prep run`: read, sample, [count k-mers and PMI], [train BPE], tokenize, write MDS shards.
public enum PipelineRunner {
    /// - Parameters:
    ///   - part: write only this slice, to `<split>/part-0000i/` (merge the parts with `PipelineMerge`).
    ///   - progress: called every 1024 windows with the bases read so far (and the total, from the
    ///     inputs' `.fai` files when every input has one).
    ///   - log: one line per phase (training BPE, counting n-grams, resuming a split).
    public static func run(_ c: PipelineConfig, threads: Int = 1, part: PipelinePart? = nil,
                           progress: ((RunProgress) -> Void)? = nil,
                           log: (String) -> Void = { _ in }) throws -> PipelineSummary {
        let t0 = MonotonicClock.now()
        for p in c.inputs where p == "-" {
            throw PipelineError("standard input ('-') cannot be a pipeline input: a run reads its inputs more than once (checksums, BPE training, PMI counts) and must be able to resume",
                                path: p, hint: "write the stream to a file first (e.g. `zcat x.fa.gz > x.fa`)")
        }
        for p in c.inputs where access(p, R_OK) != 0 {
            throw PipelineError("input FASTA is missing or unreadable", path: p, hint: "paths in a pipeline are relative to the current directory")
        }
        var identities = Set<FileIdentity>()
        for p in c.inputs {
            try FileIdentity.requireRegularFile(p)
            if let id = FileIdentity.of(p), !identities.insert(id).inserted {
                throw PipelineError("this input is listed twice ('inputs'); every window would be written twice", path: p)
            }
        }
        let provenancePath = c.out + (part.map { "/genomeprep.\($0.folder).json" } ?? "/genomeprep.json")
        let markerPath = c.out + "/genomeprep.run.json"
        try OutputFolder.checkBeforeRun(c, part: part, provenancePath: provenancePath, markerPath: markerPath)
        // The inputs' checksums (for provenance): from the sharding pass as it reads each file (InputChecksums).
        let checksums = InputChecksums(inputs: c.inputs)
        try makeDirectory(c.out)
        if access(markerPath, F_OK) != 0 { try writeAtomically(Array(c.text.utf8), to: markerPath) }
        try OutputFolder.checkInputsUnchanged(c, part: part)

        var o = WindowsOptions(inputs: c.inputs)
        o.window = c.window; o.sampler = c.sampler; o.maxNFraction = c.maxNFraction
        switch c.softMask {
        case "upper": o.softMask = .upper
        case "keep": o.softMask = .keep
        case "drop": o.softMask = .drop(maxFraction: c.maxLowerFraction)
        default: throw PipelineError("windows.softMask must be upper, keep or drop in a pipeline (got '\(c.softMask)')")
        }
        o.strand = c.strand; o.seed = c.seed; o.threads = threads
        o.split = .hashed(val: c.val, test: c.test, blockSize: c.splitBlock)

        // Tokenizer (BPE learns from the train split only).
        let tokenizer: any Tokenizer
        if let file = c.tokenizerFile {
            tokenizer = try HFTokenizerJSON.load(path: file)
        } else if c.tokenizer == .bpe {
            log("training BPE (vocab \(c.vocabSize)) on the train split")
            let trainer = try BPETrainer(vocabSize: c.vocabSize, minFrequency: c.minFrequency)
            tokenizer = try TokenizerFactory.trainBPE(windows: o, trainer: trainer).0
        } else {
            tokenizer = try TokenizerFactory.make(kind: c.tokenizer, k: c.k, offset: c.offset)
        }
        try tokenizer.vocabulary.checkFits(bits: 16)
        try HFTokenizerJSON.write(tokenizer, to: c.out + "/tokenizer.json")
        // A model's input is a window's tokens plus the two specials the post-processor adds.
        let maxTokens = (c.tokenizer == .char ? c.window : c.tokenizer == .kmer ? max(1, c.window - c.k + 1) : c.window) + 2
        for f in HFTokenizerJSON.transformersFiles(tokenizer, modelMaxLength: maxTokens) {
            try writeAtomically(Array(f.text.utf8), to: c.out + "/" + f.name)
        }

        // PMI ranks per 6-mer token (CM-GEMS).
        var ranks: [UInt16]? = nil
        var pmiFingerprint: String? = nil
        if let pmi = c.pmi {
            log("counting n-grams n = 1..\(pmi.maxK) in the train split for PMI ranks")
            var po = PMIOptions(inputs: c.inputs)
            po.maxK = pmi.maxK; po.minCount = pmi.minCount; po.rankN = 6; po.strand = c.pmiStrand
            // The train split only, as BPE learns (val and test bases never shape the masking).
            po.trainWindows = o
            po.scope = "train windows: window \(c.window), \(c.sampler.name) sampler, seed \(c.seed), val \(c.val), test \(c.test), split block \(c.splitBlock), strand \(c.strand.rawValue)"
            po.tablePath = c.out + "/pmi.rank6.bin"
            let (_, report) = try PMIJob.run(po)
            let table = try PMIRankTable.load(path: po.tablePath!, expect: po.settings(fingerprints: report.inputChecksums))
            ranks = table.ranks
            pmiFingerprint = MDSHash.sha1.hex(table.serialized())
        }

        let wide = tokenizer.vocabulary.count > 256
        // Fixed-length windows whose token count never varies (char, k-mers, BarcodeMAE k-mers) get a
        // fixed-shape token column (`ndarray:uint8:1000`): no per-sample shape bytes.
        let count = fixedTokenCount(tokenizer, window: c.window)
        let tokenEncoding = (wide ? MDSEncoding.ndarrayUInt16 : .ndarrayUInt8).fixed(count)
        var columns = [MDSWriter.Column("tokens", tokenEncoding), MDSWriter.Column("contig", .str),
                       MDSWriter.Column("start", .int64), MDSWriter.Column("strand", .uint8), MDSWriter.Column("source", .str)]
        if ranks != nil { columns.append(MDSWriter.Column("pmi_rank", MDSEncoding.ndarrayUInt16.fixed(count))) }
        let softMaskBits = c.softMask == "keep"
        if softMaskBits { columns.append(MDSWriter.Column("soft_mask", MDSEncoding.ndarrayUInt8.fixed((c.window + 7) / 8))) }
        if c.labels != nil { columns.append(MDSWriter.Column("label", .str)) }
        if c.gcColumn { columns.append(MDSWriter.Column("gc", .int64)) }
        let fractions = [1.0, c.val, c.test]
        let recordPlan = c.zstdLevel != nil && !wide && (c.zstdMode == "records" || (c.zstdMode == "auto" && c.tokenizer == .char))
        let writers: [MDSWriter?] = try Split.allCases.map { s in
            fractions[s.rawValue] > 0 ? try MDSWriter(directory: c.out + "/" + s.name + (part.map { "/" + $0.folder } ?? ""), columns: columns,
                                                      zstdLevel: c.zstdLevel, hashes: c.hashes, sizeLimit: c.sizeLimit, literalColumn: recordPlan ? "tokens" : nil) : nil
        }
        let stage = TokenizeStage(encoder: TokenEncoder(tokenizer), writers: writers, wide: wide, ranks: ranks,
                                  softMaskBits: softMaskBits, labels: c.labels != nil, gc: c.gcColumn)
        var out = RunOutput(stage: stage, hasWriter: writers.map { $0 != nil }, source: "",
                            part: part, seed: c.seed, block: c.splitBlock)
        out.labels = c.labels
        out.weights = c.weights
        for (i, w) in writers.enumerated() {
            if let w { out.skip[i] = try w.adoptExistingShards(); if out.skip[i] > 0 { log("resuming \(Split(rawValue: i)!.name): \(out.skip[i]) samples in complete shards") } }
        }
        if let progress {
            // Contig lengths from each input's .fai, where there is one, give a percentage and an ETA.
            var lengths: [String: Int] = [:]
            var total = 0, known = true
            for path in c.inputs {
                if let (contigs, indexed) = try? ContigCatalog.indexed(path: path), indexed {
                    for x in contigs { lengths[x.name, default: 0] += x.length; total += x.length }
                } else { known = false }
            }
            out.contigLengths = lengths
            out.progress = progress
            out.totalBases = known ? total : nil
        }
        var streamed: [InputFingerprint?] = []
        do {
            log("sharding " + c.inputs.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ", ")
                + (part.map { " (part \($0.text))" } ?? ""))
            let (s, back) = try WindowsJob.run(o, into: out)
            out = back
            streamed = s.inputs.map(\.fingerprint)
            for (k, v) in s.counts.dropped { out.summary.dropped[k, default: 0] += v }
            out.summary.tokens = try out.finish()
        } catch {
            // Let the batches and shards in flight land (shards are complete files, adopted on resume).
            stage.drain()
            for w in writers { w?.drain() }
            throw error
        }
        var summary = out.summary
        var splitInfo = JSONObject()
        for (i, w) in writers.enumerated() {
            guard let w else { continue }
            try w.finish()
            for case .object(let e) in w.shards {
                if case .object(let z)? = e["zip_data"], case .int(let b)? = z["bytes"] { summary.shardBytes += b }
                else if case .object(let r)? = e["raw_data"], case .int(let b)? = r["bytes"] { summary.shardBytes += b }
            }
            splitInfo.add(Split(rawValue: i)!.name, .int(summary.windows[i]))
        }
        // Provenance last: the config, seed, tool, input and tokenizer fingerprints, counts.
        var p = JSONObject()
        p.add("config", .string(c.text))
        p.add("seed", .int(Int(c.seed)))
        if let part { p.add("part", .string(part.text)) }
        p.add("tool", .string("genome-prep 0.1.0"))
        p.add("inputs", .array(try checksums.resolve(streamed: streamed).map { f in
            var x = JSONObject(); x.add("name", .string(f.name)); x.add("bytes", .int(f.bytes)); x.add("crc32", .string(f.crc32)); return .object(x)
        }))
        let tokJSON = Array(HFTokenizerJSON.export(tokenizer).utf8)
        p.add("tokenizer", .string("\(tokenizer.kind.rawValue), \(tokenizer.vocabulary.count) tokens, sha1 \(MDSHash.sha1.hex(tokJSON))"))
        p.add("pmi_table_sha1", pmiFingerprint.map { .string($0) } ?? .null)
        p.add("dataset", DatasetInfo(tokenizer: tokenizer, k: c.k, window: c.window, tokensPerWindow: count, wide: wide,
                                     pmiRank: ranks != nil, softMask: softMaskBits).json)
        p.add("windows", .object(splitInfo))
        var dropped = JSONObject()
        for (k, v) in summary.dropped.sorted(by: { $0.key < $1.key }) { dropped.add(k, .int(v)) }
        p.add("dropped", .object(dropped))
        try writeAtomically(Array((JSONValue.object(p).renderPython() + "\n").utf8), to: provenancePath)
        summary.seconds = MonotonicClock.now() - t0
        return summary
    }
}
