import Basics
import CKernels
import Dispatch
import GenomeIO
import Shards
import Tokenize

/// The tokenize stage of `genome-prep run`: batches of windows arrive from the windowing thread and are
/// tokenized and encoded into their split's MDS writer on a serial Dispatch queue, so samples keep their
/// order (the output never depends on scheduling). It is a serial ``Stage``: at most `inFlight` batches
/// wait, so a slow tokenizer holds the reader back instead of filling memory, and errors are kept and
/// thrown by the next `submit` or by `finish`.
final class TokenizeStage: @unchecked Sendable {
    static let batchWindows = 4096
    static let batchBases = 4 << 20

    /// Windows copied out of the windowing thread's reused buffers. Contig, source and label names are
    /// kept once per batch (windows hold indexes), so a window costs no reference counting.
    final class Batch: @unchecked Sendable {
        struct Window {
            var contig: Int32
            var source: Int32
            var label: Int32
            var strand: UInt8
            var split: UInt8
            var start: Int
            var offset: Int
            var count: Int
        }
        var codes: [UInt8] = []
        var windows: [Window] = []
        var names: [String] = []
        private var lastContig = -1, lastSource = -1, lastLabel = -1

        func clear() {
            codes.removeAll(keepingCapacity: true); windows.removeAll(keepingCapacity: true); names.removeAll(keepingCapacity: true)
            lastContig = -1; lastSource = -1; lastLabel = -1
        }

        @inline(__always)
        private func intern(_ s: String, _ last: inout Int) -> Int32 {
            if last >= 0 && names[last] == s { return Int32(last) }
            names.append(s)
            last = names.count - 1
            return Int32(last)
        }

        func add(contig: String, start: Int, strand: UInt8, split: Int, source: String, label: String, codes c: UnsafeBufferPointer<UInt8>) {
            windows.append(Window(contig: intern(contig, &lastContig), source: intern(source, &lastSource), label: intern(label, &lastLabel),
                                  strand: strand, split: UInt8(split), start: start, offset: codes.count, count: c.count))
            codes.append(contentsOf: c)
        }
    }

    let encoder: TokenEncoder
    let writers: [MDSWriter?]
    let wide: Bool
    let ranks: [UInt16]?
    /// The PMI rank of every token id (the table is indexed by the k-mer's ACGT-order code, the
    /// vocabulary is in DNABERT's order); ids that are no ACGT k-mer get one more than the largest rank.
    let rankOfID: [UInt16]?
    let softMaskBits: Bool
    /// Extra columns: the input's label, the window's G + C count.
    let labels: Bool
    let gc: Bool
    let stage: Stage
    // Touched only by the stage's work items (serial), and read after `stage.finish()`.
    var tokens = 0
    var ids: [UInt32] = []
    /// Character tokens: the id of every base code (codes are below 16), so a window maps to its ids in
    /// one pass of the `gp_map_codes` kernel into `idBytes`, which the writer borrows.
    let charIDs: [UInt8]?
    var idBytes: UnsafeMutablePointer<UInt8>
    var idCapacity = 0
    /// One sample's values, reused (its first slot is a placeholder when the ids are borrowed).
    var values: [MDSValue] = []

    init(encoder: TokenEncoder, writers: [MDSWriter?], wide: Bool, ranks: [UInt16]?, softMaskBits: Bool, labels: Bool = false,
         gc: Bool = false, inFlight: Int = 2) {
        self.encoder = encoder; self.writers = writers; self.wide = wide; self.ranks = ranks; self.softMaskBits = softMaskBits
        self.labels = labels; self.gc = gc
        rankOfID = ranks.map { r in
            // A rank of their own for [UNK] and the specials: above every k-mer's (the table's ranks run
            // 1...4^6, so 4^6 itself is a k-mer's).
            let other = (r.max() ?? 0) &+ 1
            return encoder.tokenizer.vocabulary.tokens.map { t -> UInt16 in
                var code = 0
                for b in t.utf8 {
                    guard let d = [UInt8(ascii: "A"), UInt8(ascii: "C"), UInt8(ascii: "G"), UInt8(ascii: "T")].firstIndex(of: b) else { return other }
                    code = code << 2 | d
                }
                return t.utf8.count > 0 && code < r.count && 1 << (2 * t.utf8.count) == r.count ? r[code] : other
            }
        }
        stage = Stage(label: "genomeprep.tokenize", inFlight: inFlight)
        // The table is read off the tokenizer itself, one code at a time, and used only when every code
        // gives exactly one id below 256 (the char tokenizer without specials) and no rank column needs ids.
        var table: [UInt8]? = nil
        if encoder.tokenizer.kind == .char && !wide && ranks == nil {
            var t = [UInt8](repeating: 0, count: 16)
            var ok = true
            var out: [UInt32] = []
            for c in 0..<16 {
                let code = UInt8(c)
                guard code & 7 <= 4, code & ~(7 | BaseCode.softMask) == 0 else { continue }
                out.removeAll(keepingCapacity: true)
                withUnsafePointer(to: code) { encoder.encode(UnsafeBufferPointer(start: $0, count: 1), into: &out) }
                if out.count == 1 && out[0] < 256 { t[c] = UInt8(out[0]) } else { ok = false }
            }
            if ok { table = t }
        }
        charIDs = table
        idBytes = .allocate(capacity: 1)
    }

    deinit { idBytes.deallocate() }

    /// Batches come back here once encoded, so their buffers are reused rather than faulted in anew.
    private let poolLock = DispatchQueue(label: "genomeprep.tokenize.pool")
    private var pool: [Batch] = []

    /// An empty batch, recycled when one is free.
    func takeBatch() -> Batch {
        guard let b = poolLock.sync(execute: { pool.popLast() }) else { return Batch() }
        b.clear()
        return b
    }

    func submit(_ batch: Batch) throws {
        try stage.submit { [self] in
            defer { poolLock.sync { pool.append(batch) } }
            try encode(batch)
        }
    }

    /// Waits for every batch; the number of tokens written.
    func finish() throws -> Int {
        try stage.finish()
        return tokens
    }

    /// Lets the batches in flight finish (when the run stops early).
    func drain() { stage.drain() }

    /// One bit per base of the window as written (reverse-complemented windows too), LSB first:
    /// numpy.unpackbits(mask, bitorder="little")[:window] gives 1 where the base is lowercase.
    static func maskBits(_ codes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: (codes.count + 7) / 8) { b, c in
            gp_mask_bits(gp_simd_level(), codes.baseAddress, codes.count, b.baseAddress)
            c = (codes.count + 7) / 8
        }
    }

    /// The batch's name indexes the reused `values` row holds (so unchanged names are not assigned again).
    private var rowContig = -1, rowSource = -1, rowLabel = -1

    private func encode(_ batch: Batch) throws {
        // Row layout: tokens, contig, start, strand, source, then [pmi_rank], [soft_mask], [label], [gc].
        let extra = (rankOfID != nil ? 1 : 0) + (softMaskBits ? 1 : 0) + (labels ? 1 : 0) + (gc ? 1 : 0)
        if values.count != 5 + extra { values = Array(repeating: .uint8(0), count: 5 + extra) }
        rowContig = -1; rowSource = -1; rowLabel = -1
        try batch.codes.withUnsafeBufferPointer { all in
            for win in batch.windows {
                guard let w = writers[Int(win.split)] else { continue }
                let codes = UnsafeBufferPointer(rebasing: all[win.offset..<(win.offset + win.count)])
                let n: Int
                if let charIDs {
                    // Character tokens: one kernel pass from codes to ids, into a buffer the writer borrows.
                    n = codes.count
                    if n > idCapacity { idBytes.deallocate(); idBytes = .allocate(capacity: n); idCapacity = n }
                    charIDs.withUnsafeBufferPointer { gp_map_codes(gp_simd_level(), codes.baseAddress, n, $0.baseAddress, idBytes) }
                } else {
                    ids.removeAll(keepingCapacity: true)
                    encoder.encode(codes, into: &ids)
                    n = ids.count
                    values[0] = ids.withUnsafeBufferPointer { p in
                        wide ? .u16([UInt16](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = UInt16(truncatingIfNeeded: p[i]) }; c = n })
                             : .u8([UInt8](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = UInt8(truncatingIfNeeded: p[i]) }; c = n })
                    }
                }
                if Int(win.contig) != rowContig { values[1] = .str(batch.names[Int(win.contig)]); rowContig = Int(win.contig) }
                values[2] = .int64(Int64(win.start))
                values[3] = .uint8(win.strand)
                if Int(win.source) != rowSource { values[4] = .str(batch.names[Int(win.source)]); rowSource = Int(win.source) }
                var k = 5
                if let rankOfID {
                    // Per-token PMI rank, looked up by id; [UNK] and specials get the worst rank.
                    values[k] = .u16(ids.map { rankOfID[Int($0)] }); k += 1
                }
                if softMaskBits { values[k] = .u8(TokenizeStage.maskBits(codes)); k += 1 }
                if labels {
                    if Int(win.label) != rowLabel { values[k] = .str(batch.names[Int(win.label)]); rowLabel = Int(win.label) }
                    k += 1
                }
                if gc { values[k] = .int64(Int64(gp_count_gc(gp_simd_level(), codes.baseAddress, codes.count))); k += 1 }
                if charIDs != nil {
                    try w.write(values, borrowing: 0, UnsafeBufferPointer(start: idBytes, count: n))
                } else {
                    try w.write(values)
                }
                self.tokens += n
            }
        }
    }
}
