import Foundation
import XCTest
import Basics
import TestSupport
@testable import GenomeIO

/// The specimen corpus: every file in Specimens/manifest.json, valid and invalid, with its expected
/// outcome (made by make_specimens.py; hand-checked counts).
final class SpecimenTests: XCTestCase {
    struct Entry: Decodable {
        var file: String
        var valid: Bool
        var mode: String
        var kind: String?
        var mentions: [String]?
        var records: Int?
        var bases: Int?
        var n: Int?
        var lower: Int?
        var names: [String]?
        var format: String?
    }

    func manifest() throws -> [Entry] {
        let data = try Data(contentsOf: URL(fileURLWithPath: specimen("manifest.json")))
        return try JSONDecoder().decode([Entry].self, from: data)
    }

    func testCorpusIsLargeEnough() throws {
        let m = try manifest()
        XCTAssertGreaterThanOrEqual(Set(m.map(\.file)).count, 25)
        XCTAssertGreaterThanOrEqual(m.filter { !$0.valid }.count, 20)
    }

    func testValidStreamSpecimens() throws {
        for e in try manifest() where e.valid && e.mode == "stream" {
            // Tiny chunk sizes put every line, header and CRLF across chunk boundaries.
            let s = try GenomeStats.compute(path: specimen(e.file), threads: 1)
            XCTAssertEqual(s.records, e.records, e.file)
            XCTAssertEqual(s.bases, e.bases, e.file)
            if let n = e.n { XCTAssertEqual(s.n, n, e.file) }
            if let l = e.lower { XCTAssertEqual(s.lower, l, e.file) }
            if let f = e.format { XCTAssertEqual(s.format.rawValue, f, e.file) }
            for chunk in (e.bases ?? 0) < 10_000 ? [4 << 20, 4096, 7] : [4 << 20, 65_536] {
                var sink = CollectSink()
                try FastaReader(path: specimen(e.file), threads: 1, chunkSize: chunk).read(into: &sink)
                XCTAssertEqual(sink.names.count, e.records, "\(e.file) chunk \(chunk)")
                XCTAssertEqual(sink.seqs.map(\.count).reduce(0, +), e.bases, "\(e.file) chunk \(chunk)")
                if let names = e.names { XCTAssertEqual(sink.names, names, e.file) }
            }
        }
    }

    func testInvalidSpecimensGiveClearErrors() throws {
        var checked = 0
        for e in try manifest() where !e.valid {
            do {
                switch e.mode {
                case "stream": _ = try GenomeStats.compute(path: specimen(e.file), threads: 2)
                case "index": _ = try FaiIndex(path: specimen(e.file))
                case "windows":
                    var o = WindowsOptions(inputs: [specimen(e.file)])
                    o.window = 10
                    o.sampler = .random(count: 5, perContig: false)
                    _ = try WindowsJob.run(o, output: nil, format: .none)
                default: XCTFail("unknown mode \(e.mode)")
                }
                XCTFail("\(e.file) (\(e.mode)): expected \(e.kind ?? "?"), got success")
            } catch let err as GenomeIOError {
                XCTAssertEqual(err.kind.rawValue, e.kind, "\(e.file): \(err)")
                for m in e.mentions ?? [] {
                    XCTAssertTrue(err.description.contains(m), "\(e.file): error should mention \(m): \(err)")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 25)
    }

    func testIndexedSpecimensMatchStreaming() throws {
        for e in try manifest() where e.valid && e.mode == "index" {
            let idx = try FaiIndex(path: specimen(e.file))
            var sink = CollectSink()
            try FastaReader(path: specimen(e.file)).read(into: &sink)
            XCTAssertEqual(idx.entries.map(\.name), sink.names)
            for (name, codes) in zip(sink.names, sink.seqs) {
                let fetched = try idx.fetchASCII(contig: name, start: 0, end: codes.count)
                XCTAssertEqual(String(decoding: fetched, as: UTF8.self), decode(codes))
                let mid = try idx.fetchASCII(contig: name, start: 55, end: 70)
                XCTAssertEqual(String(decoding: mid, as: UTF8.self), String(decode(codes).dropFirst(55).prefix(15)))
            }
        }
    }

    func testLenientPolicyReadsIllegalBytesAsN() throws {
        var sink = CollectSink()
        try FastaReader(path: specimen("illegal_dot.fa"), invalidBytes: .n).read(into: &sink)
        XCTAssertEqual(decode(sink.seqs[0]), "ACGTNACGT")
    }
}
