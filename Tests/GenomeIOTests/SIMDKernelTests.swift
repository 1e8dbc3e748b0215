import XCTest
import CKernels
@testable import GenomeIO
import Basics

/// The C kernels (CKernels/simd.c) at every level this CPU has, against an independent Swift model of
/// what they must do (built from BaseCode's tables, not from the kernels), on random and adversarial text.
final class SIMDKernelTests: XCTestCase {
    var levels: [Int32] { Array(0...gp_simd_supported()) }

    /// The expected scan: codes from BaseCode.encodeTable for A C G T N (either case) and '\n' dropped,
    /// stopping at any other byte.
    func model(_ src: [UInt8]) -> (consumed: Int, codes: [UInt8], newlines: Int, n: Int, lower: Int) {
        var codes: [UInt8] = [], nl = 0, nn = 0, lo = 0, i = 0
        while i < src.count {
            let b = src[i]
            if b == 0x0A { nl += 1; i += 1; continue }
            guard "ACGTNacgtn".utf8.contains(b) else { break }
            let c = BaseCode.encodeTable[Int(b)]
            codes.append(c)
            if c & BaseCode.baseMask == BaseCode.n { nn += 1 }
            if c & BaseCode.softMask != 0 { lo += 1 }
            i += 1
        }
        return (i, codes, nl, nn, lo)
    }

    func check(_ src: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let want = model(src)
        for level in levels {
            var dst = [UInt8](repeating: 0xEE, count: src.count + 64)
            var r = gp_seq_scan()
            src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { gp_fasta_seq(level, s.baseAddress, src.count, $0.baseAddress, &r) } }
            let name = "\(String(cString: gp_simd_name(level))) \(what)"
            XCTAssertEqual(r.consumed, want.consumed, "consumed, " + name, file: file, line: line)
            XCTAssertEqual(r.written, want.codes.count, "written, " + name, file: file, line: line)
            XCTAssertEqual(Array(dst.prefix(want.codes.count)), want.codes, "codes, " + name, file: file, line: line)
            XCTAssertEqual(r.newlines, want.newlines, "newlines, " + name, file: file, line: line)
            XCTAssertEqual(r.n, want.n, "N, " + name, file: file, line: line)
            XCTAssertEqual(r.lower, want.lower, "lower, " + name, file: file, line: line)
        }
    }

    func testSequenceScanMatchesTheModelOnRandomText() {
        var g = SplitMix64(seed: 7)
        let alphabet = Array("ACGTNacgtn\n".utf8)
        for round in 0..<400 {
            let len = Int(g.below(400))
            var src = (0..<len).map { _ in alphabet[Int(g.below(UInt64(alphabet.count)))] }
            // Line structure some of the time: a newline every w bases.
            if round % 3 == 0, len > 0 {
                let w = 1 + Int(g.below(90))
                src = src.enumerated().map { $0.offset % (w + 1) == w ? 0x0A : ($0.element == 0x0A ? UInt8(ascii: "A") : $0.element) }
            }
            // Sometimes one byte the kernel must stop at, anywhere.
            if round % 2 == 1, len > 0 {
                src[Int(g.below(UInt64(len)))] = UInt8(truncatingIfNeeded: g.next())
            }
            check(src, "round \(round)")
        }
    }

    func testSequenceScanStopsAtEveryByteItDoesNotKnow() {
        // Every byte value at a position in each vector lane position and across vector boundaries.
        let body = Array(String(repeating: "ACGTNacgtn\n", count: 20).utf8)
        for b in 0..<256 where !"ACGTNacgtn\n".utf8.contains(UInt8(b)) {
            for at in [0, 1, 15, 16, 31, 32, 63, 64, 65, 127, 200] {
                var src = body
                src[at] = UInt8(b)
                check(src, "byte \(b) at \(at)")
            }
        }
        // Bytes that differ from a base only in bits 0x20 or 0x80 (must not read as bases).
        for b: UInt8 in [0x01, 0x03, 0x07, 0x0E, 0x14, 0xC1, 0xE1, 0xC3, 0xE7, 0xD4, 0xEE, 0x2A, 0x3E] {
            check([UInt8](repeating: UInt8(ascii: "A"), count: 70) + [b] + [UInt8](repeating: UInt8(ascii: "c"), count: 70), "byte \(b)")
        }
        check([], "empty")
        check([UInt8](repeating: 0x0A, count: 300), "newlines only")
        check(Array((String(repeating: "A", count: 60) + "\n>chr2\nACGT").utf8), "a header after a line")
        check(Array((String(repeating: "ACGT", count: 40) + "\r\nACGT").utf8), "CRLF")
    }

    func testCountAndMapKernels() {
        var g = SplitMix64(seed: 3)
        let table: [UInt8] = (0..<16).map { UInt8(($0 * 37 + 5) & 0xFF) }
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 1001] {
            let codes = (0..<len).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            let wantN = codes.filter { $0 & 4 != 0 }.count, wantLower = codes.filter { $0 & 8 != 0 }.count
            let wantMap = codes.map { table[Int($0 & 15)] }
            for level in levels {
                var nn = 0, lo = 0
                codes.withUnsafeBufferPointer { gp_count_n_lower(level, $0.baseAddress, len, &nn, &lo) }
                XCTAssertEqual(nn, wantN, "level \(level) len \(len)"); XCTAssertEqual(lo, wantLower, "level \(level) len \(len)")
                var out = [UInt8](repeating: 0, count: len)
                codes.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { gp_map_codes(level, s.baseAddress, len, table, $0.baseAddress) } }
                XCTAssertEqual(out, wantMap, "map, level \(level) len \(len)")
                // GC count, soft-mask bits and reverse complement against per-element definitions.
                let wantGC = codes.filter { $0 & 7 == 1 || $0 & 7 == 2 }.count
                XCTAssertEqual(codes.withUnsafeBufferPointer { gp_count_gc(level, $0.baseAddress, len) }, wantGC, "gc, level \(level) len \(len)")
                var wantBits = [UInt8](repeating: 0, count: (len + 7) / 8)
                for (i, c) in codes.enumerated() where c & 8 != 0 { wantBits[i / 8] |= 1 << UInt8(i % 8) }
                var bits = [UInt8](repeating: 0xAA, count: (len + 7) / 8)
                codes.withUnsafeBufferPointer { s in bits.withUnsafeMutableBufferPointer { gp_mask_bits(level, s.baseAddress, len, $0.baseAddress) } }
                XCTAssertEqual(bits, wantBits, "mask bits, level \(level) len \(len)")
                let small = codes.map { $0 & 0x0F }
                let wantRC = small.reversed().map { $0 & 4 != 0 ? $0 : $0 ^ 3 }
                var rc = [UInt8](repeating: 0, count: len)
                small.withUnsafeBufferPointer { s in rc.withUnsafeMutableBufferPointer { gp_reverse_complement(level, s.baseAddress, len, $0.baseAddress) } }
                XCTAssertEqual(rc, Array(wantRC), "reverse complement, level \(level) len \(len)")
            }
        }
    }

    struct Collect: FastaSink {
        var out: [String] = []
        var codes: [UInt8] = []
        mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool { out.append(">" + name); return true }
        mutating func bases(_ c: UnsafeBufferPointer<UInt8>) throws { codes.append(contentsOf: c) }
        mutating func composition(n: Int, lower: Int) { out.append("n=\(n) lower=\(lower)") }
        mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
            out.append("\(name) \(length) " + String(decoding: codes.map { BaseCode.decodeTable[Int($0)] }, as: UTF8.self))
            codes = []
        }
    }

    /// The parser gives the same records, codes and counts at every kernel level and chunking, on text
    /// that mixes the fast path with CRLF, spaces, IUPAC codes, blank lines and long lines; and errors name
    /// the same line and offset.
    func testParserIsTheSameAtEveryLevel() throws {
        var g = SplitMix64(seed: 11)
        var text = ""
        for r in 0..<6 {
            text += ">r\(r) desc\n"
            let width = [60, 80, 1, 7, 200, 1000][r]
            var seq = ""
            for _ in 0..<(300 + r * 97) { seq.append("ACGTNacgtnRYu".randomElement(using: &g)!) }
            var k = 0
            while k < seq.count {
                let e = min(seq.count, k + width)
                text += String(seq[seq.index(seq.startIndex, offsetBy: k)..<seq.index(seq.startIndex, offsetBy: e)])
                text += r == 2 ? "\r\n" : (r == 3 && k % 3 == 0 ? " \n\n" : "\n")
                k = e
            }
        }
        let bytes = Array(text.utf8)
        func parse(level: Int32, chunk: Int, _ b: [UInt8]) throws -> [String] {
            var p = FastaParser(path: "x.fa", codeCapacity: 5000, invalidBytes: .error)
            p.simdLevel = level
            defer { p.deallocate() }
            var sink = Collect()
            var at = 0
            while at < b.count {
                let e = min(b.count, at + chunk)
                try b[at..<e].withUnsafeBytes { try p.consume($0, at: at, sink: &sink) }
                at = e
            }
            try p.finish(sink: &sink)
            return sink.out
        }
        let want = try parse(level: 0, chunk: 1 << 20, bytes)
        XCTAssertEqual(want.count, 18)
        XCTAssertTrue(want[2].hasPrefix("r0 300 "))
        for level in levels {
            for chunk in [1, 3, 64, 1000, 1 << 20] {
                XCTAssertEqual(try parse(level: level, chunk: chunk, bytes), want, "level \(level) chunk \(chunk)")
            }
        }
        // An invalid byte deep in a long line: the same message (line, offset, record) at every level.
        var bad = bytes
        let at = bytes.firstIndex(of: UInt8(ascii: "\n"))! + 150
        bad[at] = UInt8(ascii: "!")
        var messages = Set<String>()
        for level in levels {
            XCTAssertThrowsError(try parse(level: level, chunk: 4096, bad)) { messages.insert("\($0)") }
        }
        XCTAssertEqual(messages.count, 1, "\(messages)")
        XCTAssertTrue(messages.first?.contains("'!'") ?? false, "\(messages)")
    }
}
