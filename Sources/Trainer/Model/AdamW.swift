import Glibc

/// PyTorch's `torch.optim.AdamW` (single-tensor path, `amsgrad=False`), step for step: decoupled weight
/// decay first, then the moment updates, bias corrections in double as Python computes them. Weight
/// decay applies only to the tensors marked `decay` (not biases or LayerNorm weights).
public final class AdamW: @unchecked Sendable {
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var eps: Double = 1e-8
    public var weightDecay: Double = 0.01
    public private(set) var step = 0
    public let m: UnsafeMutablePointer<Float>
    public let v: UnsafeMutablePointer<Float>
    let params: ParameterStore

    public init(params: ParameterStore) {
        self.params = params
        m = .allocate(capacity: max(params.count, 1)); m.initialize(repeating: 0, count: max(params.count, 1))
        v = .allocate(capacity: max(params.count, 1)); v.initialize(repeating: 0, count: max(params.count, 1))
    }

    deinit { m.deallocate(); v.deallocate() }

    /// Restores the step count (the moments are restored by writing into `m` and `v`).
    public func restore(step: Int) { self.step = step }

    /// One update with learning rate `lr` from the gradients in `params.grads`.
    public func update(lr: Double) {
        step += 1
        let bc1 = 1 - pow(beta1, Double(step)), bc2 = 1 - pow(beta2, Double(step))
        let stepSize = Float(lr / bc1), bc2Sqrt = Float(bc2.squareRoot())
        let b2 = Float(beta2), oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2), e = Float(eps)
        for t in params.tensors {
            let p = params.values + t.offset, g = params.grads + t.offset, mt = m + t.offset, vt = v + t.offset
            if t.decay && weightDecay != 0 {
                let f = Float(1 - lr * weightDecay)
                for i in 0..<t.count { p[i] *= f }
            }
            for i in 0..<t.count {
                let gi = g[i]
                mt[i] = mt[i] + oneMinusB1 * (gi - mt[i])
                vt[i] = vt[i] * b2 + oneMinusB2 * (gi * gi)
                let denom = vt[i].squareRoot() / bc2Sqrt + e
                p[i] = p[i] - stepSize * (mt[i] / denom)
            }
        }
    }
}

/// The learning rate at optimizer step `step` (0-based): linear warm-up from lr/warmup to lr over
/// `warmup` steps, then constant, linear or cosine decay to `minRatio` x lr at `total` steps.
public struct LRSchedule: Sendable, Equatable {
    public enum Decay: String, Sendable, CaseIterable { case constant, linear, cosine }
    public var lr: Double
    public var warmup: Int
    public var total: Int
    public var decay: Decay
    public var minRatio: Double

    public init(lr: Double, warmup: Int = 0, total: Int, decay: Decay = .cosine, minRatio: Double = 0.1) {
        self.lr = lr; self.warmup = warmup; self.total = total; self.decay = decay; self.minRatio = minRatio
    }

    public func rate(at step: Int) -> Double {
        if step < warmup { return lr * Double(step + 1) / Double(warmup) }
        let span = max(1, total - warmup)
        let progress = min(1, Double(step - warmup) / Double(span))
        let floor = lr * minRatio
        switch decay {
        case .constant: return lr
        case .linear: return floor + (lr - floor) * (1 - progress)
        case .cosine: return floor + (lr - floor) * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}
