import Dispatch
import Synchronization

/// One bounded stage of a pipeline on Dispatch: work items run on a serial queue (in submission order)
/// or a concurrent one, and at most `inFlight` are queued or running at once, so `submit` blocks a fast
/// producer instead of letting memory grow (back-pressure). The first error a work item throws is kept:
/// items still queued are then skipped, and the next `submit`, `checkFailure` or `finish` throws it.
///
/// The stage also meters itself: `busySeconds` is the time its work items ran, `blockedSeconds` the
/// time producers spent waiting in `submit` for a free slot (which stage limits a pipeline shows here).
public final class Stage: @unchecked Sendable {
    public let label: String
    public let inFlight: Int
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let failure = Locked<(any Error)?>(nil)
    private let busyNanos = Atomic<Int>(0)
    private let blockedNanos = Atomic<Int>(0)

    /// - Parameters:
    ///   - inFlight: how many items may be queued or running at once (at least 1).
    ///   - concurrent: run items in parallel on a concurrent queue (order of completion then varies;
    ///     results must be put in order by the caller); otherwise one at a time, in order.
    public init(label: String, inFlight: Int, concurrent: Bool = false) {
        precondition(inFlight > 0, "a stage needs at least one slot in flight, got \(inFlight)")
        self.label = label
        self.inFlight = inFlight
        queue = concurrent ? DispatchQueue(label: label, attributes: .concurrent) : DispatchQueue(label: label)
        slots = .slots(inFlight)
    }

    /// Queues `work`, first waiting for a free slot. Throws the stage's first failure, if any.
    public func submit(_ work: @escaping @Sendable () throws -> Void) throws {
        try checkFailure()
        let t0 = MonotonicClock.now()
        slots.wait()
        blockedNanos.add(Int((MonotonicClock.now() - t0) * 1e9), ordering: .relaxed)
        group.enter()
        queue.async { [self] in
            defer { slots.signal(); group.leave() }
            if failure.withLock({ $0 != nil }) { return }
            let s = MonotonicClock.now()
            do { try work() } catch { record(error) }
            busyNanos.add(Int((MonotonicClock.now() - s) * 1e9), ordering: .relaxed)
        }
    }

    /// Keeps `error` as the stage's failure unless one is already kept.
    public func record(_ error: any Error) {
        failure.withLock { if $0 == nil { $0 = error } }
    }

    public func checkFailure() throws {
        if let e = failure.withLock({ $0 }) { throw e }
    }

    /// Waits for every item submitted so far, then throws the first failure, if any.
    public func finish() throws {
        group.wait()
        try checkFailure()
    }

    /// Waits for every item submitted so far and ignores failures (a run stopping early lets the work
    /// in flight land).
    public func drain() { group.wait() }

    public var busySeconds: Double { Double(busyNanos.load(ordering: .relaxed)) / 1e9 }
    public var blockedSeconds: Double { Double(blockedNanos.load(ordering: .relaxed)) / 1e9 }
}
