/// A JSON parse error with the byte offset where it happened.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A small JSON value with key order kept (HF files are compared and diffed by people), a writer
/// with stable output, and a strict parser that reports the byte offset of an error.
public indirect enum JSONValue: Equatable, Sendable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object(JSONObject)

    public func render() -> String {
        var out = ""
        write(&out)
        return out
    }

    /// Python's `json.dumps(obj, sort_keys=True)`: ", " and ": " separators, keys sorted at every
    /// level, non-ASCII escaped as \uXXXX.
    public func renderPython() -> String {
        var out = ""
        write(&out, python: true)
        return out
    }

    func write(_ out: inout String, python: Bool = false) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? "\(d)" : "null"   // JSON has no NaN or infinity
        case .string(let s): JSONValue.quote(s, &out, ascii: python)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() { if i > 0 { out += python ? ", " : "," }; v.write(&out, python: python) }
            out += "]"
        case .object(let o):
            out += "{"
            let pairs = python ? o.pairs.sorted { $0.0 < $1.0 } : o.pairs
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += python ? ", " : "," }
                JSONValue.quote(k, &out, ascii: python); out += python ? ": " : ":"
                v.write(&out, python: python)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, _ out: inout String, ascii: Bool = false) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || (ascii && u.value > 0x7E) {
                    for unit in String(u).utf16 {
                        let h = String(unit, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                    }
                } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var p = Parser(b: bytes)
        p.ws()
        let v = try p.value()
        p.ws()
        if p.i != bytes.count { throw JSONError("unexpected data after the JSON value at \(p.place(p.i))") }
        return v
    }

    /// Deeper nesting is refused (a recursive parser would otherwise overflow the stack on hostile input).
    public static let maxDepth = 512

    struct Parser {
        let b: [UInt8]
        var i = 0
        var depth = 0
        mutating func ws() { while i < b.count, [0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 } }
        func fail(_ what: String) -> JSONError { JSONError("\(what) at \(place(i))") }
        /// "line L, column C (byte B)" of byte offset `at` (lines and columns from 1).
        func place(_ at: Int) -> String {
            var line = 1, lineStart = 0
            for k in 0..<min(at, b.count) where b[k] == 0x0A { line += 1; lineStart = k + 1 }
            return "line \(line), column \(at - lineStart + 1) (byte \(at))"
        }
        mutating func value() throws -> JSONValue {
            guard i < b.count else { throw fail("unexpected end of input") }
            switch b[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                defer { depth -= 1 }
                guard depth <= JSONValue.maxDepth else { throw fail("nesting deeper than \(JSONValue.maxDepth) levels") }
                return b[i] == UInt8(ascii: "{") ? try object() : try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try lit("true"); return .bool(true)
            case UInt8(ascii: "f"): try lit("false"); return .bool(false)
            case UInt8(ascii: "n"): try lit("null"); return .null
            default:
                let s = i
                while i < b.count, "+-0123456789.eE".utf8.contains(b[i]) { i += 1 }
                let t = String(decoding: b[s..<i], as: UTF8.self)
                if let v = Int(t) { return .int(v) }
                if let d = Double(t), d.isFinite { return .double(d) }
                i = s
                if let d = Double(t), !d.isFinite { throw fail("number \(t) is out of range") }
                throw fail("unexpected character")
            }
        }
        mutating func object() throws -> JSONValue {
            i += 1; var o = JSONObject(); ws()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                ws(); guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let keyAt = i
                let k = try string(); ws()
                if o[k] != nil { i = keyAt; throw fail("duplicate key '\(k)'") }
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1; ws()
                o.add(k, try value()); ws()
                guard i < b.count else { throw fail("unexpected end of input in an object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw fail("expected ',' or '}'")
            }
        }
        mutating func array() throws -> JSONValue {
            i += 1; var a: [JSONValue] = []; ws()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                ws(); a.append(try value()); ws()
                guard i < b.count else { throw fail("unexpected end of input in an array") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        }
        mutating func lit(_ s: String) throws {
            let u = Array(s.utf8)
            guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { throw fail("invalid literal") }
            i += u.count
        }
        mutating func string() throws -> String {
            let start = i
            i += 1
            var out: [UInt8] = []
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    // Invalid UTF-8 is an error, not silently replaced.
                    guard let s = String(validating: out, as: UTF8.self) else { throw JSONError("a string that is not valid UTF-8 at \(place(start))") }
                    return s
                }
                if c == UInt8(ascii: "\\") {
                    i += 1; guard i < b.count else { break }
                    switch b[i] {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        let escapeAt = i - 1
                        func lone(_ v: UInt32) -> JSONError { JSONError("lone surrogate \\u\(String(v, radix: 16)) at \(place(escapeAt))") }
                        guard i + 4 < b.count, let v = UInt32(String(decoding: b[(i + 1)...(i + 4)], as: UTF8.self), radix: 16) else { throw fail("bad \\u escape") }
                        i += 4
                        var cp = v
                        if (0xD800..<0xDC00).contains(v) {
                            // A high surrogate must be followed by a low one; a lone one is no character.
                            guard i + 6 < b.count, b[i + 1] == UInt8(ascii: "\\"), b[i + 2] == UInt8(ascii: "u"),
                                  let lo = UInt32(String(decoding: b[(i + 3)...(i + 6)], as: UTF8.self), radix: 16),
                                  (0xDC00..<0xE000).contains(lo) else { throw lone(v) }
                            cp = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00); i += 6
                        }
                        guard let scalar = Unicode.Scalar(cp) else { throw lone(v) }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: out.append(b[i])
                    }
                    i += 1; continue
                }
                out.append(c); i += 1
            }
            throw fail("unterminated string")
        }
    }
}

/// A JSON object that keeps its keys in insertion order.
public struct JSONObject: Equatable, Sendable {
    public private(set) var pairs: [(String, JSONValue)] = []
    private var index: [String: Int] = [:]
    public init() {}
    public mutating func add(_ k: String, _ v: JSONValue) {
        if let i = index[k] { pairs[i].1 = v } else { index[k] = pairs.count; pairs.append((k, v)) }
    }
    public subscript(_ k: String) -> JSONValue? { index[k].map { pairs[$0].1 } }
    public var count: Int { pairs.count }
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}
