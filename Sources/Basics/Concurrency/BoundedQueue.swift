import Dispatch
import Synchronization

/// Moves a value that is not Sendable to another thread exactly once; the sender must not touch it again.
public struct UnsafeTransfer<V>: @unchecked Sendable {
    public var value: V
    public init(value: V) { self.value = value }
}

/// A fixed-capacity FIFO between two threads: `push` blocks while full, `pop` blocks while empty.
/// This is the back-pressure primitive of the pipelines (no item is ever dropped).
public final class BoundedQueue<T: Sendable>: Sendable {
    private let items = Locked<[T?]>([])
    private let filled: DispatchSemaphore
    private let free: DispatchSemaphore

    public init(capacity: Int) {
        precondition(capacity > 0, "queue capacity must be positive, got \(capacity)")
        filled = DispatchSemaphore(value: 0)
        free = .slots(capacity)
    }

    public func push(_ item: T) {
        free.wait()
        items.withLock { $0.append(item) }
        filled.signal()
    }

    public func pop() -> T {
        filled.wait()
        let item: T = items.withLock { q in
            let x = q.removeFirst()!
            return x
        }
        free.signal()
        return item
    }
}

/// A flag one thread sets and another reads.
public final class CancelFlag: Sendable {
    public let flag = Atomic<Bool>(false)
    public init() {}
}

extension DispatchSemaphore {
    /// A semaphore holding `count` free slots. It starts at 0 and is signalled up: libdispatch traps when a
    /// semaphore is freed with a value below the one it was created with, which a slot semaphore is
    /// whenever work is still in flight at teardown.
    public static func slots(_ count: Int) -> DispatchSemaphore {
        let s = DispatchSemaphore(value: 0)
        for _ in 0..<count { s.signal() }
        return s
    }
}
