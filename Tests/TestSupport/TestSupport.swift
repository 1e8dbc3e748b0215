import Foundation

// Helpers shared by every test target: where the repository and its data are, subprocesses, and
// temporary folders. Tests never depend on ../shared.

/// The repository root, found from this file's path.
public let repoRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file of the repository's `data/` folder.
public func dataFile(_ name: String) -> String { repoRoot.appendingPathComponent("data/\(name)").path }

/// Runs a command (found on PATH) and returns (exit status, stdout, stderr), reading both pipes at once
/// so that a full pipe never blocks the child.
@discardableResult
public func runCommand(_ args: [String], stdin: String? = nil, in directory: URL? = nil) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let directory { p.currentDirectoryURL = directory }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    let inPipe = Pipe()
    if stdin != nil { p.standardInput = inPipe }
    try p.run()
    if let stdin { inPipe.fileHandleForWriting.write(stdin.data(using: .utf8)!); try inPipe.fileHandleForWriting.close() }
    final class Box: @unchecked Sendable { var data = Data() }
    let errBox = Box()
    let g = DispatchGroup()
    g.enter()
    DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    g.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
}

/// A bash script's exit status and its stdout and stderr together.
@discardableResult
public func sh(_ script: String) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", script]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let d = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: d, as: UTF8.self))
}

public struct CommandFailed: Error, CustomStringConvertible {
    public var description: String
}

/// Runs a Python 3 script (an independent reference computation) and returns its stdout; throws with
/// its stderr when it fails.
public func python(_ script: String, _ args: [String] = []) throws -> String {
    let (status, out, err) = try runCommand([testPython, "-c", script] + args)
    guard status == 0 else { throw CommandFailed(description: "python failed (exit \(status)): \(err)") }
    return out
}

/// The Python for reference computations (numpy, `tokenizers`): $GENOMEPREP_TEST_PYTHON, else the
/// environment `.ci/setup` builds when the system python3 lacks them (`~/.cache/genomeprep/test-venv`),
/// else python3.
public let testPython: String = {
    let env = ProcessInfo.processInfo.environment
    if let p = env["GENOMEPREP_TEST_PYTHON"] { return p }
    let cache = env["GENOMEPREP_CACHE"] ?? ((env["XDG_CACHE_HOME"] ?? (env["HOME"] ?? "/root") + "/.cache") + "/genomeprep")
    let venv = cache + "/test-venv/bin/python"
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
}()

/// A new empty folder under the system's temporary directory.
public func tempDir(_ prefix: String = "gp-test") -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

/// The Python with the real interop libraries (mosaicml-streaming, torch, transformers, safetensors):
/// $GENOMEPREP_STREAMING_PYTHON, else where `.ci/python-env` builds it; nil when neither exists.
/// `interopRequired` is set in CI, where a missing environment is a failure rather than a skip.
public func interopPython() -> String? {
    let env = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let p = env["GENOMEPREP_STREAMING_PYTHON"] { candidates.append(p) }
    let cache = env["GENOMEPREP_CACHE"] ?? ((env["XDG_CACHE_HOME"] ?? (env["HOME"] ?? "/root") + "/.cache") + "/genomeprep")
    candidates.append(cache + "/streaming-venv/bin/python")
    return candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
}

public var interopRequired: Bool { ProcessInfo.processInfo.environment["GENOMEPREP_REQUIRE_INTEROP"] == "1" }

/// One case of an error corpus's manifest.json: the file, whether it is valid, and what its error must say
/// besides the file's name.
public struct CorpusCase: Decodable, Sendable {
    public var file: String
    public var valid: Bool
    public var mentions: [String]
}

/// Opens every case of the corpus in `folder` (its manifest.json) with `open`: a valid case must open; any
/// other must throw an error whose text names the file and each of its mentions. Returns the number of
/// cases and a line for each that did not.
public func checkCorpus(_ folder: URL, open: (String) throws -> Void) throws -> (cases: Int, failures: [String]) {
    let cases = try JSONDecoder().decode([CorpusCase].self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
    var failures: [String] = []
    for c in cases {
        let path = folder.appendingPathComponent(c.file).path
        do {
            try open(path)
            if !c.valid { failures.append("\(c.file): accepted") }
        } catch {
            let text = "\(error)"
            if c.valid { failures.append("\(c.file): refused: \(text)"); continue }
            for w in [c.file] + c.mentions where !text.contains(w) { failures.append("\(c.file): '\(w)' missing from: \(text)") }
        }
    }
    return (cases.count, failures)
}
