import Foundation
import Glibc
import XCTest
import Basics
@testable import Shards
import TestSupport

final class MDSTests: XCTestCase {
    var dir: URL!
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-mds-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    let columns = [MDSWriter.Column("tokens", .ndarrayUInt8), MDSWriter.Column("contig", .str), MDSWriter.Column("start", .int64)]

    /// The annotated hex dump of shared/specs/mds-format.md §3 (checked there against MosaicML's MDSWriter).
    func testByteLayoutMatchesTheSpecHexDump() throws {
        let w = try MDSWriter(directory: dir.path, columns: columns, zstdLevel: nil, hashes: [])
        try w.write([.u8([1, 2, 3]), .str("chr1"), .int64(100)])
        try w.write([.u8([255, 0]), .str("chrX"), .int64(-1)])
        try w.finish()
        let raw = Array(try Data(contentsOf: dir.appendingPathComponent("shard.00000.mds")))
        XCTAssertEqual(raw.count, 290)
        XCTAssertEqual(Array(raw[0..<16]), [2, 0, 0, 0, 0xf1, 0, 0, 0, 0x0a, 1, 0, 0, 0x22, 1, 0, 0])
        XCTAssertEqual(String(decoding: raw[16..<241], as: UTF8.self),
            #"{"column_encodings": ["str", "int64", "ndarray:uint8"], "column_names": ["contig", "start", "tokens"], "column_sizes": [null, 8, null], "compression": null, "format": "mds", "hashes": [], "size_limit": 67108864, "version": 2}"#)
        XCTAssertEqual(Array(raw[241..<266]), [4, 0, 0, 0, 5, 0, 0, 0] + Array("chr1".utf8) + [100, 0, 0, 0, 0, 0, 0, 0] + [4, 3, 1, 2, 3])
        XCTAssertEqual(Array(raw[266..<290]), [4, 0, 0, 0, 4, 0, 0, 0] + Array("chrX".utf8) + Array(repeating: 0xff, count: 8) + [4, 2, 255, 0])
        let index = try String(contentsOf: dir.appendingPathComponent("index.json"), encoding: .utf8)
        XCTAssertTrue(index.hasPrefix(#"{"shards": [{"column_encodings": ["str", "int64", "ndarray:uint8"]"#), index)
        XCTAssertTrue(index.contains(#""raw_data": {"basename": "shard.00000.mds", "bytes": 290, "hashes": {}}, "samples": 2"#), index)
        XCTAssertTrue(index.hasSuffix(#""zip_data": null}], "version": 2}"#), index)
        let r = try MDSReader(directory: dir.path)
        XCTAssertEqual(try r.sample(1), ["tokens": .u8([255, 0]), "contig": .str("chrX"), "start": .int64(-1)])
    }

    /// The header goes into room left in front of the records, sized from the first sample; a shard whose
    /// later samples are much smaller outgrows that room and its records move once. Both layouts, and the
    /// borrowed-bytes write of the character-token path, give the same files as the spec's layout.
    func testHeaderRoomAndBorrowedBytesGiveTheSpecLayout() throws {
        func samples() -> [[MDSValue]] {
            var out: [[MDSValue]] = [[.u8([UInt8](repeating: 7, count: 5000)), .str("big"), .int64(0)]]
            for i in 0..<3000 { out.append([.u8([UInt8(i & 0xFF), 1]), .str("c\(i % 7)"), .int64(Int64(i))]) }
            return out
        }
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        let wa = try MDSWriter(directory: a, columns: columns, zstdLevel: nil, hashes: [.xxh3_64], sizeLimit: 30_000)
        for v in samples() { try wa.write(v) }
        try wa.finish()
        let wb = try MDSWriter(directory: b, columns: columns, zstdLevel: nil, hashes: [.xxh3_64], sizeLimit: 30_000)
        for v in samples() {
            guard case .u8(let t) = v[0] else { return XCTFail() }
            try t.withUnsafeBufferPointer { try wb.write([.uint8(0), v[1], v[2]], borrowing: 0, $0) }
        }
        try wb.finish()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/index.json")), try Data(contentsOf: URL(fileURLWithPath: b + "/index.json")))
        let r = try MDSReader(directory: a)
        let all = samples()
        XCTAssertGreaterThan(wa.shards.count, 2)
        for i in stride(from: 0, to: all.count, by: 37) {
            XCTAssertEqual(try r.sample(i), ["tokens": all[i][0], "contig": all[i][1], "start": all[i][2]], "sample \(i)")
        }
        // Every shard file: u32 n, n + 1 offsets from the end of the header to the end of the file.
        for i in 0..<wa.shards.count {
            let raw = Array(try Data(contentsOf: URL(fileURLWithPath: a + "/shard.\(String(i).leftPad(5)).mds")))
            let u32 = { (at: Int) in Int(raw[at]) | Int(raw[at + 1]) << 8 | Int(raw[at + 2]) << 16 | Int(raw[at + 3]) << 24 }
            let n = u32(0)
            XCTAssertEqual(u32(4), 4 + 4 * (n + 1) + wa.configJSON.count, "shard \(i)")
            XCTAssertEqual(u32(4 + 4 * n), raw.count, "shard \(i)")
            XCTAssertEqual(Array(raw[(4 + 4 * (n + 1))..<u32(4)]), wa.configJSON, "shard \(i)")
        }
    }

    /// Fixed-length ndarray columns as the spec's §4 shows them: `ndarray:uint8:3` stores `01 02 03` and
    /// has column size 3; a value of another length is refused.
    func testFixedShapeNDArrayColumns() throws {
        XCTAssertEqual(MDSEncoding(rawValue: "ndarray:uint16:507"), MDSEncoding.ndarrayUInt16.fixed(507))
        XCTAssertNil(MDSEncoding(rawValue: "ndarray:int16:3,3,3"))
        XCTAssertNil(MDSEncoding(rawValue: "ndarray:uint8:0"))
        let cols = [MDSWriter.Column("tokens", MDSEncoding.ndarrayUInt8.fixed(3)), MDSWriter.Column("start", .int64)]
        let w = try MDSWriter(directory: dir.path, columns: cols, zstdLevel: nil, hashes: [])
        try w.write([.u8([1, 2, 3]), .int64(7)])
        XCTAssertThrowsError(try w.write([.u8([1, 2]), .int64(8)])) { XCTAssertTrue("\($0)".contains("fixed-length"), "\($0)") }
        try w.finish()
        let raw = Array(try Data(contentsOf: dir.appendingPathComponent("shard.00000.mds")))
        let config = #"{"column_encodings": ["int64", "ndarray:uint8:3"], "column_names": ["start", "tokens"], "column_sizes": [8, 3], "compression": null, "format": "mds", "hashes": [], "size_limit": 67108864, "version": 2}"#
        XCTAssertEqual(String(decoding: raw[12..<(12 + config.utf8.count)], as: UTF8.self), config)
        XCTAssertEqual(Array(raw.suffix(11)), [7, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3])
        XCTAssertEqual(try MDSReader(directory: dir.path).sample(0), ["tokens": .u8([1, 2, 3]), "start": .int64(7)])
    }

    func testZstdShardsRoundTripAndHashesMatchIndependentTools() throws {
        let w = try MDSWriter(directory: dir.path, columns: [MDSWriter.Column("tokens", .ndarrayUInt16), MDSWriter.Column("contig", .str),
                                                             MDSWriter.Column("start", .int64), MDSWriter.Column("strand", .uint8)],
                              zstdLevel: 3, hashes: [.xxh3_64, .sha1], sizeLimit: 20_000)
        var want: [[String: MDSValue]] = []
        var rng = SplitMix64(seed: 1)
        for i in 0..<500 {
            let toks = (0..<(20 + i % 50)).map { _ in UInt16(rng.below(4101)) }
            let v: [MDSValue] = [.u16(toks), .str("chr\(i % 7)"), .int64(Int64(i * 1000)), .uint8(UInt8(i % 2))]
            try w.write(v)
            want.append(["tokens": v[0], "contig": v[1], "start": v[2], "strand": v[3]])
        }
        try w.finish()
        let r = try MDSReader(directory: dir.path)
        XCTAssertEqual(r.sampleCount, 500)
        XCTAssertGreaterThan(r.shards.count, 2)
        for i in stride(from: 0, to: 500, by: 7) { XCTAssertEqual(try r.sample(i), want[i]) }
        XCTAssertEqual(try r.verify(), 500)
        // sha1sum, xxhsum -H3 and the zstd CLI agree with index.json and with the decoded raw shard.
        for (k, s) in r.shards.enumerated() {
            let zip = dir.appendingPathComponent(s.zipName!).path
            let (st1, sha) = try sh("sha1sum '\(zip)' | cut -d' ' -f1")
            XCTAssertEqual(st1, 0)
            XCTAssertEqual(sha.trimmingCharacters(in: .whitespacesAndNewlines), s.zipHashes["sha1"])
            let (st2, xx) = try sh("xxhsum -H3 '\(zip)' | awk '{print $NF}' | sed 's/^XXH3_//'")
            XCTAssertEqual(st2, 0, xx)
            XCTAssertEqual(xx.trimmingCharacters(in: .whitespacesAndNewlines), s.zipHashes["xxh3_64"])
            let rawPath = dir.appendingPathComponent("raw\(k)").path
            let (st3, log) = try sh("zstd -q -d -c '\(zip)' > '\(rawPath)'")
            XCTAssertEqual(st3, 0, log)
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: rawPath))), try r.rawShard(k))
        }
        // Python's json reads index.json with the exact MDS keys.
        let (st4, py) = try sh("python3 -c \"import json,sys; d=json.load(open('\(dir.path)/index.json')); print(d['version'], len(d['shards']), sorted(d['shards'][0].keys()) == sorted(['column_encodings','column_names','column_sizes','compression','format','hashes','raw_data','samples','size_limit','version','zip_data']))\"")
        XCTAssertEqual(st4, 0, py)
        XCTAssertEqual(py.trimmingCharacters(in: .whitespacesAndNewlines), "2 \(r.shards.count) True")
    }

    /// Record-planned zstd: every frame is ordinary zstd (the zstd CLI decodes it to the raw shard and finds
    /// the content size in its header), samples read back unchanged, and on real DNA it is smaller than
    /// zstd's own level-3 search over the same raw shard.
    func testRecordPlannedZstdIsOrdinaryZstdAndSmallerOnDNA() throws {
        let genome = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/lambda_phage.fa.gz").path
        let (st0, text) = try sh("gzip -dc '\(genome)' | grep -v '>' | tr -d '\\n'")
        XCTAssertEqual(st0, 0)
        let bases = Array(text.utf8)
        XCTAssertEqual(bases.count, 48502)
        let lut: [UInt8: UInt8] = [65: 5, 67: 6, 71: 7, 84: 8]
        let cols = columns + [MDSWriter.Column("strand", .uint8)]
        let w = try MDSWriter(directory: dir.path, columns: cols, zstdLevel: 3, sizeLimit: 20_000, literalColumn: "tokens")
        var want: [[String: MDSValue]] = []
        for (i, start) in stride(from: 0, to: bases.count - 500, by: 500).enumerated() {   // tiled, as a pipeline writes
            let toks = bases[start..<(start + 500 - i % 3)].map { lut[$0] ?? 9 }   // lengths vary: 500, 499, 498
            let v: [MDSValue] = [.u8(toks), .str(i < 50 ? "lambda" : "lambda-second-half"), .int64(Int64(start)), .uint8(UInt8(i % 2))]
            try w.write(v)
            want.append(["tokens": v[0], "contig": v[1], "start": v[2], "strand": v[3]])
        }
        try w.finish()
        let r = try MDSReader(directory: dir.path)
        XCTAssertEqual(r.sampleCount, want.count)
        XCTAssertGreaterThan(r.shards.count, 2)
        for i in 0..<want.count { XCTAssertEqual(try r.sample(i), want[i], "sample \(i)") }
        XCTAssertEqual(try r.verify(), want.count)
        var planned = 0, searched = 0
        for (k, s) in r.shards.enumerated() {
            let zip = dir.appendingPathComponent(s.zipName!).path
            let rawPath = dir.appendingPathComponent("raw\(k)").path
            let (st1, log) = try sh("zstd -q -d -c '\(zip)' > '\(rawPath)' && zstd -lv '\(zip)' | grep -c 'Decompressed Size'")
            XCTAssertEqual(st1, 0, log)
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: rawPath))), try r.rawShard(k))
            let (st2, size) = try sh("zstd -3 -q -c '\(rawPath)' | wc -c")
            XCTAssertEqual(st2, 0)
            planned += s.zipBytes!; searched += Int(size.trimmingCharacters(in: .whitespacesAndNewlines))!
        }
        XCTAssertLessThan(planned, searched, "record-planned \(planned) bytes vs zstd -3 \(searched)")
    }

    func testVerifyNamesTheDamagedShardAndRefusesNewerIndex() throws {
        let w = try MDSWriter(directory: dir.path, columns: columns, zstdLevel: 3, sizeLimit: 4_000)
        for i in 0..<200 { try w.write([.u8(Array(repeating: UInt8(i % 250), count: 50)), .str("c"), .int64(Int64(i))]) }
        try w.finish()
        let shard1 = dir.appendingPathComponent("shard.00001.mds.zstd")
        var bytes = Array(try Data(contentsOf: shard1))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: shard1)
        XCTAssertThrowsError(try MDSReader(directory: dir.path).verify()) { e in
            XCTAssertTrue("\(e)".contains("shard 1") && "\(e)".contains("corrupted") && "\(e)".contains("shard.00001.mds.zstd"), "\(e)")
            // The samples it costs. Each sample is 69 bytes (two u32 sizes, "c", an int64, a 52-byte ndarray)
            // and the header 4 + 4 (n + 1) + 240 bytes of config, so 51 fit in 4,000 bytes: shard 1 holds 51...101.
            XCTAssertTrue("\(e)".contains("samples 51...101"), "\(e)")
        }
        try Data(bytes.prefix(10)).write(to: shard1)
        XCTAssertThrowsError(try MDSReader(directory: dir.path).verify()) { e in
            XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
            XCTAssertTrue("\(e)".contains("samples 51...101 (all of this shard) cannot be read"), "\(e)")
        }
        let indexURL = dir.appendingPathComponent("index.json")
        let index = try String(contentsOf: indexURL, encoding: .utf8)
        try index.replacingOccurrences(of: #"], "version": 2}"#, with: #"], "version": 3}"#).write(to: indexURL, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MDSReader(directory: dir.path)) { e in XCTAssertTrue("\(e)".contains("version 3") && "\(e)".contains("newer"), "\(e)") }
        try index.replacingOccurrences(of: #""samples": "#, with: #""extra": 1, "samples": "#).write(to: indexURL, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MDSReader(directory: dir.path)) { e in XCTAssertTrue("\(e)".contains("extra"), "\(e)") }
    }

    /// An index is read as hostile input: basenames stay inside the folder, and numbers are range-checked
    /// before they size or offset anything (issue 10).
    func testIndexWithEscapingBasenamesOrHugeNumbersIsRefused() throws {
        let w = try MDSWriter(directory: dir.path, columns: columns, zstdLevel: 3)
        for i in 0..<5 { try w.write([.u8([1, 2, 3]), .str("c"), .int64(Int64(i))]) }
        try w.finish()
        let indexURL = dir.appendingPathComponent("index.json")
        let index = try String(contentsOf: indexURL, encoding: .utf8)
        XCTAssertEqual(try MDSReader(directory: dir.path).sampleCount, 5)
        for bad in ["../../etc/shadow", "/etc/passwd", "a//b", "./shard.00000.mds", "part-0/../../x"] {
            try index.replacingOccurrences(of: #""shard.00000.mds.zstd""#, with: "\"\(bad)\"")
                .write(to: indexURL, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try MDSReader(directory: dir.path), bad) { e in
                XCTAssertEqual("\(e)", "\(indexURL.path): shard entry 0: basename '\(bad)' is not a plain relative path inside the folder")
            }
        }
        for (key, value) in [(#""samples": 5"#, #""samples": 9223372036854775807"#), (#""samples": 5"#, #""samples": -1"#)] {
            try index.replacingOccurrences(of: key, with: value).write(to: indexURL, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try MDSReader(directory: dir.path), value) { e in
                XCTAssertTrue("\(e)".hasPrefix(indexURL.path + ": shard entry 0: samples is not a count"), "\(e)")
            }
        }
        XCTAssertTrue(MDSReader.isPlainRelativePath("part-00000/shard.00000.mds.zstd"))
        // A flipped name, size or compression in the entry disagrees with the shard's own config block.
        for (from, to) in [(#""tokens""#, #""tokenz""#), (#""zstd""#, #""zstd:9""#), (#""column_sizes": [null, 8, null]"#, #""column_sizes": [null, 4, null]"#)] {
            try index.replacingOccurrences(of: from, with: to).write(to: indexURL, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try MDSReader(directory: dir.path).verify(), to) { e in
                XCTAssertTrue("\(e)".contains("index.json entry disagrees with the shard"), "\(e)")
            }
        }
        // StreamingDataset's decompressed copy beside the .zstd is checked when present.
        try index.write(to: indexURL, atomically: true, encoding: .utf8)
        let raw = try MDSReader(directory: dir.path).rawShard(0)
        try Data(raw).write(to: dir.appendingPathComponent("shard.00000.mds"))
        XCTAssertEqual(try MDSReader(directory: dir.path).verify(), 5)
        var bad = raw; bad[bad.count - 1] ^= 1
        try Data(bad).write(to: dir.appendingPathComponent("shard.00000.mds"))
        XCTAssertThrowsError(try MDSReader(directory: dir.path).verify()) { e in XCTAssertTrue("\(e)".contains("decompressed copy"), "\(e)") }
    }

    /// Resume adopts a shard only when the journal the interrupted writer left after it matches the file:
    /// a shard damaged since (or never journalled) is written again, with every shard after it, and the
    /// result equals an uninterrupted run with no journal left behind (issue 10).
    func testResumeAdoptsOnlyJournalledIntactShards() throws {
        func sample(_ i: Int) -> [MDSValue] { [.u8(Array(repeating: UInt8(i % 250), count: 50)), .str("c"), .int64(Int64(i))] }
        let whole = dir.appendingPathComponent("whole").path
        let w0 = try MDSWriter(directory: whole, columns: columns, zstdLevel: 3, sizeLimit: 4_000)
        for i in 0..<200 { try w0.write(sample(i)) }
        try w0.finish()
        let want = try String(contentsOfFile: whole + "/index.json", encoding: .utf8)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: whole).contains { $0.hasSuffix(".done") })

        for damage in ["none", "flip shard 1", "no journal for shard 1"] {
            let d = dir.appendingPathComponent("resume-\(damage.count)").path
            let w = try MDSWriter(directory: d, columns: columns, zstdLevel: 3, sizeLimit: 4_000)
            for i in 0..<120 { try w.write(sample(i)) }
            w.drain()   // killed: shards and journals on disk, no index.json
            XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/index.json"))
            if damage == "flip shard 1" {
                let url = URL(fileURLWithPath: d + "/shard.00001.mds.zstd")
                var b = Array(try Data(contentsOf: url)); b[b.count / 2] ^= 1; try Data(b).write(to: url)
            } else if damage == "no journal for shard 1" {
                unlink(d + "/.shard.00001.mds.zstd.done")
            }
            let again = try MDSWriter(directory: d, columns: columns, zstdLevel: 3, sizeLimit: 4_000)
            let adopted = try again.adoptExistingShards()
            // 51 samples per shard (see testVerifyNamesTheDamagedShard...); 120 samples left shards 0 and 1 complete.
            XCTAssertEqual(adopted, damage == "none" ? 102 : 51, damage)
            for i in adopted..<200 { try again.write(sample(i)) }
            try again.finish()
            XCTAssertEqual(try String(contentsOfFile: d + "/index.json", encoding: .utf8), want, damage)
            XCTAssertEqual(try MDSReader(directory: d).verify(), 200)
            XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: d).contains { $0.hasSuffix(".done") }, damage)
        }
    }

    /// A leftover shard whose zstd frame declares 1 TiB is not adopted (and nothing that size is allocated).
    func testResumeIgnoresAFrameDeclaringATerabyte() throws {
        // zstd frame header: magic, descriptor 0xE0 (single segment, 8-byte content size), size 2^40.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { frame.append(contentsOf: $0) }
        frame += [1, 0, 0]
        try Data(frame).write(to: dir.appendingPathComponent("shard.00000.mds.zstd"))
        let w = try MDSWriter(directory: dir.path, columns: columns, zstdLevel: 3, sizeLimit: 4_000)
        XCTAssertEqual(try w.adoptExistingShards(), 0)
    }

    func testBadValuesAreRefused() throws {
        let w = try MDSWriter(directory: dir.path, columns: columns, zstdLevel: nil)
        XCTAssertThrowsError(try w.write([.u8([]), .str("c"), .int64(1)]))
        XCTAssertThrowsError(try w.write([.str("x"), .str("c"), .int64(1)]))
        XCTAssertThrowsError(try MDSWriter(directory: dir.path, columns: columns, zstdLevel: 30))
    }
}

/// The index.json specimen corpus (IndexSpecimens/manifest.json): each case changes the index a writer
/// wrote for a 3-shard dataset (a literal or regex replacement, or a whole text) and must be refused when
/// the folder is opened or verified, with an error naming index.json (or the shard) and the place.
final class IndexSpecimenTests: XCTestCase {
    struct Entry: Decodable {
        var name: String
        var valid: Bool?
        var replace: [String]?
        var regex: [String]?
        var regex2: [String]?
        var text: String?
        var mentions: [String]?
    }

    func testEveryIndexSpecimen() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-index-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cols = [MDSWriter.Column("tokens", .ndarrayUInt8), MDSWriter.Column("contig", .str), MDSWriter.Column("start", .int64)]
        let w = try MDSWriter(directory: dir.path, columns: cols, zstdLevel: 3, hashes: [.sha1, .xxh3_64], sizeLimit: 600)
        for i in 0..<9 { try w.write([.u8((0..<100).map { UInt8(($0 + i) % 7) }), .str("c"), .int64(Int64(i))]) }
        try w.finish()
        let indexURL = dir.appendingPathComponent("index.json")
        let good = try String(contentsOf: indexURL, encoding: .utf8)
        XCTAssertEqual(try MDSReader(directory: dir.path).verify(), 9)
        let m = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: repoRoot.appendingPathComponent("Tests/ShardsTests/IndexSpecimens/manifest.json")))
        XCTAssertGreaterThanOrEqual(m.count, 20)
        for e in m {
            var text = good
            if let r = e.replace {
                XCTAssertTrue(text.contains(r[0]), "\(e.name): '\(r[0])' is not in the index")
                text = text.replacingOccurrences(of: r[0], with: r[1])
            }
            for rx in [e.regex, e.regex2].compactMap({ $0 }) {
                let re = try NSRegularExpression(pattern: rx[0])
                XCTAssertNotNil(re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), "\(e.name): no match for \(rx[0])")
                text = re.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: rx[1])
            }
            if let t = e.text { text = t == "DEEP" ? String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000) : t }
            try text.write(to: indexURL, atomically: true, encoding: .utf8)
            if e.valid == true { XCTAssertEqual(try MDSReader(directory: dir.path).verify(), 9, e.name); continue }
            XCTAssertThrowsError(try MDSReader(directory: dir.path).verify(), e.name) { err in
                let s = "\(err)"
                XCTAssertTrue(s.contains("index.json") || s.contains("shard.0000"), "\(e.name): names no file: \(s)")
                for w in e.mentions ?? [] { XCTAssertTrue(s.contains(w), "\(e.name): '\(w)' missing from: \(s)") }
            }
        }
    }
}

/// Every single-bit flip in one index.json entry (issue 10 found 82 of 514 that still verified): each must
/// either leave the entry meaning the same (the same JSON value) or be refused by open or verify.
final class IndexBitFlipTests: XCTestCase {
    func testEverySingleBitFlipInAnEntryIsCaught() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gp-flip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cols = [MDSWriter.Column("tokens", .ndarrayUInt8), MDSWriter.Column("contig", .str), MDSWriter.Column("start", .int64)]
        let w = try MDSWriter(directory: dir.path, columns: cols, zstdLevel: 3, hashes: [.sha1, .xxh3_64], sizeLimit: 600)
        for i in 0..<4 { try w.write([.u8((0..<100).map { UInt8(($0 * 3 + i) % 11) }), .str("chr\(i)"), .int64(Int64(i * 1000))]) }
        try w.finish()
        let indexURL = dir.appendingPathComponent("index.json")
        let good = Array(try Data(contentsOf: indexURL))
        let goodValue = try JSONValue.parse(good)
        // The first entry: from the '{' after "shards": [ to its closing '}'.
        let start = good.firstIndex(of: UInt8(ascii: "["))! + 1
        var depth = 0, end = start
        for k in start..<good.count {
            if good[k] == UInt8(ascii: "{") { depth += 1 }
            if good[k] == UInt8(ascii: "}") { depth -= 1; if depth == 0 { end = k + 1; break } }
        }
        var flips = 0, refused = 0, sameMeaning = 0
        var passedWrong: [String] = []
        for k in start..<end {
            for bit in 0..<8 {
                var bytes = good
                bytes[k] ^= UInt8(1 << bit)
                try Data(bytes).write(to: indexURL)
                flips += 1
                do {
                    _ = try MDSReader(directory: dir.path).verify()
                    if let v = try? JSONValue.parse(bytes), v == goodValue { sameMeaning += 1 }
                    else { passedWrong.append("byte \(k - start) bit \(bit): '\(String(decoding: bytes[max(start, k - 12)..<min(end, k + 12)], as: UTF8.self))'") }
                } catch { refused += 1 }
            }
        }
        try Data(good).write(to: indexURL)
        XCTAssertGreaterThan(flips, 2000)
        XCTAssertEqual(passedWrong, [], "\(passedWrong.count) of \(flips) flips verified with a different meaning")
        XCTAssertEqual(refused + sameMeaning, flips)
        print("index bit flips: \(flips) flips in one entry, \(refused) refused, \(sameMeaning) with the same meaning, \(passedWrong.count) passed wrongly")
    }
}
