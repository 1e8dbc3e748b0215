import GenomeIO
#if canImport(Glibc)
import Glibc
#endif

/// PMI statistics of every n-gram, n = 1...maxK (see `shared/specs/seed-methods.md` A.2):
/// - p(w) = c(w) / (number of n-grams of length |w|)
/// - naive PMI = log p(w) - sum of log p of its single bases
/// - Levine PMI = min over every segmentation of w into >= 2 contiguous parts of
///   log p(w) - sum of the parts' log p, exact, by dynamic programming over split points
/// - npmi = pmi * ln c / (ln c + ln m), the CM-GEMS frequency discount with minimum count m.
/// Natural logarithms. Values are NaN where undefined (c = 0, or n = 1 for the two-part PMIs).
public struct PMIScores: Sendable {
    public let counts: NGramCounts
    public let minCount: UInt64
    /// logP[n][w]
    public private(set) var logP: [[Double]]
    /// best[n][w] = max over all segmentations (>= 1 part) of the sum of the parts' log p.
    private var best: [[Double]]
    public private(set) var totals: [UInt64]

    public init(counts: NGramCounts, minCount: UInt64 = 101) {
        self.counts = counts
        self.minCount = minCount
        let k = counts.maxK
        totals = (0...k).map { $0 == 0 ? 0 : counts.total($0) }
        logP = [[]]
        best = [[]]
        for n in 1...k {
            let total = Double(totals[n])
            let lt = log(total)
            let c = counts.counts[n]
            var lp = [Double](repeating: -.infinity, count: c.count)
            for w in 0..<c.count where c[w] > 0 { lp[w] = log(Double(c[w])) - lt }
            logP.append(lp)
            // best_n(w) = max(log p(w), max_j best_j(prefix) + log p(suffix))
            var b = lp
            if n > 1 {
                for w in 0..<c.count {
                    var m = lp[w]
                    for j in 1..<n {
                        let s = logP[n - j][w & ((1 << (2 * (n - j))) - 1)]
                        let pre = best[j][w >> (2 * (n - j))]
                        let v = pre + s
                        if v > m { m = v }
                    }
                    b[w] = m
                }
            }
            best.append(b)
        }
    }

    public func count(_ n: Int, _ w: Int) -> UInt64 { counts.counts[n][w] }
    public func p(_ n: Int, _ w: Int) -> Double { Double(counts.counts[n][w]) / Double(totals[n]) }

    public func naivePMI(_ n: Int, _ w: Int) -> Double {
        guard counts.counts[n][w] > 0 else { return .nan }
        var s = logP[n][w]
        for i in 0..<n { s -= logP[1][(w >> (2 * (n - 1 - i))) & 3] }
        return s
    }

    public func pmi(_ n: Int, _ w: Int) -> Double {
        guard n >= 2, counts.counts[n][w] > 0 else { return .nan }
        var m = -Double.infinity
        for j in 1..<n {
            let v = best[j][w >> (2 * (n - j))] + logP[n - j][w & ((1 << (2 * (n - j))) - 1)]
            if v > m { m = v }
        }
        return logP[n][w] - m
    }

    public func npmi(_ n: Int, _ w: Int) -> Double {
        let c = counts.counts[n][w]
        guard c > 0 else { return .nan }
        let lc = log(Double(c))
        return pmi(n, w) * lc / (lc + log(Double(minCount)))
    }

    /// Ranks of all 4^n n-grams: 1 = highest npmi among those with count >= minCount; ties by
    /// n-gram order; then the unranked ones (count < minCount), in n-gram order.
    public func ranks(n: Int) -> (ranks: [UInt32], ranked: Int) {
        let size = 1 << (2 * n)
        var scored: [(Double, Int)] = []
        var rest: [Int] = []
        for w in 0..<size {
            if counts.counts[n][w] >= minCount && counts.counts[n][w] > 0 && n >= 2 { scored.append((npmi(n, w), w)) }
            else { rest.append(w) }
        }
        scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        var r = [UInt32](repeating: 0, count: size)
        for (i, e) in scored.enumerated() { r[e.1] = UInt32(i + 1) }
        for (i, w) in rest.enumerated() { r[w] = UInt32(scored.count + i + 1) }
        return (r, scored.count)
    }

    /// "ACGT..." text of an n-gram code.
    public static func kmer(_ w: Int, n: Int) -> String {
        var s = [UInt8](repeating: 0, count: n)
        for i in 0..<n { s[n - 1 - i] = Array("ACGT".utf8)[(w >> (2 * i)) & 3] }
        return String(decoding: s, as: UTF8.self)
    }

    /// Code of an "ACGT" n-gram, or nil.
    public static func code(_ s: String) -> Int? {
        var w = 0
        for b in s.utf8 {
            switch b | 0x20 {
            case UInt8(ascii: "a"): w = w << 2
            case UInt8(ascii: "c"): w = w << 2 | 1
            case UInt8(ascii: "g"): w = w << 2 | 2
            case UInt8(ascii: "t"): w = w << 2 | 3
            default: return nil
            }
        }
        return w
    }
}
