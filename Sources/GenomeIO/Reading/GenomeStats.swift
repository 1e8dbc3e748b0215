import Basics
import Glibc

/// Composition of one FASTA file (`genome-prep stats`).
public struct GenomeStats: Sendable {
    public var path: String
    public var format: InputFormat = .plain
    public var records = 0
    public var bases = 0
    public var minLength = Int.max
    public var maxLength = 0
    public var counts = [Int](repeating: 0, count: 16)   // by code (base | soft-mask bit)
    /// Every record's length, in file order.
    public var lengths: [Int] = []

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
            s.lengths.append(length)
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

    /// Mean record length.
    public var meanLength: Double { lengths.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(lengths.count) }

    /// N50: the length L such that records of length >= L hold at least half of all bases.
    public var n50: Int {
        let total = lengths.reduce(0, +)
        var sum = 0
        for l in lengths.sorted(by: >) { sum += l; if 2 * sum >= total { return l } }
        return 0
    }

    /// Quartiles of the record lengths as `seqkit stats -a` computes them: Q2 the median; Q1 and Q3 the
    /// medians of the lower and upper halves, which for an odd count both include the median. (For one
    /// record all three are its length; seqkit prints half of it for Q1 and Q3.)
    public var quartiles: (q1: Double, q2: Double, q3: Double) {
        let s = lengths.sorted(), n = s.count
        func median(_ a: ArraySlice<Int>) -> Double {
            let m = a.count, b = a.startIndex
            if m == 0 { return 0 }
            return m % 2 == 0 ? Double(a[b + m / 2 - 1] + a[b + m / 2]) / 2 : Double(a[b + m / 2])
        }
        if n <= 1 { let v = Double(s.first ?? 0); return (v, v, v) }
        return (median(s[0..<((n + 1) / 2)]), median(s[...]), median(s[(n / 2)...]))
    }

    public static let tsvHeader = "file\tformat\trecords\tbases\tmin_len\tmax_len\tn_fraction\tlower_fraction\tgc_fraction\tavg_len\tq1\tq2\tq3\tn50"

    public var tsvLine: String {
        func f(_ a: Int) -> String {
            let acgt = bases - n
            let den = a == gc ? acgt : bases
            return den == 0 ? "0" : String(Double(a) / Double(den))
        }
        let q = quartiles
        func d(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
        return "\(path)\t\(format.rawValue)\t\(records)\t\(bases)\t\(records == 0 ? 0 : minLength)\t\(maxLength)\t\(f(n))\t\(f(lower))\t\(f(gc))"
            + "\t\(String(format1: meanLength))\t\(d(q.q1))\t\(d(q.q2))\t\(d(q.q3))\t\(n50)"
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

extension String {
    /// One decimal, as seqkit prints avg_len (measured against it): the double's exact value correctly
    /// rounded, and an exact tie (a fraction of .25 or .75, the only ties a double can hold at one
    /// decimal) rounded up.
    init(format1 x: Double) {
        let frac = x - x.rounded(.down)
        if x >= 0, x < 1e15, frac == 0.25 || frac == 0.75 {
            let t = Int((x * 10).rounded(.up))
            self = "\(t / 10).\(t % 10)"
            return
        }
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buf, 64, "%.1f", $0) }
        self = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
