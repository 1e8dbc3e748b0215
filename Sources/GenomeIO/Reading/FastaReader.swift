import Basics
import CKernels
import Glibc

/// Receives a FASTA file as a stream: one `beginRecord`, any number of `bases` calls with
/// bounded chunks of base codes (see ``BaseCode``), and one `endRecord` per record.
public protocol FastaSink {
    /// Called at each header. Return `false` to skip the record's bases (they are still validated).
    mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool
    /// A chunk of codes of the current record, in order. Valid only during the call.
    mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws
    /// The record ended; `length` is its number of bases.
    mutating func endRecord(name: String, length: Int, location: InputLocation) throws
    /// Called just before `endRecord` with the record's counts of N and of soft-masked bases
    /// (computed by the parser, so sinks need not scan the bases again).
    mutating func composition(n: Int, lower: Int)
}


/// What to do with bytes that are not bases.
public enum InvalidBytePolicy: String, Sendable, CaseIterable {
    /// Stop with an error naming the file, line, byte offset and record (the default).
    case error
    /// Read them as `N`.
    case n
}

/// Totals of one pass over a FASTA file.
public struct FastaScanStats: Sendable {
    public var records = 0
    public var bases = 0
    public var bytes = 0
    public var format: InputFormat = .plain
    /// The file's size and CRC-32, computed while reading it (nil where the reader cannot see the stored bytes).
    public var fingerprint: InputFingerprint? = nil
}

extension InputFingerprint {
    init?(path: String, _ raw: (bytes: Int, crc32: UInt32)?) {
        guard let raw else { return nil }
        self.init(name: path.split(separator: "/").last.map(String.init) ?? path, bytes: raw.bytes, crc32: String(raw.crc32, radix: 16))
    }
}

/// Streams a plain, gzip or BGZF FASTA file through htslib in bounded chunks (memory does not grow
/// with contig length), validating every byte, and pushes records into a ``FastaSink``.
///
/// Accepted: any line width, CRLF, blank lines, `>` lines with descriptions (the name is the text up
/// to the first space or tab), non-ASCII header text. Rejected with an error naming file, line, byte
/// offset and record: empty file, no header, sequence before the first header, a header with no name,
/// an empty record, duplicate names, and bytes that are not bases (by default).
public struct FastaReader {
    public let path: String
    public var threads: Int
    public var invalidBytes: InvalidBytePolicy
    public var chunkSize: Int
    /// Refuse an input whose stored bytes this reader cannot checksum (see `FastaScanStats.fingerprint`).
    public var requireFingerprint = false

    public init(path: String, threads: Int = 2, invalidBytes: InvalidBytePolicy = .error, chunkSize: Int = 4 << 20) {
        self.path = path; self.threads = threads; self.invalidBytes = invalidBytes; self.chunkSize = chunkSize
    }

    /// Reads the whole file into `sink`.
    @discardableResult
    public func read<S: FastaSink>(into sink: inout S) throws -> FastaScanStats {
        let input = try CompressedInput(path: path, threads: max(1, threads))
        if requireFingerprint && !input.seesStoredBytes {
            throw GenomeIOError(.cannotOpen, "\(input.format.rawValue) data from a pipe cannot be checksummed while it is read (plain text from a pipe can)",
                                at: InputLocation(path: path), hint: "decompress it in the pipe (e.g. `<(zcat x.fa.gz)`) or give the file itself")
        }
        if threads > 1 {
            // Parse on a worker thread while the caller's thread consumes (output is the same).
            let stream = ParsedStream(input: input, path: path, chunkSize: chunkSize, invalidBytes: invalidBytes)
            defer { stream.close() }
            return try stream.drain(into: &sink)
        }
        let pipe = ChunkPipe(input: input, chunkSize: chunkSize)
        defer { pipe.close() }
        var parser = FastaParser(path: path, codeCapacity: chunkSize, invalidBytes: invalidBytes)
        defer { parser.deallocate() }
        var stats = FastaScanStats()
        stats.format = pipe.format
        while let (bytes, chunk) = try pipe.next() {
            defer { pipe.recycle(chunk) }
            try parser.consume(bytes, at: chunk.offset, sink: &sink)
        }
        try parser.finish(sink: &sink)
        stats.records = parser.records
        stats.bases = parser.totalBases
        stats.bytes = parser.totalBytes
        stats.fingerprint = InputFingerprint(path: path, pipe.input.rawFingerprint)
        return stats
    }
}

/// The FASTA state machine. Works on raw byte chunks; keeps only the current header line and a
/// code buffer of `codeCapacity` bytes. Sequence text goes through the `gp_fasta_seq` C kernel (SSE2,
/// AVX2 or AVX-512 by CPU), which encodes, drops newlines and counts N and soft-masked bases in one pass
/// across lines and stops at the first byte it does not know; that line then takes the byte-by-byte path
/// (whitespace, IUPAC codes, errors).
struct FastaParser {
    /// The kernel level (`GENOMEPREP_SIMD` lowers it; tests compare levels).
    var simdLevel = gp_simd_level()
    let path: String
    let table: UnsafeMutablePointer<UInt8>
    let codes: UnsafeMutablePointer<UInt8>
    let codeCapacity: Int
    var codeCount = 0

    var line = 1
    var atLineStart = true
    var inHeader = false
    var header: [UInt8] = []
    var headerLine = 0
    var headerOffset = 0

    var haveRecord = false
    var recordName = ""
    var recordIncluded = false
    var recordLength = 0
    var recordN = 0
    var recordLower = 0
    var records = 0
    var totalBases = 0
    var totalBytes = 0
    var names = Set<String>()
    var firstNamed: [String: Int] = [:]

    init(path: String, codeCapacity: Int, invalidBytes: InvalidBytePolicy) {
        self.path = path
        self.codeCapacity = codeCapacity
        table = .allocate(capacity: 256)
        let src = invalidBytes == .error ? BaseCode.encodeTable : BaseCode.lenientEncodeTable
        for i in 0..<256 { table[i] = src[i] }
        // The kernel's vector stores run up to 64 bytes past its last code.
        codes = .allocate(capacity: codeCapacity + 64)
    }

    func deallocate() { table.deallocate(); codes.deallocate() }

    func location(offset: Int? = nil, line: Int? = nil) -> InputLocation {
        InputLocation(path: path, line: line ?? self.line, byteOffset: offset,
                      record: haveRecord ? recordName : nil)
    }

    mutating func consume<S: FastaSink>(_ bytes: UnsafeRawBufferPointer, at base: Int, sink: inout S) throws {
        let p = bytes.bindMemory(to: UInt8.self)
        let n = p.count
        guard let start = p.baseAddress else { return }
        totalBytes += n
        var i = 0
        while i < n {
            if inHeader {
                let rest = n - i
                if let nl = memchr(start + i, 0x0A, rest) {
                    let e = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - start
                    header.append(contentsOf: UnsafeBufferPointer(start: start + i, count: e - i))
                    i = e + 1
                    try finishHeader(sink: &sink)
                    line += 1
                    atLineStart = true
                } else {
                    header.append(contentsOf: UnsafeBufferPointer(start: start + i, count: rest))
                    i = n
                }
                continue
            }
            if atLineStart {
                let c = start[i]
                if c == UInt8(ascii: ">") {
                    try endRecordIfAny(sink: &sink)
                    inHeader = true
                    header.removeAll(keepingCapacity: true)
                    headerLine = line
                    headerOffset = base + i
                    i += 1
                    continue
                }
                if c == 0x0A { line += 1; i += 1; continue }
                if !haveRecord {
                    if c == 0x0D || c == 0x20 || c == 0x09 { i += 1; continue }
                    let what = records == 0 && line == 1
                        ? "no '>' header line at the start: this is not a FASTA file"
                        : "sequence data before the first '>' header line"
                    throw GenomeIOError(.notFasta, what + " (found \(BaseCode.describe(c)))",
                                        at: location(offset: base + i))
                }
                atLineStart = false
            }
            // Sequence: the kernel runs across lines until a byte it does not handle (or the code buffer fills).
            if codeCount + 4096 > codeCapacity { try flush(sink: &sink) }
            let span = min(n - i, codeCapacity - codeCount)
            var r = gp_seq_scan()
            gp_fasta_seq(simdLevel, start + i, span, codes + codeCount, &r)
            codeCount += r.written
            recordN += r.n; recordLower += r.lower
            line += r.newlines
            if r.consumed > 0 {
                i += r.consumed
                atLineStart = start[i - 1] == 0x0A
                continue
            }
            // The kernel stopped at this line's first unknown byte: convert up to the newline (or the
            // end of the chunk) byte by byte.
            let rest = n - i
            let nlPtr = memchr(start + i, 0x0A, rest)
            let e = nlPtr.map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - start } ?? n
            try convert(start + i, count: e - i, offset: base + i, sink: &sink)
            if nlPtr != nil {
                i = e + 1
                line += 1
                atLineStart = true
            } else {
                i = n
            }
        }
    }

    @inline(__always)
    mutating func convert<S: FastaSink>(_ src: UnsafePointer<UInt8>, count: Int, offset: Int, sink: inout S) throws {
        if count == 0 { return }
        if codeCount + count > codeCapacity { try flush(sink: &sink) }
        let dst = codes + codeCount
        let t = table
        // Skip whitespace, read IUPAC codes as N, report the first invalid byte.
        var w = 0
        for k in 0..<count {
            let v = t[Int(src[k])]
            if v & BaseCode.invalid != 0 {
                throw GenomeIOError(.illegalByte,
                    "illegal byte \(BaseCode.describe(src[k])) in sequence",
                    at: location(offset: offset + k),
                    hint: src[k] == 0 ? nil : "pass --invalid-bytes n to read such bytes as N")
            }
            if v & BaseCode.skip != 0 { continue }
            dst[w] = v; w += 1
        }
        let (nn, lo) = Kernels.countNAndLower(dst, w)
        recordN += nn; recordLower += lo
        codeCount += w
    }

    mutating func flush<S: FastaSink>(sink: inout S) throws {
        if codeCount == 0 { return }
        recordLength += codeCount
        totalBases += codeCount
        if recordIncluded {
            try sink.bases(UnsafeBufferPointer(start: codes, count: codeCount))
        }
        codeCount = 0
    }

    mutating func finishHeader<S: FastaSink>(sink: inout S) throws {
        inHeader = false
        var h = header[...]
        if let last = h.last, last == 0x0D { h = h.dropLast() }
        let loc = InputLocation(path: path, line: headerLine, byteOffset: headerOffset)
        if h.contains(0) {
            throw GenomeIOError(.illegalByte, "NUL byte (0x00) in header line: is this a binary file?", at: loc)
        }
        let nameBytes = h.prefix { $0 != 0x20 && $0 != 0x09 }
        if nameBytes.isEmpty {
            throw GenomeIOError(.malformed, "header line has no name (nothing after '>')", at: loc)
        }
        let name = String(decoding: nameBytes, as: UTF8.self)
        if let first = firstNamed[name] {
            throw GenomeIOError(.duplicateName,
                "duplicate record name '\(name)' (first seen at line \(first))",
                at: InputLocation(path: path, line: headerLine, byteOffset: headerOffset, record: name),
                hint: "record names must be unique for indexing and window names")
        }
        firstNamed[name] = headerLine
        haveRecord = true
        recordName = name
        recordLength = 0
        recordN = 0
        recordLower = 0
        records += 1
        recordIncluded = try sink.beginRecord(name: name, index: records - 1,
            location: InputLocation(path: path, line: headerLine, byteOffset: headerOffset, record: name))
    }

    mutating func endRecordIfAny<S: FastaSink>(sink: inout S) throws {
        guard haveRecord else { return }
        try flush(sink: &sink)
        let loc = InputLocation(path: path, line: headerLine, byteOffset: headerOffset, record: recordName)
        if recordLength == 0 {
            throw GenomeIOError(.emptyRecord, "record '\(recordName)' has no sequence", at: loc)
        }
        if recordIncluded {
            sink.composition(n: recordN, lower: recordLower)
            try sink.endRecord(name: recordName, length: recordLength, location: loc)
        }
        haveRecord = false
    }

    mutating func finish<S: FastaSink>(sink: inout S) throws {
        if inHeader { try finishHeader(sink: &sink) }
        try endRecordIfAny(sink: &sink)
        if records == 0 {
            if totalBytes == 0 {
                throw GenomeIOError(.emptyFile, "file is empty (0 bytes after decompression)",
                                    at: InputLocation(path: path))
            }
            throw GenomeIOError(.notFasta, "no '>' header line anywhere: this is not a FASTA file",
                                at: InputLocation(path: path))
        }
    }
}
