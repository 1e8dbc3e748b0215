import Basics
import FoundationEssentials
import GenomeIO
import Glibc
import Shards
import Tokenize

/// The numbers of `genome-prep report`: for a `genome-prep run` output folder, its inputs (records,
/// bases, N50, N, soft-mask and GC fractions, read again from the FASTA paths in the run's config when
/// they are still there), windows kept per split and dropped by reason (from genomeprep.json), and per
/// split, read from the shards: GC and N distributions of the kept windows, token counts per window,
/// PMI ranks, and shard sizes with bits per base. Optionally a training run's loss and eval curves.
public struct DatasetReport: Sendable {
    /// Fixed-width bins over [lower, upper]; values at `upper` fall in the last bin.
    public struct Histogram: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var counts: [Int]
        public init(lower: Double, upper: Double, bins: Int) { self.lower = lower; self.upper = upper; counts = Array(repeating: 0, count: bins) }
        public mutating func add(_ x: Double) {
            let b = Int(((x - lower) / (upper - lower) * Double(counts.count)).rounded(.down))
            counts[min(max(b, 0), counts.count - 1)] += 1
        }
        public var total: Int { counts.reduce(0, +) }
        var json: JSONValue {
            var o = JSONObject()
            o.add("lower", .double(lower)); o.add("upper", .double(upper)); o.add("counts", .array(counts.map { .int($0) }))
            return .object(o)
        }
    }

    public struct Input: Sendable {
        public var name: String
        public var path: String?
        public var stats: GenomeStats?
    }

    public struct Shard: Sendable { public var name: String; public var rawBytes: Int; public var diskBytes: Int }

    public struct Split: Sendable {
        public var name: String
        public var samples = 0
        public var tokens = 0
        public var bases = 0
        /// Sums for the means (GC over A/C/G/T bases, N over all bases).
        public var gcBases = 0
        public var acgtBases = 0
        public var nBases = 0
        public var gc = Histogram(lower: 0, upper: 1, bins: 20)
        public var nFraction = Histogram(lower: 0, upper: 1, bins: 20)
        public var tokenCounts: [Int: Int] = [:]
        public var pmiRanks: Histogram? = nil
        public var shards: [Shard] = []
        public var diskBytes: Int { shards.reduce(0) { $0 + $1.diskBytes } }
        public var bitsPerBase: Double { bases > 0 ? 8 * Double(diskBytes) / Double(bases) : 0 }
        public var meanGC: Double { acgtBases > 0 ? Double(gcBases) / Double(acgtBases) : 0 }
    }

    public struct Training: Sendable {
        public var steps: [Int] = []
        public var loss: [Double] = []
        public var evalSteps: [Int] = []
        public var evalLoss: [Double] = []
        public var bitsLabel = "eval_bits_per_token"
        public var evalBits: [Double] = []
    }

    public var folder: String
    public var name: String
    public var dataset: DatasetInfo
    public var inputs: [Input] = []
    public var kept: [(String, Int)] = []
    public var dropped: [(String, Int)] = []
    public var splits: [Split] = []
    public var training: Training? = nil

    /// Reads `folder` (a run's output folder) and, if given, `trainRun` (a `genome-prep train` folder).
    public static func compute(folder: String, trainRun: String? = nil) throws -> DatasetReport {
        let provPath = folder + "/genomeprep.json"
        guard let d = try? Data(contentsOf: URL(fileURLWithPath: provPath)) else {
            throw PipelineError("no genomeprep.json: not a finished `genome-prep run` folder", path: folder)
        }
        let prov: JSONValue
        do { prov = try JSONValue.parse(Array(d)) } catch { throw PipelineError("genomeprep.json is not JSON: \(error)", path: provPath) }
        let info = try DatasetInfo.load(folder: folder)
        var r = DatasetReport(folder: folder, name: "", dataset: info)
        // The config: name and input paths.
        var paths: [String: String] = [:]
        if let text = try? prov.field("config").asString(), let cfg = try? JSONValue.parse(Array(text.utf8)) {
            r.name = (try? cfg.field("name").asString()) ?? ""
            for v in (try? cfg.field("inputs").asArray()) ?? [] {
                let p = (try? v.asString()) ?? (try? v.field("path").asString())
                if let p { paths[String(p.split(separator: "/").last ?? Substring(p))] = p }
            }
        }
        for v in (try? prov.field("inputs").asArray()) ?? [] {
            guard let name = try? v.field("name").asString() else { continue }
            var input = Input(name: name, path: paths[name])
            if let p = input.path, access(p, R_OK) == 0 { input.stats = try? GenomeStats.compute(path: p) }
            r.inputs.append(input)
        }
        if case .object(let w)? = try? prov.field("windows") { r.kept = w.pairs.compactMap { k, v in (try? v.asInt()).map { (k, $0) } } }
        if case .object(let w)? = try? prov.field("dropped") { r.dropped = w.pairs.compactMap { k, v in (try? v.asInt()).map { (k, $0) } } }

        let tokenizer = try HFTokenizerJSON.load(path: folder + "/tokenizer.json")
        for name in ["train", "val", "test"] where access(folder + "/" + name + "/index.json", F_OK) == 0 {
            r.splits.append(try split(folder + "/" + name, name: name, info: info, tokenizer: tokenizer))
        }
        if let trainRun { r.training = try trainingCurves(trainRun) }
        return r
    }

    static func split(_ dir: String, name: String, info: DatasetInfo, tokenizer: any Tokenizer) throws -> Split {
        let reader = try MDSReader(directory: dir)
        var s = Split(name: name)
        s.shards = reader.shards.map { Shard(name: $0.zipName ?? $0.rawName, rawBytes: $0.rawBytes, diskBytes: $0.zipBytes ?? $0.rawBytes) }
        let buffer = MDSShardBuffer()
        var ids: [UInt32] = []
        if info.hasPMIRank { s.pmiRanks = Histogram(lower: 1, upper: 4098, bins: 32) }   // ranks 1...4096, 4097 for [UNK]/specials
        for i in 0..<reader.shards.count {
            let view = try reader.decompress(try reader.readStored(i), into: buffer)
            guard let tc = view.column(named: info.tokenColumn) else { throw PipelineError("no '\(info.tokenColumn)' column", path: view.path) }
            let rc = view.column(named: "pmi_rank")
            for j in 0..<view.samples {
                let (values, count, item) = try view.array(j, column: tc)
                ids.removeAll(keepingCapacity: true)
                for t in 0..<count {
                    ids.append(item == 1 ? UInt32(values[t]) : UInt32(values.loadUnaligned(fromByteOffset: 2 * t, as: UInt16.self).littleEndian))
                }
                let bases = try tokenizer.decode(ids)
                var gc = 0, acgt = 0, n = 0
                for b in bases {
                    switch b | 0x20 {
                    case UInt8(ascii: "g"), UInt8(ascii: "c"): gc += 1; acgt += 1
                    case UInt8(ascii: "a"), UInt8(ascii: "t"): acgt += 1
                    default: n += 1
                    }
                }
                s.samples += 1; s.tokens += count; s.bases += bases.count
                s.gcBases += gc; s.acgtBases += acgt; s.nBases += n
                if acgt > 0 { s.gc.add(Double(gc) / Double(acgt)) }
                if !bases.isEmpty { s.nFraction.add(Double(n) / Double(bases.count)) }
                s.tokenCounts[count, default: 0] += 1
                if let rc, s.pmiRanks != nil {
                    let (rv, rn, _) = try view.array(j, column: rc)
                    for t in 0..<rn { s.pmiRanks!.add(Double(rv.loadUnaligned(fromByteOffset: 2 * t, as: UInt16.self).littleEndian)) }
                }
            }
        }
        return s
    }

    static func trainingCurves(_ run: String) throws -> Training {
        let path = run + "/log.jsonl"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw PipelineError("no log.jsonl: not a training run folder", path: run) }
        var t = Training()
        for (i, line) in text.split(separator: "\n").enumerated() {
            let v: JSONValue
            do { v = try JSONValue.parse(Array(line.utf8)) } catch { throw PipelineError("line \(i + 1) is not JSON", path: path) }
            guard let step = try? v.field("step").asInt() else { continue }
            if let l = try? v.field("loss").asDouble() { t.steps.append(step); t.loss.append(l) }
            if let e = try? v.field("eval_loss").asDouble() {
                t.evalSteps.append(step); t.evalLoss.append(e)
                if let b = try? v.field("eval_bits_per_base").asDouble() { t.bitsLabel = "eval_bits_per_base"; t.evalBits.append(b) }
                else if let b = try? v.field("eval_bits_per_token").asDouble() { t.evalBits.append(b) }
            }
        }
        return t
    }

    /// The same numbers as JSON (`genome-prep report --json`).
    public var json: JSONValue {
        var o = JSONObject()
        o.add("folder", .string(folder)); o.add("name", .string(name)); o.add("dataset", dataset.json)
        o.add("inputs", .array(inputs.map { i in
            var x = JSONObject()
            x.add("name", .string(i.name))
            if let s = i.stats {
                x.add("records", .int(s.records)); x.add("bases", .int(s.bases)); x.add("n50", .int(s.n50))
                x.add("min_length", .int(s.records == 0 ? 0 : s.minLength)); x.add("max_length", .int(s.maxLength))
                x.add("n_fraction", .double(s.bases > 0 ? Double(s.n) / Double(s.bases) : 0))
                x.add("soft_mask_fraction", .double(s.bases > 0 ? Double(s.lower) / Double(s.bases) : 0))
                x.add("gc_fraction", .double(s.bases - s.n > 0 ? Double(s.gc) / Double(s.bases - s.n) : 0))
            }
            return .object(x)
        }))
        var k = JSONObject(); for (a, b) in kept { k.add(a, .int(b)) }; o.add("windows_kept", .object(k))
        var dr = JSONObject(); for (a, b) in dropped { dr.add(a, .int(b)) }; o.add("windows_dropped", .object(dr))
        o.add("splits", .array(splits.map { s in
            var x = JSONObject()
            x.add("name", .string(s.name)); x.add("samples", .int(s.samples)); x.add("tokens", .int(s.tokens)); x.add("bases", .int(s.bases))
            x.add("mean_gc", .double(s.meanGC)); x.add("n_fraction", .double(s.bases > 0 ? Double(s.nBases) / Double(s.bases) : 0))
            x.add("gc_histogram", s.gc.json); x.add("n_histogram", s.nFraction.json)
            var tc = JSONObject(); for (len, n) in s.tokenCounts.sorted(by: { $0.key < $1.key }) { tc.add(String(len), .int(n)) }
            x.add("tokens_per_window", .object(tc))
            if let p = s.pmiRanks { x.add("pmi_rank_histogram", p.json) }
            x.add("shards", .array(s.shards.map { sh in
                var y = JSONObject(); y.add("name", .string(sh.name)); y.add("raw_bytes", .int(sh.rawBytes)); y.add("disk_bytes", .int(sh.diskBytes)); return .object(y)
            }))
            x.add("bits_per_base", .double(s.bitsPerBase))
            return .object(x)
        }))
        if let t = training {
            var x = JSONObject()
            x.add("steps", .array(t.steps.map { .int($0) })); x.add("loss", .array(t.loss.map { .double($0) }))
            x.add("eval_steps", .array(t.evalSteps.map { .int($0) })); x.add("eval_loss", .array(t.evalLoss.map { .double($0) }))
            x.add(t.bitsLabel, .array(t.evalBits.map { .double($0) }))
            o.add("training", .object(x))
        }
        return .object(o)
    }
}
