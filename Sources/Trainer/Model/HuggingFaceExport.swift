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

    /// Copies the tokenizer files found in `datasetRoot` (a `genome-prep run` output folder) into `dir`.
    /// - Returns: the names copied.
    @discardableResult
    public static func copyTokenizerFiles(from datasetRoot: String, to dir: String) throws -> [String] {
        var copied: [String] = []
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"] {
            let src = datasetRoot + "/" + name
            guard FileIdentity.of(src) != nil, let d = try? Data(contentsOf: URL(fileURLWithPath: src)) else { continue }
            try writeAtomically([UInt8](d), to: dir + "/" + name)
            copied.append(name)
        }
        return copied
    }
}
