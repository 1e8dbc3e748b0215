import Basics
import Glibc

/// Checks a `.gzi` against its BGZF file before htslib uses it. A `.gzi` (htslib's BGZF index) is a u64
/// count, then that many pairs of u64 (compressed, uncompressed) block start offsets: the first block's
/// (0, 0) is implied and htslib leaves out the empty end-of-file block. htslib trusts it: a seek that lands
/// past the end of the block an entry names fails an `assert` and aborts the process (fuzzing found it with a
/// `.gzi` of another file). So every entry must be, in order, the start of the next block of the file and
/// the uncompressed offset the blocks before it add up to (each block's header and length read with
/// `pread`: two small reads per 64 KiB block). Returns the file's uncompressed size.
enum GziCheck {
    /// An open descriptor and the file's size.
    static func openForReading(_ path: String, missing: GenomeIOError.Kind) throws -> (Int32, Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GenomeIOError(missing, "cannot open: \(String(cString: strerror(errno)))", at: InputLocation(path: path)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw GenomeIOError(.io, "cannot stat", at: InputLocation(path: path)) }
        return (fd, Int(st.st_size))
    }

    static func validate(bgzf path: String) throws -> Int {
        let gziPath = path + ".gzi"
        func bad(_ why: String, entry: Int? = nil) -> GenomeIOError {
            GenomeIOError(.indexMismatch, ".gzi does not match the BGZF file: " + why,
                          at: InputLocation(path: gziPath, record: entry.map { "entry \($0)" }),
                          hint: "rebuild it with `genome-prep index \(path)` or `samtools faidx \(path)`")
        }
        let (fd, fileSize) = try openForReading(path, missing: .cannotOpen)
        defer { close(fd) }
        let (gfd, gziSize) = try openForReading(gziPath, missing: .indexMissing)
        defer { close(gfd) }
        // At most one entry per 28 bytes of BGZF (the smallest block), so the file bounds what is read.
        guard gziSize >= 8, gziSize <= 8 + 16 * (fileSize / 28 + 1) else {
            throw bad("\(gziSize) bytes is not the size of an index of a \(fileSize)-byte file")
        }
        var gzi = [UInt8](repeating: 0, count: gziSize)
        guard gzi.withUnsafeMutableBytes({ pread(gfd, $0.baseAddress, gziSize, 0) }) == gziSize else {
            throw GenomeIOError(.io, "cannot read", at: InputLocation(path: gziPath))
        }
        func u64(_ at: Int) -> UInt64 { gzi.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian } }
        let declared = u64(0)
        guard declared == UInt64((gziSize - 8) / 16), (gziSize - 8) % 16 == 0 else {
            throw bad("its header declares \(declared) entries but the file holds \(gziSize - 8) bytes of entries")
        }
        let n = Int(declared)

        var header = [UInt8](repeating: 0, count: 18)
        var trailer = [UInt8](repeating: 0, count: 4)
        var c = 0, u = 0, k = 0
        while c < fileSize {
            func block(_ why: String) -> GenomeIOError {
                GenomeIOError(.corrupt, "BGZF block at compressed byte \(c) \(why)", at: InputLocation(path: path),
                              hint: "check the file with `bgzip -t`; re-download or re-compress it")
            }
            // Every block after the first must be the next entry, except the empty end-of-file block.
            var covered = true
            if c > 0 {
                if k < n {
                    let ec = u64(8 + 16 * k), eu = u64(16 + 16 * k)
                    guard ec == UInt64(c), eu == UInt64(u) else {
                        throw bad("it names block (\(ec), \(eu)) where the file's next block starts at (\(c), \(u))", entry: k + 1)
                    }
                    k += 1
                } else { covered = false }
            }
            guard header.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 18, off_t(c)) }) == 18,
                  header[0] == 31, header[1] == 139, header[2] == 8, header[3] & 4 != 0,
                  header[12] == 66, header[13] == 67 else { throw block("is not a BGZF block header") }
            let bsize = (Int(header[16]) | Int(header[17]) << 8) + 1
            guard bsize >= 26, c + bsize <= fileSize,
                  trailer.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 4, off_t(c + bsize - 4)) }) == 4 else {
                throw block("runs past the end of the file")
            }
            let isize = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
            if !covered && isize > 0 { throw bad("it ends before the file's block at compressed byte \(c)", entry: n) }
            c += bsize; u += isize
        }
        guard k == n else { throw bad("it has \(n - k) entries past the file's last block", entry: k + 1) }
        return u
    }
}
