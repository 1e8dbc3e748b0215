import Basics

/// Receives each window that the sampler places, with a view of its codes.
protocol WindowConsumer {
    mutating func window(contig: String, contigHash: UInt64, start: Int, codes: UnsafeBufferPointer<UInt8>) throws
}

/// Window starts for one contig, in non-decreasing order.
enum StartList {
    case tiled(stride: Int)
    case sorted([Int])
}

/// A ``FastaSink`` that keeps a bounded sliding buffer of the current contig (window length plus
/// one chunk) and hands every planned window to a ``WindowConsumer``. Memory does not grow with
/// contig length.
struct Windower<C: WindowConsumer>: FastaSink {
    var consumer: C
    let window: Int
    let filter: ContigFilter
    /// Contig lengths known before streaming (from a `.fai` or a first pass), checked at each record end.
    let knownLengths: [String: Int]?
    let starts: (String) -> StartList
    let progress: ((Int) -> Void)?

    var buf: UnsafeMutablePointer<UInt8>
    var cap: Int
    var bufStart = 0     // contig position of buf[0]
    var bufCount = 0
    var current = ""
    var currentHash: UInt64 = 0
    var plan: StartList = .sorted([])
    var nextStart = 0
    var sortedIndex = 0
    var contigBases = 0

    // Totals over the contigs used.
    var contigsSeen = 0
    var contigsUsed = 0
    var contigsRejected: [String: Int] = [:]
    var bases = 0
    var nBases = 0
    var lowerBases = 0
    var readSoFar = 0
    var lastProgress = 0

    init(consumer: C, window: Int, filter: ContigFilter, knownLengths: [String: Int]?,
         starts: @escaping (String) -> StartList, progress: ((Int) -> Void)?) {
        self.consumer = consumer; self.window = window; self.filter = filter
        self.knownLengths = knownLengths; self.starts = starts; self.progress = progress
        cap = window + (1 << 20)
        buf = .allocate(capacity: cap)
    }

    func deallocate() { buf.deallocate() }

    mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool {
        contigsSeen += 1
        var length: Int? = nil
        if let known = knownLengths {
            guard let l = known[name] else {
                throw GenomeIOError(.indexMismatch,
                    "record '\(name)' is not in the index: the .fai does not match the FASTA", at: location,
                    hint: "rebuild the index with `genome-prep index`")
            }
            length = l
        }
        let reason = length.map { filter.rejection(name: name, length: $0) } ?? filter.rejection(name: name)
        if let reason { contigsRejected[reason, default: 0] += 1; return false }
        contigsUsed += 1
        current = name
        currentHash = StableHash.fnv1a(name)
        plan = starts(name)
        sortedIndex = 0
        nextStart = 0
        if case .sorted(let a) = plan { nextStart = a.first ?? Int.max }
        bufStart = 0; bufCount = 0; contigBases = 0
        return true
    }

    mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {
        // Whole-genome composition of the used contigs.
        bases += codes.count
        contigBases += codes.count
        readSoFar += codes.count
        if let progress, readSoFar - lastProgress >= 64 << 20 { lastProgress = readSoFar; progress(readSoFar) }

        var src = codes.baseAddress!
        var remaining = codes.count
        while remaining > 0 {
            // Drop what no future window needs.
            let keepFrom = min(max(nextStart, bufStart), bufStart + bufCount)
            let drop = keepFrom - bufStart
            if drop > 0 {
                if drop < bufCount { buf.update(from: buf + drop, count: bufCount - drop) }
                bufCount -= drop; bufStart = keepFrom
            }
            if bufCount == 0 {
                if nextStart > bufStart {
                    // Skip bases before the next window without copying them.
                    let skip = min(remaining, nextStart - bufStart)
                    bufStart += skip; src += skip; remaining -= skip
                    continue
                }
                // Windows that lie entirely in this chunk are handed out in place (no copy).
                let end = bufStart + remaining
                while nextStart != Int.max && nextStart + window <= end {
                    let view = UnsafeBufferPointer(start: src + (nextStart - bufStart), count: window)
                    try consumer.window(contig: current, contigHash: currentHash, start: nextStart, codes: view)
                    advance()
                }
                let consumed = min(remaining, nextStart - bufStart)
                bufStart += consumed; src += consumed; remaining -= consumed
                if remaining == 0 { break }
            }
            // The next window straddles chunks: buffer just what it needs (or what fits).
            let need = nextStart + window - (bufStart + bufCount)
            let n = min(remaining, max(1, min(need, cap - bufCount)))
            (buf + bufCount).update(from: src, count: n)
            bufCount += n; src += n; remaining -= n
            try emitReady()
        }
    }

    mutating func emitReady() throws {
        let end = bufStart + bufCount
        while nextStart != Int.max && nextStart + window <= end {
            let view = UnsafeBufferPointer(start: buf + (nextStart - bufStart), count: window)
            try consumer.window(contig: current, contigHash: currentHash, start: nextStart, codes: view)
            advance()
        }
    }

    mutating func advance() {
        switch plan {
        case .tiled(let stride): nextStart += stride
        case .sorted(let a):
            sortedIndex += 1
            nextStart = sortedIndex < a.count ? a[sortedIndex] : Int.max
        }
    }

    mutating func composition(n: Int, lower: Int) {
        nBases += n; lowerBases += lower
    }

    mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
        if let known = knownLengths?[name], known != length {
            throw GenomeIOError(.indexMismatch,
                "record '\(name)' has \(length) bases but the index says \(known): the .fai does not match the FASTA",
                at: location, hint: "rebuild the index with `genome-prep index`")
        }
    }
}
