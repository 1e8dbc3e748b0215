import ArgumentParser
import Basics
import GenomeIO

extension InvalidBytePolicy: ExpressibleByArgument {}
extension StrandMode: ExpressibleByArgument {}
extension WindowFormat: ExpressibleByArgument {}

struct Windows: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Place windows on genomes, filter and split them, and write them for inspection.",
        discussion: """
        Streams each FASTA once (plain, gzip or BGZF, detected from the bytes)
        with memory bounded whatever the contig length. Coordinates are
        0-based half-open in BED/TSV and 1-based inclusive (samtools style) in
        FASTA names. A summary goes to stderr: contigs, bases, windows kept
        per split, windows dropped by reason, N and lowercase fractions.

        Samplers:
          tiled   windows at 0, stride, 2*stride, ... that fit in the contig (default
                  1000/1000)
          random  --count windows, uniform over every valid start in the genome; with
                  --per-contig, a uniform contig first (FinDNA). Uses the .fai for
                  lengths, or a first pass.
          bed     one window per --bed interval: shorter ones grow evenly, longer ones
                  are cut to start+window (HyenaDNA); --jitter J shifts each by a
                  uniform amount in [-J, J].

        Splits are a pure function of (seed, contig, position): by hashed
        blocks of --split-block bases with --val/--test fractions (a window
        that would cross into another split's block is dropped as
        crosses-split-boundary), or by --val-contigs/--test-contigs lists.

        Examples:
          genome-prep windows data/ecoli_K12_MG1655.fa.bgz -o windows.fa
          genome-prep windows ref.fa.gz --strand both --val 0.05 --test 0.05 --format tsv -o w.tsv
          genome-prep windows ref.fa.bgz --sampler random --count 10000 --seed 1 --format bed -o w.bed
          genome-prep windows ref.fa --sampler bed --bed peaks.bed --jitter 100 --max-n-fraction 0.1
        """)

    @Argument(help: "FASTA inputs (.fa, .fa.gz or .fa.bgz).")
    var inputs: [String]

    @Option(name: [.short, .long], help: "Output file ('-' for stdout). Written under a temporary name and renamed when complete.")
    var output: String = "-"
    @Option(help: "Output format: fasta, bed, tsv or none (count only).")
    var format: WindowFormat = .fasta

    @Option(help: "Sampler: tiled, random or bed.")
    var sampler: String = "tiled"
    @Option(help: "Window length in bases.")
    var window: Int = 1000
    @Option(help: "Tiled: distance between window starts (default: the window length).")
    var stride: Int?
    @Option(help: "Random: number of windows to draw.")
    var count: Int = 10_000
    @Flag(help: "Random: pick a contig uniformly first, then a start (FinDNA style).")
    var perContig = false
    @Option(help: "BED: intervals file (BED3+, plain or gzip).")
    var bed: String?
    @Option(help: "BED: maximum random shift in bases.")
    var jitter: Int = 0

    @Option(help: "Drop windows with more than this fraction of N (default 0 for tiled/random, 1 for bed).")
    var maxNFraction: Double?
    @Option(help: "Soft-masked (lowercase) bases: upper, keep, or drop (drops windows above --max-lower-fraction).")
    var softMask: String = "keep"
    @Option(help: "With --soft-mask drop: the largest lowercase fraction kept.")
    var maxLowerFraction: Double = 0.5
    @Option(help: "Strand: forward, both (each window and its reverse complement), or random per window.")
    var strand: StrandMode = .forward

    @Option(help: "Fraction of split blocks assigned to validation.")
    var val: Double = 0
    @Option(help: "Fraction of split blocks assigned to test.")
    var test: Double = 0
    @Option(help: "Size of the blocks that hashed splits assign.")
    var splitBlock: Int = 100_000
    @Option(help: "Contigs that form the validation split (comma-separated; repeatable). Replaces hashed splits.")
    var valContigs: [String] = []
    @Option(help: "Contigs that form the test split (comma-separated; repeatable).")
    var testContigs: [String] = []

    @Option(help: "Use only these contigs (comma-separated; repeatable).")
    var include: [String] = []
    @Option(help: "Skip these contigs (comma-separated; repeatable).")
    var exclude: [String] = []
    @Option(help: "Use only contigs whose name matches this regular expression.")
    var includeRegex: String?
    @Option(help: "Skip contigs whose name matches this regular expression.")
    var excludeRegex: String?
    @Option(help: "Skip contigs shorter than this.")
    var minLength: Int = 0
    @Flag(help: "Drop _alt, _random, _fix, _decoy, chrUn, HLA- and EBV contigs.")
    var primaryOnly = false

    @Option(help: "Seed for every random choice (random starts, jitter, random strand, hashed splits).")
    var seed: UInt64 = 0
    @Option(name: [.customShort("@"), .customShort("j"), .long], help: "Threads for BGZF decompression.")
    var threads: Int = 2
    @Option(help: "Bytes that are not bases: error (default) or n (read as N).")
    var invalidBytes: InvalidBytePolicy = .error
    @Flag(help: "No summary or progress on stderr.")
    var quiet = false

    func makeOptions() throws -> WindowsOptions {
        var o = WindowsOptions(inputs: inputs)
        o.window = window
        switch sampler {
        case "tiled": o.sampler = .tiled(stride: stride ?? window)
        case "random": o.sampler = .random(count: count, perContig: perContig)
        case "bed":
            guard let bed else { throw ValidationError("--sampler bed needs --bed FILE") }
            o.sampler = .bed(path: bed, jitter: jitter)
        default: throw ValidationError("unknown --sampler '\(sampler)': use tiled, random or bed")
        }
        o.maxNFraction = maxNFraction ?? (sampler == "bed" ? 1.0 : 0.0)
        switch softMask {
        case "upper": o.softMask = .upper
        case "keep": o.softMask = .keep
        case "drop": o.softMask = .drop(maxFraction: maxLowerFraction)
        default: throw ValidationError("unknown --soft-mask '\(softMask)': use upper, keep or drop")
        }
        o.strand = strand
        if !valContigs.isEmpty || !testContigs.isEmpty {
            o.split = .contigs(val: parseList(valContigs), test: parseList(testContigs))
        } else {
            o.split = .hashed(val: val, test: test, blockSize: splitBlock)
        }
        o.filter.include = parseList(include)
        o.filter.exclude = parseList(exclude)
        o.filter.includePattern = includeRegex
        o.filter.excludePattern = excludeRegex
        o.filter.minLength = minLength
        o.filter.primaryOnly = primaryOnly
        o.seed = seed
        o.threads = threads
        o.invalidBytes = invalidBytes
        return o
    }

    func run() throws {
        var options = try makeOptions()
        try reportingErrors {
            try options.validate()
            let progress = quiet ? nil : ProgressBar("windows")
            if let progress { options.progress = { _, n in progress.update(done: n) } }
            try FileIdentity.refuseOverwriting(output: output, inputs: options.inputs)
            let out = format == .none && output == "-" ? nil : try OutputFile(path: output)
            let summary: WindowsSummary
            do {
                summary = try WindowsJob.run(options, output: out, format: format)
            } catch {
                out?.abandon()
                progress?.finish()
                throw error
            }
            progress?.finish()
            if !quiet { printError(summary.render()) }
        }
    }
}
