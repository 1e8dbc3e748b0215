import COpenBLAS
import Shards
/// The streaming trainer lives here.
public enum TrainerModule { public static let version = "0.1.0" }
