import Basics

/// The one error type of GenomeIO: what kind, where, and a message that says what to do next.
public struct GenomeIOError: GenomePrepError {
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

    public var kindName: String { kind.rawValue }
}
