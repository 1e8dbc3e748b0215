import Glibc

/// A value behind a pthread mutex. Used instead of `Synchronization.Mutex` where threads share state,
/// because ThreadSanitizer understands pthread mutexes (Mutex's futex calls are invisible to it, so
/// every access under it was reported as a race and real ones would hide among them).
public final class Locked<T>: @unchecked Sendable {
    private var value: T
    private var mutex = pthread_mutex_t()

    public init(_ value: T) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }
    deinit { pthread_mutex_destroy(&mutex) }

    @inline(__always)
    public func withLock<R>(_ body: (inout T) throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}
