import CKernels

/// Small loops over base codes. The hot ones (reading sequence text, counting N and soft-masked bases,
/// mapping codes to character ids) are C kernels with SSE2/AVX2/AVX-512 versions in `CKernels`.
enum Kernels {
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

    /// Number of N codes and of soft-masked codes (the `gp_count_n_lower` C kernel at the CPU's level).
    @inline(__always)
    static func countNAndLower(_ p: UnsafePointer<UInt8>, _ n: Int) -> (n: Int, lower: Int) {
        var nn = 0, lo = 0
        gp_count_n_lower(gp_simd_level(), p, n, &nn, &lo)
        return (nn, lo)
    }

    /// Reverse complement of codes into `dst` (A<->T, C<->G, N stays, soft-mask kept): the
    /// `gp_reverse_complement` C kernel.
    @inline(__always)
    static func reverseComplement(_ src: UnsafePointer<UInt8>, _ dst: UnsafeMutablePointer<UInt8>, _ n: Int) {
        gp_reverse_complement(gp_simd_level(), src, n, dst)
    }
}
