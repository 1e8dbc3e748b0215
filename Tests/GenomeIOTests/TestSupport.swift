import Foundation
import XCTest
import Basics
@testable import GenomeIO
import TestSupport

func specimen(_ name: String) -> String {
    Bundle.module.url(forResource: "Specimens", withExtension: nil)!.appendingPathComponent(name).path
}

/// Collects whole records as ASCII (decoded codes) for comparisons.
struct CollectSink: FastaSink {
    var names: [String] = []
    var seqs: [[UInt8]] = []
    mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool {
        names.append(name); seqs.append([]); return true
    }
    mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {
        seqs[seqs.count - 1].append(contentsOf: codes)
    }
    mutating func composition(n: Int, lower: Int) {}
    mutating func endRecord(name: String, length: Int, location: InputLocation) throws {}
}

func decode(_ codes: [UInt8]) -> String {
    String(decoding: codes.map { BaseCode.decodeTable[Int($0 & 15)] }, as: UTF8.self)
}

/// Writes a small FASTA for a test and returns its path.
func writeFasta(_ text: String, in dir: URL, name: String = "t.fa") -> String {
    let p = dir.appendingPathComponent(name).path
    FileManager.default.createFile(atPath: p, contents: text.data(using: .utf8))
    return p
}

/// Runs the windows job to an in-memory TSV and returns its rows (without header).
func windowsTSV(_ o: WindowsOptions) throws -> (rows: [[String]], summary: WindowsSummary) {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("w.tsv").path
    let out = try OutputFile(path: path)
    let s = try WindowsJob.run(o, output: out, format: .tsv)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
    return (rows, s)
}
