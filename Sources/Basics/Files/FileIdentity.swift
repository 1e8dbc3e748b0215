import Glibc

/// Which file a path names (device and inode), so that two paths to one file are seen as one: the same
/// input given twice, or an output that would replace an input.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of an existing regular file; nil for anything else (missing, a pipe, a device).
    public static func of(_ path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// Throws unless `path` is a regular file: GenomePrep reads such inputs twice (the parser, and the
    /// fingerprint its provenance records), and a pipe gives each reader part of the stream.
    public static func requireRegularFile(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { return }   // missing: the reader reports it
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw FileError("is not a regular file (a pipe, FIFO or device); this command reads its inputs twice, so it needs a file",
                            path: path, hint: "write the stream to a file first, e.g. `zcat x.fa.gz > x.fa`")
        }
    }

    /// Throws when `output` is one of `inputs` (writing it would destroy the input).
    public static func refuseOverwriting(output: String, inputs: [String]) throws {
        guard let o = FileIdentity.of(output) else { return }
        if let input = inputs.first(where: { FileIdentity.of($0) == o }) {
            throw FileError("the output is the input \(input); writing it would destroy the input", path: output,
                            hint: "choose another output path")
        }
    }
}
