import Foundation
import XCTest
import Basics
import TestSupport
import GenomeIO
@testable import Tokenize

/// Collects window texts (upper-case bases) for tests.
struct TextCollector: WindowOutput {
    var texts: [String] = []
    var codes: [[UInt8]] = []
    mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                        codes c: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
        texts.append(String(decoding: c.map { BaseCode.decodeTable[Int($0 & 7)] }, as: UTF8.self))
        codes.append(Array(c))
    }
}

final class TokenizerTests: XCTestCase {
    var dir: URL!
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-tok-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }
    var script: String { repoRoot.appendingPathComponent("Tests/TokenizeTests/hf_interop.py").path }

    func testHandWorkedIds() throws {
        let seq = Array("ACGTNACGT".utf8)
        XCTAssertEqual(CharTokenizer().encode(ascii: seq), [5, 6, 7, 8, 9, 5, 6, 7, 8])
        XCTAssertEqual(CharTokenizer(addSpecial: true).encode(ascii: Array("AN".utf8)), [2, 5, 9, 3])
        // DNABERT 3-mers in its A < T < C < G order: ACG = 0*16 + 2*4 + 3 = 11 -> 16; CGT = 2*16 + 3*4 + 1 = 45
        // -> 50; N-containing -> [UNK] = 1.
        XCTAssertEqual(try KmerTokenizer(k: 3).encode(ascii: seq), [16, 50, 1, 1, 1, 16, 50])
        // NT 3-mers in ATCG order: ACG = 0*16+2*4+3 = 11 -> 15; T alone -> 4+64+1 = 69; N -> 72; TAC = 16+0+2 -> 22.
        let nt = try KmerTokenizer(k: 3, style: .nucleotideTransformer)
        XCTAssertEqual(nt.encode(ascii: Array("ACGTNACGTAC".utf8)), [15, 69, 72, 15, 22])
        XCTAssertEqual(nt.vocabulary.count, 4 + 64 + 5 + 2)
        XCTAssertEqual(nt.vocabulary.tokens[4], "AAA")
        XCTAssertEqual(nt.vocabulary.tokens[5], "AAT")
        // BarcodeMAE, offset 1: skip A; CGT -> 50; NAC -> [UNK]; the trailing "GT" is dropped.
        XCTAssertEqual(try KmerTokenizer(k: 3, style: .barcode(offset: 1)).encode(ascii: seq), [50, 1])
        // Decoding.
        XCTAssertEqual(String(decoding: try KmerTokenizer(k: 3).decode([2, 16, 50, 3]), as: UTF8.self), "ACGT")
        XCTAssertEqual(String(decoding: try nt.decode([15, 69, 72]), as: UTF8.self), "ACGTN")
        XCTAssertEqual(String(decoding: try CharTokenizer().decode([2, 5, 6, 9, 3]), as: UTF8.self), "ACN")
    }

    /// DNABERT's released vocabularies (jerryji1993/DNABERT, src/transformers/dnabert-config/bert-config-k/
    /// vocab.txt): the whole 3-mer file, and for 6-mers the first 40 lines and the block boundaries.
    func testDNABERTVocabularyOrder() throws {
        let released3 = "[PAD] [UNK] [CLS] [SEP] [MASK] AAA AAT AAC AAG ATA ATT ATC ATG ACA ACT ACC ACG AGA AGT AGC AGG TAA TAT TAC TAG TTA TTT TTC TTG TCA TCT TCC TCG TGA TGT TGC TGG CAA CAT CAC CAG CTA CTT CTC CTG CCA CCT CCC CCG CGA CGT CGC CGG GAA GAT GAC GAG GTA GTT GTC GTG GCA GCT GCC GCG GGA GGT GGC GGG"
        XCTAssertEqual(try KmerTokenizer(k: 3).vocabulary.tokens, released3.split(separator: " ").map(String.init))
        let v6 = try KmerTokenizer(k: 6).vocabulary.tokens
        XCTAssertEqual(v6.count, 4101)
        let first40 = "[PAD] [UNK] [CLS] [SEP] [MASK] AAAAAA AAAAAT AAAAAC AAAAAG AAAATA AAAATT AAAATC AAAATG AAAACA AAAACT AAAACC AAAACG AAAAGA AAAAGT AAAAGC AAAAGG AAATAA AAATAT AAATAC AAATAG AAATTA AAATTT AAATTC AAATTG AAATCA AAATCT AAATCC AAATCG AAATGA AAATGT AAATGC AAATGG AAACAA AAACAT AAACAC"
        XCTAssertEqual(Array(v6[0..<40]), first40.split(separator: " ").map(String.init))
        XCTAssertEqual(v6[1028], "AGGGGG"); XCTAssertEqual(v6[1029], "TAAAAA"); XCTAssertEqual(v6[2053], "CAAAAA")
        XCTAssertEqual(v6[3077], "GAAAAA"); XCTAssertEqual(v6[4100], "GGGGGG")
        // Encoding agrees with the vocabulary: each 6-mer's id is its line.
        let k6 = try KmerTokenizer(k: 6)
        for id in [5, 6, 77, 1028, 1029, 2500, 4100] { XCTAssertEqual(k6.encode(ascii: Array(v6[id].utf8)), [UInt32(id)], v6[id]) }
        // Nucleotide Transformer's layout, as instadeepai/nucleotide-transformer's tokenizers.py builds it:
        // [<unk>, <pad>, <mask>, <cls>] + product("ATCG", repeat=k) + ["A", "T", "C", "G"] + ["N"] + [<eos>, <bos>].
        for k in [2, 6] {
            var kmers = [""]
            for _ in 0..<k { kmers = kmers.flatMap { p in ["A", "T", "C", "G"].map { p + $0 } } }
            let nt = ["<unk>", "<pad>", "<mask>", "<cls>"] + kmers + ["A", "T", "C", "G", "N", "<eos>", "<bos>"]
            XCTAssertEqual(try KmerTokenizer(k: k, style: .nucleotideTransformer).vocabulary.tokens, nt, "NT k = \(k)")
        }
        // The same order for the non-overlapping (BarcodeMAE) k-mers.
        XCTAssertEqual(try KmerTokenizer(k: 6, style: .barcode(offset: 0)).encode(ascii: Array("TAAAAACAAAAA".utf8)), [1029, 2053])
    }

    func testBPEHandWorkedTraining() throws {
        // Words AAAC (x2) and AC: pairs AA: 2*2 = 4, AC: 2+1 = 3 -> merge (A,A) = AA first; then AC;
        // then (AA, AC) with count 2; then the stale (AA, A) entry has count 0 and training stops.
        var t = try BPETrainer(vocabSize: 100, minFrequency: 2, specials: ["[UNK]"])
        t.feed(Array("AAAC".utf8)); t.feed(Array("AAAC".utf8)); t.feed(Array("AC".utf8))
        let bpe = try t.train()
        XCTAssertEqual(bpe.vocabulary.tokens, ["[UNK]", "A", "C", "AA", "AC", "AAAC"])
        XCTAssertEqual(bpe.merges.map { "\($0.0) \($0.1)" }, ["A A", "A C", "AA AC"])
        XCTAssertEqual(bpe.encode(ascii: Array("AAAC".utf8)), [5])
        // Lowest rank first, leftmost first: A A A A C -> AA A A C -> AA AA C.
        XCTAssertEqual(bpe.encode(ascii: Array("AAAAC".utf8)), [3, 3, 2])
        XCTAssertEqual(bpe.encode(ascii: Array("ACN".utf8)), [4, 0])   // N is not in the alphabet: [UNK]
    }

    /// Windows from the shipped genomes plus windows with N runs (for the N rules).
    func realWindows(count: Int) throws -> TextCollector {
        var o = WindowsOptions(inputs: [dataFile("ecoli_MG1655_draft.fa.bgz"), dataFile("saureus_N315.fa.gz")])
        o.sampler = .random(count: count - 40, perContig: false)
        o.seed = 7
        o.strand = .random
        var (_, c) = try WindowsJob.run(o, into: TextCollector())
        // 40 windows with N runs and IUPAC codes (read as N).
        let nfa = dir.appendingPathComponent("n.fa").path
        var s = ""
        for (i, w) in c.texts.prefix(40).enumerated() {
            var b = Array(w.utf8)
            for j in stride(from: i, to: b.count, by: 37 + i) { b[j] = UInt8(ascii: j % 2 == 0 ? "N" : "R") }
            s += ">n\(i)\n" + String(decoding: b, as: UTF8.self) + "\n"
        }
        try s.write(toFile: nfa, atomically: true, encoding: .utf8)
        var o2 = WindowsOptions(inputs: [nfa]); o2.maxNFraction = 1
        let (_, c2) = try WindowsJob.run(o2, into: TextCollector())
        c.texts += c2.texts; c.codes += c2.codes
        XCTAssertEqual(c.texts.count, count)
        return c
    }

    func pythonEncode(_ t: any Tokenizer, kind: String, k: Int = 0, offset: Int = 0, windowsFile: String) throws -> [[UInt32]] {
        let json = dir.appendingPathComponent("\(kind).json").path
        try HFTokenizerJSON.write(t, to: json)
        let out = dir.appendingPathComponent("\(kind).ids").path
        let (status, log) = try sh("'\(testPython)' '\(script)' encode '\(json)' \(kind) \(k) \(offset) '\(windowsFile)' '\(out)'")
        XCTAssertEqual(status, 0, "Python tokenizers failed (is it installed? .ci/setup installs it): \(log)")
        return try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map { $0.split(separator: " ").map { UInt32($0)! } }
    }

    func testExportedVocabulariesEncodeIdenticallyInPythonTokenizers() throws {
        let w = try realWindows(count: 10_000)
        let windowsFile = dir.appendingPathComponent("windows.txt").path
        try (w.texts.joined(separator: "\n") + "\n").write(toFile: windowsFile, atomically: true, encoding: .utf8)
        var bpeTrainer = try BPETrainer(vocabSize: 2048, minFrequency: 2)
        for t in w.texts.prefix(1500) { bpeTrainer.feed(Array(t.utf8)) }
        let bpe = try bpeTrainer.train()
        let cases: [(any Tokenizer, String, Int, Int)] = [
            (CharTokenizer(), "char", 0, 0),
            (try KmerTokenizer(k: 6), "kmer", 6, 0),
            (try KmerTokenizer(k: 4), "kmer", 4, 0),
            (try KmerTokenizer(k: 6, style: .nucleotideTransformer), "nt-kmer", 6, 0),
            (try KmerTokenizer(k: 6, style: .barcode(offset: 2)), "barcode-kmer", 6, 2),
            (bpe, "bpe", 0, 0),
        ]
        for (t, kind, k, offset) in cases {
            let theirs = try pythonEncode(t, kind: kind, k: k, offset: offset, windowsFile: windowsFile)
            XCTAssertEqual(theirs.count, w.codes.count, kind)
            var ours: [UInt32] = []
            var mismatches = 0
            for (i, codes) in w.codes.enumerated() {
                ours.removeAll(keepingCapacity: true)
                codes.withUnsafeBufferPointer { t.encode($0, into: &ours) }
                if ours != theirs[i] { mismatches += 1; if mismatches < 3 { XCTFail("\(kind) window \(i): ours \(ours.prefix(12)) theirs \(theirs[i].prefix(12))") } }
            }
            XCTAssertEqual(mismatches, 0, kind)
            // And our own loader reads the file back to the same tokenizer.
            let back = try HFTokenizerJSON.load(path: dir.appendingPathComponent("\(kind).json").path)
            XCTAssertEqual(back.vocabulary, t.vocabulary, kind)
        }
    }

    func testBPETrainingParityAndImportOfHFTrainedTokenizer() throws {
        var o = WindowsOptions(inputs: [dataFile("ecoli_MG1655_draft.fa.bgz"), dataFile("lambda_phage.fa.gz")])
        o.sampler = .tiled(stride: 1000)
        let (_, w) = try WindowsJob.run(o, into: TextCollector())
        let windowsFile = dir.appendingPathComponent("train.txt").path
        try (w.texts.joined(separator: "\n") + "\n").write(toFile: windowsFile, atomically: true, encoding: .utf8)
        for vocab in [300, 1024] {
            var trainer = try BPETrainer(vocabSize: vocab, minFrequency: 2)
            for t in w.texts { trainer.feed(Array(t.utf8)) }
            let ours = try trainer.train()
            let hfPath = dir.appendingPathComponent("hf\(vocab).json").path
            let (status, log) = try sh("'\(testPython)' '\(script)' train '\(windowsFile)' \(vocab) '\(hfPath)'")
            XCTAssertEqual(status, 0, log)
            guard let hf = try HFTokenizerJSON.load(path: hfPath) as? BPETokenizer else { return XCTFail("not BPE") }
            XCTAssertEqual(hf.vocabulary.tokens, ours.vocabulary.tokens, "vocab \(vocab)")
            XCTAssertEqual(hf.merges.map { "\($0.0) \($0.1)" }, ours.merges.map { "\($0.0) \($0.1)" }, "vocab \(vocab)")
            // The HF-trained file, loaded here, encodes like HF itself.
            let theirs = try pythonEncode(hf, kind: "bpe", windowsFile: windowsFile)
            var ids: [UInt32] = []
            for (i, codes) in w.codes.enumerated() {
                ids.removeAll(keepingCapacity: true)
                codes.withUnsafeBufferPointer { hf.encode($0, into: &ids) }
                XCTAssertEqual(ids, theirs[i], "window \(i)")
                if ids != theirs[i] { break }
            }
        }
    }

    func testBadTokenizerInputsNameFileAndField() throws {
        func expect(_ json: String, _ field: String, _ line: UInt = #line) {
            let p = dir.appendingPathComponent("bad.json").path
            try! json.write(toFile: p, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try HFTokenizerJSON.load(path: p), line: line) { e in
                XCTAssertTrue("\(e)".contains("bad.json"), "\(e)", line: line)
                XCTAssertTrue("\(e)".contains(field), "\(e)", line: line)
            }
        }
        let good = HFTokenizerJSON.export(try KmerTokenizer(k: 3))
        expect(String(good.prefix(good.count / 2)), "JSON")                      // truncated
        expect(good.replacingOccurrences(of: "\"WordLevel\"", with: "\"WordPiece\""), "model.type")
        expect(good.replacingOccurrences(of: "\"AAC\":7", with: "\"AAC\":5"), "model.vocab")   // hand-edited: duplicate id
        expect(good.replacingOccurrences(of: "\"AAC\":7", with: "\"AAC\":9999"), "model.vocab")
        expect("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"A\":0},\"merges\":[\"A C\"]}}", "model.merges")
        // Vocabularies that would encode DNA to nothing (issue 10).
        expect("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}", "model.vocab")
        expect("{\"model\":{\"type\":\"BPE\",\"unk_token\":\"[UNK]\",\"vocab\":{\"A\":0,\"C\":1,\"G\":2,\"T\":3},\"merges\":[]}}", "model.unk_token")
        XCTAssertThrowsError(try KmerTokenizer(k: 7)) { e in XCTAssertTrue("\(e)".contains("'k'"), "\(e)") }
        XCTAssertThrowsError(try KmerTokenizer(k: 6, style: .barcode(offset: 6))) { e in XCTAssertTrue("\(e)".contains("offset"), "\(e)") }
        XCTAssertThrowsError(try CharTokenizer().decode([10])) { e in XCTAssertTrue("\(e)".contains("unknown token id 10"), "\(e)") }
        XCTAssertThrowsError(try KmerTokenizer(k: 6).vocabulary.checkFits(bits: 8)) { e in XCTAssertTrue("\(e)".contains("uint8"), "\(e)") }
        XCTAssertNoThrow(try KmerTokenizer(k: 6).vocabulary.checkFits(bits: 16))
        XCTAssertEqual(try KmerTokenizer(k: 6).vocabulary.idWidth, "uint16")
        XCTAssertEqual(CharTokenizer().vocabulary.idWidth, "uint8")
    }
}

final class OneHotAndCorpusTests: XCTestCase {
    func testFinDNAOneHotChannels() {
        let ids = CharTokenizer().encode(ascii: Array("ACGTN".utf8)) + [2]
        var out = [Float](repeating: 9, count: ids.count * 5)
        ids.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { CharTokenizer.oneHotFinDNA(i, into: $0) } }
        // Channels A C G N T: A=(1,0,0,0,0), C, G, T=(0,0,0,0,1), N=(0,0,0,1,0), [CLS] all zero.
        XCTAssertEqual(out, [1,0,0,0,0, 0,1,0,0,0, 0,0,1,0,0, 0,0,0,0,1, 0,0,0,1,0, 0,0,0,0,0])
    }

    /// pmi-stats reads through the same reader, so the GenomeIO error corpus gives the same errors.
    func testPMIStatsGivesTheCorpusErrors() throws {
        let dir = repoRoot.appendingPathComponent("Tests/GenomeIOTests/Specimens")
        struct Entry: Decodable { var file: String; var valid: Bool; var mode: String; var kind: String? }
        let m = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
        var checked = 0
        for e in m where !e.valid && e.mode == "stream" {
            var o = PMIOptions(inputs: [dir.appendingPathComponent(e.file).path])
            o.maxK = 6
            XCTAssertThrowsError(try PMIJob.run(o), e.file) { err in
                XCTAssertEqual((err as? GenomeIOError)?.kind.rawValue, e.kind, "\(e.file): \(err)")
                XCTAssertTrue("\(err)".contains(e.file), "\(err)")
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 20)
    }
}

/// The tokenizer.json specimen corpus (TokenizerSpecimens/manifest.json, written by its make_specimens.py):
/// each damaged file is refused with an error naming the file, the field and the reason; the valid one loads
/// and encodes bases to tokens.
final class TokenizerSpecimenTests: XCTestCase {
    func testEveryTokenizerSpecimen() throws {
        let (cases, failures) = try checkCorpus(repoRoot.appendingPathComponent("Tests/TokenizeTests/TokenizerSpecimens")) { path in
            let t = try HFTokenizerJSON.load(path: path)
            XCTAssertFalse(t.encode(ascii: Array("ACGTTGCAGGCC".utf8)).isEmpty, path)
        }
        XCTAssertGreaterThanOrEqual(cases, 15)
        XCTAssertEqual(failures, [])
    }
}
