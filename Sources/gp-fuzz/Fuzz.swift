// Fuzz targets for the readers of untrusted files (issue 10), run by libFuzzer through bench/fuzz.sh:
//
//   swift build --product gp-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz
//   GP_FUZZ_TARGET=json .build-fuzz/debug/gp-fuzz -max_total_time=600 CORPUS_DIR
//
// Targets (GP_FUZZ_TARGET): json, config, tokenizer, index, fasta, compressed, bed, fai, gzi. Each feeds the input to the
// reader and accepts any thrown error: only a crash, a hang or a sanitizer report is a finding. Without
// -DFUZZING this builds a small program that says how to run it.
import Foundation
import Basics
import GenomeIO
import Pipeline
import Shards
import Tokenize

#if FUZZING
let target = ProcessInfo.processInfo.environment["GP_FUZZ_TARGET"] ?? "json"
let scratch: String = {
    let d = NSTemporaryDirectory() + "gp-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}()

func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

struct NullSink: FastaSink {
    mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool { true }
    mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {}
    mutating func composition(n: Int, lower: Int) {}
    mutating func endRecord(name: String, length: Int, location: InputLocation) throws {}
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch target {
    case "json":
        _ = try? JSONValue.parse(Array(bytes))
    case "config":
        let p = scratch + "/c.json"
        write(bytes, to: p)
        _ = try? PipelineConfig.load(path: p)
    case "tokenizer":
        let p = scratch + "/tokenizer.json"
        write(bytes, to: p)
        if let t = try? HFTokenizerJSON.load(path: p) { _ = t.encode(ascii: Array("ACGTNACGTTGCA".utf8)) }
    case "index":
        write(bytes, to: scratch + "/index.json")
        if let r = try? MDSReader(directory: scratch) { _ = try? r.verify() }
    case "fasta":
        let p = scratch + "/x.fa"
        write(bytes, to: p)
        var sink = NullSink()
        _ = try? FastaReader(path: p).read(into: &sink)
    case "compressed":
        // gzip and BGZF bytes (the seeds are valid files): the ISA-L readers, and htslib's format detection.
        let p = scratch + "/x.fa.gz"
        write(bytes, to: p)
        var sink = NullSink()
        _ = try? FastaReader(path: p, threads: 2).read(into: &sink)
    case "bed":
        let p = scratch + "/x.bed"
        write(bytes, to: p)
        _ = try? BEDReader.read(path: p)
    case "fai":
        let fa = scratch + "/f.fa"
        FileManager.default.createFile(atPath: fa, contents: Data(">a\nACGTACGTAC\nGG\n>b x\nTTTT\n".utf8))
        write(bytes, to: fa + ".fai")
        if let idx = try? FaiIndex(path: fa) {
            for e in idx.entries { _ = try? idx.fetchASCII(contig: e.name, start: 0, end: min(e.length, 20)) }
        }
    case "gzi":
        // A BGZF FASTA in several blocks with a good .fai; the input is its .gzi.
        let fa = scratch + "/g.fa.bgz"
        if access(fa + ".fai", R_OK) != 0 {
            let plain = scratch + "/g.fa"
            var text = ""
            for r in 0..<4 { text += ">r\(r)\n" + String(repeating: "ACGTTGCA", count: 9000) + "\n" }
            FileManager.default.createFile(atPath: plain, contents: Data(text.utf8))
            try! BGZFWriter.recompress(input: plain, output: fa, threads: 1)
            try! FaiIndex.build(path: fa)
        }
        write(bytes, to: fa + ".gzi")
        if let idx = try? FaiIndex(path: fa) {
            for e in idx.entries { _ = try? idx.fetchASCII(contig: e.name, start: max(0, e.length - 70000), end: e.length) }
        }
    default:
        fatalError("unknown GP_FUZZ_TARGET \(target)")
    }
    return 0
}

/// SwiftPM links an executable's entry point as `gp_fuzz_main`; hand control to libFuzzer's driver from it.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

@_cdecl("gp_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzz)
}
#else
@main
struct FuzzHelp {
    static func main() {
        print("gp-fuzz is a libFuzzer target: run `bash bench/fuzz.sh` (it builds with -sanitize=fuzzer,address -DFUZZING).")
    }
}
#endif
