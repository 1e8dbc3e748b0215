import Basics

/// MDS column encodings GenomePrep writes and reads (see `shared/specs/mds-format.md` §4): `str`, `int64`,
/// `uint8`, and 1-D `ndarray:uint8|uint16|uint32`, either with the length stored in every value or with a
/// fixed length in the name (`ndarray:uint8:1000`: raw values only, and a fixed `column_sizes` entry).
public struct MDSEncoding: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case str, int64, uint8, ndarray }
    public let kind: Kind
    /// ndarray item size in bytes (1, 2 or 4).
    public let itemSize: Int
    /// ndarray fixed length, or nil when each value stores its own.
    public let count: Int?

    init(kind: Kind, itemSize: Int = 0, count: Int? = nil) { self.kind = kind; self.itemSize = itemSize; self.count = count }

    public static let str = MDSEncoding(kind: .str)
    public static let int64 = MDSEncoding(kind: .int64)
    public static let uint8 = MDSEncoding(kind: .uint8)
    public static let ndarrayUInt8 = MDSEncoding(kind: .ndarray, itemSize: 1)
    public static let ndarrayUInt16 = MDSEncoding(kind: .ndarray, itemSize: 2)
    public static let ndarrayUInt32 = MDSEncoding(kind: .ndarray, itemSize: 4)

    /// The same ndarray encoding with a fixed length (nil: stored per value).
    public func fixed(_ n: Int?) -> MDSEncoding { MDSEncoding(kind: kind, itemSize: itemSize, count: n) }

    static let dtypes = [1: "uint8", 2: "uint16", 4: "uint32"]

    public var rawValue: String {
        switch kind {
        case .str: return "str"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .ndarray: return "ndarray:" + MDSEncoding.dtypes[itemSize]! + (count.map { ":\($0)" } ?? "")
        }
    }
    public var description: String { rawValue }

    public init?(rawValue: String) {
        switch rawValue {
        case "str": self = .str
        case "int64": self = .int64
        case "uint8": self = .uint8
        default:
            let f = rawValue.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count == 2 || f.count == 3, f[0] == "ndarray",
                  let size = MDSEncoding.dtypes.first(where: { $0.value == f[1] })?.key else { return nil }
            var n: Int? = nil
            if f.count == 3 { guard let c = Int(f[2]), c > 0, c <= 1 << 31 else { return nil }; n = c }   // 1-D shapes only; bounded so sizes never overflow
            self.init(kind: .ndarray, itemSize: size, count: n)
        }
    }

    /// Fixed payload size, or nil for a variable-size column (which gets a u32 length prefix).
    public var fixedSize: Int? {
        switch kind {
        case .int64: return 8
        case .uint8: return 1
        case .str: return nil
        case .ndarray: return count.map { $0 * itemSize }
        }
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
public struct ShardsError: GenomePrepError {
    public var message: String
    public var path: String?
    public var hint: String?
    public init(_ message: String, path: String? = nil, hint: String? = nil) {
        self.message = message; self.path = path; self.hint = hint
    }
    public var kindName: String { "shards" }
    public var location: InputLocation? { path.map { InputLocation(path: $0) } }
}

enum MDSCodec {
    /// Appends a value's payload. ndarray: one byte (ndim 1 << 2 | shape code), the length in the smallest
    /// of u8/u16/u32 that holds it (as MDSWriter picks), then the values little-endian.
    static func encode(_ v: MDSValue, as e: MDSEncoding, into out: inout [UInt8]) throws {
        func le<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        func shape(_ n: Int) throws { _ = try ndarraySize(n, as: e); ndarrayHeader(n, as: e, into: &out) }
        switch (e.kind, e.itemSize, v) {
        case (.str, _, .str(let s)): out.append(contentsOf: s.utf8)
        case (.int64, _, .int64(let x)): le(x)
        case (.uint8, _, .uint8(let x)): out.append(x)
        case (.ndarray, 1, .u8(let a)): try shape(a.count); out.append(contentsOf: a)
        case (.ndarray, 2, .u16(let a)): try shape(a.count); for x in a { le(x) }
        case (.ndarray, 4, .u32(let a)): try shape(a.count); for x in a { le(x) }
        default:
            throw ShardsError("value \(v) does not match the column encoding \(e.rawValue)")
        }
    }

    /// The size of an ndarray payload of `n` items; throws for empty arrays and a count that differs from
    /// a fixed shape. (`size`, `encode` and the writer's borrowed bytes all go through it.)
    static func ndarraySize(_ n: Int, as e: MDSEncoding) throws -> Int {
        guard n > 0 else { throw ShardsError("empty arrays cannot be written (MDSWriter refuses them)") }
        if let c = e.count {
            guard n == c else { throw ShardsError("array of \(n) values for the fixed-length column \(e.rawValue)") }
            return n * e.itemSize
        }
        return 1 + (n < 256 ? 1 : (n < 65_536 ? 2 : 4)) + n * e.itemSize
    }

    /// Appends an ndarray's shape header (nothing for a fixed shape); `n` was checked by `ndarraySize`.
    @inline(__always)
    static func ndarrayHeader(_ n: Int, as e: MDSEncoding, into out: inout [UInt8]) {
        if e.count != nil { return }
        if n < 256 { out.append((1 << 2) | 0); out.append(UInt8(n)) }
        else if n < 65_536 { out.append((1 << 2) | 1); withUnsafeBytes(of: UInt16(n).littleEndian) { out.append(contentsOf: $0) } }
        else { out.append((1 << 2) | 2); withUnsafeBytes(of: UInt32(n).littleEndian) { out.append(contentsOf: $0) } }
    }

    /// The payload size `encode` will write; checks the value against the encoding first.
    static func size(_ v: MDSValue, as e: MDSEncoding) throws -> Int {
        func nd(_ n: Int) throws -> Int { try ndarraySize(n, as: e) }
        switch (e.kind, e.itemSize, v) {
        case (.str, _, .str(let s)): return s.utf8.count
        case (.int64, _, .int64): return 8
        case (.uint8, _, .uint8): return 1
        case (.ndarray, 1, .u8(let a)): return try nd(a.count)
        case (.ndarray, 2, .u16(let a)): return try nd(a.count)
        case (.ndarray, 4, .u32(let a)): return try nd(a.count)
        default: throw ShardsError("value \(v) does not match the column encoding \(e.rawValue)")
        }
    }

    /// Decodes one payload; throws a description of what is wrong.
    static func decode(_ p: ArraySlice<UInt8>, as e: MDSEncoding) throws -> MDSValue {
        switch e.kind {
        case .str:
            guard let s = String(validating: p, as: UTF8.self) else { throw ShardsError("str column is not valid UTF-8") }
            return .str(s)
        case .int64:
            guard p.count == 8 else { throw ShardsError("int64 column has \(p.count) bytes") }
            return .int64(p.withUnsafeBytes { $0.loadUnaligned(as: Int64.self).littleEndian })
        case .uint8:
            guard p.count == 1 else { throw ShardsError("uint8 column has \(p.count) bytes") }
            return .uint8(p.first!)
        case .ndarray:
            let item = e.itemSize
            let n: Int, body: ArraySlice<UInt8>
            if let c = e.count {
                guard p.count == c * item else { throw ShardsError("ndarray holds \(p.count) bytes, its fixed shape says \(c) x \(item)") }
                n = c; body = p
            } else {
                guard let head = p.first else { throw ShardsError("ndarray payload is empty") }
                let ndim = Int(head >> 2), code = Int(head & 3)
                guard ndim == 1 else { throw ShardsError("ndarray has \(ndim) dimensions; token columns have 1") }
                let w = 1 << code
                guard p.count >= 1 + w else { throw ShardsError("ndarray shape is cut short") }
                var m = 0
                for i in 0..<w { m |= Int(p[p.startIndex + 1 + i]) << (8 * i) }
                n = m; body = p.dropFirst(1 + w)
                guard body.count == n * item else {
                    throw ShardsError("ndarray holds \(body.count) bytes, its shape says \(n) x \(item)")
                }
            }
            switch item {
            case 1: return .u8(Array(body))
            case 2: return .u16(body.withUnsafeBytes { b in (0..<n).map { b.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian } })
            default: return .u32(body.withUnsafeBytes { b in (0..<n).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian } })
            }
        }
    }
}
