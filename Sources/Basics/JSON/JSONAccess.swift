/// Typed reads of a parsed ``JSONValue`` that throw a ``JSONError`` naming the key and what was found,
/// for readers of small structured files (a PMI table header, `genomeprep.json`).
extension JSONValue {
    /// The value under `key` of an object; throws when this is not an object or the key is missing.
    public func field(_ key: String) throws -> JSONValue {
        guard case .object(let o) = self else { throw JSONError("expected an object holding '\(key)', found \(typeName)") }
        guard let v = o[key] else { throw JSONError("missing key '\(key)'") }
        return v
    }

    /// The value under `key`, or nil when the key is absent or null.
    public func optionalField(_ key: String) throws -> JSONValue? {
        guard case .object(let o) = self else { throw JSONError("expected an object holding '\(key)', found \(typeName)") }
        if let v = o[key], v != .null { return v }
        return nil
    }

    public func asInt() throws -> Int {
        guard case .int(let i) = self else { throw JSONError("expected an integer, found \(typeName)") }
        return i
    }

    public func asString() throws -> String {
        guard case .string(let s) = self else { throw JSONError("expected a string, found \(typeName)") }
        return s
    }

    public func asBool() throws -> Bool {
        guard case .bool(let b) = self else { throw JSONError("expected true or false, found \(typeName)") }
        return b
    }

    public func asArray() throws -> [JSONValue] {
        guard case .array(let a) = self else { throw JSONError("expected an array, found \(typeName)") }
        return a
    }

    /// "an object", "a string", ... for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue {
    /// A number (an integer or a float).
    public func asDouble() throws -> Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw JSONError("expected a number, found \(typeName)")
        }
    }
}
