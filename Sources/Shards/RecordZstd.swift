import CZstd

/// Where one sample sits in a shard, and which of its bytes are token data (absolute offsets).
struct RecordSpan: Sendable {
    var start: Int
    var tokenStart: Int
    var tokenEnd: Int
}

/// Record-planned zstd for shards of character tokens. zstd's match finder does badly on DNA: random
/// 7-mers recur every few kbp, so it trades 2-bit literals for short matches that cost more (E. coli
/// shards: 2.54 bits per base at level 3, 2.22 at level 19 and 4 MB/s). Here the plan is ours: token
/// bytes are all literals (Huffman-coded, about 2 bits each), and every other byte of a sample (sizes,
/// contig, source, start, strand, ndarray header) is matched against the same place in the previous
/// sample, where it almost always repeats. `ZSTD_compressSequences` writes an ordinary zstd frame with
/// its content size, so every zstd reader (MosaicML Streaming's included) decompresses it unchanged.
enum RecordZstd {
    static let minRun = 4
    static let windowLog: Int32 = 22

    static func sequences(_ raw: UnsafeBufferPointer<UInt8>, records: [RecordSpan]) -> [ZSTD_Sequence] {
        var seqs: [ZSTD_Sequence] = []
        seqs.reserveCapacity(records.count * 4)
        guard let first = records.first else { return seqs }
        var lit = first.start                   // the shard header: literals
        func region(_ a: Int, _ b: Int, prevStart: Int, prevEnd: Int, distance d: Int) {
            guard d < 1 << Int(windowLog) else { lit += b - a; return }   // beyond the window: literals
            // A byte k can match k - d while k - d lies in the previous sample's region: k in lo..<hi.
            let lo = prevStart + d, hi = min(b, prevEnd + d)
            let p = UnsafeRawPointer(raw.baseAddress!)
            var j = a
            while j < b {
                var k = j
                if k >= lo {
                    while k + 8 <= hi && p.loadUnaligned(fromByteOffset: k, as: UInt64.self) == p.loadUnaligned(fromByteOffset: k - d, as: UInt64.self) { k += 8 }
                    while k < hi && raw[k] == raw[k - d] { k += 1 }
                }
                if k - j >= minRun {
                    seqs.append(ZSTD_Sequence(offset: UInt32(d), litLength: UInt32(lit), matchLength: UInt32(k - j), rep: 0))
                    lit = 0
                    j = k
                } else {
                    lit += 1
                    j += 1
                }
            }
        }
        for (i, r) in records.enumerated() {
            let end = i + 1 < records.count ? records[i + 1].start : raw.count
            if i > 0 {
                let p = records[i - 1]
                region(r.start, r.tokenStart, prevStart: p.start, prevEnd: p.tokenStart, distance: r.start - p.start)
                lit += r.tokenEnd - r.tokenStart
                region(r.tokenEnd, end, prevStart: p.tokenEnd, prevEnd: r.start, distance: r.tokenEnd - p.tokenEnd)
            } else {
                lit += end - r.start
            }
        }
        return seqs                             // the bytes after the last match are trailing literals
    }

    /// Compresses into `out` (grown to the bound when needed, reused otherwise); returns the frame size.
    static func compress(_ src: UnsafeBufferPointer<UInt8>, records: [RecordSpan], level: Int, into out: inout [UInt8]) throws -> Int {
        guard let cctx = ZSTD_createCCtx() else { throw ShardsError("zstd: cannot create a compression context") }
        defer { ZSTD_freeCCtx(cctx) }
        func set(_ p: ZSTD_cParameter, _ v: Int32) throws {
            let r = ZSTD_CCtx_setParameter(cctx, p, v)
            if ZSTD_isError(r) != 0 { throw ShardsError("zstd: \(String(cString: ZSTD_getErrorName(r)))") }
        }
        try set(ZSTD_c_compressionLevel, Int32(level))
        try set(ZSTD_c_minMatch, 3)
        try set(ZSTD_c_windowLog, windowLog)    // matches reach one sample back
        try set(ZSTD_c_experimentalParam12, 1)  // ZSTD_c_validateSequences: a bad plan is an error, not a bad frame
        try set(ZSTD_c_contentSizeFlag, 1)
        let seqs = sequences(src, records: records)
        let bound = ZSTD_compressBound(src.count)
        if out.count < bound { out = [UInt8](unsafeUninitializedCapacity: bound) { _, c in c = bound } }
        let n = out.withUnsafeMutableBytes { o in
            seqs.withUnsafeBufferPointer { s in
                ZSTD_compressSequences(cctx, o.baseAddress, bound, s.baseAddress, s.count, src.baseAddress, src.count)
            }
        }
        if ZSTD_isError(n) != 0 { throw ShardsError("zstd: \(String(cString: ZSTD_getErrorName(n)))") }
        return n
    }
}
