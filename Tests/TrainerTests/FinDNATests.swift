import XCTest
import Basics
@testable import Trainer

final class FinDNATests: XCTestCase {
    /// Char ids: A=5 C=6 G=7 T=8 N=9; channels A0 C1 G2 N3 T4.
    func views(_ length: Int, _ edit: (inout FinDNAViews.Settings) -> Void) -> FinDNAViews {
        var s = FinDNAViews.Settings()
        edit(&s)
        return FinDNAViews(settings: s, length: length, baseIDs: (5, 6, 7, 8, 9), vocabSize: 10)
    }

    /// Builds one row; returns (student, teacher, targets, mask, rc) with one-hot rows as channel indices
    /// (-1 for an all-zero row) where the view has no noise.
    func build(_ v: inout FinDNAViews, _ tokens: [Int32], seed: UInt64) -> (student: [Float], teacher: [Float], targets: [Float], mask: [UInt8], rc: Bool) {
        var st = [Float](repeating: 9, count: v.viewRows * 5), te = st
        var tg = [Float](repeating: 9, count: v.length * 5), mk = [UInt8](repeating: 9, count: v.length)
        var g = SplitMix64(seed: seed)
        let rc = tokens.withUnsafeBufferPointer { t in v.build(tokens: t.baseAddress!, student: &st, teacher: &te, targets: &tg, mask: &mk, rng: &g) }
        return (st, te, tg, mk, rc)
    }

    func channels(_ x: [Float], rows: Int) -> [Int8] {
        (0..<rows).map { i in
            let row = Array(x[(i * 5)..<(i * 5 + 5)])
            XCTAssertTrue(row.allSatisfy { $0 == 0 || $0 == 1 } && row.filter { $0 == 1 }.count <= 1, "row \(i) is not one-hot or zero: \(row)")
            return Int8(row.firstIndex(of: 1) ?? -1)
        }
    }

    /// A true reverse complement: A<->T, C<->G, N kept (the published channel flip swapped C and N);
    /// applied twice it is the identity.
    func testReverseComplementIsTrueAndAnInvolution() {
        var x: [Int8] = [0, 0, 1, 2, 3]          // A A C G N
        FinDNAViews.reverseComplement(&x, count: 5)
        XCTAssertEqual(x, [3, 1, 2, 4, 4])      // N C G T T
        var g = SplitMix64(seed: 4)
        for n in [1, 2, 7, 100] {
            let y = (0..<n).map { _ in Int8(g.below(6)) - 1 }
            var z = y
            FinDNAViews.reverseComplement(&z, count: n)
            FinDNAViews.reverseComplement(&z, count: n)
            XCTAssertEqual(z, y)
        }
    }

    /// No masking, no noise, RC always, no augmentation: the student and its targets are the reverse
    /// complement of the window, the teacher is the window; both views end in 10 zero CLS rows.
    func testStudentAndTargetsAreReverseComplementedTogether() {
        let tokens: [Int32] = [5, 5, 6, 7, 9, 8, 6]   // A A C G N T C
        var v = views(7) { $0.maskRate = 0; $0.noiseStd = 0; $0.rcProbability = 1; $0.maxIndel = 0; $0.maxShift = 0 }
        let r = build(&v, tokens, seed: 1)
        XCTAssertTrue(r.rc)
        let rcWindow: [Int8] = [2, 0, 3, 1, 2, 4, 4]   // G A N C G T T
        XCTAssertEqual(channels(r.student, rows: 17), rcWindow + Array(repeating: -1, count: 10))
        XCTAssertEqual(channels(r.targets, rows: 7), rcWindow)
        XCTAssertEqual(channels(r.teacher, rows: 17), [0, 0, 1, 2, 3, 4, 1] + Array(repeating: -1, count: 10))
        XCTAssertEqual(r.mask, [0, 0, 0, 0, 0, 0, 0])
    }

    /// Translocation alone is a circular roll by at most 20 either way.
    func testTranslocationIsACircularRoll() {
        let channelOf: [Int8] = [0, 1, 2, 4, 3]
        var tokens: [Int32] = []
        for i in 0..<50 { tokens.append(Int32(5 + (i * 7 + i / 3) % 5)) }
        let original: [Int8] = tokens.map { channelOf[Int($0) - 5] }
        for seed in UInt64(1)...20 {
            var v = views(50) { $0.maskRate = 0; $0.noiseStd = 0; $0.rcProbability = 0; $0.maxIndel = 0 }
            let t = channels(build(&v, tokens, seed: seed).teacher, rows: 50)
            let shifts = (-20...20).filter { s in (0..<50).allSatisfy { t[$0] == original[(($0 - s) % 50 + 50) % 50] } }
            XCTAssertFalse(shifts.isEmpty, "seed \(seed): not a roll of the window")
        }
    }

    /// Deletion then insertion (no roll): the teacher is the window with one interval of at most 4 bases
    /// removed, padded with random letters front and back, at most 4 random letters inserted, and the
    /// insertion's padding cropped; found by trying every (deletion, insertion) placement with the random
    /// letters as wildcards.
    func testDeletionAndInsertionKeepTheLengthAndTheOrder() {
        let L = 40, m = 4
        let channelOf: [Int8] = [0, 1, 2, 4]
        var tokens: [Int32] = []
        for i in 0..<L { tokens.append(Int32(5 + (i * 3 + i / 4) % 4)) }
        let original: [Int8] = tokens.map { channelOf[Int($0) - 5] }
        for seed in UInt64(1)...8 {
            var v = views(L) { $0.maskRate = 0; $0.noiseStd = 0; $0.rcProbability = 0; $0.maxShift = 0; $0.maxIndel = m }
            let t = channels(build(&v, tokens, seed: seed).teacher, rows: L)
            var found = false
            search: for s in 0...(L - m) {
                for d in 0...min(m, L - s) {
                    let del: [Int8?] = Array(repeating: nil, count: d / 2) + (0..<L).filter { $0 < s || $0 >= s + d }.map { original[$0] }
                        + Array(repeating: nil, count: d - d / 2)
                    for p in 0..<L {
                        for di in 0...m {
                            var ins: [Int8?] = Array(repeating: nil, count: (m - di) / 2)
                            ins += del[0..<p]; ins += Array(repeating: nil, count: di); ins += del[p...]
                            ins += Array(repeating: nil, count: m - di - (m - di) / 2)
                            let crop = Array(ins[(m / 2)..<(m / 2 + L)])
                            if zip(crop, t).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) { found = true; break search }
                        }
                    }
                }
            }
            XCTAssertTrue(found, "seed \(seed): teacher \(t) is not the window after one deletion and one insertion")
        }
    }

    /// Student masking (B.2): 30% of positions selected; of those 80% become zero rows, 10% a random
    /// letter (the same one 1 time in 5) and 10% stay.
    func testStudentMaskingRates() {
        let L = 1000
        var g = SplitMix64(seed: 3)
        let tokens: [Int32] = (0..<L).map { _ in Int32(5 + g.below(5)) }
        var v = views(L) { $0.noiseStd = 0; $0.rcProbability = 0 }
        var selected = 0, zero = 0, same = 0, total = 0
        for seed in UInt64(1)...40 {
            let r = build(&v, tokens, seed: seed)
            let s = channels(r.student, rows: L), t = channels(r.targets, rows: L)
            for i in 0..<L {
                total += 1
                if r.mask[i] == 1 {
                    selected += 1
                    if s[i] < 0 { zero += 1 } else if s[i] == t[i] { same += 1 }
                } else {
                    XCTAssertEqual(s[i], t[i])
                }
            }
        }
        func within(_ x: Double, _ p: Double, _ n: Int) { XCTAssertEqual(x, p, accuracy: 4 * (p * (1 - p) / Double(n)).squareRoot()) }
        within(Double(selected) / Double(total), 0.3, total)
        within(Double(zero) / Double(selected), 0.8, selected)
        within(Double(same) / Double(selected), 0.1 + 0.1 / 5, selected)
    }

    /// Through the loader on character shards: views are filled for every row, with zero CLS rows, and the
    /// targets are the window's one-hot, reverse-complemented exactly where the student was.
    func testLoaderBuildsFinDNAViews() throws {
        var s = Fixtures.settings(Fixtures.char, .findna, batch: 8)
        s.epochs = 1
        let l = try Loader(s)
        var rows = 0, rcRows = 0
        while let b = try l.next() {
            XCTAssertEqual(b.viewRows, b.length + 10)
            for r in 0..<b.rows {
                let channelOf: [Int8] = [0, 1, 2, 4, 3]
                var window: [Int8] = (0..<b.length).map { channelOf[Int(b.tokens[r * b.length + $0]) - 5] }
                if b.reverseComplemented[r] { FinDNAViews.reverseComplement(&window, count: b.length); rcRows += 1 }
                let tg = Array(b.targets[(r * b.length * 5)..<((r + 1) * b.length * 5)])
                XCTAssertEqual(channels(tg, rows: b.length), window)
                let cls = b.student[((r * b.viewRows + b.length) * 5)..<((r + 1) * b.viewRows * 5)]
                XCTAssertTrue(cls.allSatisfy { $0 == 0 }) 
                rows += 1
            }
        }
        XCTAssertGreaterThan(rows, 100)
        XCTAssertEqual(Double(rcRows) / Double(rows), 0.5, accuracy: 0.15)
    }
}
