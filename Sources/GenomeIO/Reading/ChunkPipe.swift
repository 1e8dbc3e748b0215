import Basics
import Dispatch

/// Reads an input on its own thread into a small pool of reused buffers, so that decompression
/// (or the page-cache copy) overlaps with parsing on the caller's thread.
final class ChunkPipe {
    struct Chunk: Sendable { let slot: Int; let count: Int; let offset: Int }
    enum Message: Sendable { case chunk(Chunk), end, failure(GenomeIOError) }

    private let buffers: [UnsafeMutableRawPointer]
    let chunkSize: Int
    private let full: BoundedQueue<Message>
    private let empty: BoundedQueue<Int>
    private let cancelled = CancelFlag()
    private let done = DispatchSemaphore(value: 0)
    private var finished = false
    let format: InputFormat
    /// Read by the reader thread until it ends; look at it only after `next()` returned nil.
    let input: CompressedInput

    init(input: CompressedInput, chunkSize: Int = 4 << 20, slots: Int = 4) {
        self.chunkSize = chunkSize
        self.format = input.format
        self.input = input
        buffers = (0..<slots).map { _ in UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 64) }
        full = BoundedQueue(capacity: slots + 1)
        empty = BoundedQueue(capacity: slots)
        for i in 0..<slots { empty.push(i) }
        let transfer = UnsafeTransfer(value: (input, buffers))
        let full = self.full, empty = self.empty, done = self.done
        let size = chunkSize
        let cancelled = self.cancelled
        spawnThread {
            let (input, buffers) = transfer.value
            defer { done.signal() }
            while true {
                let slot = empty.pop()
                if cancelled.flag.load(ordering: .acquiring) { full.push(.end); return }
                do {
                    let start = input.offset
                    let n = try input.read(into: buffers[slot], capacity: size)
                    if n == 0 { full.push(.end); return }
                    full.push(.chunk(Chunk(slot: slot, count: n, offset: start)))
                } catch let e as GenomeIOError {
                    full.push(.failure(e)); return
                } catch {
                    full.push(.failure(GenomeIOError(.io, "\(error)"))); return
                }
            }
        }
    }

    /// Next chunk (bytes valid until `recycle` is called for it), or nil at the end.
    func next() throws -> (UnsafeRawBufferPointer, Chunk)? {
        if finished { return nil }
        switch full.pop() {
        case .chunk(let c): return (UnsafeRawBufferPointer(start: buffers[c.slot], count: c.count), c)
        case .end: finished = true; return nil
        case .failure(let e): finished = true; throw e
        }
    }

    func recycle(_ c: Chunk) { empty.push(c.slot) }

    /// Stops the reader thread (if still running) and frees the buffers.
    func close() {
        cancelled.flag.store(true, ordering: .releasing)
        while !finished {
            switch full.pop() {
            case .chunk(let c): empty.push(c.slot)
            case .end, .failure: finished = true
            }
        }
        done.wait()
        for b in buffers { b.deallocate() }
    }
}
