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
    /// Uncompressed bytes handed out so far.
    public private(set) var offset: Int = 0

    /// Opens `path`. `threads > 1` decompresses BGZF blocks on that many threads.
    public init(path: String, threads: Int = 1) throws {
        self.path = path
        var st = stat()
        if stat(path, &st) != 0 {
            throw GenomeIOError(.cannotOpen, "cannot open: \(String(cString: strerror(errno)))",
                                at: InputLocation(path: path))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw GenomeIOError(.cannotOpen, "is a directory, not a FASTA file", at: InputLocation(path: path))
        }
        guard let fp = bgzf_open(path, "r") else {
            throw GenomeIOError(.cannotOpen, "cannot open: \(String(cString: strerror(errno)))",
                                at: InputLocation(path: path))
        }
        self.fp = fp
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
            if threads > 1 { _ = bgzf_mt(fp, Int32(threads), 256) }
        }
    }

    deinit { bgzf_close(fp) }

    /// Reads up to `capacity` uncompressed bytes into `buffer`; returns 0 at end of input.
    public func read(into buffer: UnsafeMutableRawPointer, capacity: Int) throws -> Int {
        let n = bgzf_read(fp, buffer, capacity)
        if n < 0 {
            let what: String
            switch format {
            case .plain: what = "read error: \(String(cString: strerror(errno)))"
            case .gzip: what = "gzip data is corrupt or truncated (inflate failed)"
            case .bgzf: what = "BGZF block is corrupt or truncated (inflate or CRC check failed)"
            }
            throw GenomeIOError(format == .plain ? .io : .corrupt, what,
                                at: InputLocation(path: path, byteOffset: offset),
                                hint: format == .plain ? nil : "check the file with `gzip -t`; re-download or re-compress it")
        }
        offset += n
        return n
    }
}
