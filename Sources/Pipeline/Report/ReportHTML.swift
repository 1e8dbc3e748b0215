import Basics

/// `genome-prep report`'s page: one self-contained HTML file (no script, no network; charts are inline
/// SVG) that opens from disk.
extension DatasetReport {
    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]

    static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }

    static func num(_ x: Double, _ digits: Int = 3) -> String {
        let p = Double(Int(pow10(digits)))
        let r = (x * p).rounded() / p
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r)
    }

    static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { a, _ in a * 10 } }

    /// Lines over x for several series (each a list of (x, y)), with axes and a legend.
    static func lineChart(title: String, xLabel: String, yLabel: String, series: [(String, [(Double, Double)])],
                          width: Int = 560, height: Int = 240) -> String {
        let pts = series.flatMap { $0.1 }
        guard !pts.isEmpty else { return "" }
        var x0 = pts.map(\.0).min()!, x1 = pts.map(\.0).max()!, y0 = pts.map(\.1).min()!, y1 = pts.map(\.1).max()!
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y1 = y0 + 1 }
        let pad = (y1 - y0) * 0.05
        y0 = y0 >= 0 ? max(0, y0 - pad) : y0 - pad
        y1 += pad
        let l = 56.0, r = 12.0, t = 28.0, b = 40.0
        let w = Double(width), h = Double(height)
        func px(_ x: Double) -> Double { l + (x - x0) / (x1 - x0) * (w - l - r) }
        func py(_ y: Double) -> Double { h - b - (y - y0) / (y1 - y0) * (h - t - b) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(escape(title))\">"
        s += "<text x=\"\(Int(w / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">\(escape(title))</text>"
        s += "<line x1=\"\(l)\" y1=\"\(h - b)\" x2=\"\(w - r)\" y2=\"\(h - b)\" stroke=\"#333\"/><line x1=\"\(l)\" y1=\"\(t)\" x2=\"\(l)\" y2=\"\(h - b)\" stroke=\"#333\"/>"
        for i in 0...4 {
            let yv = y0 + (y1 - y0) * Double(i) / 4, xv = x0 + (x1 - x0) * Double(i) / 4
            s += "<text x=\"\(l - 4)\" y=\"\(py(yv) + 4)\" text-anchor=\"end\" font-size=\"10\">\(num(yv))</text>"
            s += "<text x=\"\(px(xv))\" y=\"\(h - b + 14)\" text-anchor=\"middle\" font-size=\"10\">\(num(xv))</text>"
        }
        s += "<text x=\"\(Int(w / 2))\" y=\"\(Int(h) - 6)\" text-anchor=\"middle\" font-size=\"11\">\(escape(xLabel))</text>"
        s += "<text x=\"12\" y=\"\(Int(h / 2))\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 12 \(Int(h / 2)))\">\(escape(yLabel))</text>"
        for (i, (name, p)) in series.enumerated() {
            let c = colors[i % colors.count]
            s += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"1.5\" points=\"" + p.map { "\(num(px($0.0), 1)),\(num(py($0.1), 1))" }.joined(separator: " ") + "\"/>"
            s += "<rect x=\"\(Int(w - r - 110))\" y=\"\(Int(t) + 14 * i)\" width=\"10\" height=\"10\" fill=\"\(c)\"/>"
            s += "<text x=\"\(Int(w - r - 96))\" y=\"\(Int(t) + 14 * i + 9)\" font-size=\"11\">\(escape(name))</text>"
        }
        return s + "</svg>"
    }

    /// A histogram per split as lines of the share of windows per bin (so splits of different sizes compare).
    static func histogramChart(title: String, xLabel: String, _ hs: [(String, Histogram)]) -> String {
        lineChart(title: title, xLabel: xLabel, yLabel: "share of windows", series: hs.map { name, h in
            let total = Double(max(h.total, 1)), wdt = (h.upper - h.lower) / Double(h.counts.count)
            return (name, h.counts.enumerated().map { (h.lower + (Double($0.offset) + 0.5) * wdt, Double($0.element) / total) })
        })
    }

    public var html: String {
        var b = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>GenomePrep report: \(Self.escape(name))</title>"
        b += "<style>body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}"
        b += "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        b += ".charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#666;font-size:90%}</style></head><body>"
        b += "<h1>GenomePrep report: \(Self.escape(name))</h1><p class=\"note\">\(Self.escape(folder)) · tokenizer \(Self.escape(dataset.tokenizer))"
        b += dataset.k.map { " (k = \($0))" } ?? ""
        b += ", vocabulary \(dataset.vocabSize), window \(dataset.window) bp</p>"
        // Inputs.
        b += "<h2>Inputs</h2><table><tr><th>input</th><th>records</th><th>bases</th><th>N50</th><th>min</th><th>max</th><th>N</th><th>soft-masked</th><th>GC</th></tr>"
        for i in inputs {
            b += "<tr><td>\(Self.escape(i.name))</td>"
            if let s = i.stats {
                let pct = { (x: Int, of: Int) in of > 0 ? Self.num(100 * Double(x) / Double(of), 2) + "%" : "-" }
                b += "<td>\(s.records)</td><td>\(s.bases)</td><td>\(s.n50)</td><td>\(s.records == 0 ? 0 : s.minLength)</td><td>\(s.maxLength)</td>"
                b += "<td>\(pct(s.n, s.bases))</td><td>\(pct(s.lower, s.bases))</td><td>\(pct(s.gc, s.bases - s.n))</td></tr>"
            } else {
                b += "<td colspan=\"8\" class=\"note\">the input is not at the path the run read it from</td></tr>"
            }
        }
        b += "</table>"
        // Windows.
        b += "<h2>Windows</h2><table><tr><th>split</th><th>kept</th><th>tokens</th><th>bases</th><th>mean GC</th><th>N</th><th>shards</th><th>on disk</th><th>bits per base</th></tr>"
        for s in splits {
            b += "<tr><td>\(s.name)</td><td>\(s.samples)</td><td>\(s.tokens)</td><td>\(s.bases)</td><td>\(Self.num(s.meanGC * 100, 2))%</td>"
            b += "<td>\(s.bases > 0 ? Self.num(100 * Double(s.nBases) / Double(s.bases), 3) : "0")%</td><td>\(s.shards.count)</td><td>\(s.diskBytes) B</td><td>\(Self.num(s.bitsPerBase, 3))</td></tr>"
        }
        b += "</table>"
        if !dropped.isEmpty {
            b += "<table><tr><th>dropped because</th><th>windows</th></tr>" + dropped.map { "<tr><td>\(Self.escape($0.0))</td><td>\($0.1)</td></tr>" }.joined() + "</table>"
        } else {
            b += "<p class=\"note\">No window was dropped.</p>"
        }
        b += "<div class=\"charts\">"
        b += Self.histogramChart(title: "GC of kept windows", xLabel: "GC fraction (of A, C, G, T)", splits.map { ($0.name, $0.gc) })
        b += Self.histogramChart(title: "N of kept windows", xLabel: "N fraction", splits.map { ($0.name, $0.nFraction) })
        if splits.contains(where: { $0.tokenCounts.count > 1 }) {
            b += Self.lineChart(title: "Tokens per window (pick max_seq_len from this)", xLabel: "tokens", yLabel: "share of windows",
                                series: splits.map { s in
                                    let total = Double(max(s.samples, 1))
                                    return (s.name, s.tokenCounts.sorted { $0.key < $1.key }.map { (Double($0.key), Double($0.value) / total) })
                                })
        }
        let ranks = splits.compactMap { s in s.pmiRanks.map { (s.name, $0) } }
        if !ranks.isEmpty { b += Self.histogramChart(title: "PMI ranks of tokens", xLabel: "rank", ranks) }
        b += "</div>"
        b += "<h2>Shards</h2><table><tr><th>split</th><th>shard</th><th>raw bytes</th><th>on disk</th></tr>"
        for s in splits { for sh in s.shards { b += "<tr><td>\(s.name)</td><td>\(Self.escape(sh.name))</td><td>\(sh.rawBytes)</td><td>\(sh.diskBytes)</td></tr>" } }
        b += "</table>"
        if let t = training {
            b += "<h2>Training</h2><div class=\"charts\">"
            b += Self.lineChart(title: "Training loss (masked tokens)", xLabel: "step", yLabel: "cross-entropy (nats)",
                                series: [("train", zip(t.steps, t.loss).map { (Double($0), $1) }), ("eval", zip(t.evalSteps, t.evalLoss).map { (Double($0), $1) })])
            if !t.evalBits.isEmpty {
                b += Self.lineChart(title: "Eval on the val split", xLabel: "step", yLabel: String(t.bitsLabel.map { $0 == "_" ? " " : $0 }),
                                    series: [("eval", zip(t.evalSteps, t.evalBits).map { (Double($0), $1) })])
            }
            b += "</div>"
        }
        b += "<p class=\"note\">Made by genome-prep report. The same numbers: genome-prep report --json.</p></body></html>\n"
        return b
    }
}
