import Basics
import CHTSlib
import Glibc

/// How an input file is stored, detected from its first bytes by htslib (never from the file name).
public enum InputFormat: String, Sendable {
    case plain, gzip, bgzf
}

/// A sequential byte stream over a plain, gzip or BGZF file, read through htslib's `bgzf_read`.
/// Confined to one thread; not Sendable.
public final class CompressedInput {
    public let path: String
    public let format: InputFormat
    private let fp: UnsafeMutablePointer<BGZF>
    /// Compressed regular files (not pipes) are inflated by ISA-L: BGZF block by block
    /// (``BGZFBlockReader``), plain gzip as a stream (``GzipStreamReader``). GENOMEPREP_INFLATE=htslib
    /// keeps htslib's readers (for comparisons).
    private let blocks: BGZFBlockReader?
    private let gzip: GzipStreamReader?
    /// Uncompressed bytes handed out so far.
    public private(set) var offset: Int = 0
    /// Size and CRC-32 of the file's bytes as stored (for BGZF the compressed bytes), computed as they
    /// are read, so that a run checksums its inputs without a second pass; nil when this reader does
    /// not see the stored bytes (compressed data from a pipe, which htslib inflates) or before the end.
    public var rawFingerprint: (bytes: Int, crc32: UInt32)? {
        guard reachedEnd else { return nil }
        if let blocks { return blocks.rawFingerprint }
        if let gzip { return gzip.rawFingerprint }
        return format == .plain ? (rawBytes, rawCRC) : nil
    }
    /// Whether `rawFingerprint` will be known at the end (plain text, and compressed files ISA-L reads).
    public var seesStoredBytes: Bool { blocks != nil || gzip != nil || format == .plain }
    private var rawBytes = 0
    private var rawCRC: UInt32 = 0
    private var reachedEnd = false

    /// Opens `path` (`-`: standard input, read once). `threads > 1` decompresses BGZF blocks on that many threads.
    public init(path: String, threads: Int = 1) throws {
        self.path = path
        var st = stat()
        if path != "-" && stat(path, &st) != 0 {
            throw GenomeIOError(.cannotOpen, "cannot open: \(String(cString: strerror(errno)))",
                                at: InputLocation(path: path))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw GenomeIOError(.cannotOpen, "is a directory, not a FASTA file", at: InputLocation(path: path))
        }
        hts_set_log_level(HTS_LOG_OFF)   // htslib's own messages would duplicate ours
        guard let fp = bgzf_open(path, "r") else {
            throw GenomeIOError(.cannotOpen, "cannot open: \(String(cString: strerror(errno)))",
                                at: InputLocation(path: path))
        }
        let format: InputFormat
        switch bgzf_compression(fp) {
        case 2: format = .bgzf
        case 1: format = .gzip
        default: format = .plain
        }
        if format == .bgzf {
            // A BGZF file ends with an empty EOF block; without it the file was cut short.
            let eof = bgzf_check_EOF(fp)
            if eof == 0 {
                bgzf_close(fp)
                throw GenomeIOError(.truncated,
                    "BGZF file has no end-of-file marker block: it is truncated (an interrupted copy or download?)",
                    at: InputLocation(path: path),
                    hint: "re-download or re-create it with `bgzip`")
            }
        }
        // Only a regular file can be opened a second time from its start (htslib has read a pipe's first bytes).
        let regular = path != "-" && (st.st_mode & S_IFMT) == S_IFREG
        let isal = regular && getenv("GENOMEPREP_INFLATE").map({ String(cString: $0) }) != "htslib"
        do {
            blocks = format == .bgzf && isal ? try BGZFBlockReader(path: path, threads: threads) : nil
            gzip = format == .gzip && isal ? try GzipStreamReader(path: path) : nil
        } catch { bgzf_close(fp); throw error }
        if format == .bgzf && blocks == nil && threads > 1 { _ = bgzf_mt(fp, Int32(threads), 256) }
        self.fp = fp
        self.format = format
    }

    deinit { bgzf_close(fp) }

    /// Reads up to `capacity` uncompressed bytes into `buffer`; returns 0 at end of input.
    /// Compressed input is read in 64 KiB steps so that an error's byte offset is close to the damage.
    public func read(into buffer: UnsafeMutableRawPointer, capacity: Int) throws -> Int {
        if blocks != nil || gzip != nil {
            let n = try blocks?.read(into: buffer, capacity: capacity) ?? gzip!.read(into: buffer, capacity: capacity)
            offset += n
            if n == 0 { reachedEnd = true }
            return n
        }
        var n = 0
        while n < capacity {
            let r: Int
            if format == .plain {
                // Plain text: straight from htslib's hFILE into the caller's buffer (bgzf_read would
                // stage it through a 64 KiB block and copy it once more).
                r = hread(fp.pointee.fp, buffer + n, capacity - n)
                if r > 0 { rawCRC = CRC32.update(rawCRC, UnsafeRawBufferPointer(start: buffer + n, count: r)); rawBytes += r }
            } else {
                r = bgzf_read(fp, buffer + n, min(capacity - n, 1 << 16))
            }
            if r < 0 { try fail(at: offset + n) }
            if r == 0 { if n == 0 { reachedEnd = true }; break }
            n += r
        }
        offset += n
        return n
    }

    private func fail(at byteOffset: Int) throws -> Never {
        let what: String
        switch format {
        case .plain: what = "read error: \(String(cString: strerror(errno)))"
        case .gzip: what = "gzip data is corrupt or truncated (inflate failed after \(byteOffset) bytes)"
        case .bgzf: what = "BGZF block is corrupt or truncated (inflate or CRC check failed after \(byteOffset) bytes)"
        }
        throw GenomeIOError(format == .plain ? .io : .corrupt, what,
                            at: InputLocation(path: path, byteOffset: byteOffset),
                            hint: format == .plain ? nil : "check the file with `gzip -t`; re-download or re-compress it")
    }
}
