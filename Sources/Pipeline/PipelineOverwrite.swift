import Basics
import FoundationEssentials
import GenomeIO
import Glibc
import Shards

extension PipelineRunner {
    /// `run --overwrite`: removes what GenomePrep wrote in `out` (split folders' shards, part folders,
    /// index.json, journals, decompressed copies, genomeprep*.json, tokenizer*.json, special_tokens_map.json, pmi.rank6.bin) so the
    /// run starts afresh. Anything else in the folder (a file a person put there) makes it refuse, and
    /// nothing is removed: GenomePrep never deletes what it did not write.
    public static func clearOutput(_ out: String) throws {
        let fm = FileManager.default
        guard let top = try? fm.contentsOfDirectory(atPath: out) else { return }   // nothing there yet
        func ours(_ name: String) -> Bool {
            name == "index.json" || name.hasPrefix("shard.") || name.hasPrefix(".shard.") || name.contains(".tmp-")
        }
        var files: [String] = [], dirs: [String] = []
        for name in top {
            let path = out + "/" + name
            if Split.allCases.map(\.name).contains(name) {
                for inner in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
                    let p = path + "/" + inner
                    if inner.hasPrefix("part-") {
                        for f in (try? fm.contentsOfDirectory(atPath: p)) ?? [] {
                            guard ours(f) else { throw refuse(p + "/" + f) }
                            files.append(p + "/" + f)
                        }
                        dirs.append(p)
                    } else {
                        guard ours(inner) else { throw refuse(p) }
                        files.append(p)
                    }
                }
                dirs.append(path)
            } else if (name.hasPrefix("genomeprep.") && name.hasSuffix(".json")) || name == "tokenizer.json" || name == "tokenizer_config.json" || name == "special_tokens_map.json" || name == "report.html"
                        || name == "pmi.rank6.bin" || name.hasPrefix("pmi.rank6.bin.tmp-") || name.contains(".tmp-") {
                files.append(path)
            } else {
                throw refuse(path)
            }
        }
        for f in files where unlink(f) != 0 && errno != ENOENT {
            throw PipelineError("--overwrite cannot remove: \(String(cString: strerror(errno)))", path: f)
        }
        for d in dirs.reversed() { rmdir(d) }
    }

    static func refuse(_ path: String) -> PipelineError {
        PipelineError("--overwrite removes only what genome-prep wrote, and this was not written by it; nothing was removed",
                      path: path, hint: "move it out of the output folder, or choose another shards.out")
    }
}
