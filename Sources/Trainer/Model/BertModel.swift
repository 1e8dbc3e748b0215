import Basics
import Glibc

/// Hugging Face's `BertForMaskedLM` in Swift: embeddings (word + learned absolute position + token type
/// 0, LayerNorm), post-LayerNorm encoder blocks (self-attention that ignores padded keys, erf GELU MLP),
/// and the MLM head (dense, GELU, LayerNorm, decoder tied to the word embeddings, with bias). Matrix
/// products go to `cblas_sgemm`; every activation buffer is allocated once, for `maxRows` x `length`
/// tokens, at construction.
///
/// Parameter names and shapes are the state-dict's, so weights move to and from PyTorch unchanged. The
/// query, key and value weights are laid out next to each other so that one [3H, H] product computes all
/// three (their names still address each one).
public final class BertModel: @unchecked Sendable {
    public let config: BertConfig
    public let params: ParameterStore
    public let maxRows: Int
    public let length: Int
    public let meter = GemmMeter()

    let H: Int, I: Int, V: Int, L: Int, nh: Int, hd: Int, capacity: Int
    // Activations (capacity = maxRows * length tokens).
    let embSum: FloatPointer, embMean: FloatPointer, embRstd: FloatPointer
    let xs: FloatPointer            // (L + 1) x N x H: the embeddings' output, then each layer's
    let qkv: FloatPointer           // L x N x 3H
    let probs: FloatPointer         // L x maxRows x nh x T x T
    let ctx: FloatPointer           // L x N x H
    let res1: FloatPointer, ln1Mean: FloatPointer, ln1Rstd: FloatPointer, h1: FloatPointer
    let pre: FloatPointer, act: FloatPointer   // L x N x I
    let res2: FloatPointer, ln2Mean: FloatPointer, ln2Rstd: FloatPointer
    // Head (up to N rows).
    let headIndex: UnsafeMutablePointer<Int>, headTargets: UnsafeMutablePointer<Int32>
    let hg: FloatPointer, tPre: FloatPointer, tAct: FloatPointer, tOut: FloatPointer, tMean: FloatPointer, tRstd: FloatPointer
    public let logits: UnsafeMutablePointer<Float>   // headRows x V
    let headProbs: FloatPointer
    // Backward scratch.
    let dA: FloatPointer, dB: FloatPointer, dQKV: FloatPointer, dCtx: FloatPointer, dRes: FloatPointer, dI: FloatPointer
    let dScores: FloatPointer
    let dHead: FloatPointer, dHead2: FloatPointer, dLogits: FloatPointer
    private var allocations: [FloatPointer] = []
    /// Floats in the activation and scratch buffers (for the memory estimate's test).
    public private(set) var allocatedFloats = 0

    // What the last forward saw (for backward).
    public private(set) var rows = 0
    public private(set) var headRows = 0
    var idsCopy: UnsafeMutablePointer<Int32>, posCopy: UnsafeMutablePointer<Int32>, attnCopy: UnsafeMutablePointer<UInt8>

    /// - Parameters: `maxRows` x `length`: the largest batch the buffers hold.
    public init(config: BertConfig, maxRows: Int, length: Int) throws {
        try config.validate()
        guard maxRows > 0, length > 0, length <= config.maxPositions else {
            throw TrainerError("sequence length \(length) must be 1...max_positions (\(config.maxPositions))", key: "model.max_positions")
        }
        // Every buffer this model allocates, checked against the machine's memory before any of it is
        // allocated (a config from a file could otherwise ask for more than there is and be killed).
        let bytes = BertModel.bytesNeeded(config, maxRows: maxRows, length: length)
        let physical = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        let limit = physical > 0 ? 0.8 * physical : 64 * Double(1 << 30)
        guard bytes < limit else {
            throw TrainerError("the model's parameters, gradients, optimizer moments and activations for \(maxRows) rows x \(length) tokens would take \(Int(bytes / Double(1 << 30))) GiB, more than 80% of this machine's \(Int(physical / Double(1 << 30))) GiB",
                               hint: "lower the batch size or the sequence length (or the model's sizes)")
        }
        self.config = config
        self.maxRows = maxRows
        self.length = length
        H = config.hiddenSize; I = config.intermediateSize; V = config.vocabSize; L = config.layers
        nh = config.heads; hd = config.headSize
        capacity = maxRows * length
        params = ParameterStore(BertModel.layout(config))

        var allocations: [FloatPointer] = []
        var floats = 0
        func alloc(_ n: Int) -> FloatPointer {
            let p = FloatPointer.allocate(capacity: max(n, 1)); p.initialize(repeating: 0, count: max(n, 1))
            allocations.append(p); floats += max(n, 1); return p
        }
        let N = capacity
        embSum = alloc(N * H); embMean = alloc(N); embRstd = alloc(N)
        xs = alloc((L + 1) * N * H)
        qkv = alloc(L * N * 3 * H)
        probs = alloc(L * maxRows * nh * length * length)
        ctx = alloc(L * N * H)
        res1 = alloc(L * N * H); ln1Mean = alloc(L * N); ln1Rstd = alloc(L * N); h1 = alloc(L * N * H)
        pre = alloc(L * N * I); act = alloc(L * N * I)
        res2 = alloc(L * N * H); ln2Mean = alloc(L * N); ln2Rstd = alloc(L * N)
        hg = alloc(N * H); tPre = alloc(N * H); tAct = alloc(N * H); tOut = alloc(N * H); tMean = alloc(N); tRstd = alloc(N)
        logits = alloc(N * V); headProbs = alloc(N * V)
        dA = alloc(N * H); dB = alloc(N * H); dQKV = alloc(N * 3 * H); dCtx = alloc(N * H); dRes = alloc(N * H); dI = alloc(N * I)
        dScores = alloc(length * length)
        dHead = alloc(N * H); dHead2 = alloc(N * H); dLogits = alloc(N * V)
        self.allocations = allocations
        allocatedFloats = floats
        headIndex = .allocate(capacity: N); headTargets = .allocate(capacity: N)
        idsCopy = .allocate(capacity: N); posCopy = .allocate(capacity: N); attnCopy = .allocate(capacity: N)
    }

    deinit {
        for p in allocations { p.deallocate() }
        headIndex.deallocate(); headTargets.deallocate(); idsCopy.deallocate(); posCopy.deallocate(); attnCopy.deallocate()
    }

    /// Bytes of every buffer a model of `c` allocates for `maxRows` x `length` tokens, plus its gradients and
    /// AdamW's two moments (what training holds; inference holds less).
    public static func bytesNeeded(_ c: BertConfig, maxRows: Int, length: Int) -> Double {
        let N = Double(maxRows) * Double(length), H = Double(c.hiddenSize), I = Double(c.intermediateSize)
        let V = Double(c.vocabSize), L = Double(c.layers)
        let params = layout(c).reduce(0.0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
        let perLayer = N * (3 * H + H + H + H + H + 2 * I) + 4 * N + Double(maxRows) * Double(c.heads) * Double(length) * Double(length)
        let floats = 4 * params + L * perLayer + N * H * (L + 1) + N * H * 14 + 6 * N + 3 * N * V + N * I + Double(length) * Double(length)
        return 4 * floats
    }

    /// The state-dict names, shapes and decay flags, in buffer order.
    static func layout(_ c: BertConfig) -> [(name: String, shape: [Int], decay: Bool)] {
        let H = c.hiddenSize, I = c.intermediateSize
        var t: [(name: String, shape: [Int], decay: Bool)] = [
            ("bert.embeddings.word_embeddings.weight", [c.vocabSize, H], true),
            ("bert.embeddings.position_embeddings.weight", [c.maxPositions, H], true),
            ("bert.embeddings.token_type_embeddings.weight", [c.typeVocabSize, H], true),
            ("bert.embeddings.LayerNorm.weight", [H], false),
            ("bert.embeddings.LayerNorm.bias", [H], false),
        ]
        for l in 0..<c.layers {
            let p = "bert.encoder.layer.\(l)."
            t += [
                (p + "attention.self.query.weight", [H, H], true),
                (p + "attention.self.key.weight", [H, H], true),
                (p + "attention.self.value.weight", [H, H], true),
                (p + "attention.self.query.bias", [H], false),
                (p + "attention.self.key.bias", [H], false),
                (p + "attention.self.value.bias", [H], false),
                (p + "attention.output.dense.weight", [H, H], true),
                (p + "attention.output.dense.bias", [H], false),
                (p + "attention.output.LayerNorm.weight", [H], false),
                (p + "attention.output.LayerNorm.bias", [H], false),
                (p + "intermediate.dense.weight", [I, H], true),
                (p + "intermediate.dense.bias", [I], false),
                (p + "output.dense.weight", [H, I], true),
                (p + "output.dense.bias", [H], false),
                (p + "output.LayerNorm.weight", [H], false),
                (p + "output.LayerNorm.bias", [H], false),
            ]
        }
        t += [
            ("cls.predictions.transform.dense.weight", [H, H], true),
            ("cls.predictions.transform.dense.bias", [H], false),
            ("cls.predictions.transform.LayerNorm.weight", [H], false),
            ("cls.predictions.transform.LayerNorm.bias", [H], false),
            ("cls.predictions.bias", [c.vocabSize], false),
        ]
        return t
    }

    /// Hugging Face's `_init_weights`: normal(0, initializer_range) for matrices and embeddings (the
    /// padding row zeroed), zero biases, LayerNorm weight 1. Deterministic in `seed`.
    public func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let std = Double(config.initializerRange)
        for t in params.tensors {
            let p = params.values + t.offset
            if t.name.hasSuffix("LayerNorm.weight") {
                p.update(repeating: 1, count: t.count)
            } else if t.shape.count == 2 {
                var i = 0
                while i < t.count {
                    // Box-Muller on two uniforms in (0, 1].
                    let u1 = (Double(rng.next() >> 11) + 1) / 9007199254740992.0
                    let u2 = Double(rng.next() >> 11) / 9007199254740992.0
                    let r = (-2 * log(u1)).squareRoot() * std
                    p[i] = Float(r * cos(2 * .pi * u2)); i += 1
                    if i < t.count { p[i] = Float(r * sin(2 * .pi * u2)); i += 1 }
                }
            } else {
                p.update(repeating: 0, count: t.count)
            }
        }
        (params.value("bert.embeddings.word_embeddings.weight") + config.padTokenID * H).update(repeating: 0, count: H)
    }

    // MARK: forward

    /// Which rows of the MLM head to compute: every token (logits for all, e.g. to compare with
    /// PyTorch), or only the targets (labels != -100; what training needs, same loss).
    public enum HeadRows { case all, targets }

    /// Runs the model on `rows` rows of `length` tokens and, with labels, the masked-LM loss.
    /// - Returns: the sum of the targets' cross-entropies (nats) and their count; (0, 0) without labels.
    ///   `logits` then holds `headRows` x vocab logits, in token order of the selected rows.
    @discardableResult
    public func forward(ids: UnsafePointer<Int32>, positions: UnsafePointer<Int32>?, attention: UnsafePointer<UInt8>,
                        labels: UnsafePointer<Int32>?, rows: Int, head: HeadRows = .targets) -> (lossSum: Double, count: Int) {
        precondition(rows > 0 && rows <= maxRows, "rows \(rows) must be 1...\(maxRows)")
        self.rows = rows
        let N = rows * length
        for n in 0..<N {
            precondition(ids[n] >= 0 && Int(ids[n]) < V, "token id \(ids[n]) outside the vocabulary (\(V))")
            idsCopy[n] = ids[n]
            posCopy[n] = positions?[n] ?? Int32(n % length)
            precondition(posCopy[n] >= 0 && Int(posCopy[n]) < config.maxPositions, "position \(posCopy[n]) outside max_positions")
            attnCopy[n] = attention[n]
        }
        embeddingsForward(N)
        for l in 0..<L { layerForward(l, N) }
        return headForward(N, labels: labels, head: head)
    }

    func embeddingsForward(_ N: Int) {
        let word = params.value("bert.embeddings.word_embeddings.weight")
        let pos = params.value("bert.embeddings.position_embeddings.weight")
        let type0 = params.value("bert.embeddings.token_type_embeddings.weight")
        for n in 0..<N {
            let w = word + Int(idsCopy[n]) * H, p = pos + Int(posCopy[n]) * H, e = embSum + n * H
            for j in 0..<H { e[j] = w[j] + type0[j] + p[j] }
        }
        LayerNorm.forward(x: embSum, rows: N, width: H, weight: params.value("bert.embeddings.LayerNorm.weight"),
                          bias: params.value("bert.embeddings.LayerNorm.bias"), eps: config.layerNormEps,
                          y: xs, mean: embMean, rstd: embRstd)
    }

    func name(_ l: Int, _ s: String) -> String { "bert.encoder.layer.\(l)." + s }

    func layerForward(_ l: Int, _ N: Int) {
        let x = xs + l * capacity * H, out = xs + (l + 1) * capacity * H
        let q = qkv + l * capacity * 3 * H, c = ctx + l * capacity * H
        let r1 = res1 + l * capacity * H, hh = h1 + l * capacity * H
        let pr = pre + l * capacity * I, ac = act + l * capacity * I, r2 = res2 + l * capacity * H
        Linear.forward(meter, x: x, rows: N, inFeatures: H, outFeatures: 3 * H,
                       weight: params.value(name(l, "attention.self.query.weight")),
                       bias: params.value(name(l, "attention.self.query.bias")), y: q)
        attentionForward(l, q: q, ctx: c)
        Linear.forward(meter, x: c, rows: N, inFeatures: H, outFeatures: H, weight: params.value(name(l, "attention.output.dense.weight")),
                       bias: params.value(name(l, "attention.output.dense.bias")), y: r1)
        for i in 0..<(N * H) { r1[i] += x[i] }
        LayerNorm.forward(x: r1, rows: N, width: H, weight: params.value(name(l, "attention.output.LayerNorm.weight")),
                          bias: params.value(name(l, "attention.output.LayerNorm.bias")), eps: config.layerNormEps,
                          y: hh, mean: ln1Mean + l * capacity, rstd: ln1Rstd + l * capacity)
        Linear.forward(meter, x: hh, rows: N, inFeatures: H, outFeatures: I, weight: params.value(name(l, "intermediate.dense.weight")),
                       bias: params.value(name(l, "intermediate.dense.bias")), y: pr)
        GELU.forward(x: pr, count: N * I, y: ac)
        Linear.forward(meter, x: ac, rows: N, inFeatures: I, outFeatures: H, weight: params.value(name(l, "output.dense.weight")),
                       bias: params.value(name(l, "output.dense.bias")), y: r2)
        for i in 0..<(N * H) { r2[i] += hh[i] }
        LayerNorm.forward(x: r2, rows: N, width: H, weight: params.value(name(l, "output.LayerNorm.weight")),
                          bias: params.value(name(l, "output.LayerNorm.bias")), eps: config.layerNormEps,
                          y: out, mean: ln2Mean + l * capacity, rstd: ln2Rstd + l * capacity)
    }

    /// Scaled dot-product attention per row and head; padded keys get probability 0 (as Hugging Face's
    /// additive mask of float32's minimum gives after the softmax).
    func attentionForward(_ l: Int, q: FloatPointer, ctx: FloatPointer) {
        let T = length, scale = 1 / Float(hd).squareRoot()
        for b in 0..<rows {
            let valid = attnCopy + b * T
            for h in 0..<nh {
                let Q = q + b * T * 3 * H + h * hd, K = Q + H, Vv = Q + 2 * H
                let P = probs + ((l * maxRows + b) * nh + h) * T * T
                gemm(meter, transA: false, transB: true, m: T, n: T, k: hd, alpha: scale, Q, lda: 3 * H, K, ldb: 3 * H, beta: 0, P, ldc: T)
                for i in 0..<T {
                    let row = P + i * T
                    var mx = -Float.infinity
                    for j in 0..<T where valid[j] != 0 { mx = max(mx, row[j]) }
                    var s: Float = 0
                    for j in 0..<T {
                        if valid[j] != 0 { let e = expf(row[j] - mx); row[j] = e; s += e } else { row[j] = 0 }
                    }
                    let inv = s > 0 ? 1 / s : 0
                    for j in 0..<T { row[j] *= inv }
                }
                gemm(meter, transA: false, transB: false, m: T, n: hd, k: T, P, lda: T, Vv, ldb: 3 * H, beta: 0,
                     ctx + b * T * H + h * hd, ldc: H)
            }
        }
    }

    func headForward(_ N: Int, labels: UnsafePointer<Int32>?, head: HeadRows) -> (lossSum: Double, count: Int) {
        var R = 0
        var targets = 0
        for n in 0..<N {
            let t = labels?[n] ?? -100
            if t != -100 {
                precondition(t >= 0 && Int(t) < V, "label \(t) outside the vocabulary (\(V))")
                targets += 1
            }
            if head == .all || t != -100 { headIndex[R] = n; headTargets[R] = t; R += 1 }
        }
        headRows = R
        let top = xs + L * capacity * H
        for r in 0..<R { (hg + r * H).update(from: top + headIndex[r] * H, count: H) }
        Linear.forward(meter, x: hg, rows: R, inFeatures: H, outFeatures: H, weight: params.value("cls.predictions.transform.dense.weight"),
                       bias: params.value("cls.predictions.transform.dense.bias"), y: tPre)
        GELU.forward(x: tPre, count: R * H, y: tAct)
        LayerNorm.forward(x: tAct, rows: R, width: H, weight: params.value("cls.predictions.transform.LayerNorm.weight"),
                          bias: params.value("cls.predictions.transform.LayerNorm.bias"), eps: config.layerNormEps,
                          y: tOut, mean: tMean, rstd: tRstd)
        Linear.forward(meter, x: tOut, rows: R, inFeatures: H, outFeatures: V, weight: params.value("bert.embeddings.word_embeddings.weight"),
                       bias: params.value("cls.predictions.bias"), y: logits)
        guard labels != nil, targets > 0 else { return (0, 0) }
        var total = 0.0
        for r in 0..<R where headTargets[r] != -100 {
            total += CrossEntropy.forward(logits: logits + r * V, rows: 1, classes: V, targets: headTargets + r, probs: headProbs + r * V)
        }
        return (total, targets)
    }

    /// Masked-token accuracy of the last forward (argmax of the logits at the targets).
    public func lastCorrect() -> Int {
        var correct = 0
        for r in 0..<headRows where headTargets[r] != -100 {
            let lr = logits + r * V
            var best = 0
            for j in 1..<V where lr[j] > lr[best] { best = j }
            if best == Int(headTargets[r]) { correct += 1 }
        }
        return correct
    }

    // MARK: backward

    /// Adds to the gradients `scale` times the gradient of the last forward's loss sum (scale 1/count
    /// gives the mean's gradient; over accumulated batches, 1/total count).
    public func backward(scale: Float) {
        let N = rows * length, R = headRows
        // Head.
        let word = params.value("bert.embeddings.word_embeddings.weight")
        for r in 0..<R {
            if headTargets[r] != -100 {
                CrossEntropy.backward(probs: headProbs + r * V, rows: 1, classes: V, targets: headTargets + r, scale: scale, dLogits: dLogits + r * V)
            } else {
                (dLogits + r * V).update(repeating: 0, count: V)
            }
        }
        Linear.backward(meter, dy: dLogits, x: tOut, rows: R, inFeatures: H, outFeatures: V, weight: word,
                        dWeight: params.grad("bert.embeddings.word_embeddings.weight"), dBias: params.grad("cls.predictions.bias"), dx: dHead)
        LayerNorm.backward(dy: dHead, x: tAct, rows: R, width: H, weight: params.value("cls.predictions.transform.LayerNorm.weight"),
                           mean: tMean, rstd: tRstd, dWeight: params.grad("cls.predictions.transform.LayerNorm.weight"),
                           dBias: params.grad("cls.predictions.transform.LayerNorm.bias"), dx: dHead2)
        GELU.backward(dy: dHead2, x: tPre, count: R * H, dx: dHead2)
        Linear.backward(meter, dy: dHead2, x: hg, rows: R, inFeatures: H, outFeatures: H, weight: params.value("cls.predictions.transform.dense.weight"),
                        dWeight: params.grad("cls.predictions.transform.dense.weight"), dBias: params.grad("cls.predictions.transform.dense.bias"), dx: dHead)
        var dOut = dA, dIn = dB
        dOut.update(repeating: 0, count: N * H)
        for r in 0..<R {
            let d = dOut + headIndex[r] * H, s = dHead + r * H
            for j in 0..<H { d[j] += s[j] }
        }
        for l in stride(from: L - 1, through: 0, by: -1) {
            layerBackward(l, N, dOut: dOut, dIn: dIn)
            swap(&dOut, &dIn)
        }
        embeddingsBackward(N, dOut: dOut)
    }

    func layerBackward(_ l: Int, _ N: Int, dOut: FloatPointer, dIn: FloatPointer) {
        let x = xs + l * capacity * H
        let q = qkv + l * capacity * 3 * H, c = ctx + l * capacity * H
        let r1 = res1 + l * capacity * H, hh = h1 + l * capacity * H
        let pr = pre + l * capacity * I, ac = act + l * capacity * I, r2 = res2 + l * capacity * H
        // Output LayerNorm: dRes = d(res2); res2 = dense(act) + h1.
        LayerNorm.backward(dy: dOut, x: r2, rows: N, width: H, weight: params.value(name(l, "output.LayerNorm.weight")),
                           mean: ln2Mean + l * capacity, rstd: ln2Rstd + l * capacity,
                           dWeight: params.grad(name(l, "output.LayerNorm.weight")), dBias: params.grad(name(l, "output.LayerNorm.bias")), dx: dRes)
        Linear.backward(meter, dy: dRes, x: ac, rows: N, inFeatures: I, outFeatures: H, weight: params.value(name(l, "output.dense.weight")),
                        dWeight: params.grad(name(l, "output.dense.weight")), dBias: params.grad(name(l, "output.dense.bias")), dx: dI)
        GELU.backward(dy: dI, x: pr, count: N * I, dx: dI)
        // d(h1) = intermediate's input gradient + the residual's (dRes), in dCtx as scratch.
        let dh1 = dCtx
        dh1.update(from: dRes, count: N * H)
        Linear.backward(meter, dy: dI, x: hh, rows: N, inFeatures: H, outFeatures: I, weight: params.value(name(l, "intermediate.dense.weight")),
                        dWeight: params.grad(name(l, "intermediate.dense.weight")), dBias: params.grad(name(l, "intermediate.dense.bias")),
                        dx: dh1, accumulateInput: true)
        // Attention LayerNorm: res1 = dense(ctx) + x.
        LayerNorm.backward(dy: dh1, x: r1, rows: N, width: H, weight: params.value(name(l, "attention.output.LayerNorm.weight")),
                           mean: ln1Mean + l * capacity, rstd: ln1Rstd + l * capacity,
                           dWeight: params.grad(name(l, "attention.output.LayerNorm.weight")),
                           dBias: params.grad(name(l, "attention.output.LayerNorm.bias")), dx: dRes)
        Linear.backward(meter, dy: dRes, x: c, rows: N, inFeatures: H, outFeatures: H, weight: params.value(name(l, "attention.output.dense.weight")),
                        dWeight: params.grad(name(l, "attention.output.dense.weight")), dBias: params.grad(name(l, "attention.output.dense.bias")),
                        dx: dCtx)
        attentionBackward(l, q: q, dCtx: dCtx)
        // Input gradient: through Q, K, V plus the residual.
        dIn.update(from: dRes, count: N * H)
        Linear.backward(meter, dy: dQKV, x: x, rows: N, inFeatures: H, outFeatures: 3 * H, weight: params.value(name(l, "attention.self.query.weight")),
                        dWeight: params.grad(name(l, "attention.self.query.weight")), dBias: params.grad(name(l, "attention.self.query.bias")),
                        dx: dIn, accumulateInput: true)
    }

    func attentionBackward(_ l: Int, q: FloatPointer, dCtx: FloatPointer) {
        let T = length, scale = 1 / Float(hd).squareRoot()
        for b in 0..<rows {
            for h in 0..<nh {
                let Q = q + b * T * 3 * H + h * hd, K = Q + H, Vv = Q + 2 * H
                let dQ = dQKV + b * T * 3 * H + h * hd, dK = dQ + H, dV = dQ + 2 * H
                let P = probs + ((l * maxRows + b) * nh + h) * T * T
                let dO = dCtx + b * T * H + h * hd
                // dP = dO V^T; dV = P^T dO.
                gemm(meter, transA: false, transB: true, m: T, n: T, k: hd, dO, lda: H, Vv, ldb: 3 * H, beta: 0, dScores, ldc: T)
                gemm(meter, transA: true, transB: false, m: T, n: hd, k: T, P, lda: T, dO, ldb: H, beta: 0, dV, ldc: 3 * H)
                // Softmax backward: dS = P * (dP - sum_j dP P).
                for i in 0..<T {
                    let p = P + i * T, d = dScores + i * T
                    var s: Float = 0
                    for j in 0..<T { s += p[j] * d[j] }
                    for j in 0..<T { d[j] = p[j] * (d[j] - s) }
                }
                // S = scale Q K^T: dQ = scale dS K; dK = scale dS^T Q.
                gemm(meter, transA: false, transB: false, m: T, n: hd, k: T, alpha: scale, dScores, lda: T, K, ldb: 3 * H, beta: 0, dQ, ldc: 3 * H)
                gemm(meter, transA: true, transB: false, m: T, n: hd, k: T, alpha: scale, dScores, lda: T, Q, ldb: 3 * H, beta: 0, dK, ldc: 3 * H)
            }
        }
    }

    func embeddingsBackward(_ N: Int, dOut: FloatPointer) {
        LayerNorm.backward(dy: dOut, x: embSum, rows: N, width: H, weight: params.value("bert.embeddings.LayerNorm.weight"),
                           mean: embMean, rstd: embRstd, dWeight: params.grad("bert.embeddings.LayerNorm.weight"),
                           dBias: params.grad("bert.embeddings.LayerNorm.bias"), dx: dRes)
        let dWord = params.grad("bert.embeddings.word_embeddings.weight")
        let dPos = params.grad("bert.embeddings.position_embeddings.weight")
        let dType = params.grad("bert.embeddings.token_type_embeddings.weight")
        let pad = Int32(config.padTokenID)
        for n in 0..<N {
            let d = dRes + n * H
            // nn.Embedding(padding_idx=pad): the padding row gets no gradient from the lookup.
            if idsCopy[n] != pad {
                let w = dWord + Int(idsCopy[n]) * H
                for j in 0..<H { w[j] += d[j] }
            }
            let p = dPos + Int(posCopy[n]) * H
            for j in 0..<H { p[j] += d[j]; dType[j] += d[j] }
        }
    }

    // MARK: embeddings for probes

    /// The last layer's hidden states averaged over each row's real tokens (after `forward` without labels).
    public func meanPooled(into out: UnsafeMutablePointer<Float>) {
        let top = xs + L * capacity * H
        for b in 0..<rows {
            let o = out + b * H
            o.update(repeating: 0, count: H)
            var n = 0
            for t in 0..<length where attnCopy[b * length + t] != 0 {
                let x = top + (b * length + t) * H
                for j in 0..<H { o[j] += x[j] }
                n += 1
            }
            if n > 0 { for j in 0..<H { o[j] /= Float(n) } }
        }
    }
}

extension BertModel {
    /// The weights as safetensors tensors under their state-dict names (the decoder's weight and bias are
    /// tied to the word embeddings and `cls.predictions.bias`, so, as `save_pretrained` does, not stored).
    public var weightTensors: [Safetensors.TensorRef] {
        params.tensors.map { Safetensors.TensorRef(name: $0.name, shape: $0.shape, data: params.values + $0.offset) }
    }

    /// Loads every parameter from a safetensors file holding them under their state-dict names. Keys a
    /// Hugging Face save may add for tied or buffer tensors are accepted; any other extra key is an error.
    /// Throws unless `file` holds every parameter of a model of `c` with its shape: run before a model is
    /// allocated from a config read from a file (the file's size then bounds the parameters).
    public static func checkShapes(_ c: BertConfig, _ file: Safetensors.File) throws {
        for t in layout(c) {
            guard let e = file.entries[t.name] else {
                throw TrainerError("tensor is missing (config.json describes a model that has it)", path: file.path, key: t.name)
            }
            guard e.shape == t.shape else {
                throw TrainerError("shape \(e.shape) does not match config.json's \(t.shape)", path: file.path, key: t.name)
            }
        }
    }

    public func load(from file: Safetensors.File) throws {
        for t in params.tensors { try file.read(t.name, shape: t.shape, into: params.values + t.offset) }
        // This model ties the MLM decoder to the word embeddings; a file whose decoder differs (an untied
        // model) would silently lose its decoder, so it is refused.
        if file.entries["cls.predictions.decoder.weight"] != nil, let word = params.tensor("bert.embeddings.word_embeddings.weight") {
            let decoder = try file.floats("cls.predictions.decoder.weight")
            let same = decoder.count == word.count && decoder.withUnsafeBufferPointer { d in
                (0..<word.count).allSatisfy { d[$0].bitPattern == params.values[word.offset + $0].bitPattern }
            }
            guard same else {
                throw TrainerError("the MLM decoder is not tied to the word embeddings (this BERT ties them; an untied decoder would be dropped)",
                                   path: file.path, key: "cls.predictions.decoder.weight")
            }
        }
        let tolerated: Set<String> = ["cls.predictions.decoder.weight", "cls.predictions.decoder.bias", "bert.embeddings.position_ids"]
        for n in file.names where params.tensor(n) == nil && !tolerated.contains(n) {
            throw TrainerError("tensor is not a parameter of this model", path: file.path, key: n)
        }
    }
}
