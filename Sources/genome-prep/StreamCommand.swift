import ArgumentParser
import Basics
import Glibc
import Shards
import Tokenize
import Trainer

struct Stream: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream training batches out of shards: look at them, or measure the loader.",
        discussion: """
        DIR is a `genome-prep run` output folder (its --split folder is read)
        or a split folder itself. Several folders are mixed by --weights
        (e.g. two genomes 3:1). Prints the first --batches batches decoded:
        what the model sees (masked tokens as #, random replacements in
        lowercase) and a ^ under every target position.

        With --bench, runs --batches batches (default: one epoch) with no
        model and prints windows/s, tokens/s, each stage's busy time, the
        consumer's wait (stall) fraction and peak RSS; --json prints them
        as one JSON line.

        Examples:
          genome-prep stream out/ecoli-char --masking bert --batches 2
          genome-prep stream out/ecoli-kmer6-pmi --masking genemask --batches 1
          genome-prep stream out/ecoli-char --bench --batch-size 64 --depth 8
        """)

    @Argument(help: "Run output folders or split folders.")
    var dirs: [String]
    @Option(help: "Mixing weights, one per folder, comma-separated (default: all 1).")
    var weights: String?
    @Option(help: "The split to read from run folders.")
    var split = "train"
    @Option(help: "bert, kspan, genemask, global-pmi, cm-step, cm-gems, had-group, mae, findna.")
    var masking = "bert"
    @Option(help: "Batches to print (default 2), or to time with --bench (default: one epoch).")
    var batches: Int?
    @Option(help: "Windows per batch.")
    var batchSize = 8
    @Option(help: "Tokens per row (default: the dataset's tokens per window; required for BPE).")
    var seqLen: Int?
    @Option(help: "Seed of the order and the masks.")
    var seed: UInt64 = 0
    @Option(help: "Samples in the shuffle buffer.")
    var shuffleBuffer = 8192
    @Option(help: "Batch slots (built + ready).")
    var depth = 4
    @Option(help: "Batch-building workers.")
    var workers = 2
    @Option(help: "Shard decompression workers.")
    var decompressWorkers = 1
    @Option(help: "Rows of each batch to print.")
    var rows = 2
    @Option(help: "Tokens of each row to print.")
    var width = 100
    @Flag(help: "Measure the loader instead of printing batches.")
    var bench = false
    @Flag(help: "With --bench: one JSON line.")
    var json = false

    func validate() throws {
        guard MaskingStrategy(rawValue: masking) != nil else {
            throw ValidationError("--masking must be one of \(MaskingStrategy.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(masking)')")
        }
        if let batches, batches <= 0 { throw ValidationError("--batches must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let folders = dirs.map { d -> String in
                access(d + "/index.json", F_OK) == 0 ? d : d + "/" + split
            }
            var ws = [Double](repeating: 1, count: folders.count)
            if let weights {
                let parts = weights.split(separator: ",").map { Double(String($0.filter { $0 != " " })) }
                guard parts.count == folders.count, parts.allSatisfy({ $0 != nil }) else {
                    throw TrainerError("--weights needs \(folders.count) numbers, comma-separated (got '\(weights)')")
                }
                ws = parts.map { $0! }
            }
            var s = LoaderSettings(sources: zip(folders, ws).map { LoaderSettings.Source(path: $0.0, weight: $0.1) })
            s.batchSize = batchSize; s.sequenceLength = seqLen; s.seed = seed; s.shuffleBuffer = shuffleBuffer
            s.masking = MaskingStrategy(rawValue: masking)!; s.depth = depth; s.workers = workers
            s.decompressWorkers = decompressWorkers
            if bench { s.epochs = batches == nil ? 1 : nil }
            let loader = try Loader(s)
            defer { loader.close() }
            if bench { try runBench(loader) } else { try show(loader, folder: folders[0]) }
        }
    }

    func runBench(_ loader: Loader) throws {
        let limit = batches ?? Int.max
        var n = 0
        while n < limit, try loader.next() != nil { n += 1 }
        let st = loader.stats
        var ru = rusage()
        getrusage(RUSAGE_SELF.rawValue, &ru)
        let rss = Double(ru.ru_maxrss) / 1024
        let secs = max(st.wallSeconds, 1e-9)
        if json {
            var o = JSONObject()
            o.add("impl", .string("genome-prep")); o.add("masking", .string(masking))
            o.add("depth", .int(depth)); o.add("workers", .int(workers)); o.add("batch_size", .int(batchSize))
            o.add("windows", .int(st.windows)); o.add("tokens", .int(st.tokens)); o.add("seconds", .double(st.wallSeconds))
            o.add("windows_per_s", .double(Double(st.windows) / secs)); o.add("tokens_per_s", .double(Double(st.tokens) / secs))
            o.add("peak_rss_mib", .double(rss)); o.add("stall_fraction", .double(st.stallFraction))
            var stages = JSONObject()
            stages.add("read", .double(st.readBusy)); stages.add("decompress", .double(st.decompressBusy))
            stages.add("decode", .double(st.decodeBusy)); stages.add("mask", .double(st.maskBusy))
            o.add("stages", .object(stages)); o.add("shards_loaded", .int(st.shardsLoaded))
            print(JSONValue.object(o).render())
        } else {
            func f(_ x: Double) -> String { String(Double(Int(x * 1000)) / 1000) }
            print("""
            batches   \(st.batches) of \(batchSize) windows, \(st.windows) windows, \(st.tokens) tokens in \(f(st.wallSeconds)) s
            speed     \(Int(Double(st.windows) / secs)) windows/s, \(Int(Double(st.tokens) / secs)) tokens/s
            stall     \(f(st.stallFraction * 100))% of the consumer's time waiting (no model: the loader is the limit)
            stages    read \(f(st.readBusy)) s, decompress \(f(st.decompressBusy)) s, decode \(f(st.decodeBusy)) s, mask \(f(st.maskBusy)) s busy (\(st.shardsLoaded) shard loads)
            memory    peak RSS \(Int(rss)) MiB
            """)
        }
    }

    func show(_ loader: Loader, folder: String) throws {
        // Token strings from the run's tokenizer.json, where there is one (the loader itself never needs it).
        var tokens: [String]? = nil
        for candidate in [folder + "/../tokenizer.json", folder + "/tokenizer.json"] where access(candidate, R_OK) == 0 {
            tokens = try HFTokenizerJSON.load(path: candidate).vocabulary.tokens
            break
        }
        let single = tokens.map { t in loader.info.baseIDs != nil && t.count == loader.info.vocabSize } ?? false
        for _ in 0..<(batches ?? 2) {
            guard let b = try loader.next() else { break }
            let masked = b.maskedTokens
            let percent = Double(Int(1000 * Double(masked) / Double(max(b.tokenCount, 1)))) / 10
            print("batch \(b.index)  epoch \(b.epoch)  \(b.strategy.rawValue)  \(b.rows) rows x \(b.length) tokens, \(masked) targets of \(b.tokenCount) tokens (\(percent)%)")
            for r in 0..<min(rows, b.rows) {
                print("  row \(r): source \(b.source[r]) sample \(b.sample[r])"
                      + (b.strategy == .mae ? ", \(b.visibleCount[r]) visible tokens packed left" : ""))
                let o = r * b.length
                let n = min(width, b.length)
                if b.strategy == .findna {
                    // One-hot views as letters (argmax; '.' for an all-zero row, lowercase where masked).
                    func letters(_ x: [Float], base: Int, mask: Bool) -> String {
                        String((0..<n).map { i -> Character in
                            let row = (0..<5).map { x[base + i * 5 + $0] }
                            let best = row.indices.max { row[$0] < row[$1] }!
                            let c: Character = row[best] < 0.5 ? "." : Array("ACGNT")[best]
                            return mask && b.studentMask[o + i] == 1 ? Character(c.lowercased()) : c
                        })
                    }
                    print("    teacher " + letters(b.teacher, base: r * b.viewRows * 5, mask: false))
                    print("    student " + letters(b.student, base: r * b.viewRows * 5, mask: true)
                          + (b.reverseComplemented[r] ? "   (reverse-complemented; targets too)" : ""))
                    print("    target  " + letters(b.targets, base: r * b.length * 5, mask: false))
                    continue
                }
                func name(_ id: Int32) -> String {
                    if id == Int32(loader.info.specialIDs.mask ?? -1) { return "#" }
                    return tokens.map { $0[Int(id)] } ?? String(id)
                }
                var seen: [String] = [], under: [String] = []
                for i in 0..<n {
                    var t = name(b.ids[o + i])
                    let target = b.strategy == .mae ? false : b.labels[o + i] != -100
                    if target && b.ids[o + i] != b.tokens[o + i] && t != "#" { t = t.lowercased() }
                    seen.append(t)
                    under.append(String(repeating: target ? "^" : " ", count: max(t.count, 1)))
                }
                let sep = single ? "" : " "
                print("    seen   " + seen.joined(separator: sep))
                print("    target " + under.joined(separator: sep))
                if b.strategy == .mae {
                    let hidden = (0..<b.length).filter { b.labels[o + $0] != -100 }.prefix(20).map(String.init).joined(separator: ",")
                    print("    hidden positions \(hidden)...")
                }
            }
        }
    }
}
