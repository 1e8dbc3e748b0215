/// An open-addressing hash map from a merge pair (two 32-bit ids packed in a UInt64) to
/// (rank, new id); used on the BPE encoding hot path instead of `Dictionary`.
struct PairTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]     // rank << 32 | newId
    private let mask: Int
    private let shift: UInt64
    static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    static func key(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    /// Fibonacci hashing: the top bits of the product mix every bit of both ids.
    @inline(__always)
    func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15) >> shift) & mask
    }

    mutating func insert(_ a: UInt32, _ b: UInt32, rank: UInt32, newId: UInt32) {
        let key = PairTable.key(a, b)
        var i = slot(key)
        while keys[i] != PairTable.empty && keys[i] != key { i = (i + 1) & mask }
        keys[i] = key
        values[i] = UInt64(rank) << 32 | UInt64(newId)
    }

    /// (rank, newId) of the merge of (a, b), if any.
    @inline(__always)
    func lookup(_ a: UInt32, _ b: UInt32) -> (rank: UInt32, newId: UInt32)? {
        let key = PairTable.key(a, b)
        var i = slot(key)
        return keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                while true {
                    let x = k[i]
                    if x == key { let y = v[i]; return (UInt32(y >> 32), UInt32(truncatingIfNeeded: y)) }
                    if x == PairTable.empty { return nil }
                    i = (i + 1) & mask
                }
            }
        }
    }
}
