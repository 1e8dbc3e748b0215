/// MDS column encodings GenomePrep writes (see `shared/specs/mds-format.md` §4).
public enum MDSEncoding: String, Sendable, CaseIterable {
    case str
    case int64
    case uint8
    case ndarrayUInt8 = "ndarray:uint8"
    case ndarrayUInt16 = "ndarray:uint16"
    case ndarrayUInt32 = "ndarray:uint32"

    /// Fixed payload size, or nil for a variable-size column (which gets a u32 length prefix).
    public var fixedSize: Int? {
        switch self { case .int64: 8; case .uint8: 1; default: nil }
    }
}

/// One value of a sample.
public enum MDSValue: Sendable, Equatable {
    case str(String)
    case int64(Int64)
    case uint8(UInt8)
    case u8([UInt8])
    case u16([UInt16])
    case u32([UInt32])
}

/// Errors of the Shards module, naming the file, shard and sample where possible.
public struct ShardsError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var path: String?
    public var hint: String?
    public init(_ message: String, path: String? = nil, hint: String? = nil) {
        self.message = message; self.path = path; self.hint = hint
    }
    public var description: String {
        (path.map { "\($0): " } ?? "") + message + (hint.map { "\nhint: \($0)" } ?? "")
    }
}

enum MDSCodec {
    /// Appends a value's payload. ndarray: one byte (ndim 1 << 2 | shape code), the length in the smallest
    /// of u8/u16/u32 that holds it (as MDSWriter picks), then the values little-endian.
    static func encode(_ v: MDSValue, as e: MDSEncoding, into out: inout [UInt8]) throws {
        func le<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        func shape(_ n: Int) {
            if n < 256 { out.append((1 << 2) | 0); out.append(UInt8(n)) }
            else if n < 65_536 { out.append((1 << 2) | 1); le(UInt16(n)) }
            else { out.append((1 << 2) | 2); le(UInt32(n)) }
        }
        switch (e, v) {
        case (.str, .str(let s)): out.append(contentsOf: s.utf8)
        case (.int64, .int64(let x)): le(x)
        case (.uint8, .uint8(let x)): out.append(x)
        case (.ndarrayUInt8, .u8(let a)):
            guard !a.isEmpty else { throw ShardsError("empty arrays cannot be written (MDSWriter refuses them)") }
            shape(a.count); out.append(contentsOf: a)
        case (.ndarrayUInt16, .u16(let a)):
            guard !a.isEmpty else { throw ShardsError("empty arrays cannot be written (MDSWriter refuses them)") }
            shape(a.count); for x in a { le(x) }
        case (.ndarrayUInt32, .u32(let a)):
            guard !a.isEmpty else { throw ShardsError("empty arrays cannot be written (MDSWriter refuses them)") }
            shape(a.count); for x in a { le(x) }
        default:
            throw ShardsError("value \(v) does not match the column encoding \(e.rawValue)")
        }
    }

    /// The payload size `encode` will write; checks the value against the encoding first.
    static func size(_ v: MDSValue, as e: MDSEncoding) throws -> Int {
        func nd(_ n: Int, _ item: Int) throws -> Int {
            guard n > 0 else { throw ShardsError("empty arrays cannot be written (MDSWriter refuses them)") }
            return 1 + (n < 256 ? 1 : (n < 65_536 ? 2 : 4)) + n * item
        }
        switch (e, v) {
        case (.str, .str(let s)): return s.utf8.count
        case (.int64, .int64): return 8
        case (.uint8, .uint8): return 1
        case (.ndarrayUInt8, .u8(let a)): return try nd(a.count, 1)
        case (.ndarrayUInt16, .u16(let a)): return try nd(a.count, 2)
        case (.ndarrayUInt32, .u32(let a)): return try nd(a.count, 4)
        default: throw ShardsError("value \(v) does not match the column encoding \(e.rawValue)")
        }
    }

    /// Decodes one payload; throws a description of what is wrong.
    static func decode(_ p: ArraySlice<UInt8>, as e: MDSEncoding) throws -> MDSValue {
        func u32(_ at: Int) -> UInt32 { p.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian } }
        switch e {
        case .str:
            guard let s = String(validating: p, as: UTF8.self) else { throw ShardsError("str column is not valid UTF-8") }
            return .str(s)
        case .int64:
            guard p.count == 8 else { throw ShardsError("int64 column has \(p.count) bytes") }
            return .int64(p.withUnsafeBytes { $0.loadUnaligned(as: Int64.self).littleEndian })
        case .uint8:
            guard p.count == 1 else { throw ShardsError("uint8 column has \(p.count) bytes") }
            return .uint8(p.first!)
        case .ndarrayUInt8, .ndarrayUInt16, .ndarrayUInt32:
            guard let head = p.first else { throw ShardsError("ndarray payload is empty") }
            let ndim = Int(head >> 2), code = Int(head & 3)
            guard ndim == 1 else { throw ShardsError("ndarray has \(ndim) dimensions; token columns have 1") }
            let w = 1 << code
            guard p.count >= 1 + w else { throw ShardsError("ndarray shape is cut short") }
            var n = 0
            for i in 0..<w { n |= Int(p[p.startIndex + 1 + i]) << (8 * i) }
            let item = e == .ndarrayUInt8 ? 1 : (e == .ndarrayUInt16 ? 2 : 4)
            let body = p.dropFirst(1 + w)
            guard body.count == n * item else {
                throw ShardsError("ndarray holds \(body.count) bytes, its shape says \(n) x \(item)")
            }
            switch e {
            case .ndarrayUInt8: return .u8(Array(body))
            case .ndarrayUInt16:
                return .u16(body.withUnsafeBytes { b in (0..<n).map { b.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian } })
            default:
                _ = u32
                return .u32(body.withUnsafeBytes { b in (0..<n).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian } })
            }
        }
    }
}
