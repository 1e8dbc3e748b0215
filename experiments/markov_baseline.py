"""Masked-base cross-entropy baselines on the val split of a character-token genome-prep run.

Counts come from the train split's windows only, each window also counted as its reverse complement.
Evaluated on the val split's windows:

  order 0   base composition (add-one smoothed); every ACGT val position.
  k = 1..K  two-sided Markov model: the centre base given k bases on each side. A val position counts
            when the centre and its k + k neighbours lie in its window and are all A/C/G/T.
            Smoothing: interpolated Dirichlet back-off,
              P_k(c | ctx_k) = (n(ctx_k, c) + alpha * P_{k-1}(c | ctx_{k-1})) / (n(ctx_k) + alpha),
            where ctx_{k-1} drops the outermost base on each side, down to P_0 (composition).
            alpha is chosen per k from --alpha (lowest bits/base) on a held-out slice of the train split:
            the last --holdout of train windows by start, counted from the rest; the val numbers then
            use counts from every train window. A single --alpha value skips the selection.

Reports cross-entropy in bits/base, top-1 accuracy and the number of evaluated positions per order, and the
best k (lowest bits on val). JSON on stdout, a readable table on stderr.

Example: python experiments/markov_baseline.py /tmp/helper/out/ecoli-char --max-k 6
"""
import argparse
import json
import sys
import time

import numpy as np

from gp_shards import INVALID, read_split


def contexts(codes, k):
    """Context codes and centre bases of every position with k ACGT bases on each side and an ACGT centre.

    The context packs the pairs (left d, right d) for d = 1..k, nearest pair most significant, 4 bits a
    pair: the (k-1)+(k-1) context of the same position is therefore context // 16.
    """
    n, length = codes.shape
    wide = codes.astype(np.int64)
    centre = wide[:, k:length - k]
    ctx = np.zeros(centre.shape, dtype=np.int64)
    for d in range(1, k + 1):
        ctx = ctx * 16 + wide[:, k - d:length - k - d] * 4 + wide[:, k + d:length - k + d]
    bad = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(codes == INVALID, axis=1)], axis=1)
    ok = bad[:, 2 * k + 1:] == bad[:, :length - 2 * k]  # no invalid base in [i - k, i + k]
    return ctx[ok], centre[ok]


def count_table(codes, k):
    """(sorted distinct contexts, counts [contexts, 4]) of order k."""
    ctx, centre = contexts(codes, k)
    keys, inverse = np.unique(ctx, return_inverse=True)
    counts = np.bincount(inverse * 4 + centre, minlength=4 * len(keys)).reshape(-1, 4)
    return keys, counts.astype(np.float64)


def lookup(table, ctx):
    keys, counts = table
    idx = np.minimum(np.searchsorted(keys, ctx), len(keys) - 1)
    return np.where((keys[idx] == ctx)[:, None], counts[idx], 0.0)


def predict(tables, ctx, k, alpha):
    """P(centre | context of order k) for every row of ctx, backing off through orders k-1..0."""
    order0 = tables[0][1][0]
    p = np.broadcast_to((order0 + 1) / (order0.sum() + 4), (len(ctx), 4))
    for j in range(1, k + 1):
        n = lookup(tables[j], ctx // 16 ** (k - j))
        p = (n + alpha * p) / (n.sum(axis=1, keepdims=True) + alpha)
    return p


def evaluate(tables, val, k, alpha):
    ctx, centre = contexts(val, k)
    p = predict(tables, ctx, k, alpha)
    bits = -np.log2(p[np.arange(len(ctx)), centre])
    top1 = p.argmax(axis=1) == centre
    return {"k": k, "bits_per_base": float(bits.mean()), "top1": float(top1.mean()),
            "positions": int(len(ctx))}


def fit(codes, max_k):
    """Count tables of orders 0..max_k from the windows and their reverse complements."""
    reverse_complement = np.where(codes == INVALID, INVALID, 3 - codes)[:, ::-1]
    both = np.concatenate([codes, reverse_complement])
    return [count_table(both, k) for k in range(max_k + 1)]


def choose_alphas(train, starts, max_k, alphas, holdout):
    """Per k, the alpha with the lowest bits/base on the last `holdout` of train windows by start."""
    if len(alphas) == 1:
        return [alphas[0]] * (max_k + 1)
    order = np.argsort(starts, kind="stable")
    cut = int(round(len(order) * (1 - holdout)))
    tables = fit(train[order[:cut]], max_k)
    held = train[order[cut:]]
    return [min(alphas, key=lambda a: evaluate(tables, held, k, a)["bits_per_base"]) for k in range(max_k + 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", help="output folder of a char-token `genome-prep run` (has train/ and val/)")
    ap.add_argument("--max-k", type=int, default=6, help="largest k (bases on each side) [6]")
    ap.add_argument("--alpha", type=float, nargs="+", default=[1.0, 4.0, 16.0, 64.0, 256.0],
                    help="Dirichlet back-off strength(s) to choose from per k [1 4 16 64 256]")
    ap.add_argument("--holdout", type=float, default=0.1,
                    help="fraction of train windows (last by start) held out to choose alpha [0.1]")
    args = ap.parse_args()

    t0 = time.time()
    train, starts = read_split(args.run_dir, "train")
    val, _ = read_split(args.run_dir, "val")
    alphas = choose_alphas(train, starts, args.max_k, args.alpha, args.holdout)
    tables = fit(train, args.max_k)
    results = [dict(evaluate(tables, val, k, alphas[k]), alpha=alphas[k]) for k in range(args.max_k + 1)]
    del results[0]["alpha"]  # order 0 has no back-off
    best = min(results[1:], key=lambda r: r["bits_per_base"])
    out = {"run_dir": args.run_dir, "train_windows": len(train), "val_windows": len(val),
           "window": train.shape[1], "alpha_grid": args.alpha, "holdout": args.holdout,
           "smoothing": "interpolated Dirichlet back-off", "reverse_complement_counts": True,
           "order0": results[0], "markov": results[1:], "best_k": best["k"], "seconds": round(time.time() - t0, 1)}
    json.dump(out, sys.stdout, indent=2)
    print(file=sys.stdout)

    print(f"train {len(train)} windows, val {len(val)} windows of {train.shape[1]} bp", file=sys.stderr)
    print(f"{'model':>10} {'alpha':>6} {'bits/base':>10} {'top-1':>7} {'positions':>10}", file=sys.stderr)
    for r in results:
        name = "order 0" if r["k"] == 0 else f"{r['k']}+{r['k']}"
        print(f"{name:>10} {r.get('alpha', '-'):>6} {r['bits_per_base']:10.4f} {100 * r['top1']:6.2f}% "
              f"{r['positions']:10d}", file=sys.stderr)
    print(f"best k = {best['k']} ({best['bits_per_base']:.4f} bits/base); {out['seconds']} s", file=sys.stderr)


if __name__ == "__main__":
    main()
