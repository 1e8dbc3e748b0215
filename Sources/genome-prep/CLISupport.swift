import ArgumentParser
import GenomeIO
import Glibc
import Shards
import Tokenize

/// Runs `body`, printing a GenomePrep error (file, line, record, reason, hint) to stderr and exiting 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    // A file-size limit (ulimit -f) then fails the write with EFBIG, reported like a full disk,
    // instead of killing the process.
    signal(SIGXFSZ, SIG_IGN)
    do {
        return try body()
    } catch let e as GenomeIOError {
        printError("genome-prep: error: \(e)")
        throw ExitCode(1)
    } catch let e as TokenizeError {
        printError("genome-prep: error: \(e)")
        throw ExitCode(1)
    } catch let e as ShardsError {
        printError("genome-prep: error: \(e)")
        throw ExitCode(1)
    }
}

func printError(_ s: String) {
    var s = s
    if !s.hasSuffix("\n") { s += "\n" }
    writeStderr(s)
}

func writeStderr(_ s: String) {
    var s = s
    s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

/// Progress on stderr: a self-updating line on a terminal, a plain line every 10 s otherwise.
final class ProgressLine {
    let tty = isatty(2) != 0
    let label: String
    var last = 0.0
    let start: Double
    var printed = false
    init(_ label: String) { self.label = label; start = ProgressLine.now() }
    static func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }
    func update(_ bases: Int) {
        let t = ProgressLine.now()
        if t - last < (tty ? 0.25 : 10) { return }
        last = t
        let rate = Double(bases) / max(t - start, 1e-9) / 1e6
        let msg = "\(label): \(bases / 1_000_000) Mbase read, \(Int(rate)) Mbase/s"
        if tty { writeStderr("\r\(msg)\u{1B}[K"); printed = true } else { writeStderr(msg + "\n") }
    }
    /// A free-form progress message (same throttling as `update`).
    func message(_ msg: String) {
        let t = ProgressLine.now()
        if t - last < (tty ? 0.25 : 10) { return }
        last = t
        if tty { writeStderr("\r\(label): \(msg)\u{1B}[K"); printed = true } else { writeStderr("\(label): \(msg)\n") }
    }
    func finish() { if tty && printed { writeStderr("\r\u{1B}[K") } }
}

func parseList(_ s: [String]) -> Set<String> {
    Set(s.flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty })
}
