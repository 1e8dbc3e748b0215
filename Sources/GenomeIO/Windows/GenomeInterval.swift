/// Strand of a window.
public enum Strand: UInt8, Sendable {
    case forward = 0, reverse = 1
    public var symbol: Character { self == .forward ? "+" : "-" }
}

/// Train/validation/test.
public enum Split: Int, Sendable, CaseIterable, Comparable {
    case train = 0, val = 1, test = 2
    public var name: String { ["train", "val", "test"][rawValue] }
    public static func < (a: Split, b: Split) -> Bool { a.rawValue < b.rawValue }
    public init?(name: String) {
        switch name { case "train": self = .train; case "val", "valid", "validation": self = .val
        case "test": self = .test; default: return nil }
    }
}

/// A region on one contig: 0-based, half-open `[start, end)`. 1-based only when displayed.
public struct GenomeInterval: Sendable, Equatable {
    public var contig: String
    public var start: Int
    public var end: Int
    public var strand: Strand
    public init(contig: String, start: Int, end: Int, strand: Strand = .forward) {
        self.contig = contig; self.start = start; self.end = end; self.strand = strand
    }
    public var length: Int { end - start }
    /// samtools-style region, 1-based inclusive: `chr1:101-200`.
    public var region: String { "\(contig):\(start + 1)-\(end)" }
}

/// A contig's name and length.
public struct ContigInfo: Sendable, Equatable {
    public var name: String
    public var length: Int
    public init(name: String, length: Int) { self.name = name; self.length = length }
}
