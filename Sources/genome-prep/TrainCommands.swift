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
        an uninterrupted run's (whatever the thread count). A run folder made
        with another config is refused (--overwrite starts it again).

        Examples:
          genome-prep run pipelines/ecoli-char.json
          genome-prep train pipelines/train-ecoli-char.json
          genome-prep export runs/ecoli-char-bert --hf hf/ecoli-char-bert
        """)
    @Argument(help: "Training config (JSON).")
    var config: String
    @Flag(help: "No progress and no summary on stderr.")
    var quiet = false
    @Flag(help: "Delete the run in `out` (its checkpoints, log and config; nothing else) and start again.")
    var overwrite = false
    @Flag(help: "After training, replay the model's sgemm shapes in a plain cblas_sgemm loop and report the efficiency (bench/trainer.sh).")
    var bench = false

    func run() throws {
        try reportingErrors {
            let c = try TrainConfig.load(path: config)
            let bar = quiet ? nil : ProgressBar("train")
            var announced = false
            let s = try TrainRunner(config: c).run(overwrite: overwrite, bench: bench) { p in
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
                if let p = s.gemmPlainSeconds, p > 0 {
                    lines += "sgemm     OpenBLAS core \(BLAS.coreName), \(BLAS.threads) threads; a plain loop on the same shapes: \(fmt(s.gemmFlops / p / 1e9, 1)) GFLOP/s; the model gets \(fmt(p / s.gemmSeconds * 100, 1))% of it\n"
                }
                printError(lines + "output    \(c.out)")
            }
        }
    }
}

func fmt(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a trained model as a Hugging Face folder (config.json, model.safetensors, tokenizer files).",
        discussion: """
        The folder loads with transformers.AutoModelForMaskedLM.from_pretrained(DIR)
        (a BertForMaskedLM) and gives the same logits as the Swift model.

        Examples:
          genome-prep export runs/ecoli-char-bert --hf hf/ecoli-char-bert
          genome-prep export runs/ecoli-char-bert --hf hf/step-500 --step 500
        """)
    @Argument(help: ArgumentHelp("A run folder of `genome-prep train`.", valueName: "run"))
    var runFolder: String
    @Option(help: ArgumentHelp("The folder to write (new or empty).", valueName: "dir"))
    var hf: String
    @Option(help: "The checkpoint's step (default: the newest).")
    var step: Int?
    @Flag(help: "Replace the files of a folder that is not empty.")
    var overwrite = false

    func run() throws {
        try reportingErrors {
            let r = try TrainedRun(folder: runFolder, step: step)
            let files = try r.exportHuggingFace(to: hf, overwrite: overwrite)
            printError("export: step \(r.step) of \(runFolder) -> \(hf): \(files.joined(separator: ", "))")
        }
    }
}

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mean-pooled embeddings of every sample of a split folder, as a numpy .npy array (samples x hidden).",
        discussion: """
        Rows follow the split's sample order (index.json order). Tokens are
        not masked; each sample's last-layer hidden states are averaged over
        its real tokens.

        Example:
          genome-prep embed runs/ecoli-char-bert out/probe-train/train -o train.npy
        """)
    @Argument(help: ArgumentHelp("A run folder of `genome-prep train`.", valueName: "run"))
    var runFolder: String
    @Argument(help: "A split folder (MDS shards made with the same tokenizer).")
    var shards: String
    @Option(name: .shortAndLong, help: "The .npy file to write.")
    var output: String
    @Option(help: "The checkpoint's step (default: the newest).")
    var step: Int?
    @Option(help: "Samples per forward pass.")
    var batch = 32
    @Option(name: [.customShort("@"), .customShort("j"), .long], help: "BLAS threads.")
    var threads = 1

    func validate() throws {
        guard (1...4096).contains(batch) else { throw ValidationError("--batch must be 1...4096") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1...256") }
    }

    func run() throws {
        try reportingErrors {
            try BLAS.load()
            BLAS.setThreads(threads)
            let r = try TrainedRun(folder: runFolder, step: step)
            let bar = ProgressBar("embed")
            let e = try Embedder.embed(run: r, split: shards, batchSize: batch) { done, total in bar.message("\(done)/\(total) samples") }
            bar.finish()
            try e.values.withUnsafeBufferPointer { try NPY.write($0.baseAddress!, rows: e.rows, columns: e.hidden, to: output) }
            printError("embed: \(e.rows) x \(e.hidden) (step \(r.step)) -> \(output)")
        }
    }
}

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a linear probe (L2 logistic regression) on embeddings and report test accuracy.",
        discussion: """
        Features are standardised; the L2 strength is chosen from a grid by
        accuracy on the last --val-fraction of the train rows (keep rows in
        genome order so that part is a held-out region), then the model is
        refitted on all train rows and scored on the test rows. Labels: one
        per line, any text (classes are the distinct train labels).

        Example:
          genome-prep probe --train train.npy --train-labels train.labels --test test.npy --test-labels test.labels
        """)
    @Option(help: "Train features (.npy, rows x features).")
    var train: String
    @Option(help: "Train labels, one per line.")
    var trainLabels: String
    @Option(help: "Test features (.npy).")
    var test: String
    @Option(help: "Test labels, one per line.")
    var testLabels: String
    @Option(help: "Share of the train rows (the last ones) used to pick the L2 strength.")
    var valFraction = 0.2
    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        guard valFraction > 0, valFraction < 1 else { throw ValidationError("--val-fraction must be between 0 and 1") }
    }

    func labels(_ path: String, rows: Int) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TrainerError("cannot read the labels", path: path) }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { String($0) }
        let list = lines.last == "" ? Array(lines.dropLast()) : lines
        guard list.count == rows else { throw TrainerError("\(list.count) labels for \(rows) rows of features", path: path) }
        if let i = list.firstIndex(where: { $0.isEmpty }) { throw TrainerError("line \(i + 1) is empty", path: path) }
        return list
    }

    func run() throws {
        try reportingErrors {
            let a = try NPY.read(path: train), b = try NPY.read(path: test)
            guard a.columns == b.columns else { throw TrainerError("train has \(a.columns) features, test \(b.columns)", path: test) }
            let r = try LinearProbe.run(train: a.values, trainLabels: try labels(trainLabels, rows: a.rows), test: b.values,
                                        testLabels: try labels(testLabels, rows: b.rows), features: a.columns, validationFraction: valFraction)
            if json {
                var o = JSONObject()
                o.add("test_accuracy", .double(r.testAccuracy)); o.add("train_accuracy", .double(r.trainAccuracy))
                o.add("lambda", .double(r.lambda)); o.add("classes", .array(r.classes.map { .string($0) }))
                o.add("train_rows", .int(r.trainRows)); o.add("test_rows", .int(r.testRows))
                o.add("validation", .array(r.validation.map { .array([.double($0.lambda), .double($0.accuracy)]) }))
                print(JSONValue.object(o).render())
            }
            printError("probe: \(r.trainRows) train / \(r.testRows) test rows, \(r.classes.count) classes, lambda \(r.lambda) "
                       + "(validation: " + r.validation.map { "\($0.lambda): \(fmt($0.accuracy * 100, 1))%" }.joined(separator: ", ") + ")\n"
                       + "probe: train accuracy \(fmt(r.trainAccuracy * 100, 2))%, test accuracy \(fmt(r.testAccuracy * 100, 2))%")
        }
    }
}
