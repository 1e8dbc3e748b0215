import Basics
import FoundationEssentials
import Shards
import Trainer

/// A `genome-prep train` run folder, read back: its config, a checkpoint (the newest, or a given step),
/// and the dataset it was trained on (the parent of its first train split, where the tokenizer is).
public struct TrainedRun {
    public let folder: String
    public let config: TrainConfig
    public let checkpoint: String
    public let step: Int

    public init(folder: String, step: Int? = nil) throws {
        self.folder = folder
        let cfg = folder + "/train-config.json"
        guard FileIdentity.of(cfg) != nil else {
            throw PipelineError("not a training run folder (no train-config.json)", path: folder, hint: "give the `out` folder of `genome-prep train`")
        }
        config = try TrainConfig.load(path: cfg)
        let all = Checkpoint.list(in: folder + "/checkpoints")
        guard let pick = step.map({ s in all.first { $0.step == s } }) ?? all.last else {
            throw PipelineError(step.map { "no checkpoint of step \($0) (have: \(all.map { String($0.step) }.joined(separator: ", ")))" }
                                ?? "the run has no checkpoint yet", path: folder + "/checkpoints")
        }
        checkpoint = pick.path
        self.step = pick.step
    }

    /// The split folder's parent: the `genome-prep run` output holding tokenizer.json and genomeprep.json.
    public var datasetRoot: String {
        var p = config.train[0].path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return String(p[..<slash])
    }

    /// The checkpoint's model, sized for `rows` x `length` tokens.
    public func loadModel(rows: Int, length: Int) throws -> BertModel {
        guard let d = try? Data(contentsOf: URL(fileURLWithPath: checkpoint + "/config.json")) else {
            throw PipelineError("cannot read the model config", path: checkpoint + "/config.json")
        }
        let cfg: BertConfig
        do { cfg = try BertConfig(huggingFace: try JSONValue.parse(Array(d))) } catch let e as JSONError {
            throw PipelineError("config.json: \(e.message)", path: checkpoint + "/config.json")
        } catch let e as TrainerError {
            throw PipelineError(e.message, path: checkpoint + "/config.json")
        }
        // The weights' shapes are checked against the config before the model is allocated from it.
        let file = try Safetensors.File(path: checkpoint + "/model.safetensors")
        try BertModel.checkShapes(cfg, file)
        let model = try BertModel(config: cfg, maxRows: rows, length: min(length, cfg.maxPositions))
        try model.load(from: file)
        return model
    }

    /// `genome-prep export RUN --hf DIR`: the checkpoint's config.json and model.safetensors plus the
    /// dataset's tokenizer files, into a folder that is new or empty (or, with `overwrite`, replaced).
    /// - Returns: the files written.
    public func exportHuggingFace(to dir: String, overwrite: Bool) throws -> [String] {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: dir), !names.isEmpty, !overwrite {
            throw PipelineError("the folder exists and is not empty", path: dir, hint: "choose a new folder, or --overwrite to replace its files")
        }
        guard FileIdentity.of(datasetRoot + "/tokenizer.json") != nil else {
            throw PipelineError("the training data's tokenizer.json is not at \(datasetRoot)/tokenizer.json", path: folder,
                                hint: "run export from the directory the training ran in (data.train paths are relative to it)")
        }
        let model = try loadModel(rows: 1, length: 1)
        try HuggingFaceExport.writeModel(model, to: dir)
        let copied = try HuggingFaceExport.copyTokenizerFiles(from: datasetRoot, to: dir, maxPositions: model.config.maxPositions)
        return ["config.json", "model.safetensors"] + copied
    }
}

/// `genome-prep embed`: every sample of a split folder, in index order, through a trained model; the
/// last layer's hidden states averaged over each sample's tokens. A sample longer than the model's
/// positions is embedded in consecutive pieces of that length, and the mean is taken over all its tokens.
public enum Embedder {
    /// - Returns: samples x hidden floats, row-major, and the hidden size.
    public static func embed(run: TrainedRun, split: String, batchSize: Int = 16,
                             progress: ((Int, Int) -> Void)? = nil) throws -> (values: [Float], rows: Int, hidden: Int) {
        let info = try DatasetInfo.load(folder: split)
        let reader = try MDSReader(directory: split)
        guard let first = reader.shards.first else { throw PipelineError("the split holds no shards", path: split) }
        guard let column = first.columnNames.firstIndex(of: info.tokenColumn) else {
            throw PipelineError("no '\(info.tokenColumn)' column", path: split + "/index.json")
        }
        let pad = Int32(info.specialIDs.pad ?? 0)
        let wanted = info.tokensPerWindow ?? run.config.sequenceLength ?? Int.max
        let model = try run.loadModel(rows: batchSize, length: wanted)
        guard info.vocabSize == model.config.vocabSize else {
            throw PipelineError("the split's vocabulary (\(info.vocabSize)) is not the model's (\(model.config.vocabSize))", path: split,
                                hint: "embed shards made with the tokenizer the model was trained on")
        }
        let L = model.length, H = model.config.hiddenSize
        var ids = [Int32](repeating: pad, count: batchSize * L), att = [UInt8](repeating: 0, count: batchSize * L)
        var pooled = [Float](repeating: 0, count: batchSize * H)
        var rowSample = [Int](repeating: 0, count: batchSize), rowTokens = [Int](repeating: 0, count: batchSize)
        var sums = [Double](repeating: 0, count: reader.sampleCount * H), tokens = [Int](repeating: 0, count: reader.sampleCount)
        var row = 0, sample = 0
        func flush() {
            guard row > 0 else { return }
            ids.withUnsafeBufferPointer { i in att.withUnsafeBufferPointer { a in
                _ = model.forward(ids: i.baseAddress!, positions: nil, attention: a.baseAddress!, labels: nil, rows: row, head: .targets)
            } }
            pooled.withUnsafeMutableBufferPointer { model.meanPooled(into: $0.baseAddress!) }
            for r in 0..<row {
                let s = rowSample[r], w = Double(rowTokens[r])
                for j in 0..<H { sums[s * H + j] += Double(pooled[r * H + j]) * w }
                tokens[s] += rowTokens[r]
            }
            row = 0
            progress?(sample, reader.sampleCount)
        }
        let buffer = MDSShardBuffer()
        for s in 0..<reader.shards.count {
            let view = try reader.decompress(try reader.readStored(s), into: buffer)
            for j in 0..<view.samples {
                let (values, count, itemSize) = try view.array(j, column: column)
                var start = 0
                repeat {
                    let n = min(count - start, L)
                    for t in 0..<L {
                        var id = pad
                        if t < n {
                            let k = start + t
                            id = itemSize == 1 ? Int32(values[k]) : Int32(values.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self).littleEndian)
                            guard id >= 0, Int(id) < info.vocabSize else {
                                throw PipelineError("sample \(view.firstSample + j): token id \(id) outside the vocabulary", path: view.path)
                            }
                        }
                        ids[row * L + t] = id
                        att[row * L + t] = t < n ? 1 : 0
                    }
                    rowSample[row] = sample; rowTokens[row] = n
                    row += 1
                    if row == batchSize { flush() }
                    start += L
                } while start < count
                sample += 1
            }
        }
        flush()
        var out = [Float](repeating: 0, count: reader.sampleCount * H)
        for s in 0..<reader.sampleCount where tokens[s] > 0 {
            for j in 0..<H { out[s * H + j] = Float(sums[s * H + j] / Double(tokens[s])) }
        }
        return (out, reader.sampleCount, H)
    }
}
