import Basics
import TestSupport
@testable import Trainer
import XCTest

/// Each layer's backward against central finite differences of its forward (the loss, a random
/// weighting of the layer's outputs, summed in float64; the forwards run in float32, so the step is
/// 1e-2 and the tolerance |fd - analytic| <= 2e-3 + 2e-2 |analytic|), then the whole model the same
/// way (attention with padding, embeddings, the tied head), for a sample of every parameter tensor.
final class GradientCheckTests: XCTestCase {
    var rng = SplitMix64(seed: 42)
    var owned: [UnsafeMutablePointer<Float>] = []
    override func tearDown() { for p in owned { p.deallocate() }; owned = [] }

    func uniform(_ n: Int, _ scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    }
    /// A buffer the finite differences perturb while the forward reads it (an array would be an
    /// overlapping inout access).
    func buffer(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        owned.append(p)
        return p
    }

    /// Checks d f / d x[i] against `analytic[i]` for every i.
    func check(_ name: String, _ x: UnsafeMutablePointer<Float>, count: Int, analytic: [Float], h: Float = 1e-2,
               file: StaticString = #filePath, line: UInt = #line, _ f: () -> Double) {
        var checkedMagnitude = 0.0
        for i in 0..<count {
            let x0 = x[i]
            x[i] = x0 + h; let up = f(); let hi = Double(x[i])
            x[i] = x0 - h; let down = f(); let lo = Double(x[i])
            x[i] = x0
            let fd = (up - down) / (hi - lo), a = Double(analytic[i])
            checkedMagnitude += abs(a)
            XCTAssertLessThanOrEqual(abs(fd - a), 2e-3 + 2e-2 * abs(a), "\(name)[\(i)]: finite difference \(fd), backward \(a)", file: file, line: line)
        }
        XCTAssertGreaterThan(checkedMagnitude, 1e-3, "\(name): gradients too small for the check to mean anything", file: file, line: line)
    }

    func dot(_ w: [Float], _ y: UnsafePointer<Float>) -> Double {
        var s = 0.0
        for i in 0..<w.count { s += Double(w[i]) * Double(y[i]) }
        return s
    }

    func testLinear() {
        let rows = 3, nIn = 5, nOut = 4
        let x = buffer(uniform(rows * nIn)), w = buffer(uniform(nOut * nIn)), b = buffer(uniform(nOut))
        let g = uniform(rows * nOut)
        var y = [Float](repeating: 0, count: rows * nOut)
        let meter = GemmMeter()
        func loss() -> Double {
            Linear.forward(meter, x: x, rows: rows, inFeatures: nIn, outFeatures: nOut, weight: w, bias: b, y: &y)
            return dot(g, y)
        }
        var dx = [Float](repeating: 0, count: rows * nIn), dw = [Float](repeating: 0, count: nOut * nIn), db = [Float](repeating: 0, count: nOut)
        _ = loss()
        Linear.backward(meter, dy: g, x: x, rows: rows, inFeatures: nIn, outFeatures: nOut, weight: w, dWeight: &dw, dBias: &db, dx: &dx)
        check("x", x, count: rows * nIn, analytic: dx, loss)
        check("weight", w, count: nOut * nIn, analytic: dw, loss)
        check("bias", b, count: nOut, analytic: db, loss)
    }

    func testLayerNorm() {
        let rows = 3, width = 6
        let x = buffer(uniform(rows * width, 2)), w = buffer(uniform(width)), b = buffer(uniform(width))
        let g = uniform(rows * width)
        var y = [Float](repeating: 0, count: rows * width), mean = [Float](repeating: 0, count: rows), rstd = mean
        func loss() -> Double {
            LayerNorm.forward(x: x, rows: rows, width: width, weight: w, bias: b, eps: 1e-12, y: &y, mean: &mean, rstd: &rstd)
            return dot(g, y)
        }
        _ = loss()
        var dx = [Float](repeating: 0, count: rows * width), dw = [Float](repeating: 0, count: width), db = dw
        LayerNorm.backward(dy: g, x: x, rows: rows, width: width, weight: w, mean: mean, rstd: rstd, dWeight: &dw, dBias: &db, dx: &dx)
        check("x", x, count: rows * width, analytic: dx, loss)
        check("weight", w, count: width, analytic: dw, loss)
        check("bias", b, count: width, analytic: db, loss)
    }

    func testGELU() {
        let x = buffer(uniform(40, 4))
        let g = uniform(40)
        var y = [Float](repeating: 0, count: 40)
        func loss() -> Double { GELU.forward(x: x, count: 40, y: &y); return dot(g, y) }
        var dx = [Float](repeating: 0, count: 40)
        GELU.backward(dy: g, x: x, count: 40, dx: &dx)
        check("x", x, count: 40, analytic: dx, loss)
        // An independent value: GELU(1) = 0.5 (1 + erf(1/sqrt 2)) = 0.8413447460685429.
        var out: [Float] = [0]
        GELU.forward(x: [1], count: 1, y: &out)
        XCTAssertEqual(out[0], 0.8413447, accuracy: 1e-6)
    }

    func testCrossEntropy() {
        let rows = 4, classes = 7
        let logits = buffer(uniform(rows * classes, 3))
        let targets: [Int32] = [0, 6, 3, 3]
        var probs = [Float](repeating: 0, count: rows * classes)
        func loss() -> Double { CrossEntropy.forward(logits: logits, rows: rows, classes: classes, targets: targets, probs: &probs) }
        _ = loss()
        var d = [Float](repeating: 0, count: rows * classes)
        CrossEntropy.backward(probs: probs, rows: rows, classes: classes, targets: targets, scale: 1, dLogits: &d)
        check("logits", logits, count: rows * classes, analytic: d, loss)
        // An independent value: uniform logits give ln(classes) per row.
        let flat = [Float](repeating: 0.5, count: classes)
        XCTAssertEqual(CrossEntropy.forward(logits: flat, rows: 1, classes: classes, targets: [2], probs: &probs), log(7), accuracy: 1e-6)
    }

    func testWholeModel() throws {
        var cfg = BertConfig(vocabSize: 9)
        cfg.hiddenSize = 8; cfg.layers = 2; cfg.heads = 2; cfg.intermediateSize = 12; cfg.maxPositions = 8
        cfg.initializerRange = 0.5   // large weights: gradients well above the float32 noise of the differences
        let rows = 2, length = 6
        let model = try BertModel(config: cfg, maxRows: rows, length: length)
        model.initialize(seed: 3)
        for t in model.params.tensors where t.shape.count == 1 {   // non-trivial LayerNorm and bias values
            let v = uniform(t.count, 0.3)
            for i in 0..<t.count { model.params.values[t.offset + i] += v[i] }
        }
        let ids: [Int32] = [3, 4, 5, 6, 7, 8, 2, 3, 8, 1, 0, 0]
        let attention: [UInt8] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        let labels: [Int32] = [-100, 5, -100, 2, 8, -100, 4, -100, -100, 6, -100, -100]
        func loss() -> Double { model.forward(ids: ids, positions: nil, attention: attention, labels: labels, rows: rows).lossSum }
        _ = loss()
        model.params.zeroGrads()
        model.backward(scale: 1)
        for t in model.params.tensors {
            let analytic = (0..<t.count).map { model.params.grads[t.offset + $0] }
            // Up to 6 entries per tensor, spread over it; for the position table only the rows in use.
            let limit = t.name.contains("position_embeddings") ? length * cfg.hiddenSize : t.count
            let picks = Array(Set((0..<6).map { ($0 * 7919 + 13) % limit })).sorted()
            let p = model.params.values + t.offset
            for i in picks {
                let x0 = p[i], h: Float = 1e-2
                p[i] = x0 + h; let up = loss(); let hi = Double(p[i])
                p[i] = x0 - h; let down = loss(); let lo = Double(p[i])
                p[i] = x0
                let fd = (up - down) / (hi - lo), a = Double(analytic[i])
                XCTAssertLessThanOrEqual(abs(fd - a), 2e-3 + 2e-2 * abs(a), "\(t.name)[\(i)]: finite difference \(fd), backward \(a)")
            }
        }
        XCTAssertGreaterThan(model.params.gradNorm(), 0.1)
    }
}

/// The thread count never changes a bit: the same forward and backward with 1, 2 and 3 BLAS threads.
final class ThreadDeterminismTests: XCTestCase {
    func testGradientsAreBitIdenticalAcrossThreadCounts() throws {
        var cfg = BertConfig(vocabSize: 10)
        cfg.hiddenSize = 64; cfg.layers = 2; cfg.heads = 4; cfg.intermediateSize = 256; cfg.maxPositions = 300
        let rows = 3, length = 300   // 900 tokens: products of 900, 192 and 256 rows get split
        var rng = SplitMix64(seed: 5)
        let ids = (0..<(rows * length)).map { _ in Int32(5 + rng.below(4)) }
        let attention = [UInt8](repeating: 1, count: rows * length)
        let labels = (0..<(rows * length)).map { i in i % 7 == 0 ? ids[i] : -100 }
        var results: [[Float]] = []
        defer { BLAS.setThreads(1) }
        for threads in [1, 2, 3] {
            BLAS.setThreads(threads)
            let model = try BertModel(config: cfg, maxRows: rows, length: length)
            model.initialize(seed: 9)
            model.forward(ids: ids, positions: nil, attention: attention, labels: labels, rows: rows)
            model.params.zeroGrads()
            model.backward(scale: 0.01)
            results.append(Array(UnsafeBufferPointer(start: model.params.grads, count: model.params.count)))
        }
        XCTAssertEqual(results[0], results[1], "1 vs 2 threads")
        XCTAssertEqual(results[0], results[2], "1 vs 3 threads")
        XCTAssertGreaterThan(results[0].map { abs($0) }.max()!, 0)
    }
}
