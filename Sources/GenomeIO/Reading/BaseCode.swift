/// The one place that knows the nucleotide alphabet.
///
/// A base *code* is one byte: bits 0-2 hold the base (`A`=0, `C`=1, `G`=2, `T`=3, `N`=4) and bit 3
/// (``softMask``) is set when the input base was lowercase (soft-masked). `U`/`u` read as `T`/`t`;
/// the IUPAC ambiguity codes `R Y K M S W B D H V N` (either case) read as `N`.
/// Every other byte is rejected by default.
public enum BaseCode {
    public static let a: UInt8 = 0, c: UInt8 = 1, g: UInt8 = 2, t: UInt8 = 3, n: UInt8 = 4
    /// Set on codes whose input base was lowercase.
    public static let softMask: UInt8 = 0x08
    /// Mask for the base part of a code.
    public static let baseMask: UInt8 = 0x07
    /// Table marker: the byte is not a base (error by default).
    public static let invalid: UInt8 = 0x80
    /// Table marker: whitespace inside a sequence line that is skipped (space, tab, CR).
    public static let skip: UInt8 = 0x40

    /// ASCII byte -> code, or ``invalid`` / ``skip``.
    public static let encodeTable: [UInt8] = {
        var t = [UInt8](repeating: invalid, count: 256)
        func set(_ chars: String, _ code: UInt8) {
            for ch in chars.utf8 {
                t[Int(ch)] = code
                let lower = ch | 0x20
                t[Int(lower)] = code | softMask
            }
        }
        set("A", a); set("C", c); set("G", g); set("T", t_); set("U", t_)
        set("RYKMSWBDHVN", n)
        t[Int(UInt8(ascii: " "))] = skip
        t[Int(UInt8(ascii: "\t"))] = skip
        t[Int(UInt8(ascii: "\r"))] = skip
        return t
    }()
    private static let t_: UInt8 = 3

    /// Same as ``encodeTable`` but every invalid byte becomes `N` (the `--invalid n` policy).
    public static let lenientEncodeTable: [UInt8] = {
        var t = encodeTable
        for i in 0..<256 where t[i] == invalid { t[i] = n }
        return t
    }()

    /// code (0..15) -> ASCII, lowercase where the soft-mask bit is set. Codes 5-7 never occur.
    public static let decodeTable: [UInt8] = Array("ACGTNNNNacgtnnnn".utf8)

    /// Complement of a code: A<->T, C<->G, N stays N; the soft-mask bit is kept.
    @inline(__always)
    public static func complement(_ code: UInt8) -> UInt8 {
        let b = code & baseMask
        return b < 4 ? (code ^ 0x03) : code
    }

    /// Reverse-complements codes in place.
    public static func reverseComplement(_ codes: UnsafeMutableBufferPointer<UInt8>) {
        var i = 0, j = codes.count - 1
        while i < j {
            let x = complement(codes[i]); codes[i] = complement(codes[j]); codes[j] = x
            i += 1; j -= 1
        }
        if i == j { codes[i] = complement(codes[i]) }
    }

    /// ASCII complement table over all 256 byte values, an involution (`comp[comp[x]] == x`):
    /// A<->T, C<->G, R<->Y, K<->M, B<->V, D<->H; S, W, N complement to themselves; case is kept.
    /// Every other byte, `U`/`u` included, maps to itself (U is read as T before any code-level
    /// reverse complement, so this table never needs to turn U into A).
    public static let asciiComplement: [UInt8] = {
        var t = (0..<256).map { UInt8($0) }
        for (x, y) in [("A", "T"), ("C", "G"), ("R", "Y"), ("K", "M"), ("B", "V"), ("D", "H"),
                       ("S", "S"), ("W", "W"), ("N", "N")] {
            let xu = UInt8(ascii: Unicode.Scalar(x)!), yu = UInt8(ascii: Unicode.Scalar(y)!)
            t[Int(xu)] = yu; t[Int(yu)] = xu
            t[Int(xu | 0x20)] = yu | 0x20; t[Int(yu | 0x20)] = xu | 0x20
        }
        return t
    }()

    /// Reverse complement of raw ASCII bases (IUPAC-aware, case kept).
    public static func reverseComplementASCII(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count)
        let n = bytes.count
        for i in 0..<n { out[n - 1 - i] = asciiComplement[Int(bytes[i])] }
        return out
    }

    /// Human-readable name of a byte for error messages.
    public static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0: return "NUL (0x00; is this a binary file?)"
        case 0x20...0x7e: return "'\(Character(Unicode.Scalar(byte)))' (0x\(String(byte, radix: 16)))"
        default: return "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }
}
