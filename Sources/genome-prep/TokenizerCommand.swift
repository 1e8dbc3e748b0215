import ArgumentParser
import Basics
import Dispatch
import GenomeIO
import Tokenize

extension TokenizerKind: ExpressibleByArgument {}

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train, inspect and use tokenizers (char, k-mer, NT k-mer, BarcodeMAE k-mer, BPE).",
        discussion: """
        Every tokenizer is saved as a Hugging Face `tokenizer.json` that
        Python `tokenizers` loads (see the README for how each kind is
        expressed there).

        Examples:
          genome-prep tokenizer train --kind bpe --vocab-size 4096 data/ecoli_K12_MG1655.fa.bgz -o bpe.json
          genome-prep tokenizer train --kind kmer --k 6 -o kmer6.json
          genome-prep tokenizer encode --tokenizer bpe.json data/lambda_phage.fa.gz --count 3
          genome-prep tokenizer decode --tokenizer kmer6.json 5 10 20
          genome-prep tokenizer info bpe.json
        """,
        subcommands: [Train.self, Encode.self, Decode.self, Info.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train BPE on windows (DNABERT-2 settings by default), or write a fixed vocabulary.",
            discussion: "BPE learns from the train split of tiled windows (--window/--stride; --val/--test hold windows out). HF BpeTrainer semantics: one window is one word.")
        @Argument(help: "FASTA inputs (BPE only).")
        var inputs: [String] = []
        @Option(help: "char, kmer, nt-kmer, barcode-kmer or bpe.")
        var kind: TokenizerKind = .bpe
        @Option(help: "k for k-mer kinds.")
        var k: Int = 6
        @Option(help: "BarcodeMAE start offset (0..k-1).")
        var offset: Int = 0
        @Option(help: "BPE vocabulary size.")
        var vocabSize: Int = 4096
        @Option(help: "BPE minimum pair frequency.")
        var minFrequency: Int = 2
        @Option(help: "Window length of training windows.")
        var window: Int = 1000
        @Option(help: "Stride of training windows.")
        var stride: Int?
        @Option(help: "Maximum N fraction of training windows.")
        var maxNFraction: Double = 0
        @Option(help: "Hashed validation fraction held out from training.")
        var val: Double = 0
        @Option(help: "Hashed test fraction held out from training.")
        var test: Double = 0
        @Option(help: "Seed (splits).")
        var seed: UInt64 = 0
        @Option(name: [.short, .long], help: "Output tokenizer.json.")
        var output: String = "tokenizer.json"

        func run() throws {
            try reportingErrors {
                    if kind != .bpe {
                        let t = try TokenizerFactory.make(kind: kind, k: k, offset: offset)
                        try HFTokenizerJSON.write(t, to: output)
                        printError("wrote \(output): \(t.kind.rawValue), \(t.vocabulary.count) tokens")
                        return
                    }
                    guard !inputs.isEmpty else { throw ValidationError("BPE training needs FASTA inputs") }
                    var o = WindowsOptions(inputs: inputs)
                    o.window = window; o.sampler = .tiled(stride: stride ?? window); o.maxNFraction = maxNFraction
                    o.split = .hashed(val: val, test: test, blockSize: 100_000); o.seed = seed; o.softMask = .upper
                    let trainer = try BPETrainer(vocabSize: vocabSize, minFrequency: minFrequency)
                    let progress = ProgressBar("bpe")
                    let (t, s) = try TokenizerFactory.trainBPE(windows: o, trainer: trainer) { n, total in progress.message("vocabulary \(n) of \(total)") }
                    progress.finish()
                    try HFTokenizerJSON.write(t, to: output)
                    printError("trained on \(s.counts.kept[0]) windows; wrote \(output): \(t.vocabulary.count) tokens, \(t.merges.count) merges")
            }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encode tiled windows and print contig, start and ids (TSV).")
        @Option(help: "tokenizer.json")
        var tokenizer: String
        @Argument(help: "FASTA inputs.")
        var inputs: [String]
        @Option(help: "Window length.")
        var window: Int = 1000
        @Option(help: "Stop after this many windows (0 = all).")
        var count: Int = 0
        @Flag(help: "Only count tokens and report speed on stderr (for benchmarks).")
        var countOnly = false
        @Flag(help: "Benchmark the tokenizer alone: load the windows into memory first, then time only the encoding (one thread).")
        var inMemory = false

        /// Collects windows into batches and encodes each batch on two threads (output in order).
        struct Printer: WindowOutput {
            let t: any Tokenizer
            let limit: Int
            let quiet: Bool
            var n = 0
            var tokens = 0
            var bases = 0
            var batchCodes: [[UInt8]] = []
            var batchNames: [(String, Int)] = []
            static let batchSize = 512

            mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                                codes: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
                if limit > 0 && n >= limit { return }
                n += 1
                bases += codes.count
                batchCodes.append(Array(codes))
                batchNames.append((contig, start))
                if batchCodes.count == Printer.batchSize { flush() }
            }

            mutating func flush() {
                let m = batchCodes.count
                if m == 0 { return }
                let results = UnsafeMutablePointer<[UInt32]>.allocate(capacity: m)
                results.initialize(repeating: [], count: m)
                defer { results.deinitialize(count: m); results.deallocate() }
                let codes = batchCodes, tok = t
                let out = UnsafeTransfer(value: results)
                DispatchQueue.concurrentPerform(iterations: 2) { part in
                    let lo = part * m / 2, hi = (part + 1) * m / 2
                    let encoder = TokenEncoder(tok)
                    for i in lo..<hi {
                        var ids: [UInt32] = []
                        codes[i].withUnsafeBufferPointer { encoder.encode($0, into: &ids) }
                        out.value[i] = ids
                    }
                }
                for i in 0..<m {
                    tokens += results[i].count
                    if !quiet { print("\(batchNames[i].0)\t\(batchNames[i].1)\t" + results[i].map(String.init).joined(separator: " ")) }
                }
                batchCodes.removeAll(keepingCapacity: true)
                batchNames.removeAll(keepingCapacity: true)
            }
        }

        func benchInMemory(_ t: any Tokenizer, _ o: WindowsOptions) throws {
            let (_, c) = try WindowsJob.run(o, into: Collector(limit: count))
            let w = o.window
            var ids: [UInt32] = []
            ids.reserveCapacity(w + 2)
            var tokens = 0
            let encoder = TokenEncoder(t)
            let start = MonotonicClock.now()
            c.codes.withUnsafeBufferPointer { all in
                for i in 0..<c.windows {
                    ids.removeAll(keepingCapacity: true)
                    let view = UnsafeBufferPointer(rebasing: all[(i * w)..<((i + 1) * w)])
                    encoder.encode(view, into: &ids)
                    tokens += ids.count
                }
            }
            let dt = MonotonicClock.now() - start
            printError("in memory, one thread: \(c.windows) windows, \(c.codes.count) bases into \(tokens) tokens in \(Int(dt * 1000)) ms (\(Int(Double(c.windows) / dt)) windows/s, \(String(Double(Int(Double(c.codes.count) / dt / 1e7)) / 100)) GB/s of bases)")
        }

        func run() throws {
            try reportingErrors {
                let t = try HFTokenizerJSON.load(path: tokenizer)
                var o = WindowsOptions(inputs: inputs)
                o.window = window; o.sampler = .tiled(stride: window); o.maxNFraction = 1
                if inMemory { try benchInMemory(t, o); return }
                let start = MonotonicClock.now()
                var (_, p) = try WindowsJob.run(o, into: Printer(t: t, limit: count, quiet: countOnly))
                p.flush()
                let dt = MonotonicClock.now() - start
                printError("encoded \(p.n) windows, \(p.bases) bases into \(p.tokens) tokens in \(Int(dt * 1000)) ms (\(Int(Double(p.n) / dt)) windows/s, \(Int(Double(p.bases) / dt / 1e6)) Mbase/s)")
            }
        }
    }

    /// Collects window codes in one contiguous buffer.
    struct Collector: WindowOutput {
        var codes: [UInt8] = []
        var windows = 0
        let limit: Int
        mutating func write(contig: String, start: Int, end: Int, strand: Strand, split: Split,
                            codes c: UnsafeBufferPointer<UInt8>, nCount: Int, lowerCount: Int) throws {
            if limit > 0 && windows >= limit { return }
            codes.append(contentsOf: c); windows += 1
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode token ids back to bases.")
        @Option(help: "tokenizer.json")
        var tokenizer: String
        @Argument(help: "Token ids.")
        var ids: [UInt32]
        func run() throws {
            try reportingErrors {
                let t = try HFTokenizerJSON.load(path: tokenizer)
                print(String(decoding: try t.decode(ids), as: UTF8.self))
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe a tokenizer.json.")
        @Argument(help: "tokenizer.json")
        var tokenizer: String
        func run() throws {
            try reportingErrors {
                let t = try HFTokenizerJSON.load(path: tokenizer)
                let v = t.vocabulary
                print("kind        \(t.kind.rawValue)")
                print("vocabulary  \(v.count) tokens (ids fit \(v.idWidth))")
                print("specials    " + v.specials.map { "\($0)=\(v.id($0)!)" }.joined(separator: " "))
                if let b = t as? BPETokenizer {
                    print("merges      \(b.merges.count)")
                    let longest = v.tokens.max { $0.count < $1.count } ?? ""
                    print("longest     \(longest.count) bases")
                }
                print("first ids   " + v.tokens.prefix(12).enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " "))
            }
        }
    }
}
