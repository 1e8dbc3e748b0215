import Foundation
import XCTest
import Basics
import TestSupport
@testable import GenomeIO

/// Checks on the real genomes in data/ against independent computations (Python, samtools).
final class RealGenomeTests: XCTestCase {
    /// Python reference: record names, lengths, and base counts straight from the gzip bytes.
    static let pyComposition = """
    import gzip, sys, collections
    name=None; L=collections.OrderedDict(); C=collections.Counter()
    for line in gzip.open(sys.argv[1],'rt'):
        line=line.strip()
        if line.startswith('>'): name=line[1:].split()[0]; L[name]=0; continue
        L[name]+=len(line); C.update(line.upper())
    print(len(L), sum(L.values()), C['G']+C['C'], C['N'])
    """

    func testCompositionMatchesPythonOnAllGenomes() throws {
        for g in ["ecoli_K12_MG1655", "ecoli_MG1655_draft", "saureus_N315", "lambda_phage"] {
            let ref = try python(Self.pyComposition, [dataFile("\(g).fa.gz")]).split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
            for ext in ["fa.gz", "fa.bgz"] {
                let s = try GenomeStats.compute(path: dataFile("\(g).\(ext)"))
                XCTAssertEqual([s.records, s.bases, s.gc, s.n], ref, "\(g).\(ext)")
                XCTAssertEqual(s.format, ext == "fa.gz" ? .gzip : .bgzf)
            }
        }
    }

    func testFaiOfShippedGenomesValidatesAndMatchesStreaming() throws {
        let idx = try FaiIndex(path: dataFile("ecoli_MG1655_draft.fa.bgz"))
        XCTAssertEqual(idx.entries.count, 156)
        var sink = CollectSink()
        try FastaReader(path: dataFile("ecoli_MG1655_draft.fa.bgz")).read(into: &sink)
        XCTAssertEqual(idx.entries.map(\.length), sink.seqs.map(\.count))
        // Random access agrees with the stream at a few places on several contigs.
        for k in [0, 17, 155] {
            let len = sink.seqs[k].count
            for (a, b) in [(0, min(50, len)), (len / 2, min(len / 2 + 1000, len)), (max(0, len - 70), len)] {
                let got = try idx.fetchASCII(contig: sink.names[k], start: a, end: b)
                XCTAssertEqual(String(decoding: got, as: UTF8.self), decode(Array(sink.seqs[k][a..<b])))
            }
        }
    }

    /// Plain (uncompressed) FASTA over 64 KiB with a samtools .fai: the index validates and random access
    /// gives what `samtools faidx` gives (issue 10: plain offsets were taken for virtual BGZF offsets).
    func testPlainFastaWithSamtoolsFaiValidatesAndFetchesLikeSamtools() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("ecoli.fa").path
        XCTAssertEqual(try sh("zcat '\(dataFile("ecoli_K12_MG1655.fa.gz"))' > '\(plain)' && samtools faidx '\(plain)'").0, 0)
        let idx = try FaiIndex(path: plain)
        XCTAssertEqual(idx.entries.map(\.length), [4_639_675])
        let contig = idx.entries[0].name
        for (a, b) in [(0, 70), (65_530, 65_600), (1_000_003, 1_001_000), (4_639_600, 4_639_675)] {
            let got = try idx.fetchASCII(contig: contig, start: a, end: b)
            let (status, out, err) = try runCommand(["samtools", "faidx", plain, "\(contig):\(a + 1)-\(b)"])
            XCTAssertEqual(status, 0, err)
            let want = out.split(separator: "\n").dropFirst().joined()
            XCTAssertEqual(String(decoding: got, as: UTF8.self), want, "\(a)-\(b)")
        }
    }

    /// A .fai whose two equal-length records have swapped names is refused (it fetched the wrong record's
    /// bases), naming the .fai line and both records (issue 10).
    func testFaiWithSwappedNamesIsRefused() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fa = writeFasta(">one desc\nACGTACGTAC\nGG\n>two\nTTTTGGGGCC\nAA\n", in: dir)
        XCTAssertEqual(try sh("samtools faidx '\(fa)'").0, 0)
        XCTAssertNoThrow(try FaiIndex(path: fa))
        let fai = try String(contentsOfFile: fa + ".fai", encoding: .utf8)
        let lines = fai.split(separator: "\n").map(String.init)
        let swapped = [lines[0].replacingOccurrences(of: "one\t", with: "two\t"), lines[1].replacingOccurrences(of: "two\t", with: "one\t")]
        try (swapped.joined(separator: "\n") + "\n").write(toFile: fa + ".fai", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FaiIndex(path: fa)) { e in
            XCTAssertTrue("\(e)".contains(fa + ".fai:1") && "\(e)".contains("belongs to record 'one', not 'two'"), "\(e)")
        }
    }

    func testReverseComplementMatchesSamtoolsFaidxI() throws {
        // Random windows on both strands; the reverse ones must equal `samtools faidx -i`.
        var o = WindowsOptions(inputs: [dataFile("ecoli_K12_MG1655.fa.bgz")])
        o.sampler = .random(count: 20, perContig: false)
        o.strand = .both
        o.seed = 11
        let (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows.count, 40)
        var regions: [String] = []
        var ours: [String] = []
        for r in rows where r[3] == "-" {
            regions.append("\(r[0]):\(Int(r[1])! + 1)-\(r[2])")
            ours.append(r[7])
        }
        let (status, out, err) = try runCommand(["samtools", "faidx", "-i", dataFile("ecoli_K12_MG1655.fa.bgz")] + regions)
        XCTAssertEqual(status, 0, "samtools must be installed (.ci/run installs it): \(err)")
        var theirs: [String] = []
        for line in out.split(separator: "\n") {
            if line.hasPrefix(">") { theirs.append("") } else { theirs[theirs.count - 1] += line }
        }
        XCTAssertEqual(theirs, ours)
    }

    func testWindowsEqualPythonSlicesOnBothStrands() throws {
        var o = WindowsOptions(inputs: [dataFile("ecoli_MG1655_draft.fa.gz")])
        o.sampler = .random(count: 300, perContig: true)
        o.strand = .random
        o.seed = 5
        let (rows, _) = try windowsTSV(o)
        XCTAssertEqual(rows.count, 300)
        let spec = rows.map { "\($0[0]) \($0[1]) \($0[2]) \($0[3])" }.joined(separator: "\n")
        let script = """
        import gzip, sys
        seqs={}; name=None; parts=[]
        for line in gzip.open(sys.argv[1],'rt'):
            line=line.strip()
            if line.startswith('>'):
                if name: seqs[name]=''.join(parts)
                name=line[1:].split()[0]; parts=[]
            else: parts.append(line)
        seqs[name]=''.join(parts)
        comp=str.maketrans('ACGTNacgtn','TGCANtgcan')
        for l in sys.stdin:
            c,a,b,s=l.split()
            w=seqs[c][int(a):int(b)]
            print(w if s=='+' else w.translate(comp)[::-1])
        """
        let (status, out, err) = try runCommand([testPython, "-c", script, dataFile("ecoli_MG1655_draft.fa.gz")], stdin: spec + "\n")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out.split(separator: "\n").map(String.init), rows.map { $0[7] })
        XCTAssertTrue(rows.contains { $0[3] == "-" } && rows.contains { $0[3] == "+" })
    }

    func testTiledCountsMatchPythonPerContig() throws {
        let script = """
        import gzip, sys
        L={}; name=None
        for line in gzip.open(sys.argv[1],'rt'):
            line=line.strip()
            if line.startswith('>'): name=line[1:].split()[0]; L[name]=0
            else: L[name]+=len(line)
        W,S=1000,700
        print(sum((l-W)//S+1 for l in L.values() if l>=W), sum(1 for l in L.values() if l>=5000))
        """
        let ref = try python(script, [dataFile("ecoli_MG1655_draft.fa.gz")]).split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
        var o = WindowsOptions(inputs: [dataFile("ecoli_MG1655_draft.fa.bgz")])
        o.sampler = .tiled(stride: 700)
        let (rows, s) = try windowsTSV(o)
        XCTAssertEqual(rows.count, ref[0])
        XCTAssertEqual(s.counts.keptTotal, ref[0])
        // Minimum length filter (lengths from the .fai, checked while streaming).
        o.filter.minLength = 5000
        let (_, s2) = try windowsTSV(o)
        XCTAssertEqual(s2.contigsUsed, ref[1])
        XCTAssertEqual(s2.contigsRejected["shorter-than-min-length"], 156 - ref[1])
    }

    func testOutputIsIdenticalWhateverTheThreadCountAndFormat() throws {
        var outputs: [String] = []
        for (file, threads) in [("ecoli_K12_MG1655.fa.bgz", 1), ("ecoli_K12_MG1655.fa.bgz", 2), ("ecoli_K12_MG1655.fa.gz", 2)] {
            var o = WindowsOptions(inputs: [dataFile(file)])
            o.threads = threads
            o.strand = .random
            o.split = .hashed(val: 0.1, test: 0.1, blockSize: 50_000)
            o.seed = 3
            o.sampler = .tiled(stride: 333)
            let (rows, _) = try windowsTSV(o)
            outputs.append(rows.map { $0.joined(separator: "\t") }.joined(separator: "\n"))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
    }
}
