import Basics

/// Why a window was dropped. The raw values are what summaries print.
public enum DropReason: String, Sendable, CaseIterable {
    case tooManyN = "too-many-N"
    case softMasked = "soft-masked"
    case crossesSplitBoundary = "crosses-split-boundary"
    case contigTooShort = "contig-too-short"
    case contigFiltered = "contig-filtered"
}

/// Where kept windows go.
public protocol WindowOutput {
    /// `codes` holds the window on its strand (already reverse-complemented for `.reverse`).
    mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                        codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws
    /// Called before the windows of input `index` (in the order given) arrive.
    mutating func beginInput(index: Int, path: String)
}

extension WindowOutput {
    public mutating func beginInput(index: Int, path: String) {}
}

/// Counts of one windows run.
public struct WindowCounts: Sendable {
    public var kept: [Int] = [0, 0, 0]          // by Split.rawValue, counting each strand
    public var dropped: [String: Int] = [:]
    public var keptBases = 0
    public var keptN = 0
    public var keptLower = 0
    public var keptTotal: Int { kept.reduce(0, +) }
}

/// Applies the N and soft-mask policies, assigns the split, expands strands, and writes.
struct WindowProcessor<O: WindowOutput>: WindowConsumer {
    var output: O
    let window: Int
    let maxN: Int
    let softMask: SoftMaskPolicy
    let maxLower: Int
    let strand: StrandMode
    let splitter: SplitAssigner
    let seed: UInt64
    var counts = WindowCounts()
    let scratch: UnsafeMutablePointer<UInt8>
    let rcScratch: UnsafeMutablePointer<UInt8>

    init(output: O, options: WindowsOptions) {
        self.output = output
        window = options.window
        // Floor, so that a window with fraction exactly at the limit is kept and nothing above it is.
        maxN = Int((options.maxNFraction * Double(options.window)).rounded(.down) + 1e-9)
        softMask = options.softMask
        if case .drop(let f) = options.softMask { maxLower = Int((f * Double(options.window)).rounded(.down)) }
        else { maxLower = options.window }
        strand = options.strand
        splitter = SplitAssigner(spec: options.split, seed: options.seed)
        seed = options.seed
        scratch = .allocate(capacity: options.window)
        rcScratch = .allocate(capacity: options.window)
    }

    func deallocate() { scratch.deallocate(); rcScratch.deallocate() }

    mutating func drop(_ r: DropReason, _ n: Int = 1) { counts.dropped[r.rawValue, default: 0] += n }

    mutating func window(contig: String, contigHash: UInt64, start: Int, codes: UnsafeBufferPointer<UInt8>) throws {
        let (nn, lo) = Kernels.countNAndLower(codes.baseAddress!, codes.count)
        if nn > maxN { drop(.tooManyN); return }
        if lo > maxLower { drop(.softMasked); return }
        guard let split = splitter.split(contig: contig, contigHash: contigHash, start: start, end: start + window) else {
            drop(.crossesSplitBoundary); return
        }
        var view = codes
        var lower = lo
        if softMask != .keep && lo > 0 {
            for i in 0..<window { scratch[i] = codes[i] & ~BaseCode.softMask }
            view = UnsafeBufferPointer(start: scratch, count: window)
            lower = 0
        }
        // Strands to emit, without allocating: (first, count) over [.forward, .reverse].
        var first = Strand.forward, count = 1
        switch strand {
        case .forward: break
        case .both: count = 2
        case .random:
            let h = StableHash.key(seed: seed, contig: contig, position: start, salt: 0x5354_5241_4E44)
            if (h & 1) != 0 { first = .reverse }
        }
        for k in 0..<count {
            let s: Strand = (k == 0 && first == .forward) ? .forward : .reverse
            var v = view
            if s == .reverse {
                Kernels.reverseComplement(view.baseAddress!, rcScratch, window)
                v = UnsafeBufferPointer(start: rcScratch, count: window)
            }
            try output.write(contig: contig, start: start, end: start + window, strand: s, split: split,
                             codes: v, nCount: nn, lowerCount: lower)
            counts.kept[split.rawValue] += 1
            counts.keptBases += window
            counts.keptN += nn
            counts.keptLower += lower
        }
    }
}
