import Basics

/// Errors of `genome-prep run` and `merge`: a config or output-folder problem, the file it concerns, and
/// what to do next.
public struct PipelineError: GenomePrepError {
    public var message: String
    public var location: InputLocation?
    public var hint: String?
    public var kindName: String { "pipeline" }
    public init(_ message: String, path: String? = nil, hint: String? = nil) {
        self.message = message; self.location = path.map { InputLocation(path: $0) }; self.hint = hint
    }
}
