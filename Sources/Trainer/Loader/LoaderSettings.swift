import Basics
import Shards

/// What a `Loader` reads and how.
public struct LoaderSettings: Sendable {
    /// A split folder (an MDS folder with index.json, inside a `genome-prep run` output) and its weight.
    public struct Source: Sendable, Equatable {
        public var path: String
        public var weight: Double
        public init(path: String, weight: Double = 1) { self.path = path; self.weight = weight }
    }
    public var sources: [Source]
    public var batchSize = 32
    /// Tokens per row: windows are cut or padded to it. Default: the dataset's tokens per window (set it
    /// for BPE and NT k-mers, whose windows vary).
    public var sequenceLength: Int? = nil
    public var seed: UInt64 = 0
    /// Samples in the shuffle buffer (1: no shuffling beyond the shard order).
    public var shuffleBuffer = 8192
    public var masking: MaskingStrategy = .bert
    public var maskingSettings = MaskingSettings()
    /// Batch slots: batches being built plus batches ready for the consumer. Bounds memory with `maxShards`.
    public var depth = 4
    /// Workers that decode and mask batches (a concurrent stage).
    public var workers = 2
    /// Workers that decompress shards.
    public var decompressWorkers = 1
    /// Decompressed shards held at most beyond the ones batches need now (prefetch).
    public var prefetchShards = 1
    /// Data-parallel slice: this loader yields the samples whose position in the epoch's order is
    /// `rank` modulo `world`; the `world` slices together are exactly one epoch.
    public var rank = 0
    public var world = 1
    /// Stop after this many epochs (nil: go on forever).
    public var epochs: Int? = nil

    public init(sources: [Source]) { self.sources = sources }
}

/// Where a loader is: enough to restore one that yields exactly the batches the uninterrupted one would
/// have (the order is recomputed from the seed, and the consumed samples are skipped).
public struct LoaderState: Sendable, Equatable {
    public var seed: UInt64
    public var epoch = 0
    /// Samples of this rank's slice already yielded in `epoch`.
    public var consumedInEpoch = 0
    /// Batches yielded so far, over all epochs (CM-STEP's step).
    public var batches = 0

    public init(seed: UInt64, epoch: Int = 0, consumedInEpoch: Int = 0, batches: Int = 0) {
        self.seed = seed; self.epoch = epoch; self.consumedInEpoch = consumedInEpoch; self.batches = batches
    }

    public var json: JSONValue {
        var o = JSONObject()
        o.add("seed", .string(String(seed)))   // a string: JSON readers lose UInt64 precision
        o.add("epoch", .int(epoch))
        o.add("consumed_in_epoch", .int(consumedInEpoch))
        o.add("batches", .int(batches))
        return .object(o)
    }

    public init(json v: JSONValue) throws {
        guard let seed = UInt64(try v.field("seed").asString()) else { throw JSONError("seed is not an unsigned 64-bit integer") }
        let e = try v.field("epoch").asInt(), c = try v.field("consumed_in_epoch").asInt(), b = try v.field("batches").asInt()
        guard e >= 0, c >= 0, b >= 0 else { throw JSONError("epoch, consumed_in_epoch and batches must not be negative") }
        self.init(seed: seed, epoch: e, consumedInEpoch: c, batches: b)
    }
}

/// Where a loader's time went: the consumer's wait for batches against its wall time (the stall
/// fraction), and each stage's busy time, so the limiting stage shows.
public struct LoaderStats: Sendable {
    public var wallSeconds = 0.0
    public var waitSeconds = 0.0
    public var batches = 0
    public var windows = 0
    public var tokens = 0
    public var readBusy = 0.0
    public var decompressBusy = 0.0
    public var decodeBusy = 0.0
    public var maskBusy = 0.0
    public var shardsLoaded = 0
    public var stallFraction: Double { wallSeconds > 0 ? waitSeconds / wallSeconds : 0 }
}
