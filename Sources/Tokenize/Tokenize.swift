import GenomeIO
/// Tokenizers (issue 4) live here.
public enum TokenizeModule { public static let version = "0.1.0" }
