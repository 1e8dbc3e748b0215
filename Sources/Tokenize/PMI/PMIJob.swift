import Basics
import GenomeIO
import Glibc

/// Options of one `pmi-stats` run.
public struct PMIOptions {
    public var inputs: [String]
    public var maxK = 10
    public var rankN = 6
    public var minCount: UInt64 = 101
    public var strand: CountStrand = .forward
    /// n-gram lengths written to the TSV (default: 1...rankN).
    public var tsvLengths: [Int]? = nil
    public var tsvPath: String? = nil
    public var tablePath: String? = nil
    public var threads = 2
    /// Count only the train-split windows these options place (a pipeline's PMI, as BPE learns from the
    /// train split), described by `scope` in the table; nil counts every base of the inputs.
    public var trainWindows: WindowsOptions? = nil
    public var scope = "inputs"
    public init(inputs: [String]) { self.inputs = inputs }

    public func validate() throws {
        if inputs.isEmpty { throw GenomeIOError(.badArgument, "no input FASTA files given") }
        guard (1...12).contains(maxK) else { throw GenomeIOError(.badArgument, "-k must be within 1...12 (got \(maxK))") }
        guard (2...min(maxK, 8)).contains(rankN) else {
            throw GenomeIOError(.badArgument, "--rank-n must be within 2...min(K, 8) (got \(rankN) with K = \(maxK))")
        }
        guard minCount >= 1 else { throw GenomeIOError(.badArgument, "--min-count must be at least 1") }
        for n in tsvLengths ?? [] where !(1...maxK).contains(n) {
            throw GenomeIOError(.badArgument, "TSV n-gram length \(n) is outside 1...\(maxK)")
        }
    }

    public func settings(fingerprints: [InputFingerprint]) -> PMISettings {
        PMISettings(rankN: rankN, maxK: maxK, minCount: minCount, strand: strand.rawValue, inputs: fingerprints, scope: scope)
    }
}

/// What `pmi-stats` prints.
public struct PMIReport: Sendable {
    /// The inputs' checksums the side table records (empty without a table).
    public var inputChecksums: [InputFingerprint] = []
    public var bases = 0
    public var nBases = 0
    public var skippedForN = 0
    public var totalK: UInt64 = 0
    public var maxK = 0
    public var rankN = 0
    public var ranked = 0
    public var top: [(kmer: String, count: UInt64, pmi: Double, npmi: Double, rank: Int)] = []
    public var seconds = 0.0
    public var peakRSSMiB = 0

    public func render() -> String {
        var s = "bases       \(bases) counted (\(nBases) N or ambiguous)\n"
        s += "\(maxK)-grams    \(totalK) counted, \(skippedForN) positions skipped for N\n"
        s += "ranked      \(ranked) of \(1 << (2 * rankN)) \(rankN)-mers (count >= min count)\n"
        s += "top \(top.count) \(rankN)-mers by npmi:\n  rank  kmer      count        pmi          npmi\n"
        for t in top {
            s += "  \(pad(String(t.rank), 4))  \(t.kmer)  \(pad(String(t.count), 10))  \(pad(fmt(t.pmi), 11))  \(fmt(t.npmi))\n"
        }
        s += "time        \(fmt(seconds)) s, peak RSS \(peakRSSMiB) MiB\n"
        return s
    }
    func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
    func fmt(_ d: Double) -> String { d.isNaN ? "NA" : String(Double(Int((d * 10000).rounded())) / 10000) }
}

/// `pmi-stats`: count, score, rank, write the TSV and the side table.
public enum PMIJob {
    public static func run(_ o: PMIOptions, progress: ((Int) -> Void)? = nil) throws -> (PMIScores, PMIReport) {
        try o.validate()
        var t0 = timespec(); clock_gettime(CLOCK_MONOTONIC, &t0)
        // The side table's input checksums: from the counting pass where it reads whole files, else on the side.
        let checksums = o.tablePath == nil ? nil : InputChecksums(inputs: o.inputs, sideForAll: o.trainWindows != nil)
        let counter = try NGramCounter(maxK: o.maxK, threads: o.threads)
        let counts = try o.trainWindows.map { try counter.count(trainWindowsOf: $0, strand: o.strand) }
            ?? counter.count(inputs: o.inputs, strand: o.strand, requireFingerprints: o.tablePath != nil, progress: progress)
        let scores = PMIScores(counts: counts, minCount: o.minCount)
        let (ranks, ranked) = scores.ranks(n: o.rankN)

        if let tsv = o.tsvPath { try writeTSV(scores, lengths: o.tsvLengths ?? Array(1...o.rankN), rankN: o.rankN, ranks: ranks, strand: o.strand, to: tsv) }
        var inputChecksums: [InputFingerprint] = []
        if let tablePath = o.tablePath {
            let fps = try checksums!.resolve(streamed: counts.inputFingerprints)
            inputChecksums = fps
            let table = PMIRankTable(settings: o.settings(fingerprints: fps), ranked: ranked, ranks: ranks.map { UInt16($0) })
            try table.write(to: tablePath)
        }
        var r = PMIReport()
        r.inputChecksums = inputChecksums
        r.bases = counts.bases; r.nBases = counts.nBases
        r.maxK = o.maxK; r.rankN = o.rankN; r.ranked = ranked
        r.totalK = scores.totals[o.maxK]
        r.skippedForN = counts.skippedForN[o.maxK]
        let order = ranks.enumerated().sorted { $0.element < $1.element }.prefix(20)
        for (w, rank) in order where Int(rank) <= ranked {
            r.top.append((PMIScores.kmer(w, n: o.rankN), scores.count(o.rankN, w), scores.pmi(o.rankN, w), scores.npmi(o.rankN, w), Int(rank)))
        }
        var t1 = timespec(); clock_gettime(CLOCK_MONOTONIC, &t1)
        r.seconds = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) / 1e9
        var ru = rusage(); getrusage(RUSAGE_SELF.rawValue, &ru)
        r.peakRSSMiB = Int(ru.ru_maxrss) / 1024
        return (scores, r)
    }

    /// TSV columns: kmer, n, count, p, naive_pmi, pmi, npmi, rank. Rank only for n = rankN.
    /// Doubles are written in Swift's shortest round-trip form; NA where undefined.
    /// Canonical counting lists only canonical n-grams.
    static func writeTSV(_ s: PMIScores, lengths: [Int], rankN: Int, ranks: [UInt32], strand: CountStrand, to path: String) throws {
        let file = try OutputFile(path: path)
        do {
            try file.write("kmer\tn\tcount\tp\tnaive_pmi\tpmi\tnpmi\trank\n")
            func f(_ d: Double) -> String { d.isNaN ? "NA" : "\(d)" }
            for n in lengths.sorted() {
                for w in 0..<(1 << (2 * n)) {
                    if strand == .canonical && NGramCounter.reverseComplement(w, n: n) < w { continue }
                    let c = s.count(n, w)
                    let rank = n == rankN ? String(ranks[w]) : "NA"
                    try file.write("\(PMIScores.kmer(w, n: n))\t\(n)\t\(c)\t\(f(s.p(n, w)))\t\(f(s.naivePMI(n, w)))\t\(f(s.pmi(n, w)))\t\(f(s.npmi(n, w)))\t\(rank)\n")
                }
            }
            try file.commit()
        } catch { file.abandon(); throw error }
    }
}
