/// Which contigs to use: by exact names, by regular expression, by minimum length, and a
/// `primaryOnly` preset that drops alternate, unplaced, patch, HLA and EBV contigs.
public struct ContigFilter {
    public var include: Set<String> = []
    public var exclude: Set<String> = []
    public var includePattern: String? { didSet { includeRegex = nil } }
    public var excludePattern: String? { didSet { excludeRegex = nil } }
    public var minLength = 0
    public var primaryOnly = false
    private var includeRegex: Regex<AnyRegexOutput>?
    private var excludeRegex: Regex<AnyRegexOutput>?

    public init() {}

    /// Compiles the patterns; throws a clear error for an invalid one.
    public mutating func compile() throws {
        func make(_ p: String?, _ flag: String) throws -> Regex<AnyRegexOutput>? {
            guard let p else { return nil }
            do { return try Regex(p) } catch {
                throw GenomeIOError(.badArgument, "invalid regular expression for \(flag): '\(p)': \(error)")
            }
        }
        includeRegex = try make(includePattern, "--include-regex")
        excludeRegex = try make(excludePattern, "--exclude-regex")
    }

    /// Names dropped by the `primary-only` preset (hg38/T2T/Ensembl style).
    public static func isNonPrimary(_ name: String) -> Bool {
        let lower = name.lowercased()
        for s in ["_alt", "_random", "_fix", "_decoy", "_hap"] where lower.contains(s) { return true }
        for p in ["chrun", "un_", "hla-", "chrebv", "ebv"] where lower.hasPrefix(p) { return true }
        return false
    }

    /// Decision from the name alone (nil reason = accepted).
    public func rejection(name: String) -> String? {
        if !include.isEmpty && !include.contains(name) { return "not-included" }
        if exclude.contains(name) { return "excluded" }
        if let r = includeRegex, (try? r.firstMatch(in: name)) == nil { return "not-included" }
        if let r = excludeRegex, (try? r.firstMatch(in: name)) != nil { return "excluded" }
        if primaryOnly && ContigFilter.isNonPrimary(name) { return "non-primary" }
        return nil
    }

    public func rejection(name: String, length: Int) -> String? {
        if let r = rejection(name: name) { return r }
        if length < minLength { return "shorter-than-min-length" }
        return nil
    }
}
