import Basics
import Dispatch
import Shards

extension Loader {
    struct Row { var ref: SampleRef; var position: Int; var load: ShardLoad }

    func makePlan(epoch: Int) -> EpochPlan {
        EpochPlan(sources: zip(readers, settings.sources).map { PlanSource(shardSamples: $0.0.shards.map(\.samples), weight: $0.1.weight) },
                  seed: settings.seed, epoch: epoch, bufferSize: settings.shuffleBuffer)
    }

    /// Reads shard `shard` of `source` in the read stage, then decompresses it in the decompress stage.
    func startLoad(source: Int, shard: Int) -> ShardLoad {
        let load = ShardLoad()
        loadsStarted.add(1, ordering: .relaxed)
        do {
            try readStage.submit { [self] in
                let stored: MDSStoredShard
                do { stored = try readers[source].readStored(shard) } catch { load.fulfil(.failure(error)); return }
                do {
                    try decompressStage.submit { [self] in
                        let buffer = buffers.take()
                        do {
                            let view = try readers[source].decompress(stored, into: buffer)
                            load.fulfil(.success(ShardHandle(view: view, pool: buffers)))
                        } catch {
                            buffers.put(buffer)
                            load.fulfil(.failure(error))
                        }
                    }
                } catch { load.fulfil(.failure(error)) }
            }
        } catch { load.fulfil(.failure(error)) }
        return load
    }

    /// The planner thread: walks the epochs' order from `start`, loads shards and submits batches.
    func plan(from start: LoaderState) {
        var epoch = start.epoch
        var plan = makePlan(epoch: epoch)
        var skip = start.consumedInEpoch
        var mine = 0           // this rank's samples of the epoch so far (skipped ones included)
        var position = 0       // position in the epoch's order (all ranks)
        var seq = start.batches
        var loads: [Int: ShardLoad] = [:]
        var opened = 0
        var done = settings.epochs.map { epoch >= $0 } ?? false
        var rows: [Row] = []
        rows.reserveCapacity(settings.batchSize)
        let world = settings.world, rank = settings.rank
        while !cancelled.flag.load(ordering: .acquiring) {
            let slot = slots[(seq - start.batches) % slots.count]
            slot.free.wait()
            if cancelled.flag.load(ordering: .acquiring) { return }
            rows.removeAll(keepingCapacity: true)
            var batchEpoch = epoch
            while !done && rows.count < settings.batchSize {
                guard let (ref, released) = plan.next() else {
                    epoch += 1
                    plan = makePlan(epoch: epoch)
                    mine = 0; position = 0; skip = 0; opened = 0
                    loads.removeAll()
                    if let limit = settings.epochs, epoch >= limit { done = true }
                    if !rows.isEmpty { break }   // batches never span two epochs
                    continue
                }
                let p = position
                position += 1
                if p % world == rank {
                    mine += 1
                    if skip > 0 { skip -= 1 } else {
                        let load = loads[ref.visit] ?? { let l = startLoad(source: ref.source, shard: ref.shard); loads[ref.visit] = l; return l }()
                        if rows.isEmpty { batchEpoch = epoch }
                        rows.append(Row(ref: ref, position: p, load: load))
                    }
                }
                if let v = released { loads[v] = nil }
                // Prefetch: a shard whose first sample entered the shuffle buffer will be needed soon.
                while opened < plan.visitsOpened {
                    let v = opened
                    opened += 1
                    if loads[v] == nil, skip == 0, loads.count < settings.prefetchShards + 2, let o = plan.opened[v] {
                        loads[v] = startLoad(source: o.source, shard: o.shard)
                    }
                }
            }
            if rows.isEmpty {
                slot.outcome = .end
                slot.ready.signal()
                return
            }
            // Wait (on this thread, never in a Dispatch worker) for the shards this batch reads.
            var handles: [Int: ShardHandle] = [:]
            for r in rows where handles[r.ref.visit] == nil {
                switch r.load.wait() {
                case .success(let h): handles[r.ref.visit] = h
                case .failure(let e):
                    slot.outcome = .failure(e)
                    slot.ready.signal()
                    return
                }
            }
            // Where a loader restored after this batch starts: the next epoch when this batch ended one.
            let after = LoaderState(seed: settings.seed, epoch: epoch, consumedInEpoch: batchEpoch == epoch ? mine : 0, batches: seq + 1)
            let job = UnsafeTransfer(value: (rows, handles))
            let index = seq, slotIndex = (seq - start.batches) % slots.count, rowsEpoch = batchEpoch
            do {
                try buildStage.submit { [self] in
                    let (rows, handles) = job.value
                    do {
                        try build(slot.batch, rows: rows, handles: handles, index: index, epoch: rowsEpoch)
                        slot.batch.slot = slotIndex
                        slot.outcome = .batch(after)
                    } catch {
                        slot.outcome = .failure(error)
                    }
                    slot.ready.signal()
                }
            } catch {
                slot.outcome = .failure(error)
                slot.ready.signal()
                return
            }
            seq += 1
        }
    }
}
