import Dispatch
import CKernels
import CZlib
import FoundationEssentials
import GenomeIO
import Glibc

/// An input as the table records it: file name, size and CRC-32 of its bytes.
/// Computes the inputs' fingerprints on a Dispatch queue while the run goes on.
public final class FingerprintTask: @unchecked Sendable {
    let group = DispatchGroup()
    var result: Result<[InputFingerprint], any Error> = .success([])

    public init(paths: [String]) {
        group.enter()
        DispatchQueue.global().async { [self] in
            result = Result { try paths.map { try InputFingerprint.of(path: $0) } }
            group.leave()
        }
    }

    public func wait() throws -> [InputFingerprint] {
        group.wait()
        return try result.get()
    }
}

public struct InputFingerprint: Codable, Sendable, Equatable {
    public var name: String
    public var bytes: Int
    public var crc32: String

    /// Reads the whole file once.
    public static func of(path: String) throws -> InputFingerprint {
        guard let f = fopen(path, "rb") else {
            throw GenomeIOError(.cannotOpen, "cannot open: \(String(cString: strerror(errno)))", at: InputLocation(path: path))
        }
        defer { fclose(f) }
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 20)
        defer { buf.deallocate() }
        var crc: UInt32 = 0
        var total = 0
        while true {
            let n = fread(buf, 1, 1 << 20, f)
            if n == 0 { break }
            crc = gp_crc32(crc, buf, n)
            total += n
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return InputFingerprint(name: name, bytes: total, crc32: String(crc, radix: 16))
    }
}

/// Everything a PMI table depends on; a run whose settings differ must not use the table.
public struct PMISettings: Codable, Sendable, Equatable {
    public var rankN: Int
    public var maxK: Int
    public var minCount: UInt64
    public var strand: String
    public var inputs: [InputFingerprint]
}

/// The compact side table for the trainer and the shards stage: the rank of every n-gram
/// (n = `settings.rankN`) indexed by its 2-bit code.
///
/// Layout (little-endian): magic `GPPMIRK1` (8 bytes), UInt32 JSON header length, the JSON header
/// (`formatVersion`, `settings`, `ranked`, `tool`), UInt16 ranks[4^n], UInt32 CRC-32 of all the bytes before it.
public struct PMIRankTable: Sendable, Equatable {
    public static let magic = Array("GPPMIRK1".utf8)
    public static let formatVersion = 1
    public var settings: PMISettings
    public var ranked: Int
    public var ranks: [UInt16]

    struct Header: Codable { var formatVersion: Int; var settings: PMISettings; var ranked: Int; var tool: String }

    public init(settings: PMISettings, ranked: Int, ranks: [UInt16]) {
        self.settings = settings; self.ranked = ranked; self.ranks = ranks
    }

    public func serialized() -> [UInt8] {
        let header = Header(formatVersion: Self.formatVersion, settings: settings, ranked: ranked, tool: "genome-prep 0.1.0")
        let json = Array(JSONText.encode(header).utf8)
        var out = Self.magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(UInt32(json.count))
        out.append(contentsOf: json)
        for r in ranks { withUnsafeBytes(of: r.littleEndian) { out.append(contentsOf: $0) } }
        let crc = out.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        u32(crc)
        return out
    }

    /// Writes atomically (temporary name, then rename).
    public func write(to path: String) throws {
        let file = try OutputFile(path: path)
        let bytes = serialized()
        do { try bytes.withUnsafeBytes { try file.write($0) }; try file.commit() } catch { file.abandon(); throw error }
    }

    /// Loads and checks a table; with `expect`, refuses one made with other settings or inputs.
    public static func load(path: String, expect: PMISettings? = nil) throws -> PMIRankTable {
        guard let f = fopen(path, "rb") else {
            throw GenomeIOError(.cannotOpen, "cannot open PMI table: \(String(cString: strerror(errno)))", at: InputLocation(path: path))
        }
        var bytes: [UInt8] = []
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
        while true { let n = fread(buf, 1, 1 << 16, f); if n == 0 { break }; bytes.append(contentsOf: UnsafeBufferPointer(start: buf, count: n)) }
        buf.deallocate(); fclose(f)
        let loc = InputLocation(path: path)
        func bad(_ why: String) -> GenomeIOError { GenomeIOError(.malformed, "not a valid PMI rank table: \(why)", at: loc) }
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw bad("wrong magic bytes (expected GPPMIRK1)") }
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        let crcStored = u32(bytes.count - 4)
        let crc = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32(bytes.count - 4))) }
        guard crc == crcStored else { throw bad("checksum mismatch (truncated or edited file)") }
        let hlen = Int(u32(8))
        guard 12 + hlen <= bytes.count - 4 else { throw bad("header length \(hlen) runs past the end") }
        let header: Header
        do { header = try JSONText.decode(Header.self, from: Array(bytes[12..<(12 + hlen)])) }
        catch { throw bad("header JSON: \(error)") }
        guard header.formatVersion <= formatVersion else {
            throw GenomeIOError(.malformed, "PMI table format version \(header.formatVersion) is newer than this tool reads (\(formatVersion))", at: loc,
                                hint: "upgrade genome-prep")
        }
        let n = header.settings.rankN
        guard (1...8).contains(n), bytes.count - 4 - 12 - hlen == 2 << (2 * n) else { throw bad("rank array size does not match n = \(n)") }
        var ranks = [UInt16](repeating: 0, count: 1 << (2 * n))
        var o = 12 + hlen
        for i in 0..<ranks.count { ranks[i] = UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8; o += 2 }
        let table = PMIRankTable(settings: header.settings, ranked: header.ranked, ranks: ranks)
        if let expect { try table.check(against: expect, path: path) }
        return table
    }

    /// Throws a clear error naming the first setting that differs.
    public func check(against e: PMISettings, path: String) throws {
        let s = settings
        var diffs: [String] = []
        if s.rankN != e.rankN { diffs.append("n-gram length \(s.rankN) (run wants \(e.rankN))") }
        if s.maxK != e.maxK { diffs.append("max K \(s.maxK) (run wants \(e.maxK))") }
        if s.minCount != e.minCount { diffs.append("min count \(s.minCount) (run wants \(e.minCount))") }
        if s.strand != e.strand { diffs.append("strand '\(s.strand)' (run wants '\(e.strand)')") }
        if s.inputs != e.inputs {
            let a = s.inputs.map { "\($0.name) crc32 \($0.crc32)" }.joined(separator: ", ")
            let b = e.inputs.map { "\($0.name) crc32 \($0.crc32)" }.joined(separator: ", ")
            diffs.append("inputs [\(a)] (run has [\(b)])")
        }
        if !diffs.isEmpty {
            throw GenomeIOError(.indexMismatch, "PMI table was made with other settings: " + diffs.joined(separator: "; "),
                                at: InputLocation(path: path), hint: "recompute it with `pmi-stats` on this run's inputs and settings")
        }
    }
}
