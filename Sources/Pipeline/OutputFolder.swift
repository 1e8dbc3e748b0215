import Basics
import FoundationEssentials
import GenomeIO
import Glibc

/// The checks that keep one output folder to one run, before and as a run starts: another config's
/// shards are never overwritten or mixed in, parts of different split counts never share a folder, and
/// an interrupted run is resumed only over the inputs it started with.
enum OutputFolder {
    /// Before anything is written: refuses a folder holding another config's (or another kind of run's)
    /// output; a folder holding only the small files of a run stopped before its first shard is cleared
    /// for the corrected config.
    static func checkBeforeRun(_ c: PipelineConfig, part: PipelinePart?, provenancePath: String, markerPath: String) throws {
        // An output folder that holds another run's shards is never overwritten. A run marks the folder
        // with its config first; a rerun of the same config resumes, any other config is refused.
        // Configs compare by meaning (parsed, keys sorted), not bytes: the same config re-indented resumes.
        if let d = try? Data(contentsOf: URL(fileURLWithPath: markerPath)),
           PipelineConfig.canonical(String(decoding: d, as: UTF8.self)) != PipelineConfig.canonical(c.text) {
            // A run that stopped before its first shard (a mistake caught late) left only GenomePrep's own
            // small files: the corrected config takes the folder over. Shards of another config never.
            guard !holdsShards(c.out), access(provenancePath, F_OK) != 0 else {
                throw PipelineError("the output folder holds shards of a different run (its genomeprep.run.json has another config)",
                                    path: c.out, hint: "choose another shards.out, or delete the folder if you mean to replace it")
            }
            for f in ["genomeprep.run.json", "genomeprep.inputs.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "pmi.rank6.bin"] { unlink(c.out + "/" + f) }
        }
        if let d = try? Data(contentsOf: URL(fileURLWithPath: provenancePath)) {
            let provenance = try? JSONValue.parse(Array(d))
            let old = (try? provenance?.field("config").asString()) ?? nil
            if old.flatMap(PipelineConfig.canonical) != PipelineConfig.canonical(c.text) {
                throw PipelineError("the output folder holds shards of a different run (its genomeprep.json has another config)",
                                  path: c.out, hint: "choose another shards.out, or delete the folder if you mean to replace it")
            }
            if let part, let oldPart = (try? provenance?.field("part").asString()) ?? nil, oldPart != part.text {
                throw PipelineError("this folder holds finished part \(oldPart) output; this run is part \(part.text) of a different split",
                                    path: provenancePath, hint: "use one part count per shards.out")
            }
        } else if access(c.out + "/train/index.json", F_OK) == 0 && access(markerPath, F_OK) != 0 {
            throw PipelineError("the output folder already holds shards but no genomeprep.json", path: c.out,
                              hint: "choose another shards.out, or delete the folder if you mean to replace it")
        }
        // Single-run shards and --part slices never share a folder.
        for s in Split.allCases {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: c.out + "/" + s.name)) ?? []
            if part == nil, let p = names.first(where: { $0.hasPrefix("part-") }) {
                throw PipelineError("the output folder holds --part output (\(s.name)/\(p)); a run without --part would mix with it",
                                  path: c.out, hint: "run `genome-prep merge \(c.out)` once every part is done, or choose another shards.out")
            }
            if part != nil, names.contains(where: { $0.hasPrefix("shard.") }) {
                throw PipelineError("the output folder holds shards of a run without --part (\(s.name)/); parts would mix with them",
                                  path: c.out, hint: "choose another shards.out for the parts")
            }
        }
    }

    /// After the folder exists: records the inputs (size, modification time) and the part as this run
    /// first saw them, and refuses a rerun over changed inputs or of another split count, which would
    /// adopt shards of the interrupted run that no longer belong.
    static func checkInputsUnchanged(_ c: PipelineConfig, part: PipelinePart?) throws {
        // The inputs as this run first saw them (size and modification time): a rerun that would adopt
        // shards of an interrupted run refuses inputs that changed since, instead of mixing two genomes.
        let inputsPath = c.out + (part.map { "/genomeprep.inputs.\($0.folder).json" } ?? "/genomeprep.inputs.json")
        let inputsSeen = JSONValue.array((c.inputs + (c.tokenizerFile.map { [$0] } ?? [])).map { p in
            var st = stat()
            _ = stat(p, &st)
            var o = JSONObject()
            o.add("path", .string(p)); o.add("bytes", .int(Int(st.st_size)))
            o.add("mtime_ns", .int(Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)))
            return .object(o)
        })
        var seenObject = JSONObject()
        seenObject.add("part", part.map { .string($0.text) } ?? .null)
        seenObject.add("inputs", inputsSeen)
        let seen = JSONValue.object(seenObject).renderPython()
        if let d = try? Data(contentsOf: URL(fileURLWithPath: inputsPath)) {
            let old = try? JSONValue.parse(Array(d))
            let oldPart = (try? old?.optionalField("part")?.asString()) ?? nil
            if oldPart != part?.text {
                // Part i of another split count holds other windows: adopting its shards would duplicate some
                // windows and lose others in the merge.
                throw PipelineError("this folder holds part \(oldPart ?? "(none)") output; this run is part \(part?.text ?? "(none)") of a different split",
                                    path: c.out, hint: "use one part count per shards.out (or delete the folder's part output first)")
            }
            guard String(decoding: d, as: UTF8.self) == seen else {
                throw PipelineError("the inputs changed since the interrupted run that wrote this folder (size or modification time differ); its shards would mix with the new inputs'",
                                    path: c.out, hint: "restore the inputs and run again, or choose another shards.out (or delete this folder)")
            }
        } else {
            try writeAtomically(Array(seen.utf8), to: inputsPath)
        }
    }

    /// Whether any split folder (or part folder in one) of `out` holds a shard file.
    static func holdsShards(_ out: String) -> Bool {
        let fm = FileManager.default
        for s in Split.allCases {
            let d = out + "/" + s.name
            for name in (try? fm.contentsOfDirectory(atPath: d)) ?? [] {
                if name.hasPrefix("shard.") { return true }
                if name.hasPrefix("part-"), ((try? fm.contentsOfDirectory(atPath: d + "/" + name)) ?? []).contains(where: { $0.hasPrefix("shard.") }) { return true }
            }
        }
        return false
    }
}
