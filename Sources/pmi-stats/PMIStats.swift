import ArgumentParser
import Basics
import GenomeIO
import Glibc
import Tokenize

extension CountStrand: ExpressibleByArgument {}

@main
struct PMIStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pmi-stats",
        abstract: "Whole-genome n-gram counts and the PMI tables that curriculum masking (CM-GEMS) ranks by.",
        discussion: """
        Counts every nucleotide n-gram for n = 1..K exactly (64-bit,
        case-folded, never across N or an ambiguity code), then computes for
        each n-gram w with count c:
          p(w)       c / number of n-grams of length |w|
          naive_pmi  log p(w) - sum of its bases' log p
          pmi        Levine's PMI: the minimum, over all segmentations into >= 2
                     parts, of log p(w) - sum log p(parts)
          npmi       pmi * ln c / (ln c + ln m), CM-GEMS's discount (m = --min-count;
                     rarer ones are unranked)
        and ranks the --rank-n-grams (rank 1 = highest npmi; ties in ACGT
        order; unranked ones last).

        Outputs: PREFIX.tsv (kmer, n, count, p, naive_pmi, pmi, npmi, rank)
        and PREFIX.rank<N>.bin, the versioned side table (ranks by 2-bit k-mer
        code, with the input checksums and settings).

        Examples:
          pmi-stats data/ecoli_K12_MG1655.fa.gz -o ecoli
          pmi-stats genome.fa.bgz -k 12 --tsv-n 6,12 -o genome
          pmi-stats data/ecoli_K12_MG1655.fa.gz --check-table ecoli.rank6.bin
        """)

    @Argument(help: "FASTA inputs (plain, gzip or BGZF).")
    var inputs: [String]
    @Option(name: [.short, .customLong("out")], help: "Output prefix.")
    var output: String = "pmi"
    @Option(name: .short, help: "Longest n-gram length K (1-12).")
    var k: Int = 10
    @Option(help: "n-gram length that is ranked and stored in the side table.")
    var rankN: Int = 6
    @Option(help: "Minimum count m for ranking, and the m of the npmi discount.")
    var minCount: UInt64 = 101
    @Option(help: "Strands: forward (GeneMask), both, or canonical.")
    var strand: CountStrand = .forward
    @Option(help: "Comma-separated n-gram lengths for the TSV (default 1..rank-n).")
    var tsvN: String?
    @Flag(help: "Write every n = 1..K to the TSV (large for K >= 10).")
    var tsvAll = false
    @Option(name: [.customShort("@"), .customShort("j"), .long], help: "Counting threads.")
    var threads: Int = 2
    @Option(help: "Instead of writing, check that this side table matches these inputs and settings.")
    var checkTable: String?
    @Flag(help: "No summary on stderr.")
    var quiet = false

    /// Exit status 2 for usage errors (ArgumentParser's own is 64), 1 for runtime errors, as genome-prep.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                var m = fullMessage(for: error) + "\n"
                m.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }

    func run() throws {
        var o = PMIOptions(inputs: inputs)
        o.maxK = k; o.rankN = rankN; o.minCount = minCount; o.strand = strand; o.threads = threads
        if tsvAll { o.tsvLengths = Array(1...max(1, k)) }
        else if let tsvN {
            o.tsvLengths = try tsvN.split(separator: ",").map {
                guard let n = Int($0) else { throw ValidationError("--tsv-n wants comma-separated integers, got '\(tsvN)'") }
                return n
            }
        }
        do {
            try o.validate()
            if let checkTable {
                let fps = try inputs.map { try InputFingerprint.of(path: $0) }
                let t = try PMIRankTable.load(path: checkTable, expect: o.settings(fingerprints: fps))
                say("\(checkTable): matches (\(t.ranked) ranked \(t.settings.rankN)-mers)\n")
                return
            }
            o.tsvPath = output + ".tsv"
            o.tablePath = output + ".rank\(rankN).bin"
            try FileIdentity.refuseOverwriting(output: o.tsvPath!, inputs: inputs)
            try FileIdentity.refuseOverwriting(output: o.tablePath!, inputs: inputs)
            let (_, report) = try PMIJob.run(o)
            if !quiet { say(report.render() + "wrote \(o.tsvPath!) and \(o.tablePath!)\n") }
        } catch let e as any GenomePrepError {
            say("pmi-stats: error: \(e)\n")
            throw ExitCode(1)
        }
    }

    func say(_ s: String) { var s = s; s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) } }
}
