import FoundationEssentials
import Basics
import Glibc

/// Reads MDS datasets written by GenomePrep or by MosaicML Streaming: checks the index version and the
/// exact shard-entry keys, each file's size and hashes, decompresses, and returns sample i.
public final class MDSReader {
    public struct Shard: Sendable {
        public var columnNames: [String]
        public var encodings: [MDSEncoding]
        public var samples: Int
        public var rawName: String
        public var rawBytes: Int
        public var rawHashes: [String: String]
        public var zipName: String?
        public var zipBytes: Int?
        public var zipHashes: [String: String]
    }

    public let directory: String
    public let shards: [Shard]
    /// The index's shard entries as written (for `genome-prep merge`, which rewrites only their basenames).
    public let entries: [JSONObject]
    public let sampleCount: Int
    public let firstSample: [Int]
    var cached: (index: Int, raw: [UInt8])?

    static let entryKeys: Set<String> = ["column_encodings", "column_names", "column_sizes", "compression", "format",
                                         "hashes", "raw_data", "samples", "size_limit", "version", "zip_data"]

    public init(directory: String) throws {
        self.directory = directory
        let path = directory + "/index.json"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw ShardsError("cannot read index.json", path: path, hint: "is this an MDS dataset folder (or a split folder inside one)?")
        }
        let root: JSONValue
        do { root = try JSONValue.parse(Array(data)) } catch { throw ShardsError("index.json is not valid JSON: \(error)", path: path) }
        guard case .object(let o) = root, case .int(let version)? = o["version"] else {
            throw ShardsError("index.json has no integer 'version'", path: path)
        }
        guard version == 2 else {
            throw ShardsError("index.json format version \(version) is not supported (this tool reads version 2)", path: path,
                              hint: version > 2 ? "it was written by a newer tool: upgrade genome-prep" : nil)
        }
        guard case .array(let list)? = o["shards"] else { throw ShardsError("index.json has no 'shards' list", path: path) }
        var out: [Shard] = []
        var raws: [JSONObject] = []
        var seenNames = Set<String>()
        for (i, s) in list.enumerated() {
            func bad(_ why: String) -> ShardsError { ShardsError("shard entry \(i): \(why)", path: path) }
            guard case .object(let e) = s else { throw bad("not an object") }
            raws.append(e)
            let keys = Set(e.pairs.map(\.0))
            guard keys == MDSReader.entryKeys else {
                throw bad("keys differ from MDS's exact set (extra: \(keys.subtracting(MDSReader.entryKeys).sorted()), missing: \(MDSReader.entryKeys.subtracting(keys).sorted()))")
            }
            guard case .string("mds")? = e["format"] else { throw bad("format is not 'mds'") }
            guard case .array(let names)? = e["column_names"], case .array(let encs)? = e["column_encodings"], names.count == encs.count else {
                throw bad("column_names / column_encodings missing or of different lengths")
            }
            var cn: [String] = [], ce: [MDSEncoding] = []
            for (n, en) in zip(names, encs) {
                guard case .string(let nn) = n, case .string(let es) = en, let enc = MDSEncoding(rawValue: es) else {
                    throw bad("unsupported column encoding \(en.render())")
                }
                cn.append(nn); ce.append(enc)
            }
            // Every number is range-checked before it sizes or offsets anything (a sum near Int.max traps).
            guard case .int(let samples)? = e["samples"], samples >= 0, samples <= MDSReader.maxSamplesPerShard else {
                throw bad("samples is not a count (0...\(MDSReader.maxSamplesPerShard))")
            }
            func info(_ v: JSONValue?) throws -> (String, Int, [String: String])? {
                guard let v, v != .null else { return nil }
                guard case .object(let fo) = v, case .string(let b)? = fo["basename"], case .int(let n)? = fo["bytes"],
                      case .object(let h)? = fo["hashes"] else { throw bad("raw_data/zip_data malformed") }
                guard MDSReader.isPlainRelativePath(b) else {
                    throw bad("basename '\(b)' is not a plain relative path inside the folder")
                }
                guard n >= 0, n <= MDSReader.maxShardBytes else { throw bad("bytes \(n) is out of range (0...\(MDSReader.maxShardBytes))") }
                var hs: [String: String] = [:]
                for (k, x) in h.pairs { if case .string(let hx) = x { hs[k] = hx } }
                return (b, n, hs)
            }
            guard let raw = try info(e["raw_data"]) else { throw bad("raw_data is null") }
            let zip = try info(e["zip_data"])
            // Each file records one digest per algorithm the entry lists, no more and no fewer.
            guard case .array(let algos)? = e["hashes"] else { throw bad("hashes is not a list") }
            let listed = Set(algos.compactMap { v -> String? in if case .string(let a) = v { return a }; return nil })
            guard listed.count == algos.count else { throw bad("hashes is not a list of distinct names") }
            for (what, f) in [("raw_data", raw), ("zip_data", zip)] {
                guard let f else { continue }
                guard Set(f.2.keys) == listed else {
                    throw bad("\(what) records digests \(f.2.keys.sorted()) but the entry lists hashes \(listed.sorted())")
                }
            }
            // A compressed shard's raw name is its file's name without the compression extension (StreamingDataset
            // decompresses to that name, so another raw name could overwrite or stand in for another shard).
            if let z = zip, z.0 != raw.0 + ".zstd" {
                throw bad("raw_data basename '\(raw.0)' is not zip_data basename '\(z.0)' without '.zstd'")
            }
            for name in [raw.0] + (zip.map { [$0.0] } ?? []) where !seenNames.insert(name).inserted {
                throw bad("basename '\(name)' is used by an earlier entry too (its samples would be read twice)")
            }
            out.append(Shard(columnNames: cn, encodings: ce, samples: samples, rawName: raw.0, rawBytes: raw.1, rawHashes: raw.2,
                             zipName: zip?.0, zipBytes: zip?.1, zipHashes: zip?.2 ?? [:]))
        }
        shards = out
        entries = raws
        var first: [Int] = [], total = 0
        for s in out { first.append(total); total += s.samples }
        firstSample = first
        sampleCount = total
    }

    /// Shard files whose index entry records no hash this tool computes (none, or only e.g. md5): `verify`
    /// checks them by size and by decoding every sample, not by hash, and says so.
    public var filesWithoutKnownHash: [String] {
        shards.compactMap { s in
            let (name, hashes) = s.zipName.map { ($0, s.zipHashes) } ?? (s.rawName, s.rawHashes)
            return hashes.keys.contains { MDSHash(rawValue: $0) != nil } ? nil : name
        }
    }

    /// Limits on what an index may declare (a shard of 64 MiB is the default; MDS readers cap shards at
    /// 4 GiB by their u32 offsets).
    static let maxShardBytes = 1 << 32
    static let maxSamplesPerShard = 1 << 31

    /// A shard basename names a file inside the dataset folder: relative, no `..`, no empty or `.`
    /// components, no NUL or backslash. `part-00000/shard.00000.mds.zstd` (merged parts) is fine.
    public static func isPlainRelativePath(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.utf8.contains(0), !name.contains("\\") else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != "" && $0 != "." && $0 != ".." }
    }

    func readFile(_ name: String) throws -> [UInt8] {
        let path = directory + "/" + name
        guard let d = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw ShardsError("shard file is missing or unreadable", path: path)
        }
        return Array(d)
    }

    /// The uncompressed bytes of shard `i`, with sizes and every recorded hash checked (`checked: false`
    /// skips the checks, to see what is left of a damaged shard).
    public func rawShard(_ i: Int, checked: Bool = true) throws -> [UInt8] {
        if let c = cached, c.index == i { return c.raw }
        let s = shards[i]
        func check(_ bytes: [UInt8], _ name: String, _ size: Int, _ hashes: [String: String]) throws {
            guard checked else { return }
            let path = directory + "/" + name
            guard bytes.count == size else {
                throw ShardsError("shard \(i) is \(bytes.count) bytes, index.json says \(size) (truncated or replaced?)", path: path)
            }
            try checkHashes(bytes, shard: i, hashes: hashes, path: path)
        }
        var raw: [UInt8]
        if let zipName = s.zipName {
            let zip = try readFile(zipName)
            try check(zip, zipName, s.zipBytes ?? -1, s.zipHashes)
            guard zip.withUnsafeBytes({ ZstdFrame.declaredSize($0) }) == s.rawBytes else {
                throw ShardsError("shard \(i): zstd frame has no content size or the wrong one", path: directory + "/" + zipName)
            }
            guard let r = ZstdFrame.decompressed(zip, limit: s.rawBytes) else {
                throw ShardsError("shard \(i): zstd decompression failed", path: directory + "/" + zipName)
            }
            raw = r
        } else {
            raw = try readFile(s.rawName)
        }
        try check(raw, s.rawName, s.rawBytes, s.rawHashes)
        cached = (i, raw)
        return raw
    }

    /// Checks `bytes` against every hash index.json records for them that this tool computes.
    func checkHashes(_ bytes: [UInt8], shard i: Int, hashes: [String: String], path: String) throws {
        for (algo, want) in hashes.sorted(by: { $0.key < $1.key }) {
            guard let h = MDSHash(rawValue: algo) else { continue }
            let got = h.hex(bytes)
            guard got == want else { throw ShardsError("shard \(i): \(algo) is \(got), index.json says \(want) (corrupted)", path: path) }
        }
    }

    /// Sample `index` (0-based over all shards) by column name.
    public func sample(_ index: Int) throws -> [String: MDSValue] {
        guard index >= 0 && index < sampleCount else { throw ShardsError("sample \(index) is outside 0..<\(sampleCount)", path: directory) }
        var i = 0
        while i + 1 < shards.count && firstSample[i + 1] <= index { i += 1 }
        return try decode(shard: i, local: index - firstSample[i])
    }

    func decode(shard i: Int, local j: Int) throws -> [String: MDSValue] {
        let raw = try rawShard(i)
        let s = shards[i]
        let where_ = "shard \(i) (\(s.zipName ?? s.rawName)), sample \(firstSample[i] + j)"
        func u32(_ at: Int) throws -> Int {
            guard at + 4 <= raw.count else { throw ShardsError("\(where_): offset table runs past the end", path: directory) }
            return Int(raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian })
        }
        let n = try u32(0)
        guard n == s.samples else { throw ShardsError("\(where_): shard holds \(n) samples, index.json says \(s.samples)", path: directory) }
        let begin = try u32(4 + 4 * j), end = try u32(8 + 4 * j)
        guard begin <= end, end <= raw.count else { throw ShardsError("\(where_): bad offsets \(begin)..<\(end)", path: directory) }
        var p = begin
        var sizes: [Int] = []
        for e in s.encodings {
            if let f = e.fixedSize { sizes.append(f) } else { sizes.append(try u32(p)); p += 4 }
        }
        var out: [String: MDSValue] = [:]
        for (k, e) in s.encodings.enumerated() {
            guard p + sizes[k] <= end else { throw ShardsError("\(where_): column \(s.columnNames[k]) runs past the sample", path: directory) }
            do { out[s.columnNames[k]] = try MDSCodec.decode(raw[p..<(p + sizes[k])], as: e) }
            catch let err as ShardsError { throw ShardsError("\(where_), column \(s.columnNames[k]): \(err.message)", path: directory) }
            p += sizes[k]
        }
        guard p == end else { throw ShardsError("\(where_): \(end - p) bytes left after the last column", path: directory) }
        return out
    }

    /// Decodes every sample and checks every hash; returns the number of samples.
    @discardableResult
    public func verify() throws -> Int {
        for i in shards.indices {
            cached = nil
            let raw: [UInt8]
            do { raw = try rawShard(i) } catch let e as ShardsError {
                throw ShardsError(e.message + "; " + damagedSamples(i), path: e.path, hint: e.hint)
            }
            try checkEntryAgainstShard(i, raw)
            // A decompressed copy StreamingDataset left beside the .zstd is what it reads next time: it must
            // be the same bytes.
            let s = shards[i]
            if s.zipName != nil, access(directory + "/" + s.rawName, F_OK) == 0 {
                guard (try? readFile(s.rawName)) == raw else {
                    throw ShardsError("shard \(i): the decompressed copy beside the .zstd differs from it (StreamingDataset would read the copy)",
                                      path: directory + "/" + s.rawName, hint: "delete the copy; readers recreate it from the .zstd")
                }
            }
            for j in 0..<s.samples { _ = try decode(shard: i, local: j) }
        }
        return sampleCount
    }

    /// The index entry's column names, encodings, sizes, compression, hashes, size limit, format and
    /// version must equal the config block the shard itself carries (MDS writes it after the offsets), and
    /// `column_sizes` must be the encodings' fixed sizes: a flipped bit in any of them is caught here.
    func checkEntryAgainstShard(_ i: Int, _ raw: [UInt8]) throws {
        let path = directory + "/" + (shards[i].zipName ?? shards[i].rawName)
        func bad(_ why: String) -> ShardsError { ShardsError("shard \(i): index.json entry disagrees with the shard: \(why)", path: path) }
        guard raw.count >= 8 else { throw bad("the shard has no header") }
        let n = Int(raw.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian })
        let start = 4 + 4 * (n + 1)
        guard n == shards[i].samples else { throw bad("the shard holds \(n) samples, index.json says \(shards[i].samples)") }
        guard start <= raw.count else { throw bad("its offset table runs past its end") }
        let first = Int(raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian })
        guard first >= start, first <= raw.count, let config = try? JSONValue.parse(Array(raw[start..<first])),
              case .object(let c) = config else { throw bad("its config block is not a JSON object") }
        let entry = entries[i]
        for key in ["column_encodings", "column_names", "column_sizes", "compression", "format", "hashes", "size_limit", "version"] {
            guard entry[key] == c[key] else {
                throw bad("'\(key)' is \(entry[key]?.render() ?? "missing") in index.json, \(c[key]?.render() ?? "missing") in the shard")
            }
        }
        let sizes = shards[i].encodings.map { $0.fixedSize.map { JSONValue.int($0) } ?? .null }
        guard entry["column_sizes"] == .array(sizes) else { throw bad("column_sizes do not match the column encodings") }
    }

    /// Which samples a damaged shard costs: the first one that no longer decodes from what is left of it,
    /// else the shard's whole range.
    func damagedSamples(_ i: Int) -> String {
        let lo = firstSample[i], hi = lo + shards[i].samples - 1
        guard let raw = try? rawShard(i, checked: false) else {
            return "samples \(lo)...\(hi) (all of this shard) cannot be read"
        }
        cached = (i, raw)
        defer { cached = nil }
        for j in 0..<shards[i].samples where (try? decode(shard: i, local: j)) == nil {
            return "sample \(lo + j) is the first that no longer decodes (this shard holds samples \(lo)...\(hi))"
        }
        return "every sample still decodes, so the damage is inside the values of samples \(lo)...\(hi)"
    }
}
