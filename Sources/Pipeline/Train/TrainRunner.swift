import Basics
import FoundationEssentials
import Glibc
import Shards
import Trainer

/// One step's numbers, for the log and the terminal.
public struct TrainProgress: Sendable {
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var accuracy: Double
    public var lr: Double
    public var gradNorm: Double
    public var tokensPerSecond: Double
    public var stallFraction: Double
    public var eval: EvalResult?
    public var resumedFrom: Int?
}

public struct EvalResult: Sendable {
    public var loss: Double
    public var accuracy: Double
    public var targets: Int
}

/// What a finished (or already complete) run reports.
public struct TrainSummary: Sendable {
    public var steps: Int
    public var resumedFrom: Int?
    public var lastLoss: Double?
    public var eval: EvalResult?
    public var tokens: Int
    public var seconds: Double
    public var stallFraction: Double
    public var gemmSeconds: Double
    public var gemmFlops: Double
    /// With `bench`: the time the same sgemm calls take in a plain loop (their shapes replayed).
    public var gemmPlainSeconds: Double?
}

/// `genome-prep train`: runs a ``TrainConfig`` into its run folder:
/// - `train-config.json`: the config (a folder made with another config is refused, unless overwritten);
/// - `log.jsonl`: one JSON line per optimizer step (`step`, `loss`, `accuracy`, `lr`, `grad_norm`,
///   `tokens_per_s`, `stall`) and one per eval (`eval_loss`, `eval_accuracy`, and `eval_bits_per_base` for
///   character tokens or `eval_bits_per_token`), flushed line by line;
/// - `checkpoints/step-N/`: the last `keep` checkpoints (``Checkpoint``);
/// - `summary.json`, written last.
///
/// Started again after a kill, it resumes from the newest checkpoint: the log is cut back to that step
/// and the steps after it are computed again from the restored weights, moments and loader state, so
/// the losses equal an uninterrupted run's (same thread count).
public final class TrainRunner {
    public let config: TrainConfig

    public init(config: TrainConfig) { self.config = config }

    var configPath: String { config.out + "/train-config.json" }
    var logPath: String { config.out + "/log.jsonl" }
    var checkpointDir: String { config.out + "/checkpoints" }

    public func run(overwrite: Bool = false, bench: Bool = false, progress: ((TrainProgress) -> Void)? = nil) throws -> TrainSummary {
        let c = config
        try makeDirectory(c.out)
        // One trainer per run folder: a second one (a requeued job while the first still runs) would
        // truncate the same log and delete the first one's checkpoint in progress. The lock goes with
        // the process, so a killed run never leaves it behind.
        let lockFD = open(c.out + "/.lock", O_RDWR | O_CREAT, 0o644)
        guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
            if lockFD >= 0 { close(lockFD) }
            throw PipelineError("another `genome-prep train` is running in this run folder", path: c.out,
                                hint: "wait for it to finish (or stop it) and run the same command again to resume")
        }
        defer { close(lockFD) }
        try BLAS.load()
        try prepareFolder(overwrite: overwrite)
        BLAS.setThreads(c.threads)

        // Data and model.
        var settings = LoaderSettings(sources: c.train)
        settings.batchSize = c.batchSize
        settings.sequenceLength = c.sequenceLength
        settings.seed = c.seed
        settings.shuffleBuffer = c.shuffleBuffer
        settings.masking = c.masking
        settings.maskingSettings = c.maskingSettings
        settings.workers = c.loaderWorkers
        let info = try DatasetInfo.load(folder: c.train[0].path)
        guard let length = c.sequenceLength ?? info.tokensPerWindow else {
            throw PipelineError("windows of this dataset vary in token count (\(info.tokenizer)): set data.sequenceLength", path: c.train[0].path)
        }
        var mc = BertConfig(vocabSize: info.vocabSize)
        mc.hiddenSize = c.model.hidden; mc.layers = c.model.layers; mc.heads = c.model.heads
        mc.intermediateSize = c.model.intermediate; mc.maxPositions = c.model.maxPositions ?? length
        mc.padTokenID = info.specialIDs.pad ?? 0
        guard length <= mc.maxPositions else {
            throw PipelineError("rows of \(length) tokens do not fit model.maxPositions \(mc.maxPositions)", path: c.out,
                                hint: "raise model.maxPositions or set data.sequenceLength")
        }
        let model = try BertModel(config: mc, maxRows: c.batchSize, length: length)
        model.initialize(seed: c.seed)
        let optimizer = AdamW(params: model.params)
        optimizer.beta1 = c.beta1; optimizer.beta2 = c.beta2; optimizer.eps = c.eps; optimizer.weightDecay = c.weightDecay
        var curriculum: CMGemsCurriculum? = c.masking == .cmGems ? CMGemsCurriculum(threshold: c.gemsThreshold) : nil
        if let v = c.val {
            let vi = try DatasetInfo.load(folder: v)
            guard vi.vocabSize == info.vocabSize, vi.tokenizer == info.tokenizer, vi.specialIDs == info.specialIDs else {
                throw PipelineError("the val split's tokens differ from the training data's (\(vi.tokenizer), vocab \(vi.vocabSize) vs \(info.tokenizer), vocab \(info.vocabSize))",
                                    path: v, hint: "evaluate on a split made with the same tokenizer (data.val)")
            }
        }

        // Resume from the newest complete checkpoint.
        Checkpoint.prune(checkpointDir, keep: Int.max)
        var start = 0, loaderState: LoaderState? = nil, logBytes = 0
        var resumedFrom: Int? = nil
        if let last = Checkpoint.list(in: checkpointDir).last {
            let ck = try Checkpoint.load(last.path, model: model, optimizer: optimizer)
            start = ck.step; loaderState = ck.loader; logBytes = ck.logBytes
            if ck.curriculum != nil { curriculum = ck.curriculum }
            resumedFrom = ck.step
        }
        let log = try TrainLog(path: logPath, keepBytes: logBytes)
        let loader = try Loader(settings, resumeFrom: loaderState)
        defer { loader.close() }
        if let from = curriculum?.hardFromBatch { loader.switchToHard(fromBatch: from) }
        model.meter.enabled = true

        let schedule = c.schedule
        let wall0 = MonotonicClock.now()
        var lastTime = wall0, lastWait = 0.0
        var tokens = 0, lastLoss: Double? = nil, lastEval: EvalResult? = nil
        var step = start
        while step < c.steps {
            model.params.zeroGrads()
            var lossSum = 0.0, targets = 0, correct = 0, stepTokens = 0
            for _ in 0..<c.accumulate {
                guard let b = try loader.next() else { throw PipelineError("the training data ran out", path: c.train[0].path) }
                let (s, n) = b.ids.withUnsafeBufferPointer { ids in b.positions.withUnsafeBufferPointer { pos in
                    b.attention.withUnsafeBufferPointer { att in b.labels.withUnsafeBufferPointer { lab in
                        model.forward(ids: ids.baseAddress!, positions: pos.baseAddress!, attention: att.baseAddress!,
                                      labels: lab.baseAddress!, rows: b.rows)
                    } } } }
                if n > 0 { model.backward(scale: 1) }
                lossSum += s; targets += n; correct += model.lastCorrect(); stepTokens += b.tokenCount
            }
            if targets > 0 { model.params.scaleGrads(1 / Float(targets)) }
            let norm = clipGradients(model.params, maxNorm: c.clip)
            let lr = schedule.rate(at: step)
            optimizer.update(lr: lr)
            step += 1
            tokens += stepTokens
            let now = MonotonicClock.now(), wait = loader.stats.waitSeconds
            let loss = targets > 0 ? lossSum / Double(targets) : 0
            guard loss.isFinite, norm.isFinite else {
                throw PipelineError("training diverged at step \(step): loss \(loss), gradient norm \(norm)", path: c.out,
                                    hint: "lower optimizer.lr, lengthen optimizer.warmup or set optimizer.clip; the checkpoints before this step are kept")
            }
            lastLoss = loss
            var p = TrainProgress(step: step, steps: c.steps, loss: loss, accuracy: targets > 0 ? Double(correct) / Double(targets) : 0,
                                  lr: lr, gradNorm: norm, tokensPerSecond: Double(stepTokens) / max(now - lastTime, 1e-9),
                                  stallFraction: (wait - lastWait) / max(now - lastTime, 1e-9), eval: nil, resumedFrom: resumedFrom)
            lastTime = now; lastWait = wait
            try log.write(step: p)
            if let v = c.val, c.evalInterval > 0, step % c.evalInterval == 0 || step == c.steps {
                let e = try evaluate(model: model, val: v, length: length, info: info)
                try log.write(eval: e, step: step, tokenizer: info.tokenizer)
                p.eval = e; lastEval = e
                if curriculum != nil, curriculum!.record(perplexity: exp(e.loss), batchesConsumed: loader.state.batches) {
                    loader.switchToHard(fromBatch: loader.state.batches)
                }
                lastTime = MonotonicClock.now()
            }
            if (c.checkpointInterval > 0 && step % c.checkpointInterval == 0) || step == c.steps {
                try log.sync()   // the length the checkpoint records is on disk before the checkpoint is
                let ck = Checkpoint(step: step, optimizerStep: optimizer.step, loader: loader.state, curriculum: curriculum, logBytes: log.bytes)
                try ck.write(model: model, optimizer: optimizer, into: checkpointDir)
                Checkpoint.prune(checkpointDir, keep: c.keep)
                lastTime = MonotonicClock.now()
            }
            progress?(p)
        }
        let stats = loader.stats
        if step == start && FileIdentity.of(config.out + "/summary.json") != nil {
            // Nothing ran (the run was complete): its summary stays as it was.
            return TrainSummary(steps: c.steps, resumedFrom: resumedFrom, lastLoss: nil, eval: nil, tokens: 0, seconds: 0,
                                stallFraction: 0, gemmSeconds: 0, gemmFlops: 0, gemmPlainSeconds: nil)
        }
        let summary = TrainSummary(steps: c.steps, resumedFrom: resumedFrom, lastLoss: lastLoss, eval: lastEval, tokens: tokens,
                                   seconds: MonotonicClock.now() - wall0, stallFraction: stats.stallFraction,
                                   gemmSeconds: model.meter.seconds, gemmFlops: model.meter.flops,
                                   gemmPlainSeconds: bench ? model.meter.replay() : nil)
        try writeSummary(summary)
        return summary
    }

    /// Masked-token cross-entropy and accuracy on the first `evalBatches` batches of the val split, masked
    /// with the fixed eval seed and strategy (the same positions at every eval).
    func evaluate(model: BertModel, val: String, length: Int, info: DatasetInfo) throws -> EvalResult {
        var s = LoaderSettings(sources: [.init(path: val)])
        s.batchSize = config.batchSize
        s.sequenceLength = length
        s.seed = config.evalSeed
        s.shuffleBuffer = 1
        s.masking = config.evalMasking
        s.maskingSettings = config.maskingSettings
        s.epochs = 1
        s.workers = 1
        let loader = try Loader(s)
        defer { loader.close() }
        var sum = 0.0, n = 0, correct = 0
        for _ in 0..<config.evalBatches {
            guard let b = try loader.next() else { break }
            let (ls, k) = b.ids.withUnsafeBufferPointer { ids in b.positions.withUnsafeBufferPointer { pos in
                b.attention.withUnsafeBufferPointer { att in b.labels.withUnsafeBufferPointer { lab in
                    model.forward(ids: ids.baseAddress!, positions: pos.baseAddress!, attention: att.baseAddress!,
                                  labels: lab.baseAddress!, rows: b.rows)
                } } } }
            sum += ls; n += k; correct += model.lastCorrect()
        }
        guard n > 0 else { throw PipelineError("the val split gave no masked tokens to evaluate", path: val) }
        return EvalResult(loss: sum / Double(n), accuracy: Double(correct) / Double(n), targets: n)
    }

    /// Creates the run folder, or checks that an existing one was made by this config (then it resumes).
    func prepareFolder(overwrite: Bool) throws {
        let c = config
        let fm = FileManager.default
        let mine = ["train-config.json", "log.jsonl", "checkpoints", "summary.json"]
        if let names = try? fm.contentsOfDirectory(atPath: c.out), !names.isEmpty {
            let foreign = names.filter { !mine.contains($0) && !$0.hasPrefix(".") }
            if overwrite {
                guard foreign.isEmpty else {
                    throw PipelineError("the folder holds files `genome-prep train` did not write (\(foreign.prefix(3).joined(separator: ", "))); nothing was deleted",
                                        path: c.out, hint: "choose an empty or new folder for `out`")
                }
                // The config last: a kill half way leaves a folder that --overwrite still recognises.
                for n in ["checkpoints", "log.jsonl", "summary.json", "train-config.json"] { removeItem(c.out + "/" + n) }
            } else if let d = try? Data(contentsOf: URL(fileURLWithPath: configPath)) {
                guard PipelineConfig.canonical(String(decoding: d, as: UTF8.self)) == PipelineConfig.canonical(c.text) else {
                    throw PipelineError("this run folder holds a run of another config", path: c.out,
                                        hint: "use another `out`, or --overwrite to delete that run and start again")
                }
            } else if !names.allSatisfy({ $0.hasPrefix(".") }) {
                throw PipelineError("the folder exists and is not a training run folder (no train-config.json)", path: c.out,
                                    hint: foreign.isEmpty ? "--overwrite deletes what an interrupted `train --overwrite` left and starts again"
                                                          : "choose an empty or new folder for `out`")
            }
        }
        try makeDirectory(c.out)
        if FileIdentity.of(configPath) == nil { try writeAtomically(Array(c.text.utf8), to: configPath) }
    }

    func removeItem(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    func writeSummary(_ s: TrainSummary) throws {
        var o = JSONObject()
        o.add("steps", .int(s.steps))
        o.add("resumed_from", s.resumedFrom.map { .int($0) } ?? .null)
        o.add("last_loss", s.lastLoss.map { .double($0) } ?? .null)
        if let e = s.eval { o.add("eval_loss", .double(e.loss)); o.add("eval_accuracy", .double(e.accuracy)) }
        o.add("tokens", .int(s.tokens))
        o.add("seconds", .double(s.seconds))
        o.add("stall_fraction", .double(s.stallFraction))
        o.add("sgemm_seconds", .double(s.gemmSeconds))
        o.add("sgemm_gflops", .double(s.gemmSeconds > 0 ? s.gemmFlops / s.gemmSeconds / 1e9 : 0))
        if let p = s.gemmPlainSeconds {
            o.add("sgemm_plain_loop_gflops", .double(p > 0 ? s.gemmFlops / p / 1e9 : 0))
            o.add("sgemm_efficiency", .double(s.gemmSeconds > 0 ? p / s.gemmSeconds : 0))
            o.add("openblas_core", .string(BLAS.coreName))
        }
        try writeAtomically(Array((JSONValue.object(o).render() + "\n").utf8), to: config.out + "/summary.json")
    }
}

/// The run's `log.jsonl`: cut back to `keepBytes` (the length a checkpoint recorded) and appended line by
/// line, each line written whole with one `write`.
final class TrainLog {
    let path: String
    let fd: Int32
    private(set) var bytes: Int

    init(path: String, keepBytes: Int) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw PipelineError("cannot open the log: \(String(cString: strerror(errno)))", path: path) }
        var st = stat()
        fstat(fd, &st)
        if Int(st.st_size) < keepBytes {
            close(fd)
            throw PipelineError("the log is shorter (\(st.st_size) bytes) than the checkpoint recorded (\(keepBytes))", path: path,
                                hint: "the log was changed by hand or lost writes; start again with --overwrite")
        }
        guard ftruncate(fd, off_t(keepBytes)) == 0, lseek(fd, off_t(keepBytes), SEEK_SET) >= 0 else {
            let e = String(cString: strerror(errno)); close(fd)
            throw PipelineError("cannot cut the log back to the checkpoint: \(e)", path: path)
        }
        bytes = keepBytes
    }

    deinit { close(fd) }

    func sync() throws {
        guard fsync(fd) == 0 else { throw PipelineError("cannot sync the log: \(String(cString: strerror(errno)))", path: path) }
    }

    func append(_ o: JSONObject) throws {
        let line = Array((JSONValue.object(o).render() + "\n").utf8)
        let n = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == line.count else { throw PipelineError("cannot write the log: \(String(cString: strerror(errno)))", path: path) }
        bytes += n
    }

    func write(step p: TrainProgress) throws {
        var o = JSONObject()
        o.add("step", .int(p.step))
        o.add("loss", .double(p.loss))
        o.add("accuracy", .double(p.accuracy))
        o.add("lr", .double(p.lr))
        o.add("grad_norm", .double(p.gradNorm))
        o.add("tokens_per_s", .double((p.tokensPerSecond * 10).rounded() / 10))
        o.add("stall", .double((p.stallFraction * 1e4).rounded() / 1e4))
        try append(o)
    }

    func write(eval e: EvalResult, step: Int, tokenizer: String) throws {
        var o = JSONObject()
        o.add("step", .int(step))
        o.add("eval_loss", .double(e.loss))
        o.add("eval_accuracy", .double(e.accuracy))
        o.add(tokenizer == "char" ? "eval_bits_per_base" : "eval_bits_per_token", .double(e.loss / log(2.0)))
        o.add("eval_targets", .int(e.targets))
        try append(o)
    }
}
