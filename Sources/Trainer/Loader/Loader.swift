import Basics
import Dispatch
import Shards
import Synchronization

/// Errors of the trainer: what, where (a file, a key), and what to do.
public struct TrainerError: GenomePrepError {
    public var message: String
    public var location: InputLocation?
    public var hint: String?
    public var kindName: String { "trainer" }
    public init(_ message: String, path: String? = nil, key: String? = nil, hint: String? = nil) {
        self.message = message; self.location = path.map { InputLocation(path: $0, key: key) }; self.hint = hint
    }
}

/// Streams batches out of MDS shard folders for training, in four bounded stages:
///
/// 1. read: a serial ``Stage`` reads each shard file and checks its size and hashes;
/// 2. decompress: a concurrent ``Stage`` (`decompressWorkers`) decompresses it into a recycled buffer;
/// 3. build: a concurrent ``Stage`` (`workers`) decodes each batch's samples as views into the
///    decompressed shards (no dictionary or array per sample) and masks them (timed separately);
/// 4. hand-off: `depth` batch slots, filled in order and returned to the consumer in order.
///
/// A planner thread walks the epoch's order (``EpochPlan``), starts shard loads (a shard is loaded when
/// its first sample enters the shuffle buffer, up to `prefetchShards` ahead, else on demand) and submits
/// batches. Every hand-off blocks its producer when full, so memory is bounded by the settings (batch
/// slots, the shuffle buffer's open shards, the prefetch), not by the dataset. The batches depend only on
/// the seed and the settings that shape the order (sources, weights, batch size, shuffle buffer, rank and
/// world), never on `workers`, `decompressWorkers`, `depth` or timing. Errors in any stage reach the
/// consumer as an error naming the shard file and sample; the loader then stops every stage.
public final class Loader: @unchecked Sendable {
    public let settings: LoaderSettings
    /// The dataset description (the same for every source; checked).
    public let info: DatasetInfo
    /// Tokens per row.
    public let length: Int
    let readers: [MDSReader]
    let tokenColumn: [Int]
    let rankColumn: [Int?]
    let specialIDs: [Int]
    /// When the specials are exactly the ids 0...k (char and DNABERT k-mer vocabularies), k: a row whose
    /// smallest id is above it holds no special. Otherwise Int.max (rows are always checked).
    let maxSpecialBelow: Int

    let readStage: Stage
    let decompressStage: Stage
    let buildStage: Stage
    let slots: [Slot]
    let buffers = BufferPool()
    let maskers: Locked<[Masker]>
    let views: Locked<[FinDNAViews]>
    let maskerTemplate: Masker
    let viewsTemplate: FinDNAViews?
    let cancelled = CancelFlag()
    let producerDone = DispatchSemaphore(value: 0)
    let producerExited = Atomic<Bool>(false)
    let decodeNanos = Atomic<Int>(0)
    let maskNanos = Atomic<Int>(0)
    let loadsStarted = Atomic<Int>(0)
    /// CM-GEMS: the batch index from which Global-PMI applies (nil: not switched); set by the trainer.
    let gemsHardFrom = Locked<Int?>(nil)

    // Consumer side (one thread).
    public private(set) var state: LoaderState
    var current: Batch?
    var finished = false
    var started: Double?
    var waitSeconds = 0.0
    var consumedWindows = 0
    var consumedTokens = 0
    var consumedBatches = 0

    final class Slot: @unchecked Sendable {
        enum Outcome { case batch(LoaderState), end, failure(any Error) }
        let batch: Batch
        var outcome: Outcome = .end
        let ready = DispatchSemaphore(value: 0)
        let free = DispatchSemaphore.slots(1)
        init(batch: Batch) { self.batch = batch }
    }

    /// Decompressed-shard buffers, recycled.
    final class BufferPool: Sendable {
        let free = Locked<[MDSShardBuffer]>([])
        func take() -> MDSShardBuffer { free.withLock { $0.popLast() } ?? MDSShardBuffer() }
        func put(_ b: MDSShardBuffer) { free.withLock { $0.append(b) } }
    }

    /// A decompressed shard; its buffer goes back to the pool when the last batch using it is done.
    final class ShardHandle: @unchecked Sendable {
        let view: MDSShardView
        let pool: BufferPool
        init(view: MDSShardView, pool: BufferPool) { self.view = view; self.pool = pool }
        deinit { pool.put(view.buffer) }
    }

    /// A shard load in flight: fulfilled once, waited for by the planner thread only.
    final class ShardLoad: @unchecked Sendable {
        let group = DispatchGroup()
        var result: Result<ShardHandle, any Error>?
        init() { group.enter() }
        func fulfil(_ r: Result<ShardHandle, any Error>) { result = r; group.leave() }
        func wait() -> Result<ShardHandle, any Error> { group.wait(); return result! }
    }

    /// Opens the sources and starts the stages.
    /// - Parameter state: where to resume (from a checkpoint); nil starts at epoch 0.
    public init(_ settings: LoaderSettings, resumeFrom state: LoaderState? = nil) throws {
        guard !settings.sources.isEmpty else { throw TrainerError("no shard folder given") }
        guard settings.batchSize > 0, settings.batchSize <= 1 << 20 else { throw TrainerError("batch size \(settings.batchSize) must be 1...\(1 << 20)") }
        guard settings.depth > 0, settings.depth <= 1024, settings.workers > 0, settings.workers <= 256,
              settings.decompressWorkers > 0, settings.decompressWorkers <= 256, settings.prefetchShards >= 0 else {
            throw TrainerError("depth, workers and decompress workers must be 1 or more (got \(settings.depth), \(settings.workers), \(settings.decompressWorkers))")
        }
        guard settings.world >= 1, settings.rank >= 0, settings.rank < settings.world else {
            throw TrainerError("rank \(settings.rank) of world \(settings.world): need 0 <= rank < world")
        }
        guard settings.shuffleBuffer >= 1, settings.shuffleBuffer <= 1 << 28 else { throw TrainerError("shuffle buffer \(settings.shuffleBuffer) must be 1...\(1 << 28) samples") }
        if let s = state, s.seed != settings.seed {
            throw TrainerError("the saved loader state was made with seed \(s.seed), these settings have \(settings.seed)")
        }
        self.settings = settings
        var infos: [DatasetInfo] = []
        var readers: [MDSReader] = []
        for s in settings.sources {
            guard s.weight > 0, s.weight.isFinite else { throw TrainerError("weight \(s.weight) must be positive", path: s.path) }
            infos.append(try DatasetInfo.load(folder: s.path))
            readers.append(try MDSReader(directory: s.path))
        }
        let info = infos[0]
        for (i, other) in infos.enumerated().dropFirst() where other.vocabSize != info.vocabSize || other.tokenizer != info.tokenizer || other.specialIDs != info.specialIDs {
            throw TrainerError("this source's tokens differ from \(settings.sources[0].path)'s (\(other.tokenizer), vocab \(other.vocabSize) vs \(info.tokenizer), vocab \(info.vocabSize))",
                               path: settings.sources[i].path, hint: "mix only datasets made with the same tokenizer")
        }
        self.info = info
        guard let len = settings.sequenceLength ?? info.tokensPerWindow else {
            throw TrainerError("windows of this dataset vary in token count (\(info.tokenizer)): set the sequence length", path: settings.sources[0].path)
        }
        guard len > 0, len <= 1 << 20 else { throw TrainerError("sequence length \(len) must be 1...\(1 << 20)") }
        length = len
        let m = settings.masking
        if m.needsPMIRank {
            for (i, x) in infos.enumerated() where !x.hasPMIRank {
                throw TrainerError("\(m.rawValue) masking reads the pmi_rank column, which these shards lack", path: settings.sources[i].path,
                                   hint: "make the shards with a `pmi` section in the pipeline (see pipelines/ecoli-kmer6-pmi.json)")
            }
        }
        if m.needsBaseTokens && info.baseIDs == nil {
            throw TrainerError("\(m.rawValue) masking works on single-nucleotide tokens; these shards hold \(info.tokenizer) tokens", path: settings.sources[0].path)
        }
        guard let maskID = info.specialIDs.mask else {
            throw TrainerError("the vocabulary has no mask token", path: settings.sources[0].path)
        }
        var tokenColumn: [Int] = [], rankColumn: [Int?] = []
        for (i, r) in readers.enumerated() {
            guard let first = r.shards.first else { throw TrainerError("the dataset holds no shards", path: settings.sources[i].path) }
            guard let t = first.columnNames.firstIndex(of: info.tokenColumn) else {
                throw TrainerError("no '\(info.tokenColumn)' column", path: settings.sources[i].path + "/index.json")
            }
            for s in r.shards where s.columnNames != first.columnNames {
                throw TrainerError("shards of this folder have different columns", path: settings.sources[i].path + "/index.json")
            }
            tokenColumn.append(t)
            rankColumn.append(m.needsPMIRank ? first.columnNames.firstIndex(of: "pmi_rank") : nil)
        }
        self.readers = readers
        self.tokenColumn = tokenColumn
        self.rankColumn = rankColumn
        let s = info.specialIDs
        specialIDs = [s.pad, s.unk, s.cls, s.sep, s.mask].compactMap { $0 }
        let k = specialIDs.max() ?? -1
        maxSpecialBelow = Set(specialIDs) == Set(0...max(k, 0)) && k >= 0 ? k : Int.max
        let masker = Masker(settings: settings.maskingSettings, vocabSize: info.vocabSize, maskID: maskID,
                            padID: s.pad ?? 0, specialIDs: specialIDs, length: len)
        maskers = Locked((0..<settings.workers).map { _ in masker.copy() })
        maskerTemplate = masker
        var viewRows = 0
        if m == .findna, let b = info.baseIDs {
            let v = FinDNAViews(settings: settings.maskingSettings.findna, length: len, baseIDs: (b.a, b.c, b.g, b.t, b.n), vocabSize: info.vocabSize)
            views = Locked(Array(repeating: v, count: settings.workers))
            viewsTemplate = v
            viewRows = v.viewRows
        } else {
            views = Locked([])
            viewsTemplate = nil
        }
        readStage = Stage(label: "genomeprep.loader.read", inFlight: 4)
        decompressStage = Stage(label: "genomeprep.loader.decompress", inFlight: settings.decompressWorkers, concurrent: true)
        buildStage = Stage(label: "genomeprep.loader.build", inFlight: settings.workers, concurrent: true)
        slots = (0..<settings.depth).map { _ in Slot(batch: Batch(capacity: settings.batchSize, length: len, viewRows: viewRows)) }
        self.state = state ?? LoaderState(seed: settings.seed)
        let start = self.state
        spawnThread { [self] in
            plan(from: start)
            producerExited.store(true, ordering: .releasing)
            producerDone.signal()
        }
    }

    deinit { close() }

    /// The next batch (valid until the next call), or nil after the last epoch. Throws the first error of
    /// any stage, naming the shard file and sample.
    public func next() throws -> Batch? {
        if started == nil { started = MonotonicClock.now() }
        if let c = current { slots[c.slot].free.signal(); current = nil }
        if finished { return nil }
        let slot = slots[consumedBatches % slots.count]
        let t0 = MonotonicClock.now()
        slot.ready.wait()
        waitSeconds += MonotonicClock.now() - t0
        switch slot.outcome {
        case .batch(let after):
            let b = slot.batch
            if settings.masking == .cmGems, b.strategy == .genemask, let from = gemsHardFrom.withLock({ $0 }), b.index >= from {
                // Built before the switch reached the builders: masked again here with the new policy.
                mask(b, as: .globalPMI)
            }
            current = b
            state = after
            consumedBatches += 1
            consumedWindows += b.rows
            consumedTokens += b.tokenCount
            return b
        case .end:
            finished = true
            return nil
        case .failure(let e):
            finished = true
            close()
            throw e
        }
    }

    /// CM-GEMS: use Global-PMI from batch `index` on (the trainer calls this when its curriculum switches).
    public func switchToHard(fromBatch index: Int) {
        gemsHardFrom.withLock { if $0 == nil || $0! > index { $0 = index } }
    }

    public var stats: LoaderStats {
        var s = LoaderStats()
        s.wallSeconds = started.map { MonotonicClock.now() - $0 } ?? 0
        s.waitSeconds = waitSeconds
        s.batches = consumedBatches
        s.windows = consumedWindows
        s.tokens = consumedTokens
        s.readBusy = readStage.busySeconds
        s.decompressBusy = decompressStage.busySeconds
        s.decodeBusy = Double(decodeNanos.load(ordering: .relaxed)) / 1e9
        s.maskBusy = Double(maskNanos.load(ordering: .relaxed)) / 1e9
        s.shardsLoaded = loadsStarted.load(ordering: .relaxed)
        return s
    }

    /// Stops every stage and waits for them (called on error, by deinit, or by the user to stop early).
    public func close() {
        if cancelled.flag.exchange(true, ordering: .acquiringAndReleasing) { return }
        for s in slots { s.free.signal() }
        producerDone.wait()
        buildStage.drain()
        readStage.drain()
        decompressStage.drain()
        current = nil
        finished = true
    }

    /// Whether the planner thread has stopped (for tests: no thread is left behind after close).
    public var stopped: Bool { producerExited.load(ordering: .acquiring) }
}
