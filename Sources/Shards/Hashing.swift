import Basics
import CCrypto
import CXXHash

/// The MDS hash algorithms GenomePrep writes: lowercase hex as Python's `hexdigest()`.
public enum MDSHash: String, Sendable, CaseIterable {
    case sha1
    case xxh3_64

    public func hex(_ data: [UInt8]) -> String { data.withUnsafeBufferPointer { hex($0) } }

    public func hex(_ data: UnsafeBufferPointer<UInt8>) -> String {
        switch self {
        case .sha1:
            var d = [UInt8](repeating: 0, count: 20)
            _ = SHA1(data.baseAddress, data.count, &d)
            return d.map { String($0, radix: 16).leftPad(2) }.joined()
        case .xxh3_64:
            return String(XXH3_64bits_dispatch(data.baseAddress, data.count), radix: 16).leftPad(16)
        }
    }
}
