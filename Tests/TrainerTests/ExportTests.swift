import Basics
import Foundation
import Pipeline
import Shards
import TestSupport
@testable import Trainer
import XCTest

/// A trained run exported for Hugging Face: `AutoModelForMaskedLM.from_pretrained` loads it (a
/// BertForMaskedLM with tied decoder) and gives the Swift model's logits; `embed`'s .npy equals the
/// mean over all tokens of the last hidden states transformers computes (samples longer than the model's
/// positions in pieces); the linear probe recovers a known accuracy.
final class ExportTests: XCTestCase {
    func trainTiny(_ dir: URL) throws -> TrainedRun {
        let data = Fixtures.char
        let cfg = dir.appendingPathComponent("train.json").path
        try """
        {"version": 1, "name": "tiny", "data": {"train": ["\(data)/train"], "val": "\(data)/val", "sequenceLength": 64},
         "model": {"layers": 2, "hidden": 16, "heads": 2, "intermediate": 32}, "batch": {"size": 4}, "steps": 3,
         "optimizer": {"lr": 0.01}, "eval": {"interval": 3, "batches": 1}, "out": "\(dir.appendingPathComponent("run").path)"}
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        _ = try TrainRunner(config: try TrainConfig.load(path: cfg)).run()
        return try TrainedRun(folder: dir.appendingPathComponent("run").path)
    }

    func testExportLoadsInTransformersWithSameLogitsAndEmbeddings() throws {
        guard let python = interopPython() else {
            if interopRequired { XCTFail("no interop Python") }
            throw XCTSkip("no Python with transformers; `bash .ci/python-env` builds it")
        }
        let dir = tempDir("export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try trainTiny(dir)
        XCTAssertEqual(run.step, 3)
        let hf = dir.appendingPathComponent("hf").path
        let files = try run.exportHuggingFace(to: hf, overwrite: false)
        XCTAssertEqual(Set(files), ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"])
        XCTAssertThrowsError(try run.exportHuggingFace(to: hf, overwrite: false)) { XCTAssertTrue("\($0)".contains("not empty"), "\($0)") }

        // A batch with padding, through the Swift model (64 positions).
        let model = try run.loadModel(rows: 2, length: 100)
        XCTAssertEqual(model.length, 64)
        var ids = [Int32](), att = [UInt8]()
        for r in 0..<2 { for t in 0..<64 { let real = r == 0 || t < 40; ids.append(real ? Int32(5 + (t * 7 + r) % 4) : 0); att.append(real ? 1 : 0) } }
        model.forward(ids: ids, positions: nil, attention: att, labels: nil, rows: 2, head: .all)
        let swiftLogits = Array(UnsafeBufferPointer(start: model.logits, count: 2 * 64 * model.config.vocabSize))
        func grid<T: BinaryInteger>(_ a: [T]) -> String { "[" + (0..<2).map { r in "[" + a[(r * 64)..<(r * 64 + 64)].map { String($0) }.joined(separator: ",") + "]" }.joined(separator: ",") + "]" }
        let work = dir.path
        try "{\"input_ids\": \(grid(ids)), \"attention_mask\": \(grid(att))}".write(toFile: work + "/batch.json", atomically: true, encoding: .utf8)

        // embed over the val split (100-token samples: pieces of 64 and 36), and its samples' tokens for the reference.
        let val = Fixtures.char + "/val"
        let e = try Embedder.embed(run: run, split: val, batchSize: 3)
        try e.values.withUnsafeBufferPointer { try NPY.write($0.baseAddress!, rows: e.rows, columns: e.hidden, to: work + "/embed.npy") }
        let reader = try MDSReader(directory: val)
        XCTAssertEqual(e.rows, reader.sampleCount)
        var samples: [String] = []
        for i in 0..<reader.sampleCount {
            guard case .u8(let b)? = try reader.sample(i)["tokens"] else { return XCTFail("no tokens column") }
            samples.append("[" + b.map { String($0) }.joined(separator: ",") + "]")
        }
        try ("[" + samples.joined(separator: ",") + "]").write(toFile: work + "/samples.json", atomically: true, encoding: .utf8)
        let (status, out, err) = try runCommand([python, repoRoot.appendingPathComponent("Tests/TrainerTests/export_check.py").path, hf, work])
        XCTAssertEqual(status, 0, err)
        guard status == 0 else { return }
        let v = try JSONValue.parse(Array(out.utf8))
        let ref = try v.field("logits").asArray().map { try $0.asDouble() }
        XCTAssertEqual(ref.count, swiftLogits.count)
        for i in 0..<min(ref.count, swiftLogits.count) {
            XCTAssertEqual(Double(swiftLogits[i]), ref[i], accuracy: 1e-5 + 1e-4 * abs(ref[i]), "logit \(i)")
        }
        let diff = try v.field("embed_max_abs_diff").asDouble(), scale = try v.field("embed_scale").asDouble()
        XCTAssertLessThanOrEqual(diff, 1e-4 * scale, "embeddings differ by \(diff) (scale \(scale))")
        XCTAssertEqual(try v.field("vocab_size").asInt(), model.config.vocabSize)
    }

    /// Two Gaussian classes 2 apart along one of 6 features (unit variance): the Bayes accuracy is
    /// Phi(1) = 84.13%; the probe must land near it, and its fit must be a stationary point of the
    /// penalised loss (gradient computed here independently).
    func testLinearProbeRecoversKnownAccuracy() throws {
        var rng = SplitMix64(seed: 11)
        func gauss() -> Double {
            let u1 = (Double(rng.next() >> 11) + 1) / 9007199254740992.0, u2 = Double(rng.next() >> 11) / 9007199254740992.0
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        let d = 6
        func make(_ n: Int) -> ([Float], [String]) {
            var x: [Float] = [], y: [String] = []
            for i in 0..<n {
                let positive = i % 2 == 0
                for j in 0..<d { x.append(Float(gauss() + (j == 2 ? (positive ? 1 : -1) : 0) + (j == 4 ? 5 : 0))) }
                y.append(positive ? "coding" : "intergenic")
            }
            return (x, y)
        }
        let (xa, ya) = make(3000), (xb, yb) = make(4000)
        let r = try LinearProbe.run(train: xa, trainLabels: ya, test: xb, testLabels: yb, features: d)
        XCTAssertEqual(r.classes, ["coding", "intergenic"])
        XCTAssertEqual(r.testAccuracy, 0.8413, accuracy: 0.02, "test accuracy \(r.testAccuracy)")

        // Stationarity of the fit at lambda 0.01 on standardised features.
        let n = 500
        let (mean, std) = LinearProbe.moments(Array(xa[0..<(n * d)]), rows: n, d: d)
        let x = LinearProbe.standardise(Array(xa[0..<(n * d)]), rows: n, d: d, mean: mean, std: std)
        let labels = ya[0..<n].map { $0 == "coding" ? 0 : 1 }
        let f = LinearProbe.fit(x, rows: n, features: d, labels: labels, classes: 2, lambda: 0.01)
        var gw = [Double](repeating: 0, count: 2 * d), gb = [0.0, 0.0]
        for i in 0..<n {
            let z = (0..<2).map { k in f.bias[k] + (0..<d).reduce(0.0) { $0 + f.weights[k * d + $1] * x[i * d + $1] } }
            let m = z.max()!, e = z.map { exp($0 - m) }, s = e.reduce(0, +)
            for k in 0..<2 {
                let q = e[k] / s - (k == labels[i] ? 1 : 0)
                for j in 0..<d { gw[k * d + j] += q * x[i * d + j] / Double(n) }
                gb[k] += q / Double(n)
            }
        }
        for i in 0..<(2 * d) { gw[i] += 0.01 * f.weights[i] }
        XCTAssertLessThan((gw + gb).map { abs($0) }.max()!, 1e-5, "the fit is a stationary point")
        XCTAssertGreaterThan(f.weights.map { abs($0) }.max()!, 0.1, "and not the zero start")
    }
}
