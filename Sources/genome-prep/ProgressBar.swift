import Basics
import Glibc

/// The command line's one progress display, on stderr: a line redrawn in place when stderr is a terminal
/// (at most 5 times a second), otherwise a plain line every `lineInterval` seconds so logs stay readable.
/// Libraries never draw: they report through callbacks, and the commands feed those reports here.
/// `GENOMEPREP_PROGRESS_SECONDS` overrides `lineInterval` (0: a line at every report, for tests).
final class ProgressBar {
    let label: String
    let isTerminal = isatty(2) != 0
    let lineInterval: Double
    let start = MonotonicClock.now()
    var last = 0.0
    var drawn = false

    init(_ label: String, lineInterval: Double = 10) {
        self.label = label
        if let e = getenv("GENOMEPREP_PROGRESS_SECONDS"), let v = Double(String(cString: e)), v >= 0 {
            self.lineInterval = v
        } else {
            self.lineInterval = lineInterval
        }
        last = start
    }

    /// Whether enough time has passed to draw again (and if so, marks the time).
    private func due() -> Double? {
        let t = MonotonicClock.now()
        guard t - last >= (isTerminal ? 0.2 : lineInterval) else { return nil }
        last = t
        return t
    }

    private func show(_ s: String) {
        if isTerminal { writeStderr("\r\u{1B}[K" + s); drawn = true } else { writeStderr(s + "\n") }
    }

    /// `done` bases of `total` (when known: a bar, a percentage and an ETA); `items` windows beside them.
    func update(done: Int, total: Int? = nil, items: Int? = nil) {
        guard let t = due() else { return }
        let secs = max(t - start, 1e-9)
        let rate = Int(Double(done) / secs / 1e6)
        let windows = items.map { "\($0) windows" }
        if let total, total > 0 {
            let f = min(1, Double(done) / Double(total))
            let eta = f > 0 ? secs * (1 - f) / f : 0
            let width = 30, full = Int(f * Double(width))
            let bar = String(repeating: "#", count: full) + String(repeating: ".", count: width - full)
            show("\(label): [\(bar)] \(Int(f * 100))%  \(done / 1_000_000)/\(total / 1_000_000) Mbase  "
                 + (windows.map { $0 + "  " } ?? "") + "\(rate) Mbase/s  ETA \(Int(eta.rounded())) s")
        } else {
            show("\(label): \(done / 1_000_000) Mbase" + (windows.map { ", " + $0 } ?? " read") + ", \(rate) Mbase/s")
        }
    }

    /// A free-form message under the same throttling.
    func message(_ msg: String) {
        guard due() != nil else { return }
        show("\(label): \(msg)")
    }

    /// Clears the line (terminal) so the summary that follows starts on a clean line.
    func finish() {
        if drawn { writeStderr("\r\u{1B}[K"); drawn = false }
    }
}
