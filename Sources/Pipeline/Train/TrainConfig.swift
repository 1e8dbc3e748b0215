import Basics
import FoundationEssentials
import Trainer

/// A declarative training run (`pipelines/train-*.json`) for `genome-prep train`. Unknown keys are
/// errors naming the key path; every number is range-checked before it sizes anything.
///
/// ```json
/// {"version": 1, "name": "ecoli-char-bert",
///  "data": {"train": [{"path": "out/ecoli-char/train", "weight": 1}], "val": "out/ecoli-char/val", "sequenceLength": 512},
///  "model": {"layers": 2, "hidden": 128, "heads": 4, "intermediate": 512, "maxPositions": 512},
///  "masking": {"strategy": "bert"},
///  "batch": {"size": 16, "accumulate": 1},
///  "steps": 1000,
///  "optimizer": {"lr": 0.001, "warmup": 100, "decay": "cosine", "minRatio": 0.1, "weightDecay": 0.01,
///                "beta1": 0.9, "beta2": 0.98, "eps": 1e-6, "clip": 1.0},
///  "eval": {"interval": 100, "batches": 8, "seed": 1, "masking": "bert"},
///  "checkpoint": {"interval": 250, "keep": 2},
///  "seed": 0, "threads": 1, "out": "runs/ecoli-char-bert"}
/// ```
public struct TrainConfig: Sendable {
    public var name: String
    public var train: [LoaderSettings.Source]
    public var val: String?
    public var sequenceLength: Int?
    public var model = ModelSpec()
    public var masking = MaskingStrategy.bert
    public var maskingSettings = MaskingSettings()
    public var gemsThreshold = 1.0
    public var batchSize = 16
    public var accumulate = 1
    public var steps: Int
    public var lr = 1e-3
    public var warmup = 0
    public var decay = LRSchedule.Decay.cosine
    public var minRatio = 0.1
    public var weightDecay = 0.01
    public var beta1 = 0.9
    public var beta2 = 0.98
    public var eps = 1e-6
    public var clip: Double? = 1.0
    public var evalInterval = 0
    public var evalBatches = 8
    public var evalSeed: UInt64 = 1
    public var evalMasking = MaskingStrategy.bert
    public var checkpointInterval = 0
    public var keep = 2
    public var seed: UInt64 = 0
    public var threads = 1
    public var loaderWorkers = 1
    public var shuffleBuffer = 8192
    public var out: String
    /// The config's own text (a run folder made with another config is not resumed).
    public var text = ""

    public struct ModelSpec: Sendable, Equatable {
        public var layers = 2, hidden = 128, heads = 4, intermediate = 512
        public var maxPositions: Int? = nil
    }

    public var schedule: LRSchedule { LRSchedule(lr: lr, warmup: warmup, total: steps, decay: decay, minRatio: minRatio) }

    static let sections: [String: Set<String>] = [
        "": ["version", "name", "data", "model", "masking", "batch", "steps", "optimizer", "eval", "checkpoint", "seed", "threads",
             "loaderWorkers", "shuffleBuffer", "out"],
        "data": ["train", "val", "sequenceLength"],
        "model": ["layers", "hidden", "heads", "intermediate", "maxPositions"],
        "masking": ["strategy", "rate", "threshold", "totalSteps"],
        "batch": ["size", "accumulate"],
        "optimizer": ["lr", "warmup", "decay", "minRatio", "weightDecay", "beta1", "beta2", "eps", "clip"],
        "eval": ["interval", "batches", "seed", "masking"],
        "checkpoint": ["interval", "keep"],
    ]

    public static func load(path: String) throws -> TrainConfig {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw PipelineError("cannot read the training config", path: path)
        }
        let root: JSONValue
        do { root = try JSONValue.parse(Array(data)) } catch { throw PipelineError("not valid JSON: \(error)", path: path) }
        let r = ConfigReader(path: path, sections: sections)
        guard case .object(let o) = root else { throw PipelineError("the config must be a JSON object", path: path) }
        try r.checkKeys(o, "")
        guard let name = try r.string(o, "name") else { throw r.bad("name", "present (a string)") }
        guard let out = try r.string(o, "out") else { throw r.bad("out", "present (the run folder)") }
        guard let steps = try r.int(o, "steps", 1...1 << 40) else { throw r.bad("steps", "present (optimizer steps)") }
        if let v = try r.int(o, "version", 0...Int.max), v != 1 {
            throw PipelineError("config version \(v) is not supported (this tool reads version 1)", path: path)
        }
        guard let d = try r.section(o, "data") else { throw r.bad("data", "present, with data.train") }
        guard case .array(let list)? = d["train"], !list.isEmpty else {
            throw r.bad("data.train", "a non-empty list of split folders, each a path or {\"path\": ..., \"weight\": ...}")
        }
        var train: [LoaderSettings.Source] = []
        for (i, v) in list.enumerated() {
            switch v {
            case .string(let p): train.append(.init(path: p))
            case .object(let s):
                let key = "data.train[\(i)]"
                for (k, _) in s.pairs where k != "path" && k != "weight" { throw PipelineError("unknown key '\(key).\(k)'", path: path) }
                guard let p = try r.string(s, "path", full: key + ".path") else { throw r.bad(key + ".path", "present") }
                train.append(.init(path: p, weight: try r.number(s, "weight", 1e-9...1e9, full: key + ".weight") ?? 1))
            default: throw r.bad("data.train[\(i)]", "a path or {\"path\": ..., \"weight\": ...}")
            }
        }
        var c = TrainConfig(name: name, train: train, steps: steps, out: out)
        c.text = String(decoding: data, as: UTF8.self)
        c.val = try r.string(d, "val", full: "data.val")
        c.sequenceLength = try r.int(d, "sequenceLength", 1...1 << 16, full: "data.sequenceLength")
        if let m = try r.section(o, "model") {
            c.model.layers = try r.int(m, "layers", 1...48, full: "model.layers") ?? c.model.layers
            c.model.hidden = try r.int(m, "hidden", 1...4096, full: "model.hidden") ?? c.model.hidden
            c.model.heads = try r.int(m, "heads", 1...64, full: "model.heads") ?? c.model.heads
            c.model.intermediate = try r.int(m, "intermediate", 1...16384, full: "model.intermediate") ?? c.model.intermediate
            c.model.maxPositions = try r.int(m, "maxPositions", 1...1 << 16, full: "model.maxPositions")
            guard c.model.hidden % c.model.heads == 0 else { throw r.bad("model.heads", "a divisor of model.hidden (\(c.model.hidden))") }
        }
        if let m = try r.section(o, "masking") {
            if let s = try r.string(m, "strategy", full: "masking.strategy") {
                guard let k = MaskingStrategy(rawValue: s) else {
                    throw r.bad("masking.strategy", MaskingStrategy.allCases.map(\.rawValue).joined(separator: ", "))
                }
                c.masking = k
            }
            c.maskingSettings.bertRate = try r.number(m, "rate", 0.001...0.9, full: "masking.rate") ?? c.maskingSettings.bertRate
            c.gemsThreshold = try r.number(m, "threshold", 0...1e9, full: "masking.threshold") ?? c.gemsThreshold
            c.maskingSettings.totalSteps = try r.int(m, "totalSteps", 1...1 << 40, full: "masking.totalSteps") ?? steps
        } else {
            c.maskingSettings.totalSteps = steps
        }
        if c.masking == .mae || c.masking == .findna {
            throw PipelineError("masking.strategy '\(c.masking.rawValue)' needs its own model (an encoder-decoder for mae, the one-hot student/teacher for findna); `train` fits the BERT masked-LM, which takes bert, kspan, genemask, global-pmi, cm-step, cm-gems and had-group", path: path)
        }
        if let b = try r.section(o, "batch") {
            c.batchSize = try r.int(b, "size", 1...4096, full: "batch.size") ?? c.batchSize
            c.accumulate = try r.int(b, "accumulate", 1...4096, full: "batch.accumulate") ?? c.accumulate
        }
        if let p = try r.section(o, "optimizer") {
            c.lr = try r.number(p, "lr", 1e-9...10, full: "optimizer.lr") ?? c.lr
            c.warmup = try r.int(p, "warmup", 0...1 << 40, full: "optimizer.warmup") ?? c.warmup
            if let s = try r.string(p, "decay", full: "optimizer.decay") {
                guard let k = LRSchedule.Decay(rawValue: s) else { throw r.bad("optimizer.decay", "constant, linear or cosine") }
                c.decay = k
            }
            c.minRatio = try r.number(p, "minRatio", 0...1, full: "optimizer.minRatio") ?? c.minRatio
            c.weightDecay = try r.number(p, "weightDecay", 0...10, full: "optimizer.weightDecay") ?? c.weightDecay
            c.beta1 = try r.number(p, "beta1", 0...0.999999, full: "optimizer.beta1") ?? c.beta1
            c.beta2 = try r.number(p, "beta2", 0...0.999999999, full: "optimizer.beta2") ?? c.beta2
            c.eps = try r.number(p, "eps", 1e-30...1, full: "optimizer.eps") ?? c.eps
            if p["clip"] == .null { c.clip = nil } else { c.clip = try r.number(p, "clip", 1e-9...1e9, full: "optimizer.clip") ?? c.clip }
        }
        if let e = try r.section(o, "eval") {
            c.evalInterval = try r.int(e, "interval", 0...1 << 40, full: "eval.interval") ?? c.evalInterval
            c.evalBatches = try r.int(e, "batches", 1...1 << 20, full: "eval.batches") ?? c.evalBatches
            c.evalSeed = UInt64(try r.int(e, "seed", 0...Int.max, full: "eval.seed") ?? 1)
            if let s = try r.string(e, "masking", full: "eval.masking") {
                guard let k = MaskingStrategy(rawValue: s), k != .mae, k != .findna else { throw r.bad("eval.masking", "a masked-LM strategy such as bert") }
                c.evalMasking = k
            }
        }
        if (c.evalInterval > 0 || c.masking == .cmGems) && c.val == nil {
            throw r.bad("data.val", "set when eval.interval is set or the masking is cm-gems (its curriculum reads eval perplexity)")
        }
        if c.masking == .cmGems && c.evalInterval == 0 { throw r.bad("eval.interval", "positive for cm-gems (its curriculum switches on eval perplexity)") }
        if let k = try r.section(o, "checkpoint") {
            c.checkpointInterval = try r.int(k, "interval", 0...1 << 40, full: "checkpoint.interval") ?? c.checkpointInterval
            c.keep = try r.int(k, "keep", 1...1000, full: "checkpoint.keep") ?? c.keep
        }
        c.seed = UInt64(try r.int(o, "seed", 0...Int.max) ?? 0)
        c.threads = try r.int(o, "threads", 1...256) ?? c.threads
        c.loaderWorkers = try r.int(o, "loaderWorkers", 1...64) ?? c.loaderWorkers
        c.shuffleBuffer = try r.int(o, "shuffleBuffer", 1...1 << 24) ?? c.shuffleBuffer
        return c
    }
}
