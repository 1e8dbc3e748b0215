import Basics
import Foundation
import Pipeline
import TestSupport
@testable import Trainer
import XCTest

/// `train` with every masking strategy the BERT objective takes, on real shards: each runs, logs finite
/// losses and evaluates; CM-GEMS switches to Global-PMI when eval perplexity
/// plateaus and saves that in its checkpoint; mae and findna are refused with the reason.
final class TrainStrategiesTests: XCTestCase {
    func config(_ dir: URL, data: String, strategy: String, steps: Int = 6, extra: String = "") throws -> TrainConfig {
        let path = dir.appendingPathComponent("\(strategy).json").path
        try """
        {"version": 1, "name": "\(strategy)", "data": {"train": ["\(data)/train"], "val": "\(data)/val"},
         "model": {"layers": 1, "hidden": 16, "heads": 2, "intermediate": 32}, "batch": {"size": 4}, "steps": \(steps),
         "masking": {"strategy": "\(strategy)"\(extra)}, "optimizer": {"lr": 0.01}, "eval": {"interval": 2, "batches": 1},
         "out": "\(dir.appendingPathComponent("run-\(strategy)").path)"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try TrainConfig.load(path: path)
    }

    func losses(_ run: String) throws -> [Double] {
        try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n").compactMap { line in
            let v = try JSONValue.parse(Array(line.utf8))
            return try v.optionalField("loss")?.asDouble()
        }
    }

    func testEveryMaskedLMStrategyTrains() throws {
        let dir = tempDir("strategies")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (strategy, data) in [("bert", Fixtures.kmer), ("kspan", Fixtures.kmer), ("genemask", Fixtures.kmer), ("global-pmi", Fixtures.kmer),
                                 ("cm-step", Fixtures.kmer), ("had-group", Fixtures.char)] {
            let c = try config(dir, data: data, strategy: strategy)
            let s = try TrainRunner(config: c).run()
            let l = try losses(c.out)
            XCTAssertEqual(l.count, 6, strategy)
            XCTAssertTrue(l.allSatisfy { $0.isFinite && $0 > 0 }, "\(strategy): \(l)")
            XCTAssertNotNil(s.eval, strategy)
        }
    }

    func testCMGemsSwitchesOnPlateauAndCheckpointsIt() throws {
        let dir = tempDir("cmgems")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A threshold no change of perplexity stays above: the switch happens at the second eval (step 4).
        let c = try config(dir, data: Fixtures.kmer, strategy: "cm-gems", steps: 6, extra: ", \"threshold\": 1e9")
        _ = try TrainRunner(config: c).run()
        let state = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: c.out + "/checkpoints/step-00000006/state.json"))))
        let gems = try state.field("cm_gems")
        XCTAssertEqual(try gems.field("history").asArray().count, 3)
        XCTAssertEqual(try gems.field("hard_from_batch").asInt(), 4, "switched after the 4th batch (the second eval)")
    }

    /// A val split made with another tokenizer is refused before training, naming it (it trapped at the
    /// first eval).
    func testValSplitOfAnotherTokenizerIsRefused() throws {
        let dir = tempDir("valmix")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("mix.json").path
        try """
        {"version": 1, "name": "mix", "data": {"train": ["\(Fixtures.char)/train"], "val": "\(Fixtures.kmer)/val"},
         "model": {"layers": 1, "hidden": 16, "heads": 2, "intermediate": 32}, "batch": {"size": 4}, "steps": 2,
         "eval": {"interval": 1, "batches": 1}, "out": "\(dir.appendingPathComponent("run").path)"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainRunner(config: try TrainConfig.load(path: path)).run()) { e in
            XCTAssertTrue("\(e)".contains("val split's tokens differ") && "\(e)".contains(Fixtures.kmer + "/val"), "\(e)")
        }
    }

    func testObjectivesWithoutAModelAreRefused() throws {
        let dir = tempDir("refused")
        defer { try? FileManager.default.removeItem(at: dir) }
        for strategy in ["mae", "findna"] {
            XCTAssertThrowsError(try config(dir, data: Fixtures.char, strategy: strategy)) { e in
                XCTAssertTrue("\(e)".contains("needs its own model"), "\(e)")
            }
        }
    }
}

extension TrainStrategiesTests {
    /// A second trainer in a run folder that another one holds is refused (the lock is flock(2), so it
    /// never outlives a killed run).
    func testOneTrainerPerRunFolder() throws {
        let dir = tempDir("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try config(dir, data: Fixtures.char, strategy: "bert", steps: 2)
        try FileManager.default.createDirectory(atPath: c.out, withIntermediateDirectories: true)
        let fd = open(c.out + "/.lock", O_RDWR | O_CREAT, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        XCTAssertThrowsError(try TrainRunner(config: c).run()) { e in XCTAssertTrue("\(e)".contains("another `genome-prep train`"), "\(e)") }
        close(fd)
        XCTAssertNoThrow(try TrainRunner(config: c).run())
    }
}
