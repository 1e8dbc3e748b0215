import ArgumentParser
import CKernels
import GenomeIO

@main
struct GenomePrep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genome-prep",
        abstract: "Streaming, deterministic data preparation for DNA language-model pretraining.",
        discussion: """
        Reads plain, gzip and BGZF FASTA through htslib, places 1 kbp windows
        (tiled, random or from BED intervals), filters them by N and soft-mask
        content, assigns reproducible train/val/test splits, and writes them
        out. Every subcommand has its own --help.

        Examples:
          genome-prep windows data/ecoli_K12_MG1655.fa.bgz -o windows.fa
          genome-prep windows genome.fa.gz --sampler random --count 100000 --seed 7 --format bed -o w.bed
          genome-prep stats data/ecoli_K12_MG1655.fa.gz
          genome-prep fetch data/ecoli_K12_MG1655.fa.bgz K-12-MG1655:1-100 --reverse-complement
        """,
        // The byte kernels' level on this CPU (GENOMEPREP_SIMD=scalar|sse2|avx2 lowers it).
        version: "0.1.0 (byte kernels: \(String(cString: gp_simd_name(gp_simd_level()))))",
        subcommands: [Windows.self, Stats.self, Index.self, Fetch.self, TokenizerCommand.self, Run.self, Merge.self, Verify.self, Inspect.self, Stream.self, Train.self, Export.self, Embed.self, Probe.self, Report.self])

    static func main() { mainWithUsageStatus() }
}
