import Foundation
import XCTest
import Basics
import GenomeIO
@testable import Pipeline
import Shards
import TestSupport
import Tokenize

final class PipelineTests: XCTestCase {
    var dir: URL!
    let root = repoRoot
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-run-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func config(_ body: String, out: String = "out") throws -> String {
        let p = dir.appendingPathComponent("p-\(UUID().uuidString).json").path
        let text = body.replacingOccurrences(of: "DATA", with: root.appendingPathComponent("data").path)
                       .replacingOccurrences(of: "OUT", with: dir.appendingPathComponent(out).path)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    let charConfig = """
    {"version": 1, "name": "t", "inputs": ["DATA/ecoli_K12_MG1655.fa.bgz", "DATA/lambda_phage.fa.gz"],
     "windows": {"window": 1000, "stride": 1000, "seed": 5, "val": 0.1, "test": 0.1, "splitBlock": 20000},
     "tokenizer": {"kind": "char"}, "shards": {"out": "OUT", "sizeLimit": 500000}}
    """

    func testCharPipelineShardsHoldTheGenomeWindows() throws {
        let c = try PipelineConfig.load(path: try config(charConfig))
        let s = try PipelineRunner.run(c)
        // Independent check of every 37th sample: decoded tokens equal htslib faidx at (contig, start).
        let ecoli = try FaiIndex(path: root.appendingPathComponent("data/ecoli_K12_MG1655.fa.bgz").path)
        let tok = try HFTokenizerJSON.load(path: c.out + "/tokenizer.json")
        var total = 0
        for (i, split) in ["train", "val", "test"].enumerated() {
            let r = try MDSReader(directory: c.out + "/" + split)
            XCTAssertEqual(r.sampleCount, s.windows[i], split)
            XCTAssertEqual(try r.verify(), s.windows[i])
            total += r.sampleCount
            for j in stride(from: 0, to: r.sampleCount, by: 37) {
                let x = try r.sample(j)
                guard case .str(let contig)? = x["contig"], case .int64(let start)? = x["start"], case .u8(let ids)? = x["tokens"],
                      case .str(let source)? = x["source"] else { return XCTFail("columns") }
                let bases = String(decoding: try tok.decode(ids.map(UInt32.init)), as: UTF8.self)
                if source == "ecoli_K12_MG1655.fa.bgz" {
                    let want = try ecoli.fetchASCII(contig: contig, start: Int(start), end: Int(start) + 1000)
                    XCTAssertEqual(bases, String(decoding: want, as: UTF8.self).uppercased(), "\(split) \(j)")
                } else {
                    XCTAssertEqual(source, "lambda_phage.fa.gz")
                    XCTAssertEqual(bases.count, 1000)
                }
            }
        }
        // 4639 E. coli + 48 lambda tiles, less those dropped at split boundaries.
        XCTAssertEqual(total + (s.dropped["crosses-split-boundary"] ?? 0), 4639 + 48)
        let prov = try String(contentsOfFile: c.out + "/genomeprep.json", encoding: .utf8)
        XCTAssertTrue(prov.contains("\"seed\": 5") && prov.contains("crc32") && prov.contains("char, 10 tokens, sha1"), prov)
        try checkInputChecksums(c)
    }

    /// The inputs' size and CRC-32 in genomeprep.json (computed while sharding for plain and BGZF files, in
    /// a side pass for plain gzip) against Python's zlib over the files as stored.
    func checkInputChecksums(_ c: PipelineConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try python("""
        import json, sys, zlib, os
        print(json.dumps([{"name": os.path.basename(p), "bytes": os.path.getsize(p), "crc32": format(zlib.crc32(open(p, "rb").read()), "x")} for p in sys.argv[1:]], sort_keys=True))
        """, c.inputs)
        let prov = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: c.out + "/genomeprep.json"))))
        let got = try prov.field("inputs")
        XCTAssertEqual(got.renderPython(), try JSONValue.parse(Array(want.trimmingCharacters(in: .whitespacesAndNewlines).utf8)).renderPython(), file: file, line: line)
    }

    func testPlainInputChecksumComesFromTheShardingPass() throws {
        let plain = dir.appendingPathComponent("lambda.fa").path
        let (rc, _) = try sh("gzip -dc '\(root.appendingPathComponent("data/lambda_phage.fa.gz").path)' > '\(plain)'")
        XCTAssertEqual(rc, 0)
        let c = try PipelineConfig.load(path: try config("""
        {"version": 1, "name": "t", "inputs": ["\(plain)", "DATA/saureus_N315.fa.bgz"], "windows": {"window": 500, "seed": 1},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT"}}
        """))
        _ = try PipelineRunner.run(c)
        try checkInputChecksums(c)
    }

    /// genomeprep.json describes the tokens for readers without the tokenizer (DatasetInfo): every id is
    /// checked against the real Hugging Face `tokenizers` reading the tokenizer.json of the same run.
    func testDatasetInfoNamesTheVocabularyForReadersWithoutTheTokenizer() throws {
        let cases: [(String, String)] = [
            ("char", #""tokenizer": {"kind": "char"}"#),
            ("kmer", #""tokenizer": {"kind": "kmer", "k": 6}"#),
            ("bpe", #""tokenizer": {"kind": "bpe", "vocabSize": 300}"#),
        ]
        for (name, tok) in cases {
            let c = try PipelineConfig.load(path: try config("""
            {"version": 1, "name": "d", "inputs": ["DATA/lambda_phage.fa.gz"],
             "windows": {"window": 500, "stride": 500, "seed": 1, "val": 0.1},
             \(tok), "shards": {"out": "OUT"}}
            """, out: name))
            _ = try PipelineRunner.run(c)
            let info = try DatasetInfo.load(folder: c.out + "/train")   // a split folder finds its run's file
            XCTAssertEqual(try DatasetInfo.load(folder: c.out), info)
            XCTAssertEqual(info.tokenizer, name)
            XCTAssertEqual(info.window, 500)
            XCTAssertEqual(info.tokenColumn, "tokens")
            XCTAssertFalse(info.hasPMIRank)
            // The same numbers from the real `tokenizers` library.
            let script = """
            import json, sys
            from tokenizers import Tokenizer
            t = Tokenizer.from_file(sys.argv[1])
            ids = lambda *names: next((t.token_to_id(n) for n in names if t.token_to_id(n) is not None), None)
            print(json.dumps([t.get_vocab_size(), ids("[PAD]", "<pad>"), ids("[UNK]", "<unk>"), ids("[CLS]", "<cls>"),
                              ids("[SEP]", "<eos>"), ids("[MASK]", "<mask>"), [t.token_to_id(b) for b in "ACGTN"]]))
            """
            let want = try python(script, [c.out + "/tokenizer.json"]).trimmingCharacters(in: .whitespacesAndNewlines)
            let s = info.specialIDs
            let b = info.baseIDs
            func j(_ v: Int?) -> String { v.map(String.init) ?? "null" }
            let got = "[\(info.vocabSize), \(j(s.pad)), \(j(s.unk)), \(j(s.cls)), \(j(s.sep)), \(j(s.mask)), "
                + "[\(j(b?.a)), \(j(b?.c)), \(j(b?.g)), \(j(b?.t)), \(j(b?.n))]]"
            if name == "char" {
                XCTAssertEqual(got, want, name)
                XCTAssertEqual(info.tokensPerWindow, 500)
            } else {
                // k-mer and BPE vocabularies hold "A" ... only as merges' bases (BPE) or not at all:
                // base_ids is for character tokens only, so compare the rest.
                XCTAssertNil(b, name)
                XCTAssertEqual(String(want[..<want.range(of: ", [")!.lowerBound]), String(got[..<got.range(of: ", [")!.lowerBound]), name)
            }
            if name == "kmer" { XCTAssertEqual(info.k, 6); XCTAssertEqual(info.tokensPerWindow, 495); XCTAssertEqual(info.vocabSize, 4101) }
            if name == "bpe" { XCTAssertNil(info.tokensPerWindow); XCTAssertEqual(info.tokenDType, "uint16") }
        }
    }

    /// Every kind's run folder is a tokenizer `transformers` loads (transformers_tokenizer.py): special
    /// ids, shard ids = encode without specials, the checkpoints' specials with them, decode, padding, and
    /// DataCollatorForLanguageModeling.
    func testTransformersLoadsEveryKindsTokenizer() throws {
        guard let python = interopPython() else {
            if interopRequired { XCTFail("no interop Python") }
            throw XCTSkip("no Python with transformers; `bash .ci/python-env` builds it")
        }
        let cases: [(String, String, Int, Int)] = [
            ("char", #""tokenizer": {"kind": "char"}"#, 1, 0),
            ("kmer", #""tokenizer": {"kind": "kmer", "k": 6}"#, 6, 0),
            ("nt-kmer", #""tokenizer": {"kind": "nt-kmer", "k": 6}"#, 6, 0),
            ("barcode-kmer", #""tokenizer": {"kind": "barcode-kmer", "k": 6, "offset": 2}"#, 6, 2),
            ("bpe", #""tokenizer": {"kind": "bpe", "vocabSize": 300}"#, 1, 0),
        ]
        for (name, tok, k, offset) in cases {
            let c = try PipelineConfig.load(path: try config("""
            {"version": 1, "name": "t", "inputs": ["DATA/lambda_phage.fa.gz"],
             "windows": {"window": 300, "stride": 300, "seed": 1, "val": 0.1},
             \(tok), "shards": {"out": "OUT"}}
            """, out: "hf-" + name))
            _ = try PipelineRunner.run(c)
            let script = repoRoot.appendingPathComponent("Tests/PipelineTests/transformers_tokenizer.py").path
            let (status, out, err) = try runCommand([python, script, c.out, dataFile("lambda_phage.fa.gz"), name, String(k), String(offset)])
            XCTAssertEqual(status, 0, "\(name): \(err)")
            XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "ok", name)
        }
    }

    /// The `genomeprep` Python package, pip-installed from python/ into a scratch folder: a DataLoader with 2
    /// workers over every kind's shards (BPE and NT k-mers of varying length included) yields every
    /// sample once with the right ids and padding, also from a remote; and the README's snippet runs.
    func testPythonPackage() throws {
        guard let python = interopPython() else {
            if interopRequired { XCTFail("no interop Python") }
            throw XCTSkip("no Python with torch and streaming; `bash .ci/python-env` builds it")
        }
        let site = tempDir("gp-python")
        defer { try? FileManager.default.removeItem(at: site) }
        let (ps, _, pe) = try runCommand([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                                          "--target", site.path, repoRoot.appendingPathComponent("python").path])
        XCTAssertEqual(ps, 0, pe)
        try? FileManager.default.removeItem(at: repoRoot.appendingPathComponent("python/build"))
        try? FileManager.default.removeItem(at: repoRoot.appendingPathComponent("python/genomeprep.egg-info"))
        let script = repoRoot.appendingPathComponent("Tests/PipelineTests/python_package.py").path
        func py(_ args: [String]) throws -> (Int32, String, String) {
            try runCommand(["env", "PYTHONPATH=" + site.path, "PYTHONDONTWRITEBYTECODE=1", python, script] + args)
        }
        let cases: [(String, String)] = [
            ("char", #""tokenizer": {"kind": "char"}"#),
            ("kmer-pmi", #""tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"maxK": 7, "minCount": 2}"#),
            ("nt-kmer", #""tokenizer": {"kind": "nt-kmer", "k": 6}"#),
            ("barcode", #""tokenizer": {"kind": "barcode-kmer", "k": 6}"#),
            ("bpe", #""tokenizer": {"kind": "bpe", "vocabSize": 300}"#),
        ]
        for (name, tok) in cases {
            let c = try PipelineConfig.load(path: try config("""
            {"version": 1, "name": "p", "inputs": ["DATA/lambda_phage.fa.gz"],
             "windows": {"window": 300, "stride": 300, "seed": 1, "softMask": "keep"}, \(tok), "shards": {"out": "OUT", "sizeLimit": 4096}}
            """, out: "py-" + name))
            _ = try PipelineRunner.run(c)
            let (s, o, e) = try py(["check", c.out, site.appendingPathComponent("cache-" + name).path])
            XCTAssertEqual(s, 0, "\(name): \(e)")
            XCTAssertEqual(o.trimmingCharacters(in: .whitespacesAndNewlines), "ok", name)
        }
        // The README's snippet, pointed at a scratch E. coli run.
        let readme = try String(contentsOf: repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "```python\n"), let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex) else {
            return XCTFail("no python snippet in the README")
        }
        let text = try String(contentsOf: repoRoot.appendingPathComponent("pipelines/ecoli-char.json"), encoding: .utf8)
        let ecoli = site.appendingPathComponent("ecoli-char").path
        let cfg = site.appendingPathComponent("ecoli.json").path
        try text.replacingOccurrences(of: "\"out/ecoli-char\"", with: "\"\(ecoli)\"")
            .replacingOccurrences(of: "\"data/", with: "\"\(repoRoot.path)/data/").write(toFile: cfg, atomically: true, encoding: .utf8)
        _ = try PipelineRunner.run(try PipelineConfig.load(path: cfg))
        let snippet = site.appendingPathComponent("snippet.py").path
        try String(readme[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "\"out/ecoli-char\"", with: "\"\(ecoli)\"")
            .write(toFile: snippet, atomically: true, encoding: .utf8)
        let (s, o, e) = try py(["snippet", snippet])
        XCTAssertEqual(s, 0, e)
        XCTAssertEqual(o.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }

    /// `"tokenizer": {"file": ...}`: genome B sharded with genome A's BPE (B's tokenizer.json is A's
    /// vocabulary and merges, and B's ids are what the real `tokenizers` encodes with A's file); a
    /// post-processor GenomePrep would not apply is refused, and so is mixing `file` with other keys.
    func testPipelineUsesAnExistingTokenizerFile() throws {
        let a = try PipelineConfig.load(path: try config("""
        {"version": 1, "name": "a", "inputs": ["DATA/lambda_phage.fa.gz"], "windows": {"window": 300, "stride": 300},
         "tokenizer": {"kind": "bpe", "vocabSize": 300}, "shards": {"out": "OUT"}}
        """, out: "genome-a"))
        _ = try PipelineRunner.run(a)
        let aTok = a.out + "/tokenizer.json"
        let b = try PipelineConfig.load(path: try config("""
        {"version": 1, "name": "b", "inputs": ["DATA/lambda_phage.fa.bgz"], "windows": {"window": 250, "stride": 250},
         "tokenizer": {"file": "\(aTok)"}, "shards": {"out": "OUT"}}
        """, out: "genome-b"))
        XCTAssertEqual(b.tokenizer, .bpe)
        _ = try PipelineRunner.run(b)
        let bInfo = try DatasetInfo.load(folder: b.out), aInfo = try DatasetInfo.load(folder: a.out)
        XCTAssertEqual(bInfo.vocabSize, aInfo.vocabSize)
        XCTAssertEqual(try String(contentsOfFile: b.out + "/tokenizer.json", encoding: .utf8), try String(contentsOfFile: aTok, encoding: .utf8))
        let r = try MDSReader(directory: b.out + "/train")
        var starts: [String] = [], ids: [String] = []
        for i in [0, 7, r.sampleCount - 1] {
            let x = try r.sample(i)
            guard case .int64(let st)? = x["start"], case .u16(let t)? = x["tokens"] else { return XCTFail("columns") }
            starts.append(String(st)); ids.append(t.map(String.init).joined(separator: " "))
        }
        let script = """
        import gzip, sys
        from tokenizers import Tokenizer
        g = "".join(l.strip() for l in gzip.open(sys.argv[2], "rt") if not l.startswith(">")).upper()
        t = Tokenizer.from_file(sys.argv[1])
        for s in sys.argv[3:]:
            print(" ".join(map(str, t.encode(g[int(s):int(s) + 250], add_special_tokens=False).ids)))
        """
        let want = try python(script, [aTok, dataFile("lambda_phage.fa.gz")] + starts).split(separator: "\n").map(String.init)
        XCTAssertEqual(ids, want)

        // Refused: a post-processor that would be ignored, and `file` with other keys.
        let text = try String(contentsOfFile: aTok, encoding: .utf8)
        guard let ppStart = text.range(of: "\"post_processor\":"), let ppEnd = text.range(of: ",\"decoder\":") else { return XCTFail("layout") }
        let bert = text.replacingCharacters(in: ppStart.upperBound..<ppEnd.lowerBound,
                                            with: #"{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]}"#)
        let bad = dir.appendingPathComponent("bert-pp.json").path
        try bert.write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PipelineConfig.load(path: try config("""
        {"name": "c", "inputs": ["DATA/lambda_phage.fa.gz"], "tokenizer": {"file": "\(bad)"}, "shards": {"out": "OUT"}}
        """, out: "genome-c"))) { e in XCTAssertTrue("\(e)".contains("post_processor") && "\(e)".contains("BertProcessing"), "\(e)") }
        XCTAssertThrowsError(try PipelineConfig.load(path: try config("""
        {"name": "c", "inputs": ["DATA/lambda_phage.fa.gz"], "tokenizer": {"file": "\(aTok)", "kind": "char"}, "shards": {"out": "OUT"}}
        """, out: "genome-c"))) { e in XCTAssertTrue("\(e)".contains("takes no other tokenizer keys"), "\(e)") }
    }

    /// Labelled inputs give a `label` column, `shards.gc` a `gc` column (checked against the tokens),
    /// `softMask: drop` drops lowercase-heavy windows, and `pmi.strand` reaches the PMI table.
    func testLabelsGCSoftMaskDropAndPMIStrand() throws {
        // A genome whose second half is lowercase.
        var rng = SplitMix64(seed: 4)
        let bases = Array("ACGT".utf8)
        let upper = (0..<4000).map { _ in bases[Int(rng.below(4))] }, lower = (0..<4000).map { _ in bases[Int(rng.below(4))] + 32 }
        let soft = dir.appendingPathComponent("soft.fa").path
        try (">soft\n" + String(decoding: upper + lower, as: UTF8.self) + "\n").write(toFile: soft, atomically: true, encoding: .utf8)
        let c = try PipelineConfig.load(path: try config("""
        {"version": 1, "name": "l", "inputs": [{"path": "DATA/lambda_phage.fa.gz", "label": "phage"}, {"path": "\(soft)", "label": "synthetic", "weight": 3}],
         "windows": {"window": 500, "stride": 500, "softMask": "drop", "maxLowerFraction": 0.5},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT", "gc": true}}
        """, out: "labels"))
        XCTAssertEqual(c.labels ?? [], ["phage", "synthetic"])
        let summary = try PipelineRunner.run(c)
        XCTAssertEqual(summary.dropped["soft-masked"], 8, "the 8 lowercase windows of the synthetic genome")
        let r = try MDSReader(directory: c.out + "/train")
        XCTAssertEqual(r.sampleCount, 48502 / 500 + 3 * 8, "the synthetic genome's 8 windows written 3 times (weight 3)")
        // With val and test splits the weight repeats train windows only: val and test hold each window once.
        let split = try PipelineConfig.load(path: try config("""
        {"version": 1, "name": "w", "inputs": [{"path": "DATA/lambda_phage.fa.gz", "weight": 3}],
         "windows": {"window": 500, "stride": 500, "val": 0.3, "test": 0.3, "splitBlock": 5000, "seed": 2},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT"}}
        """, out: "weighted"))
        let ws = try PipelineRunner.run(split)
        var once = split
        once.weights = nil
        once.out = dir.appendingPathComponent("unweighted").path
        let us = try PipelineRunner.run(once)
        XCTAssertGreaterThan(us.windows[1], 0); XCTAssertGreaterThan(us.windows[2], 0)
        XCTAssertEqual(ws.windows[0], 3 * us.windows[0])
        XCTAssertEqual(ws.windows[1], us.windows[1]); XCTAssertEqual(ws.windows[2], us.windows[2])
        for (k, name) in ["train", "val", "test"].enumerated() {
            XCTAssertEqual(try MDSReader(directory: split.out + "/" + name).sampleCount, ws.windows[k], name)
        }
        var seen: [String: Int] = [:]
        for i in 0..<r.sampleCount {
            let x = try r.sample(i)
            guard case .u8(let t)? = x["tokens"], case .str(let label)? = x["label"], case .int64(let gc)? = x["gc"],
                  case .str(let source)? = x["source"] else { return XCTFail("columns of sample \(i)") }
            XCTAssertEqual(label, source == "soft.fa" ? "synthetic" : "phage")
            XCTAssertEqual(Int(gc), t.filter { $0 == 6 || $0 == 7 }.count, "sample \(i): G + C")
            seen[label, default: 0] += 1
        }
        XCTAssertEqual(seen, ["phage": 97, "synthetic": 24])
        // Bad inputs: a fractional weight, a half-labelled list.
        XCTAssertThrowsError(try PipelineConfig.load(path: try config("""
        {"name": "l", "inputs": [{"path": "DATA/lambda_phage.fa.gz", "weight": 2.5}], "shards": {"out": "OUT"}}
        """))) { e in XCTAssertTrue("\(e)".contains("inputs[0].weight") && "\(e)".contains("data.train"), "\(e)") }
        XCTAssertThrowsError(try PipelineConfig.load(path: try config("""
        {"name": "l", "inputs": [{"path": "DATA/lambda_phage.fa.gz", "label": "x"}, "\(soft)"], "shards": {"out": "OUT"}}
        """))) { e in XCTAssertTrue("\(e)".contains("all labelled"), "\(e)") }
        // pmi.strand: the table records the strand it counted.
        for strand in ["forward", "canonical"] {
            let p = try PipelineConfig.load(path: try config("""
            {"name": "k", "inputs": ["DATA/lambda_phage.fa.gz"], "windows": {"window": 200, "stride": 200},
             "tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"maxK": 7, "minCount": 3, "strand": "\(strand)"}, "shards": {"out": "OUT"}}
            """, out: "pmi-" + strand))
            _ = try PipelineRunner.run(p)
            XCTAssertEqual(try PMIRankTable.load(path: p.out + "/pmi.rank6.bin").settings.strand, strand)
        }
    }

    /// PMI ranks of a pipeline come from the train split only (as BPE): equal to pmi-stats' ranks on a
    /// FASTA holding exactly the train windows, one record each (written here by a separate window pass),
    /// and different from the whole genome's.
    func testPMICountsTheTrainSplitOnly() throws {
        let c = try PipelineConfig.load(path: try config("""
        {"name": "k", "inputs": ["DATA/lambda_phage.fa.gz"],
         "windows": {"window": 500, "stride": 500, "seed": 1, "val": 0.3, "test": 0.1, "splitBlock": 5000},
         "tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"maxK": 7, "minCount": 2}, "shards": {"out": "OUT"}}
        """, out: "pmi-train"))
        _ = try PipelineRunner.run(c)
        let table = try PMIRankTable.load(path: c.out + "/pmi.rank6.bin")
        XCTAssertTrue(table.settings.scope.hasPrefix("train windows: window 500"), table.settings.scope)

        struct TrainFASTA: WindowOutput {
            var text = ""
            mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                                codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
                guard split == .train else { return }
                text += ">w\(start)\n" + String(decoding: codes.map { BaseCode.decodeTable[Int($0 & 7)] }, as: UTF8.self) + "\n"
            }
        }
        var o = WindowsOptions(inputs: c.inputs)
        o.window = 500; o.sampler = .tiled(stride: 500); o.seed = 1
        o.split = .hashed(val: 0.3, test: 0.1, blockSize: 5000)
        let (summary, out) = try WindowsJob.run(o, into: TrainFASTA())
        XCTAssertGreaterThan(summary.counts.kept[1] + summary.counts.kept[2], 10, "val and test hold windows")
        let fa = dir.appendingPathComponent("train-windows.fa").path
        try out.text.write(toFile: fa, atomically: true, encoding: .utf8)
        func ranks(_ inputs: [String]) throws -> [UInt16] {
            var po = PMIOptions(inputs: inputs)
            po.maxK = 7; po.minCount = 2; po.rankN = 6
            po.tablePath = dir.appendingPathComponent("t-\(UUID().uuidString).bin").path
            _ = try PMIJob.run(po)
            return try PMIRankTable.load(path: po.tablePath!).ranks
        }
        XCTAssertEqual(table.ranks, try ranks([fa]))
        XCTAssertNotEqual(table.ranks, try ranks(c.inputs), "the whole genome ranks differently")
    }

    /// [UNK] (k-mers with N) gets a PMI rank of its own, above every k-mer's (the table's ranks are a
    /// permutation of 1...4096; [UNK] and the specials get 4097). Before, [UNK] shared 4096 with the worst k-mer.
    func testUnknownTokensGetARankOfTheirOwn() throws {
        var rng = SplitMix64(seed: 9)
        let bases = Array("ACGT".utf8)
        var seq = (0..<20000).map { _ in bases[Int(rng.below(4))] }
        for i in stride(from: 150, to: 20000, by: 400) { seq[i] = UInt8(ascii: "N") }
        let fa = dir.appendingPathComponent("n.fa").path
        try (">n\n" + String(decoding: seq, as: UTF8.self) + "\n").write(toFile: fa, atomically: true, encoding: .utf8)
        let c = try PipelineConfig.load(path: try config("""
        {"name": "u", "inputs": ["\(fa)"], "windows": {"window": 400, "stride": 400, "maxNFraction": 0.5},
         "tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"maxK": 7, "minCount": 2}, "shards": {"out": "OUT"}}
        """, out: "unk-rank"))
        _ = try PipelineRunner.run(c)
        let table = try PMIRankTable.load(path: c.out + "/pmi.rank6.bin")
        XCTAssertEqual(Set(table.ranks), Set(1...4096))
        let r = try MDSReader(directory: c.out + "/train")
        var unk = 0
        for i in 0..<r.sampleCount {
            guard case .u16(let ids)? = try r.sample(i)["tokens"], case .u16(let ranks)? = try r.sample(i)["pmi_rank"] else { return XCTFail("columns") }
            for (id, rank) in zip(ids, ranks) {
                if id == 1 { unk += 1; XCTAssertEqual(rank, 4097) } else { XCTAssertLessThanOrEqual(rank, 4096) }
            }
        }
        XCTAssertEqual(unk, 50 * 6, "every window holds one N: 6 [UNK] k-mers each")
    }

    func testOutputIsByteIdenticalWhateverTheThreadCountAndRerun() throws {
        var hashes: [[String: String]] = []
        for (n, threads) in [1, 2, 2].enumerated() {
            let out = n == 2 ? "o1" : "o\(n)"       // the third run reuses o1: same config, same bytes
            let c = try PipelineConfig.load(path: try config(charConfig.replacingOccurrences(of: "OUT", with: "OUT"), out: out))
            _ = try PipelineRunner.run(c, threads: threads)
            var h: [String: String] = [:]
            for split in ["train", "val", "test"] {
                for f in try FileManager.default.contentsOfDirectory(atPath: c.out + "/" + split).sorted() {
                    h[split + "/" + f] = MDSHash.sha1.hex(Array(try Data(contentsOf: URL(fileURLWithPath: c.out + "/" + split + "/" + f))))
                }
            }
            hashes.append(h)
        }
        XCTAssertGreaterThan(hashes[0].count, 4)
        XCTAssertEqual(hashes[0], hashes[1])
        XCTAssertEqual(hashes[1], hashes[2])
    }

    func testKmerPMIColumnHoldsTheTableRanks() throws {
        let c = try PipelineConfig.load(path: try config("""
        {"name": "k", "inputs": ["DATA/lambda_phage.fa.gz"], "windows": {"window": 200, "stride": 200},
         "tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"maxK": 8, "minCount": 3}, "shards": {"out": "OUT"}}
        """))
        _ = try PipelineRunner.run(c)
        let table = try PMIRankTable.load(path: c.out + "/pmi.rank6.bin")
        let r = try MDSReader(directory: c.out + "/train")
        XCTAssertEqual(r.sampleCount, 48502 / 200)
        let x = try r.sample(3)
        guard case .u16(let ids)? = x["tokens"], case .u16(let ranks)? = x["pmi_rank"] else { return XCTFail("columns") }
        XCTAssertEqual(ids.count, 195)
        // The table is indexed by the k-mer's ACGT-order code; the ids follow DNABERT's vocabulary order.
        let vocab = try KmerTokenizer(k: 6).vocabulary.tokens
        func acgt(_ kmer: String) -> Int { kmer.utf8.reduce(0) { $0 << 2 | Array("ACGT".utf8).firstIndex(of: $1)! } }
        XCTAssertEqual(ranks, ids.map { table.ranks[acgt(vocab[Int($0)])] })
    }

    func testBadConfigsAndFoldersGiveClearErrors() throws {
        func expect(_ body: String, _ words: [String], out: String = "out", line: UInt = #line) {
            XCTAssertThrowsError(try PipelineRunner.run(try PipelineConfig.load(path: try config(body, out: out))), line: line) { e in
                for w in words { XCTAssertTrue("\(e)".contains(w), "\(e) should mention \(w)", line: line) }
            }
        }
        expect(charConfig.replacingOccurrences(of: "\"stride\"", with: "\"strid\""), ["unknown key 'windows.strid'", "did you mean 'stride'"])
        expect(charConfig.replacingOccurrences(of: "\"tokenizer\"", with: "\"tokeniser\""), ["unknown key 'tokeniser'"])
        expect(charConfig.replacingOccurrences(of: "lambda_phage.fa.gz", with: "missing.fa.gz"), ["missing.fa.gz", "missing or unreadable"])
        expect(charConfig.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 9"), ["config version 9"])
        // Numbers out of range are refused at load, naming the key, before any output exists (issue 10).
        for (from, to, words) in [("\"seed\": 5", "\"seed\": -1", ["'windows.seed'", "got -1"]),
                                  ("\"window\": 1000", "\"window\": 1000000000000", ["'windows.window'", "1...1073741824"]),
                                  ("\"window\": 1000", "\"window\": 0", ["'windows.window'"]),
                                  ("\"val\": 0.1", "\"val\": 0.95", ["windows.val + windows.test", "below 1"]),
                                  ("\"sizeLimit\": 500000", "\"sizeLimit\": -3", ["'shards.sizeLimit'"])] {
            expect(charConfig.replacingOccurrences(of: from, with: to), words, out: "bad-number")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad-number").path), "\(to) left an output folder")
        }
        expect(#"{"name": "p", "inputs": ["DATA/lambda_phage.fa.gz"], "tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"minCount": -5}, "shards": {"out": "OUT"}}"#,
               ["'pmi.minCount'", "got -5"], out: "bad-number")
        // A folder with another run's shards is refused and left as it was.
        _ = try PipelineRunner.run(try PipelineConfig.load(path: try config(charConfig, out: "shared")))
        let before = try String(contentsOfFile: dir.appendingPathComponent("shared/genomeprep.json").path, encoding: .utf8)
        expect(charConfig.replacingOccurrences(of: "\"seed\": 5", with: "\"seed\": 6"), ["different run"], out: "shared")
        XCTAssertEqual(try String(contentsOfFile: dir.appendingPathComponent("shared/genomeprep.json").path, encoding: .utf8), before)
        // The same config re-indented and with its keys reordered is the same run (compared by meaning).
        let reindented = charConfig.replacingOccurrences(of: ", ", with: ",\n      ").replacingOccurrences(of: "{\"version\": 1, \"name\": \"t\",", with: "{\"name\": \"t\", \"version\": 1,")
        XCTAssertNoThrow(try PipelineRunner.run(try PipelineConfig.load(path: try config(reindented, out: "shared"))))
        // A run stopped by a mistake before its first shard left only its own small files: the corrected
        // config takes the folder over (issue 10).
        let late = dir.appendingPathComponent("late")
        try FileManager.default.createDirectory(at: late, withIntermediateDirectories: true)
        try "{\"name\": \"mistake\"}".write(to: late.appendingPathComponent("genomeprep.run.json"), atomically: true, encoding: .utf8)
        try "{}".write(to: late.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        let fixed = try PipelineConfig.load(path: try config(charConfig, out: "late"))
        XCTAssertNoThrow(try PipelineRunner.run(fixed))
        XCTAssertEqual(try String(contentsOfFile: late.appendingPathComponent("genomeprep.run.json").path, encoding: .utf8), fixed.text)
    }

    /// An interrupted run's folder is never resumed over inputs that changed since (the shards would mix
    /// two genomes); with the inputs restored, the same command finishes it (issue 10).
    func testResumeRefusesChangedInputs() throws {
        let input = dir.appendingPathComponent("in.fa.gz").path
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("data/lambda_phage.fa.gz").path, toPath: input)
        let body = #"{"name": "r", "inputs": ["IN"], "windows": {"window": 500, "seed": 1}, "tokenizer": {"kind": "char"}, "shards": {"out": "OUT", "sizeLimit": 5000}}"#
            .replacingOccurrences(of: "IN", with: input)
        let c = try PipelineConfig.load(path: try config(body, out: "r"))
        _ = try PipelineRunner.run(c)
        let want = try String(contentsOfFile: c.out + "/train/index.json", encoding: .utf8)
        // As if killed before the end: no index.json, no genomeprep.json.
        for f in ["/train/index.json", "/genomeprep.json"] { try FileManager.default.removeItem(atPath: c.out + f) }
        let saved = dir.appendingPathComponent("saved.fa.gz").path
        try FileManager.default.moveItem(atPath: input, toPath: saved)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("data/saureus_N315.fa.gz").path, toPath: input)
        XCTAssertThrowsError(try PipelineRunner.run(c)) { e in
            XCTAssertTrue("\(e)".contains("inputs changed since the interrupted run"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: c.out + "/train/index.json"))
        try FileManager.default.removeItem(atPath: input)
        try FileManager.default.moveItem(atPath: saved, toPath: input)
        _ = try PipelineRunner.run(c)
        XCTAssertEqual(try String(contentsOfFile: c.out + "/train/index.json", encoding: .utf8), want)
    }

    /// --overwrite removes what genome-prep wrote and nothing else: a folder holding a user's file is
    /// refused with nothing removed; otherwise another config then runs in it (issue 10).
    func testOverwriteClearsOnlyWhatGenomePrepWrote() throws {
        let c = try PipelineConfig.load(path: try config(charConfig, out: "ow"))
        _ = try PipelineRunner.run(c)
        let mine = c.out + "/train/notes.txt"
        try "mine".write(toFile: mine, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PipelineRunner.clearOutput(c.out)) { e in
            XCTAssertTrue("\(e)".contains(mine) && "\(e)".contains("nothing was removed"), "\(e)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: c.out + "/train/index.json"))
        try FileManager.default.removeItem(atPath: mine)
        try PipelineRunner.clearOutput(c.out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: c.out), [])
        let other = try PipelineConfig.load(path: try config(charConfig.replacingOccurrences(of: "\"seed\": 5", with: "\"seed\": 6"), out: "ow"))
        XCTAssertNoThrow(try PipelineRunner.run(other))
    }

    /// (contig, start, strand, token bytes) of every sample of one split, sorted: a multiset to compare.
    func samples(_ dir: String) throws -> [String] {
        let r = try MDSReader(directory: dir)
        return try (0..<r.sampleCount).map { i in
            let x = try r.sample(i)
            guard case .str(let c)? = x["contig"], case .int64(let s)? = x["start"], case .uint8(let st)? = x["strand"],
                  case .u8(let ids)? = x["tokens"] else { XCTFail("columns"); return "" }
            return "\(c) \(s) \(st) \(MDSHash.sha1.hex(ids))"
        }.sorted()
    }

    func testPartsMergeToExactlyTheSamplesOfOneRun() throws {
        let single = try PipelineConfig.load(path: try config(charConfig, out: "one"))
        _ = try PipelineRunner.run(single)
        let c = try PipelineConfig.load(path: try config(charConfig, out: "parts"))
        // Part 1 is missing at first: merge refuses, naming it.
        _ = try PipelineRunner.run(c, threads: 1, part: try PipelinePart(parsing: "0/3"))
        _ = try PipelineRunner.run(c, threads: 2, part: try PipelinePart(parsing: "2/3"))
        XCTAssertThrowsError(try PipelineMerge.merge(out: c.out)) { XCTAssertTrue("\($0)".contains("parts 1/3 are not finished"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: c.out + "/train/index.json"))
        _ = try PipelineRunner.run(c, part: try PipelinePart(parsing: "1/3"))
        let m = try PipelineMerge.merge(out: c.out)
        XCTAssertEqual(m.parts, 3)
        for split in ["train", "val", "test"] {
            let one = try samples(single.out + "/" + split), merged = try samples(c.out + "/" + split)
            XCTAssertGreaterThan(one.count, 100)
            XCTAssertEqual(one, merged, split)
            XCTAssertEqual(m.samples[split], one.count)
            var perPart = 0
            for i in 0..<3 { perPart += try MDSReader(directory: c.out + "/\(split)/part-0000\(i)").sampleCount }
            XCTAssertEqual(perPart, one.count)
            XCTAssertEqual(try MDSReader(directory: c.out + "/" + split).verify(), one.count)
        }
        let index = try String(contentsOfFile: c.out + "/train/index.json", encoding: .utf8)
        XCTAssertTrue(index.hasPrefix("{\"version\": 2, \"shards\": [") && index.contains("\"basename\": \"part-00002/shard.00000.mds.zstd\""))
        let prov = try String(contentsOfFile: c.out + "/genomeprep.json", encoding: .utf8)
        XCTAssertTrue(prov.contains("\"parts\": 3"), prov)
        // Merging again is allowed and gives the same bytes.
        _ = try PipelineMerge.merge(out: c.out)
        XCTAssertEqual(try String(contentsOfFile: c.out + "/train/index.json", encoding: .utf8), index)
        // Parts and single-run shards never share a folder.
        XCTAssertThrowsError(try PipelineRunner.run(c)) { XCTAssertTrue("\($0)".contains("holds --part output"), "\($0)") }
        XCTAssertThrowsError(try PipelineRunner.run(single, part: try PipelinePart(parsing: "0/2"))) {
            XCTAssertTrue("\($0)".contains("run without --part"), "\($0)")
        }
        XCTAssertThrowsError(try PipelinePart(parsing: "3/3"))
        XCTAssertThrowsError(try PipelinePart(parsing: "1-3"))
        // Part 0 of another split count in the same folder is refused, finished or interrupted (issue 10:
        // 0/2 then 0/3..2/3 merged 1400 duplicated and 1000 missing windows).
        XCTAssertThrowsError(try PipelineRunner.run(c, part: try PipelinePart(parsing: "0/2"))) {
            XCTAssertTrue("\($0)".contains("part 0/3") && "\($0)".contains("part 0/2"), "\($0)")
        }
        try FileManager.default.removeItem(atPath: c.out + "/genomeprep.part-00000.json")
        XCTAssertThrowsError(try PipelineRunner.run(c, part: try PipelinePart(parsing: "0/2"))) {
            XCTAssertTrue("\($0)".contains("holds part 0/3 output"), "\($0)")
        }
    }

    /// The random and BED samplers in a pipeline: random windows hold the genome's bases at their
    /// (contig, start) and come from both inputs; BED intervals are grown, cut and clamped as worked out by
    /// hand: [100, 400) grows evenly to [-250, 750), clamped to 0; [5000, 7500) is cut to 5000; [4639000,
    /// 4639652) grows to start 4638826 and is clamped to end at the contig's 4,639,675.
    func testRandomAndBEDSamplersInAPipeline() throws {
        let c = try PipelineConfig.load(path: try config("""
        {"name": "r", "inputs": ["DATA/ecoli_K12_MG1655.fa.bgz", "DATA/lambda_phage.fa.gz"],
         "windows": {"sampler": "random", "count": 500, "seed": 3, "val": 0.1},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT"}}
        """, out: "rand"))
        let s = try PipelineRunner.run(c)
        XCTAssertEqual(s.windows.reduce(0, +) + s.dropped.values.reduce(0, +), 500)
        let ecoli = try FaiIndex(path: root.appendingPathComponent("data/ecoli_K12_MG1655.fa.bgz").path)
        let tok = try HFTokenizerJSON.load(path: c.out + "/tokenizer.json")
        var sources = Set<String>()
        for split in ["train", "val"] {
            let r = try MDSReader(directory: c.out + "/" + split)
            XCTAssertEqual(r.sampleCount, s.windows[split == "train" ? 0 : 1])
            for j in 0..<r.sampleCount {
                let x = try r.sample(j)
                guard case .str(let contig)? = x["contig"], case .int64(let start)? = x["start"], case .u8(let ids)? = x["tokens"],
                      case .str(let source)? = x["source"] else { return XCTFail("columns") }
                sources.insert(source)
                if source.hasPrefix("ecoli") {
                    let want = try ecoli.fetchASCII(contig: contig, start: Int(start), end: Int(start) + 1000)
                    XCTAssertEqual(String(decoding: try tok.decode(ids.map(UInt32.init)), as: UTF8.self),
                                   String(decoding: want, as: UTF8.self).uppercased())
                }
            }
        }
        XCTAssertEqual(sources, ["ecoli_K12_MG1655.fa.bgz", "lambda_phage.fa.gz"])

        let bed = dir.appendingPathComponent("x.bed").path
        try "K-12-MG1655\t100\t400\nK-12-MG1655\t5000\t7500\nK-12-MG1655\t4639000\t4639652\n".write(toFile: bed, atomically: true, encoding: .utf8)
        let b = try PipelineConfig.load(path: try config("""
        {"name": "b", "inputs": ["DATA/ecoli_K12_MG1655.fa.bgz"], "windows": {"sampler": "bed", "bed": "\(bed)"},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT"}}
        """, out: "bed"))
        _ = try PipelineRunner.run(b)
        let r = try MDSReader(directory: b.out + "/train")
        let starts = try (0..<r.sampleCount).map { j -> Int64 in
            guard case .int64(let v)? = try r.sample(j)["start"] else { return -1 }
            return v
        }
        XCTAssertEqual(starts, [0, 5000, 4_638_675])
        XCTAssertThrowsError(try PipelineConfig.load(path: try config("""
        {"name": "t", "inputs": ["DATA/lambda_phage.fa.gz"], "windows": {"count": 5},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT"}}
        """))) { XCTAssertTrue("\($0)".contains("'windows.count' does not apply to the tiled sampler"), "\($0)") }
    }

    /// softMask "keep" adds `soft_mask`: one bit per base of the window as written, LSB first, worked out by
    /// hand for ACGTacgt (0xF0), ACGTACGT (0x00), aaaaCCCC (0x0F), and the reverse complement of the first,
    /// acgtACGT (0x0F). Tokens are the same ids either way.
    func testSoftMaskColumnHoldsOneBitPerBase() throws {
        let fa = dir.appendingPathComponent("m.fa").path
        try ">c\nACGTacgtACGTACGTaaaaCCCC\n".write(toFile: fa, atomically: true, encoding: .utf8)
        let c = try PipelineConfig.load(path: try config("""
        {"name": "m", "inputs": ["\(fa)"], "windows": {"window": 8, "softMask": "keep", "strand": "both"},
         "tokenizer": {"kind": "char"}, "shards": {"out": "OUT"}}
        """, out: "mask"))
        _ = try PipelineRunner.run(c)
        let r = try MDSReader(directory: c.out + "/train")
        var got: [String] = []
        for j in 0..<r.sampleCount {
            let x = try r.sample(j)
            guard case .int64(let start)? = x["start"], case .uint8(let strand)? = x["strand"], case .u8(let mask)? = x["soft_mask"],
                  case .u8(let ids)? = x["tokens"] else { return XCTFail("columns") }
            XCTAssertFalse(ids.contains { $0 < 5 || $0 > 8 })
            got.append("\(start)\(strand == 0 ? "+" : "-") \(mask.map { String($0, radix: 16) }.joined())")
        }
        XCTAssertEqual(got, ["0+ f0", "0- f", "8+ 0", "8- 0", "16+ f", "16- f0"])
        XCTAssertEqual(r.shards[0].encodings[r.shards[0].columnNames.firstIndex(of: "soft_mask")!].rawValue, "ndarray:uint8:1")
    }
}

/// The config specimen corpus (ConfigSpecimens/manifest.json, written by its make_specimens.py): every
/// malformed or hostile config is refused at load with an error naming the file and the place (key path or
/// line and column) and the reason; the valid ones load.
final class ConfigSpecimenTests: XCTestCase {
    func testEveryConfigSpecimen() throws {
        let (cases, failures) = try checkCorpus(repoRoot.appendingPathComponent("Tests/PipelineTests/ConfigSpecimens")) { path in
            _ = try PipelineConfig.load(path: path)
        }
        XCTAssertGreaterThanOrEqual(cases, 30)
        XCTAssertEqual(failures, [])
    }
}
