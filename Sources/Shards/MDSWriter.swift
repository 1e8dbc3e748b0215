import CZstd
import Dispatch
import FoundationEssentials
import Basics
import Glibc

/// Writes MosaicML Streaming MDS shards (index.json version 2) exactly as `mds-format.md` describes:
/// shard = u32 n, u32 offsets[n+1], the config JSON, the sample records; with compression, the whole
/// shard as one zstd frame that records its content size. Columns are stored sorted by name, as
/// MDSWriter does. Every file is written under a temporary name and renamed; `index.json` comes last.
///
/// Compressing, hashing and writing a closed shard is its own stage: up to `inFlight` shards are
/// compressed concurrently on a Dispatch queue while the caller fills the next one. Shard bytes and
/// the index entries' order depend only on the samples, never on the scheduling.
public final class MDSWriter {
    public struct Column: Sendable { public var name: String; public var encoding: MDSEncoding
        public init(_ name: String, _ encoding: MDSEncoding) { self.name = name; self.encoding = encoding } }

    public let directory: String
    public let columns: [Column]          // sorted by name
    let order: [Int]                      // caller's column index for each sorted column
    public let zstdLevel: Int?
    public let hashes: [MDSHash]
    public let sizeLimit: Int
    var records: [UInt8] = []
    var offsets: [Int] = []
    /// Index entries of the finished shards (complete after `finish`).
    public private(set) var shards: [JSONValue] = []
    public private(set) var samplesWritten = 0
    let configJSON: [UInt8]
    let stage: ShardStage
    var shardsClosed = 0
    /// Record-planned zstd (`RecordZstd`): the sorted index of the uint8 token column, and each
    /// sample's (start, token start, token end) within `records`.
    let literalColumn: Int?
    var spans: [RecordSpan] = []
    var sizes: [Int]
    /// Bytes kept free at the front of `records` for the shard header.
    var gap = 0

    /// - Parameters:
    ///   - columns: name and encoding of each column, in the order `write` receives values.
    ///   - zstdLevel: nil for no compression; otherwise the zstd level (3 is MDS's `zstd`).
    ///   - hashes: algorithms recorded for each file (sorted and unique, as MDSWriter requires).
    ///   - sizeLimit: an uncompressed shard is closed before it would grow past this many bytes.
    public init(directory: String, columns: [Column], zstdLevel: Int? = 3, hashes: [MDSHash] = [.sha1, .xxh3_64],
                sizeLimit: Int = 64 << 20, inFlight: Int = 2, literalColumn: String? = nil) throws {
        guard !columns.isEmpty else { throw ShardsError("no columns") }
        guard Set(columns.map(\.name)).count == columns.count else { throw ShardsError("duplicate column names") }
        if let l = zstdLevel, !(1...22).contains(l) { throw ShardsError("zstd level \(l) is outside 1...22") }
        guard sizeLimit > 0 && sizeLimit < (1 << 32) else { throw ShardsError("size limit must be within 1 byte...4 GiB (MDS offsets are u32)") }
        self.directory = directory
        let sorted = columns.enumerated().sorted { $0.element.name < $1.element.name }
        self.columns = sorted.map(\.element)
        self.order = sorted.map(\.offset)
        sizes = Array(repeating: 0, count: columns.count)
        if let name = literalColumn {
            guard let k = self.columns.firstIndex(where: { $0.name == name }), self.columns[k].encoding.kind == .ndarray,
                  self.columns[k].encoding.itemSize == 1 else {
                throw ShardsError("record-planned zstd needs a column '\(name)' of ndarray:uint8 (character tokens)")
            }
            guard zstdLevel != nil else { throw ShardsError("record-planned zstd needs a zstd level") }
            self.literalColumn = k
        } else { self.literalColumn = nil }
        self.zstdLevel = zstdLevel
        self.hashes = hashes.sorted { $0.rawValue < $1.rawValue }
        self.sizeLimit = sizeLimit
        let cfg = MDSWriter.config(columns: self.columns, compression: MDSWriter.compressionName(zstdLevel),
                                   hashes: self.hashes, sizeLimit: sizeLimit)
        configJSON = Array(JSONValue.object(cfg).renderPython().utf8)
        stage = ShardStage(directory: directory, entryBase: MDSWriter.config(columns: self.columns, compression: MDSWriter.compressionName(zstdLevel),
                                                                            hashes: self.hashes, sizeLimit: sizeLimit),
                           zstdLevel: zstdLevel, hashes: self.hashes, inFlight: max(1, inFlight))
        stage.reserve = min(sizeLimit, 256 << 20) + MDSWriter.maxGap
        records.reserveCapacity(stage.reserve)
        try makeDirectory(directory)
    }

    deinit { stage.drain() }

    static func compressionName(_ level: Int?) -> String? {
        guard let level else { return nil }
        return level == 3 ? "zstd" : "zstd:\(level)"
    }

    static func config(columns: [Column], compression: String?, hashes: [MDSHash], sizeLimit: Int) -> JSONObject {
        var o = JSONObject()
        o.add("column_encodings", .array(columns.map { .string($0.encoding.rawValue) }))
        o.add("column_names", .array(columns.map { .string($0.name) }))
        o.add("column_sizes", .array(columns.map { $0.encoding.fixedSize.map { .int($0) } ?? .null }))
        o.add("compression", compression.map { .string($0) } ?? .null)
        o.add("format", .string("mds"))
        o.add("hashes", .array(hashes.map { .string($0.rawValue) }))
        o.add("size_limit", .int(sizeLimit))
        o.add("version", .int(2))
        return o
    }

    /// Adds one sample (values in the order of the `columns` given to `init`). Encodes straight into
    /// the shard's record buffer: no per-sample allocation.
    public func write(_ values: [MDSValue]) throws {
        try write(values, borrowing: nil, UnsafeBufferPointer(start: nil, count: 0))
    }

    /// The same, with the value of the caller's column `column` (an `ndarray:uint8` column) given as
    /// borrowed bytes instead of an array: the hot path of character tokens, which maps each window's
    /// codes into one reused buffer rather than allocating an array per sample. `values[column]` is ignored.
    public func write(_ values: [MDSValue], borrowing column: Int?, _ bytes: UnsafeBufferPointer<UInt8>) throws {
        guard values.count == columns.count else { throw ShardsError("sample has \(values.count) values for \(columns.count) columns") }
        let borrowed = column.map { c in order.firstIndex(of: c) ?? -1 } ?? -1
        if column != nil {
            guard borrowed >= 0, columns[borrowed].encoding.kind == .ndarray, columns[borrowed].encoding.itemSize == 1 else {
                throw ShardsError("borrowed bytes need an ndarray:uint8 column")
            }
        }
        var size = 0
        for (k, c) in columns.enumerated() {
            let n = k == borrowed ? try MDSCodec.ndarraySize(bytes.count, as: c.encoding) : try MDSCodec.size(values[order[k]], as: c.encoding)
            if let fixed = c.encoding.fixedSize, n != fixed { throw ShardsError("column \(c.name): \(n) bytes, fixed size \(fixed)") }
            sizes[k] = n
            size += n + (c.encoding.fixedSize == nil ? 4 : 0)
        }
        let headerAfter = 4 + 4 * (offsets.count + 2) + configJSON.count
        if !offsets.isEmpty && headerAfter + (records.count - gap) + size > sizeLimit { try flushShard() }
        // The record buffer is moved into a local for the appends (no exclusivity checks per append).
        var out = records
        records = []
        defer { records = out }
        if offsets.isEmpty && out.isEmpty {
            // A new shard: leave room in front for its header (u32 n, n + 1 offsets, the config), sized for as
            // many samples of this size as the shard can hold, so the header is written in place when the
            // shard closes instead of moving the whole shard behind it.
            let samples = sizeLimit / max(1, size) + 1
            gap = min(4 + 4 * (samples + 1) + configJSON.count, MDSWriter.maxGap)
            out.append(contentsOf: repeatElement(0, count: gap))
        }
        let start = out.count
        for (k, c) in columns.enumerated() where c.encoding.fixedSize == nil {
            withUnsafeBytes(of: UInt32(sizes[k]).littleEndian) { out.append(contentsOf: $0) }
        }
        var tokenAt = 0, tokenCount = 0
        for k in columns.indices {
            if k == borrowed {
                MDSCodec.ndarrayHeader(bytes.count, as: columns[k].encoding, into: &out)
                if k == literalColumn { tokenAt = out.count; tokenCount = bytes.count }
                out.append(contentsOf: bytes)
                continue
            }
            let v = values[order[k]]
            if k == literalColumn, case .u8(let a) = v { tokenAt = out.count + sizes[k] - a.count; tokenCount = a.count }
            do { try MDSCodec.encode(v, as: columns[k].encoding, into: &out) } catch {
                out.removeLast(out.count - start); throw error
            }
        }
        if literalColumn != nil { spans.append(RecordSpan(start: start - gap, tokenStart: tokenAt - gap, tokenEnd: tokenAt - gap + tokenCount)) }
        offsets.append(start - gap)
        samplesWritten += 1
    }

    /// The most room kept in front of a shard's records for its header (a shard of smaller samples moves
    /// its records once when it closes).
    static let maxGap = 1 << 20

    /// Closes the current shard (if it holds samples) and hands it to the compress-and-write stage; the
    /// record buffer goes with it and a recycled one comes back, so steady state allocates nothing.
    public func flushShard() throws {
        guard !offsets.isEmpty else { return }
        let n = offsets.count
        guard 4 + 4 * (n + 1) + configJSON.count + (records.count - gap) < (1 << 32) else { throw ShardsError("shard would exceed 4 GiB") }
        let rawName = "shard.\(String(shardsClosed).leftPad(5)).mds"
        let job = ShardStage.Job(index: shardsClosed, rawName: rawName, config: configJSON, offsets: offsets, records: ShardStage.Bytes(records),
                                 gap: gap, plan: literalColumn != nil ? spans : nil)
        records = stage.recycledRecords()
        gap = 0
        try stage.submit(job)
        shardsClosed += 1
        offsets.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
    }

    func fileInfo(_ name: String, _ bytes: [UInt8]) -> JSONValue { MDSWriter.fileInfo(name, bytes, hashes: hashes) }

    static func fileInfo(_ name: String, _ bytes: [UInt8], hashes: [MDSHash]) -> JSONValue {
        bytes.withUnsafeBufferPointer { fileInfo(name, $0, hashes: hashes) }
    }

    static func fileInfo(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>, hashes: [MDSHash]) -> JSONValue {
        var h = JSONObject()
        for a in hashes { h.add(a.rawValue, .string(a.hex(bytes))) }
        var o = JSONObject()
        o.add("basename", .string(name)); o.add("bytes", .int(bytes.count)); o.add("hashes", .object(h))
        return .object(o)
    }

    /// One zstd frame with its content size in the header (what python-zstd's reader needs), into `out`
    /// (grown to the bound when needed, reused otherwise); returns the frame size.
    static func zstd(_ raw: UnsafeBufferPointer<UInt8>, level: Int, into out: inout [UInt8]) throws -> Int {
        let bound = ZSTD_compressBound(raw.count)
        if out.count < bound { out = [UInt8](unsafeUninitializedCapacity: bound) { _, c in c = bound } }
        let n = out.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, bound, raw.baseAddress, raw.count, Int32(level)) }
        if ZSTD_isError(n) != 0 { throw ShardsError("zstd: \(String(cString: ZSTD_getErrorName(n)))") }
        return n
    }

    /// Resume support: adopts the complete shards an interrupted run left (shard.00000, .00001, … in
    /// order, each a complete file, since files only appear under their final name when complete), and
    /// returns how many samples they hold; the caller skips that many samples. Stale temporary files
    /// are removed. Shards are deterministic, so the finished folder is byte-identical to an
    /// uninterrupted run.
    public func adoptExistingShards() throws -> Int {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for n in names where n.contains(".tmp-") { unlink(directory + "/" + n) }
        }
        var adopted = 0
        while true {
            let rawName = "shard.\(String(shardsClosed).leftPad(5)).mds"
            let fileName = zstdLevel == nil ? rawName : rawName + ".zstd"
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: directory + "/" + fileName)) else { break }
            let file = Array(data)
            let raw: [UInt8]
            if zstdLevel != nil {
                // A frame declaring more than a shard of these settings can hold is not ours (and is never
                // allocated: a crafted frame declared 1 TiB).
                guard let r = ZstdFrame.decompressed(file, limit: 2 * sizeLimit + (1 << 26)) else { break }
                raw = r
            } else { raw = file }
            guard raw.count >= 4 else { break }
            let n = Int(raw.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian })
            var entry = MDSWriter.config(columns: columns, compression: MDSWriter.compressionName(zstdLevel), hashes: hashes, sizeLimit: sizeLimit)
            entry.add("raw_data", fileInfo(rawName, raw))
            entry.add("samples", .int(n))
            entry.add("zip_data", zstdLevel == nil ? .null : fileInfo(fileName, file))
            // Adopted only when the journal the killed run wrote after this shard holds exactly this entry
            // (sizes, hashes, sample count): a shard damaged or replaced since, or never journalled, is
            // written again, and so is every shard after it.
            guard let journal = try? Data(contentsOf: URL(fileURLWithPath: MDSWriter.journalPath(directory, fileName))),
                  String(decoding: journal, as: UTF8.self) == JSONValue.object(entry).renderPython() else { break }
            stage.adopt(index: shardsClosed, entry: .object(entry))
            shardsClosed += 1
            adopted += n
        }
        samplesWritten = adopted
        return adopted
    }

    /// Flushes the last shard and writes `index.json` (last, atomically).
    /// Lets the shards in flight land without writing index.json (a run stopping early): they are
    /// complete files, adopted by the next run.
    public func drain() { stage.drain() }

    public func finish() throws {
        try flushShard()
        shards = try stage.finish(count: shardsClosed)
        var index = JSONObject()
        index.add("shards", .array(shards))
        index.add("version", .int(2))
        try writeAtomically(Array(JSONValue.object(index).renderPython().utf8), to: directory + "/index.json")
        // index.json now holds what the journal held.
        for i in 0..<shardsClosed {
            let rawName = "shard.\(String(i).leftPad(5)).mds"
            unlink(MDSWriter.journalPath(directory, zstdLevel == nil ? rawName : rawName + ".zstd"))
        }
    }

    /// Where the journal entry of a finished shard file goes: `.NAME.done` beside it (a hidden file that
    /// readers of the folder ignore; removed once index.json is written).
    static func journalPath(_ directory: String, _ fileName: String) -> String { directory + "/." + fileName + ".done" }
}

/// The compress, hash and write stage behind an `MDSWriter`: a concurrent ``Stage``. The first failure (a full disk, say) is kept and thrown by the writer's next call, and
/// `index.json` is then never written, so the folder never looks complete.
final class ShardStage: @unchecked Sendable {
    /// A byte buffer passed between the writer and the workers by reference, so that the array inside
    /// stays uniquely owned and keeps its pages when reused.
    final class Bytes: @unchecked Sendable {
        var bytes: [UInt8]
        init(_ b: [UInt8]) { bytes = b }
    }
    struct Job: Sendable {
        var index: Int
        var rawName: String
        var config: [UInt8]
        var offsets: [Int]
        var records: Bytes
        /// Bytes free at the front of `records` (the records start there); the header goes in that room.
        var gap: Int
        var plan: [RecordSpan]?     // spans relative to the start of the records
    }
    let directory: String
    let entryBase: JSONObject
    let zstdLevel: Int?
    let hashes: [MDSHash]
    let stage: Stage
    let lock = DispatchQueue(label: "genomeprep.mds.state")
    var entries: [Int: JSONValue] = [:]
    /// Buffers kept between shards: record buffers (which become the raw shards), zstd output buffers.
    var freeRecords: [Bytes] = []
    /// Record buffer capacity: a whole shard, so it never grows (and faults pages) twice.
    var reserve = 0
    var freeZip: [[UInt8]] = []

    init(directory: String, entryBase: JSONObject, zstdLevel: Int?, hashes: [MDSHash], inFlight: Int) {
        self.directory = directory; self.entryBase = entryBase; self.zstdLevel = zstdLevel; self.hashes = hashes
        stage = Stage(label: "genomeprep.mds.compress", inFlight: inFlight, concurrent: true)
    }

    func checkFailure() throws { try stage.checkFailure() }

    func adopt(index: Int, entry: JSONValue) { lock.sync { entries[index] = entry } }

    func recycledRecords() -> [UInt8] {
        guard let box = lock.sync(execute: { freeRecords.popLast() }) else {
            var fresh: [UInt8] = []
            fresh.reserveCapacity(reserve)
            return fresh
        }
        var r = box.bytes
        box.bytes = []
        r.removeAll(keepingCapacity: true)
        return r
    }

    func submit(_ job: Job) throws {
        try stage.submit { [self] in
            var zip = lock.sync { freeZip.popLast() } ?? []
            // The shard, u32 n, u32 offsets[n + 1], the config JSON, the records, is built in the record
            // buffer itself: the header is written into the room left in front of the records (or, when a
            // shard of unusually small samples outgrew it, the records move once).
            let box = job.records
            var raw = box.bytes
            box.bytes = []
            defer { box.bytes = raw; lock.sync { freeRecords.append(box) } }
            let n = job.offsets.count
            let base = 4 + 4 * (n + 1) + job.config.count
            let recordBytes = raw.count - job.gap
            var from = job.gap - base
            if from < 0 {
                raw.replaceSubrange(0..<job.gap, with: repeatElement(0, count: base))
                from = 0
            }
            raw.withUnsafeMutableBytes { r in
                var at = from
                func u32(_ v: Int) { r.storeBytes(of: UInt32(v).littleEndian, toByteOffset: at, as: UInt32.self); at += 4 }
                u32(n)
                for o in job.offsets { u32(base + o) }
                u32(base + recordBytes)
                job.config.withUnsafeBytes { c in UnsafeMutableRawBufferPointer(rebasing: r[at..<(at + c.count)]).copyMemory(from: c) }
            }

            var entry = entryBase
            try raw.withUnsafeBufferPointer { all in
                let shard = UnsafeBufferPointer(rebasing: all[from...])
                entry.add("raw_data", MDSWriter.fileInfo(job.rawName, shard, hashes: hashes))
                entry.add("samples", .int(n))
                if let level = zstdLevel {
                    let plan = job.plan.map { $0.map { RecordSpan(start: base + $0.start, tokenStart: base + $0.tokenStart, tokenEnd: base + $0.tokenEnd) } }
                    let size = try plan.map { try RecordZstd.compress(shard, records: $0, level: level, into: &zip) }
                        ?? MDSWriter.zstd(shard, level: level, into: &zip)
                    try zip.withUnsafeBufferPointer { z in
                        let frame = UnsafeBufferPointer(rebasing: z[0..<size])
                        entry.add("zip_data", MDSWriter.fileInfo(job.rawName + ".zstd", frame, hashes: hashes))
                        try writeAtomically(UnsafeRawBufferPointer(frame), to: directory + "/" + job.rawName + ".zstd")
                    }
                } else {
                    entry.add("zip_data", .null)
                    try writeAtomically(UnsafeRawBufferPointer(shard), to: directory + "/" + job.rawName)
                }
            }
            let done = entry
            // The journal: the entry, written after the shard, is what a resumed run checks the file against.
            try writeAtomically(Array(JSONValue.object(done).renderPython().utf8),
                                to: MDSWriter.journalPath(directory, job.rawName + (zstdLevel == nil ? "" : ".zstd")))
            lock.sync { entries[job.index] = .object(done); freeZip.append(zip) }
        }
    }

    /// Waits for every shard in flight; the entries in shard order.
    func finish(count: Int) throws -> [JSONValue] {
        try stage.finish()
        return try lock.sync {
            try (0..<count).map { i in
                guard let e = entries[i] else { throw ShardsError("shard \(i) was never written", path: directory) }
                return e
            }
        }
    }

    /// Lets every shard in flight finish (called when a run stops early).
    func drain() { stage.drain() }
}
