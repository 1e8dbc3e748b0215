import CZstd
/// MDS shard writer and reader (issue 5) live here.
public enum ShardsModule { public static var zstdVersion: String { String(cString: ZSTD_versionString()) } }
