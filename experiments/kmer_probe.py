"""k-mer baseline for the coding-vs-intergenic probe made by probe_data.py.

Features: frequencies of every k-mer for k = 1..--kmax (4 + 16 + ... + 4^kmax columns; counts divided by
the window's window - k + 1 positions), standardised with the fitting set's mean and std. Classifier: L2
logistic regression (mean log-loss + lambda/2 * |w|^2, bias not penalised), fitted in float64 with
torch.optim.LBFGS. lambda is chosen from --lambdas on a validation split carved from the train split by
position (the last --val-fraction of train windows by start), by accuracy (ties: lower log-loss), then the
model is refitted on the whole train split and scored on the test split.

Reads PROBE_DIR/{train,test}.fa (headers ">chrom:start-end label"). JSON on stdout, a summary on stderr.

Example: python experiments/kmer_probe.py /tmp/helper/probe --kmax 4
"""
import argparse
import json
import sys
import time

import numpy as np
import torch

CODE = np.full(256, 255, dtype=np.uint8)
CODE[np.frombuffer(b"ACGT", dtype=np.uint8)] = np.arange(4)


def read_probe_fasta(path):
    """(starts, labels, codes [n, window]) of a probe FASTA written by probe_data.py."""
    lines = open(path).read().split()
    headers, seqs, labels = lines[0::3], lines[2::3], lines[1::3]
    starts = np.array([int(h.rsplit(":", 1)[1].split("-")[0]) for h in headers])
    codes = np.stack([CODE[np.frombuffer(s.encode(), dtype=np.uint8)] for s in seqs])
    if (codes == 255).any():
        raise SystemExit(f"{path}: a window has a base other than A, C, G, T")
    return starts, np.array([int(y) for y in labels]), codes


def kmer_frequencies(codes, kmax):
    n, length = codes.shape
    blocks = []
    for k in range(1, kmax + 1):
        positions = length - k + 1
        index = np.zeros((n, positions), dtype=np.int64)
        for j in range(k):
            index = index * 4 + codes[:, j:j + positions]
        flat = np.bincount((np.arange(n)[:, None] * 4 ** k + index).ravel(), minlength=n * 4 ** k)
        blocks.append(flat.reshape(n, 4 ** k) / positions)
    return np.hstack(blocks)


def standardise(fit, *others):
    mean, std = fit.mean(axis=0), fit.std(axis=0)
    std[std == 0] = 1
    return [(x - mean) / std for x in (fit, *others)]


def fit_logistic(x, y, lam):
    x, y = torch.from_numpy(x), torch.from_numpy(y).double()
    w = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=1000, tolerance_grad=1e-9, tolerance_change=1e-12,
                            history_size=20, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y) + 0.5 * lam * (w @ w)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), float(b.detach())


def score(model, x, y):
    w, b = model
    logit = x @ w + b
    log_loss = np.mean(np.logaddexp(0, logit) - y * logit)
    ranks = np.argsort(np.argsort(logit)) + 1  # AUC by the rank-sum formula (no ties with continuous logits)
    pos = y == 1
    auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
    return {"accuracy": float(np.mean((logit > 0) == pos)), "log_loss": float(log_loss), "auc": float(auc)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("probe_dir", help="output folder of probe_data.py")
    ap.add_argument("--kmax", type=int, default=4, help="largest k [4]")
    ap.add_argument("--val-fraction", type=float, default=0.2, help="last fraction of train windows by start [0.2]")
    ap.add_argument("--lambdas", type=float, nargs="+", default=list(10.0 ** np.arange(-4, 2.5, 0.5)),
                    help="L2 strengths to choose from [1e-4 ... 1e2, half decades]")
    args = ap.parse_args()
    torch.set_num_threads(1)

    t0 = time.time()
    starts, y_train, codes = read_probe_fasta(f"{args.probe_dir}/train.fa")
    _, y_test, test_codes = read_probe_fasta(f"{args.probe_dir}/test.fa")
    x_train, x_test = kmer_frequencies(codes, args.kmax), kmer_frequencies(test_codes, args.kmax)

    order = np.argsort(starts, kind="stable")
    cut = int(round(len(order) * (1 - args.val_fraction)))
    fit_rows, val_rows = order[:cut], order[cut:]
    x_fit, x_val = standardise(x_train[fit_rows], x_train[val_rows])
    sweep = [dict(score(fit_logistic(x_fit, y_train[fit_rows], lam), x_val, y_train[val_rows]), lam=lam)
             for lam in args.lambdas]
    best = max(sweep, key=lambda r: (r["accuracy"], -r["log_loss"]))

    x_all, x_test = standardise(x_train, x_test)
    model = fit_logistic(x_all, y_train, best["lam"])
    out = {"probe_dir": args.probe_dir, "kmax": args.kmax, "features": x_train.shape[1],
           "train_windows": len(y_train), "fit_windows": len(fit_rows), "val_windows": len(val_rows),
           "test_windows": len(y_test), "test_positive_fraction": float(y_test.mean()),
           "lambda_sweep": sweep, "lambda": best["lam"], "train": score(model, x_all, y_train),
           "test": score(model, x_test, y_test), "seconds": round(time.time() - t0, 1)}
    json.dump(out, sys.stdout, indent=2)
    print(file=sys.stdout)

    print(f"k = 1..{args.kmax}: {out['features']} features; train {len(y_train)} windows "
          f"({len(fit_rows)} fit + {len(val_rows)} val), test {len(y_test)}", file=sys.stderr)
    for r in sweep:
        print(f"  lambda {r['lam']:9.2e}  val accuracy {100 * r['accuracy']:5.1f}%  log-loss {r['log_loss']:.3f}",
              file=sys.stderr)
    t = out["test"]
    print(f"lambda {best['lam']:.2e}: test accuracy {100 * t['accuracy']:.1f}%, AUC {t['auc']:.3f}, "
          f"log-loss {t['log_loss']:.3f} (train accuracy {100 * out['train']['accuracy']:.1f}%); "
          f"{out['seconds']} s", file=sys.stderr)


if __name__ == "__main__":
    main()
