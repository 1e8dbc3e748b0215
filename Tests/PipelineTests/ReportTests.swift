import Basics
import Foundation
@testable import Pipeline
import Shards
import TestSupport
import XCTest

/// `genome-prep report`'s numbers against independent counts: the GC and N histograms, token counts and
/// bits per base recounted here from the shards' samples (MDSReader.sample, not the report's decoder);
/// kept and dropped windows against genomeprep.json; the input's N50 and composition; the page is one
/// self-contained file (no script, no external reference).
final class ReportTests: XCTestCase {
    func testReportNumbersMatchIndependentCounts() throws {
        let dir = tempDir("report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = dir.appendingPathComponent("r.json").path
        try """
        {"version": 1, "name": "rep", "inputs": ["\(dataFile("ecoli_MG1655_draft.fa.gz"))"],
         "windows": {"window": 2000, "stride": 2000, "seed": 3, "val": 0.2, "splitBlock": 50000},
         "tokenizer": {"kind": "char"}, "shards": {"out": "\(dir.appendingPathComponent("out").path)", "sizeLimit": 100000}}
        """.write(toFile: cfg, atomically: true, encoding: .utf8)
        let c = try PipelineConfig.load(path: cfg)
        let summary = try PipelineRunner.run(c)
        let r = try DatasetReport.compute(folder: c.out)
        XCTAssertEqual(r.name, "rep")
        XCTAssertEqual(r.splits.map(\.name), ["train", "val"])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: r.kept)["train"], summary.windows[0])
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: r.dropped), summary.dropped)
        // The input: 156 contigs, N50 125773 (seqkit stats -a on this file).
        XCTAssertEqual(r.inputs.first?.stats?.records, 156)
        XCTAssertEqual(r.inputs.first?.stats?.n50, 125773)
        for s in r.splits {
            let reader = try MDSReader(directory: c.out + "/" + s.name)
            var gc = [Int](repeating: 0, count: 20), nHist = [Int](repeating: 0, count: 20), gcSum = 0, acgtSum = 0, bases = 0
            for i in 0..<reader.sampleCount {
                guard case .u8(let t)? = try reader.sample(i)["tokens"] else { return XCTFail("tokens") }
                let g = t.filter { $0 == 6 || $0 == 7 }.count, acgt = t.filter { (5...8).contains($0) }.count, n = t.count - acgt
                gc[min(19, Int(Double(g) / Double(acgt) * 20))] += 1
                nHist[min(19, Int(Double(n) / Double(t.count) * 20))] += 1
                gcSum += g; acgtSum += acgt; bases += t.count
            }
            XCTAssertEqual(s.samples, reader.sampleCount)
            XCTAssertEqual(s.gc.counts, gc, s.name)
            XCTAssertEqual(s.nFraction.counts, nHist, s.name)
            XCTAssertEqual(s.meanGC, Double(gcSum) / Double(acgtSum), accuracy: 1e-12)
            XCTAssertEqual(s.tokenCounts, [2000: reader.sampleCount])
            let disk = reader.shards.reduce(0) { $0 + ($1.zipBytes ?? $1.rawBytes) }
            XCTAssertEqual(s.bitsPerBase, 8 * Double(disk) / Double(bases), accuracy: 1e-12)
        }
        let html = r.html
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg") && html.contains("GC of kept windows"))
        XCTAssertFalse(html.contains("<script"))
        // The only URL is the SVG namespace (no external resource).
        XCTAssertEqual(html.components(separatedBy: "http").count, html.components(separatedBy: "http://www.w3.org/2000/svg").count)
        // --json has the same numbers.
        let j = r.json
        XCTAssertEqual(try j.field("splits").asArray().first?.field("samples").asInt(), r.splits[0].samples)
    }
}
