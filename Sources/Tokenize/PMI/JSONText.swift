import FoundationEssentials

/// Stable JSON: sorted keys, so the same value always gives the same bytes.
enum JSONText {
    static func encode<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try! e.encode(v), as: UTF8.self)
    }
    static func decode<T: Decodable>(_ t: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(t, from: Data(bytes))
    }
}
