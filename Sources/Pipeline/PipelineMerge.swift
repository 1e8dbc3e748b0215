import FoundationEssentials
import Basics
import GenomeIO
import Shards
import Glibc

/// `genome-prep merge OUT`: joins the `--part i/n` slices of one pipeline into one dataset per split,
/// exactly as MosaicML Streaming's `merge_index` would: `<split>/index.json` lists every part's shards
/// in part order, each basename prefixed with its part folder (`part-00000/shard.00000.mds.zstd`).
/// Shard files are not moved. Unlike `merge_index` it checks first that every part of the same config is
/// present and complete, and it may be re-run.
public enum PipelineMerge {
    public struct Summary: Sendable {
        public var parts = 0
        public var samples: [String: Int] = [:]
        public var shards = 0
    }

    public static func merge(out: String) throws -> Summary {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
        let provNames = names.filter { $0.hasPrefix("genomeprep.part-") && $0.hasSuffix(".json") }
        guard !provNames.isEmpty else {
            throw PipelineError("no finished part found (genomeprep.part-NNNNN.json is written when a `run --part i/n` completes)",
                              path: out, hint: "run `genome-prep run CONFIG --part i/n` for every i first")
        }
        // Every part's provenance: same config, same n, parts 0..<n all present.
        var provs: [Int: JSONObject] = [:]
        var config: String? = nil, count: Int? = nil
        for name in provNames {
            let path = out + "/" + name
            guard let d = try? Data(contentsOf: URL(fileURLWithPath: path)), case .object(let o)? = try? JSONValue.parse(Array(d)),
                  case .string(let cfg)? = o["config"], case .string(let ptext)? = o["part"] else {
                throw PipelineError("not a part provenance file (no config or part)", path: path)
            }
            let p = try PipelinePart(parsing: ptext)
            guard name == "genomeprep.\(p.folder).json" else { throw PipelineError("file name does not match its part \(ptext)", path: path) }
            if let config, PipelineConfig.canonical(config) != PipelineConfig.canonical(cfg) { throw PipelineError("part \(ptext) was made by a different config than \(provNames[0])", path: path) }
            if let count, count != p.count { throw PipelineError("part \(ptext) belongs to a split into \(p.count) parts, not \(count)", path: path) }
            config = cfg; count = p.count
            provs[p.index] = o
        }
        let n = count!
        let missing = (0..<n).filter { provs[$0] == nil }
        guard missing.isEmpty else {
            throw PipelineError("parts \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) are not finished (no genomeprep.part-NNNNN.json)",
                              path: out, hint: "run `genome-prep run CONFIG --part i/\(n)` for those parts (an interrupted part resumes)")
        }
        // Each split: every part folder present with its index.json, and no others.
        var summary = Summary(parts: n)
        var merged: [(String, [UInt8])] = []
        for split in Split.allCases {
            let dir = out + "/" + split.name
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            let partDirs = entries.filter { $0.hasPrefix("part-") }
            if partDirs.isEmpty { continue }
            let want = (0..<n).map { try! PipelinePart(index: $0, count: n).folder }
            guard partDirs == want else {
                throw PipelineError("\(split.name)/ holds part folders \(partDirs.joined(separator: " ")), expected \(want.joined(separator: " "))", path: dir)
            }
            if entries.contains(where: { $0.hasPrefix("shard.") }) {
                throw PipelineError("\(split.name)/ also holds shards of a run without --part", path: dir)
            }
            var shards: [JSONValue] = []
            var samples = 0
            for p in want {
                let r = try MDSReader(directory: dir + "/" + p)   // checks version and entry keys
                samples += r.sampleCount
                for var e in r.entries {
                    for key in ["raw_data", "zip_data", "raw_meta", "zip_meta"] {
                        if case .object(var f)? = e[key], case .string(let b)? = f["basename"] {
                            f.add("basename", .string(p + "/" + b)); e.add(key, .object(f))
                        }
                    }
                    shards.append(.object(e))
                }
            }
            // Python's json.dump({"version": 2, "shards": [...]}) as merge_index writes it (no sort_keys at the top).
            let text = "{\"version\": 2, \"shards\": " + JSONValue.array(shards).renderPython() + "}"
            merged.append((dir + "/index.json", Array(text.utf8)))
            summary.samples[split.name] = samples
            summary.shards += shards.count
        }
        guard !merged.isEmpty else { throw PipelineError("no split folder holds part-NNNNN folders", path: out) }
        for (path, bytes) in merged { try writeAtomically(bytes, to: path) }

        // Provenance of the whole: part 0's, with windows summed over the parts. Dropped counts are
        // genome-wide in every part (each part reads every input), so they are taken once.
        var p = JSONObject()
        for (k, v) in provs[0]!.pairs where k != "part" && k != "windows" { p.add(k, v) }
        p.add("parts", .int(n))
        var windows = JSONObject()
        for split in Split.allCases {
            var total = 0, seen = false
            for i in 0..<n { if case .object(let w)? = provs[i]!["windows"], case .int(let c)? = w[split.name] { total += c; seen = true } }
            if seen { windows.add(split.name, .int(total)) }
        }
        p.add("windows", .object(windows))
        try writeAtomically(Array((JSONValue.object(p).renderPython() + "\n").utf8), to: out + "/genomeprep.json")
        return summary
    }
}
