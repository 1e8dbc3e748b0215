import ArgumentParser
import Basics
import Foundation
import Glibc
import Pipeline
import Trainer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a BERT masked-LM on shards from `genome-prep run` (Swift, OpenBLAS; no Python).",
        discussion: """
        The config is JSON (see pipelines/README.md, "Training"); unknown keys
        are errors. The run folder (`out`) gets train-config.json, log.jsonl
        (one JSON line per step and per eval), checkpoints/step-N/ (the last
        `checkpoint.keep`) and summary.json. Progress goes to stderr.

        Crash safety: checkpoints appear only when complete. After a crash or
        kill, run the same command again: it resumes from the newest
        checkpoint, cuts the log back to it, and the losses that follow equal
        an uninterrupted run's (same thread count). A run folder made with
        another config is refused (--overwrite starts it again).

        Examples:
          genome-prep run pipelines/ecoli-char.json
          genome-prep train pipelines/train-ecoli-char.json
          genome-prep export runs/ecoli-char-bert --hf hf/ecoli-char-bert
        """)
    @Argument(help: "Training config (JSON).")
    var config: String
    @Flag(help: "No progress and no summary on stderr.")
    var quiet = false
    @Flag(help: "Delete the run in `out` (made with another config) and start again.")
    var overwrite = false

    func run() throws {
        try reportingErrors {
            let c = try TrainConfig.load(path: config)
            let bar = quiet ? nil : ProgressBar("train")
            var announced = false
            let s = try TrainRunner(config: c).run(overwrite: overwrite) { p in
                guard let bar else { return }
                if !announced, let r = p.resumedFrom { bar.finish(); printError("train: resumed from the checkpoint at step \(r)"); announced = true }
                if let e = p.eval {
                    bar.finish()
                    printError("train: step \(p.step)  eval loss \(fmt(e.loss)) (\(fmt(e.loss / log(2.0))) bits)  accuracy \(fmt(e.accuracy * 100, 1))%")
                }
                bar.message("step \(p.step)/\(p.steps)  loss \(fmt(p.loss))  lr \(String(format: "%.2e", p.lr))  \(Int(p.tokensPerSecond)) tokens/s  stall \(fmt(p.stallFraction * 100, 1))%")
            }
            bar?.finish()
            if !quiet {
                var lines = "steps     \(s.steps)" + (s.resumedFrom.map { " (resumed from \($0))" } ?? "") + "\n"
                if let l = s.lastLoss { lines += "loss      \(fmt(l)) (last step)\n" }
                if let e = s.eval { lines += "eval      loss \(fmt(e.loss)), \(fmt(e.loss / log(2.0))) bits, accuracy \(fmt(e.accuracy * 100, 1))% on \(e.targets) masked tokens\n" }
                if s.seconds > 0, s.tokens > 0 {
                    lines += "speed     \(Int(Double(s.tokens) / s.seconds)) tokens/s, stall \(fmt(s.stallFraction * 100, 2))%, "
                        + "sgemm \(fmt(s.gemmSeconds / s.seconds * 100, 1))% of the time at \(fmt(s.gemmFlops / max(s.gemmSeconds, 1e-9) / 1e9, 1)) GFLOP/s\n"
                }
                printError(lines + "output    \(c.out)")
            }
        }
    }
}

func fmt(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
