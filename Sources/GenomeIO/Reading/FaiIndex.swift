import Basics
import CHTSlib
import Glibc

/// One line of a `.fai` file.
public struct FaiEntry: Sendable, Equatable {
    public var name: String
    public var length: Int
    public var offset: Int
    public var lineBases: Int
    public var lineWidth: Int
}

/// Random access to `contig:start-end` through a `.fai` (and a `.gzi` for BGZF) via htslib faidx.
/// Plain gzip cannot be indexed: opening one says so and suggests recompressing with BGZF.
public final class FaiIndex {
    public let path: String
    public let entries: [FaiEntry]
    /// Bytes of (uncompressed) data: no seek goes past them (htslib asserts on a BGZF seek past its data).
    let dataSize: Int
    public let format: InputFormat
    private let fai: OpaquePointer
    private let table = BaseCode.encodeTable

    /// Loads `path.fai` (and `path.gzi` for BGZF). Throws a clear error when an index is missing,
    /// when the input is plain gzip, or (with `validate`) when the `.fai` does not match the FASTA.
    public init(path: String, validate: Bool = true) throws {
        self.path = path
        hts_set_log_level(HTS_LOG_OFF)
        let input = try CompressedInput(path: path, threads: 1)
        format = input.format
        if format == .gzip {
            throw GenomeIOError(.cannotIndex,
                "plain gzip cannot be randomly accessed (only BGZF can)",
                at: InputLocation(path: path),
                hint: "recompress it as BGZF and index it: `genome-prep index --bgzip \(path)` " +
                      "(or `zcat \(path) | bgzip -@2 > out.fa.bgz && samtools faidx out.fa.bgz`)")
        }
        let faiPath = path + ".fai"
        if access(faiPath, R_OK) != 0 {
            throw GenomeIOError(.indexMissing, "no .fai index next to it (\(faiPath))",
                                at: InputLocation(path: path),
                                hint: "build it with `genome-prep index \(path)` or `samtools faidx \(path)`")
        }
        if format == .bgzf && access(path + ".gzi", R_OK) != 0 {
            throw GenomeIOError(.indexMissing, "BGZF input has a .fai but no .gzi index (\(path).gzi)",
                                at: InputLocation(path: path),
                                hint: "rebuild both with `genome-prep index \(path)` or `samtools faidx \(path)`")
        }
        entries = try FaiIndex.parse(faiPath: faiPath)
        // htslib asserts (aborting the process) on a .gzi that does not match the file or a seek past the
        // data; the .gzi is checked first, and every .fai entry must end within the data.
        let dataSize: Int
        if format == .bgzf { dataSize = try GziCheck.validate(bgzf: path) }
        else { var st = stat(); dataSize = stat(path, &st) == 0 ? Int(st.st_size) : 0 }
        for (i, e) in entries.enumerated() {
            var end = e.offset, overflow = false
            if e.length > 0 && e.lineBases > 0 {
                let fullLines = (e.length - 1) / e.lineBases
                let (a, o1) = fullLines.multipliedReportingOverflow(by: e.lineWidth)
                let (b, o2) = e.offset.addingReportingOverflow(a)
                let (c, o3) = b.addingReportingOverflow(e.length - fullLines * e.lineBases)
                end = c; overflow = o1 || o2 || o3
            }
            guard !overflow, end <= dataSize else {
                throw GenomeIOError(.indexMismatch, ".fai does not match the FASTA: record '\(e.name)' would end past the \(dataSize) bytes of sequence data",
                                    at: InputLocation(path: faiPath, line: i + 1, record: e.name),
                                    hint: "the index was built for another file; rebuild it with `genome-prep index \(path)`")
            }
        }
        self.dataSize = dataSize
        guard let f = fai_load3(path, faiPath, format == .bgzf ? path + ".gzi" : nil, 0) else {
            throw GenomeIOError(.indexMismatch, "htslib could not load the index \(faiPath)",
                                at: InputLocation(path: path),
                                hint: "rebuild it with `genome-prep index \(path)`")
        }
        fai = f
        if validate { try checkAgainstFasta() }
    }

    deinit { fai_destroy(fai) }

    public var contigs: [ContigInfo] { entries.map { ContigInfo(name: $0.name, length: $0.length) } }

    /// Parses a `.fai` text file, naming the line of any malformed entry.
    public static func parse(faiPath: String) throws -> [FaiEntry] {
        guard let f = fopen(faiPath, "r") else {
            throw GenomeIOError(.cannotOpen, "cannot open: \(String(cString: strerror(errno)))",
                                at: InputLocation(path: faiPath))
        }
        defer { fclose(f) }
        var out: [FaiEntry] = []
        var lineNo = 0
        var buf: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(buf) }
        while getline(&buf, &cap, f) >= 0 {
            lineNo += 1
            var s = String(cString: buf!)
            while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
            if s.isEmpty { continue }
            let cols = s.split(separator: "\t", omittingEmptySubsequences: false)
            guard cols.count >= 5, let len = Int(cols[1]), let off = Int(cols[2]),
                  let lb = Int(cols[3]), let lw = Int(cols[4]), len >= 0, off >= 0, lb > 0, lw > lb else {
                throw GenomeIOError(.indexMismatch,
                    "malformed .fai line (want name, length, offset, line bases, line width)",
                    at: InputLocation(path: faiPath, line: lineNo))
            }
            out.append(FaiEntry(name: String(cols[0]), length: len, offset: off, lineBases: lb, lineWidth: lw))
        }
        return out
    }

    /// Checks that the `.fai` describes this FASTA: the byte before each record's sequence is a
    /// newline, the first line break falls where the index says, and the byte after the last base
    /// ends the line. Catches an index built for another file or an edited FASTA.
    public func checkAgainstFasta() throws {
        guard let fp = bgzf_open(path, "r") else {
            throw GenomeIOError(.cannotOpen, "cannot open", at: InputLocation(path: path))
        }
        defer { bgzf_close(fp) }
        if format == .bgzf && bgzf_index_load(fp, path, ".gzi") != 0 {
            throw GenomeIOError(.indexMismatch, "cannot load \(path).gzi", at: InputLocation(path: path),
                                hint: "rebuild it with `genome-prep index \(path)`")
        }
        func byte(at off: Int) -> Int? {
            // An uncompressed offset for both BGZF (through the .gzi) and plain files: bgzf_seek takes a
            // virtual BGZF offset (block << 16 | within), which broke every plain FASTA over 64 KiB.
            if off < 0 || off >= dataSize || bgzf_useek(fp, off_t(off), SEEK_SET) < 0 { return nil }
            var b: UInt8 = 0
            return bgzf_read(fp, &b, 1) == 1 ? Int(b) : nil
        }
        for (i, e) in entries.enumerated() {
            let fail = { (why: String) in
                GenomeIOError(.indexMismatch, ".fai does not match the FASTA: \(why)",
                              at: InputLocation(path: self.path + ".fai", line: i + 1, record: e.name),
                              hint: "the index was built for another file; rebuild it with `genome-prep index \(self.path)`")
            }
            if e.offset > 0, byte(at: e.offset - 1) != 0x0A {
                throw fail("the byte before offset \(e.offset) is not the end of a header line")
            }
            // The header line just before the sequence names this record (two equal-length records with
            // their names swapped in the .fai fetched each other's bases).
            if let name = headerName(before: e.offset, in: fp), name != e.name {
                throw fail("the sequence at offset \(e.offset) belongs to record '\(name)', not '\(e.name)'")
            }
            if e.length == 0 { continue }
            if let b = byte(at: e.offset), b == 0x3E || b == 0x0A {
                throw fail("offset \(e.offset) is not the start of sequence data")
            }
            if e.length > e.lineBases, let b = byte(at: e.offset + e.lineBases), b != 0x0A && b != 0x0D {
                throw fail("no line break after \(e.lineBases) bases at offset \(e.offset + e.lineBases)")
            }
            let last = e.offset + (e.length - 1) / e.lineBases * e.lineWidth + (e.length - 1) % e.lineBases
            guard let lb = byte(at: last), table[lb] & 0xC0 == 0 else {
                throw fail("the last base (\(e.length) bases from offset \(e.offset)) is not a base")
            }
            if let after = byte(at: last + 1), after != 0x0A && after != 0x0D {
                throw fail("the sequence does not end after \(e.length) bases")
            }
        }
    }

    /// The name on the header line that ends right before `offset` (up to the first space or tab), or nil
    /// when no header line is found within 64 KiB before it.
    func headerName(before offset: Int, in fp: UnsafeMutablePointer<BGZF>) -> String? {
        guard offset > 0 else { return nil }
        // Most headers are short: look 256 bytes back first, then 64 KiB.
        for back in [256, 65_536] {
            if let n = headerName(before: offset, back: back, in: fp) { return n }
            if offset <= back { break }
        }
        return nil
    }

    func headerName(before offset: Int, back: Int, in fp: UnsafeMutablePointer<BGZF>) -> String? {
        let from = max(0, offset - back)
        guard from < dataSize, bgzf_useek(fp, off_t(from), SEEK_SET) >= 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: offset - from)
        guard bgzf_read(fp, &buf, buf.count) == buf.count, buf.last == 0x0A else { return nil }
        var end = buf.count - 1
        if end > 0 && buf[end - 1] == 0x0D { end -= 1 }
        var start = end
        while start > 0 && buf[start - 1] != 0x0A { start -= 1 }
        guard start < end, buf[start] == 0x3E, start > 0 || from == 0 else { return nil }
        var nameEnd = start + 1
        while nameEnd < end && buf[nameEnd] != 0x20 && buf[nameEnd] != 0x09 { nameEnd += 1 }
        return String(decoding: buf[(start + 1)..<nameEnd], as: UTF8.self)
    }

    /// Raw ASCII bases of `[start, end)` on `contig` (0-based, half-open), as stored (case kept).
    public func fetchASCII(contig: String, start: Int, end: Int) throws -> [UInt8] {
        guard let e = entries.first(where: { $0.name == contig }) else {
            throw GenomeIOError(.unknownContig, "no contig named '\(contig)' in the index",
                                at: InputLocation(path: path))
        }
        guard start >= 0, end <= e.length, start < end else {
            throw GenomeIOError(.badArgument,
                "region \(contig):\(start + 1)-\(end) is outside the contig (length \(e.length))",
                at: InputLocation(path: path, record: contig))
        }
        var len: hts_pos_t = 0
        guard let p = faidx_fetch_seq64(fai, contig, hts_pos_t(start), hts_pos_t(end - 1), &len) else {
            throw GenomeIOError(.io, "htslib faidx could not fetch \(contig):\(start + 1)-\(end)",
                                at: InputLocation(path: path, record: contig))
        }
        defer { free(p) }
        guard Int(len) == end - start else {
            throw GenomeIOError(.indexMismatch,
                "fetched \(len) bases for \(contig):\(start + 1)-\(end), expected \(end - start): the .fai does not match",
                at: InputLocation(path: path, record: contig))
        }
        return p.withMemoryRebound(to: UInt8.self, capacity: Int(len)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(len)))
        }
    }

    /// Builds `.fai` (and `.gzi` for BGZF) with htslib. Plain gzip cannot be indexed.
    public static func build(path: String) throws {
        hts_set_log_level(HTS_LOG_OFF)
        let input = try CompressedInput(path: path, threads: 1)
        if input.format == .gzip {
            throw GenomeIOError(.cannotIndex, "plain gzip cannot be indexed (only BGZF can)",
                                at: InputLocation(path: path),
                                hint: "run `genome-prep index --bgzip \(path)` to write a BGZF copy and index it")
        }
        if fai_build3(path, nil, nil) != 0 {
            throw GenomeIOError(.cannotIndex,
                "htslib could not index it (different line lengths within a record, or not FASTA)",
                at: InputLocation(path: path),
                hint: "run `genome-prep stats \(path)` to find the offending line")
        }
    }
}
