import Basics
import FoundationEssentials
import Glibc

/// A training checkpoint: a folder `step-NNNNNNNN` under the run's `checkpoints/`, holding
/// - `config.json` and `model.safetensors`: the model as Hugging Face reads it (what `export` publishes);
/// - `optimizer.safetensors`: AdamW's moments as `exp_avg.<name>` and `exp_avg_sq.<name>`;
/// - `state.json`: the step, AdamW's step count, the loader's state (epoch, samples consumed, batches),
///   the CM-GEMS curriculum, and the byte length of the log at this step (a resumed run cuts the log
///   back to it, so its log equals an uninterrupted run's).
///
/// The folder is written under a temporary name and renamed when complete, so a folder named
/// `step-*` is always whole; a kill mid-write leaves only a `.tmp-*` folder, removed on the next start.
public struct Checkpoint: Sendable {
    public var step: Int
    public var optimizerStep: Int
    public var loader: LoaderState
    public var curriculum: CMGemsCurriculum?
    public var logBytes: Int

    public init(step: Int, optimizerStep: Int, loader: LoaderState, curriculum: CMGemsCurriculum?, logBytes: Int) {
        self.step = step; self.optimizerStep = optimizerStep; self.loader = loader; self.curriculum = curriculum; self.logBytes = logBytes
    }

    public static func folderName(step: Int) -> String { "step-" + String(step).leftPad(8) }

    var stateJSON: JSONValue {
        var o = JSONObject()
        o.add("format", .string("genomeprep-checkpoint-1"))
        o.add("step", .int(step))
        o.add("optimizer_step", .int(optimizerStep))
        o.add("loader", loader.json)
        if let c = curriculum {
            var g = JSONObject()
            g.add("threshold", .double(c.threshold))
            g.add("history", .array(c.history.map { .double($0) }))
            g.add("hard_from_batch", c.hardFromBatch.map { .int($0) } ?? .null)
            o.add("cm_gems", .object(g))
        }
        o.add("log_bytes", .int(logBytes))
        return .object(o)
    }

    /// Writes the checkpoint of `model` and `optimizer` into `dir/step-N` (atomically, as a folder).
    public func write(model: BertModel, optimizer: AdamW, into dir: String) throws {
        try makeDirectory(dir)
        let final = dir + "/" + Checkpoint.folderName(step: step)
        let temp = dir + "/.tmp-" + Checkpoint.folderName(step: step) + "-\(getpid())"
        removeTree(temp)
        try makeDirectory(temp)
        do {
            try HuggingFaceExport.writeModel(model, to: temp)
            let p = model.params
            var moments: [Safetensors.TensorRef] = []
            for t in p.tensors {
                moments.append(.init(name: "exp_avg." + t.name, shape: t.shape, data: optimizer.m + t.offset))
                moments.append(.init(name: "exp_avg_sq." + t.name, shape: t.shape, data: optimizer.v + t.offset))
            }
            try Safetensors.write(moments, to: temp + "/optimizer.safetensors")
            try writeAtomically(Array((stateJSON.render() + "\n").utf8), to: temp + "/state.json")
            if FileIdentity.of(final) != nil { removeTree(final) }   // a rerun that reached this step again
            guard rename(temp, final) == 0 else {
                throw TrainerError("cannot rename the checkpoint folder into place: \(String(cString: strerror(errno)))", path: final)
            }
            let d = open(dir, O_RDONLY)
            if d >= 0 { fsync(d); close(d) }
        } catch {
            removeTree(temp)
            throw error
        }
    }

    /// The complete checkpoints in `dir`, oldest first (by step).
    public static func list(in dir: String) -> [(step: Int, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix("step-"), let s = Int(n.dropFirst(5)), s >= 0 else { return nil }
            return (s, dir + "/" + n)
        }.sorted { $0.0 < $1.0 }
    }

    /// Removes leftover temporary folders and all but the newest `keep` checkpoints.
    public static func prune(_ dir: String, keep: Int) {
        for n in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where n.hasPrefix(".tmp-") {
            removeTree(dir + "/" + n)
        }
        let all = list(in: dir)
        for c in all.dropLast(max(keep, 1)) { removeTree(c.path) }
    }

    /// Reads `path`/state.json and loads the weights and moments into `model` and `optimizer`.
    public static func load(_ path: String, model: BertModel, optimizer: AdamW) throws -> Checkpoint {
        let statePath = path + "/state.json"
        guard let d = try? Data(contentsOf: URL(fileURLWithPath: statePath)) else { throw TrainerError("cannot read the checkpoint state", path: statePath) }
        let c: Checkpoint
        do {
            let v = try JSONValue.parse(Array(d))
            guard try v.field("format").asString() == "genomeprep-checkpoint-1" else { throw JSONError("unknown format") }
            var curriculum: CMGemsCurriculum? = nil
            if let g = try v.optionalField("cm_gems") {
                curriculum = CMGemsCurriculum(threshold: try g.field("threshold").asDouble(),
                                              history: try g.field("history").asArray().map { try $0.asDouble() },
                                              hardFromBatch: try g.optionalField("hard_from_batch")?.asInt())
            }
            c = Checkpoint(step: try v.field("step").asInt(), optimizerStep: try v.field("optimizer_step").asInt(),
                           loader: try LoaderState(json: try v.field("loader")), curriculum: curriculum,
                           logBytes: try v.field("log_bytes").asInt())
            guard c.step >= 0, c.optimizerStep >= 0, c.logBytes >= 0 else { throw JSONError("negative step or size") }
        } catch let e as JSONError {
            throw TrainerError("checkpoint state: \(e.message)", path: statePath)
        }
        try model.load(from: try Safetensors.File(path: path + "/model.safetensors"))
        let opt = try Safetensors.File(path: path + "/optimizer.safetensors")
        for t in model.params.tensors {
            try opt.read("exp_avg." + t.name, shape: t.shape, into: optimizer.m + t.offset)
            try opt.read("exp_avg_sq." + t.name, shape: t.shape, into: optimizer.v + t.offset)
        }
        optimizer.restore(step: c.optimizerStep)
        return c
    }
}

/// Deletes a file or a folder tree (no error when absent).
func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
