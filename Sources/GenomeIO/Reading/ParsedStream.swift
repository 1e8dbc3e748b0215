import Basics
import Dispatch

/// One batch of parser output: codes of one or more records plus the events that frame them.
/// Batches are reused (a fixed pool), so steady-state parsing allocates nothing per chunk.
final class EventBatch: @unchecked Sendable {
    enum Event {
        case begin(name: String, index: Int, location: InputLocation)
        case bases(offset: Int, count: Int)
        case end(name: String, length: Int, location: InputLocation)
        case composition(n: Int, lower: Int)
    }
    let codes: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0
    var events: [Event] = []
    init(capacity: Int) { self.capacity = capacity; codes = .allocate(capacity: capacity) }
    deinit { codes.deallocate() }
    func reset() { count = 0; events.removeAll(keepingCapacity: true) }
}

/// A FastaSink that records events into batches and ships full batches to another thread.
struct BatchingSink: FastaSink {
    let full: BoundedQueue<ParsedStream.Message>
    let free: BoundedQueue<Int>
    let batches: [EventBatch]
    var current: Int

    mutating func ship() {
        full.push(.batch(current))
        current = free.pop()
        batches[current].reset()
    }

    mutating func beginRecord(name: String, index: Int, location: InputLocation) throws -> Bool {
        let b = batches[current]
        if b.events.count > 4096 { ship() }
        batches[current].events.append(.begin(name: name, index: index, location: location))
        return true
    }

    mutating func bases(_ codes: UnsafeBufferPointer<UInt8>) throws {
        var src = codes.baseAddress!
        var left = codes.count
        while left > 0 {
            var b = batches[current]
            if b.count == b.capacity { ship(); b = batches[current] }
            let n = min(left, b.capacity - b.count)
            (b.codes + b.count).update(from: src, count: n)
            b.events.append(.bases(offset: b.count, count: n))
            b.count += n
            src += n; left -= n
        }
    }

    mutating func endRecord(name: String, length: Int, location: InputLocation) throws {
        batches[current].events.append(.end(name: name, length: length, location: location))
    }

    mutating func composition(n: Int, lower: Int) {
        batches[current].events.append(.composition(n: n, lower: lower))
    }
}

/// Three-stage reading: a thread decompresses/reads (``ChunkPipe``), a second parses and encodes
/// into event batches, and the caller's thread consumes them. Bounded queues between every stage.
final class ParsedStream {
    enum Message: Sendable { case batch(Int), end(FastaScanStats), failure(GenomeIOError) }
    private let batches: [EventBatch]
    private let full: BoundedQueue<Message>
    private let free: BoundedQueue<Int>
    private let done = DispatchSemaphore(value: 0)
    private let cancelled = CancelFlag()
    private var finished = false

    init(input: CompressedInput, path: String, chunkSize: Int, invalidBytes: InvalidBytePolicy, slots: Int = 4) {
        batches = (0..<slots).map { _ in EventBatch(capacity: chunkSize) }
        full = BoundedQueue(capacity: slots + 1)
        free = BoundedQueue(capacity: slots)
        for i in 1..<slots { free.push(i) }
        let transfer = UnsafeTransfer(value: input)
        let (full, free, batches, done, cancelled) = (self.full, self.free, self.batches, self.done, self.cancelled)
        spawnThread {
            defer { done.signal() }
            let input = transfer.value
            let pipe = ChunkPipe(input: input, chunkSize: chunkSize)
            defer { pipe.close() }
            var parser = FastaParser(path: path, codeCapacity: chunkSize, invalidBytes: invalidBytes)
            defer { parser.deallocate() }
            var sink = BatchingSink(full: full, free: free, batches: batches, current: 0)
            do {
                while let (bytes, chunk) = try pipe.next() {
                    defer { pipe.recycle(chunk) }
                    if cancelled.flag.load(ordering: .acquiring) { break }
                    try parser.consume(bytes, at: chunk.offset, sink: &sink)
                }
                if !cancelled.flag.load(ordering: .acquiring) { try parser.finish(sink: &sink) }
                full.push(.batch(sink.current))
                var stats = FastaScanStats()
                stats.format = pipe.format
                stats.records = parser.records
                stats.bases = parser.totalBases
                stats.bytes = parser.totalBytes
                stats.fingerprint = InputFingerprint(path: path, pipe.input.rawFingerprint)
                full.push(.end(stats))
            } catch let e as GenomeIOError {
                full.push(.batch(sink.current))   // events before the error are still delivered
                full.push(.failure(e))
            } catch {
                full.push(.batch(sink.current))
                full.push(.failure(GenomeIOError(.io, "\(error)")))
            }
        }
    }

    /// Replays everything into `sink` on the caller's thread.
    func drain<S: FastaSink>(into sink: inout S) throws -> FastaScanStats {
        var include = true
        while true {
            switch full.pop() {
            case .batch(let i):
                let b = batches[i]
                defer { b.reset(); free.push(i) }
                for e in b.events {
                    switch e {
                    case .begin(let name, let index, let loc):
                        include = try sink.beginRecord(name: name, index: index, location: loc)
                    case .bases(let off, let n):
                        if include { try sink.bases(UnsafeBufferPointer(start: b.codes + off, count: n)) }
                    case .end(let name, let length, let loc):
                        if include { try sink.endRecord(name: name, length: length, location: loc) }
                    case .composition(let n, let lower):
                        if include { sink.composition(n: n, lower: lower) }
                    }
                }
            case .end(let stats):
                finished = true
                return stats
            case .failure(let e):
                finished = true
                throw e
            }
        }
    }

    /// Stops the worker (when the consumer failed early) and waits for it.
    func close() {
        cancelled.flag.store(true, ordering: .releasing)
        while !finished {
            switch full.pop() {
            case .batch(let i): batches[i].reset(); free.push(i)
            case .end, .failure: finished = true
            }
        }
        done.wait()
    }
}
