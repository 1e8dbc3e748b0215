import XCTest
import Basics
import Shards
@testable import Trainer

/// Rates and geometry over many real windows (lambda phage shards), each checked within about four
/// standard deviations of its expected value.
final class MaskingStatisticsTests: XCTestCase {
    /// A copy of what a batch held when it was consumed (the loader reuses its batch objects).
    struct Snapshot {
        var rows: Int, length: Int
        var ranks: [UInt16], maskedCount: [Int32], visibleCount: [Int32]
    }

    func batches(_ dir: String, _ m: MaskingStrategy, epochs: Int = 4) throws -> [(Snapshot, [Int32], [Int32], [Int32], [UInt8])] {
        var s = Fixtures.settings(dir, m, batch: 16)
        s.epochs = epochs
        let l = try Loader(s)
        var out: [(Snapshot, [Int32], [Int32], [Int32], [UInt8])] = []
        while let b = try l.next() {
            let n = b.rows * b.length
            let snap = Snapshot(rows: b.rows, length: b.length, ranks: Array(b.ranks[0..<n]),
                                maskedCount: Array(b.maskedCount[0..<b.rows]), visibleCount: Array(b.visibleCount[0..<b.rows]))
            out.append((snap, Array(b.tokens[0..<n]), Array(b.ids[0..<n]), Array(b.labels[0..<n]), Array(b.attention[0..<n])))
        }
        return out
    }

    func within(_ got: Double, _ p: Double, n: Int, _ what: String) {
        let sd = (p * (1 - p) / Double(n)).squareRoot()
        XCTAssertEqual(got, p, accuracy: 4 * sd + 1e-9, "\(what): \(got) vs \(p) over \(n)")
    }

    /// BERT: 15% of real tokens; of those 80% [MASK], 10% a random id (which is the original 1 time in
    /// 10), 10% kept.
    func testBERTRatesAndSplit() throws {
        var real = 0, targets = 0, masked = 0, changed = 0
        for (_, tok, ids, lab, att) in try batches(Fixtures.char, .bert) {
            for i in tok.indices where att[i] == 1 {
                real += 1
                guard lab[i] != -100 else { XCTAssertEqual(ids[i], tok[i]); continue }
                targets += 1
                XCTAssertEqual(lab[i], tok[i])
                if ids[i] == 4 { masked += 1 } else if ids[i] != tok[i] { changed += 1 }
            }
        }
        within(Double(targets) / Double(real), 0.15, n: real, "target rate")
        within(Double(masked) / Double(targets), 0.8 + 0.1 / 10, n: targets, "[MASK] share (a random id is [MASK] 1 time in 10)")
        within(Double(changed) / Double(targets), 0.1 * 0.8, n: targets, "random, neither the original nor [MASK]")
    }

    /// k-span: away from the row's ends a position is masked when a centre falls in c-3...c+2:
    /// 1 - (1 - q)^6; every maximal masked run not touching an end is at least 6 long.
    func testKSpanRateAndRunLengths() throws {
        var inner = 0, innerMasked = 0
        for (b, _, _, lab, _) in try batches(Fixtures.kmer, .kspan, epochs: 6) {
            for r in 0..<b.rows {
                let row = Array(lab[(r * b.length)..<((r + 1) * b.length)])
                for i in 3..<(b.length - 3) { inner += 1; if row[i] != -100 { innerMasked += 1 } }
                var i = 0
                while i < row.count {
                    guard row[i] != -100 else { i += 1; continue }
                    var j = i
                    while j < row.count && row[j] != -100 { j += 1 }
                    if i > 0 && j < row.count { XCTAssertGreaterThanOrEqual(j - i, 6, "run \(i)..<\(j)") }
                    i = j
                }
            }
        }
        within(Double(innerMasked) / Double(inner), 1 - pow(1 - 0.025, 6), n: inner / 6, "k-span inner rate")
    }

    /// HAD: every aligned 6-base group is masked whole or not at all, about 15% of groups.
    func testHADMasksWholeAlignedGroups() throws {
        var groups = 0, maskedGroups = 0
        for (b, _, _, lab, _) in try batches(Fixtures.char, .hadGroup) {
            for r in 0..<b.rows {
                for g in stride(from: 0, to: b.length - 5, by: 6) {
                    let m = (g..<(g + 6)).map { lab[r * b.length + $0] != -100 }
                    XCTAssertTrue(m.allSatisfy { $0 } || m.allSatisfy { !$0 }, "group at \(g) is split")
                    groups += 1
                    if m[0] { maskedGroups += 1 }
                }
                XCTAssertEqual(Int(b.maskedCount[r]) + Int(b.visibleCount[r]), b.length)
            }
        }
        within(Double(maskedGroups) / Double(groups), 0.15, n: groups, "group rate")
    }

    /// Global-PMI: every masked run holds one of its row's best-ranked positions (runs are +-5 around the
    /// k lowest (rank, position) pairs, k small): its lowest rank is at or below the row's 10th percentile.
    func testGlobalPMIPrefersLowRanks() throws {
        var runs = 0, bad = 0
        for (b, _, _, lab, att) in try batches(Fixtures.kmer, .globalPMI) {
            for r in 0..<b.rows {
                let base = r * b.length
                let real = (0..<b.length).filter { att[base + $0] == 1 }
                guard !real.isEmpty else { continue }
                let sorted = real.map { b.ranks[base + $0] }.sorted()
                let p10 = sorted[sorted.count / 10]
                var t = 0
                while t < b.length {
                    guard lab[base + t] != -100 else { t += 1; continue }
                    var best = UInt16.max
                    while t < b.length && lab[base + t] != -100 { best = min(best, b.ranks[base + t]); t += 1 }
                    runs += 1
                    if best > p10 { bad += 1 }
                }
            }
        }
        XCTAssertGreaterThan(runs, 20)
        XCTAssertEqual(bad, 0, "masked runs whose best rank is above their row's 10th percentile (of \(runs))")
    }

    /// CM-STEP: no Global-PMI batch while f(t) = 0, and the share of Global-PMI batches follows f(t).
    func testCMStepFollowsItsSchedule() throws {
        var s = Fixtures.settings(Fixtures.kmer, .cmStep)
        s.maskingSettings.totalSteps = 100_000
        let l = try Loader(s)
        defer { l.close() }
        XCTAssertTrue((0..<1000).allSatisfy { l.strategy(forBatch: $0) == .kspan })
        let hard = (50_000..<52_000).filter { l.strategy(forBatch: $0) == .globalPMI }.count
        within(Double(hard) / 2000, 0.505, n: 2000, "hard share at f = 0.50-0.51")
        XCTAssertTrue((99_000..<99_100).filter { l.strategy(forBatch: $0) == .globalPMI }.count >= 95)
    }

    /// CM-GEMS: GeneMask until the switch, Global-PMI from the batch the trainer names, also for batches
    /// that were already built (masked again on the consumer's side), and the same batches whenever the
    /// switch reaches the loader.
    func testCMGemsSwitchAppliesFromTheNamedBatch() throws {
        var s = Fixtures.settings(Fixtures.kmer, .cmGems, batch: 4)
        s.depth = 6
        let l = try Loader(s)
        var first: [[Int]] = []
        for k in 0..<10 {
            let b = try l.next()!
            XCTAssertEqual(b.strategy, k < 4 ? .genemask : .globalPMI, "batch \(k)")
            first.append(Fixtures.digest(b))
            if k == 2 { l.switchToHard(fromBatch: 4) }
        }
        l.close()
        let early = try Loader(s)
        early.switchToHard(fromBatch: 4)
        var second: [[Int]] = []
        for _ in 0..<10 { second.append(Fixtures.digest(try early.next()!)) }
        early.close()
        XCTAssertEqual(first, second)
    }

    /// BarcodeMAE on BarcodeMAE-style shards: every row hides exactly round(E / 2) of its E eligible
    /// tokens ([UNK] k-mers with N are never eligible), and the packed ids are the visible tokens in order.
    func testMAEHidesExactlyHalfOfEveryRow() throws {
        var rows = 0
        for (b, tok, ids, lab, _) in try batches(Fixtures.barcode, .mae, epochs: 1) {
            for r in 0..<b.rows {
                let o = r * b.length
                let eligible = (0..<b.length).filter { tok[o + $0] > 4 }.count   // specials are ids 0...4
                let hidden = (0..<b.length).filter { lab[o + $0] != -100 }
                XCTAssertEqual(hidden.count, Int((0.5 * Double(eligible)).rounded()))
                let visible = (0..<b.length).filter { lab[o + $0] == -100 }
                XCTAssertEqual(Int(b.visibleCount[r]), visible.count)
                XCTAssertEqual((0..<visible.count).map { ids[o + $0] }, visible.map { tok[o + $0] })
                rows += 1
            }
        }
        XCTAssertGreaterThan(rows, 50)
    }

    /// BarcodeMAE's start offset: rows of 95 tokens out of 100-base windows start at 0...5, varying by row,
    /// and hold the window's tokens from there (checked through the tools' reader).
    func testMAEOffsetsStartRowsZeroToFiveIntoTheWindow() throws {
        var s = Fixtures.settings(Fixtures.char, .mae, batch: 16)
        s.epochs = 1
        s.sequenceLength = 95
        let l = try Loader(s)
        let reader = try MDSReader(directory: Fixtures.char + "/train")
        var offsets = Set<Int>()
        while let b = try l.next() {
            for r in 0..<b.rows {
                guard case .u8(let w)? = try reader.sample(b.sample[r])["tokens"] else { return XCTFail("tokens") }
                let row = (0..<95).map { UInt8(b.tokens[r * 95 + $0]) }
                let o = (0...5).first { Array(w[$0..<($0 + 95)]) == row }
                XCTAssertNotNil(o, "row is not the window from an offset 0...5")
                if let o { offsets.insert(o) }
            }
        }
        XCTAssertEqual(offsets, Set(0...5))
    }
}
