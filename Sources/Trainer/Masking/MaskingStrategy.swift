/// The masking (and view) strategies of the seed methods (`shared/specs/seed-methods.md`).
public enum MaskingStrategy: String, Sendable, CaseIterable {
    /// BERT: 15% of real tokens; of those 80% `[MASK]`, 10% a random id, 10% kept.
    case bert
    /// DNABERT random k-span (A.4.1): centres with q = 0.025, offsets -2...+3 masked.
    case kspan
    /// GeneMask (A.4.2): random centres (q = 0.0176), half of them widened around their best-PMI k-mer.
    case genemask
    /// Global-PMI (A.4.3): the k best-PMI positions of the window, +-5 around each.
    case globalPMI = "global-pmi"
    /// CM-STEP (A.4.4): per batch, Global-PMI with probability rising linearly with the step, else k-span.
    case cmStep = "cm-step"
    /// CM-GEMS (A.4.4): GeneMask until eval perplexity plateaus, then Global-PMI (one-way switch).
    case cmGems = "cm-gems"
    /// HAD grouping (C.2): whole 6-nt groups on a non-overlapping grid, about 15% of groups.
    case hadGroup = "had-group"
    /// BarcodeMAE (D.2): 50% of eligible tokens hidden; visible tokens packed left with their positions.
    case mae
    /// FinDNA (B.2-B.4): one-hot teacher and student views with augmentations and K = 10 CLS rows
    /// (``FinDNAViews``), in the batch's `student`, `teacher`, `targets` and `studentMask`.
    case findna

    /// Strategies that read the shards' `pmi_rank` column.
    public var needsPMIRank: Bool { [.genemask, .globalPMI, .cmStep, .cmGems].contains(self) }
    /// Strategies defined on single-nucleotide tokens.
    public var needsBaseTokens: Bool { self == .hadGroup || self == .findna }
}

/// Rates and sizes of the strategies; the defaults are the published ones (see each field).
public struct MaskingSettings: Sendable, Equatable {
    /// BERT selection rate (0.15) and its split into [MASK] / random / kept (0.8 / 0.1 / 0.1).
    public var bertRate = 0.15
    public var maskFraction = 0.8
    public var randomFraction = 0.1
    /// DNABERT k-span centre rate: 0.15 / 6 (A.4.1).
    public var kspanRate = 0.025
    /// GeneMask centre rate: 0.15 / 8.5 (A.4.2, Script-A line 32).
    public var genemaskRate = 0.0176
    /// Global-PMI rate: 0.15 / 11 (A.4.3, CM-STEP's hard-coded value).
    public var globalPMIRate = 0.0136
    /// CM-STEP: the step count the linear schedule spans (T in A.4.4).
    public var totalSteps = 10_000
    /// HAD: group size in nucleotides and the fraction of groups masked (C.2).
    public var groupSize = 6
    public var groupRate = 0.15
    /// BarcodeMAE: fraction of eligible tokens hidden (D.2).
    public var maeRate = 0.5
    /// BarcodeMAE: a random start offset 0...maeMaxOffset tokens, per row and epoch, when the window holds
    /// more tokens than the sequence length (D.1: with character tokens, windows of 666 bases read as rows
    /// of 660; 6-mer shards would need the offset applied before tokenizing, which they do not hold).
    public var maeMaxOffset = 5
    /// FinDNA's views (B.2-B.4).
    public var findna = FinDNAViews.Settings()
    public init() {}
}

/// CM-GEMS's curriculum state (A.4.4), owned by the trainer in memory and saved in its checkpoint (defect
/// A.7.3: the published code re-read a text file that runs could share). Eval perplexity must be measured
/// under one fixed masking policy so values compare. The switch is one-way: once the smallest change
/// between consecutive evals falls below the threshold, Global-PMI is used from then on.
public struct CMGemsCurriculum: Sendable, Equatable {
    public var threshold: Double
    public private(set) var history: [Double] = []
    public private(set) var hard = false
    /// The batch index from which Global-PMI applies (set when the switch happens).
    public private(set) var hardFromBatch: Int? = nil

    public init(threshold: Double = 1.0) { self.threshold = threshold }

    /// Records an eval perplexity taken after `batchesConsumed` batches; returns whether it switched now.
    @discardableResult
    public mutating func record(perplexity: Double, batchesConsumed: Int) -> Bool {
        history.append(perplexity)
        guard !hard, history.count >= 2 else { return false }
        var d = Double.infinity
        for j in 1..<history.count { d = min(d, abs(history[j] - history[j - 1])) }
        if d < threshold { hard = true; hardFromBatch = batchesConsumed; return true }
        return false
    }

    /// Restores a saved state.
    public init(threshold: Double, history: [Double], hardFromBatch: Int?) {
        self.threshold = threshold; self.history = history; self.hard = hardFromBatch != nil; self.hardFromBatch = hardFromBatch
    }
}

/// CM-STEP's probability of a Global-PMI batch at step t of T: f(t) = floor(t / B) / 100 with B = floor(T / 100)
/// (A.4.4), so it rises 0 -> 1 in 1% steps.
public func cmStepHardProbability(step: Int, totalSteps: Int) -> Double {
    let b = max(1, totalSteps / 100)
    return min(1, Double(step / b) / 100)
}
