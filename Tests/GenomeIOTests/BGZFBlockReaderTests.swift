import Foundation
import XCTest
import Basics
import TestSupport
@testable import GenomeIO

/// Every byte of `path` through CompressedInput in reads of `chunk` bytes (its offset checked on the way).
func readThrough(_ path: String, threads: Int, chunk: Int) throws -> [UInt8] {
    let input = try CompressedInput(path: path, threads: threads)
    let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
    defer { buf.deallocate() }
    var out: [UInt8] = []
    while true {
        let n = try input.read(into: buf, capacity: chunk)
        if n == 0 { break }
        out.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: n))
    }
    XCTAssertEqual(input.offset, out.count)
    return out
}

/// The ISA-L BGZF reader against htslib's (the same bytes at every buffer size, on one and two threads),
/// and damaged files: each refused with an error naming the file and the block's compressed offset.
final class BGZFBlockReaderTests: XCTestCase {
    var dir: URL!
    var plain: [UInt8] = []
    var bgzf: [UInt8] = []
    /// Compressed offsets of the blocks, the EOF block last.
    var blocks: [Int] = []

    override func setUpWithError() throws {
        dir = tempDir("gp-bgzf")
        var g = SplitMix64(seed: 5)
        var text = ""
        for r in 0..<3 {
            text += ">r\(r)\n"
            for _ in 0..<(2000 + r * 700) { text += String((0..<60).map { _ in "ACGTacgtN".randomElement(using: &g)! }) + "\n" }
        }
        plain = Array(text.utf8)
        let src = dir.appendingPathComponent("x.fa").path
        FileManager.default.createFile(atPath: src, contents: Data(plain))
        let out = dir.appendingPathComponent("x.fa.bgz").path
        try BGZFWriter.recompress(input: src, output: out, threads: 1)       // htslib writes it
        bgzf = Array(try Data(contentsOf: URL(fileURLWithPath: out)))
        var at = 0
        while at < bgzf.count { blocks.append(at); at += (Int(bgzf[at + 16]) | Int(bgzf[at + 17]) << 8) + 1 }
        XCTAssertEqual(at, bgzf.count)
        XCTAssertGreaterThan(blocks.count, 5)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func readAll(_ path: String, threads: Int, chunk: Int) throws -> [UInt8] { try readThrough(path, threads: threads, chunk: chunk) }

    func testSameBytesAsTheInputAtEveryBufferSize() throws {
        let path = dir.appendingPathComponent("x.fa.bgz").path
        XCTAssertEqual(try CompressedInput(path: path).format, .bgzf)
        for threads in [1, 2] {
            for chunk in [1, 1000, 65535, 65536, 65537, 300_000, 4 << 20] {
                XCTAssertEqual(try readAll(path, threads: threads, chunk: chunk), plain, "threads \(threads) chunk \(chunk)")
            }
        }
        // And through htslib's reader, which the environment variable selects.
        setenv("GENOMEPREP_INFLATE", "htslib", 1)
        defer { unsetenv("GENOMEPREP_INFLATE") }
        XCTAssertEqual(try readAll(path, threads: 2, chunk: 1 << 20), plain)
    }

    /// Writes `bytes` as a damaged copy and expects an error naming the file, the block offset and `words`.
    func expectError(_ bytes: [UInt8], block: Int, _ words: [String], file: StaticString = #filePath, line: UInt = #line) {
        let path = dir.appendingPathComponent("bad.fa.bgz").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        for threads in [1, 2] {
            XCTAssertThrowsError(try readAll(path, threads: threads, chunk: 1 << 20), file: file, line: line) { e in
                let m = "\(e)"
                XCTAssertTrue(m.contains("bad.fa.bgz"), m, file: file, line: line)
                XCTAssertTrue(m.contains("BGZF block at compressed byte \(block) "), m, file: file, line: line)
                for w in words { XCTAssertTrue(m.contains(w), "\(w): \(m)", file: file, line: line) }
            }
        }
    }

    func testDamagedBlocksAreRefusedNamingTheBlock() throws {
        let b2 = blocks[2], b3 = blocks[3]
        // A flipped byte in the deflate data: inflate or the CRC-32 check fails.
        var flip = bgzf
        flip[b2 + 40] ^= 0x10
        let path = dir.appendingPathComponent("bad.fa.bgz").path
        FileManager.default.createFile(atPath: path, contents: Data(flip))
        XCTAssertThrowsError(try readAll(path, threads: 1, chunk: 1 << 20)) { e in
            XCTAssertTrue("\(e)".contains("BGZF block at compressed byte \(b2) "), "\(e)")
            XCTAssertTrue("\(e)".contains("CRC-32") || "\(e)".contains("inflate"), "\(e)")
        }
        expectError(flip, block: b2, [])
        // A wrong CRC in the trailer.
        var crc = bgzf
        crc[b3 - 8] ^= 1
        expectError(crc, block: b2, ["CRC-32"])
        // A trailer length that disagrees with the data.
        var size = bgzf
        size[b3 - 4] ^= 1
        expectError(size, block: b2, ["another size"])
        // The BC subfield renamed: not BGZF.
        var bc = bgzf
        bc[b2 + 12] = UInt8(ascii: "X")
        expectError(bc, block: b2, ["no BC subfield"])
        // Garbage where a block should start.
        var magic = bgzf
        magic[b2] = 0
        expectError(magic, block: b2, ["gzip magic"])
        // A plain gzip member (no extra field) between blocks.
        var member = bgzf
        member[b2 + 3] = 0
        expectError(member, block: b2, ["plain gzip member"])
        // A block whose declared size runs past the end of the file (the EOF block still last).
        let cut = Array(bgzf[0..<(b2 + 18)]) + Array(bgzf[blocks.last!...])
        expectError(cut, block: b2, ["cut short"])
        // A block declaring more than 64 KiB of output.
        var big = bgzf
        big[b3 - 2] = 2
        expectError(big, block: b2, ["at most 65536"])
    }
}

/// The ISA-L plain-gzip reader against htslib's (the same bytes at every buffer size), concatenated members,
/// zero padding, and damage: each refused naming the file and where the data stops making sense.
final class GzipStreamReaderTests: XCTestCase {
    var dir: URL!
    override func setUp() { dir = tempDir("gp-gzip") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func readAll(_ path: String, chunk: Int) throws -> [UInt8] { try readThrough(path, threads: 1, chunk: chunk) }

    func testMembersPaddingAndDamage() throws {
        var g = SplitMix64(seed: 9)
        var text = ""
        for r in 0..<2 {
            text += ">g\(r)\n"
            for _ in 0..<3000 { text += String((0..<70).map { _ in "ACGTacgtN".randomElement(using: &g)! }) + "\n" }
        }
        let plain = Array(text.utf8)
        let half = plain.count / 2
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        FileManager.default.createFile(atPath: a, contents: Data(plain[..<half]))
        FileManager.default.createFile(atPath: b, contents: Data(plain[half...]))
        let gz = dir.appendingPathComponent("x.fa.gz").path
        XCTAssertEqual(try sh("gzip -c '\(a)' > '\(gz)' && gzip -c '\(b)' >> '\(gz)'").0, 0)   // two members
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: gz)))
        XCTAssertEqual(try CompressedInput(path: gz).format, .gzip)
        for chunk in [1, 999, 65536, 1 << 20, 8 << 20] {
            XCTAssertEqual(try readAll(gz, chunk: chunk), plain, "chunk \(chunk)")
        }
        setenv("GENOMEPREP_INFLATE", "htslib", 1)
        XCTAssertEqual(try readAll(gz, chunk: 1 << 20), plain)
        unsetenv("GENOMEPREP_INFLATE")
        // Zero padding after the last member is ignored (as gzip -d does).
        let padded = dir.appendingPathComponent("padded.fa.gz").path
        FileManager.default.createFile(atPath: padded, contents: Data(bytes + [UInt8](repeating: 0, count: 512)))
        XCTAssertEqual(try readAll(padded, chunk: 1 << 20), plain)

        func expect(_ damaged: [UInt8], _ words: [String], line: UInt = #line) {
            let p = dir.appendingPathComponent("bad.fa.gz").path
            FileManager.default.createFile(atPath: p, contents: Data(damaged))
            XCTAssertThrowsError(try readAll(p, chunk: 1 << 20), line: line) { e in
                let m = "\(e)"
                XCTAssertTrue(m.contains("bad.fa.gz") && m.contains("gzip data"), m, line: line)
                for w in words { XCTAssertTrue(m.contains(w), "\(w): \(m)", line: line) }
            }
        }
        expect(Array(bytes.prefix(bytes.count - 100)), ["truncated"])
        expect(bytes + Array("garbage".utf8), ["not gzip after a member"])
        var crc = bytes
        crc[bytes.count - 6] ^= 1                              // the last member's CRC-32
        expect(crc, ["CRC-32 or length"])
        var data = bytes
        data[bytes.count / 4] ^= 0x55                          // inside the first member's deflate data
        let p = dir.appendingPathComponent("bad.fa.gz").path
        FileManager.default.createFile(atPath: p, contents: Data(data))
        XCTAssertThrowsError(try readAll(p, chunk: 1 << 20)) { e in
            XCTAssertTrue("\(e)".contains("bad.fa.gz") && "\(e)".contains("gzip data"), "\(e)")
        }
    }
}

/// A `.gzi` is checked against its BGZF file before htslib uses it (htslib asserts, aborting the process, when a
/// seek lands past the block an entry names: the fuzzer's first find), and a `.fai` entry may not end past the data.
final class GziCheckTests: XCTestCase {
    func testMismatchedIndexesAreErrorsNotAborts() throws {
        let dir = tempDir("gp-gzi")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The fuzz target's file: four records of 72 kbp in several BGZF blocks.
        var text = ""
        for r in 0..<4 { text += ">r\(r)\n" + String(repeating: "ACGTTGCA", count: 9000) + "\n" }
        let plain = dir.appendingPathComponent("g.fa").path, fa = dir.appendingPathComponent("g.fa.bgz").path
        FileManager.default.createFile(atPath: plain, contents: Data(text.utf8))
        try BGZFWriter.recompress(input: plain, output: fa, threads: 1)
        try FaiIndex.build(path: fa)
        XCTAssertEqual(try GziCheck.validate(bgzf: fa), text.utf8.count)
        let good = try FaiIndex(path: fa)
        XCTAssertEqual(String(decoding: try good.fetchASCII(contig: "r3", start: 71990, end: 72000), as: UTF8.self), "CAACGTTGCA")
        let gzi = fa + ".gzi"
        let valid = Array(try Data(contentsOf: URL(fileURLWithPath: gzi)))
        XCTAssertGreaterThanOrEqual(valid.count, 8 + 16 * 3)
        func expect(_ bytes: [UInt8], _ words: [String], line: UInt = #line) {
            FileManager.default.createFile(atPath: gzi, contents: Data(bytes))
            XCTAssertThrowsError(try FaiIndex(path: fa), line: line) { e in
                let m = "\(e)"
                XCTAssertTrue(m.contains("g.fa.bgz.gzi") && m.contains(".gzi does not match the BGZF file"), m, line: line)
                for w in words { XCTAssertTrue(m.contains(w), "\(w): \(m)", line: line) }
            }
        }
        // The fuzzer's crashing .gzi (its last entry's offset changed): htslib aborted on it.
        expect(Array(try Data(contentsOf: repoRoot.appendingPathComponent("Tests/FuzzCorpus/gzi/crash-htslib-assert.gzi"))), ["entry"])
        var wrongU = valid
        wrongU[16] ^= 1                                        // the first entry's uncompressed offset
        expect(wrongU, ["entry 1", "names block"])
        var count = valid
        count[0] &+= 1                                         // one more entry declared than stored
        expect(count, ["declares"])
        expect(Array(valid.prefix(valid.count - 16)) .enumerated().map { $0.offset == 0 ? $0.element &- 1 : $0.element }, ["ends before the file's block"])
        let extra = [valid[0] &+ 1] + valid[1..<8] + valid[8...] + valid[(valid.count - 16)...]
        expect(Array(extra), ["names block"])
        expect(Array(repeating: 0xFF, count: 8), ["declares"])
        // A .fai whose record would end past the data is refused before any seek.
        FileManager.default.createFile(atPath: gzi, contents: Data(valid))
        let fai = try String(contentsOfFile: fa + ".fai", encoding: .utf8)
        try fai.replacingOccurrences(of: "r3\t72000\t", with: "r3\t7200000\t").write(toFile: fa + ".fai", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FaiIndex(path: fa)) { e in
            XCTAssertTrue("\(e)".contains("g.fa.bgz.fai") && "\(e)".contains("past the"), "\(e)")
        }
    }
}
