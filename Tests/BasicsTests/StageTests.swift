import Dispatch
import Foundation
import Synchronization
import XCTest
@testable import Basics
import TestSupport

final class StageTests: XCTestCase {
    /// A serial stage runs items in submission order and never holds more than `inFlight` at once.
    func testSerialStageKeepsOrderAndBoundsItemsInFlight() throws {
        let stage = Stage(label: "t", inFlight: 3)
        let seen = Mutex<[Int]>([])
        let pending = Atomic<Int>(0), peak = Atomic<Int>(0)
        for i in 0..<200 {
            let now = pending.add(1, ordering: .relaxed).newValue
            _ = peak.max(now, ordering: .relaxed)
            try stage.submit {
                if i % 17 == 0 { usleep(500) }
                seen.withLock { $0.append(i) }
                pending.subtract(1, ordering: .relaxed)
            }
        }
        try stage.finish()
        XCTAssertEqual(seen.withLock { $0 }, Array(0..<200))
        // Counted before submit returns: at most inFlight queued or running, plus the one being submitted.
        XCTAssertLessThanOrEqual(peak.load(ordering: .relaxed), 4)
        XCTAssertGreaterThan(stage.busySeconds, 0)
    }

    /// The first failure is kept, later items are skipped, and submit and finish throw it.
    func testFirstFailureStopsTheStageAndIsThrown() throws {
        struct Boom: Error, Equatable { let n: Int }
        let stage = Stage(label: "t", inFlight: 2)
        let ran = Atomic<Int>(0)
        try stage.submit { ran.add(1, ordering: .relaxed); throw Boom(n: 1) }
        stage.drain()
        XCTAssertThrowsError(try stage.submit { ran.add(1, ordering: .relaxed) }) { XCTAssertEqual($0 as? Boom, Boom(n: 1)) }
        XCTAssertThrowsError(try stage.finish()) { XCTAssertEqual($0 as? Boom, Boom(n: 1)) }
        XCTAssertEqual(ran.load(ordering: .relaxed), 1)
    }

    /// A concurrent stage runs every item once; a slow consumer makes the producer wait (blockedSeconds).
    func testConcurrentStageRunsEveryItemAndBlocksAFastProducer() throws {
        let stage = Stage(label: "t", inFlight: 2, concurrent: true)
        let sum = Atomic<Int>(0)
        for i in 1...20 { try stage.submit { usleep(2000); sum.add(i, ordering: .relaxed) } }
        try stage.finish()
        XCTAssertEqual(sum.load(ordering: .relaxed), 210)
        XCTAssertGreaterThan(stage.blockedSeconds, 0.005)
    }

    func testBoundedQueueIsFIFOAcrossThreads() {
        let q = BoundedQueue<Int>(capacity: 2)
        spawnThread { for i in 0..<1000 { q.push(i) } }
        var got: [Int] = []
        for _ in 0..<1000 { got.append(q.pop()) }
        XCTAssertEqual(got, Array(0..<1000))
    }
}

final class FilesAndJSONTests: XCTestCase {
    /// CRC-32 through libdeflate against Python's zlib.crc32 (an independent implementation).
    func testCRC32MatchesZlib() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.bin").path
        var bytes = [UInt8](repeating: 0, count: 3_000_001)
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in bytes.indices { x = x &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(truncatingIfNeeded: x >> 33) }
        try writeAtomically(bytes, to: path)
        let want = try python("import sys, zlib; print(format(zlib.crc32(open(sys.argv[1], 'rb').read()), 'x'))", [path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try InputFingerprint.of(path: path), InputFingerprint(name: "x.bin", bytes: bytes.count, crc32: want))
        XCTAssertEqual(bytes.withUnsafeBytes { String(CRC32.of($0), radix: 16) }, want)
    }

    /// Python's json.dumps(sort_keys=True) on the same value gives the same text.
    func testPythonRenderingMatchesJSONDumps() throws {
        let text = #"{"b": [1, 2.5, "x\u00e9\n"], "a": {"z": null, "y": true}, "c": "q\"/"}"#
        let v = try JSONValue.parse(Array(text.utf8))
        let want = try python("import json, sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True), end='')", [text])
        XCTAssertEqual(v.renderPython(), want)
        XCTAssertEqual(try v.field("a").field("y").asBool(), true)
        XCTAssertThrowsError(try v.field("missing")) { XCTAssertTrue("\($0)".contains("missing key 'missing'")) }
        XCTAssertThrowsError(try v.field("c").asInt()) { XCTAssertTrue("\($0)".contains("found a string")) }
    }

    /// An output that cannot be created is an error naming the path, and no file appears.
    func testOutputFileThatCannotBeCreatedIsAnError() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("no/such/folder/x.bin").path
        XCTAssertThrowsError(try writeAtomically([1, 2, 3], to: bad)) { e in
            XCTAssertTrue(e is any GenomePrepError)
            XCTAssertTrue("\(e)".hasPrefix(bad + ": cannot create output"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
    }
}

final class JSONHostileInputTests: XCTestCase {
    func parseError(_ text: String) -> String? {
        do { _ = try JSONValue.parse(Array(text.utf8)); return nil } catch { return "\(error)" }
    }

    /// Deep nesting is an error with the byte where it went too deep, not a stack overflow.
    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(parseError(deep), "nesting deeper than 512 levels at line 1, column 513 (byte 512)")
        let ok = String(repeating: "{\"a\":", count: 500) + "1" + String(repeating: "}", count: 500)
        XCTAssertNil(parseError(ok))
    }

    /// Lone surrogates are errors (they were a trap on UInt32 underflow); a proper pair decodes.
    func testLoneSurrogatesAreErrors() throws {
        XCTAssertEqual(parseError(#"{"name": "\ud800\u0041"}"#), #"lone surrogate \ud800 at line 1, column 11 (byte 10)"#)
        XCTAssertEqual(parseError(#"["\udc00"]"#), #"lone surrogate \udc00 at line 1, column 3 (byte 2)"#)
        XCTAssertEqual(parseError(#"["\ud800"]"#), #"lone surrogate \ud800 at line 1, column 3 (byte 2)"#)
        XCTAssertEqual(try JSONValue.parse(Array(#"["\ud83e\uddec"]"#.utf8)), .array([.string("\u{1F9EC}")]))
    }

    /// A key given twice is an error naming it (it silently took the last value).
    func testDuplicateKeysAreErrors() {
        XCTAssertEqual(parseError(#"{"window": 1000, "window": 10}"#), "duplicate key 'window' at line 1, column 18 (byte 17)")
        XCTAssertNil(parseError(#"{"a": {"window": 1}, "window": 2}"#))
    }
}
