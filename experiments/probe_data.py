"""Builds the coding-vs-intergenic probe task on a single-chromosome genome (E. coli by default).

1. Prodigal (`prodigal -i <fasta> -f gff -o OUT/genes.gff`, single mode) predicts CDSs on the
   --fasta chromosome, written uncompressed to a temporary file.
2. --window bp windows are tiled over the chromosome at --stride (default 100: neighbours overlap by half,
   which doubles the windows of the rare intergenic class; --stride 200 gives disjoint windows).
   Label 1: the window lies entirely inside one predicted CDS; label 0: it overlaps no CDS. Other windows
   and windows with a non-ACGT base are dropped.
3. Split by position: train = windows ending within the first --train-fraction of the chromosome, test =
   windows starting after it (a window straddling the cut is dropped). Each split is balanced by
   subsampling its majority class (numpy default_rng(--seed)).
4. Writes OUT/{train,test}.bed (chrom, start, end, label as the name; sorted by start),
   OUT/{train,test}.labels (one 0/1 per line, same order) and OUT/{train,test}.fa (">chrom:start-end label").
5. Writes OUT/probe-{train,test}.json, `genome-prep run` configs with the bed sampler over --pipeline-input
   (val = test = 0, so each config's windows all land in the `train/` split of OUT/mds-{train,test}), runs
   them, and checks through streaming.StreamingDataset that shard sample i decodes (via base_ids) to exactly
   the bases of BED line i. genome-prep sorts bed windows by start, so the orders agree for a sorted BED;
   should they not, the labels files are rewritten in shard order (matched by start, checked by sequence)
   and a warning says so. Either way the labels files line up with the shard sample order.

JSON summary (counts per split and class, paths) on stdout, a readable summary on stderr.

Example (from the repository root):
  python experiments/probe_data.py --out /tmp/helper/probe --genome-prep /tmp/gp-helper/genome-prep
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from gp_shards import BASES, read_split


def read_single_fasta(path):
    """(name, upper-case sequence bytes) of a (gzip or plain) FASTA with exactly one record."""
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        records = f.read().split(b">")[1:]
    if len(records) != 1:
        raise SystemExit(f"{path}: {len(records)} records; the probe needs a single chromosome")
    header, _, body = records[0].partition(b"\n")
    return header.split()[0].decode(), b"".join(body.split()).upper()


def predict_cds(seq, name, gff_path):
    """Prodigal's CDSs as sorted 0-based half-open (starts, ends)."""
    with tempfile.TemporaryDirectory() as tmp:
        fasta = os.path.join(tmp, "genome.fa")
        with open(fasta, "wb") as f:
            f.write(b">" + name.encode() + b"\n" + seq + b"\n")
        subprocess.run(["prodigal", "-q", "-i", fasta, "-f", "gff", "-o", gff_path], check=True)
    cds = [line.split("\t") for line in open(gff_path) if not line.startswith("#")]
    spans = np.array(sorted((int(c[3]) - 1, int(c[4])) for c in cds if c[2] == "CDS"), dtype=np.int64)
    return spans[:, 0], spans[:, 1]


def label_windows(seq, starts, ends, window, stride):
    """(window starts, labels) of the windows fully inside one CDS (1) or touching none (0), all ACGT."""
    n = len(seq)
    w = np.arange(0, n - window + 1, stride, dtype=np.int64)
    reach = np.maximum.accumulate(ends)  # furthest end among CDSs starting at or before each start
    i = np.searchsorted(starts, w, side="right") - 1
    inside = (i >= 0) & (reach[np.maximum(i, 0)] >= w + window)
    depth = np.zeros(n + 1, dtype=np.int64)
    np.add.at(depth, starts, 1)
    np.add.at(depth, ends, -1)
    covered = np.concatenate([[0], np.cumsum(np.cumsum(depth)[:n] > 0)])
    untouched = covered[w + window] == covered[w]
    bad = np.frombuffer(seq, dtype=np.uint8)
    bad = ~np.isin(bad, np.frombuffer(BASES.encode(), dtype=np.uint8))
    invalid = np.concatenate([[0], np.cumsum(bad)])
    acgt = invalid[w + window] == invalid[w]
    keep = acgt & (inside | untouched)
    return w[keep], inside[keep].astype(np.int64)


def balance(starts, labels, rng):
    """Subsample the majority class to the minority's size; sorted by start."""
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n = min(len(pos), len(neg))
    chosen = np.concatenate([rng.choice(pos, n, replace=False), rng.choice(neg, n, replace=False)])
    chosen.sort()
    return starts[chosen], labels[chosen]


def write_split(out, split, name, seq, starts, labels, window):
    with open(os.path.join(out, f"{split}.bed"), "w") as bed, \
            open(os.path.join(out, f"{split}.labels"), "w") as lab, \
            open(os.path.join(out, f"{split}.fa"), "w") as fa:
        for s, y in zip(starts, labels):
            bed.write(f"{name}\t{s}\t{s + window}\t{y}\n")
            lab.write(f"{y}\n")
            fa.write(f">{name}:{s}-{s + window} {y}\n{seq[s:s + window].decode()}\n")


def run_pipeline(args, split, window):
    """Writes OUT/probe-SPLIT.json, runs it into OUT/mds-SPLIT (replaced), returns the run folder."""
    mds = os.path.join(args.out, f"mds-{split}")
    config = {"version": 1, "name": f"probe-{split}", "inputs": [os.path.abspath(args.pipeline_input)],
              "windows": {"sampler": "bed", "bed": os.path.join(args.out, f"{split}.bed"), "window": window,
                          "maxNFraction": 0, "softMask": "upper", "strand": "forward", "seed": args.seed,
                          "val": 0, "test": 0},
              "tokenizer": {"kind": "char"},
              "shards": {"out": mds}}
    path = os.path.join(args.out, f"probe-{split}.json")
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    shutil.rmtree(mds, ignore_errors=True)  # streaming leaves decompressed shards that a rerun would refuse
    subprocess.run([args.genome_prep, "run", path, "--quiet"], check=True)
    return mds


def check_shards(mds, split, seq, starts, labels, out):
    """Checks shard sample i against BED line i; returns True if the orders agree."""
    codes, shard_starts = read_split(mds, "train")
    line_of = {s: i for i, s in enumerate(starts.tolist())}
    if len(codes) != len(starts) or set(shard_starts.tolist()) != set(line_of):
        raise SystemExit(f"{mds}: {len(codes)} samples do not match the {len(starts)} lines of {split}.bed")
    order = np.array([line_of[s] for s in shard_starts.tolist()])
    decoded = np.frombuffer(BASES.encode(), dtype=np.uint8)[codes]
    for row, i in enumerate(order):
        s = starts[i]
        if decoded[row].tobytes() != seq[s:s + codes.shape[1]]:
            raise SystemExit(f"{mds}: sample {row} does not decode to the bases of {split}.bed line {i + 1}")
    in_bed_order = bool((order == np.arange(len(order))).all())
    if not in_bed_order:
        print(f"warning: {mds} is not in BED order; {split}.labels written in shard order", file=sys.stderr)
        np.savetxt(os.path.join(out, f"{split}.labels"), labels[order], fmt="%d")
    return in_bed_order


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fasta", default="data/ecoli_K12_MG1655.fa.gz", help="genome for prodigal and labels")
    ap.add_argument("--pipeline-input", default="data/ecoli_K12_MG1655.fa.bgz",
                    help="the same genome, indexed (.fai), as the genome-prep input")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--genome-prep", default="genome-prep", help="genome-prep binary")
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--stride", type=int, default=100)
    ap.add_argument("--train-fraction", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)

    name, seq = read_single_fasta(args.fasta)
    cds_starts, cds_ends = predict_cds(seq, name, os.path.join(args.out, "genes.gff"))
    starts, labels = label_windows(seq, cds_starts, cds_ends, args.window, args.stride)
    cut = int(len(seq) * args.train_fraction)
    rng = np.random.default_rng(args.seed)
    summary = {"genome": name, "length": len(seq), "cds": len(cds_starts), "window": args.window,
               "stride": args.stride, "cut": cut, "out": args.out, "splits": {}}
    for split, keep in (("train", starts + args.window <= cut), ("test", starts >= cut)):
        s, y = balance(starts[keep], labels[keep], rng)
        write_split(args.out, split, name, seq, s, y, args.window)
        mds = run_pipeline(args, split, args.window)
        summary["splits"][split] = {
            "candidates": {"coding": int(labels[keep].sum()), "intergenic": int((labels[keep] == 0).sum())},
            "windows": len(s), "coding": int(y.sum()), "intergenic": int((y == 0).sum()), "mds": mds,
            "shards_in_bed_order": check_shards(mds, split, seq, s, y, args.out)}
    json.dump(summary, sys.stdout, indent=2)
    print(file=sys.stdout)

    print(f"{name}: {len(seq)} bp, {len(cds_starts)} predicted CDSs; {args.window} bp windows, stride "
          f"{args.stride}; train < {cut} <= test", file=sys.stderr)
    for split, r in summary["splits"].items():
        c = r["candidates"]
        print(f"{split}: {c['coding']} coding / {c['intergenic']} intergenic candidates -> {r['windows']} balanced "
              f"windows; shards match BED ({'same order' if r['shards_in_bed_order'] else 'reordered'}) "
              f"in {r['mds']}/train", file=sys.stderr)


if __name__ == "__main__":
    main()
