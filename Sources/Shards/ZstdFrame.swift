import CZstd

/// The two things every reader of a shard's zstd frame needs, in one place (the tool reader, the
/// loader's decompress stage and the resume path all read frames).
enum ZstdFrame {
    /// The content size the frame declares, or nil when it declares none or is not a zstd frame.
    static func declaredSize(_ frame: UnsafeRawBufferPointer) -> Int? {
        let s = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        guard s < UInt64.max - 1, s <= UInt64(Int.max) else { return nil }
        return Int(s)
    }

    /// Decompresses the frame into `out`, which holds `size` bytes; true only when it gives exactly that.
    static func decompress(_ frame: UnsafeRawBufferPointer, size: Int, into out: UnsafeMutableRawPointer) -> Bool {
        let n = ZSTD_decompress(out, size, frame.baseAddress, frame.count)
        return ZSTD_isError(n) == 0 && n == size
    }

    /// The frame's content as a new array, when it declares a size of at most `limit` (never allocating
    /// what a damaged or crafted frame claims beyond that) and decompresses to exactly it.
    static func decompressed(_ frame: [UInt8], limit: Int) -> [UInt8]? {
        frame.withUnsafeBytes { z in
            guard let size = declaredSize(z), size <= limit else { return nil }
            var out = [UInt8](repeating: 0, count: size)
            let ok = out.withUnsafeMutableBytes { decompress(z, size: size, into: $0.baseAddress!) }
            return ok ? out : nil
        }
    }
}
