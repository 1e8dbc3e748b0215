import XCTest
import Basics
import TestSupport
@testable import GenomeIO

final class BaseCodeTests: XCTestCase {
    func testHandWorkedEncoding() {
        let t = BaseCode.encodeTable
        let input = Array("ACGTacgtUuNnRyX-".utf8)
        let want: [UInt8] = [0, 1, 2, 3, 8, 9, 10, 11, 3, 11, 4, 12, 4, 12, 0x80, 0x80]
        XCTAssertEqual(input.map { t[Int($0)] }, want)
        // Every IUPAC ambiguity code in both cases reads as N.
        for ch in "RYKMSWBDHVN".utf8 {
            XCTAssertEqual(t[Int(ch)], BaseCode.n)
            XCTAssertEqual(t[Int(ch | 0x20)], BaseCode.n | BaseCode.softMask)
        }
        // Digits, '-', '*', '.', '@' and control bytes are errors by default.
        for ch in Array("0123456789-*.@>".utf8) + [0, 1, 7, 0x7f, 0xff] {
            XCTAssertEqual(t[Int(ch)], BaseCode.invalid, "byte \(ch)")
        }
    }

    func testASCIIComplementIsAnInvolutionOverAll256Bytes() {
        let c = BaseCode.asciiComplement
        for x in 0..<256 { XCTAssertEqual(Int(c[Int(c[x])]), x, "byte \(x)") }
        let all = (0..<256).map { UInt8($0) }
        XCTAssertEqual(BaseCode.reverseComplementASCII(BaseCode.reverseComplementASCII(all)), all)
    }

    func testIUPACComplementsBothCases() {
        let pairs = ["AT", "CG", "RY", "KM", "BV", "DH", "SS", "WW", "NN"]
        for p in pairs {
            let a = Array(p.utf8)
            XCTAssertEqual(BaseCode.asciiComplement[Int(a[0])], a[1])
            XCTAssertEqual(BaseCode.asciiComplement[Int(a[1])], a[0])
            XCTAssertEqual(BaseCode.asciiComplement[Int(a[0] | 0x20)], a[1] | 0x20)
        }
        XCTAssertEqual(String(decoding: BaseCode.reverseComplementASCII(Array("ACGTNacgtnRYkmBDhv".utf8)), as: UTF8.self),
                       "bdHVkmRYnacgtNACGT")
    }

    func testCodeReverseComplementKeepsSoftMaskAndIsInvolution() {
        var codes: [UInt8] = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12]
        let orig = codes
        codes.withUnsafeMutableBufferPointer { BaseCode.reverseComplement($0) }
        XCTAssertEqual(decode(codes), "nacgtNACGT")
        codes.withUnsafeMutableBufferPointer { BaseCode.reverseComplement($0) }
        XCTAssertEqual(codes, orig)
    }

    func testSplitMix64KnownValues() {
        // Reference values of SplitMix64 seeded with 1234567 (from the published C implementation).
        var g = SplitMix64(seed: 1234567)
        XCTAssertEqual(g.next(), 6457827717110365317)
        XCTAssertEqual(g.next(), 3203168211198807973)
        var h = SplitMix64(seed: 9)
        for _ in 0..<1000 { XCTAssertLessThan(h.below(7), 7) }
    }
}

final class KernelTests: XCTestCase {
    func testSmallKernelsAgreeWithTables() {
        let codes: [UInt8] = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12]
        var ascii = [UInt8](repeating: 0, count: codes.count)
        codes.withUnsafeBufferPointer { s in ascii.withUnsafeMutableBufferPointer { Kernels.decode(s.baseAddress!, $0.baseAddress!, codes.count) } }
        XCTAssertEqual(ascii, codes.map { BaseCode.decodeTable[Int($0)] })
        var rc = [UInt8](repeating: 0, count: codes.count)
        codes.withUnsafeBufferPointer { s in rc.withUnsafeMutableBufferPointer { Kernels.reverseComplement(s.baseAddress!, $0.baseAddress!, codes.count) } }
        XCTAssertEqual(rc, codes.reversed().map { BaseCode.complement($0) })
        let (n, lower) = codes.withUnsafeBufferPointer { Kernels.countNAndLower($0.baseAddress!, codes.count) }
        XCTAssertEqual(n, 2); XCTAssertEqual(lower, 5)
    }
}
