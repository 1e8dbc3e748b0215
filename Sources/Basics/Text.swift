extension String {
    /// Zero-padded on the left to `n` characters (`"7".leftPad(5)` is `"00007"`), as shard and part
    /// names and hex digests are written.
    public func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
