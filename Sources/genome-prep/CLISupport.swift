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

/// The exit statuses of both CLIs: 0 success, 1 a runtime error (bad input, I/O), 2 a usage error
/// (unknown command or option, missing or invalid argument), as most Unix tools do. ArgumentParser's
/// own status for usage errors is 64 (EX_USAGE); `mainWithUsageStatus` maps it to 2, and turns a
/// mistyped subcommand into a "did you mean" error.
extension ParsableCommand {
    static func mainWithUsageStatus(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        let subcommands = configuration.subcommands.map { $0._commandName }
        if let first = arguments.first, !subcommands.isEmpty, !first.hasPrefix("-"), first != "help", !subcommands.contains(first) {
            let near = subcommands.min { editDistance($0, first) < editDistance($1, first) } ?? ""
            let hint = editDistance(near, first) <= 3 ? " Did you mean '\(near)'?" : ""
            printError("\(_commandName): error: '\(first)' is not a command.\(hint)\nCommands: \(subcommands.joined(separator: ", ")); see '\(_commandName) --help'.")
            Glibc.exit(2)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
