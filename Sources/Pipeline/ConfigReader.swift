import Basics

/// Typed, range-checked reads of a config object whose errors name the file and the key path (pipeline
/// and training configs alike).
struct ConfigReader {
    let path: String
    let sections: [String: Set<String>]

    func bad(_ key: String, _ want: String) -> PipelineError { PipelineError("'\(key)' must be \(want)", path: path) }

    func checkKeys(_ obj: JSONObject, _ section: String) throws {
        guard let allowed = sections[section] else { return }
        for (k, _) in obj.pairs where !allowed.contains(k) {
            let near = allowed.min { editDistance($0, k) < editDistance($1, k) } ?? ""
            throw PipelineError("unknown key '\(section.isEmpty ? k : section + "." + k)'" +
                                (editDistance(near, k) <= 3 ? " (did you mean '\(near)'?)" : ""), path: path)
        }
    }

    func section(_ o: JSONObject, _ k: String) throws -> JSONObject? {
        guard let v = o[k] else { return nil }
        guard case .object(let s) = v else { throw bad(k, "an object") }
        try checkKeys(s, k)
        return s
    }

    // A null is a value of the wrong type, not "absent": keys whose null means something (optimizer.clip,
    // shards.zstdLevel) are read before these.
    func string(_ o: JSONObject, _ k: String, full: String? = nil) throws -> String? {
        guard let v = o[k] else { return nil }
        guard case .string(let s) = v else { throw bad(full ?? k, "a string") }
        return s
    }

    func int(_ o: JSONObject, _ k: String, _ range: ClosedRange<Int>, full: String? = nil) throws -> Int? {
        guard let v = o[k] else { return nil }
        guard case .int(let i) = v else { throw bad(full ?? k, "an integer") }
        guard range.contains(i) else { throw bad(full ?? k, "an integer in \(range.lowerBound)...\(range.upperBound) (got \(i))") }
        return i
    }

    func number(_ o: JSONObject, _ k: String, _ range: ClosedRange<Double>, full: String? = nil) throws -> Double? {
        guard let v = o[k] else { return nil }
        let d: Double
        switch v { case .int(let i): d = Double(i); case .double(let x): d = x; default: throw bad(full ?? k, "a number") }
        guard d.isFinite, range.contains(d) else { throw bad(full ?? k, "a number in \(range.lowerBound)...\(range.upperBound) (got \(d))") }
        return d
    }
}
