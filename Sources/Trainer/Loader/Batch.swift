/// One batch as the loader hands it to the model: `rows` x `length` arrays, row-major, allocated once per
/// batch slot and reused (valid until the next `Loader.next()`).
///
/// - `ids`: the model's input ids after masking; `labels`: the original id where a token is a target,
///   -100 elsewhere (PyTorch's ignore index); `attention`: 1 for tokens, 0 for padding.
/// - `positions`: each column's position in the window (0..<length, except for `mae`, whose visible tokens
///   are packed left: `ids[0..<visibleCount]` with their original positions here).
/// - `visibleIndex`/`maskedIndex` (first `visibleCount`/`maskedCount` entries of each row): the visible and
///   masked position sets (filled for `had-group` and `mae`).
/// - `tokens`: the unmasked ids; `ranks`: the `pmi_rank` column when the strategy reads it.
public final class Batch: @unchecked Sendable {
    public let capacity: Int
    public let length: Int
    public internal(set) var rows = 0
    /// Global batch number (counted over epochs) and the epoch it belongs to.
    public internal(set) var index = 0
    public internal(set) var epoch = 0
    /// The strategy applied to this batch (for curricula: the one drawn or switched to).
    public internal(set) var strategy: MaskingStrategy = .bert
    public internal(set) var ids: [Int32]
    public internal(set) var labels: [Int32]
    public internal(set) var attention: [UInt8]
    public internal(set) var positions: [Int32]
    public internal(set) var tokens: [Int32]
    public internal(set) var ranks: [UInt16]
    public internal(set) var visibleIndex: [Int32]
    public internal(set) var maskedIndex: [Int32]
    public internal(set) var visibleCount: [Int32]
    public internal(set) var maskedCount: [Int32]
    /// Per row: the source (index in the loader's list), its global sample index, and the row's position in
    /// the epoch's order (which seeds the row's masking).
    public internal(set) var source: [Int32]
    public internal(set) var sample: [Int]
    public internal(set) var orderPosition: [Int]
    /// Rows whose every position is a real, non-special token.
    var allEligible: [Bool]
    /// FinDNA (empty otherwise): per row `viewRows` x 5 floats of the student and teacher views (channels
    /// A, C, G, N, T; the last K rows are CLS), `length` x 5 target one-hots, the student's mask (1 =
    /// selected) and whether the student was reverse-complemented (targets and mask follow it).
    public internal(set) var viewRows = 0
    public internal(set) var student: [Float] = []
    public internal(set) var teacher: [Float] = []
    public internal(set) var targets: [Float] = []
    public internal(set) var studentMask: [UInt8] = []
    public internal(set) var reverseComplemented: [Bool] = []
    /// Real (non-padding) tokens in the batch.
    public internal(set) var tokenCount = 0
    var slot = 0

    init(capacity: Int, length: Int, viewRows: Int = 0) {
        self.capacity = capacity
        self.length = length
        let n = capacity * length
        ids = Array(repeating: 0, count: n); labels = Array(repeating: -100, count: n)
        attention = Array(repeating: 0, count: n); positions = Array(repeating: 0, count: n)
        tokens = Array(repeating: 0, count: n); ranks = Array(repeating: 0, count: n)
        visibleIndex = Array(repeating: 0, count: n); maskedIndex = Array(repeating: 0, count: n)
        visibleCount = Array(repeating: 0, count: capacity); maskedCount = Array(repeating: 0, count: capacity)
        source = Array(repeating: 0, count: capacity); sample = Array(repeating: 0, count: capacity)
        orderPosition = Array(repeating: 0, count: capacity)
        allEligible = Array(repeating: false, count: capacity)
        if viewRows > 0 {
            self.viewRows = viewRows
            student = Array(repeating: 0, count: capacity * viewRows * 5); teacher = student
            targets = Array(repeating: 0, count: capacity * length * 5)
            studentMask = Array(repeating: 0, count: capacity * length)
            reverseComplemented = Array(repeating: false, count: capacity)
        }
    }

    /// Targets (labels != -100) in the first `rows` rows.
    public var maskedTokens: Int {
        var n = 0
        for i in 0..<(rows * length) where labels[i] != -100 { n += 1 }
        return n
    }
}
