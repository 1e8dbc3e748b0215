import Foundation
import XCTest
@testable import GenomeIO

/// Repository root, found from this file's path (tests never depend on ../shared).
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
func dataFile(_ name: String) -> String { repoRoot.appendingPathComponent("data/\(name)").path }
func specimen(_ name: String) -> String {
    Bundle.module.url(forResource: "Specimens", withExtension: nil)!.appendingPathComponent(name).path
}

/// Runs a command and returns (exit status, stdout, stderr).
@discardableResult
func runCommand(_ args: [String], stdin: String? = nil) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    let inPipe = Pipe()
    if stdin != nil { p.standardInput = inPipe }
    try p.run()
    if let stdin { inPipe.fileHandleForWriting.write(stdin.data(using: .utf8)!); try inPipe.fileHandleForWriting.close() }
    // Read both pipes concurrently so a full pipe never blocks the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let g = DispatchGroup()
    g.enter()
    DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    g.wait()
    let errData = errBox.data
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Runs a Python 3 script (an independent reference computation) and returns its stdout.
func python(_ script: String, _ args: [String] = []) throws -> String {
    let (status, out, err) = try runCommand(["python3", "-c", script] + args)
    XCTAssertEqual(status, 0, "python failed: \(err)")
    return out
}

func tempDir() -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("gp-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
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
