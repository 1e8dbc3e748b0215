import CCrypto
import CXXHash

/// The MDS hash algorithms GenomePrep writes: lowercase hex as Python's `hexdigest()`.
public enum MDSHash: String, Sendable, CaseIterable {
    case sha1
    case xxh3_64

    public func hex(_ data: [UInt8]) -> String {
        switch self {
        case .sha1:
            var d = [UInt8](repeating: 0, count: 20)
            data.withUnsafeBufferPointer { _ = SHA1($0.baseAddress, $0.count, &d) }
            return d.map { String($0, radix: 16).leftPad(2) }.joined()
        case .xxh3_64:
            let h = data.withUnsafeBufferPointer { XXH3_64bits($0.baseAddress, $0.count) }
            return String(h, radix: 16).leftPad(16)
        }
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
