import Basics
import CBLASLoader
import Dispatch
import Glibc

/// The model's layer kernels: each a forward and a backward over raw float buffers that the caller owns
/// (allocated once per model), in the shapes PyTorch uses. Matrix products go to `cblas_sgemm`; the rest
/// are plain loops. Backward kernels accumulate (`+=`) into parameter gradients and overwrite input
/// gradients unless they say otherwise.
typealias FloatPointer = UnsafeMutablePointer<Float>

/// The threads of the model's matrix products. OpenBLAS's own threading changes how a product is
/// partitioned, and with it the last bits of the results, with the thread count; so OpenBLAS runs
/// single-threaded and `gemm` splits a product's output rows itself, at multiples of 64 rows, into
/// `threads` calls run at once. Each output element is then computed by the same kernel over the same
/// inner dimension in the same order whatever the thread count, and training is bit-identical with 1 or
/// more threads (tested).
public enum BLAS {
    nonisolated(unsafe) static var splitThreads = 1
    /// Loads OpenBLAS (it is opened on first use, not linked: see CBLASLoader); throws when it is missing.
    public static func load() throws {
        if gp_blas_load() != 0 { throw BLASUnavailable(message: gp_blas_error().map { String(cString: $0) } ?? "cannot load OpenBLAS") }
    }
    public static func setThreads(_ n: Int) {
        gp_blas_set_threads(1)
        splitThreads = max(1, min(n, 64))
    }
    public static var threads: Int { splitThreads }
    /// The kernel family OpenBLAS picked for this CPU at load time (e.g. Haswell, SkylakeX, Prescott).
    public static var coreName: String { String(cString: gp_blas_corename()) }
}

/// OpenBLAS could not be loaded (the message names the library and how to install it).
public struct BLASUnavailable: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Times and counts every `cblas_sgemm` the model makes, per shape (for the speed benchmark: the GEMM
/// share of a step, and the same shapes replayed in a plain loop to see what the library gives them).
public final class GemmMeter: @unchecked Sendable {
    public struct Shape: Hashable, Sendable { public var transA: Bool, transB: Bool, m: Int, n: Int, k: Int }
    public var seconds = 0.0
    public var flops = 0.0
    public var calls = 0
    public var enabled = false
    public private(set) var shapes: [Shape: (calls: Int, seconds: Double)] = [:]
    public init() {}
    public func reset() { seconds = 0; flops = 0; calls = 0; shapes = [:] }

    func record(_ s: Shape, _ t: Double) {
        seconds += t
        flops += 2 * Double(s.m) * Double(s.n) * Double(s.k)
        calls += 1
        shapes[s, default: (0, 0)].calls += 1
        shapes[s, default: (0, 0)].seconds += t
    }

    /// Runs each recorded shape in a plain loop of `cblas_sgemm` calls (contiguous operands, beta 0, the
    /// same thread count and row splitting as the model) for about `secondsPerShape`, and returns the time the model's mix of calls would take there: compare with
    /// `seconds` (the in-model time) for the efficiency of the model's GEMMs.
    public func replay(secondsPerShape: Double = 0.2) -> Double {
        var total = 0.0
        for (s, v) in shapes {
            let aCount = s.m * s.k, bCount = s.k * s.n
            let a = UnsafeMutablePointer<Float>.allocate(capacity: aCount), b = UnsafeMutablePointer<Float>.allocate(capacity: bCount)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for i in 0..<aCount { a[i] = Float(i % 7) * 0.1 }
            for i in 0..<bCount { b[i] = Float(i % 5) * 0.1 }
            let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
            // Through the same wrapper (so the same row splitting over `BLAS.threads`), unmetered.
            let plain = GemmMeter()
            func once() {
                gemm(plain, transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, a, lda: lda, b, ldb: ldb, beta: 0, c, ldc: s.n)
            }
            once()
            var runs = 0
            let t0 = MonotonicClock.now()
            var t = t0
            while runs < 3 || (t - t0 < secondsPerShape && runs < v.calls) { once(); runs += 1; t = MonotonicClock.now() }
            total += (t - t0) / Double(runs) * Double(v.calls)
        }
        return total
    }
}

/// Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) m x k, op(B) k x n.
@inline(__always)
func gemm(_ meter: GemmMeter, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
          _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
          beta: Float, _ c: FloatPointer, ldc: Int) {
    if m == 0 || n == 0 { return }
    let t0 = meter.enabled ? MonotonicClock.now() : 0
    let parts = BLAS.splitThreads
    if parts > 1 && m >= 128 {
        let chunk = ((m + parts - 1) / parts + 63) / 64 * 64
        // Addresses cross into the workers as integers (the row blocks they write do not overlap).
        let (ia, ib, ic) = (UInt(bitPattern: a), UInt(bitPattern: b), UInt(bitPattern: c))
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let m0 = p * chunk, mm = min(chunk, m - m0)
            guard mm > 0 else { return }
            let a = UnsafePointer<Float>(bitPattern: ia)!, b = UnsafePointer<Float>(bitPattern: ib)!
            let c = UnsafeMutablePointer<Float>(bitPattern: ic)!
            gp_sgemm(transA ? 1 : 0, transB ? 1 : 0,
                        Int32(mm), Int32(n), Int32(k), alpha, transA ? a + m0 : a + m0 * lda, Int32(lda), b, Int32(ldb),
                        beta, c + m0 * ldc, Int32(ldc))
        }
    } else {
        gp_sgemm(transA ? 1 : 0, transB ? 1 : 0,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    if meter.enabled { meter.record(.init(transA: transA, transB: transB, m: m, n: n, k: k), MonotonicClock.now() - t0) }
}

/// PyTorch `nn.Linear` on `rows` rows: y = x W^T + b, W stored [out, in].
enum Linear {
    static func forward(_ meter: GemmMeter, x: UnsafePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int,
                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: FloatPointer) {
        gemm(meter, transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, x, lda: inFeatures,
             weight, ldb: inFeatures, beta: 0, y, ldc: outFeatures)
        if let bias {
            for r in 0..<rows {
                let yr = y + r * outFeatures
                for j in 0..<outFeatures { yr[j] += bias[j] }
            }
        }
    }

    /// dx (= or += when `accumulateInput`) dy W; dW += dy^T x; db += column sums of dy.
    static func backward(_ meter: GemmMeter, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int,
                         inFeatures: Int, outFeatures: Int, weight: UnsafePointer<Float>,
                         dWeight: FloatPointer, dBias: FloatPointer?, dx: FloatPointer?, accumulateInput: Bool = false) {
        if let dx {
            gemm(meter, transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures, dy, lda: outFeatures,
                 weight, ldb: inFeatures, beta: accumulateInput ? 1 : 0, dx, ldc: inFeatures)
        }
        gemm(meter, transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, dy, lda: outFeatures,
             x, ldb: inFeatures, beta: 1, dWeight, ldc: inFeatures)
        if let dBias {
            for r in 0..<rows {
                let dr = dy + r * outFeatures
                for j in 0..<outFeatures { dBias[j] += dr[j] }
            }
        }
    }
}

/// PyTorch `nn.LayerNorm` over the last dimension (biased variance, eps inside the square root).
enum LayerNorm {
    /// Saves each row's mean and 1/std for the backward.
    static func forward(x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, eps: Float, y: FloatPointer, mean: FloatPointer, rstd: FloatPointer) {
        let n = Float(width)
        for r in 0..<rows {
            let xr = x + r * width, yr = y + r * width
            var s: Float = 0
            for j in 0..<width { s += xr[j] }
            let m = s / n
            var v: Float = 0
            for j in 0..<width { let d = xr[j] - m; v += d * d }
            let rs = 1 / (v / n + eps).squareRoot()
            for j in 0..<width { yr[j] = (xr[j] - m) * rs * weight[j] + bias[j] }
            mean[r] = m; rstd[r] = rs
        }
    }

    /// dx (= or += when `accumulate`); dWeight, dBias +=.
    static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, width: Int,
                         weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                         dWeight: FloatPointer, dBias: FloatPointer, dx: FloatPointer, accumulate: Bool = false) {
        let n = Float(width)
        for r in 0..<rows {
            let xr = x + r * width, dyr = dy + r * width, dxr = dx + r * width
            let m = mean[r], rs = rstd[r]
            var sumG: Float = 0, sumGX: Float = 0
            for j in 0..<width {
                let xhat = (xr[j] - m) * rs
                let g = dyr[j] * weight[j]
                sumG += g; sumGX += g * xhat
                dWeight[j] += dyr[j] * xhat
                dBias[j] += dyr[j]
            }
            let meanG = sumG / n, meanGX = sumGX / n
            for j in 0..<width {
                let xhat = (xr[j] - m) * rs
                let d = (dyr[j] * weight[j] - meanG - xhat * meanGX) * rs
                if accumulate { dxr[j] += d } else { dxr[j] = d }
            }
        }
    }
}

/// The exact (erf) GELU of BERT: 0.5 x (1 + erf(x / sqrt 2)).
enum GELU {
    static func forward(x: UnsafePointer<Float>, count: Int, y: FloatPointer) {
        for i in 0..<count { let v = x[i]; y[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752)) }
    }

    /// dx = dy * gelu'(x), in place over dy allowed.
    static func backward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int, dx: FloatPointer) {
        for i in 0..<count {
            let v = x[i]
            let cdf = 0.5 * (1 + erff(v * 0.70710678118654752))
            let pdf = expf(-0.5 * v * v) * 0.39894228040143268
            dx[i] = dy[i] * (cdf + v * pdf)
        }
    }
}

/// Softmax cross-entropy against integer targets: the sum over rows of -log p(target), with the
/// gradient of that sum times `scale` written over the logits' gradient buffer.
enum CrossEntropy {
    static func forward(logits: UnsafePointer<Float>, rows: Int, classes: Int, targets: UnsafePointer<Int32>,
                        probs: FloatPointer) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let lr = logits + r * classes, pr = probs + r * classes
            var mx = -Float.infinity
            for j in 0..<classes { mx = max(mx, lr[j]) }
            var s: Float = 0
            for j in 0..<classes { let e = expf(lr[j] - mx); pr[j] = e; s += e }
            let inv = 1 / s
            for j in 0..<classes { pr[j] *= inv }
            let t = Int(targets[r])
            total += Double(logf(s) + mx - lr[t])
        }
        return total
    }

    static func backward(probs: UnsafePointer<Float>, rows: Int, classes: Int, targets: UnsafePointer<Int32>,
                         scale: Float, dLogits: FloatPointer) {
        for r in 0..<rows {
            let pr = probs + r * classes, dr = dLogits + r * classes
            for j in 0..<classes { dr[j] = pr[j] * scale }
            dr[Int(targets[r])] -= scale
        }
    }
}
