import Glibc

/// A linear probe: multinomial logistic regression with an L2 penalty on the weights (not the bias),
/// on standardised features, fitted by L-BFGS in double precision. The penalty is chosen from a grid
/// by accuracy on a validation split cut from the end of the training rows (so with rows ordered by
/// genome position, validation comes from a region the fit did not see), then the model is refitted on
/// every training row and scored on the test rows.
public struct LinearProbe: Sendable {
    public struct Fit: Sendable {
        public var lambda: Double
        public var weights: [Double]      // classes x features (standardised features)
        public var bias: [Double]
        public var iterations: Int
        public var gradientNorm: Double
    }

    public struct Report: Sendable {
        public var classes: [String]
        public var lambda: Double
        /// Per penalty of the grid: (lambda, validation accuracy).
        public var validation: [(lambda: Double, accuracy: Double)]
        public var trainAccuracy: Double
        public var testAccuracy: Double
        public var testRows: Int
        public var trainRows: Int
    }

    public static let defaultGrid: [Double] = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]

    /// Fits on `x` (rows x d) with labels in 0..<classes, minimising mean cross-entropy + lambda/2 |W|^2.
    public static func fit(_ x: [Double], rows n: Int, features d: Int, labels y: [Int], classes c: Int, lambda: Double,
                           maxIterations: Int = 500) -> Fit {
        let dim = c * d + c
        func objective(_ p: [Double], _ g: inout [Double]) -> Double {
            for i in 0..<dim { g[i] = 0 }
            var loss = 0.0
            var z = [Double](repeating: 0, count: c)
            for r in 0..<n {
                let xr = r * d
                var mx = -Double.infinity
                for k in 0..<c {
                    var s = p[c * d + k]
                    let w = k * d
                    for j in 0..<d { s += p[w + j] * x[xr + j] }
                    z[k] = s; mx = max(mx, s)
                }
                var sum = 0.0
                for k in 0..<c { z[k] = exp(z[k] - mx); sum += z[k] }
                loss += log(sum) + mx - (log(z[y[r]]) + mx)
                for k in 0..<c {
                    let q = z[k] / sum - (k == y[r] ? 1 : 0)
                    let w = k * d
                    for j in 0..<d { g[w + j] += q * x[xr + j] }
                    g[c * d + k] += q
                }
            }
            let inv = 1 / Double(n)
            loss *= inv
            for i in 0..<dim { g[i] *= inv }
            for i in 0..<(c * d) { loss += 0.5 * lambda * p[i] * p[i]; g[i] += lambda * p[i] }
            return loss
        }
        let (p, iterations, gnorm) = lbfgs(dimension: dim, maxIterations: maxIterations, objective)
        return Fit(lambda: lambda, weights: Array(p[0..<(c * d)]), bias: Array(p[(c * d)...]), iterations: iterations, gradientNorm: gnorm)
    }

    /// The predicted class of each row.
    public static func predict(_ f: Fit, _ x: [Double], rows n: Int, features d: Int) -> [Int] {
        let c = f.bias.count
        return (0..<n).map { r in
            var best = 0, bestScore = -Double.infinity
            for k in 0..<c {
                var s = f.bias[k]
                for j in 0..<d { s += f.weights[k * d + j] * x[r * d + j] }
                if s > bestScore { bestScore = s; best = k }
            }
            return best
        }
    }

    /// Standardises columns with the mean and standard deviation of `reference` rows.
    static func standardise(_ x: [Float], rows: Int, d: Int, mean: [Double], std: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: rows * d)
        for r in 0..<rows { for j in 0..<d { out[r * d + j] = (Double(x[r * d + j]) - mean[j]) / std[j] } }
        return out
    }

    static func moments(_ x: [Float], rows: Int, d: Int) -> (mean: [Double], std: [Double]) {
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        for r in 0..<rows { for j in 0..<d { let v = Double(x[r * d + j]); mean[j] += v; sq[j] += v * v } }
        var std = [Double](repeating: 1, count: d)
        for j in 0..<d {
            mean[j] /= Double(max(rows, 1))
            let v = sq[j] / Double(max(rows, 1)) - mean[j] * mean[j]
            std[j] = v > 1e-12 ? v.squareRoot() : 1
        }
        return (mean, std)
    }

    static func accuracy(_ predicted: [Int], _ truth: [Int]) -> Double {
        guard !truth.isEmpty else { return 0 }
        return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// The whole protocol: pick lambda on the last `validationFraction` of the train rows, refit on all
    /// train rows, score the test rows.
    public static func run(train: [Float], trainLabels: [String], test: [Float], testLabels: [String], features d: Int,
                           validationFraction: Double = 0.2, grid: [Double] = defaultGrid) throws -> Report {
        let classes = Array(Set(trainLabels)).sorted()
        guard classes.count >= 2 else { throw TrainerError("the train labels hold \(classes.count) class; a probe needs 2 or more") }
        var index: [String: Int] = [:]
        for (i, k) in classes.enumerated() { index[k] = i }
        let yTrain = trainLabels.map { index[$0]! }
        var yTest: [Int] = []
        for (i, l) in testLabels.enumerated() {
            guard let k = index[l] else { throw TrainerError("test label '\(l)' (row \(i + 1)) never occurs in the train labels") }
            yTest.append(k)
        }
        let n = trainLabels.count, m = testLabels.count
        let nFit = Int((Double(n) * (1 - validationFraction)).rounded())
        guard nFit >= 2, n - nFit >= 1 else { throw TrainerError("too few train rows (\(n)) to hold out a validation part") }
        // Selection: standardised with the fit rows' statistics.
        let (m1, s1) = moments(Array(train[0..<(nFit * d)]), rows: nFit, d: d)
        let xFit = standardise(Array(train[0..<(nFit * d)]), rows: nFit, d: d, mean: m1, std: s1)
        let xVal = standardise(Array(train[(nFit * d)...]), rows: n - nFit, d: d, mean: m1, std: s1)
        var validation: [(lambda: Double, accuracy: Double)] = []
        for lambda in grid {
            let f = fit(xFit, rows: nFit, features: d, labels: Array(yTrain[0..<nFit]), classes: classes.count, lambda: lambda)
            validation.append((lambda, accuracy(predict(f, xVal, rows: n - nFit, features: d), Array(yTrain[nFit...]))))
        }
        // The best accuracy; among equals the strongest penalty.
        let best = validation.max { a, b in a.accuracy < b.accuracy || (a.accuracy == b.accuracy && a.lambda < b.lambda) }!
        let (m2, s2) = moments(train, rows: n, d: d)
        let xAll = standardise(train, rows: n, d: d, mean: m2, std: s2)
        let xTest = standardise(test, rows: m, d: d, mean: m2, std: s2)
        let f = fit(xAll, rows: n, features: d, labels: yTrain, classes: classes.count, lambda: best.lambda)
        return Report(classes: classes, lambda: best.lambda, validation: validation,
                      trainAccuracy: accuracy(predict(f, xAll, rows: n, features: d), yTrain),
                      testAccuracy: accuracy(predict(f, xTest, rows: m, features: d), yTest), testRows: m, trainRows: n)
    }
}

/// L-BFGS (memory 10) with a backtracking Armijo line search, from zero; stops when the gradient's norm
/// falls below 1e-6 (relative to 1 + |f|) or after `maxIterations`.
/// - Returns: the minimiser, the iterations used and the final gradient norm.
func lbfgs(dimension n: Int, maxIterations: Int, _ f: ([Double], inout [Double]) -> Double) -> ([Double], Int, Double) {
    var x = [Double](repeating: 0, count: n), g = [Double](repeating: 0, count: n)
    var fx = f(x, &g)
    var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
    func dot(_ a: [Double], _ b: [Double]) -> Double { var t = 0.0; for i in 0..<a.count { t += a[i] * b[i] }; return t }
    var iteration = 0
    var gnorm = dot(g, g).squareRoot()
    while iteration < maxIterations && gnorm > 1e-6 * (1 + abs(fx)) {
        iteration += 1
        // Two-loop recursion: d = -H g.
        var q = g
        var alpha = [Double](repeating: 0, count: s.count)
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            alpha[i] = rho[i] * dot(s[i], q)
            for j in 0..<n { q[j] -= alpha[i] * y[i][j] }
        }
        if let ls = s.last, let ly = y.last {
            let gamma = dot(ls, ly) / max(dot(ly, ly), 1e-300)
            for j in 0..<n { q[j] *= gamma }
        }
        for i in 0..<s.count {
            let beta = rho[i] * dot(y[i], q)
            for j in 0..<n { q[j] += s[i][j] * (alpha[i] - beta) }
        }
        var d = q.map { -$0 }
        var slope = dot(g, d)
        if slope >= 0 { d = g.map { -$0 }; slope = -dot(g, g); s = []; y = []; rho = [] }
        var step = 1.0
        var xNew = x, gNew = g, fNew = fx
        while true {
            for j in 0..<n { xNew[j] = x[j] + step * d[j] }
            fNew = f(xNew, &gNew)
            if fNew <= fx + 1e-4 * step * slope || step < 1e-12 { break }
            step *= 0.5
        }
        let sk = (0..<n).map { xNew[$0] - x[$0] }, yk = (0..<n).map { gNew[$0] - g[$0] }
        let sy = dot(sk, yk)
        if sy > 1e-12 {
            s.append(sk); y.append(yk); rho.append(1 / sy)
            if s.count > 10 { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
        }
        if fx - fNew <= 1e-15 * max(1, abs(fx)) && step < 1e-12 { x = xNew; g = gNew; fx = fNew; break }
        x = xNew; g = gNew; fx = fNew
        gnorm = dot(g, g).squareRoot()
    }
    return (x, iteration, dot(g, g).squareRoot())
}
