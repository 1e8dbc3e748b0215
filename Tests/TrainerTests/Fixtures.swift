import Foundation
import Basics
import Pipeline
import Shards
import TestSupport
@testable import Trainer

/// Small datasets made once per test process with the real pipeline (lambda phage, 48.5 kbp): many
/// small shards, so loader tests cross shard boundaries often.
enum Fixtures {
    static let root = tempDir("gp-trainer")

    static func make(_ name: String, _ body: String) -> String {
        let out = root.appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: out + "/genomeprep.json") { return out }
        let cfg = root.appendingPathComponent(name + ".json").path
        let text = body.replacingOccurrences(of: "DATA", with: repoRoot.appendingPathComponent("data").path)
                       .replacingOccurrences(of: "OUT", with: out)
        try! text.write(toFile: cfg, atomically: true, encoding: .utf8)
        _ = try! PipelineRunner.run(try! PipelineConfig.load(path: cfg))
        return out
    }

    /// Character tokens, 100 bp windows, about 30 shards in train.
    static let char: String = make("char", """
    {"version": 1, "name": "c", "inputs": ["DATA/lambda_phage.fa.gz"],
     "windows": {"window": 100, "stride": 100, "seed": 3, "val": 0.1, "splitBlock": 5000},
     "tokenizer": {"kind": "char"}, "shards": {"out": "OUT", "sizeLimit": 2000, "zstdLevel": 3}}
    """)

    /// Overlapping 6-mers with PMI ranks, 128 bp windows.
    static let kmer: String = make("kmer", """
    {"version": 1, "name": "k", "inputs": ["DATA/lambda_phage.fa.gz"],
     "windows": {"window": 128, "stride": 128, "seed": 3, "val": 0.1, "splitBlock": 5000},
     "tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"maxK": 7, "minCount": 2},
     "shards": {"out": "OUT", "sizeLimit": 20000}}
    """)

    /// BarcodeMAE non-overlapping 6-mers, 120 bp windows.
    static let barcode: String = make("barcode", """
    {"version": 1, "name": "b", "inputs": ["DATA/lambda_phage.fa.gz"],
     "windows": {"window": 120, "stride": 120, "seed": 3, "val": 0.1, "splitBlock": 5000},
     "tokenizer": {"kind": "barcode-kmer", "k": 6, "offset": 0}, "shards": {"out": "OUT", "sizeLimit": 5000}}
    """)

    static func settings(_ dir: String, _ masking: MaskingStrategy = .bert, batch: Int = 16, seed: UInt64 = 7) -> LoaderSettings {
        var s = LoaderSettings(sources: [.init(path: dir + "/train")])
        s.batchSize = batch; s.seed = seed; s.masking = masking; s.shuffleBuffer = 64
        return s
    }

    /// Everything a batch holds that the model sees, as one comparable value.
    static func digest(_ b: Batch) -> [Int] {
        let n = b.rows * b.length
        return [b.index, b.epoch, b.rows] + b.sample[0..<b.rows].map { $0 } + b.source[0..<b.rows].map { Int($0) }
            + b.ids[0..<n].map { Int($0) } + b.labels[0..<n].map { Int($0) } + b.positions[0..<n].map { Int($0) }
            + b.attention[0..<n].map { Int($0) }
    }

    static func collect(_ s: LoaderSettings, from state: LoaderState? = nil, batches: Int) throws -> (digests: [[Int]], states: [LoaderState]) {
        let l = try Loader(s, resumeFrom: state)
        defer { l.close() }
        var d: [[Int]] = [], st: [LoaderState] = []
        for _ in 0..<batches {
            guard let b = try l.next() else { break }
            d.append(digest(b)); st.append(l.state)
        }
        return (d, st)
    }
}
