import Basics
import Glibc

/// The inputs' checksums (size and CRC-32 of each file as stored) that provenance and the PMI table record:
/// taken from the pass that reads the inputs wherever its reader sees the stored bytes (plain text, and the
/// compressed regular files ISA-L reads), else from one more pass on the side, started at once (for every
/// regular input with `sideForAll`, when the checksums are needed before the reading pass or it reads no
/// whole files). A pipe is never probed or read twice: its checksum must come from the reading pass.
public final class InputChecksums {
    public let inputs: [String]
    let side: [String]
    let task: FingerprintTask

    public init(inputs: [String], sideForAll: Bool = false) {
        self.inputs = inputs
        side = inputs.filter { p in
            var st = stat()
            guard stat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
            return sideForAll || !((try? CompressedInput(path: p).seesStoredBytes) ?? false)
        }
        task = FingerprintTask(paths: side)
    }

    /// Every input's checksum, in input order: the side pass's, or `streamed[i]` from the reading pass.
    public func resolve(streamed: [InputFingerprint?]) throws -> [InputFingerprint] {
        let sideResults = try task.wait()
        return try inputs.enumerated().map { i, p in
            if let k = side.firstIndex(of: p) { return sideResults[k] }
            guard i < streamed.count, let f = streamed[i] else {
                throw GenomeIOError(.io, "no checksum was computed for this input", at: InputLocation(path: p))
            }
            return f
        }
    }
}
