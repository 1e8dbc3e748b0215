import Foundation
import XCTest
import Shards
import TestSupport

/// Runs the built `genome-prep` binary the way a person does.
final class CLITests: XCTestCase {
    static let root = repoRoot
    var dir: URL!
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// The binary next to this test bundle (`swift test` builds every product).
    func binary() -> String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        for c in [bundle.appendingPathComponent("genome-prep"),
                  Self.root.appendingPathComponent(".build/debug/genome-prep")] where FileManager.default.isExecutableFile(atPath: c.path) {
            return c.path
        }
        XCTFail("genome-prep binary not found near \(bundle.path)")
        return "genome-prep"
    }

    func gp(_ args: String...) throws -> (Int32, String, String) { try tool(binary(), args) }

    func pmiStats(_ args: String...) throws -> (Int32, String, String) {
        try tool(URL(fileURLWithPath: binary()).deletingLastPathComponent().appendingPathComponent("pmi-stats").path, args)
    }

    func tool(_ path: String, _ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testMainJobOnShippedGenome() throws {
        let out = dir.appendingPathComponent("w.fa").path
        let (status, _, err) = try gp("windows", "data/ecoli_K12_MG1655.fa.bgz", "-o", out, "--val", "0.05", "--test", "0.05")
        XCTAssertEqual(status, 0, err)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let headers = text.split(separator: "\n").filter { $0.hasPrefix(">") }
        // 4,639,675 bp / 1000 = 4639 windows; hashed 100 kbp blocks never cut a 1 kbp tile.
        XCTAssertEqual(headers.count, 4639)
        XCTAssertTrue(err.contains("windows   4639 kept"), err)
        XCTAssertTrue(headers.first!.hasPrefix(">K-12-MG1655:1-1000(+) split="), "\(headers.first!)")
        XCTAssertEqual(Set(headers.map { $0.split(separator: "=").last! }), ["train", "val", "test"])
    }

    func testBadInputExitsNonZeroAndLeavesNoOutput() throws {
        let bad = dir.appendingPathComponent("bad.fa").path
        // The error comes late: many good windows are written before it.
        let good = String(repeating: "ACGT", count: 50_000)
        try ">chr1\n\(good)\n>chr2\nACGT?ACGT\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("w.fa").path
        let (status, _, err) = try gp("windows", bad, "-o", out)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err.contains("bad.fa:4"), err)
        XCTAssertTrue(err.contains("record 'chr2'"), err)
        XCTAssertTrue(err.contains("'?'"), err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output that looks complete")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testHelpTeachesAndUnknownOptionsFail() throws {
        let (s1, help, _) = try gp("windows", "--help")
        XCTAssertEqual(s1, 0)
        for word in ["--sampler", "--max-n-fraction", "--soft-mask", "--strand", "--split-block", "Examples"] {
            XCTAssertTrue(help.contains(word), word)
        }
        let (s2, _, err) = try gp("windows", "data/lambda_phage.fa.gz", "--windw", "10")
        XCTAssertNotEqual(s2, 0)
        XCTAssertTrue(err.contains("--windw"), err)
        let (s3, _, err3) = try gp("windows", "data/lambda_phage.fa.gz", "--sampler", "bed")
        XCTAssertNotEqual(s3, 0)
        XCTAssertTrue(err3.contains("--bed"), err3)
    }

    func testIndexBGZipAndFetch() throws {
        let gz = dir.appendingPathComponent("lambda.fa.gz").path
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("data/lambda_phage.fa.gz").path, toPath: gz)
        let (s0, _, e0) = try gp("fetch", gz, "x")
        XCTAssertEqual(s0, 1)
        XCTAssertTrue(e0.contains("--bgzip"), e0)
        let (s1, _, e1) = try gp("index", "--bgzip", gz)
        XCTAssertEqual(s1, 0, e1)
        let bgz = dir.appendingPathComponent("lambda.fa.bgz").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: bgz + ".gzi"))
        let (s2, out, e2) = try gp("fetch", bgz, "gi|9626243|ref|NC_001416.1|:1-12", "--reverse-complement")
        XCTAssertEqual(s2, 0, e2)
        // lambda starts GGGCGGCGACCT; its reverse complement is AGGTCGCCGCCC.
        XCTAssertTrue(out.contains("AGGTCGCCGCCC"), out)
    }

    func testTokenizerCommands() throws {
        let json = dir.appendingPathComponent("bpe.json").path
        let (s1, _, e1) = try gp("tokenizer", "train", "--kind", "bpe", "--vocab-size", "300", "data/lambda_phage.fa.gz", "-o", json)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(e1.contains("300 tokens"), e1)
        let (s2, info, _) = try gp("tokenizer", "info", json)
        XCTAssertEqual(s2, 0)
        XCTAssertTrue(info.contains("kind        bpe") && info.contains("uint16"), info)
        let (s3, enc, _) = try gp("tokenizer", "encode", "--tokenizer", json, "data/lambda_phage.fa.gz", "--count", "2")
        XCTAssertEqual(s3, 0)
        let lines = enc.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        // Decoding the ids of the first window gives back its 1000 bases (lambda starts GGGCGGCGACCT).
        let ids = lines[0].split(separator: "\t")[2].split(separator: " ").map(String.init)
        let (s4, dec, _) = try tool(binary(), ["tokenizer", "decode", "--tokenizer", json] + ids)
        XCTAssertEqual(s4, 0)
        XCTAssertEqual(dec.trimmingCharacters(in: .whitespacesAndNewlines).count, 1000)
        XCTAssertTrue(dec.hasPrefix("GGGCGGCGACCT"), dec)
        let (s5, _, e5) = try gp("tokenizer", "decode", "--tokenizer", json, "99999")
        XCTAssertEqual(s5, 1)
        XCTAssertTrue(e5.contains("unknown token id 99999"), e5)
        let (s6, _, e6) = try gp("tokenizer", "train", "--kind", "kmer", "--k", "9", "-o", json)
        XCTAssertEqual(s6, 1)
        XCTAssertTrue(e6.contains("'k'"), e6)
    }

    func testPMIStatsCommandAndTableCheck() throws {
        let prefix = dir.appendingPathComponent("lambda").path
        let (s1, _, e1) = try pmiStats("data/lambda_phage.fa.gz", "-k", "8", "--min-count", "5", "-o", prefix)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(e1.contains("top 20 6-mers") && e1.contains("peak RSS"), e1)
        let tsv = try String(contentsOfFile: prefix + ".tsv", encoding: .utf8)
        XCTAssertEqual(tsv.split(separator: "\n").count, 1 + 4 + 16 + 64 + 256 + 1024 + 4096)
        let (s2, _, e2) = try pmiStats("data/lambda_phage.fa.gz", "-k", "8", "--min-count", "5", "--check-table", prefix + ".rank6.bin")
        XCTAssertEqual(s2, 0, e2)
        let (s3, _, e3) = try pmiStats("data/ecoli_K12_MG1655.fa.gz", "-k", "8", "--min-count", "5", "--check-table", prefix + ".rank6.bin")
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("other settings") && e3.contains("ecoli_K12_MG1655.fa.gz"), e3)
    }

    func testVerifyAndInspectShards() throws {
        let ds = dir.appendingPathComponent("ds").path
        let w = try MDSWriter(directory: ds, columns: [MDSWriter.Column("tokens", .ndarrayUInt8), MDSWriter.Column("contig", .str),
                                                      MDSWriter.Column("start", .int64)], sizeLimit: 2_000)
        // Character tokens of ACGT repeats: A=5 C=6 G=7 T=8.
        for i in 0..<100 { try w.write([.u8(Array(repeating: [5, 6, 7, 8], count: 10).flatMap { $0 }), .str("chr1"), .int64(Int64(i * 40))]) }
        try w.finish()
        let tok = dir.appendingPathComponent("char.json").path
        XCTAssertEqual(try gp("tokenizer", "train", "--kind", "char", "-o", tok).0, 0)
        let (s1, out1, e1) = try gp("verify", ds)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(out1.contains("100 samples") && out1.contains("every hash and sample checked"), out1)
        // A dataset whose index records no hash this tool computes (MDSWriter(hashes=[]), or md5 only): verify
        // says what it checked, never "every hash". (Digest names that differ from the entry's hash list are
        // refused: IndexSpecimenTests.)
        let md5 = dir.appendingPathComponent("md5").path
        let w0 = try MDSWriter(directory: md5, columns: [MDSWriter.Column("tokens", .ndarrayUInt8), MDSWriter.Column("contig", .str),
                                                        MDSWriter.Column("start", .int64)], hashes: [], sizeLimit: 2_000)
        for i in 0..<100 { try w0.write([.u8(Array(repeating: [5, 6, 7, 8], count: 10).flatMap { $0 }), .str("chr1"), .int64(Int64(i * 40))]) }
        try w0.finish()
        let (s0, out0, e0) = try gp("verify", md5)
        XCTAssertEqual(s0, 0, e0)
        XCTAssertFalse(out0.contains("every hash"), out0)
        XCTAssertTrue(out0.contains("have no sha1 or xxh3_64") && out0.contains("size and decoding only"), out0)
        let (s2, out2, _) = try gp("inspect", ds, "--tokenizer", tok, "--samples", "2")
        XCTAssertEqual(s2, 0)
        XCTAssertTrue(out2.contains("sample 1  contig=chr1  start=40  tokens=[40 ids]"), out2)
        XCTAssertTrue(out2.contains("bases     ACGTACGT"), out2)
        let shard = ds + "/shard.00002.mds.zstd"
        var b = Array(try Data(contentsOf: URL(fileURLWithPath: shard)))
        b[b.count - 3] ^= 0xFF
        try Data(b).write(to: URL(fileURLWithPath: shard))
        let (s3, _, e3) = try gp("verify", ds)
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("shard.00002.mds.zstd") && e3.contains("shard 2"), e3)
        XCTAssertTrue(e3.contains("sample"), e3)   // and the samples the damage costs
    }

    /// Kill -9 at several points, rerun the same command, and compare with an uninterrupted run. zstd's own
    /// level-19 search keeps the run slow enough (seconds) for the kills to land mid-run.
    func testKillDashNineThenRerunGivesIdenticalShards() throws {
        func cfg(_ out: String) throws -> String {
            let p = dir.appendingPathComponent("\(out).json").path
            try """
            {"name": "k", "inputs": ["\(Self.root.path)/data/ecoli_K12_MG1655.fa.bgz"],
             "windows": {"window": 1000, "stride": 500, "seed": 3, "val": 0.1, "test": 0.1},
             "tokenizer": {"kind": "char"}, "shards": {"out": "\(dir.appendingPathComponent(out).path)", "sizeLimit": 20000, "zstdLevel": 19, "zstdMode": "search"}}
            """.write(toFile: p, atomically: true, encoding: .utf8)
            return p
        }
        func digest(_ out: String) throws -> [String: String] {
            var h: [String: String] = [:]
            for split in ["train", "val", "test"] {
                let d = dir.appendingPathComponent(out).appendingPathComponent(split).path
                for f in try FileManager.default.contentsOfDirectory(atPath: d) {
                    h[split + "/" + f] = String(describing: try Data(contentsOf: URL(fileURLWithPath: d + "/" + f)).hashValue)
                    h[split + "/" + f + "#size"] = String(try Data(contentsOf: URL(fileURLWithPath: d + "/" + f)).count)
                }
            }
            return h
        }
        let (s0, _, e0) = try gp("run", "--quiet", try cfg("ref"))
        XCTAssertEqual(s0, 0, e0)
        let want = try digest("ref")
        XCTAssertGreaterThan(want.count, 100)
        let resumed = try cfg("crash")
        // Kill points: as soon as a new shard appears, then 100 and 300 ms after one does.
        let trainDir = dir.appendingPathComponent("crash/train").path
        func shardCount() -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: trainDir)) ?? []).filter { $0.hasSuffix(".mds.zstd") }.count }
        for extraMs in [0, 100, 300] {
            let before = shardCount()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary())
            p.arguments = ["run", "--quiet", resumed]
            try p.run()
            while p.isRunning && shardCount() <= before { usleep(5_000) }
            usleep(UInt32(extraMs * 1000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let partial = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("crash/train").path)) ?? []
        XCTAssertGreaterThan(partial.filter { $0.hasSuffix(".mds.zstd") }.count, 0, "the kills should leave complete shards behind")
        XCTAssertFalse(partial.contains("index.json"), "no index.json before the run completes")
        let (s1, _, e1) = try gp("run", resumed)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(e1.contains("resuming train"), e1)
        XCTAssertEqual(try digest("crash"), want)
        XCTAssertEqual(try gp("verify", dir.appendingPathComponent("crash/train").path).0, 0)
    }

    /// Inputs are never destroyed or silently half-read (issue 10): an output that is an input, the same
    /// input twice, a pipe where a file is read twice, and outputs that cannot be created.
    func testInputsAreProtected() throws {
        let fa = dir.appendingPathComponent("x.fa").path
        try FileManager.default.copyItem(atPath: Self.root.appendingPathComponent("data/lambda_phage.fa.gz").path, toPath: fa + ".gz")
        XCTAssertEqual(try sh("zcat '\(fa).gz' > '\(fa)'").0, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: fa))
        let (s1, _, e1) = try gp("windows", fa, "-o", fa)
        XCTAssertEqual(s1, 1)
        XCTAssertTrue(e1.contains("the output is the input"), e1)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fa)), before)
        let (s2, _, e2) = try gp("windows", fa, dir.appendingPathComponent("./x.fa").path, "-o", dir.appendingPathComponent("w.fa").path)
        XCTAssertEqual(s2, 1)
        XCTAssertTrue(e2.contains("the same input is given twice"), e2)
        // pmi-stats reads a pipe once, checksumming what it parses: plain text from a pipe gives the file's
        // counts and the text's CRC-32; compressed data from a pipe cannot be checksummed and is refused as it
        // is opened. `stats` reads BGZF from a pipe through htslib (ISA-L reopens only regular files).
        let pmi = URL(fileURLWithPath: binary()).deletingLastPathComponent().appendingPathComponent("pmi-stats").path
        let p = dir.appendingPathComponent("p").path, q = dir.appendingPathComponent("q").path, z = dir.appendingPathComponent("z").path
        let (s3, e3) = try sh("'\(pmi)' <(cat '\(fa)') -k 6 -o '\(p)' --quiet")
        XCTAssertEqual(s3, 0, e3)
        XCTAssertEqual(try pmiStats(fa, "-k", "6", "-o", q, "--quiet").0, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p + ".tsv")), try Data(contentsOf: URL(fileURLWithPath: q + ".tsv")))
        let table = String(decoding: try Data(contentsOf: URL(fileURLWithPath: p + ".rank6.bin")).prefix(400), as: UTF8.self)
        let crc = try python("import zlib, sys; print(format(zlib.crc32(open(sys.argv[1], 'rb').read()), 'x'))", [fa]).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(table.contains("\"crc32\":\"\(crc)\""), table)
        let (s5, e5) = try sh("'\(pmi)' <(cat '\(fa).gz') -k 6 -o '\(z)'")
        XCTAssertEqual(s5, 1)
        XCTAssertTrue(e5.contains("/dev/fd/") && e5.contains("cannot be checksummed"), e5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: z + ".tsv"))
        // A pipeline reads its inputs more than once: a FIFO input is refused up front, with the reason (it hung).
        let fifo = dir.appendingPathComponent("pipe.fa").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let cfg = dir.appendingPathComponent("fifo.json").path
        try #"{"name": "f", "inputs": ["FIFO"], "shards": {"out": "OUT"}}"#.replacingOccurrences(of: "FIFO", with: fifo)
            .replacingOccurrences(of: "OUT", with: dir.appendingPathComponent("fifo-out").path).write(toFile: cfg, atomically: true, encoding: .utf8)
        let (s7, _, e7) = try gp("run", cfg)
        XCTAssertEqual(s7, 1)
        XCTAssertTrue(e7.contains(fifo) && e7.contains("not a regular file"), e7)
        let bgz = Self.root.appendingPathComponent("data/lambda_phage.fa.bgz").path
        let (s6, viaPipe) = try sh("'\(binary())' stats <(cat '\(bgz)')")
        XCTAssertEqual(s6, 0, viaPipe)
        let (_, viaFile, _) = try gp("stats", bgz)
        XCTAssertEqual(viaPipe.split(separator: "\n")[1].split(separator: "\t").dropFirst(), viaFile.split(separator: "\n")[1].split(separator: "\t").dropFirst())
        for args in [["windows", fa, "-o", "/nonexistent/x.tsv"]] {
            let (s, _, e) = try tool(binary(), args)
            XCTAssertEqual(s, 1, e)
            XCTAssertTrue(e.contains("/nonexistent/x.tsv: cannot create output"), e)
        }
        let (s4, _, e4) = try pmiStats(fa, "-k", "6", "-o", "/nonexistent/p")
        XCTAssertEqual(s4, 1)
        XCTAssertTrue(e4.contains("/nonexistent/p.tsv: cannot create output"), e4)
    }

    /// `stream` shows masked batches, measures the loader as JSON, and refuses a strategy the shards
    /// cannot serve with the folder and the reason.
    func testStreamShowsBatchesAndBenchmarksTheLoader() throws {
        let out = dir.appendingPathComponent("s").path
        let cfg = dir.appendingPathComponent("s.json").path
        try """
        {"name": "s", "inputs": ["\(Self.root.path)/data/lambda_phage.fa.gz"], "windows": {"window": 200, "seed": 2, "val": 0.1},
         "tokenizer": {"kind": "char"}, "shards": {"out": "\(out)", "sizeLimit": 5000}}
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        XCTAssertEqual(try gp("run", "--quiet", cfg).0, 0)
        let (s1, o1, e1) = try gp("stream", out, "--batches", "1", "--rows", "1", "--width", "50")
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(o1.hasPrefix("batch 0  epoch 0  bert  8 rows x 200 tokens"), o1)
        let lines = o1.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, o1)
        // Every ^ sits under a changed or kept target; [MASK] shows as #.
        XCTAssertTrue(lines[2].contains("#") && lines[3].contains("^"), o1)
        let (s2, o2, e2) = try gp("stream", out + "/train", "--bench", "--json", "--batches", "5", "--batch-size", "4")
        XCTAssertEqual(s2, 0, e2)
        let j = try JSONSerialization.jsonObject(with: Data(o2.utf8)) as! [String: Any]
        XCTAssertEqual(j["windows"] as? Int, 20)
        XCTAssertEqual(j["tokens"] as? Int, 4000)
        XCTAssertNotNil((j["stages"] as? [String: Any])?["decompress"])
        let (s3, _, e3) = try gp("stream", out, "--masking", "global-pmi")
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains(out + "/train") && e3.contains("pmi_rank"), e3)
        XCTAssertNotEqual(try gp("stream", out, "--masking", "nonsense").0, 0)
    }

    /// Progress: plain lines on stderr when it is not a terminal (here every check, by the environment
    /// override), with the percentage from the input's .fai, then the summary.
    func testRunPrintsProgressLinesAndASummary() throws {
        let cfg = dir.appendingPathComponent("p.json").path
        try """
        {"name": "p", "inputs": ["\(Self.root.path)/data/ecoli_K12_MG1655.fa.bgz"], "tokenizer": {"kind": "char"},
         "shards": {"out": "\(dir.appendingPathComponent("p").path)"}}
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        setenv("GENOMEPREP_PROGRESS_SECONDS", "0", 1)
        defer { unsetenv("GENOMEPREP_PROGRESS_SECONDS") }
        let (status, _, err) = try gp("run", cfg)
        XCTAssertEqual(status, 0, err)
        let lines = err.split(separator: "\n").filter { $0.hasPrefix("run: [") }
        // 4639 windows, checked every 1024: 4 lines, each with a bar, a percentage of 4.6 Mbp and a rate.
        XCTAssertEqual(lines.count, 4, err)
        XCTAssertTrue(lines.allSatisfy { $0.contains("% ") && $0.contains("/4 Mbase") && $0.contains("Mbase/s") }, err)
        XCTAssertTrue(err.contains("windows   4639 (train 4639, val 0, test 0)") && err.contains("bits per base"), err)
    }

    /// A full disk, simulated with a file-size cap (`ulimit -f`, EFBIG as ENOSPC would be): a clear error
    /// naming the file, exit 1, no index.json or provenance (nothing looks complete); once there is room,
    /// the same command finishes the job.
    func testFullDiskFailsClearlyThenTheSameCommandFinishes() throws {
        let out = dir.appendingPathComponent("full").path
        let cfg = dir.appendingPathComponent("full.json").path
        try """
        {"name": "f", "inputs": ["\(Self.root.path)/data/ecoli_K12_MG1655.fa.bgz"], "windows": {"seed": 1, "val": 0.1},
         "tokenizer": {"kind": "char"}, "shards": {"out": "\(out)", "sizeLimit": 1000000}}
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        // Shards of 1 MB raw compress to about 300 KB: a 200 KiB cap fails the first train shard.
        let (status, _, err) = try tool("/bin/bash", ["-c", "ulimit -f 200; exec '\(binary())' run --quiet '\(cfg)'"])
        XCTAssertEqual(status, 1, err)
        XCTAssertTrue(err.contains("File too large") && err.contains("/full/train/shard.0000"), err)
        let fm = FileManager.default
        XCTAssertFalse(fm.fileExists(atPath: out + "/train/index.json"))
        XCTAssertFalse(fm.fileExists(atPath: out + "/genomeprep.json"))
        let left = try fm.contentsOfDirectory(atPath: out + "/train")
        XCTAssertFalse(left.contains { $0.contains(".tmp") }, "\(left)")
        let (s2, _, e2) = try gp("run", cfg)
        XCTAssertEqual(s2, 0, e2)
        let (s3, o3, e3) = try gp("verify", out + "/train")
        XCTAssertEqual(s3, 0, e3)
        // 4639 tiles less val and the tiles dropped at split boundaries, as the summary reports.
        XCTAssertTrue(o3.contains("samples, every hash"), o3)
        XCTAssertTrue(e2.contains("windows   "), e2)
    }
}

/// MDS interoperability against the real MosaicML Streaming library (mosaicml-streaming 0.13.0, which
/// `.ci/python-env` installs in a cached environment outside the clone).
extension CLITests {
    /// The environment's python (TestSupport.interopPython); a skip, or in CI a failure, without it.
    func streamingPython() throws -> String {
        if let p = interopPython() { return p }
        let why = "no Python with mosaicml-streaming; `bash .ci/python-env` builds it"
        if interopRequired { XCTFail(why); throw XCTSkip(why) }
        throw XCTSkip(why)
    }

    func testStreamingDatasetReadsEveryPipelineAndMergedParts() throws {
        let python = try streamingPython()
        let t = self
        // Every shipped pipeline, with its output moved to a scratch folder.
        var outs: [String] = []
        let pipelines = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("pipelines").path)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix("train-") }.sorted()   // train-*.json are training configs
        XCTAssertGreaterThanOrEqual(pipelines.count, 4)
        func staged(_ name: String, out: String) throws -> String {
            let text = try String(contentsOfFile: CLITests.root.appendingPathComponent("pipelines/" + name).path, encoding: .utf8)
            let stem = String(name.dropLast(5))
            XCTAssertTrue(text.contains("\"out/\(stem)\""), "pipelines/\(name) writes to out/\(stem)")
            let cfg = dir.appendingPathComponent(name).path
            try text.replacingOccurrences(of: "\"out/\(stem)\"", with: "\"\(out)\"").write(toFile: cfg, atomically: true, encoding: .utf8)
            return cfg
        }
        for name in pipelines {
            let out = dir.appendingPathComponent(String(name.dropLast(5))).path
            let (status, _, err) = try t.gp("run", "--quiet", try staged(name, out: out))
            XCTAssertEqual(status, 0, "\(name): \(err)")
            outs.append(out)
        }
        // The character pipeline again in 3 parts, merged.
        let parts = dir.appendingPathComponent("parts").path
        let partsCfg = try staged("ecoli-char.json", out: parts)
        for i in 0..<3 {
            let (status, _, err) = try t.gp("run", "--quiet", partsCfg, "--part", "\(i)/3")
            XCTAssertEqual(status, 0, err)
        }
        let (ms, mout, merr) = try t.gp("merge", parts)
        XCTAssertEqual(ms, 0, merr)
        XCTAssertTrue(mout.contains("merged 3 parts"), mout)
        let single = outs.first { $0.hasSuffix("/ecoli-char") }!
        let script = CLITests.root.appendingPathComponent("Tests/CLITests/streaming_interop.py").path
        let (status, out, err) = try t.tool(python, [script, t.binary()] + outs + [parts, "--same", single, parts, "--merge-index", parts])
        XCTAssertEqual(status, 0, out + err)
        XCTAssertTrue(out.contains("total ") && out.contains(", 0 differ"), out)
        XCTAssertEqual(out.components(separatedBy: "byte-identical to streaming's merge_index").count - 1, 3, out)
        XCTAssertEqual(out.components(separatedBy: "the same ").count - 1, 3, out)
    }
}

/// The byte kernels' level never changes a byte: `windows` and `run` give identical output at every level
/// GENOMEPREP_SIMD selects (and --version names the level in use).
extension CLITests {
    func testOutputIsTheSameAtEveryKernelLevel() throws {
        let p = binary()
        var windows: [String] = [], indexes: [String] = []
        for level in ["scalar", "sse2", "avx2", "avx512"] {
            let (sv, version, _) = try runCommand(["GENOMEPREP_SIMD=\(level)", p, "--version"])
            XCTAssertEqual(sv, 0)
            XCTAssertTrue(version.contains("byte kernels: "), version)
            if level == "scalar" || level == "sse2" { XCTAssertTrue(version.contains(level), version) }
            let (s1, w, e1) = try runCommand(["GENOMEPREP_SIMD=\(level)", p, "windows", Self.root.appendingPathComponent("data/ecoli_MG1655_draft.fa.gz").path,
                                              "--format", "tsv", "--window", "500", "--stride", "250"], in: Self.root)
            XCTAssertEqual(s1, 0, e1)
            windows.append(w)
            let cfg = dir.appendingPathComponent("k-\(level).json").path
            try """
            {"version": 1, "name": "k", "inputs": ["\(Self.root.appendingPathComponent("data/lambda_phage.fa.bgz").path)"],
             "windows": {"window": 300, "softMask": "keep", "seed": 3}, "tokenizer": {"kind": "char"},
             "shards": {"out": "\(dir.appendingPathComponent("k-\(level)").path)", "gc": true}}
            """.write(toFile: cfg, atomically: true, encoding: .utf8)
            let (s2, _, e2) = try runCommand(["GENOMEPREP_SIMD=\(level)", p, "run", "--quiet", cfg])
            XCTAssertEqual(s2, 0, e2)
            indexes.append(try String(contentsOfFile: dir.appendingPathComponent("k-\(level)/train/index.json").path, encoding: .utf8))
        }
        XCTAssertGreaterThan(windows[0].split(separator: "\n").count, 10_000)
        XCTAssertEqual(Set(windows).count, 1, "windows output differs between kernel levels")
        XCTAssertEqual(Set(indexes).count, 1, "shards differ between kernel levels")
    }
}
