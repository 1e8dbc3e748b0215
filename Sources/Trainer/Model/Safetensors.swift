import Basics
import FoundationEssentials

/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to its dtype, shape and [begin, end) byte offsets into the data that
/// follows, and the raw little-endian data. Hand-written because it is that small and no C library for
/// it is packaged; the reader checks every field before using it (dtype, shape against size, offsets
/// inside the file, no two tensors overlapping), and the tests read our files with the real Python
/// `safetensors`.
public enum Safetensors {
    public struct TensorRef {
        public var name: String
        public var shape: [Int]
        public var data: UnsafePointer<Float>
        public init(name: String, shape: [Int], data: UnsafePointer<Float>) { self.name = name; self.shape = shape; self.data = data }
    }

    /// Writes float32 tensors atomically (the file appears under `path` only when complete).
    public static func write(_ tensors: [TensorRef], metadata: [(String, String)] = [], to path: String) throws {
        var header = JSONObject()
        if !metadata.isEmpty {
            var m = JSONObject()
            for (k, v) in metadata { m.add(k, .string(v)) }
            header.add("__metadata__", .object(m))
        }
        var offset = 0
        for t in tensors {
            let bytes = t.shape.reduce(1, *) * 4
            var e = JSONObject()
            e.add("dtype", .string("F32"))
            e.add("shape", .array(t.shape.map { .int($0) }))
            e.add("data_offsets", .array([.int(offset), .int(offset + bytes)]))
            header.add(t.name, .object(e))
            offset += bytes
        }
        var text = Array(JSONValue.object(header).render().utf8)
        while (8 + text.count) % 8 != 0 { text.append(0x20) }
        let f = try OutputFile(path: path)
        do {
            var n = UInt64(text.count).littleEndian
            try withUnsafeBytes(of: &n) { try f.write($0) }
            try text.withUnsafeBytes { try f.write($0) }
            for t in tensors {
                try f.write(UnsafeRawBufferPointer(start: t.data, count: t.shape.reduce(1, *) * 4))
            }
            try f.commit()
        } catch {
            f.abandon()
            throw error
        }
    }

    /// A safetensors file read whole into memory and checked.
    public struct File {
        public struct Entry { public var shape: [Int]; public var begin: Int; public var end: Int }
        public let path: String
        public let entries: [String: Entry]
        public let names: [String]
        public let metadata: [String: String]
        let bytes: [UInt8]
        let dataStart: Int

        public init(path: String) throws {
            self.path = path
            guard let d = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
                throw TrainerError("cannot read the file", path: path)
            }
            bytes = [UInt8](d)
            func bad(_ why: String, key: String? = nil) -> TrainerError {
                TrainerError("not a valid safetensors file: \(why)", path: path, key: key)
            }
            guard bytes.count >= 8 else { throw bad("shorter than its 8-byte header length") }
            var n: UInt64 = 0
            for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
            guard n <= UInt64(bytes.count - 8), n <= 100_000_000 else { throw bad("header length \(n) runs past the end of the file (\(bytes.count) bytes)") }
            dataStart = 8 + Int(n)
            let header: JSONValue
            do { header = try JSONValue.parse(Array(bytes[8..<dataStart])) } catch { throw bad("header is not JSON (\(error))") }
            guard case .object(let o) = header else { throw bad("header is not a JSON object") }
            let dataLength = bytes.count - dataStart
            var entries: [String: Entry] = [:], names: [String] = [], metadata: [String: String] = [:]
            for (name, v) in o.pairs {
                if name == "__metadata__" {
                    guard case .object(let m) = v else { throw bad("__metadata__ is not an object") }
                    for (k, x) in m.pairs {
                        guard case .string(let s) = x else { throw bad("metadata values must be strings", key: k) }
                        metadata[k] = s
                    }
                    continue
                }
                do {
                    let dtype = try v.field("dtype").asString()
                    guard dtype == "F32" else { throw bad("dtype \(dtype) (only F32 is read)", key: name) }
                    let shape = try v.field("shape").asArray().map { try $0.asInt() }
                    let off = try v.field("data_offsets").asArray().map { try $0.asInt() }
                    guard off.count == 2, off[0] >= 0, off[0] <= off[1], off[1] <= dataLength else {
                        throw bad("data_offsets \(off) outside the \(dataLength) data bytes", key: name)
                    }
                    var count = 1
                    for s in shape {
                        guard s >= 0, s <= 1 << 40 else { throw bad("dimension \(s) out of range", key: name) }
                        let (p, o) = count.multipliedReportingOverflow(by: s)
                        guard !o, p <= 1 << 40 else { throw bad("shape \(shape) too large", key: name) }
                        count = p
                    }
                    guard count * 4 == off[1] - off[0] else { throw bad("shape \(shape) needs \(count * 4) bytes, offsets give \(off[1] - off[0])", key: name) }
                    entries[name] = Entry(shape: shape, begin: off[0], end: off[1])
                    names.append(name)
                } catch let e as JSONError {
                    throw bad(e.message, key: name)
                }
            }
            let sorted = entries.values.sorted { $0.begin < $1.begin }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.begin {
                throw bad("two tensors overlap at byte \(b.begin)")
            }
            self.entries = entries; self.names = names; self.metadata = metadata
        }

        /// Copies tensor `name` into `out`, checking that its shape is `shape`.
        public func read(_ name: String, shape: [Int], into out: UnsafeMutablePointer<Float>) throws {
            guard let e = entries[name] else { throw TrainerError("tensor missing", path: path, key: name) }
            guard e.shape == shape else { throw TrainerError("tensor has shape \(e.shape), the model needs \(shape)", path: path, key: name) }
            bytes.withUnsafeBytes { raw in
                let src = raw.baseAddress! + dataStart + e.begin
                UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: e.end - e.begin)
            }
        }

        /// Tensor `name` as an array (for tests and small tensors).
        public func floats(_ name: String) throws -> [Float] {
            guard let e = entries[name] else { throw TrainerError("tensor missing", path: path, key: name) }
            var out = [Float](repeating: 0, count: (e.end - e.begin) / 4)
            if out.isEmpty { return out }
            try out.withUnsafeMutableBufferPointer { try read(name, shape: e.shape, into: $0.baseAddress!) }
            return out
        }
    }
}
