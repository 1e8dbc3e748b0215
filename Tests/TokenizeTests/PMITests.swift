import Foundation
import XCTest
import Basics
import GenomeIO
@testable import Tokenize
import TestSupport

final class PMITests: XCTestCase {
    var dir: URL!
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-pmi-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ text: String) -> String {
        let p = dir.appendingPathComponent("t.fa").path
        FileManager.default.createFile(atPath: p, contents: text.data(using: .utf8))
        return p
    }

    func testHandCountedExample() throws {
        // Runs: "ACGTA" | "CG" (N splits) | "aac" (second record, lowercase folded), "R" is N.
        let path = write(">x\nACGTANCG\n>y\naRaac\n")
        let c = try NGramCounter(maxK: 3, threads: 2).count(inputs: [path])
        func n(_ s: String) -> UInt64 { c.counts[s.count][PMIScores.code(s)!] }
        // 1-grams: A: 2 (ACGTA) + 3 (a, aac) = 5; C: 1+1+1 = 3; G: 1+1 = 2; T: 1
        XCTAssertEqual([n("A"), n("C"), n("G"), n("T")], [5, 3, 2, 1])
        // 2-grams: AC(2: ACGTA, aac) CG(2) GT(1) TA(1) AA(1)
        XCTAssertEqual([n("AC"), n("CG"), n("GT"), n("TA"), n("AA")], [2, 2, 1, 1, 1])
        XCTAssertEqual(c.total(2), 7)
        // 3-grams: ACG CGT GTA (first run), AAC (last run)
        XCTAssertEqual([n("ACG"), n("CGT"), n("GTA"), n("AAC")], [1, 1, 1, 1])
        XCTAssertEqual(c.total(3), 4)
        XCTAssertEqual(c.nBases, 2)
        // 3-gram start positions: x has 6, y has 3 → 9; 4 counted → 5 skipped for N.
        XCTAssertEqual(c.skippedForN[3], 5)
        // PMI by hand for "AC" (n=2; only one segmentation A|C): log(2/7) - log(5/11) - log(3/11)
        let s = PMIScores(counts: c, minCount: 1)
        let code = PMIScores.code("AC")!
        XCTAssertEqual(s.pmi(2, code), log(2.0 / 7) - log(5.0 / 11) - log(3.0 / 11), accuracy: 1e-12)
        XCTAssertEqual(s.naivePMI(2, code), s.pmi(2, code), accuracy: 1e-12)
        // "ACG": min over A|CG, AC|G, A|C|G of log p(ACG) - parts
        let lp3 = log(1.0 / 4)
        let a = log(5.0 / 11), cc = log(3.0 / 11), g = log(2.0 / 11), ac = log(2.0 / 7), cg = log(2.0 / 7)
        let want = min(lp3 - a - cg, lp3 - ac - g, lp3 - a - cc - g)
        XCTAssertEqual(s.pmi(3, PMIScores.code("ACG")!), want, accuracy: 1e-12)
        // npmi with m = 1 discounts nothing: pmi * ln c / (ln c + 0) = pmi (c = 2 for AC).
        XCTAssertEqual(s.npmi(2, code), s.pmi(2, code), accuracy: 1e-12)
        let s101 = PMIScores(counts: c, minCount: 101)
        XCTAssertEqual(s101.npmi(2, code), s.pmi(2, code) * log(2.0) / (log(2.0) + log(101.0)), accuracy: 1e-12)
    }

    func testCountsEqualJellyfish() throws {
        for genome in ["ecoli_K12_MG1655", "saureus_N315"] {
            for k in [6, 10] {
                let prefix = dir.appendingPathComponent("\(genome)\(k)").path
                var o = PMIOptions(inputs: [dataFile("\(genome).fa.bgz")])
                o.maxK = k; o.rankN = 6; o.tsvLengths = [k]; o.tsvPath = prefix + ".tsv"
                _ = try PMIJob.run(o)
                let (status, out) = try sh("""
                set -e; cd '\(dir.path)'
                zcat '\(dataFile("\(genome).fa.gz"))' > g.fa
                jellyfish count -m \(k) -s 10M -t 2 -o g.jf g.fa
                jellyfish dump -c g.jf | LC_ALL=C sort > jf.txt
                awk -F'\\t' 'NR>1 && $3>0 {print $1" "$3}' '\(prefix).tsv' | LC_ALL=C sort > ours.txt
                cmp jf.txt ours.txt && wc -l < jf.txt
                """)
                XCTAssertEqual(status, 0, "\(genome) k=\(k): counts differ from jellyfish (is jellyfish installed?) \(out)")
                XCTAssertGreaterThan(Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 4000)
            }
        }
    }

    /// The grouped increments (the path for k >= 12, where the table is far beyond the caches), forced on at
    /// k = 10, give the same TSV as the direct path that testCountsEqualJellyfish checks.
    func testGroupedIncrementsCountTheSameAsDirectOnes() throws {
        var tsvs: [Data] = []
        let saved = NGramCounter.Worker.partitionFrom
        defer { NGramCounter.Worker.partitionFrom = saved }
        for from in [saved, 1 << 16] {
            NGramCounter.Worker.partitionFrom = from
            let path = dir.appendingPathComponent("g\(from).tsv").path
            var o = PMIOptions(inputs: [dataFile("ecoli_MG1655_draft.fa.gz")])
            o.maxK = 10; o.rankN = 6; o.tsvLengths = [8, 10]; o.tsvPath = path
            _ = try PMIJob.run(o)
            tsvs.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        XCTAssertGreaterThan(tsvs[0].count, 1_000_000)
        XCTAssertEqual(tsvs[0], tsvs[1])
    }

    func testCanonicalEqualsJellyfishC() throws {
        let prefix = dir.appendingPathComponent("lambda").path
        var o = PMIOptions(inputs: [dataFile("lambda_phage.fa.gz")])
        o.maxK = 7; o.rankN = 6; o.tsvLengths = [7]; o.tsvPath = prefix + ".tsv"; o.strand = .canonical
        _ = try PMIJob.run(o)
        let (status, out) = try sh("""
        set -e; cd '\(dir.path)'
        zcat '\(dataFile("lambda_phage.fa.gz"))' > g.fa
        jellyfish count -C -m 7 -s 1M -t 2 -o g.jf g.fa
        jellyfish dump -c g.jf | LC_ALL=C sort > jf.txt
        awk -F'\\t' 'NR>1 && $3>0 {print $1" "$3}' '\(prefix).tsv' | LC_ALL=C sort > ours.txt
        cmp jf.txt ours.txt
        """)
        XCTAssertEqual(status, 0, out)
    }

    func testPMIEqualsIndependentPythonForAllEColi6mers() throws {
        let prefix = dir.appendingPathComponent("ecoli").path
        var o = PMIOptions(inputs: [dataFile("ecoli_K12_MG1655.fa.gz")])
        o.maxK = 6; o.tsvPath = prefix + ".tsv"
        _ = try PMIJob.run(o)
        let script = repoRoot.appendingPathComponent("Tests/TokenizeTests/pmi_reference.py").path
        let (status, out) = try sh("'\(testPython)' '\(script)' '\(dataFile("ecoli_K12_MG1655.fa.gz"))' '\(prefix).tsv' 101")
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("mismatches: 0"), out)
    }

    func testRanksAndByteIdenticalOutputWhateverTheThreads() throws {
        var outputs: [[UInt8]] = []
        for threads in [1, 2] {
            var o = PMIOptions(inputs: [dataFile("ecoli_MG1655_draft.fa.gz"), dataFile("lambda_phage.fa.bgz")])
            o.threads = threads
            o.maxK = 8
            o.tsvPath = dir.appendingPathComponent("t\(threads).tsv").path
            o.tablePath = dir.appendingPathComponent("t\(threads).bin").path
            let (scores, report) = try PMIJob.run(o)
            outputs.append(Array(try Data(contentsOf: URL(fileURLWithPath: o.tsvPath!))))
            outputs.append(Array(try Data(contentsOf: URL(fileURLWithPath: o.tablePath!))))
            // Ranks follow npmi (descending), ties by k-mer; all 4096 ranks are a permutation.
            let (ranks, ranked) = scores.ranks(n: 6)
            XCTAssertEqual(Set(ranks).count, 4096)
            let order = (0..<4096).sorted { ranks[$0] < ranks[$1] }
            for i in 1..<ranked {
                XCTAssertGreaterThanOrEqual(scores.npmi(6, order[i - 1]), scores.npmi(6, order[i]))
            }
            for w in order[ranked...] { XCTAssertLessThan(scores.count(6, w), 101) }
            XCTAssertEqual(report.top.count, 20)
        }
        XCTAssertEqual(outputs[0], outputs[2])
        XCTAssertEqual(outputs[1], outputs[3])
    }

    func testSideTableRoundTripAndRefusesOtherSettings() throws {
        let path = dir.appendingPathComponent("t.bin").path
        var o = PMIOptions(inputs: [dataFile("lambda_phage.fa.gz")])
        o.maxK = 6; o.minCount = 3; o.tablePath = path
        let (scores, _) = try PMIJob.run(o)
        let fps = try o.inputs.map { try InputFingerprint.of(path: $0) }
        let t = try PMIRankTable.load(path: path, expect: o.settings(fingerprints: fps))
        XCTAssertEqual(t.ranks.map(UInt32.init), scores.ranks(n: 6).ranks)
        var other = o; other.minCount = 101
        XCTAssertThrowsError(try PMIRankTable.load(path: path, expect: other.settings(fingerprints: fps))) { e in
            XCTAssertTrue("\(e)".contains("min count 3 (run wants 101)"), "\(e)")
        }
        let otherInputs = try [InputFingerprint.of(path: dataFile("saureus_N315.fa.gz"))]
        XCTAssertThrowsError(try PMIRankTable.load(path: path, expect: o.settings(fingerprints: otherInputs))) { e in
            XCTAssertTrue("\(e)".contains("saureus_N315.fa.gz"), "\(e)")
        }
        // A flipped byte or a truncated file is refused.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PMIRankTable.load(path: path)) { e in XCTAssertTrue("\(e)".contains("checksum"), "\(e)") }
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PMIRankTable.load(path: path))
    }

    func testBadInputAndSettings() throws {
        XCTAssertThrowsError(try NGramCounter(maxK: 13))
        var o = PMIOptions(inputs: [write(">x\nAC-GT\n")])
        XCTAssertThrowsError(try PMIJob.run(o)) { e in XCTAssertTrue("\(e)".contains("t.fa:2"), "\(e)") }
        o.inputs = [dataFile("lambda_phage.fa.gz")]
        o.rankN = 11
        XCTAssertThrowsError(try PMIJob.run(o))
    }
}
