#!/usr/bin/env python3
"""Independent reference for pmi-stats (numpy): counts every n-gram n=1..6 of a gzip FASTA by
brute force, and computes p, naive PMI, Levine PMI (minimum over ALL 2^(n-1)-1 segmentations into
>= 2 parts, enumerated explicitly) and npmi. Compares with pmi-stats' TSV; prints the largest
absolute differences and exits 1 on any mismatch above 1e-9 or any count difference."""
import gzip, itertools, math, sys
import numpy as np

fasta, tsv, m = sys.argv[1], sys.argv[2], int(sys.argv[3])
K = 6
seqs, cur = [], []
for line in gzip.open(fasta, "rt"):
    line = line.strip()
    if line.startswith(">"):
        if cur: seqs.append("".join(cur)); cur = []
    else: cur.append(line.upper())
if cur: seqs.append("".join(cur))
lut = np.full(256, 4, dtype=np.int64)
for i, ch in enumerate("ACGT"): lut[ord(ch)] = i
counts = {n: np.zeros(4 ** n, dtype=np.int64) for n in range(1, K + 1)}
for s in seqs:
    a = lut[np.frombuffer(s.encode(), dtype=np.uint8)]
    for n in range(1, K + 1):
        if len(a) < n: continue
        windows = np.lib.stride_tricks.sliding_window_view(a, n)
        ok = (windows < 4).all(axis=1)
        codes = np.zeros(len(windows), dtype=np.int64)
        for j in range(n): codes = codes * 4 + np.where(windows[:, j] < 4, windows[:, j], 0)
        counts[n] += np.bincount(codes[ok], minlength=4 ** n)
logp = {n: np.log(counts[n] / counts[n].sum()) for n in counts}
def kmer(w, n): return "".join("ACGT"[(w >> (2 * (n - 1 - i))) & 3] for i in range(n))
def code(s):
    w = 0
    for ch in s: w = w * 4 + "ACGT".index(ch)
    return w
ours = {}
for line in open(tsv):
    f = line.rstrip("\n").split("\t")
    if f[0] == "kmer" or int(f[1]) != K: continue
    ours[f[0]] = f
worst = {"naive": 0.0, "pmi": 0.0, "npmi": 0.0, "p": 0.0}
bad = 0
for w in range(4 ** K):
    s = kmer(w, K)
    c = int(counts[K][w])
    f = ours[s]
    if int(f[2]) != c: print("count mismatch", s, f[2], c); bad += 1; continue
    if c == 0: continue
    lw = logp[K][w]
    naive = lw - sum(logp[1][code(ch)] for ch in s)
    best = math.inf
    for cuts in itertools.product([0, 1], repeat=K - 1):
        if not any(cuts): continue
        parts, start = [], 0
        for i, cut in enumerate(cuts, 1):
            if cut: parts.append(s[start:i]); start = i
        parts.append(s[start:])
        best = min(best, lw - sum(logp[len(p)][code(p)] for p in parts))
    npmi = best * math.log(c) / (math.log(c) + math.log(m))
    for key, want, got in (("p", c / counts[K].sum(), float(f[3])), ("naive", naive, float(f[4])),
                           ("pmi", best, float(f[5])), ("npmi", npmi, float(f[6]))):
        d = abs(want - got)
        worst[key] = max(worst[key], d)
        if d > 1e-9: bad += 1
print("max abs differences:", worst, "mismatches:", bad)
sys.exit(1 if bad else 0)
