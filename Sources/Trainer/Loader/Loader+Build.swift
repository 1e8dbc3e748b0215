import Basics
import Shards

extension Loader {
    /// The strategy of batch `index` (CM-STEP draws one per batch; CM-GEMS follows the switch).
    func strategy(forBatch index: Int) -> MaskingStrategy {
        switch settings.masking {
        case .cmStep:
            var g = SplitMix64(seed: SplitMix64.mix(settings.seed ^ 0x434D_5354_4550 ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
            let p = cmStepHardProbability(step: index, totalSteps: settings.maskingSettings.totalSteps)
            return g.unit() < p ? .globalPMI : .kspan
        case .cmGems:
            if let from = gemsHardFrom.withLock({ $0 }), index >= from { return .globalPMI }
            return .genemask
        default:
            return settings.masking
        }
    }

    /// The generator of the row at `position` of `epoch`'s order: the same whatever worker builds it.
    @inline(__always)
    func rowRNG(epoch: Int, position: Int) -> SplitMix64 {
        SplitMix64(seed: SplitMix64.mix(settings.seed ^ 0x4D41_534B ^ UInt64(epoch) &* 0xD6E8_FEB8_6659_FD93 ^ UInt64(position) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// Decodes the rows' samples out of their shards (views, no per-sample allocation) and masks them.
    func build(_ b: Batch, rows: [Row], handles: [Int: ShardHandle], index: Int, epoch: Int) throws {
        let t0 = MonotonicClock.now()
        let len = length
        let pad = Int32(info.specialIDs.pad ?? 0)
        b.rows = rows.count
        b.index = index
        b.epoch = epoch
        b.tokenCount = 0
        let maeOffsets = settings.masking == .mae && settings.maskingSettings.maeMaxOffset > 0
        try b.tokens.withUnsafeMutableBufferPointer { tok in
            try b.ranks.withUnsafeMutableBufferPointer { rk in
                try b.attention.withUnsafeMutableBufferPointer { att in
                    for (r, row) in rows.enumerated() {
                        let view = handles[row.ref.visit]!.view
                        let (values, n, item) = try view.array(row.ref.local, column: tokenColumn[row.ref.source])
                        let take = min(n, len)
                        let o = r * len
                        // BarcodeMAE's random start offset 0...5 (D.1), where the window holds that many more
                        // tokens than a row (for character tokens it is BarcodeMAE's nucleotide offset).
                        var start = 0
                        if maeOffsets && n > len {
                            var g = SplitMix64(seed: SplitMix64.mix(rowRNG(epoch: epoch, position: row.position).state ^ 0x4F46_4653_4554))
                            start = Int(g.below(UInt64(min(settings.maskingSettings.maeMaxOffset, n - len) + 1)))
                        }
                        let dst = tok.baseAddress! + o
                        if item == 1 {
                            let src = values.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
                            for i in 0..<take { dst[i] = Int32(src[i]) }
                        } else if item == 2 {
                            for i in 0..<take { dst[i] = Int32(values.loadUnaligned(fromByteOffset: 2 &* (start &+ i), as: UInt16.self).littleEndian) }
                        } else {
                            for i in 0..<take { dst[i] = Int32(truncatingIfNeeded: values.loadUnaligned(fromByteOffset: 4 &* (start &+ i), as: UInt32.self).littleEndian) }
                        }
                        // Ids are checked against the vocabulary (u8 ids of a vocabulary of 256 or more cannot
                        // be out of range); the branch-free max keeps the copy loop vectorised.
                        var low = Int32.max
                        for i in 0..<take { low = min(low, dst[i]) }
                        if item > 1 || info.vocabSize < 256 {
                            var top: Int32 = 0
                            for i in 0..<take { top = max(top, dst[i]) }
                            if low < 0 || Int(top) >= info.vocabSize {
                                let i = (0..<take).first { tok[o + $0] < 0 || Int(tok[o + $0]) >= info.vocabSize }!
                                throw ShardsError("shard \(view.index), sample \(view.firstSample + row.ref.local): token id \(tok[o + i]) at position \(start + i) is outside the vocabulary (\(info.vocabSize))", path: view.path)
                            }
                        }
                        (tok.baseAddress! + o + take).update(repeating: pad, count: len - take)
                        (att.baseAddress! + o).update(repeating: 1, count: take)
                        (att.baseAddress! + o + take).update(repeating: 0, count: len - take)
                        // Every position of the row is a real, non-special token: maskers skip their checks.
                        b.allEligible[r] = take == len && Int(low) > maxSpecialBelow
                        b.tokenCount += take
                        if let rc = rankColumn[row.ref.source] {
                            let (rv, rn, _) = try view.array(row.ref.local, column: rc)
                            guard rn == n else {
                                throw ShardsError("shard \(view.index), sample \(view.firstSample + row.ref.local): pmi_rank has \(rn) values for \(n) tokens", path: view.path)
                            }
                            for i in 0..<take { rk[o + i] = rv.loadUnaligned(fromByteOffset: 2 * (start + i), as: UInt16.self).littleEndian }
                            for i in take..<len { rk[o + i] = UInt16.max }
                        }
                        b.source[r] = Int32(row.ref.source)
                        b.sample[r] = view.firstSample + row.ref.local
                        b.orderPosition[r] = row.position
                    }
                }
            }
        }
        let t1 = MonotonicClock.now()
        decodeNanos.add(Int((t1 - t0) * 1e9), ordering: .relaxed)
        mask(b, as: strategy(forBatch: index))
        maskNanos.add(Int((MonotonicClock.now() - t1) * 1e9), ordering: .relaxed)
    }

    /// Masks every row of `b` with `strategy`, each from its own generator.
    func mask(_ b: Batch, as strategy: MaskingStrategy) {
        if strategy == .findna { return findnaViews(b) }
        // Workers plus the consumer (a CM-GEMS re-mask) may mask at once: a fresh one when the pool is empty.
        let masker = maskers.withLock { $0.popLast() } ?? maskerTemplate.copy()
        defer { maskers.withLock { $0.append(masker) } }
        b.strategy = strategy
        let len = length
        b.tokens.withUnsafeMutableBufferPointer { tok in
        b.ranks.withUnsafeMutableBufferPointer { rk in
        b.attention.withUnsafeMutableBufferPointer { att in
        b.ids.withUnsafeMutableBufferPointer { ids in
        b.labels.withUnsafeMutableBufferPointer { lab in
        b.positions.withUnsafeMutableBufferPointer { pos in
        b.visibleIndex.withUnsafeMutableBufferPointer { vis in
        b.maskedIndex.withUnsafeMutableBufferPointer { msk in
            for r in 0..<b.rows {
                let o = r * len
                var row = Masker.Row(tokens: tok.baseAddress! + o, ranks: rk.baseAddress! + o, attention: att.baseAddress! + o,
                                     ids: ids.baseAddress! + o, labels: lab.baseAddress! + o, positions: pos.baseAddress! + o,
                                     visibleIndex: vis.baseAddress! + o, maskedIndex: msk.baseAddress! + o)
                row.allEligible = b.allEligible[r]
                var g = rowRNG(epoch: b.epoch, position: b.orderPosition[r])
                masker.apply(strategy, to: &row, rng: &g)
                b.visibleCount[r] = row.visibleCount
                b.maskedCount[r] = row.maskedCount
            }
        }}}}}}}}
    }

    /// FinDNA's float views of every row, each from its row's generator.
    func findnaViews(_ b: Batch) {
        var v = views.withLock { $0.popLast() } ?? viewsTemplate!
        defer { views.withLock { $0.append(v) } }
        b.strategy = .findna
        let len = length, vr = b.viewRows
        b.tokens.withUnsafeBufferPointer { tok in
        b.student.withUnsafeMutableBufferPointer { st in
        b.teacher.withUnsafeMutableBufferPointer { te in
        b.targets.withUnsafeMutableBufferPointer { tg in
        b.studentMask.withUnsafeMutableBufferPointer { mk in
            for r in 0..<b.rows {
                var g = rowRNG(epoch: b.epoch, position: b.orderPosition[r])
                b.reverseComplemented[r] = v.build(tokens: tok.baseAddress! + r * len, student: st.baseAddress! + r * vr * 5,
                                                   teacher: te.baseAddress! + r * vr * 5, targets: tg.baseAddress! + r * len * 5,
                                                   mask: mk.baseAddress! + r * len, rng: &g)
            }
        }}}}}
        // The token arrays keep the window as read, unmasked.
        for i in 0..<(b.rows * len) { b.ids[i] = b.tokens[i]; b.labels[i] = -100; b.positions[i] = Int32(i % len) }
    }
}
