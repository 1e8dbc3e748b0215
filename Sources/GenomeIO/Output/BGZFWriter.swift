import Basics
import CHTSlib
import Glibc

/// Writes BGZF through htslib.
public enum BGZFWriter {
    /// Copies any readable input (plain, gzip, BGZF) to a new BGZF file, atomically.
    public static func recompress(input: String, output: String, threads: Int = 2) throws {
        let src = try CompressedInput(path: input, threads: threads)
        let tmp = output + ".tmp-\(getpid())"
        guard let fp = bgzf_open(tmp, "w") else {
            throw GenomeIOError(.io, "cannot create: \(String(cString: strerror(errno)))", at: InputLocation(path: output))
        }
        if threads > 1 { _ = bgzf_mt(fp, Int32(threads), 256) }
        let buf = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buf.deallocate() }
        var ok = true
        do {
            while true {
                let n = try src.read(into: buf, capacity: 1 << 20)
                if n == 0 { break }
                if bgzf_write(fp, buf, n) != n { ok = false; break }
            }
        } catch {
            bgzf_close(fp); unlink(tmp); throw error
        }
        if bgzf_close(fp) != 0 || !ok {
            unlink(tmp)
            throw GenomeIOError(.io, "writing BGZF failed (disk full?)", at: InputLocation(path: output))
        }
        if rename(tmp, output) != 0 {
            unlink(tmp)
            throw GenomeIOError(.io, "cannot rename into place: \(String(cString: strerror(errno)))", at: InputLocation(path: output))
        }
    }
}
