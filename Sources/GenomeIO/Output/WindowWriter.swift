import Basics

/// Formats a person can inspect.
public enum WindowFormat: String, Sendable, CaseIterable {
    /// `>contig:start-end(strand) split=S` (1-based inclusive, samtools region style) then the bases.
    case fasta
    /// BED6: contig, start, end (0-based half-open), split as the name, score 0, strand.
    case bed
    /// Header line, then contig, start, end (0-based half-open), strand, split, n_fraction, lower_fraction, sequence.
    case tsv
    /// Count only (for benchmarks).
    case none
}

/// Writes kept windows into an ``OutputFile`` in one of the ``WindowFormat``s.
public struct WindowWriter: WindowOutput {
    public let file: OutputFile?
    public let format: WindowFormat

    public init(file: OutputFile?, format: WindowFormat) throws {
        self.file = file; self.format = format
        if format == .tsv, let file {
            try file.write("contig\tstart\tend\tstrand\tsplit\tn_fraction\tlower_fraction\tsequence\n")
        }
    }


    @inline(__always)
    static func put(_ s: String, _ p: inout UnsafeMutablePointer<UInt8>) {
        var s = s
        s.withUTF8 { u in p.update(from: u.baseAddress!, count: u.count); p += u.count }
    }

    @inline(__always)
    static func put(_ v: Int, _ p: inout UnsafeMutablePointer<UInt8>) {
        var x = v
        if x == 0 { p.pointee = 0x30; p += 1; return }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { t in
            while x > 0 { t[n] = UInt8(0x30 + x % 10); x /= 10; n += 1 }
            for i in 0..<n { p[i] = t[n - 1 - i] }
        }
        p += n
    }

    @inline(__always)
    static func putFraction(_ num: Int, _ den: Int, _ p: inout UnsafeMutablePointer<UInt8>) {
        // Fixed 4 decimals, e.g. 0.0125.
        let scaled = (num * 10000 + den / 2) / den
        put(scaled / 10000, &p)
        p.pointee = 0x2E; p += 1
        let frac = scaled % 10000
        var d = 1000
        while d > 0 { p.pointee = UInt8(0x30 + (frac / d) % 10); p += 1; d /= 10 }
    }

    public mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                               codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
        guard let file, format != .none else { return }
        let need = contig.utf8.count + codes.count + 128
        try file.withSpace(need) { base in
            var p = base
            switch format {
            case .fasta:
                p.pointee = 0x3E; p += 1
                Self.put(contig, &p); p.pointee = 0x3A; p += 1
                Self.put(start + 1, &p); p.pointee = 0x2D; p += 1
                Self.put(end, &p)
                p.pointee = 0x28; p[1] = strand == .forward ? 0x2B : 0x2D; p[2] = 0x29; p += 3
                Self.put(" split=", &p); Self.put(split.name, &p)
                p.pointee = 0x0A; p += 1
                Kernels.decode(codes.baseAddress!, p, codes.count)
                p += codes.count
                p.pointee = 0x0A; p += 1
            case .bed:
                Self.put(contig, &p); p.pointee = 0x09; p += 1
                Self.put(start, &p); p.pointee = 0x09; p += 1
                Self.put(end, &p); p.pointee = 0x09; p += 1
                Self.put(split.name, &p); Self.put("\t0\t", &p)
                p.pointee = strand == .forward ? 0x2B : 0x2D; p[1] = 0x0A; p += 2
            case .tsv:
                Self.put(contig, &p); p.pointee = 0x09; p += 1
                Self.put(start, &p); p.pointee = 0x09; p += 1
                Self.put(end, &p); p.pointee = 0x09; p += 1
                p.pointee = strand == .forward ? 0x2B : 0x2D; p[1] = 0x09; p += 2
                Self.put(split.name, &p); p.pointee = 0x09; p += 1
                Self.putFraction(nCount, codes.count, &p); p.pointee = 0x09; p += 1
                Self.putFraction(lowerCount, codes.count, &p); p.pointee = 0x09; p += 1
                Kernels.decode(codes.baseAddress!, p, codes.count)
                p += codes.count
                p.pointee = 0x0A; p += 1
            case .none: break
            }
            return p - base
        }
    }
}
