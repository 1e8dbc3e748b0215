import Glibc

/// A buffered output that appears under its final name only when complete: it is written to
/// `NAME.tmp-PID` and renamed by `commit()`; `abandon()` (or a crash) never leaves a file at `NAME`.
/// `-` writes to stdout, and character devices such as `/dev/null` are written directly.
public final class OutputFile {
    public let path: String
    private let tempPath: String?
    private let fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 20
    private var used = 0
    private var closed = false
    public private(set) var bytesWritten = 0

    public init(path: String) throws {
        self.path = path
        // Open first and throw before any other property is set: a class whose init throws once fully
        // initialised runs its deinit, which freed the buffer a second time (a crash on any output that
        // could not be created).
        var fd: Int32 = 1
        var tempPath: String? = nil
        if path != "-" {
            var st = stat()
            if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR {
                fd = open(path, O_WRONLY)
            } else {
                let t = path + ".tmp-\(getpid())"
                fd = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                tempPath = t
            }
            if fd < 0 {
                throw FileError("cannot create output: \(String(cString: strerror(errno)))", path: path)
            }
        }
        self.fd = fd
        self.tempPath = tempPath
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        if !closed { abandon() }
        buffer.deallocate()
    }

    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if used + bytes.count > capacity { try flush() }
        if bytes.count > capacity { try writeAll(bytes); return }
        (buffer + used).update(from: bytes.bindMemory(to: UInt8.self).baseAddress!, count: bytes.count)
        used += bytes.count
    }

    /// Gives `n` bytes of buffer space to fill; `fill` returns how many it used.
    @inline(__always)
    public func withSpace(_ n: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Int) throws {
        if n > capacity {
            try flush()
            let tmp = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
            defer { tmp.deallocate() }
            try writeAll(UnsafeRawBufferPointer(start: tmp, count: fill(tmp)))
            return
        }
        if used + n > capacity { try flush() }
        used += fill(buffer + used)
    }

    public func write(_ s: String) throws {
        var s = s
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func flush() throws {
        try writeAll(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    private func writeAll(_ b: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < b.count {
            let r = Glibc.write(fd, b.baseAddress! + off, b.count - off)
            if r < 0 {
                if errno == EINTR { continue }
                let e = errno
                throw FileError("write failed: \(String(cString: strerror(e)))", path: path,
                                hint: e == ENOSPC || e == EFBIG || e == EDQUOT
                                        ? "out of room (disk full, quota, or a file-size limit); nothing was left under the final name. Free space and run the same command again: a pipeline run resumes"
                                        : nil)
            }
            off += r
        }
        bytesWritten += b.count
    }

    /// Flushes, syncs and renames the temporary file to its final name.
    public func commit() throws {
        try flush()
        closed = true
        guard let tempPath else { return }
        if fsync(fd) != 0 || close(fd) != 0 {
            let e = String(cString: strerror(errno))
            unlink(tempPath)
            throw FileError("cannot finish writing: \(e)", path: path)
        }
        if rename(tempPath, path) != 0 {
            let e = String(cString: strerror(errno))
            unlink(tempPath)
            throw FileError("cannot rename \(tempPath) to its final name: \(e)", path: path)
        }
    }

    /// Closes and deletes the temporary file; the final name is never created.
    public func abandon() {
        closed = true
        guard let tempPath else { return }
        close(fd)
        unlink(tempPath)
    }
}
