import ArgumentParser
import Basics
import Foundation
import GenomeIO

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate FASTA files and print records, bases, N, lowercase and GC fractions, and length statistics.",
        discussion: """
        Reads every byte (plain, gzip or BGZF), so it doubles as a validator:
        any problem is reported with the file, line, byte offset and record.
        Prints one TSV line per file: records, bases, min/max/mean length,
        N, lowercase and GC fractions, the length quartiles Q1/Q2/Q3 and N50
        (as `seqkit stats -a` computes them).

        Example:
          genome-prep stats data/*.fa.gz
        """)

    @Argument(help: "FASTA inputs.")
    var inputs: [String]
    @Option(name: [.customShort("@"), .customShort("j"), .long], help: "Threads for BGZF decompression.")
    var threads: Int = 2
    @Option(help: "Bytes that are not bases: error or n.")
    var invalidBytes: InvalidBytePolicy = .error

    func run() throws {
        try reportingErrors {
            print(GenomeStats.tsvHeader)
            for path in inputs {
                let s = try GenomeStats.compute(path: path, threads: threads, invalidBytes: invalidBytes)
                print(s.tsvLine)
            }
        }
    }
}

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the .fai (and .gzi for BGZF) index with htslib, or make an indexable BGZF copy.",
        discussion: """
        Plain gzip cannot be randomly accessed. With --bgzip, a BGZF copy
        (FILE.bgz, or --output) is written first through htslib and then
        indexed.

        Examples:
          genome-prep index genome.fa.bgz
          genome-prep index --bgzip genome.fa.gz        # writes genome.fa.bgz + .fai + .gzi
        """)
    @Argument(help: "FASTA file (plain or BGZF; gzip with --bgzip).")
    var input: String
    @Flag(help: "Recompress the input as BGZF first, then index the copy.")
    var bgzip = false
    @Option(name: [.short, .long], help: "With --bgzip: the BGZF file to write (default: INPUT with .gz replaced by .bgz).")
    var output: String?
    @Option(name: [.customShort("@"), .customShort("j"), .long], help: "Compression threads for --bgzip.")
    var threads: Int = 2

    func run() throws {
        try reportingErrors {
            var target = input
            if bgzip {
                target = output ?? (input.hasSuffix(".gz") ? String(input.dropLast(3)) + ".bgz" : input + ".bgz")
                try BGZFWriter.recompress(input: input, output: target, threads: threads)
                printError("wrote \(target)")
            }
            try FaiIndex.build(path: target)
            let idx = try FaiIndex(path: target)
            printError("indexed \(target): \(idx.entries.count) sequences")
        }
    }
}

struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print regions through the .fai/.gzi index (random access), like `samtools faidx`.",
        discussion: """
        Regions are samtools style, 1-based inclusive: CONTIG,
        CONTIG:START-END or CONTIG:START. Each record's header is the region as
        given (samtools' convention), with /rc appended for -i.
        Examples:
          genome-prep fetch data/ecoli_K12_MG1655.fa.bgz K-12-MG1655:1001-2000 --reverse-complement
          genome-prep fetch data/ecoli_K12_MG1655.fa.bgz -r regions.txt -w 0    # one region per line, no wrapping
        """)
    @Argument(help: "Indexed FASTA (plain or BGZF with .fai/.gzi).")
    var input: String
    @Argument(help: "Regions.")
    var regions: [String] = []
    @Option(name: [.customShort("r"), .customLong("region-file")], help: "A file of regions, one per line (samtools faidx -r).")
    var regionFile: String?
    @Flag(name: [.customShort("i"), .long], help: "Print the reverse complement (IUPAC-aware, case kept).")
    var reverseComplement = false
    @Option(name: [.customShort("w"), .long], help: "Bases per output line; 0 writes each sequence on one line (seqkit -w 0).")
    var lineWidth: Int = 60

    func validate() throws {
        guard lineWidth >= 0 else { throw ValidationError("--line-width must be 0 (no wrapping) or more (got \(lineWidth))") }
        guard !regions.isEmpty || regionFile != nil else { throw ValidationError("give regions, or a region file with -r") }
    }

    func run() throws {
        try reportingErrors {
            let idx = try FaiIndex(path: input)
            var all = regions
            if let regionFile {
                guard let text = try? String(contentsOfFile: regionFile, encoding: .utf8) else {
                    throw FileError("cannot read the region file", path: regionFile)
                }
                all += text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            for r in all {
                let iv = try RegionParser.parse(r, contigs: idx.entries)
                var bases = try idx.fetchASCII(contig: iv.contig, start: iv.start, end: iv.end)
                if reverseComplement { bases = BaseCode.reverseComplementASCII(bases) }
                var out = ">\(r)\(reverseComplement ? "/rc" : "")\n"
                var i = 0
                let width = lineWidth == 0 ? max(bases.count, 1) : lineWidth
                while i < bases.count {
                    let j = min(i + width, bases.count)
                    out += String(decoding: bases[i..<j], as: UTF8.self) + "\n"
                    i = j
                }
                print(out, terminator: "")
            }
        }
    }
}
