import ArgumentParser
import Basics
import Pipeline

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A self-contained HTML report of a run's output folder (and a training run's curves).",
        discussion: """
        Inputs and contigs (records, N50, N, soft-mask and GC fractions), windows
        kept per split and dropped by reason, GC and N distributions of the kept
        windows per split (a train/val/test shift shows), tokens per window (BPE
        and NT: what max_seq_len needs), PMI ranks, shard sizes and bits per base;
        with --train, the loss and eval curves of a `genome-prep train` run folder.
        The page has no scripts and no network: charts are inline SVG.

        Examples:
          genome-prep report out/ecoli-char -o ecoli-char.html
          genome-prep report out/ecoli-char --train runs/ecoli-char-bert -o report.html
          genome-prep report out/ecoli-char --json > report.json
        """)
    @Argument(help: "A `genome-prep run` output folder.")
    var folder: String
    @Option(help: "A `genome-prep train` run folder whose curves to add.")
    var train: String?
    @Option(name: .shortAndLong, help: "The HTML file to write (default: FOLDER/report.html).")
    var output: String?
    @Flag(help: "Print the numbers as JSON on stdout instead of writing HTML.")
    var json = false

    func run() throws {
        try reportingErrors {
            let r = try DatasetReport.compute(folder: folder, trainRun: train)
            if json {
                print(r.json.render())
                return
            }
            let path = output ?? folder + "/report.html"
            try writeAtomically(Array(r.html.utf8), to: path)
            printError("report: \(path)")
        }
    }
}
