import Basics
import CKernels
import Dispatch
import GenomeIO
import Synchronization
import Glibc

/// Which strands are counted.
public enum CountStrand: String, Sendable, CaseIterable {
    /// The input as written (GeneMask's choice).
    case forward
    /// The input and its reverse complement: count(w) = fwd(w) + fwd(rc(w)).
    case both
    /// Canonical n-grams (the smaller of w and rc(w) in ACGT order), as `jellyfish -C`:
    /// count(w) = fwd(w) + fwd(rc(w)) for w != rc(w), fwd(w) for palindromes; only canonical rows.
    case canonical
}

/// Exact 64-bit counts of every nucleotide n-gram, n = 1...maxK, with n-grams containing N (or any
/// ambiguity code) never counted. Case-folded. Table `n` is indexed by the 2-bit code of the n-gram
/// (A=0 C=1 G=2 T=3, first base most significant), so index order is lexicographic ACGT order.
public struct NGramCounts: Sendable {
    public let maxK: Int
    /// counts[n] has 4^n entries (counts[0] is unused and empty).
    public var counts: [[UInt64]]
    /// Bases read (A/C/G/T/N, all contigs).
    public var bases = 0
    /// N (and IUPAC) bases read.
    public var nBases = 0
    /// n-gram start positions skipped because the n-gram would contain N, per n.
    public var skippedForN: [Int]
    /// Each input's size and CRC-32 as stored, computed while counting (nil where the reader could not see
    /// the stored bytes: plain gzip; empty for train-window counts).
    public var inputFingerprints: [InputFingerprint?] = []

    /// Number of n-gram occurrences of length n (the normaliser of p).
    public func total(_ n: Int) -> UInt64 { counts[n].reduce(0, &+) }
}

/// Counts n-grams over FASTA inputs. Only the longest n-grams are counted directly (a rolling 2-bit
/// code per run of valid bases, on two worker threads with private tables); shorter ones are exact
/// marginals: count_n(w) = sum over a of count_{n+1}(w a) + (runs whose last n bases are w).
public final class NGramCounter {
    public let maxK: Int
    public let threads: Int

    public init(maxK: Int, threads: Int = 2) throws {
        guard (1...12).contains(maxK) else {
            throw GenomeIOError(.badArgument, "K must be within 1...12 (got \(maxK)): each counting thread holds 4^K 64-bit counters (128 MiB at K = 12)")
        }
        self.maxK = maxK
        self.threads = max(1, threads)
    }

    /// Work for one worker: `context` earlier bases of the same record, then the chunk proper.
    final class Item: @unchecked Sendable {
        let buf: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var count = 0
        var context = 0
        init(capacity: Int) { self.capacity = capacity; buf = .allocate(capacity: capacity) }
        deinit { buf.deallocate() }
    }

    /// Where `Worker.scan` puts k-gram codes: straight into a table, or into a buffer for later.
    protocol CodeSink { mutating func put(_ code: UInt32) }
    struct TableSink: CodeSink {
        let table: UnsafeMutablePointer<UInt32>
        @inline(__always) mutating func put(_ code: UInt32) { table[Int(code)] &+= 1 }
    }
    struct BufferSink: CodeSink {
        let codes: UnsafeMutablePointer<UInt32>
        var count: Int
        @inline(__always) mutating func put(_ code: UInt32) { codes[count] = code; count += 1 }
    }

    /// Per-worker state: a private table of maxK-gram counts and run-end counts per n.
    /// The table holds 32-bit counters (half the memory traffic of 64-bit ones) on transparent huge
    /// pages (far fewer TLB misses for random increments); it is folded into 64-bit totals before
    /// any counter could overflow, so counts are exact and uncapped.
    final class Worker: @unchecked Sendable {
        let k: Int
        let table: UnsafeMutablePointer<UInt32>
        let size: Int
        var wide: [UInt64] = []
        var sinceFold = 0
        var ends: [[UInt64]]
        /// Large tables: k-gram codes wait in `kcodes` (kept across chunks) and are applied in groups by
        /// their top bits (`gp_increment_partitioned`), each group within a 128 KiB slice of the table.
        let kcodesCapacity: Int
        let kcodes: UnsafeMutablePointer<UInt32>
        let scratch: UnsafeMutablePointer<UInt32>
        var pending = 0
        let shift: UInt32
        /// Tables from this size (k >= 12: 64 MiB) are far beyond the caches; smaller ones gain nothing.
        /// (Tests lower it to run the grouped path on small genomes.)
        nonisolated(unsafe) static var partitionFrom = 1 << 24
        /// `counting: false` makes a worker that only records run ends (no table, no buffers).
        init(k: Int, counting: Bool = true) {
            self.k = k
            size = counting ? 1 << (2 * k) : 1
            table = Worker.allocateHuge(count: size)
            kcodesCapacity = size >= Worker.partitionFrom ? 1 << 24 : (counting ? 1 << 16 : 1)
            kcodes = .allocate(capacity: kcodesCapacity)
            scratch = .allocate(capacity: size >= Worker.partitionFrom ? kcodesCapacity : 1)
            shift = UInt32(max(14, 2 * k - 9))       // 512 groups: 128 KiB slices of the table at k = 12
            ends = (0..<k).map { n in [UInt64](repeating: 0, count: n == 0 ? 0 : 1 << (2 * n)) }
        }
        var released = false
        deinit { releaseTables() }

        /// Frees the table and buffers (after `addTotals`), keeping the run-end counts.
        func releaseTables() {
            if released { return }
            released = true
            free(table); kcodes.deallocate(); scratch.deallocate(); wide = []
        }

        /// Applies the waiting k-gram codes to the table.
        func flush() {
            if pending == 0 { return }
            if size >= Worker.partitionFrom { gp_increment_partitioned(table, kcodes, scratch, pending, shift) }
            else { gp_increment_all(table, kcodes, pending) }
            pending = 0
        }

        static func allocateHuge(count: Int) -> UnsafeMutablePointer<UInt32> {
            var raw: UnsafeMutableRawPointer? = nil
            let bytes = count * 4
            precondition(posix_memalign(&raw, 2 << 20, max(bytes, 64)) == 0, "out of memory for \(bytes) bytes")
            _ = madvise(raw!, bytes, 14 /* MADV_HUGEPAGE */)
            memset(raw!, 0, bytes)
            return raw!.bindMemory(to: UInt32.self, capacity: count)
        }

        /// Adds the 32-bit table into the 64-bit totals and clears it.
        func fold() {
            flush()
            if wide.isEmpty { wide = [UInt64](repeating: 0, count: size) }
            wide.withUnsafeMutableBufferPointer { w in for i in 0..<size { w[i] &+= UInt64(table[i]) } }
            memset(table, 0, size * 4)
            sinceFold = 0
        }

        /// Adds this worker's final 64-bit counts into `out`.
        func addTotals(into out: inout [UInt64]) {
            flush()
            let t = table
            out.withUnsafeMutableBufferPointer { o in
                if wide.isEmpty { for i in 0..<size { o[i] &+= UInt64(t[i]) } }
                else { wide.withUnsafeBufferPointer { w in for i in 0..<size { o[i] &+= w[i] &+ UInt64(t[i]) } } }
            }
        }

        /// Counts k-grams that end inside the chunk proper, and run ends (an N) inside it.
        func process(_ item: Item) {
            let k = self.k
            let mask = UInt64(size - 1)
            var code: UInt64 = 0
            var run = 0
            let p = item.buf
            let t = table
            // Replay the context to rebuild the rolling state (no counting).
            for i in 0..<item.context {
                let b = p[i] & 7
                if b > 3 { run = 0; code = 0 } else { code = (code << 2) | UInt64(b); run += 1 }
            }
            // No 32-bit counter can pass 2^32 - 1 before this many increments.
            if sinceFold + item.count > 4_000_000_000 { fold() }
            sinceFold += item.count
            var i = item.context
            let n = item.count
            if size <= 1 << 16 {
                // Small tables (k <= 8) live in L1: increment directly.
                var sink = TableSink(table: t)
                scan(p, from: i, to: n, mask: mask, code: &code, run: &run, sink: &sink)
                return
            }
            // Large tables: collect the codes, then increment with prefetching or grouped (`flush`); the
            // table misses cache, and both overlap or avoid those misses.
            // Each base adds at most one code, so a slice of (room) bases never overflows the buffer.
            var sink = BufferSink(codes: kcodes, count: pending)
            while i < n {
                if sink.count == kcodesCapacity { pending = sink.count; flush(); sink.count = 0 }
                let end = min(n, i + (kcodesCapacity - sink.count))
                scan(p, from: i, to: end, mask: mask, code: &code, run: &run, sink: &sink)
                i = end
            }
            pending = sink.count             // applied by the next flush (a full buffer, fold, or totals)
        }

        /// Hands `sink` the masked code of every k-gram ending in `p[start..<n]`, and records run ends at
        /// N. `code` keeps shifting without the mask (applied where it is used), so the loop-carried chain
        /// is one shift and one or per base; eight bases go at a time while the run is long enough and a
        /// word test shows no N among them (N is the only code with bit 2).
        @inline(__always)
        func scan<S: CodeSink>(_ p: UnsafeMutablePointer<UInt8>, from start: Int, to n: Int, mask: UInt64,
                               code: inout UInt64, run: inout Int, sink: inout S) {
            let raw = UnsafeRawPointer(p)
            var i = start
            while i < n {
                if run >= k && i + 8 <= n {
                    let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if w & 0x0404_0404_0404_0404 == 0 {
                        let v = w & 0x0303_0303_0303_0303
                        for j in 0..<8 {
                            code = (code << 2) | ((v >> (8 * UInt64(j))) & 3)
                            sink.put(UInt32(truncatingIfNeeded: code & mask))
                        }
                        run += 8; i += 8
                        continue
                    }
                }
                let b = p[i] & 7
                if b > 3 {
                    if run > 0 { recordRunEnd(code: code, run: run) }
                    run = 0; code = 0
                } else {
                    code = (code << 2) | UInt64(b)
                    run += 1
                    if run >= k { sink.put(UInt32(truncatingIfNeeded: code & mask)) }
                }
                i += 1
            }
        }

        /// The run that just ended had `run` valid bases, its last ones in `code`.
        func recordRunEnd(code: UInt64, run: Int) {
            let top = min(run, k - 1)
            if top < 1 { return }
            for n in 1...top { ends[n][Int(code & ((1 << (2 * UInt64(n))) - 1))] &+= 1 }
        }
    }

    /// Streams one consumer-side record into items for the workers.
    struct Feeder: FastaSink {
        let k: Int
        let submit: (Item) -> Void
        let obtain: () -> Item
        var item: Item
        var tail: [UInt8] = []          // last k-1 bases of the current record (context for the next item)
        var recordBases = 0
        var bases = 0
        var nBases = 0
        var skipped: [Int]
        let endWorker: Worker           // consumer-side run ends at record ends
        var validRunAtEnd = 0
        var codeAtEnd: UInt64 = 0

        mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool {
            tail.removeAll(keepingCapacity: true)
            recordBases = 0
            startItem()
            return true
        }

        mutating func startItem() {
            item.count = tail.count
            item.context = tail.count
            if !tail.isEmpty { tail.withUnsafeBufferPointer { item.buf.update(from: $0.baseAddress!, count: tail.count) } }
        }

        mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {
            var src = codes.baseAddress!
            var left = codes.count
            bases += left
            recordBases += left
            while left > 0 {
                let room = item.capacity - item.count
                let m = min(room, left)
                (item.buf + item.count).update(from: src, count: m)
                item.count += m
                src += m; left -= m
                if item.count == item.capacity { flushItem() }
            }
        }

        mutating func flushItem() {
            if item.count > item.context {
                let keep = min(k - 1, item.count)
                tail = Array(UnsafeBufferPointer(start: item.buf + item.count - keep, count: keep))
                submit(item)
                item = obtain()
            } else {
                tail = Array(UnsafeBufferPointer(start: item.buf, count: item.count))
            }
            startItem()
        }

        mutating func composition(n: Int, lower: Int) { nBases += n }

        mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
            // Count the last item, then the run that ends with the record.
            let n = item.count
            let keep = min(k - 1, n)
            let last = Array(UnsafeBufferPointer(start: item.buf + n - keep, count: keep))
            if item.count > item.context { submit(item); item = obtain() }
            var code: UInt64 = 0, run = 0
            for b in last {
                let c = b & 7
                if c > 3 { run = 0; code = 0 } else { code = (code << 2) | UInt64(c); run += 1 }
            }
            // `last` holds at most k-1 bases: a longer run is still a run of at least k-1.
            if run > 0 { endWorker.recordRunEnd(code: code, run: run) }
            tail.removeAll(keepingCapacity: true)
        }
    }

    /// Counts every input (plain, gzip or BGZF) and returns the tables for n = 1...maxK.
    /// With `requireFingerprints`, an input whose stored bytes the reader cannot checksum as it reads them
    /// (a compressed stream from a pipe) is refused as it is opened.
    public func count(inputs: [String], strand: CountStrand = .forward, requireFingerprints: Bool = false,
                      progress: ((Int) -> Void)? = nil) throws -> NGramCounts {
        var prints: [InputFingerprint?] = []
        var c = try count(strand: strand) { tap, afterEach in
            for path in inputs {
                var reader = FastaReader(path: path, threads: 2)
                reader.requireFingerprint = requireFingerprints
                prints.append(try reader.read(into: &tap).fingerprint)
                afterEach()
                progress?(tap.inner.bases)
            }
        }
        c.inputFingerprints = prints
        return c
    }

    /// Counts the train-split windows that `options` places, each window as a record of its own (an
    /// n-gram never spans two windows), as BPE training reads them.
    public func count(trainWindowsOf options: WindowsOptions, strand: CountStrand = .forward) throws -> NGramCounts {
        try count(strand: strand) { tap, _ in
            let (_, out) = try WindowsJob.run(options, into: TrainWindowFeed(tap: tap))
            tap = out.tap
        }
    }

    /// Runs the counting threads while `feed` drives the sink (calling `afterEach` between inputs).
    func count(strand: CountStrand, feed: (inout LengthTap<Feeder>, () -> Void) throws -> Void) throws -> NGramCounts {
        let k = maxK
        let itemSize = 4 << 20
        let nItems = threads * 2 + 2
        let workers = (0..<threads).map { _ in Worker(k: k) }
        let endWorker = Worker(k: k, counting: false)
        let freeItems = BoundedQueue<Int>(capacity: nItems)
        let items = (0..<nItems).map { _ in Item(capacity: itemSize) }
        for i in 0..<nItems { freeItems.push(i) }
        let work = BoundedQueue<Int>(capacity: nItems + threads)
        let group = DispatchGroup()
        for w in workers {
            group.enter()
            let itemsRef = UnsafeTransfer(value: items)
            spawnThread {
                defer { group.leave() }
                while true {
                    let i = work.pop()
                    if i < 0 { return }
                    w.process(itemsRef.value[i])
                    freeItems.push(i)
                }
            }
        }
        var index: [ObjectIdentifier: Int] = [:]
        for (i, it) in items.enumerated() { index[ObjectIdentifier(it)] = i }
        let idx = index
        var feeder = Feeder(k: k, submit: { work.push(idx[ObjectIdentifier($0)]!) },
                            obtain: { items[freeItems.pop()] },
                            item: items[freeItems.pop()],
                            skipped: [], endWorker: endWorker)
        var result = NGramCounts(maxK: k, counts: [], skippedForN: Array(repeating: 0, count: k + 1))
        var positions = [Int](repeating: 0, count: k + 1)
        var failure: Error?
        var tap = LengthTap(inner: feeder)
        do {
            try feed(&tap) {}
        } catch { failure = error }
        feeder = tap.inner
        for len in tap.lengths { for n in 1...k where len >= n { positions[n] += len - n + 1 } }
        for _ in workers { work.push(-1) }
        group.wait()
        if let failure { throw failure }

        // Merge the workers' tables, then derive shorter n-grams by marginalising.
        let size = 1 << (2 * k)
        var top = [UInt64](repeating: 0, count: size)
        for w in workers { w.addTotals(into: &top); w.releaseTables() }
        var counts = [[UInt64]](repeating: [], count: k + 1)
        counts[k] = top
        top = []
        var n = k - 1
        while n >= 1 {
            var c = [UInt64](repeating: 0, count: 1 << (2 * n))
            let longer = counts[n + 1]
            c.withUnsafeMutableBufferPointer { cp in
                longer.withUnsafeBufferPointer { lp in
                    for i in 0..<cp.count {
                        cp[i] = lp[4 * i] &+ lp[4 * i + 1] &+ lp[4 * i + 2] &+ lp[4 * i + 3]
                    }
                }
            }
            for w in workers + [endWorker] {
                let e = w.ends[n]
                for i in 0..<c.count { c[i] &+= e[i] }
            }
            counts[n] = c
            n -= 1
        }
        result.bases = feeder.bases
        result.nBases = feeder.nBases
        for m in 1...k {
            result.skippedForN[m] = positions[m] - Int(counts[m].reduce(0, &+))
        }
        result.counts = counts
        if strand != .forward { result.counts = NGramCounter.applyStrand(counts, strand: strand) }
        return result
    }

    /// 2-bit reverse complement of an n-gram code.
    @inline(__always)
    public static func reverseComplement(_ code: Int, n: Int) -> Int {
        var x = code, r = 0
        for _ in 0..<n { r = (r << 2) | (3 - (x & 3)); x >>= 2 }
        return r
    }

    static func applyStrand(_ fwd: [[UInt64]], strand: CountStrand) -> [[UInt64]] {
        var out = fwd
        for n in 1..<fwd.count {
            let f = fwd[n]
            var c = [UInt64](repeating: 0, count: f.count)
            for w in 0..<f.count {
                let r = reverseComplement(w, n: n)
                switch strand {
                case .forward: c[w] = f[w]
                case .both: c[w] = f[w] &+ f[r]
                case .canonical: c[w] = w <= r ? (w == r ? f[w] : f[w] &+ f[r]) : 0
                }
            }
            out[n] = c
        }
        return out
    }
}

/// Feeds each train-split window to a sink as one record.
struct TrainWindowFeed<S: FastaSink>: WindowOutput {
    var tap: S
    mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                        codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
        guard split == .train, !codes.isEmpty else { return }
        let at = InputLocation(path: contig)
        _ = try tap.beginRecord(name: contig, index: 0, location: at)
        try tap.bases(codes)
        tap.composition(n: nCount, lower: lowerCount)
        try tap.endRecord(name: contig, length: codes.count, location: at)
    }
}

/// Passes everything through while recording record lengths.
struct LengthTap<Inner: FastaSink>: FastaSink {
    var inner: Inner
    var lengths: [Int] = []
    mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool {
        try inner.beginRecord(name: name, index: index, location: location)
    }
    mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws { try inner.bases(codes) }
    mutating func composition(n: Int, lower: Int) { inner.composition(n: n, lower: lower) }
    mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
        lengths.append(length)
        try inner.endRecord(name: name, length: length, location: location)
    }
}

