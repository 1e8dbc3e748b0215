import Foundation
import TestSupport
import XCTest

/// `genome-prep train` as a user runs it: kill -9 at two points, the same command again each time, and
/// the log (every step's loss, accuracy, learning rate and gradient norm, every eval) equals an
/// uninterrupted run's exactly; a changed config in the same folder is refused.
extension CLITests {
    /// Lambda-phage character shards (200 bp windows) and a tiny model's training config.
    func trainFixture(steps: Int = 40) throws -> (config: String, text: String) {
        let pipeline = dir.appendingPathComponent("lambda.json").path
        let shards = dir.appendingPathComponent("lambda").path
        try """
        {"version": 1, "name": "lambda", "inputs": ["data/lambda_phage.fa.bgz"],
         "windows": {"window": 200, "stride": 100, "seed": 1, "val": 0.2, "splitBlock": 5000},
         "tokenizer": {"kind": "char"}, "shards": {"out": "\(shards)", "sizeLimit": 8192}}
        """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let (s, _, e) = try gp("run", "--quiet", pipeline)
        XCTAssertEqual(s, 0, e)
        let text = """
        {"version": 1, "name": "lambda-bert",
         "data": {"train": [{"path": "\(shards)/train", "weight": 1}], "val": "\(shards)/val"},
         "model": {"layers": 2, "hidden": 32, "heads": 2, "intermediate": 64},
         "batch": {"size": 4, "accumulate": 2}, "steps": \(steps),
         "optimizer": {"lr": 0.003, "warmup": 4, "decay": "cosine", "clip": 1.0},
         "eval": {"interval": 10, "batches": 2}, "checkpoint": {"interval": 5, "keep": 2},
         "seed": 3, "shuffleBuffer": 64, "out": "\(dir.appendingPathComponent("run").path)"}
        """
        let config = dir.appendingPathComponent("train.json").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        return (config, text)
    }

    /// The log without the timing fields.
    func deterministicLog(_ run: String) throws -> [String] {
        try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            line.replacingOccurrences(of: #","tokens_per_s":[^,}]*"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #","stall":[^,}]*"#, with: "", options: .regularExpression)
        }
    }

    func testTrainResumesAfterKillWithIdenticalLosses() throws {
        let (config, _) = try trainFixture()
        let run = dir.appendingPathComponent("run").path
        let (s0, _, e0) = try gp("train", "--quiet", config)
        XCTAssertEqual(s0, 0, e0)
        let reference = try deterministicLog(run)
        XCTAssertEqual(reference.filter { $0.contains("\"loss\"") }.count, 40)
        XCTAssertEqual(reference.filter { $0.contains("eval_bits_per_base") }.count, 4)
        let losses = reference.compactMap { l -> Double? in
            guard let r = l.range(of: #""loss":[0-9.e-]+"#, options: .regularExpression) else { return nil }
            return Double(l[r].dropFirst(7))
        }
        XCTAssertLessThan(losses.suffix(5).reduce(0, +), losses.prefix(5).reduce(0, +), "the loss goes down")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted(), ["step-00000035", "step-00000040"])

        // Killed twice (after 13 and after 27 log lines), resumed each time.
        try FileManager.default.removeItem(atPath: run)
        for killAt in [13, 27] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary())
            p.arguments = ["train", "--quiet", config]
            p.currentDirectoryURL = Self.root
            p.standardError = FileHandle.nullDevice
            try p.run()
            var lines = 0
            while p.isRunning {
                lines = ((try? String(contentsOfFile: run + "/log.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count
                if lines >= killAt { kill(p.processIdentifier, SIGKILL); break }
                usleep(2000)
            }
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "killed mid-run (log had \(lines) lines)")
        }
        let (s1, _, e1) = try gp("train", config)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(e1.contains("resumed from the checkpoint at step"), e1)
        XCTAssertEqual(try deterministicLog(run), reference)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").contains { $0.hasPrefix(".tmp") })

        // A finished run run again does nothing and changes nothing.
        let (s2, _, e2) = try gp("train", "--quiet", config)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertEqual(try deterministicLog(run), reference)
    }

    func testTrainRefusesAnotherConfigsRunFolder() throws {
        let (config, text) = try trainFixture(steps: 3)
        let (s0, _, e0) = try gp("train", "--quiet", config)
        XCTAssertEqual(s0, 0, e0)
        try text.replacingOccurrences(of: "\"steps\": 3", with: "\"steps\": 4").write(toFile: config, atomically: true, encoding: .utf8)
        let (s1, _, e1) = try gp("train", "--quiet", config)
        XCTAssertEqual(s1, 1)
        XCTAssertTrue(e1.contains("another config") && e1.contains("/run"), e1)
        let (s2, _, e2) = try gp("train", "--quiet", "--overwrite", config)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertEqual(try deterministicLog(dir.appendingPathComponent("run").path).filter { $0.contains("\"loss\"") }.count, 4)
        // Config errors name the key.
        try text.replacingOccurrences(of: "\"heads\": 2", with: "\"heads\": 3").write(toFile: config, atomically: true, encoding: .utf8)
        let (s3, _, e3) = try gp("train", config)
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("model.heads") && e3.contains("train.json"), e3)
        try text.replacingOccurrences(of: "\"batch\"", with: "\"bacth\"").write(toFile: config, atomically: true, encoding: .utf8)
        let (s4, _, e4) = try gp("train", config)
        XCTAssertEqual(s4, 1)
        XCTAssertTrue(e4.contains("unknown key 'bacth'") && e4.contains("did you mean 'batch'"), e4)
    }
}

/// Exit statuses: 0 success, 1 runtime error, 2 usage error; a mistyped subcommand is named with the
/// right one.
extension CLITests {
    func testExitStatusesAndSubcommandSuggestion() throws {
        let (s0, _, e0) = try gp("trian", "pipelines/train-ecoli-char.json")
        XCTAssertEqual(s0, 2)
        XCTAssertTrue(e0.contains("'trian' is not a command") && e0.contains("Did you mean 'train'?"), e0)
        let (s1, _, e1) = try gp("windows")
        XCTAssertEqual(s1, 2, e1)
        XCTAssertTrue(e1.contains("Missing expected argument"), e1)
        let (s2, _, e2) = try gp("run", "--part", "zz", "pipelines/ecoli-char.json")
        XCTAssertEqual(s2, 2)
        XCTAssertTrue(e2.contains("0/4"), e2)
        let (s3, _, _) = try gp("stats", "--no-such-option", "data/lambda_phage.fa.gz")
        XCTAssertEqual(s3, 2)
        let (s4, _, e4) = try gp("stats", dir.appendingPathComponent("missing.fa").path)
        XCTAssertEqual(s4, 1)
        XCTAssertTrue(e4.contains("missing.fa"), e4)
        let (s5, o5, _) = try gp("stats", "-@", "1", "data/lambda_phage.fa.gz")
        XCTAssertEqual(s5, 0)
        XCTAssertTrue(o5.contains("48502"), o5)
        let (s6, _, _) = try gp("--help")
        XCTAssertEqual(s6, 0)
        let (s7, _, _) = try pmiStats("--bogus")
        XCTAssertEqual(s7, 2)
    }
}

/// `stats` length statistics against the real `seqkit stats -a` (Debian's seqkit): mean, Q1/Q2/Q3 and N50
/// on the E. coli draft (156 contigs) and on random files of 2 to 40 records.
extension CLITests {
    func testStatsLengthsMatchSeqkit() throws {
        guard (try? runCommand(["seqkit", "version"]))?.0 == 0 else {
            if ProcessInfo.processInfo.environment["GENOMEPREP_REQUIRE_INTEROP"] == "1" { XCTFail("seqkit missing (.ci/setup installs it)") }
            throw XCTSkip("seqkit is not installed (.ci/setup installs it)")
        }
        var files = [CLITests.root.appendingPathComponent("data/ecoli_MG1655_draft.fa.gz").path]
        struct LCG: RandomNumberGenerator {   // seeded: the same files every run
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            mutating func next() -> UInt64 { x = x &* 6364136223846793005 &+ 1442695040888963407; return x ^ (x >> 29) }
        }
        var rng = LCG()
        for f in 0..<6 {
            var text = ""
            for r in 0..<Int.random(in: 2...40, using: &rng) {
                text += ">r\(r)\n" + String(repeating: "ACGT", count: Int.random(in: 1...500, using: &rng)).prefix(Int.random(in: 1...2000, using: &rng)) + "\n"
            }
            let p = dir.appendingPathComponent("s\(f).fa").path
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            files.append(p)
        }
        // Means on a rounding tie (723.25, 2.25, 2.75) and just below one (697.05 as a double).
        for (f, lengths) in [[700, 700, 700, 793], [698] + Array(repeating: 697, count: 19), [2, 2, 2, 3], [2, 3, 3, 3]].enumerated() {
            let p = dir.appendingPathComponent("tie\(f).fa").path
            try lengths.enumerated().map { ">t\($0.offset)\n" + String(repeating: "A", count: $0.element) + "\n" }.joined()
                .write(toFile: p, atomically: true, encoding: .utf8)
            files.append(p)
        }
        let (s, ours, e) = try tool(binary(), ["stats"] + files)
        XCTAssertEqual(s, 0, e)
        let (s2, theirs, e2) = try runCommand(["seqkit", "stats", "-a", "-T"] + files)
        XCTAssertEqual(s2, 0, e2)
        let a = ours.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        let b = theirs.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(a.count, files.count)
        XCTAssertEqual(b.count, files.count)
        for (x, y) in zip(a, b) {
            // ours: file format records bases min max n lower gc avg q1 q2 q3 n50
            // seqkit: file format type num_seqs sum_len min_len avg_len max_len Q1 Q2 Q3 sum_gap N50 ...
            XCTAssertEqual(x[2], y[3], x[0]); XCTAssertEqual(x[3], y[4], x[0])
            XCTAssertEqual(Double(x[9]), Double(y[6]), x[0])
            XCTAssertEqual(Double(x[10]), Double(y[8]), "\(x[0]) Q1")
            XCTAssertEqual(Double(x[11]), Double(y[9]), "\(x[0]) Q2")
            XCTAssertEqual(Double(x[12]), Double(y[10]), "\(x[0]) Q3")
            XCTAssertEqual(x[13], y[12], "\(x[0]) N50")
        }
    }
}

/// `fetch` as samtools faidx: `-r` region files, headers as the regions were given, and `-w 0` (seqkit) for
/// no wrapping; compared byte for byte with the real samtools at width 60.
extension CLITests {
    func testFetchRegionFileHeadersAndWidthMatchSamtools() throws {
        let fa = CLITests.root.appendingPathComponent("data/ecoli_K12_MG1655.fa.bgz").path
        let regs = dir.appendingPathComponent("regions.txt").path
        try "K-12-MG1655:1-130\nK-12-MG1655:4639670\nK-12-MG1655:200-261\n".write(toFile: regs, atomically: true, encoding: .utf8)
        let (s, ours, e) = try gp("fetch", fa, "-r", regs)
        XCTAssertEqual(s, 0, e)
        let (s2, theirs, e2) = try runCommand(["samtools", "faidx", "-r", regs, fa])
        XCTAssertEqual(s2, 0, e2)
        XCTAssertEqual(ours, theirs)
        let (s3, flat, _) = try gp("fetch", fa, "K-12-MG1655:1-130", "-w", "0")
        XCTAssertEqual(s3, 0)
        XCTAssertEqual(flat.split(separator: "\n").map(\.count), [18, 130])
        let (s4, _, e4) = try gp("fetch", fa, "K-12-MG1655:1-10", "-w", "-1")
        XCTAssertEqual(s4, 2, e4)
    }
}

/// `verify` and `inspect` on a run's output folder cover every split; `inspect` finds the run's tokenizer
/// and shows soft-masked bases in lowercase.
extension CLITests {
    func testVerifyAndInspectARunFolder() throws {
        let fa = dir.appendingPathComponent("soft.fa").path
        try (">s\n" + String(repeating: "ACGTTGCA", count: 25) + String(repeating: "acgttgca", count: 25) + "\n").write(toFile: fa, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("run").path
        let cfg = dir.appendingPathComponent("soft.json").path
        try """
        {"name": "s", "inputs": ["\(fa)"], "windows": {"window": 100, "stride": 100, "softMask": "keep", "val": 0.3, "splitBlock": 100, "seed": 2},
         "tokenizer": {"kind": "char"}, "shards": {"out": "\(out)"}}
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        let (s0, _, e0) = try gp("run", "--quiet", cfg)
        XCTAssertEqual(s0, 0, e0)
        let (s1, o1, e1) = try gp("verify", out)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(o1.contains("/train: OK") && o1.contains("/val: OK"), o1)
        let (s2, o2, e2) = try gp("inspect", out, "--samples", "4")
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(o2.contains("bases     ACGTTGCA"), o2)
        XCTAssertTrue(o2.contains("bases     acgttgca"), "soft-masked bases in lowercase: \(o2)")
        let (s3, _, e3) = try gp("verify", dir.path)
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("no index.json"), e3)
    }
}

/// `-` reads standard input where a FASTA is read once (stats, windows); a pipeline, which reads its
/// inputs more than once, refuses it with the reason.
extension CLITests {
    func testStandardInput() throws {
        let fa = dir.appendingPathComponent("l.fa").path
        let (z, _) = try sh("zcat '\(CLITests.root.appendingPathComponent("data/lambda_phage.fa.gz").path)' > '\(fa)'")
        XCTAssertEqual(z, 0)
        let text = try String(contentsOfFile: fa, encoding: .utf8)
        let p = binary()
        let (s1, viaPipe, e1) = try runCommand([p, "stats", "-"], stdin: text)
        XCTAssertEqual(s1, 0, e1)
        let (_, viaFile, _) = try gp("stats", fa)
        XCTAssertEqual(viaPipe.split(separator: "\n")[1].split(separator: "\t").dropFirst(), viaFile.split(separator: "\n")[1].split(separator: "\t").dropFirst())
        let (s2, w1, e2) = try runCommand([p, "windows", "-", "--format", "bed", "--window", "5000"], stdin: text)
        XCTAssertEqual(s2, 0, e2)
        let (_, w2, _) = try gp("windows", fa, "--format", "bed", "--window", "5000")
        XCTAssertEqual(w1, w2)
        XCTAssertEqual(w1.split(separator: "\n").count, 9)
        let cfg = dir.appendingPathComponent("stdin.json").path
        try #"{"name": "s", "inputs": ["-"], "shards": {"out": "x"}}"#.write(toFile: cfg, atomically: true, encoding: .utf8)
        let (s3, _, e3) = try runCommand([p, "run", cfg], stdin: text)
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("standard input"), e3)
    }
}
