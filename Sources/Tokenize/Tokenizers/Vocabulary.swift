import Basics
import GenomeIO

/// Token strings by id, with the ids of the special tokens.
public struct Vocabulary: Sendable, Equatable {
    public let tokens: [String]
    public let index: [String: UInt32]
    /// Specials in id order (they are also in `tokens`).
    public let specials: [String]

    public init(tokens: [String], specials: [String]) throws {
        var idx: [String: UInt32] = [:]
        for (i, t) in tokens.enumerated() {
            if idx[t] != nil { throw TokenizeError("duplicate token '\(t)' at id \(i)", field: "vocab") }
            idx[t] = UInt32(i)
        }
        for s in specials where idx[s] == nil { throw TokenizeError("special token '\(s)' is not in the vocabulary", field: "vocab") }
        self.tokens = tokens; self.index = idx; self.specials = specials
    }

    public var count: Int { tokens.count }
    public func id(_ t: String) -> UInt32? { index[t] }

    /// The smallest unsigned integer width that holds every id, as MDS column types name it.
    public var idWidth: String { count <= 256 ? "uint8" : count <= 65_536 ? "uint16" : "uint32" }

    /// Throws when ids do not fit a column of `bits` bits (8, 16 or 32).
    public func checkFits(bits: Int) throws {
        let max = (1 << bits)
        if count > max {
            throw TokenizeError("vocabulary of \(count) tokens does not fit a uint\(bits) token column (at most \(max))",
                                field: "vocab", hint: "use a wider token column (uint\(bits * 2))")
        }
    }
}

/// Errors of the Tokenize module: what, which file and field, and what to do.
public struct TokenizeError: GenomePrepError {
    public var message: String
    public var path: String?
    public var field: String?
    public var hint: String?
    public init(_ message: String, path: String? = nil, field: String? = nil, hint: String? = nil) {
        self.message = message; self.path = path; self.field = field; self.hint = hint
    }
    public var kindName: String { "tokenizer" }
    public var location: InputLocation? { path.map { InputLocation(path: $0, key: field) } }
    public var description: String {
        var s = ""
        if let path { s += path + ": " }
        if let field { s += "field '\(field)': " }
        s += message
        if let hint { s += "\nhint: \(hint)" }
        return s
    }
}

/// The tokenizer families GenomePrep knows.
public enum TokenizerKind: String, Sendable, Codable, CaseIterable {
    case char, kmer, ntKmer = "nt-kmer", barcodeKmer = "barcode-kmer", bpe
}

/// A tokenizer turns window codes (``BaseCode``: A=0 C=1 G=2 T=3 N=4, soft-mask bit ignored) into
/// token ids in a caller-owned buffer, and ids back into bases.
public protocol Tokenizer: Sendable {
    var kind: TokenizerKind { get }
    var vocabulary: Vocabulary { get }
    /// Appends the ids of `codes` to `out` (the caller clears and reuses it; no allocation once warm).
    func encode(_ codes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32])
    /// The bases (ASCII) that ids stand for; special tokens are skipped. Throws on an unknown id.
    func decode(_ ids: [UInt32]) throws -> [UInt8]
}

extension Tokenizer {
    /// Convenience for tests and the CLI: encode ASCII bases.
    public func encode(ascii: [UInt8]) -> [UInt32] {
        let codes = ascii.map { b -> UInt8 in
            let c = BaseCode.encodeTable[Int(b)]
            return c & 0xC0 != 0 ? BaseCode.n : c & 7
        }
        var out: [UInt32] = []
        codes.withUnsafeBufferPointer { encode($0, into: &out) }
        return out
    }

    func checkId(_ id: UInt32) throws {
        if Int(id) >= vocabulary.count {
            throw TokenizeError("unknown token id \(id) (vocabulary has \(vocabulary.count) tokens, ids 0...\(vocabulary.count - 1))", field: "ids")
        }
    }

    /// Default decode: concatenate token strings, skipping specials.
    public func decode(_ ids: [UInt32]) throws -> [UInt8] {
        var out: [UInt8] = []
        let specials = Set(vocabulary.specials)
        for id in ids {
            try checkId(id)
            let t = vocabulary.tokens[Int(id)]
            if specials.contains(t) { continue }
            out.append(contentsOf: t.utf8)
        }
        return out
    }
}
