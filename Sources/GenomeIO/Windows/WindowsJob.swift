import Basics
import Glibc

/// Per-input totals.
public struct InputSummary: Sendable {
    public var path: String
    public var format: InputFormat
    public var records: Int
    public var bases: Int
    /// Size and CRC-32 of the file as stored, computed in the same pass (nil for plain gzip, and for BGZF read from stdin).
    public var fingerprint: InputFingerprint? = nil
}

/// What a windows run did: printed by `genome-prep windows` and recorded in provenance.
public struct WindowsSummary: Sendable {
    public var inputs: [InputSummary] = []
    public var contigsSeen = 0
    public var contigsUsed = 0
    public var contigsRejected: [String: Int] = [:]
    public var bases = 0
    public var nBases = 0
    public var lowerBases = 0
    public var counts = WindowCounts()
    public var seconds = 0.0

    /// A short report for people.
    public func render() -> String {
        func pct(_ a: Int, _ b: Int) -> String {
            b == 0 ? "0.00%" : String(Double(Int((Double(a) / Double(b) * 10000).rounded())) / 100) + "%"
        }
        var s = ""
        for i in inputs {
            s += "input     \(i.path) (\(i.format.rawValue)): \(i.records) records, \(i.bases) bases\n"
        }
        s += "contigs   \(contigsUsed) used of \(contigsSeen)"
        if !contigsRejected.isEmpty {
            s += " (" + contigsRejected.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
        }
        s += "\nbases     \(bases) in used contigs; N \(pct(nBases, bases)), lowercase \(pct(lowerBases, bases))\n"
        s += "windows   \(counts.keptTotal) kept (train \(counts.kept[0]), val \(counts.kept[1]), test \(counts.kept[2]))"
        s += "; N \(pct(counts.keptN, counts.keptBases)), lowercase \(pct(counts.keptLower, counts.keptBases))\n"
        let dropped = counts.dropped.values.reduce(0, +)
        s += "dropped   \(dropped)"
        if dropped > 0 {
            s += ": " + counts.dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        }
        let rate = seconds > 0 ? Double(bases) / seconds / 1e6 : 0
        s += "\ntime      \(String(Double(Int(seconds * 1000)) / 1000)) s, \(Int(rate)) Mbase/s\n"
        return s
    }
}

/// Contig lengths of one input, from its `.fai` (validated against the FASTA) or from a first pass.
public enum ContigCatalog {
    struct LengthSink: FastaSink {
        var contigs: [ContigInfo] = []
        mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool { true }
        mutating func composition(n: Int, lower: Int) {}
        mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {}
        mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
            contigs.append(ContigInfo(name: name, length: length))
        }
    }

    /// The contigs from a valid `.fai` beside `path` (no pass over the file); `false` when there is none, or
    /// when the `.fai` cannot serve (its `.gzi` is missing, or the file is plain gzip).
    public static func indexed(path: String) throws -> ([ContigInfo], Bool) {
        guard access(path + ".fai", R_OK) == 0 else { return ([], false) }
        do {
            return (try FaiIndex(path: path, validate: true).contigs, true)
        } catch let e as GenomeIOError where e.kind == .indexMissing || e.kind == .cannotIndex {
            return ([], false)
        }
    }

    /// Returns the contigs and whether they came from an index (else from a first pass over the file).
    public static func load(path: String, threads: Int, invalidBytes: InvalidBytePolicy) throws -> ([ContigInfo], Bool) {
        let (contigs, indexed) = try indexed(path: path)
        if indexed { return (contigs, true) }
        var sink = LengthSink()
        try FastaReader(path: path, threads: threads, invalidBytes: invalidBytes).read(into: &sink)
        return (sink.contigs, false)
    }
}

/// `genome-prep windows`: stream every input once, place windows, filter, split, and write them.
public enum WindowsJob {
    public static func run(_ options: WindowsOptions, output: OutputFile?, format: WindowFormat) throws -> WindowsSummary {
        let writer = try WindowWriter(file: output, format: format)
        let (summary, _) = try run(options, into: writer)
        try output?.commit()
        return summary
    }

    /// Streams every kept window into `output` (for tokenizer training, tokenizing, sharding).
    public static func run<O: WindowOutput>(_ options: WindowsOptions, into output: O) throws -> (WindowsSummary, O) {
        var options = options
        try options.validate()
        try options.filter.compile()
        var t0 = timespec(); clock_gettime(CLOCK_MONOTONIC, &t0)

        let window = options.window
        // Contig lengths, when placement or filtering needs them before streaming.
        var needCatalog = options.filter.minLength > 0
        switch options.sampler { case .random, .bed: needCatalog = true; default: break }
        var catalogs: [[ContigInfo]?] = Array(repeating: nil, count: options.inputs.count)
        if needCatalog {
            for (i, path) in options.inputs.enumerated() {
                catalogs[i] = try ContigCatalog.load(path: path, threads: options.threads,
                                                     invalidBytes: options.invalidBytes).0
            }
        }
        var preDropped: [String: Int] = [:]
        let plans = try planStarts(options, catalogs: catalogs, dropped: &preDropped)

        var processor = WindowProcessor(output: output, options: options)
        defer { processor.deallocate() }
        for (k, v) in preDropped { processor.counts.dropped[k, default: 0] += v }

        var summary = WindowsSummary()
        for (i, path) in options.inputs.enumerated() {
            processor.output.beginInput(index: i, path: path)
            let known = catalogs[i].map { Dictionary($0.map { ($0.name, $0.length) }, uniquingKeysWith: { a, _ in a }) }
            let plan = plans[i]
            let stride: Int? = { if case .tiled(let s) = options.sampler { return s }; return nil }()
            let progress = options.progress
            var windower = Windower(
                consumer: processor, window: window, filter: options.filter, knownLengths: known,
                starts: { name in stride.map { .tiled(stride: $0) } ?? .sorted(plan[name] ?? []) },
                progress: progress.map { p in { p(i, $0) } })
            defer { windower.deallocate() }
            let stats = try FastaReader(path: path, threads: options.threads, invalidBytes: options.invalidBytes)
                .read(into: &windower)
            if let cat = catalogs[i], cat.count != stats.records {
                throw GenomeIOError(.indexMismatch,
                    "the index lists \(cat.count) records but the file has \(stats.records)",
                    at: InputLocation(path: path), hint: "rebuild the index with `genome-prep index \(path)`")
            }
            processor = windower.consumer
            summary.inputs.append(InputSummary(path: path, format: stats.format, records: stats.records, bases: stats.bases,
                                               fingerprint: stats.fingerprint))
            summary.contigsSeen += windower.contigsSeen
            summary.contigsUsed += windower.contigsUsed
            for (k, v) in windower.contigsRejected { summary.contigsRejected[k, default: 0] += v }
            summary.bases += windower.bases
            summary.nBases += windower.nBases
            summary.lowerBases += windower.lowerBases
        }
        summary.counts = processor.counts
        var t1 = timespec(); clock_gettime(CLOCK_MONOTONIC, &t1)
        summary.seconds = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        return (summary, processor.output)
    }

    /// Sorted window starts per input and contig for the random and BED samplers.
    static func planStarts(_ o: WindowsOptions, catalogs: [[ContigInfo]?],
                           dropped: inout [String: Int]) throws -> [[String: [Int]]] {
        var plans = Array(repeating: [String: [Int]](), count: o.inputs.count)
        let w = o.window
        switch o.sampler {
        case .tiled:
            return plans
        case .random(let count, let perContig):
            // Eligible contigs in input order, then file order: a fixed order, so draws are reproducible.
            var eligible: [(input: Int, name: String, length: Int)] = []
            for (i, cat) in catalogs.enumerated() {
                for c in cat ?? [] where c.length >= w && o.filter.rejection(name: c.name, length: c.length) == nil {
                    eligible.append((i, c.name, c.length))
                }
            }
            if eligible.isEmpty {
                if count > 0 {
                    throw GenomeIOError(.badArgument, "no contig is at least \(w) bases long after filtering: cannot place random windows")
                }
                return plans
            }
            var rng = SplitMix64(seed: o.seed)
            var cumulative: [Int] = []
            var total = 0
            for e in eligible { total += e.length - w + 1; cumulative.append(total) }
            for _ in 0..<count {
                let k: Int, start: Int
                if perContig {
                    k = Int(rng.below(UInt64(eligible.count)))
                    start = Int(rng.below(UInt64(eligible[k].length - w + 1)))
                } else {
                    let u = Int(rng.below(UInt64(total)))
                    var lo = 0, hi = cumulative.count - 1
                    while lo < hi { let m = (lo + hi) / 2; if cumulative[m] > u { hi = m } else { lo = m + 1 } }
                    k = lo
                    start = u - (k == 0 ? 0 : cumulative[k - 1])
                }
                plans[eligible[k].input][eligible[k].name, default: []].append(start)
            }
        case .bed(let path, let jitter):
            let intervals = try BEDReader.read(path: path)
            var where_: [String: (Int, Int)] = [:]
            for (i, cat) in catalogs.enumerated() {
                for c in cat ?? [] where where_[c.name] == nil { where_[c.name] = (i, c.length) }
            }
            for iv in intervals {
                guard let (input, length) = where_[iv.contig] else {
                    throw GenomeIOError(.unknownContig, "BED contig '\(iv.contig)' is not in any input FASTA",
                                        at: InputLocation(path: path, line: iv.line))
                }
                if o.filter.rejection(name: iv.contig, length: length) != nil {
                    dropped[DropReason.contigFiltered.rawValue, default: 0] += 1; continue
                }
                if length < w { dropped[DropReason.contigTooShort.rawValue, default: 0] += 1; continue }
                if iv.end > length {
                    throw GenomeIOError(.badBED,
                        "BED interval ends at \(iv.end), past the end of '\(iv.contig)' (length \(length))",
                        at: InputLocation(path: path, line: iv.line))
                }
                let len = iv.end - iv.start
                var start = len < w ? iv.start - (w - len) / 2 : iv.start
                if jitter > 0 {
                    var r = SplitMix64(seed: StableHash.key(seed: o.seed, contig: iv.contig, position: iv.start,
                                                            salt: UInt64(iv.end)))
                    start += Int(r.below(UInt64(2 * jitter + 1))) - jitter
                }
                start = min(max(start, 0), length - w)
                plans[input][iv.contig, default: []].append(start)
            }
        }
        for i in plans.indices { for k in plans[i].keys { plans[i][k]!.sort() } }
        return plans
    }
}
