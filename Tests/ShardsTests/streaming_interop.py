#!/usr/bin/env python3
"""Reads every sample of every pipeline's output with the real mosaicml-streaming StreamingDataset and
compares the token ids with what GenomePrep's own reader prints (`genome-prep inspect --ids`).
Not run by `swift test`: it needs mosaicml-streaming 0.13.0 (which pulls torch). Run from the repo root:
  python3 -m venv ../venv-streaming && ../venv-streaming/bin/pip install mosaicml-streaming==0.13.0
  for p in pipelines/*.json; do .build/release/genome-prep run --quiet $p; done
  ../venv-streaming/bin/python Tests/ShardsTests/streaming_interop.py
"""
import subprocess, sys
from streaming import StreamingDataset

bad = total = 0
for name in ["ecoli-char", "ecoli-kmer6-pmi", "ecoli-bpe4096", "ecoli-barcode-kmer6"]:
    for split in ["train", "val", "test"]:
        ds = StreamingDataset(local=f"out/{name}", split=split, shuffle=False, batch_size=1)
        out = subprocess.run([".build/release/genome-prep", "inspect", f"out/{name}/{split}", "--ids",
                              "--samples", str(len(ds))], capture_output=True, text=True, check=True).stdout
        ours = [l.split()[1:] for l in out.splitlines() if l.startswith("  ids ")]
        meta = [l for l in out.splitlines() if l.startswith("sample ")]
        assert len(ours) == len(ds) == len(meta), (name, split, len(ours), len(ds))
        for i in range(len(ds)):
            s = ds[i]
            if [str(x) for x in s["tokens"].tolist()] != ours[i] or f"start={int(s['start'])}" not in meta[i] \
               or f"contig={s['contig']}" not in meta[i]:
                bad += 1
        total += len(ds)
        print(f"{name}/{split}: {len(ds)} samples")
print(f"total {total} samples, {bad} differ")
sys.exit(1 if bad else 0)
