import Basics
import GenomeIO
import Glibc

/// Everything a PMI table depends on; a run whose settings differ must not use the table.
public struct PMISettings: Sendable, Equatable {
    public var rankN: Int
    public var maxK: Int
    public var minCount: UInt64
    public var strand: String
    public var inputs: [InputFingerprint]
    /// What was counted: "inputs" (every base of the inputs, `pmi-stats`), or a pipeline's train-split
    /// windows, described with the settings that place them.
    public var scope: String

    public init(rankN: Int, maxK: Int, minCount: UInt64, strand: String, inputs: [InputFingerprint], scope: String = "inputs") {
        self.rankN = rankN; self.maxK = maxK; self.minCount = minCount; self.strand = strand; self.inputs = inputs; self.scope = scope
    }

    /// Keys sorted, as the table's header stores them.
    var json: JSONValue {
        var o = JSONObject()
        o.add("inputs", .array(inputs.map { f in
            var x = JSONObject(); x.add("bytes", .int(f.bytes)); x.add("crc32", .string(f.crc32)); x.add("name", .string(f.name)); return .object(x)
        }))
        o.add("maxK", .int(maxK))
        o.add("minCount", .int(Int(minCount)))
        o.add("rankN", .int(rankN))
        if scope != "inputs" { o.add("scope", .string(scope)) }   // tables of whole inputs keep their old header
        o.add("strand", .string(strand))
        return .object(o)
    }

    init(json v: JSONValue) throws {
        let minCount = try v.field("minCount").asInt()
        guard minCount >= 0 else { throw JSONError("minCount must not be negative (got \(minCount))") }
        self.init(rankN: try v.field("rankN").asInt(), maxK: try v.field("maxK").asInt(), minCount: UInt64(minCount),
                  strand: try v.field("strand").asString(),
                  inputs: try v.field("inputs").asArray().map { f in
                      InputFingerprint(name: try f.field("name").asString(), bytes: try f.field("bytes").asInt(),
                                       crc32: try f.field("crc32").asString())
                  },
                  scope: try v.optionalField("scope")?.asString() ?? "inputs")
    }
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


    public init(settings: PMISettings, ranked: Int, ranks: [UInt16]) {
        self.settings = settings; self.ranked = ranked; self.ranks = ranks
    }

    public func serialized() -> [UInt8] {
        // Compact, keys sorted at every level: the same settings always give the same bytes.
        var h = JSONObject()
        h.add("formatVersion", .int(Self.formatVersion))
        h.add("ranked", .int(ranked))
        h.add("settings", settings.json)
        h.add("tool", .string("genome-prep 0.1.0"))
        let json = Array(JSONValue.object(h).render().utf8)
        var out = Self.magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(UInt32(json.count))
        out.append(contentsOf: json)
        for r in ranks { withUnsafeBytes(of: r.littleEndian) { out.append(contentsOf: $0) } }
        let crc = out.withUnsafeBufferPointer { CRC32.of(UnsafeRawBufferPointer($0)) }
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
        let crc = bytes.withUnsafeBufferPointer { CRC32.of(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[0..<(bytes.count - 4)])) }
        guard crc == crcStored else { throw bad("checksum mismatch (truncated or edited file)") }
        let hlen = Int(u32(8))
        guard 12 + hlen <= bytes.count - 4 else { throw bad("header length \(hlen) runs past the end") }
        let version: Int, ranked: Int, settings: PMISettings
        do {
            let h = try JSONValue.parse(Array(bytes[12..<(12 + hlen)]))
            version = try h.field("formatVersion").asInt()
            ranked = try h.field("ranked").asInt()
            settings = try PMISettings(json: h.field("settings"))
        } catch { throw bad("header JSON: \(error)") }
        guard version <= formatVersion else {
            throw GenomeIOError(.malformed, "PMI table format version \(version) is newer than this tool reads (\(formatVersion))", at: loc,
                                hint: "upgrade genome-prep")
        }
        let n = settings.rankN
        guard (1...8).contains(n), bytes.count - 4 - 12 - hlen == 2 << (2 * n) else { throw bad("rank array size does not match n = \(n)") }
        var ranks = [UInt16](repeating: 0, count: 1 << (2 * n))
        var o = 12 + hlen
        for i in 0..<ranks.count { ranks[i] = UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8; o += 2 }
        let table = PMIRankTable(settings: settings, ranked: ranked, ranks: ranks)
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
