import Basics

/// FinDNA's teacher and student views (`shared/specs/seed-methods.md` B.2-B.4) of character-token windows,
/// as float one-hot matrices with the channel order FinDNA's LabelBinarizer gives: A, C, G, N, T.
///
/// - Student (B.2, B.3): each position is selected with p = 0.3; a selected position becomes a random
///   one-hot over all 5 channels with p = 0.1, stays with p = 0.1, else an all-zero row; then N(0, 0.2^2)
///   noise on every entry; then, with p = 0.5, a true reverse complement (positions reversed, A<->T,
///   C<->G, N kept: the published channel flip mapped C<->N, defect B.3), and the targets and the mask are
///   reverse-complemented with it (the published code compared RC'd inputs with unreversed targets).
/// - Teacher (B.3): deletion, then insertion, then translocation, all applied (the published loop kept only
///   the last, defect "list-1"); deletion pads back to L with random letters as EvoAug does, insertion's
///   L + 20 output is cropped back to L by dropping 10 from each end, translocation is a circular roll.
/// - Both views get K = 10 all-zero CLS rows appended (B.4).
/// Random letters are uniform over the 5 channels (so 20% are N), as EvoAug draws them.
public struct FinDNAViews: Sendable {
    public struct Settings: Sendable, Equatable {
        public var maskRate = 0.3
        public var randomRate = 0.1
        public var keepRate = 0.1
        public var noiseStd: Float = 0.2
        public var rcProbability = 0.5
        public var maxIndel = 20
        public var maxShift = 20
        public var cls = 10
        public init() {}
    }
    public let settings: Settings
    public let length: Int
    /// Channel of each token id (A0 C1 G2 N3 T4), -1 for ids that are not bases (an all-zero row).
    let channel: [Int8]
    var work: [Int8]
    var work2: [Int8]

    public init(settings: Settings, length: Int, baseIDs: (a: Int, c: Int, g: Int, t: Int, n: Int?), vocabSize: Int) {
        self.settings = settings
        self.length = length
        var ch = [Int8](repeating: -1, count: vocabSize)
        ch[baseIDs.a] = 0; ch[baseIDs.c] = 1; ch[baseIDs.g] = 2; ch[baseIDs.t] = 4
        if let n = baseIDs.n { ch[n] = 3 }
        channel = ch
        work = Array(repeating: -1, count: length + 2 * settings.maxIndel)
        work2 = work
    }

    /// Rows of each view: the window plus the CLS rows.
    public var viewRows: Int { length + settings.cls }

    /// The complement of a channel: A<->T, C<->G, N->N; -1 (no base) stays.
    @inline(__always)
    public static func complement(_ c: Int8) -> Int8 { c < 0 ? c : [4, 2, 1, 3, 0][Int(c)] }

    /// Reverse complement of a channel sequence, in place.
    public static func reverseComplement(_ x: inout [Int8], count: Int) {
        var i = 0, j = count - 1
        while i < j { let a = x[i]; x[i] = complement(x[j]); x[j] = complement(a); i += 1; j -= 1 }
        if i == j { x[i] = complement(x[i]) }
    }

    @inline(__always)
    static func gaussian(_ g: inout SplitMix64) -> Float {
        // Box-Muller on two uniform draws in (0, 1].
        let u1 = 1 - g.unit(), u2 = g.unit()
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Fills one row's views from its token ids.
    /// - Parameters:
    ///   - student, teacher: `viewRows` x 5 floats each; targets: `length` x 5; mask: `length` (1 = selected).
    /// - Returns: whether the student (and its targets and mask) was reverse-complemented.
    @discardableResult
    public mutating func build(tokens: UnsafePointer<Int32>, student: UnsafeMutablePointer<Float>, teacher: UnsafeMutablePointer<Float>,
                               targets: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>, rng g: inout SplitMix64) -> Bool {
        let L = length, rows = viewRows
        for i in 0..<L { work[i] = channel[Int(tokens[i])] }
        // Student: mask, noise, RC.
        student.update(repeating: 0, count: rows * 5)
        for i in 0..<L {
            var c = work[i]
            mask[i] = 0
            if g.unit() < settings.maskRate {
                mask[i] = 1
                let u = g.unit()
                if u < settings.randomRate { c = Int8(g.below(5)) }
                else if u < 1 - settings.keepRate { c = -1 }
            }
            if c >= 0 { student[i * 5 + Int(c)] = 1 }
        }
        if settings.noiseStd > 0 { for k in 0..<(L * 5) { student[k] += settings.noiseStd * FinDNAViews.gaussian(&g) } }
        targets.update(repeating: 0, count: L * 5)
        let rc = g.unit() < settings.rcProbability
        if rc {
            // Reverse positions and swap channels A<->T, C<->G (N stays): x'[i][c] = x[L-1-i][comp(c)].
            for i in 0..<(L / 2) {
                let j = L - 1 - i
                for c in 0..<5 {
                    let cc = Int(FinDNAViews.complement(Int8(c)))
                    let a = student[i * 5 + c], b = student[j * 5 + cc]
                    student[i * 5 + c] = b; student[j * 5 + cc] = a
                }
                let m = mask[i]; mask[i] = mask[j]; mask[j] = m
            }
            if L % 2 == 1 {
                let i = L / 2
                let a = student[i * 5 + 0]; student[i * 5 + 0] = student[i * 5 + 4]; student[i * 5 + 4] = a
                let b = student[i * 5 + 1]; student[i * 5 + 1] = student[i * 5 + 2]; student[i * 5 + 2] = b
            }
            for i in 0..<L { let c = work[L - 1 - i]; if c >= 0 { targets[i * 5 + Int(FinDNAViews.complement(c))] = 1 } }
        } else {
            for i in 0..<L { let c = work[i]; if c >= 0 { targets[i * 5 + Int(c)] = 1 } }
        }
        // Teacher: deletion, insertion (cropped back to L), translocation.
        let m = settings.maxIndel
        var d = Int(g.below(UInt64(m + 1)))
        let s = L > m ? Int(g.below(UInt64(L - m + 1))) : 0
        d = min(d, L - s)
        var n = 0
        for _ in 0..<(d / 2) { work2[n] = Int8(g.below(5)); n += 1 }
        for i in 0..<L where i < s || i >= s + d { work2[n] = work[i]; n += 1 }
        for _ in 0..<(d - d / 2) { work2[n] = Int8(g.below(5)); n += 1 }
        // Insertion: d letters at p, then (m - d) / 2 in front and the rest behind: L + m, cropped to L.
        let di = Int(g.below(UInt64(m + 1)))
        let p = Int(g.below(UInt64(L)))
        n = 0
        for _ in 0..<((m - di) / 2) { work[n] = Int8(g.below(5)); n += 1 }
        for i in 0..<L {
            if i == p { for _ in 0..<di { work[n] = Int8(g.below(5)); n += 1 } }
            work[n] = work2[i]; n += 1
        }
        for _ in 0..<(m - di - (m - di) / 2) { work[n] = Int8(g.below(5)); n += 1 }
        let crop = m / 2
        var shift = Int(g.below(UInt64(settings.maxShift + 1)))
        if g.unit() < 0.5 { shift = -shift }
        teacher.update(repeating: 0, count: rows * 5)
        for i in 0..<L {
            // Circular roll by `shift` (torch.roll): output i takes input (i - shift) mod L.
            let src = ((i - shift) % L + L) % L
            let c = work[crop + src]
            if c >= 0 { teacher[i * 5 + Int(c)] = 1 }
        }
        return rc
    }
}
