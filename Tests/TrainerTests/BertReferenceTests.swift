import Basics
import Foundation
import TestSupport
@testable import Trainer
import XCTest

/// The whole model against PyTorch, as llm.c's test_gpt2 does: the Swift model's weights exported,
/// loaded by the real `transformers.BertForMaskedLM`, the same batch through both; logits, loss, every
/// parameter's gradient, and the losses of 10 AdamW steps (with clipping and a warm-up schedule) must
/// agree. Tolerances (float32 on both sides, different summation orders):
///   logits  |a - b| <= 1e-5 + 1e-4 |b| elementwise;     loss  relative 1e-5;
///   gradients, per tensor: max |a - b| <= 1e-3 x max |b| (plus 1e-8);
///   the 10 step losses and gradient norms: relative 1e-4.
final class BertReferenceTests: XCTestCase {
    struct Case {
        var ids: [Int32], attention: [UInt8], labels: [Int32]
    }

    static func makeCase(rows: Int, length: Int, vocab: Int, pad: Int32, seed: UInt64) -> Case {
        var rng = SplitMix64(seed: seed)
        var c = Case(ids: [], attention: [], labels: [])
        for r in 0..<rows {
            let real = r == rows - 1 ? length - 3 : length   // the last row ends in 3 padding tokens
            for t in 0..<length {
                if t < real {
                    let id = Int32(1 + rng.below(UInt64(vocab - 1)))
                    c.ids.append(id); c.attention.append(1)
                    c.labels.append(rng.below(100) < 30 || t == 0 ? Int32(1 + rng.below(UInt64(vocab - 1))) : -100)
                } else {
                    c.ids.append(pad); c.attention.append(0); c.labels.append(-100)
                }
            }
        }
        return c
    }

    func testMatchesTransformersBertForMaskedLM() throws {
        guard let python = interopPython() else {
            let why = "no Python with torch and transformers; `bash .ci/python-env` builds it"
            if interopRequired { XCTFail(why) }
            throw XCTSkip(why)
        }
        var cfg = BertConfig(vocabSize: 12)
        cfg.hiddenSize = 16; cfg.layers = 2; cfg.heads = 2; cfg.intermediateSize = 32; cfg.maxPositions = 16
        let rows = 3, length = 10
        let model = try BertModel(config: cfg, maxRows: rows, length: length)
        model.initialize(seed: 7)
        let dir = tempDir("bert-ref")
        defer { try? FileManager.default.removeItem(at: dir) }
        try HuggingFaceExport.writeModel(model, to: dir.path)

        let cases = [Self.makeCase(rows: rows, length: length, vocab: 12, pad: 0, seed: 1),
                     Self.makeCase(rows: rows, length: length, vocab: 12, pad: 0, seed: 2)]
        let steps = 10, clip = 0.5
        let schedule = LRSchedule(lr: 3e-2, warmup: 3, total: steps, decay: .cosine, minRatio: 0.1)
        let lrs = (0..<steps).map { schedule.rate(at: $0) }
        func grid(_ a: [Int32]) -> JSONValue { .array(stride(from: 0, to: a.count, by: length).map { .array(a[$0..<$0 + length].map { .int(Int($0)) }) }) }
        var spec = JSONObject()
        spec.add("batches", .array(cases.map { c in
            var o = JSONObject()
            o.add("input_ids", grid(c.ids)); o.add("attention_mask", grid(c.attention.map(Int32.init))); o.add("labels", grid(c.labels))
            return .object(o)
        }))
        spec.add("lrs", .array(lrs.map { .double($0) }))
        spec.add("betas", .array([.double(0.9), .double(0.98)]))
        spec.add("eps", .double(1e-6)); spec.add("weight_decay", .double(0.1)); spec.add("clip", .double(clip)); spec.add("steps", .int(steps))
        try JSONValue.object(spec).render().write(toFile: dir.path + "/batch.json", atomically: true, encoding: .utf8)
        let script = repoRoot.appendingPathComponent("Tests/TrainerTests/bert_reference.py").path
        let (status, _, err) = try runCommand([python, script, dir.path])
        XCTAssertEqual(status, 0, err)
        guard status == 0 else { return }
        let ref = try Safetensors.File(path: dir.path + "/reference.safetensors")

        // Forward: logits at every position (padding included) and the loss.
        let c0 = cases[0]
        let (sum, count) = c0.ids.withUnsafeBufferPointer { i in c0.attention.withUnsafeBufferPointer { a in c0.labels.withUnsafeBufferPointer { l in
            model.forward(ids: i.baseAddress!, positions: nil, attention: a.baseAddress!, labels: l.baseAddress!, rows: rows, head: .all)
        } } }
        let refLogits = try ref.floats("logits")
        XCTAssertEqual(refLogits.count, rows * length * 12)
        var worst = 0.0
        for i in 0..<refLogits.count {
            let d = Double(abs(model.logits[i] - refLogits[i]))
            worst = max(worst, d / (1e-5 + 1e-4 * Double(abs(refLogits[i]))))
        }
        XCTAssertLessThanOrEqual(worst, 1, "logits differ beyond 1e-5 + 1e-4|b| (worst ratio \(worst))")
        let loss = sum / Double(count), refLoss = Double(try ref.floats("loss")[0])
        XCTAssertEqual(loss, refLoss, accuracy: 1e-5 * refLoss)

        // Backward: every parameter's gradient.
        model.params.zeroGrads()
        model.backward(scale: 1 / Float(count))
        for t in model.params.tensors {
            let g = try ref.floats("grad." + t.name)
            XCTAssertEqual(g.count, t.count, t.name)
            let scale = g.map { abs(Double($0)) }.max() ?? 0
            var maxDiff = 0.0
            for i in 0..<t.count { maxDiff = max(maxDiff, Double(abs(model.params.grads[t.offset + i] - g[i]))) }
            XCTAssertLessThanOrEqual(maxDiff, 1e-3 * scale + 1e-8, "gradient of \(t.name): max diff \(maxDiff), scale \(scale)")
        }

        // Ten AdamW steps.
        let refSteps = try JSONValue.parse(Array(try Data(contentsOf: dir.appendingPathComponent("reference.json"))))
        let refLosses = try refSteps.field("losses").asArray().map { try $0.asDouble() }
        let refNorms = try refSteps.field("grad_norms").asArray().map { try $0.asDouble() }
        XCTAssertTrue(refNorms.contains { $0 > clip }, "clipping is exercised")
        let opt = AdamW(params: model.params)
        opt.beta1 = 0.9; opt.beta2 = 0.98; opt.eps = 1e-6; opt.weightDecay = 0.1
        for step in 0..<steps {
            let c = cases[step % cases.count]
            model.params.zeroGrads()
            let (s, n) = c.ids.withUnsafeBufferPointer { i in c.attention.withUnsafeBufferPointer { a in c.labels.withUnsafeBufferPointer { l in
                model.forward(ids: i.baseAddress!, positions: nil, attention: a.baseAddress!, labels: l.baseAddress!, rows: rows)
            } } }
            model.backward(scale: 1 / Float(n))
            let norm = clipGradients(model.params, maxNorm: clip)
            opt.update(lr: lrs[step])
            XCTAssertEqual(s / Double(n), refLosses[step], accuracy: 1e-4 * refLosses[step], "loss at step \(step)")
            XCTAssertEqual(norm, refNorms[step], accuracy: 1e-4 * refNorms[step], "gradient norm at step \(step)")
        }
        XCTAssertLessThan(refLosses.last!, refLosses.first!, "the reference run learns")
    }
}
