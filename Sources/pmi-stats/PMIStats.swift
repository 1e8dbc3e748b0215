import ArgumentParser
import GenomeIO
import Glibc

@main
struct PMIStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pmi-stats",
        abstract: "Whole-genome k-mer counts and PMI tables for curriculum masking (issue 3; not built yet).")

    @Argument(help: "FASTA inputs.")
    var inputs: [String] = []

    func run() throws {
        FileHandleStderr.write("pmi-stats: not implemented yet (tracked in issue 3)\n")
        throw ExitCode(2)
    }
}

enum FileHandleStderr {
    static func write(_ s: String) { var s = s; s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) } }
}
