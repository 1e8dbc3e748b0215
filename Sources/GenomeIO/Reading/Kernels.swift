/// Hot loops over bases, written so that LLVM vectorises them (compares and selects, no table
/// gathers). Each has a table-based twin in ``BaseCode`` that tests compare it with.
enum Kernels {
    /// ASCII -> code for the common bytes A C G T N in either case. Any other byte gives a code with
    /// ``BaseCode/invalid`` set, so callers fall back to the full table (IUPAC, U, whitespace, errors).
    /// Returns the OR of all codes written.
    @inline(__always)
    static func encodeCommon(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) -> UInt8 {
        var acc: UInt8 = 0
        for i in 0..<n {
            let b = src[i]
            let u = b & 0xDF
            var c: UInt8 = 0x80
            c = u == 0x41 ? 0 : c          // A
            c = u == 0x43 ? 1 : c          // C
            c = u == 0x47 ? 2 : c          // G
            c = u == 0x54 ? 3 : c          // T
            c = u == 0x4E ? 4 : c          // N
            // Lowercase letters have bit 0x20; it becomes the soft-mask bit 0x08.
            let v = c | ((b & 0x20) >> 2)
            dst[i] = v
            acc |= v
        }
        return acc
    }

    /// Copies `n` pre-encoded codes 8 bytes at a time and returns whether none has the invalid bit
    /// (0x80): one OR per word instead of a per-byte table lookup. On `false` the copy is partial and
    /// the caller re-encodes the line with the full table (IUPAC, CR, spaces, errors).
    @inline(__always)
    static func copyIfAllValid(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) -> Bool {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        var acc: UInt64 = 0
        var i = 0
        while i + 8 <= n {
            let w = s.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            d.storeBytes(of: w, toByteOffset: i, as: UInt64.self)
            acc |= w
            i += 8
        }
        while i < n { let b = src[i]; dst[i] = b; acc |= UInt64(b); i += 1 }
        return acc & 0x8080_8080_8080_8080 == 0
    }

    /// code -> ASCII (lowercase where soft-masked).
    @inline(__always)
    static func decode(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) {
        for i in 0..<n {
            let c = src[i]
            let base = c & 7
            var a: UInt8 = 0x4E                 // N
            a = base == 0 ? 0x41 : a
            a = base == 1 ? 0x43 : a
            a = base == 2 ? 0x47 : a
            a = base == 3 ? 0x54 : a
            dst[i] = a | ((c & 8) << 2)
        }
    }

    /// Number of N codes and of soft-masked codes.
    @inline(__always)
    static func countNAndLower(_ p: UnsafePointer<UInt8>, _ n: Int) -> (n: Int, lower: Int) {
        var nn = 0, lo = 0
        var i = 0
        while i < n {
            let end = min(n, i + 4096)
            var a: UInt32 = 0, b: UInt32 = 0
            for k in i..<end {
                let c = p[k]
                a &+= UInt32((c >> 2) & 1)     // N is the only code with bit 2 set
                b &+= UInt32((c >> 3) & 1)
            }
            nn += Int(a); lo += Int(b)
            i = end
        }
        return (nn, lo)
    }

    /// Reverse complement of codes into `dst` (A<->T, C<->G, N stays, soft-mask kept).
    @inline(__always)
    static func reverseComplement(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) {
        for i in 0..<n {
            let c = src[n - 1 - i]
            dst[i] = (c & 4) == 0 ? c ^ 3 : c
        }
    }
}
