import Basics
import FoundationEssentials

/// numpy's `.npy` format (version 1.0) for 2-D float32 arrays: the magic, a header dict padded with
/// spaces to a multiple of 64 bytes, then the C-order little-endian data. Hand-written: the format is a
/// dozen lines and numpy reads it back in the tests.
public enum NPY {
    public static func write(_ values: UnsafePointer<Float>, rows: Int, columns: Int, to path: String) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        let f = try OutputFile(path: path)
        do {
            try bytes.withUnsafeBytes { try f.write($0) }
            try f.write(UnsafeRawBufferPointer(start: values, count: rows * columns * 4))
            try f.commit()
        } catch {
            f.abandon()
            throw error
        }
    }

    /// Reads a 2-D (or 1-D, as one column) little-endian float32 or float64 C-order array.
    public static func read(path: String) throws -> (values: [Float], rows: Int, columns: Int) {
        guard let d = try? Data(contentsOf: URL(fileURLWithPath: path)) else { throw TrainerError("cannot read the file", path: path) }
        let b = [UInt8](d)
        func bad(_ why: String) -> TrainerError { TrainerError("not a .npy array this tool reads: \(why)", path: path) }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw bad("no NUMPY magic") }
        let major = b[6]
        let headerStart = major == 1 ? 10 : 12
        guard major == 1 || major == 2 || major == 3, b.count >= headerStart else { throw bad("version \(major)") }
        let hlen = major == 1 ? Int(b[8]) | Int(b[9]) << 8 : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
        guard hlen <= b.count - headerStart else { throw bad("header runs past the end") }
        let header = String(decoding: b[headerStart..<(headerStart + hlen)], as: UTF8.self)
        let item: Int
        if header.contains("'descr': '<f4'") { item = 4 } else if header.contains("'descr': '<f8'") { item = 8 } else { throw bad("dtype is not <f4 or <f8") }
        guard header.contains("'fortran_order': False") else { throw bad("Fortran order") }
        let parts = header.split(separator: "'shape': (", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let close = parts[1].firstIndex(of: ")") else { throw bad("no shape") }
        let dims = parts[1][..<close].split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
        guard (1...2).contains(dims.count), let rows = Int(dims[0]), rows >= 0, rows <= 1 << 32 else { throw bad("shape must be 1-D or 2-D") }
        let columns = dims.count == 2 ? Int(dims[1]) ?? -1 : 1
        guard columns >= 0, columns <= 1 << 24 else { throw bad("bad shape") }
        let start = headerStart + hlen, n = rows * columns
        guard b.count - start == n * item else { throw bad("holds \(b.count - start) data bytes, its shape needs \(n * item)") }
        var values = [Float](repeating: 0, count: n)
        b.withUnsafeBytes { raw in
            for i in 0..<n {
                values[i] = item == 4 ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
            }
        }
        return (values, rows, columns)
    }
}
