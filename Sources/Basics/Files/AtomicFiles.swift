import Glibc

/// Writes `bytes` to `path` through an ``OutputFile``: the final name appears only once every byte is on disk.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    try bytes.withUnsafeBytes { try writeAtomically($0, to: path) }
}

public func writeAtomically(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
    let f = try OutputFile(path: path)
    do { try f.write(bytes); try f.commit() } catch { f.abandon(); throw error }
}

public func makeDirectory(_ path: String) throws {
    var built = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        built += "/" + part
        var st = stat()
        if stat(built, &st) == 0 { continue }
        if mkdir(built, 0o755) != 0 && errno != EEXIST {
            throw FileError("cannot create directory: \(String(cString: strerror(errno)))", path: built)
        }
    }
}
