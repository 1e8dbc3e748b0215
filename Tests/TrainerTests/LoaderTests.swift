import Foundation
import XCTest
import Basics
import Shards
import TestSupport
@testable import Trainer

final class LoaderTests: XCTestCase {
    /// The same seed gives the same batches whatever the worker counts and depth.
    func testBatchesDoNotDependOnWorkersOrDepth() throws {
        var s = Fixtures.settings(Fixtures.char)
        s.epochs = 2
        s.workers = 1; s.decompressWorkers = 1; s.depth = 1
        let want = try Fixtures.collect(s, batches: 1000).digests
        XCTAssertGreaterThan(want.count, 40)
        for (w, d, dw) in [(2, 4, 1), (4, 7, 3), (3, 2, 2)] {
            s.workers = w; s.depth = d; s.decompressWorkers = dw
            XCTAssertEqual(try Fixtures.collect(s, batches: 1000).digests, want, "workers \(w) depth \(d) decompress \(dw)")
        }
        // Another seed gives another order.
        s.seed = 8
        XCTAssertNotEqual(try Fixtures.collect(s, batches: 1000).digests, want)
    }

    /// Two epochs: each is every train sample once, batches never span epochs, the order is reshuffled.
    func testEpochsCoverTheSplitAndBatchesStopAtTheLimit() throws {
        var s = Fixtures.settings(Fixtures.char, batch: 16)
        s.epochs = 2
        let l = try Loader(s)
        var perEpoch: [[Int]] = [[], []]
        while let b = try l.next() { perEpoch[b.epoch] += b.sample[0..<b.rows] }
        let n = try MDSReader(directory: Fixtures.char + "/train").sampleCount
        XCTAssertEqual(perEpoch[0].sorted(), Array(0..<n))
        XCTAssertEqual(perEpoch[1].sorted(), Array(0..<n))
        XCTAssertNotEqual(perEpoch[0], perEpoch[1])
        XCTAssertNil(try l.next())
    }

    /// Rank r of world w: disjoint slices that together are exactly one epoch.
    func testRankSlicesAreDisjointAndMakeOneEpoch() throws {
        var all: [Int] = []
        for r in 0..<3 {
            var s = Fixtures.settings(Fixtures.char)
            s.epochs = 1; s.rank = r; s.world = 3
            let l = try Loader(s)
            while let b = try l.next() { all += b.sample[0..<b.rows] }
        }
        XCTAssertEqual(all.sorted(), Array(0..<(try MDSReader(directory: Fixtures.char + "/train").sampleCount)))
    }

    /// A loader restored from the state saved after batch k yields exactly what the uninterrupted one
    /// yields after k, at several points mid-epoch and across epochs, for a masking strategy per family.
    func testResumeGivesExactlyTheUninterruptedBatches() throws {
        for (dir, m) in [(Fixtures.char, MaskingStrategy.bert), (Fixtures.kmer, .cmStep), (Fixtures.char, .hadGroup)] {
            var s = Fixtures.settings(dir, m, batch: 8)
            s.epochs = 3
            s.maskingSettings.totalSteps = 100
            let (want, states) = try Fixtures.collect(s, batches: 10_000)
            XCTAssertGreaterThan(want.count, 30)
            for k in [1, 5, want.count / 3, want.count / 2 + 1, want.count - 2] {
                let got = try Fixtures.collect(s, from: states[k - 1], batches: 10_000).digests
                XCTAssertEqual(got.count, want.count - k, "\(m) after batch \(k)")
                XCTAssertTrue(got == Array(want[k...]), "\(m): resumed after batch \(k) differs")
            }
            // The state survives a JSON round trip (as it is saved in checkpoints).
            let st = states[7]
            XCTAssertEqual(try LoaderState(json: try JSONValue.parse(Array(st.json.render().utf8))), st)
        }
    }

    /// Two folders mixed 3:1: three quarters of the windows come from the first.
    func testWeightedSourcesMix() throws {
        var s = LoaderSettings(sources: [.init(path: Fixtures.char + "/train", weight: 3), .init(path: Fixtures.char + "/val", weight: 1)])
        s.batchSize = 10; s.epochs = 1
        let l = try Loader(s)
        var counts = [0, 0]
        while let b = try l.next() { for r in 0..<b.rows { counts[Int(b.source[r])] += 1 } }
        let total = counts[0] + counts[1]
        XCTAssertEqual(Double(counts[0]) / Double(total), 0.75, accuracy: 0.01)
    }

    /// A shard damaged mid-run: the consumer gets an error naming the shard file, at every worker count,
    /// and nothing hangs (the planner thread has stopped when close returns).
    func testCorruptedShardMidRunIsAnErrorNamingTheShard() throws {
        let copy = tempDir("gp-corrupt")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(atPath: Fixtures.char + "/train", toPath: copy.appendingPathComponent("train").path)
        try FileManager.default.copyItem(atPath: Fixtures.char + "/genomeprep.json", toPath: copy.appendingPathComponent("genomeprep.json").path)
        let victim = copy.appendingPathComponent("train/shard.00007.mds.zstd")
        var bytes = Array(try Data(contentsOf: victim))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: victim)
        for workers in [1, 2, 4] {
            var s = Fixtures.settings(copy.path, batch: 4)
            s.workers = workers; s.decompressWorkers = workers; s.epochs = 1; s.shuffleBuffer = 1
            let l = try Loader(s)
            var got = 0
            XCTAssertThrowsError(try { while try l.next() != nil { got += 1 } }()) { e in
                XCTAssertTrue("\(e)".contains("shard.00007.mds.zstd") && "\(e)".contains("corrupted"), "got: \(e)")
            }
            XCTAssertGreaterThan(got, 0, "batches before the damaged shard arrive")
            l.close()
            XCTAssertTrue(l.stopped)
            XCTAssertNil(try l.next())
        }
        // A missing shard is named too.
        try FileManager.default.removeItem(at: victim)
        let l = try Loader(Fixtures.settings(copy.path, batch: 4))
        XCTAssertThrowsError(try { while try l.next() != nil {} }()) { e in
            XCTAssertTrue("\(e)".contains("shard.00007.mds.zstd") && "\(e)".contains("missing"), "\(e)")
        }
    }

    /// An undecodable sample (here a token id outside the vocabulary, in shards without hashes so that no
    /// earlier check catches it) reaches the consumer as an error naming the shard file and the sample.
    func testUndecodableSampleIsAnErrorNamingShardAndSample() throws {
        let root = tempDir("gp-badsample")
        defer { try? FileManager.default.removeItem(at: root) }
        let train = root.appendingPathComponent("train").path
        let w = try MDSWriter(directory: train, columns: [MDSWriter.Column("tokens", MDSEncoding.ndarrayUInt8.fixed(100))],
                              zstdLevel: nil, hashes: [], sizeLimit: 2_000)
        for i in 0..<60 { try w.write([.u8((0..<100).map { UInt8(5 + ($0 + i) % 4) })]) }
        try w.finish()
        try FileManager.default.copyItem(atPath: Fixtures.char + "/genomeprep.json", toPath: root.appendingPathComponent("genomeprep.json").path)
        let reader = try MDSReader(directory: train)
        let shard1 = URL(fileURLWithPath: train + "/shard.00001.mds")
        var bytes = Array(try Data(contentsOf: shard1))
        bytes[bytes.count - 1] = 200   // the last token of the shard's last sample
        try Data(bytes).write(to: shard1)
        let sample = reader.firstSample[1] + reader.shards[1].samples - 1
        for workers in [1, 3] {
            var s = Fixtures.settings(root.path, batch: 4)
            s.workers = workers; s.epochs = 1; s.shuffleBuffer = 1
            let l = try Loader(s)
            XCTAssertThrowsError(try { while try l.next() != nil {} }()) { e in
                XCTAssertTrue("\(e)".hasPrefix(train + "/shard.00001.mds: shard 1, sample \(sample): token id 200 at position 99 is outside the vocabulary (10)"), "\(e)")
            }
            l.close()
            XCTAssertTrue(l.stopped)
        }
    }

    /// Settings a dataset cannot serve are refused, naming the folder.
    func testStrategiesTheShardsCannotServeAreRefused() throws {
        XCTAssertThrowsError(try Loader(Fixtures.settings(Fixtures.char, .genemask))) { e in
            XCTAssertTrue("\(e)".contains(Fixtures.char + "/train") && "\(e)".contains("pmi_rank"), "\(e)")
        }
        XCTAssertThrowsError(try Loader(Fixtures.settings(Fixtures.kmer, .hadGroup))) { e in
            XCTAssertTrue("\(e)".contains("single-nucleotide"), "\(e)")
        }
        var s = Fixtures.settings(Fixtures.char)
        s.workers = 0
        XCTAssertThrowsError(try Loader(s))
    }

    /// Decoded tokens are the shards' own (through the tools' reader, an independent path).
    func testRowsHoldTheShardSamples() throws {
        var s = Fixtures.settings(Fixtures.kmer, .globalPMI, batch: 8)
        s.epochs = 1
        let l = try Loader(s)
        let r = try MDSReader(directory: Fixtures.kmer + "/train")
        while let b = try l.next() {
            for row in 0..<b.rows {
                guard case .u16(let t)? = try r.sample(b.sample[row])["tokens"], case .u16(let ranks)? = try r.sample(b.sample[row])["pmi_rank"] else { return XCTFail() }
                XCTAssertEqual(b.tokens[(row * b.length)..<(row * b.length + t.count)].map { Int($0) }, t.map { Int($0) })
                XCTAssertEqual(b.ranks[(row * b.length)..<(row * b.length + t.count)].map { $0 }, ranks)
            }
        }
    }
}
