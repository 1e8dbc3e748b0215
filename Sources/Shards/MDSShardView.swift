import Glibc

/// The bytes of one shard file as stored (zstd frame or raw shard), read and checked against the sizes
/// and hashes index.json records: the first step of a streaming read, separate from decompressing so
/// that each can be its own pipeline stage.
public struct MDSStoredShard: Sendable {
    public let shard: Int
    public let path: String
    public let bytes: [UInt8]
    public let compressed: Bool
}

extension MDSReader {
    /// Reads shard `i`'s stored file and checks its size and every recorded hash.
    public func readStored(_ i: Int) throws -> MDSStoredShard {
        let s = shards[i]
        let name = s.zipName ?? s.rawName
        let size = s.zipName != nil ? (s.zipBytes ?? -1) : s.rawBytes
        let hashes = s.zipName != nil ? s.zipHashes : s.rawHashes
        let path = directory + "/" + name
        guard let f = fopen(path, "rb") else {
            throw ShardsError("shard \(i) file is missing or unreadable: \(String(cString: strerror(errno)))", path: path)
        }
        defer { fclose(f) }
        var bytes = [UInt8](repeating: 0, count: size + 1)   // one spare byte tells a longer file
        let n = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size + 1, f) }
        guard n == size else {
            throw ShardsError("shard \(i) is \(n > size ? "longer than" : "\(n) bytes, shorter than") the \(size) bytes index.json records (truncated or replaced?)", path: path)
        }
        bytes.removeLast()
        try checkHashes(bytes, shard: i, hashes: hashes, path: path)
        return MDSStoredShard(shard: i, path: path, bytes: bytes, compressed: s.zipName != nil)
    }

    /// Decompresses a stored shard into `buffer` (grown only when too small, so a recycled buffer keeps its
    /// pages) and returns a view of its samples. Raw shards are copied (their hashes were checked on read).
    public func decompress(_ stored: MDSStoredShard, into buffer: MDSShardBuffer) throws -> MDSShardView {
        let s = shards[stored.shard]
        let size = s.rawBytes
        buffer.reserve(size)
        if stored.compressed {
            try stored.bytes.withUnsafeBytes { z in
                let declared = ZstdFrame.declaredSize(z)
                guard declared == size else {
                    throw ShardsError("shard \(stored.shard): zstd frame declares \(declared.map(String.init) ?? "no") bytes, index.json says \(size)", path: stored.path)
                }
                guard ZstdFrame.decompress(z, size: size, into: buffer.base) else {
                    throw ShardsError("shard \(stored.shard): zstd decompression failed", path: stored.path)
                }
            }
        } else {
            stored.bytes.withUnsafeBytes { buffer.base.copyMemory(from: $0.baseAddress!, byteCount: size) }
        }
        buffer.count = size
        return try MDSShardView(buffer: buffer, shard: s, index: stored.shard, firstSample: firstSample[stored.shard], path: stored.path)
    }
}

/// A reusable byte buffer for one decompressed shard (64-byte aligned, grown, never shrunk).
public final class MDSShardBuffer: @unchecked Sendable {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    public var count = 0

    public init(capacity: Int = 0) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 64)
    }
    deinit { base.deallocate() }

    func reserve(_ n: Int) {
        guard n > capacity else { return }
        base.deallocate()
        capacity = n
        base = .allocate(byteCount: n, alignment: 64)
    }
}

/// Views of the samples of one decompressed shard: column payloads as pointers into the buffer, never a
/// dictionary or an array per sample. Offsets are checked once when the view is made, and each field's
/// bounds when it is read.
public struct MDSShardView: @unchecked Sendable {
    public let buffer: MDSShardBuffer
    public let shard: MDSReader.Shard
    /// The shard's position in the index, and the global index of its first sample.
    public let index: Int
    public let firstSample: Int
    public let path: String
    public var samples: Int { shard.samples }
    let variableColumns: Int

    init(buffer: MDSShardBuffer, shard: MDSReader.Shard, index: Int, firstSample: Int, path: String) throws {
        self.buffer = buffer; self.shard = shard; self.index = index; self.firstSample = firstSample; self.path = path
        variableColumns = shard.encodings.filter { $0.fixedSize == nil }.count
        let raw = UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)
        guard raw.count >= 4 else { throw ShardsError("shard \(index): shorter than its header", path: path) }
        let n = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian)
        guard n == shard.samples else { throw ShardsError("shard \(index): holds \(n) samples, index.json says \(shard.samples)", path: path) }
        guard 4 + 4 * (n + 1) <= raw.count else { throw ShardsError("shard \(index): offset table runs past the end", path: path) }
        var last = 4 + 4 * (n + 1)
        for j in 0...n {
            let o = Int(raw.loadUnaligned(fromByteOffset: 4 + 4 * j, as: UInt32.self).littleEndian)
            guard o >= last, o <= raw.count else {
                throw ShardsError("shard \(index), sample \(firstSample + min(j, n - 1)): bad offset \(o)", path: path)
            }
            last = o
        }
    }

    /// The payload of column `column` of local sample `j` (for ndarrays with a per-value shape, the
    /// shape header included; see ``array(_:column:)``).
    public func field(_ j: Int, column: Int) throws -> UnsafeRawBufferPointer {
        let raw = UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)
        let begin = Int(raw.loadUnaligned(fromByteOffset: 4 + 4 * j, as: UInt32.self).littleEndian)
        let end = Int(raw.loadUnaligned(fromByteOffset: 8 + 4 * j, as: UInt32.self).littleEndian)
        // Variable-size columns' u32 sizes come first, then the payloads in column order.
        var h = begin, p = begin + 4 * variableColumns
        guard begin <= end, p <= end else { throw fail(j, "size table runs past the sample") }
        var found = (0, 0)   // (offset, size) of the wanted column
        for (k, e) in shard.encodings.enumerated() {
            let size: Int
            if let f = e.fixedSize { size = f } else { size = Int(raw.loadUnaligned(fromByteOffset: h, as: UInt32.self).littleEndian); h += 4 }
            guard size <= end - p else { throw fail(j, "column \(shard.columnNames[k]) runs past the sample") }
            if k == column { found = (p, size) }
            p += size
        }
        guard p == end else { throw fail(j, "\(end - p) bytes left after the last column") }
        return UnsafeRawBufferPointer(rebasing: raw[found.0..<(found.0 + found.1)])
    }

    /// A 1-D ndarray column of local sample `j`: its values' bytes (little-endian, `itemSize` each) and count.
    public func array(_ j: Int, column: Int) throws -> (values: UnsafeRawBufferPointer, count: Int, itemSize: Int) {
        let e = shard.encodings[column]
        guard e.kind == .ndarray else { throw fail(j, "column \(shard.columnNames[column]) is \(e.rawValue), not an ndarray") }
        let p = try field(j, column: column)
        if let c = e.count { return (p, c, e.itemSize) }
        guard let head = p.first else { throw fail(j, "ndarray payload is empty") }
        let ndim = Int(head >> 2), w = 1 << Int(head & 3)
        guard ndim == 1, p.count >= 1 + w else { throw fail(j, "ndarray shape header is not 1-D or is cut short") }
        var n = 0
        for i in 0..<w { n |= Int(p[1 + i]) << (8 * i) }
        guard n <= (p.count - 1 - w) / e.itemSize, (p.count - 1 - w) == n * e.itemSize else {
            throw fail(j, "ndarray holds \(p.count - 1 - w) bytes, its shape says \(n) x \(e.itemSize)")
        }
        return (UnsafeRawBufferPointer(rebasing: p[(1 + w)...]), n, e.itemSize)
    }

    /// The index of a column by name.
    public func column(named name: String) -> Int? { shard.columnNames.firstIndex(of: name) }

    func fail(_ j: Int, _ why: String) -> ShardsError {
        ShardsError("shard \(index), sample \(firstSample + j): \(why)", path: path)
    }
}
