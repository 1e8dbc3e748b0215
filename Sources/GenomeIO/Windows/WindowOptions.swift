import Basics

/// How windows are placed.
public enum SamplerSpec: Sendable, Equatable {
    /// Windows at 0, stride, 2*stride, ... that fit entirely in the contig.
    case tiled(stride: Int)
    /// `count` windows with uniform starts over every valid position of the genome, or (with
    /// `perContig`) a uniformly chosen contig first, as FinDNA did.
    case random(count: Int, perContig: Bool)
    /// One window per BED interval: shorter intervals grow evenly on both sides to the window length,
    /// longer ones are cut to `start + window` (HyenaDNA), then shifted by a uniform jitter in
    /// `[-jitter, jitter]`, clamped to the contig.
    case bed(path: String, jitter: Int)

    public var name: String {
        switch self { case .tiled: "tiled"; case .random: "random"; case .bed: "bed" }
    }
}

/// Soft-masked (lowercase) bases.
public enum SoftMaskPolicy: Sendable, Equatable {
    /// Upper-case everything; the mask is discarded.
    case upper
    /// Keep the mask bit next to each base (lowercase in FASTA/TSV output).
    case keep
    /// Drop windows whose lowercase fraction is above the limit; the kept ones are upper-cased.
    case drop(maxFraction: Double)
}

public enum StrandMode: String, Sendable, CaseIterable {
    case forward, both, random
}

/// How windows are assigned to train/val/test.
public enum SplitSpec: Sendable, Equatable {
    /// By a hash of (seed, contig, block index); a window lies in one block's territory or is dropped,
    /// so no window shares bases with another split (for any stride).
    case hashed(val: Double, test: Double, blockSize: Int)
    /// By contig lists; every other contig is train.
    case contigs(val: Set<String>, test: Set<String>)
}

/// Everything `genome-prep windows` needs.
public struct WindowsOptions {
    public var inputs: [String]
    public var window = 1000
    public var sampler: SamplerSpec = .tiled(stride: 1000)
    public var filter = ContigFilter()
    /// Maximum fraction of N per window (windows above it are dropped).
    public var maxNFraction = 0.0
    public var softMask: SoftMaskPolicy = .keep
    public var strand: StrandMode = .forward
    public var split: SplitSpec = .hashed(val: 0, test: 0, blockSize: 100_000)
    public var seed: UInt64 = 0
    public var threads = 2
    public var invalidBytes: InvalidBytePolicy = .error
    /// Called now and then with (input index, uncompressed bases read so far in it).
    public var progress: ((Int, Int) -> Void)?

    public init(inputs: [String]) { self.inputs = inputs }

    public func validate() throws {
        if inputs.isEmpty { throw GenomeIOError(.badArgument, "no input FASTA files given") }
        // The same file twice (under any path) would write every window twice.
        var seen: [FileIdentity: String] = [:]
        for p in inputs {
            guard let id = FileIdentity.of(p) else { continue }
            if let first = seen[id] {
                throw GenomeIOError(.badArgument, "the same input is given twice (\(first) and \(p)); every window would be written twice",
                                    at: InputLocation(path: p))
            }
            seen[id] = p
        }
        if window < 1 { throw GenomeIOError(.badArgument, "window length must be at least 1 (got \(window))") }
        if case .tiled(let s) = sampler, s < 1 {
            throw GenomeIOError(.badArgument, "stride must be at least 1 (got \(s))")
        }
        if case .random(let n, _) = sampler, n < 0 {
            throw GenomeIOError(.badArgument, "window count must not be negative (got \(n))")
        }
        if case .bed(_, let j) = sampler, j < 0 {
            throw GenomeIOError(.badArgument, "jitter must not be negative (got \(j))")
        }
        if !(0...1).contains(maxNFraction) {
            throw GenomeIOError(.badArgument, "max N fraction must be within 0...1 (got \(maxNFraction))")
        }
        if case .drop(let f) = softMask, !(0...1).contains(f) {
            throw GenomeIOError(.badArgument, "max lowercase fraction must be within 0...1 (got \(f))")
        }
        if case .hashed(let v, let t, let b) = split {
            if v < 0 || t < 0 || v + t > 1 {
                throw GenomeIOError(.badArgument, "split fractions must be >= 0 and val + test <= 1 (got val \(v), test \(t))")
            }
            if b < 1 { throw GenomeIOError(.badArgument, "split block size must be at least 1 (got \(b))") }
        }
    }
}
