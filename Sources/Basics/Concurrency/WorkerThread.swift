import Glibc

/// Starts `body` on a new detached POSIX thread. Pipeline stages block on I/O and on bounded
/// queues, so they get their own threads rather than libdispatch's pool (which adds threads for
/// blocked work only after a delay of about a second).
public func spawnThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let arg = Unmanaged.passRetained(Box(body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, arg)
    precondition(rc == 0, "pthread_create failed with \(rc)")
    pthread_detach(tid)
}
