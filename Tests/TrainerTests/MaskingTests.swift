import XCTest
import Basics
@testable import Trainer

/// One row held in arrays, for driving a Masker by hand.
final class RowBox {
    var tokens: [Int32], ranks: [UInt16], attention: [UInt8]
    var ids: [Int32], labels: [Int32], positions: [Int32], visible: [Int32], masked: [Int32]
    var visibleCount: Int32 = 0, maskedCount: Int32 = 0
    init(tokens: [Int32], ranks: [UInt16]? = nil, pad: Int32 = 0) {
        let n = tokens.count
        self.tokens = tokens
        self.ranks = ranks ?? Array(repeating: 1000, count: n)
        attention = tokens.map { $0 == pad ? 0 : 1 }
        ids = Array(repeating: 0, count: n); labels = ids; positions = ids; visible = ids; masked = ids
    }
    /// Runs `body` with a Masker.Row over these arrays, then keeps the counts.
    func with(_ body: (inout Masker.Row) -> Void) {
        tokens.withUnsafeMutableBufferPointer { t in ranks.withUnsafeMutableBufferPointer { r in attention.withUnsafeMutableBufferPointer { a in
        ids.withUnsafeMutableBufferPointer { i in labels.withUnsafeMutableBufferPointer { l in positions.withUnsafeMutableBufferPointer { p in
        visible.withUnsafeMutableBufferPointer { v in masked.withUnsafeMutableBufferPointer { m in
            var row = Masker.Row(tokens: t.baseAddress!, ranks: r.baseAddress!, attention: a.baseAddress!, ids: i.baseAddress!,
                                 labels: l.baseAddress!, positions: p.baseAddress!, visibleIndex: v.baseAddress!, maskedIndex: m.baseAddress!)
            body(&row)
            visibleCount = row.visibleCount; maskedCount = row.maskedCount
        }}}}}}}}
    }
    var targets: [Int] { labels.indices.filter { labels[$0] != -100 } }
}

/// Character vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 A=5 C=6 G=7 T=8 N=9.
func charMasker(_ length: Int, _ edit: (inout MaskingSettings) -> Void = { _ in }) -> Masker {
    var s = MaskingSettings()
    edit(&s)
    return Masker(settings: s, vocabSize: 10, maskID: 4, padID: 0, specialIDs: [0, 1, 2, 3, 4], length: length)
}

final class MaskingHandWorkedTests: XCTestCase {
    /// BERT at rate 1 with every target replaced: all real tokens become [MASK], never a special or pad.
    func testBERTNeverTouchesSpecialsOrPadding() {
        let row = RowBox(tokens: [2, 5, 6, 1, 7, 8, 3, 0, 0])
        let m = charMasker(9) { $0.bertRate = 1; $0.maskFraction = 1; $0.randomFraction = 0 }
        var g = SplitMix64(seed: 1)
        row.with { m.apply(.bert, to: &$0, rng: &g) }
        XCTAssertEqual(row.ids, [2, 4, 4, 1, 4, 4, 3, 0, 0])
        XCTAssertEqual(row.labels, [-100, 5, 6, -100, 7, 8, -100, -100, -100])
        // All kept: labels set, ids unchanged.
        let keep = charMasker(9) { $0.bertRate = 1; $0.maskFraction = 0; $0.randomFraction = 0 }
        row.with { keep.apply(.bert, to: &$0, rng: &g) }
        XCTAssertEqual(row.ids, row.tokens)
        XCTAssertEqual(row.targets, [1, 2, 4, 5])
    }

    /// k-span: centres 1 and 10 of a 20-token row whose real tokens are 1...18 mask 1...4 and 8...13.
    func testKSpanGeometry() {
        let row = RowBox(tokens: [2] + Array(repeating: 5, count: 18) + [0])
        let m = charMasker(20)
        m.centres[0] = 1; m.centres[1] = 10
        m.kspanSpans(centres: 2, lo: 1, hi: 18)
        XCTAssertEqual(m.selectedPositions, [1, 2, 3, 4, 8, 9, 10, 11, 12, 13])
    }

    /// GeneMask with two centres (h = 1 < 5: both widened): centre 5's best rank is at 7, so 2...12;
    /// centre 20 ties with 22 and keeps itself, so 15...25.
    func testGeneMaskWidensAroundTheBestRankAndKeepsTheCentreOnATie() {
        var ranks = [UInt16](repeating: 100, count: 30)
        ranks[7] = 3; ranks[20] = 50; ranks[22] = 50
        let row = RowBox(tokens: Array(repeating: 5, count: 30), ranks: ranks)
        let m = charMasker(30)
        m.centres[0] = 5; m.centres[1] = 20
        row.ranks.withUnsafeBufferPointer { m.genemaskSpans(centres: 2, ranks: $0.baseAddress!, lo: 0, hi: 29) }
        XCTAssertEqual(m.selectedPositions, Array(2...12) + Array(15...25))
    }

    /// Ten centres: h = 5 >= 5, so the five whose p(c) has the best ranks are widened (sort-then-cut,
    /// defect A.7.2); cutting first, as CM-GEMS's code does, would widen 10, 30, 50, 70, 90 instead.
    func testGeneMaskSortsThenCuts() {
        let centres = stride(from: 10, through: 190, by: 20).map { $0 }
        let centreRanks: [UInt16] = [50, 10, 40, 20, 30, 60, 70, 5, 90, 80]
        var ranks = [UInt16](repeating: 1000, count: 200)
        for (c, r) in zip(centres, centreRanks) { ranks[c] = r }
        let row = RowBox(tokens: Array(repeating: 5, count: 200), ranks: ranks)
        let m = charMasker(200)
        for (k, c) in centres.enumerated() { m.centres[k] = Int32(c) }
        row.ranks.withUnsafeBufferPointer { m.genemaskSpans(centres: 10, ranks: $0.baseAddress!, lo: 0, hi: 199) }
        let widened: Set = [30, 50, 70, 90, 150]
        var want = Set<Int>()
        for c in centres { for i in (c - 2)...(c + 3) { want.insert(i) } }
        for c in widened { for i in (c - 5)...(c + 5) { want.insert(i) } }
        XCTAssertEqual(Set(m.selectedPositions), want)
    }

    /// Global-PMI with k = 3: the three lowest (rank, position) pairs are 40 (rank 1), then 10 and 70
    /// (rank 2, position order); 5 (rank 3) is fourth. Spans are clipped to the real tokens (here 3...77).
    func testGlobalPMITakesTheBestRankedPositions() {
        var ranks = [UInt16](repeating: 500, count: 80)
        ranks[40] = 1; ranks[10] = 2; ranks[70] = 2; ranks[5] = 3
        var tokens = [Int32](repeating: 6, count: 80)
        tokens[0] = 2; tokens[1] = 2; tokens[2] = 2; tokens[78] = 0; tokens[79] = 0
        let row = RowBox(tokens: tokens, ranks: ranks)
        let m = charMasker(80)
        row.with { m.globalPMISpans(k: 3, row: $0, lo: 3, hi: 77) }
        XCTAssertEqual(m.selectedPositions, Array(5...15) + Array(35...45) + Array(65...75))
    }

    /// BarcodeMAE: exactly half of the 8 eligible tokens hidden; [UNK] stays visible; visible tokens packed
    /// left with their original positions; labels keep the original layout.
    func testMAEHidesHalfAndPacksTheVisibleLeft() {
        // Barcode vocabulary stand-in: [PAD]=0 [UNK]=1 [MASK]=4, k-mers from 5.
        let tokens: [Int32] = [10, 11, 1, 12, 13, 14, 15, 16, 17, 0, 0]
        let row = RowBox(tokens: tokens)
        let base = charMasker(11) { $0.maeRate = 0.5 }
        let m = Masker(settings: base.settings, vocabSize: 20, maskID: 4, padID: 0, specialIDs: [0, 1, 4], length: 11)
        var g = SplitMix64(seed: 9)
        row.with { m.apply(.mae, to: &$0, rng: &g) }
        let hidden = row.targets
        XCTAssertEqual(hidden.count, 4)
        XCTAssertFalse(hidden.contains(2), "[UNK] is never hidden")
        let visible = (0..<9).filter { !hidden.contains($0) }
        XCTAssertEqual(Int(row.visibleCount), 5)
        XCTAssertEqual(Array(row.positions[0..<5]), visible.map { Int32($0) })
        XCTAssertEqual(Array(row.ids[0..<5]), visible.map { tokens[$0] })
        XCTAssertEqual(Array(row.ids[5...]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(row.attention), [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        for h in hidden { XCTAssertEqual(row.labels[h], tokens[h]) }
        XCTAssertEqual(Array(row.masked[0..<4]), hidden.map { Int32($0) })
    }

    /// HAD: groups at rate 1 mask everything real; at rate 0 nothing; index sets partition the row.
    func testHADGroupsAtTheExtremes() {
        let tokens: [Int32] = Array(repeating: 5, count: 16) + [0, 0]
        for (rate, masked) in [(1.0, 16), (0.0, 0)] {
            let row = RowBox(tokens: tokens)
            let m = charMasker(18) { $0.groupRate = rate }
            var g = SplitMix64(seed: 2)
            row.with { m.apply(.hadGroup, to: &$0, rng: &g) }
            XCTAssertEqual(Int(row.maskedCount), masked)
            XCTAssertEqual(Int(row.visibleCount), 16 - masked)
            XCTAssertEqual(row.ids.filter { $0 == 4 }.count, masked)
        }
    }

    /// CM-STEP's schedule: f(t) = floor(t / floor(T/100)) / 100.
    func testCMStepSchedule() {
        XCTAssertEqual(cmStepHardProbability(step: 0, totalSteps: 1000), 0)
        XCTAssertEqual(cmStepHardProbability(step: 9, totalSteps: 1000), 0)
        XCTAssertEqual(cmStepHardProbability(step: 10, totalSteps: 1000), 0.01)
        XCTAssertEqual(cmStepHardProbability(step: 500, totalSteps: 1000), 0.5)
        XCTAssertEqual(cmStepHardProbability(step: 999, totalSteps: 1000), 0.99)
        XCTAssertEqual(cmStepHardProbability(step: 5000, totalSteps: 1000), 1)
    }

    /// CM-GEMS: the switch comes when the smallest change between consecutive evals drops below the
    /// threshold, and never goes back.
    func testCMGemsSwitchesOnceOnAPlateau() {
        var c = CMGemsCurriculum(threshold: 1.0)
        XCTAssertFalse(c.record(perplexity: 10, batchesConsumed: 100))
        XCTAssertFalse(c.record(perplexity: 8, batchesConsumed: 200))
        XCTAssertTrue(c.record(perplexity: 7.5, batchesConsumed: 300))
        XCTAssertTrue(c.hard)
        XCTAssertEqual(c.hardFromBatch, 300)
        XCTAssertFalse(c.record(perplexity: 20, batchesConsumed: 400))
        XCTAssertTrue(c.hard)
        XCTAssertEqual(CMGemsCurriculum(threshold: 1, history: c.history, hardFromBatch: 300), c)
    }
}
