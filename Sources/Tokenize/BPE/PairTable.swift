/// An open-addressing hash map from a merge pair (two 32-bit ids packed in a UInt64) to
/// (rank, new id); used on the BPE encoding hot path instead of `Dictionary`.
struct PairTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]     // rank << 32 | newId
    private let mask: Int
    static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    static func key(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    @inline(__always)
    static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    mutating func insert(_ a: UInt32, _ b: UInt32, rank: UInt32, newId: UInt32) {
        let key = PairTable.key(a, b)
        var i = PairTable.slot(key, mask)
        while keys[i] != PairTable.empty && keys[i] != key { i = (i + 1) & mask }
        keys[i] = key
        values[i] = UInt64(rank) << 32 | UInt64(newId)
    }

    /// (rank, newId) of the merge of (a, b), if any.
    @inline(__always)
    func lookup(_ a: UInt32, _ b: UInt32) -> (rank: UInt32, newId: UInt32)? {
        let key = PairTable.key(a, b)
        var i = PairTable.slot(key, mask)
        return keys.withUnsafeBufferPointer { k in
            while true {
                let x = k[i]
                if x == key { let v = values[i]; return (UInt32(v >> 32), UInt32(truncatingIfNeeded: v)) }
                if x == PairTable.empty { return nil }
                i = (i + 1) & mask
            }
        }
    }
}
