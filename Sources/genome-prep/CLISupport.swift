import ArgumentParser
import Basics
import Glibc

/// Runs `body`, printing a GenomePrep error (file, line, record, reason, hint) to stderr and exiting 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    // A file-size limit (ulimit -f) then fails the write with EFBIG, reported like a full disk,
    // instead of killing the process.
    signal(SIGXFSZ, SIG_IGN)
    do {
        return try body()
    } catch let e as any GenomePrepError {
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

func parseList(_ s: [String]) -> Set<String> {
    Set(s.flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty })
}
