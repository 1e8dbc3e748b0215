/// Where in an input something went wrong. Lines are 1-based; byte offsets are 0-based and count
/// uncompressed bytes.
public struct InputLocation: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var byteOffset: Int?
    public var record: String?

    public init(path: String, line: Int? = nil, byteOffset: Int? = nil, record: String? = nil) {
        self.path = path; self.line = line; self.byteOffset = byteOffset; self.record = record
    }

    public var description: String {
        var s = path
        if let line { s += ":\(line)" }
        var extra: [String] = []
        if let byteOffset { extra.append("byte \(byteOffset)") }
        if let record { extra.append("record '\(record)'") }
        if !extra.isEmpty { s += " (" + extra.joined(separator: ", ") + ")" }
        return s
    }
}

/// The one error type of GenomeIO: what kind, where, and a message that says what to do next.
public struct GenomeIOError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case cannotOpen, emptyFile, notFasta, malformed, illegalByte, duplicateName, emptyRecord
        case truncated, corrupt, indexMismatch, indexMissing, cannotIndex, badArgument, badBED, io
        case unknownContig
    }
    public var kind: Kind
    public var location: InputLocation?
    public var message: String
    public var hint: String?

    public init(_ kind: Kind, _ message: String, at location: InputLocation? = nil, hint: String? = nil) {
        self.kind = kind; self.message = message; self.location = location; self.hint = hint
    }

    public var description: String {
        var s = ""
        if let location { s = "\(location): " }
        s += message
        if let hint { s += "\nhint: \(hint)" }
        return s
    }
}
