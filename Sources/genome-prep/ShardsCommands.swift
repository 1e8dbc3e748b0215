import ArgumentParser
import Basics
import GenomeIO
import Glibc
import Pipeline
import Shards
import Tokenize

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an MDS dataset folder: every file's size and hashes, and every sample decodes.",
        discussion: """
        DIR is a folder with index.json (one split), or a `genome-prep run`
        output folder: then every split in it (train/, val/, test/) is
        checked. Errors name the shard file and the sample.
        Examples:
          genome-prep verify out/ecoli-char/train
          genome-prep verify out/ecoli-char
        """)
    @Argument(help: "MDS folder holding index.json, or a run's output folder.")
    var directory: String

    func run() throws {
        try reportingErrors {
            for folder in try splitFolders(directory) {
                let r = try MDSReader(directory: folder)
                let n = try r.verify()
                let unhashed = r.filesWithoutKnownHash
                if unhashed.isEmpty {
                    print("\(folder): OK, \(r.shards.count) shards, \(n) samples, every hash and sample checked")
                } else {
                    // Never claim a hash check that did not happen.
                    print("\(folder): OK, \(r.shards.count) shards, \(n) samples decoded; \(unhashed.count) of \(r.shards.count) shard files "
                          + "have no sha1 or xxh3_64 in index.json (\(unhashed.prefix(3).joined(separator: ", "))\(unhashed.count > 3 ? ", ..." : "")): "
                          + "checked by size and decoding only")
                }
            }
        }
    }
}

/// `dir` itself when it holds index.json; else the split folders of a run output folder that do.
func splitFolders(_ dir: String) throws -> [String] {
    if access(dir + "/index.json", F_OK) == 0 { return [dir] }
    let found = ["train", "val", "test"].map { dir + "/" + $0 }.filter { access($0 + "/index.json", F_OK) == 0 }
    guard !found.isEmpty else {
        throw FileError("no index.json here or in train/, val/ or test/ (not an MDS folder or a run's output folder)", path: dir)
    }
    return found
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise an MDS dataset folder and print its first samples (tokens decoded with --tokenizer).",
        discussion: """
        DIR is one split folder or a run's output folder (every split). The
        run's tokenizer.json is found by itself; with a soft_mask column the
        decoded bases show soft-masked bases in lowercase.
        Examples:
          genome-prep inspect out/ecoli-char --samples 2
          genome-prep inspect out/ecoli/train --samples 3 --tokenizer other/tokenizer.json
        """)
    @Argument(help: "MDS folder holding index.json, or a run's output folder.")
    var directory: String
    @Option(help: "How many samples to print.")
    var samples: Int = 3
    @Option(help: "tokenizer.json to decode the token column back to bases.")
    var tokenizer: String?
    @Option(help: "Name of the token column.")
    var tokenColumn: String = "tokens"
    @Flag(help: "Print every token id of the printed samples (for comparisons with other readers).")
    var ids = false

    func run() throws {
        try reportingErrors {
            for folder in try splitFolders(directory) { try inspect(folder) }
        }
    }

    func inspect(_ directory: String) throws {
        do {
            let r = try MDSReader(directory: directory)
            // The run's own tokenizer (the split folder's parent) unless one is given.
            let candidates: [String] = [directory + "/../tokenizer.json", directory + "/tokenizer.json"]
            let found = candidates.first { access($0, R_OK) == 0 }
            let t = try (tokenizer ?? found).map { try HFTokenizerJSON.load(path: $0) }
            let raw = r.shards.reduce(0) { $0 + $1.rawBytes }, zip = r.shards.reduce(0) { $0 + ($1.zipBytes ?? $1.rawBytes) }
            print("folder      \(directory)")
            print("shards      \(r.shards.count), \(r.sampleCount) samples, \(raw) bytes raw, \(zip) bytes on disk")
            if let s = r.shards.first {
                print("columns     " + zip2(s.columnNames, s.encodings.map(\.rawValue)).map { "\($0.0):\($0.1)" }.joined(separator: " "))
            }
            for i in 0..<min(samples, r.sampleCount) {
                let s = try r.sample(i)
                var line = "sample \(i)"
                for (k, v) in s.sorted(by: { $0.key < $1.key }) {
                    switch v {
                    case .str(let x): line += "  \(k)=\(x)"
                    case .int64(let x): line += "  \(k)=\(x)"
                    case .uint8(let x): line += "  \(k)=\(x)"
                    case .u8(let a): line += "  \(k)=[\(a.count) ids]"
                    case .u16(let a): line += "  \(k)=[\(a.count) ids]"
                    case .u32(let a): line += "  \(k)=[\(a.count) ids]"
                    }
                }
                print(line)
                if ids, let v = s[tokenColumn] {
                    switch v {
                    case .u8(let a): print("  ids       " + a.map(String.init).joined(separator: " "))
                    case .u16(let a): print("  ids       " + a.map(String.init).joined(separator: " "))
                    case .u32(let a): print("  ids       " + a.map(String.init).joined(separator: " "))
                    default: break
                    }
                }
                if let t, let v = s[tokenColumn] {
                    let ids: [UInt32]
                    switch v { case .u8(let a): ids = a.map(UInt32.init); case .u16(let a): ids = a.map(UInt32.init); case .u32(let a): ids = a; default: ids = [] }
                    var bases = try t.decode(ids)
                    // Soft-masked bases (one bit per base of the window, LSB first) in lowercase.
                    if case .u8(let bits)? = s["soft_mask"] {
                        for i in 0..<min(bases.count, bits.count * 8) where bits[i >> 3] & (1 << UInt8(i & 7)) != 0 {
                            if (65...90).contains(bases[i]) { bases[i] += 32 }
                        }
                    }
                    let text = String(decoding: bases, as: UTF8.self)
                    print("  bases     \(text.prefix(120))\(text.count > 120 ? "..." : "")")
                }
            }
        }
    }
}

func zip2<A, B>(_ a: [A], _ b: [B]) -> [(A, B)] { Array(zip(a, b)) }

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a declarative pipeline: read, sample, [PMI], [train BPE], tokenize, write MDS shards.",
        discussion: """
        The config is JSON (see pipelines/README.md); unknown keys are errors.
        Output: one MDS folder per split (train/, val/, test/),
        tokenizer.json, [pmi.rank6.bin], and genomeprep.json (provenance,
        written last). Progress goes to stderr: a bar on a terminal, a plain
        line every 10 s otherwise.

        Crash safety: every file appears under its final name only when
        complete, index.json last. After a crash or kill, run the same command
        again: it keeps the complete shards and writes the rest; the result is
        byte-identical to an uninterrupted run. An output folder holding
        another config's shards is refused.

        Several machines: `--part i/n` (0 <= i < n) writes only slice i of n,
        to <split>/part-0000i/. Every part reads every input, so BPE and PMI
        tables are the same in each. Gather the output folders in one place,
        then `genome-prep merge OUT` writes each split's index.json exactly as
        MosaicML Streaming's merge_index does.

        Examples:
          genome-prep run pipelines/ecoli-char.json
          genome-prep verify out/ecoli-char/train
          genome-prep run pipelines/ecoli-char.json --part 0/2    # on machine A
          genome-prep run pipelines/ecoli-char.json --part 1/2    # on machine B
          genome-prep merge out/ecoli-char
        """)
    @Argument(help: "Pipeline config (JSON).")
    var config: String
    @Option(name: [.customShort("@"), .customShort("j"), .long], help: "Extra threads for BGZF decompression (the run's own stages already keep two cores busy; 1 measured fastest here).")
    var threads: Int = 1
    @Option(help: ArgumentHelp("Write only slice i of n (0-based), to <split>/part-0000i/.", valueName: "i/n"))
    var part: String?
    @Flag(help: "No progress and no summary on stderr.")
    var quiet = false
    @Flag(help: "Start afresh: first remove what genome-prep wrote in shards.out (refused if the folder holds anything else).")
    var overwrite = false

    func validate() throws {
        if let part {
            do { _ = try PipelinePart(parsing: part) } catch let e as any GenomePrepError { throw ValidationError(e.message) }
        }
        if overwrite && part != nil { throw ValidationError("--overwrite cannot be combined with --part (it would clear the other parts too)") }
    }

    func run() throws {
        try reportingErrors {
            let c = try PipelineConfig.load(path: config)
            let p = try part.map { try PipelinePart(parsing: $0) }
            if overwrite {
                // Other parts' output in the same folder may come from other machines: never cleared here.
                guard p == nil else { throw ValidationError("--overwrite cannot be combined with --part (it would clear the other parts too)") }
                try PipelineRunner.clearOutput(c.out)
            }
            let bar = quiet ? nil : ProgressBar("run")
            let s = try PipelineRunner.run(c, threads: threads, part: p,
                                           progress: bar.map { b in { b.update(done: $0.bases, total: $0.totalBases, items: $0.windows) } }) {
                if !quiet { bar?.finish(); printError("run: \($0)") }
            }
            bar?.finish()
            if !quiet { printError(s.render() + "output    \(c.out)" + (p.map { " (part \($0.text); merge with `genome-prep merge \(c.out)`)" } ?? "")) }
        }
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the --part i/n outputs of one pipeline into one MDS dataset per split.",
        discussion: """
        OUT is the pipeline's shards.out holding <split>/part-NNNNN/ folders
        and genomeprep.part-NNNNN.json files from every part (copy them
        together first when the parts ran on several machines). Checks that
        all n parts of the same config are finished, then writes
        <split>/index.json listing every part's shards in part order with
        basenames like part-00000/shard.00000.mds.zstd (what MosaicML
        Streaming's merge_index writes), and genomeprep.json. Shard files are
        not moved. Safe to re-run.

        Example:
          genome-prep merge out/ecoli-char && genome-prep verify out/ecoli-char/train
        """)
    @Argument(help: "The pipeline output folder (shards.out).")
    var out: String

    func run() throws {
        try reportingErrors {
            let s = try PipelineMerge.merge(out: out)
            let splits = s.samples.sorted { $0.key > $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("\(out): merged \(s.parts) parts, \(s.shards) shards; samples: \(splits)")
        }
    }
}
