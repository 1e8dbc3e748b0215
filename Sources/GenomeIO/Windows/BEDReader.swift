import Basics
import Glibc

/// One BED interval (0-based, half-open), with the line it came from.
public struct BEDInterval: Sendable, Equatable {
    public var contig: String
    public var start: Int
    public var end: Int
    public var line: Int
}

/// Reads BED3+ files (plain or gzip, through htslib): `track`, `browser`, `#` and blank lines are
/// skipped; any other malformed line is an error naming the file and line.
public enum BEDReader {
    public static func read(path: String) throws -> [BEDInterval] {
        let input = try CompressedInput(path: path, threads: 1)
        var data: [UInt8] = []
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { buf.deallocate() }
        while true {
            let n = try input.read(into: buf, capacity: 1 << 20)
            if n == 0 { break }
            data.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: n))
        }
        var out: [BEDInterval] = []
        var lineNo = 0
        for raw in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            var line = raw
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty || line.first == 0x23 { continue }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("track") || text.hasPrefix("browser") { continue }
            let cols = text.split(whereSeparator: { $0 == "\t" || $0 == " " })
            let loc = InputLocation(path: path, line: lineNo)
            guard cols.count >= 3 else {
                throw GenomeIOError(.badBED, "BED line has \(cols.count) column(s); need at least chrom, start, end", at: loc)
            }
            guard let s = Int(cols[1]), let e = Int(cols[2]) else {
                throw GenomeIOError(.badBED, "BED start/end are not integers: '\(cols[1])', '\(cols[2])'", at: loc)
            }
            guard s >= 0, e > s else {
                throw GenomeIOError(.badBED, "BED interval \(s)-\(e) is empty or negative (BED is 0-based, end > start)", at: loc)
            }
            out.append(BEDInterval(contig: String(cols[0]), start: s, end: e, line: lineNo))
        }
        return out
    }
}
