import XCTest
@testable import Trainer

final class EpochPlanTests: XCTestCase {
    func refs(_ p: inout EpochPlan) -> [SampleRef] {
        var out: [SampleRef] = []
        while let (r, _) = p.next() { out.append(r) }
        return out
    }

    /// One epoch holds every sample exactly once; the order depends on the seed and the epoch only.
    func testEveryEpochHoldsEverySampleOnceInASeededOrder() {
        let sizes = [7, 3, 12, 1, 9]
        var a = EpochPlan(sources: [PlanSource(shardSamples: sizes, weight: 1)], seed: 5, epoch: 0, bufferSize: 8)
        let e0 = refs(&a)
        XCTAssertEqual(e0.count, 32)
        XCTAssertEqual(Set(e0.map { "\($0.shard)/\($0.local)" }).count, 32)
        for s in sizes.indices { XCTAssertEqual(e0.filter { $0.shard == s }.map(\.local).sorted(), Array(0..<sizes[s])) }
        var again = EpochPlan(sources: [PlanSource(shardSamples: sizes, weight: 1)], seed: 5, epoch: 0, bufferSize: 8)
        XCTAssertEqual(refs(&again), e0)
        var e1 = EpochPlan(sources: [PlanSource(shardSamples: sizes, weight: 1)], seed: 5, epoch: 1, bufferSize: 8)
        let next = refs(&e1)
        XCTAssertNotEqual(next, e0, "reshuffled per epoch")
        XCTAssertEqual(Set(next.map { "\($0.shard)/\($0.local)" }), Set(e0.map { "\($0.shard)/\($0.local)" }))
        // Without a shuffle buffer, samples follow shard order inside each shard visit.
        var plain = EpochPlan(sources: [PlanSource(shardSamples: sizes, weight: 1)], seed: 5, epoch: 0, bufferSize: 1)
        let p = refs(&plain)
        for k in 1..<p.count where p[k].shard == p[k - 1].shard { XCTAssertEqual(p[k].local, p[k - 1].local + 1) }
    }

    /// Each visit is released exactly once, right after its last sample.
    func testVisitsAreReleasedAfterTheirLastSample() {
        var p = EpochPlan(sources: [PlanSource(shardSamples: [4, 5, 6], weight: 1)], seed: 1, epoch: 0, bufferSize: 6)
        var seen: [Int: Int] = [:], released: [Int] = []
        while let (r, rel) = p.next() {
            seen[r.visit, default: 0] += 1
            if let v = rel {
                XCTAssertEqual(v, r.visit)
                released.append(v)
                XCTAssertEqual(seen[v], [4, 5, 6][r.shard], "released after all its samples")
            }
        }
        XCTAssertEqual(released.sorted(), [0, 1, 2])
    }

    /// Weights 3:1 on equal sources: 3/4 of the epoch from the first, cycling through its shards again;
    /// the blend is even along the stream (greatest sampling error first).
    func testWeightedBlendTakesProportionsAndInterleaves() {
        let a = PlanSource(shardSamples: [10, 10], weight: 3), b = PlanSource(shardSamples: [10, 10], weight: 1)
        var p = EpochPlan(sources: [a, b], seed: 2, epoch: 0, bufferSize: 1)
        let r = refs(&p)
        XCTAssertEqual(r.count, 40)
        XCTAssertEqual(r.filter { $0.source == 0 }.count, 30)
        XCTAssertEqual(r.filter { $0.source == 1 }.count, 10)
        for k in stride(from: 0, to: 40, by: 4) { XCTAssertEqual(r[k..<(k + 4)].filter { $0.source == 1 }.count, 1, "one of every four") }
        // Source 0 took 30 of its 20 samples: all 20 once, then 10 again.
        let counts = Dictionary(grouping: r.filter { $0.source == 0 }, by: { "\($0.shard)/\($0.local)" }).mapValues(\.count)
        XCTAssertEqual(counts.count, 20)
        XCTAssertEqual(counts.values.filter { $0 == 2 }.count, 10)
    }
}
