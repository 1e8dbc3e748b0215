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
        // Eight codes per 64-bit word: bit 2 of each byte (only N has it) and bit 3 (soft-mask) summed in
        // byte lanes, folded every 31 words (a lane then holds at most 31, their sum at most 248).
        let ones: UInt64 = 0x0101_0101_0101_0101
        var nn = 0, lo = 0
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            var a: UInt64 = 0, b: UInt64 = 0
            var k = 0
            while k < 31 && i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                a &+= (w >> 2) & ones
                b &+= (w >> 3) & ones
                i += 8; k += 1
            }
            nn += Int((a &* ones) >> 56); lo += Int((b &* ones) >> 56)
        }
        while i < n {
            let c = p[i]
            nn += Int((c >> 2) & 1); lo += Int((c >> 3) & 1)
            i += 1
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
