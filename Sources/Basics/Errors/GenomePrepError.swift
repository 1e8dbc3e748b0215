/// Where in an input something went wrong: the file, and as much of the place inside it as is known.
/// Lines are 1-based; byte offsets are 0-based and count uncompressed bytes. `key` is a key path inside a
/// JSON file (`windows.window`), `record` a FASTA record or a sample.
public struct InputLocation: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var byteOffset: Int?
    public var record: String?
    public var key: String?

    public init(path: String, line: Int? = nil, byteOffset: Int? = nil, record: String? = nil, key: String? = nil) {
        self.path = path; self.line = line; self.byteOffset = byteOffset; self.record = record; self.key = key
    }

    public var description: String {
        var s = path
        if let line { s += ":\(line)" }
        var extra: [String] = []
        if let byteOffset { extra.append("byte \(byteOffset)") }
        if let record { extra.append("record '\(record)'") }
        if let key { extra.append("key '\(key)'") }
        if !extra.isEmpty { s += " (" + extra.joined(separator: ", ") + ")" }
        return s
    }
}

/// What every GenomePrep module's error type offers, so a command line catches one thing and prints
/// it one way: `FILE:LINE (place): message`, then `hint: ...` on its own line.
public protocol GenomePrepError: Error, Sendable, CustomStringConvertible {
    /// A short machine-readable class (`malformed`, `io`, `config`, ...).
    var kindName: String { get }
    /// What went wrong, in a sentence.
    var message: String { get }
    /// The file and the place inside it, when there is one.
    var location: InputLocation? { get }
    /// What to do next, when there is something to say.
    var hint: String? { get }
}

extension GenomePrepError {
    public var description: String {
        var s = ""
        if let location { s = "\(location): " }
        s += message
        if let hint { s += "\nhint: \(hint)" }
        return s
    }
}

/// Errors of the shared plumbing (files that cannot be created, written or renamed).
public struct FileError: GenomePrepError {
    public var message: String
    public var location: InputLocation?
    public var hint: String?
    public var kindName: String { "io" }
    public init(_ message: String, path: String, hint: String? = nil) {
        self.message = message; self.location = InputLocation(path: path); self.hint = hint
    }
}
