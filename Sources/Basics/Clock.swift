import Glibc

/// The monotonic clock in seconds (`CLOCK_MONOTONIC`): for durations, rates and throttling, never dates.
public enum MonotonicClock {
    @inline(__always)
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
