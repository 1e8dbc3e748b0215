import Basics
import Foundation
import TestSupport
@testable import Trainer
import XCTest

/// Damaged safetensors and .npy files (a checkpoint, an export, embeddings handed to `probe`): each is a
/// clear error naming the file, the tensor where there is one, and the reason; never a crash.
final class MalformedFilesTests: XCTestCase {
    func header(_ json: String, data: Int) -> [UInt8] {
        var b = Array(json.utf8)
        while (8 + b.count) % 8 != 0 { b.append(0x20) }
        var n = UInt64(b.count).littleEndian
        return withUnsafeBytes(of: &n) { Array($0) } + b + [UInt8](repeating: 0, count: data)
    }

    func testDamagedSafetensorsNameFileTensorAndReason() throws {
        let dir = tempDir("st")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [([UInt8], [String])] = [
            ([1, 2, 3], ["shorter than its 8-byte header length"]),
            ([255, 255, 255, 255, 0, 0, 0, 0] + Array("{}".utf8), ["runs past the end of the file"]),
            (header("{\"w\": [1]}", data: 0), ["w", "expected an object"]),
            (header(#"{"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, data: 4), ["w", "dtype F16"]),
            (header(#"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: 8), ["w", "needs 12 bytes, offsets give 8"]),
            (header(#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: 4), ["w", "outside the 4 data bytes"]),
            (header(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, data: 12),
             ["two tensors overlap"]),
            (header(#"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}"#, data: 0), ["w", "dimension -1"]),
        ]
        for (i, (bytes, words)) in cases.enumerated() {
            let p = dir.appendingPathComponent("bad\(i).safetensors").path
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try Safetensors.File(path: p), "case \(i)") { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains("bad\(i).safetensors") && text.contains("not a valid safetensors file"), text)
                for w in words { XCTAssertTrue(text.contains(w), "case \(i): '\(w)' missing from: \(text)") }
            }
        }
        // A well-formed file with the wrong shape for the model names the tensor and both shapes.
        let good = dir.appendingPathComponent("good.safetensors").path
        let values: [Float] = [1, 2, 3, 4]
        try values.withUnsafeBufferPointer { try Safetensors.write([.init(name: "w", shape: [2, 2], data: $0.baseAddress!)], to: good) }
        let f = try Safetensors.File(path: good)
        var out = [Float](repeating: 0, count: 4)
        XCTAssertThrowsError(try out.withUnsafeMutableBufferPointer { try f.read("w", shape: [4], into: $0.baseAddress!) }) { e in
            XCTAssertTrue("\(e)".contains("w") && "\(e)".contains("[2, 2]") && "\(e)".contains("[4]"), "\(e)")
        }
        XCTAssertThrowsError(try f.floats("missing")) { e in XCTAssertTrue("\(e)".contains("tensor missing") && "\(e)".contains("missing"), "\(e)") }
    }

    func testDamagedNPYNameFileAndReason() throws {
        let dir = tempDir("npy")
        defer { try? FileManager.default.removeItem(at: dir) }
        func npy(_ header: String, data: Int) -> [UInt8] {
            let h = Array(header.utf8)
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + [UInt8](repeating: 0, count: data)
        }
        let cases: [([UInt8], String)] = [
            (Array("not numpy".utf8), "no NUMPY magic"),
            (npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }\n", data: 16), "dtype is not <f4 or <f8"),
            (npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", data: 16), "Fortran order"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n", data: 12), "holds 12 data bytes, its shape needs 16"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }\n", data: 32), "shape must be 1-D or 2-D"),
        ]
        for (i, (bytes, why)) in cases.enumerated() {
            let p = dir.appendingPathComponent("bad\(i).npy").path
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            XCTAssertThrowsError(try NPY.read(path: p), "case \(i)") { e in
                XCTAssertTrue("\(e)".contains("bad\(i).npy") && "\(e)".contains(why), "case \(i): \(e)")
            }
        }
    }
}

/// A checkpoint's config.json is read as untrusted: the weights' shapes are checked against it before a model
/// is allocated from it, and a model whose buffers would not fit this machine is refused with the sizes.
final class CheckpointConfigGuardTests: XCTestCase {
    func testShapesAreCheckedBeforeAllocatingAndMemoryIsBounded() throws {
        let dir = tempDir("ckcfg")
        defer { try? FileManager.default.removeItem(at: dir) }
        var small = BertConfig(vocabSize: 10)
        small.hiddenSize = 8; small.layers = 1; small.heads = 2; small.intermediateSize = 16; small.maxPositions = 16
        let model = try BertModel(config: small, maxRows: 2, length: 16)
        let path = dir.appendingPathComponent("model.safetensors").path
        try Safetensors.write(model.params.tensors.map { .init(name: $0.name, shape: $0.shape, data: model.params.values + $0.offset) }, to: path)
        let file = try Safetensors.File(path: path)
        XCTAssertNoThrow(try BertModel.checkShapes(small, file))
        // A config that asks for a much larger model than the file holds: refused by shape, nothing allocated.
        var huge = small
        huge.hiddenSize = 8192; huge.heads = 256; huge.layers = 128; huge.intermediateSize = 65536; huge.vocabSize = 1 << 20; huge.maxPositions = 4096
        XCTAssertNoThrow(try huge.validate())
        XCTAssertThrowsError(try BertModel.checkShapes(huge, file)) { e in
            XCTAssertTrue("\(e)".contains("model.safetensors") && "\(e)".contains("does not match config.json"), "\(e)")
        }
        // Sizes that each pass validation but together exceed this machine's memory are refused up front.
        XCTAssertThrowsError(try BertModel(config: huge, maxRows: 64, length: 1024)) { e in
            XCTAssertTrue("\(e)".contains("GiB") && "\(e)".contains("more than 80% of this machine"), "\(e)")
        }
        // A file with an MLM decoder of its own: loads when it equals the word embeddings (tied, as HF writes
        // a tied BERT), is refused when it differs (an untied model would silently lose its decoder).
        let word = model.params.tensor("bert.embeddings.word_embeddings.weight")!
        var decoder = [Float](UnsafeBufferPointer(start: model.params.values + word.offset, count: word.count))
        func withDecoder(_ d: [Float]) throws -> Safetensors.File {
            let p = dir.appendingPathComponent("dec.safetensors").path
            try d.withUnsafeBufferPointer { dp in
                try Safetensors.write(model.params.tensors.map { .init(name: $0.name, shape: $0.shape, data: model.params.values + $0.offset) }
                                      + [.init(name: "cls.predictions.decoder.weight", shape: word.shape, data: dp.baseAddress!)], to: p)
            }
            return try Safetensors.File(path: p)
        }
        let other = try BertModel(config: small, maxRows: 2, length: 16)
        XCTAssertNoThrow(try other.load(from: try withDecoder(decoder)))
        decoder[3] += 0.5
        XCTAssertThrowsError(try other.load(from: try withDecoder(decoder))) { e in
            XCTAssertTrue("\(e)".contains("cls.predictions.decoder.weight") && "\(e)".contains("not tied"), "\(e)")
        }
        // The estimate covers what a model really allocates: compare with the process's growth for a mid-size one.
        var mid = small
        mid.hiddenSize = 64; mid.heads = 4; mid.layers = 2; mid.intermediateSize = 128; mid.vocabSize = 300; mid.maxPositions = 256
        let want = BertModel.bytesNeeded(mid, maxRows: 8, length: 256)
        let m2 = try BertModel(config: mid, maxRows: 8, length: 256)
        let activations = m2.allocatedFloats * 4
        XCTAssertGreaterThanOrEqual(want, Double(activations), "the estimate must not undercount the buffers")
        XCTAssertLessThan(want, 2 * Double(activations) + 4 * 4 * Double(m2.params.count) + 1e6)
    }
}
