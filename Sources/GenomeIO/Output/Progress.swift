import Glibc

/// Progress on stderr for long jobs: a bar redrawn in place when stderr is a terminal, otherwise a plain
/// line every `lineInterval` seconds (so logs stay readable). `update` is cheap: it reads the clock only
/// every 1024 calls.
public final class Progress {
    public let label: String
    public let total: Int?
    let isTerminal: Bool
    let lineInterval: Double
    let start: Double
    var last: Double
    var calls = 0
    var drawn = false
    public var enabled: Bool

    /// - Parameters:
    ///   - total: the amount of work (bases) when known, for a percentage and an ETA.
    /// `GENOMEPREP_PROGRESS_SECONDS` overrides `lineInterval` (0: a line at every check, for tests).
    public init(label: String, total: Int?, enabled: Bool = true, lineInterval: Double = 10) {
        self.label = label; self.total = total; self.enabled = enabled
        if let e = getenv("GENOMEPREP_PROGRESS_SECONDS"), let v = Double(String(cString: e)), v >= 0 {
            self.lineInterval = v
        } else {
            self.lineInterval = lineInterval
        }
        isTerminal = isatty(2) != 0
        start = Progress.now(); last = start
    }

    static func err(_ s: String) {
        var b = Array(s.utf8)
        _ = b.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func now() -> Double {
        var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// `done` bases of `total`; `items` a second counter (windows) shown beside them.
    @inline(__always)
    public func update(done: Int, items: Int) {
        calls &+= 1
        guard enabled, calls & 1023 == 0 else { return }
        let t = Progress.now()
        guard t - last >= (isTerminal ? 0.2 : lineInterval) else { return }
        last = t
        draw(done: done, items: items, at: t)
    }

    func draw(done: Int, items: Int, at t: Double) {
        let secs = max(t - start, 1e-9)
        let rate = Double(done) / secs / 1e6
        var s = "\(label): \(done / 1_000_000) Mbase, \(items) windows, \(Int(rate)) Mbase/s"
        if let total, total > 0 {
            let f = min(1, Double(done) / Double(total))
            let eta = f > 0 ? secs * (1 - f) / f : 0
            let width = 30, full = Int(f * Double(width))
            let bar = String(repeating: "#", count: full) + String(repeating: ".", count: width - full)
            s = "\(label): [\(bar)] \(Int(f * 100))%  \(done / 1_000_000)/\(total / 1_000_000) Mbase  \(items) windows  \(Int(rate)) Mbase/s  ETA \(Int(eta.rounded())) s"
        }
        if isTerminal {
            Progress.err("\r\u{1B}[K" + s)
            drawn = true
        } else {
            Progress.err(s + "\n")
        }
    }

    /// Clears the bar (terminal) so the summary that follows starts on a clean line.
    public func finish() {
        if drawn { Progress.err("\r\u{1B}[K"); drawn = false }
    }
}
