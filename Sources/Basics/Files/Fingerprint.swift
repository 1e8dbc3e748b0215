import CDeflate
import Dispatch
import Glibc

/// CRC-32 (the zlib/gzip polynomial) through libdeflate, which uses PCLMUL: about 10x zlib's.
public enum CRC32 {
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return crc }
        return libdeflate_crc32(crc, p, bytes.count)
    }
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }
}

/// An input as the table records it: file name, size and CRC-32 of its bytes.
/// Computes the inputs' fingerprints on a Dispatch queue while the run goes on.
public final class FingerprintTask: @unchecked Sendable {
    let group = DispatchGroup()
    var result: Result<[InputFingerprint], any Error> = .success([])

    public init(paths: [String]) {
        group.enter()
        DispatchQueue.global().async { [self] in
            result = Result { try paths.map { try InputFingerprint.of(path: $0) } }
            group.leave()
        }
    }

    public func wait() throws -> [InputFingerprint] {
        group.wait()
        return try result.get()
    }
}

public struct InputFingerprint: Sendable, Equatable {
    public var name: String
    public var bytes: Int
    public var crc32: String

    public init(name: String, bytes: Int, crc32: String) { self.name = name; self.bytes = bytes; self.crc32 = crc32 }

    /// Reads the whole file once.
    public static func of(path: String) throws -> InputFingerprint {
        guard let f = fopen(path, "rb") else {
            throw FileError("cannot open: \(String(cString: strerror(errno)))", path: path)
        }
        defer { fclose(f) }
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 20)
        defer { buf.deallocate() }
        var crc: UInt32 = 0
        var total = 0
        while true {
            let n = fread(buf, 1, 1 << 20, f)
            if n == 0 { break }
            crc = CRC32.update(crc, UnsafeRawBufferPointer(start: buf, count: n))
            total += n
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return InputFingerprint(name: name, bytes: total, crc32: String(crc, radix: 16))
    }
}

