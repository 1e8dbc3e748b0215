import Basics

/// Composition of one FASTA file (`genome-prep stats`).
public struct GenomeStats: Sendable {
    public var path: String
    public var format: InputFormat = .plain
    public var records = 0
    public var bases = 0
    public var minLength = Int.max
    public var maxLength = 0
    public var counts = [Int](repeating: 0, count: 16)   // by code (base | soft-mask bit)

    public var n: Int { counts[4] + counts[12] }
    public var lower: Int { counts[8...].reduce(0, +) }
    public var gc: Int { counts[1] + counts[2] + counts[9] + counts[10] }

    struct Sink: FastaSink {
        var s: GenomeStats
        var hist = [Int](repeating: 0, count: 256)
        mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool { true }
        mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {
            hist.withUnsafeMutableBufferPointer { h in for c in codes { h[Int(c)] &+= 1 } }
        }
        mutating func composition(n: Int, lower: Int) {}
        mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
            s.minLength = min(s.minLength, length); s.maxLength = max(s.maxLength, length)
        }
    }

    public static func compute(path: String, threads: Int = 2, invalidBytes: InvalidBytePolicy = .error) throws -> GenomeStats {
        var sink = Sink(s: GenomeStats(path: path))
        let st = try FastaReader(path: path, threads: threads, invalidBytes: invalidBytes).read(into: &sink)
        var s = sink.s
        s.format = st.format; s.records = st.records; s.bases = st.bases
        for i in 0..<16 { s.counts[i] = sink.hist[i] }
        return s
    }

    public var tsvLine: String {
        func f(_ a: Int) -> String {
            let acgt = bases - n
            let den = a == gc ? acgt : bases
            return den == 0 ? "0" : String(Double(a) / Double(den))
        }
        return "\(path)\t\(format.rawValue)\t\(records)\t\(bases)\t\(records == 0 ? 0 : minLength)\t\(maxLength)\t\(f(n))\t\(f(lower))\t\(f(gc))"
    }
}

/// Parses samtools-style regions (1-based inclusive): `CONTIG`, `CONTIG:START-END`, `CONTIG:START`.
public enum RegionParser {
    public static func parse(_ r: String, contigs: [FaiEntry]) throws -> GenomeInterval {
        // A contig name may itself contain ':'; prefer an exact name match.
        if let e = contigs.first(where: { $0.name == r }) {
            return GenomeInterval(contig: e.name, start: 0, end: e.length)
        }
        guard let colon = r.lastIndex(of: ":") else {
            throw GenomeIOError(.unknownContig, "no contig named '\(r)'")
        }
        let name = String(r[..<colon])
        guard let e = contigs.first(where: { $0.name == name }) else {
            throw GenomeIOError(.unknownContig, "no contig named '\(name)' (region '\(r)')")
        }
        let range = r[r.index(after: colon)...].replacingOccurrences(of: ",", with: "")
        let parts = range.split(separator: "-", omittingEmptySubsequences: false)
        guard let a = Int(parts[0]), a >= 1, parts.count <= 2 else {
            throw GenomeIOError(.badArgument, "cannot read region '\(r)': want CONTIG:START-END, 1-based")
        }
        var b = e.length
        if parts.count == 2 {
            guard let x = Int(parts[1]), x >= a else {
                throw GenomeIOError(.badArgument, "cannot read region '\(r)': END must be >= START")
            }
            b = min(x, e.length)
        }
        if a > e.length {
            throw GenomeIOError(.badArgument, "region '\(r)' starts past the end of '\(name)' (length \(e.length))")
        }
        return GenomeInterval(contig: name, start: a - 1, end: b)
    }
}

extension Substring {
    func replacingOccurrences(of a: String, with b: String) -> String {
        String(self.split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b))
    }
}
