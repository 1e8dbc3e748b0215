import Basics
import FoundationEssentials

/// A model folder that `transformers.AutoModelForMaskedLM.from_pretrained` loads: `config.json` and
/// `model.safetensors` (metadata `format: pt`, as `save_pretrained` writes it), plus the tokenizer files
/// of the dataset the model was trained on, copied unchanged.
public enum HuggingFaceExport {
    public static func writeModel(_ model: BertModel, to dir: String) throws {
        try makeDirectory(dir)
        try writeAtomically(Array((model.config.huggingFaceJSON.render() + "\n").utf8), to: dir + "/config.json")
        try Safetensors.write(model.weightTensors, metadata: [("format", "pt")], to: dir + "/model.safetensors")
    }

    /// Copies the tokenizer files found in `datasetRoot` (a `genome-prep run` output folder) into `dir`,
    /// as the model was trained: the shards hold no special tokens, so `tokenizer.json` loses its
    /// post-processor (encoding a window gives exactly the ids the model saw), and `tokenizer_config.json`
    /// gets `model_max_length` = the model's positions.
    /// - Returns: the names written.
    @discardableResult
    public static func copyTokenizerFiles(from datasetRoot: String, to dir: String, maxPositions: Int) throws -> [String] {
        var copied: [String] = []
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"] {
            let src = datasetRoot + "/" + name
            guard FileIdentity.of(src) != nil, let d = try? Data(contentsOf: URL(fileURLWithPath: src)) else { continue }
            var bytes = [UInt8](d)
            if name == "tokenizer.json" || name == "tokenizer_config.json" {
                guard case .object(var o) = try? JSONValue.parse(bytes) else { throw TrainerError("not a JSON object", path: src) }
                if name == "tokenizer.json" { o.add("post_processor", .null) } else { o.add("model_max_length", .int(maxPositions)) }
                bytes = Array((JSONValue.object(o).render() + "\n").utf8)
            }
            try writeAtomically(bytes, to: dir + "/" + name)
            copied.append(name)
        }
        return copied
    }
}
