import Foundation
import XCTest
import Basics
import TestSupport
@testable import GenomeIO

/// Hand-worked examples for samplers, filters, strands and splits.
final class WindowsTests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func testTiledNAndSoftMaskPolicies() throws {
        // 40 bases, windows of 10: [ACGTACGTAC][NNGTACGTAC][acgtacgtac][ACGTAcgtac]
        let seq = "ACGTACGTAC" + "NNGTACGTAC" + "acgtacgtac" + "ACGTAcgtac" + "AC"
        let path = writeFasta(">c1\n\(seq)\n", in: dir)
        var o = WindowsOptions(inputs: [path])
        o.window = 10
        o.sampler = .tiled(stride: 10)
        var (rows, s) = try windowsTSV(o)
        XCTAssertEqual(rows.map { $0[1] }, ["0", "20", "30"])
        XCTAssertEqual(s.counts.dropped["too-many-N"], 1)
        XCTAssertEqual(rows[1][7], "acgtacgtac")      // kept as lowercase by default
        XCTAssertEqual(rows[2][6], "0.5000")          // lower_fraction
        o.maxNFraction = 0.2
        (rows, s) = try windowsTSV(o)
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows[1][5], "0.2000")
        o.softMask = .drop(maxFraction: 0.5)
        (rows, s) = try windowsTSV(o)
        XCTAssertEqual(rows.map { $0[1] }, ["0", "10", "30"])
        XCTAssertEqual(rows[2][7], "ACGTACGTAC")      // upper-cased
        XCTAssertEqual(s.counts.dropped["soft-masked"], 1)
        o.softMask = .upper
        (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows[2][7], "ACGTACGTAC")
        XCTAssertEqual(s.bases, 42)
        XCTAssertEqual(s.nBases, 2)
        XCTAssertEqual(s.lowerBases, 15)
    }

    func testOverlappingStrideAndBothStrands() throws {
        let path = writeFasta(">c\nAACCGGTTAC\n", in: dir)
        var o = WindowsOptions(inputs: [path])
        o.window = 4
        o.sampler = .tiled(stride: 3)
        o.strand = .both
        let (rows, _) = try windowsTSV(o)
        // starts 0, 3, 6; each forward then reverse
        XCTAssertEqual(rows.map { "\($0[1])\($0[3])\($0[7])" },
                       ["0+AACC", "0-GGTT", "3+CGGT", "3-ACCG", "6+TTAC", "6-GTAA"])
    }

    func testBEDExtendTruncateJitterAndClamp() throws {
        let seq = String(repeating: "ACGTACGTAC", count: 10)   // 100 bases
        let path = writeFasta(">c\n\(seq)\n>short\nACGT\n", in: dir)
        let bed = dir.appendingPathComponent("i.bed").path
        try """
        track name=x
        # comment
        c\t40\t44\tgrows-evenly
        c\t10\t60\tcut-to-start
        c\t0\t4\tclamped-left
        c\t97\t100\tclamped-right
        short\t0\t4
        """.write(toFile: bed, atomically: true, encoding: .utf8)
        var o = WindowsOptions(inputs: [path])
        o.window = 20
        o.sampler = .bed(path: bed, jitter: 0)
        o.maxNFraction = 1
        var (rows, s) = try windowsTSV(o)
        // 40-44 grows by 8 each side -> 32; 10-60 cut -> 10; 0-4 -> -8 clamped to 0; 97-100 -> clamp 80.
        XCTAssertEqual(rows.map { Int($0[1])! }, [0, 10, 32, 80])
        XCTAssertEqual(s.counts.dropped["contig-too-short"], 1)
        o.sampler = .bed(path: bed, jitter: 5)
        o.seed = 1
        (rows, _) = try windowsTSV(o)
        let starts = rows.map { Int($0[1])! }
        XCTAssertEqual(starts.count, 4)
        XCTAssertTrue(starts.allSatisfy { (0...80).contains($0) })
        let (again, _) = try windowsTSV(o)
        XCTAssertEqual(again.map { Int($0[1])! }, starts, "jitter is seeded")
        try "c\t5\tx\n".write(toFile: bed, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try windowsTSV(o)) { e in
            XCTAssertTrue("\(e)".contains("i.bed:1"), "\(e)")
        }
        try "chrZ\t5\t10\n".write(toFile: bed, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try windowsTSV(o)) { e in XCTAssertTrue("\(e)".contains("chrZ"), "\(e)") }
    }

    func testRandomWindowsAreSeededUniformAndInRange() throws {
        let path = dataFile("lambda_phage.fa.gz")
        var o = WindowsOptions(inputs: [path])
        o.sampler = .random(count: 4000, perContig: false)
        o.seed = 42
        let (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows.count, 4000)
        let starts = rows.map { Int($0[1])! }
        XCTAssertTrue(starts.allSatisfy { $0 >= 0 && $0 <= 48502 - 1000 })
        XCTAssertEqual(starts, starts.sorted(), "written in genome order")
        // Uniformity: each quarter of the valid range gets 1000 +- 120 (about 4.4 sd).
        let q = (48502 - 1000 + 1) / 4
        for k in 0..<4 {
            let c = starts.filter { $0 / q == k }.count
            XCTAssertTrue(abs(c - 1000) < 120, "quarter \(k): \(c)")
        }
        let (same, _) = try windowsTSV(o)
        XCTAssertEqual(same.map { $0[1] }, rows.map { $0[1] })
        o.seed = 43
        let (other, _) = try windowsTSV(o)
        XCTAssertNotEqual(other.map { $0[1] }, rows.map { $0[1] })
    }

    func testHashedSplitsNeverShareBasesAndIgnoreOtherInputs() throws {
        var o = WindowsOptions(inputs: [dataFile("ecoli_K12_MG1655.fa.bgz")])
        o.sampler = .tiled(stride: 250)         // heavily overlapping windows
        o.split = .hashed(val: 0.2, test: 0.2, blockSize: 20_000)
        o.seed = 9
        let (rows, s) = try windowsTSV(o)
        XCTAssertGreaterThan(s.counts.kept[1], 0)
        XCTAssertGreaterThan(s.counts.kept[2], 0)
        XCTAssertGreaterThan(s.counts.dropped["crosses-split-boundary"] ?? 0, 0)
        // Mark every covered base with its split; no base may be claimed by two splits.
        var owner = [Int8](repeating: -1, count: 4_639_675)
        for r in rows {
            let sp = Int8(Split(name: r[4])!.rawValue)
            for i in Int(r[1])!..<Int(r[2])! {
                XCTAssertTrue(owner[i] == -1 || owner[i] == sp, "base \(i) in two splits")
                owner[i] = sp
                if owner[i] != sp { return }
            }
        }
        // Adding another input does not move any window of the first to another split.
        o.inputs.append(dataFile("lambda_phage.fa.gz"))
        let (rows2, _) = try windowsTSV(o)
        let first = rows2.filter { $0[0] == "K-12-MG1655" }
        XCTAssertEqual(first.map { $0.joined(separator: "\t") }, rows.map { $0.joined(separator: "\t") })
    }

    func testContigListSplitsAndFilters() throws {
        let path = writeFasta(">chr1\nACGTACGTAC\n>chr2\nACGTACGTAC\n>chr1_KI270706v1_random\nACGTACGTAC\n>chrUn_x\nACGTACGTAC\n>HLA-A*01\nACGTACGTAC\n>chrX\nACGTACGTAC\n", in: dir)
        var o = WindowsOptions(inputs: [path])
        o.window = 10
        o.split = .contigs(val: ["chr2"], test: ["chrX"])
        o.filter.primaryOnly = true
        var (rows, s) = try windowsTSV(o)
        XCTAssertEqual(rows.map { "\($0[0]):\($0[4])" }, ["chr1:train", "chr2:val", "chrX:test"])
        XCTAssertEqual(s.contigsRejected["non-primary"], 3)
        o.filter = ContigFilter()
        o.filter.includePattern = "^chr[0-9]+$"
        (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows.map { $0[0] }, ["chr1", "chr2"])
        o.filter = ContigFilter()
        o.filter.exclude = ["chr1"]
        o.filter.excludePattern = "^(HLA|chrUn)"
        (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows.map { $0[0] }, ["chr2", "chr1_KI270706v1_random", "chrX"])
        o.filter.includePattern = "(["
        XCTAssertThrowsError(try windowsTSV(o))
    }

    func testLongContigStreamsWithBoundedBuffer() throws {
        // 3 Mbp single-record input with a 1 MiB Windower buffer; windows far apart and at the end.
        let n = 3_000_000
        var s = String(repeating: "ACGTTGCA", count: n / 8)
        s += "GGGG"
        let path = writeFasta(">big\n\(s)\n", in: dir)
        var o = WindowsOptions(inputs: [path])
        o.window = 10
        o.sampler = .tiled(stride: 999_997)
        let (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows.map { $0[1] }, ["0", "999997", "1999994", "2999991"])
        XCTAssertEqual(rows.last?[7], "AACGTTGCAG")
    }

    /// Spaces, tabs and carriage returns inside sequence lines are whitespace (decided for issue 10 and
    /// documented in the README's input rules): skipped, never bases, never an error.
    func testWhitespaceInsideSequenceLinesIsSkipped() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fa = writeFasta(">a\nAC GT\r\nAA\rCC\tG\n", in: dir)
        var sink = CollectSink()
        let stats = try FastaReader(path: fa).read(into: &sink)
        XCTAssertEqual(sink.names, ["a"])
        XCTAssertEqual(decode(sink.seqs[0]), "ACGTAACCG")
        XCTAssertEqual(stats.bases, 9)
    }
}
