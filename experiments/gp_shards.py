"""Reads one split of a `genome-prep run` output folder through MosaicML Streaming.

Shared by the experiment scripts: `read_split(run_dir, split)` returns the fixed-length character-token
windows as base codes 0..3 (A, C, G, T) with 4 for anything else (N, specials), plus the `start` column.
"""
import json
import os

import numpy as np
from streaming import StreamingDataset

BASES = "ACGT"
INVALID = 4


def base_code_table(run_dir):
    """Token id -> base code (0..3 for A, C, G, T; 4 otherwise), from genomeprep.json's base_ids."""
    with open(os.path.join(run_dir, "genomeprep.json")) as f:
        dataset = json.load(f)["dataset"]
    if dataset["tokenizer"] != "char":
        raise SystemExit(f"{run_dir}: tokenizer is {dataset['tokenizer']!r}, these experiments need 'char'")
    table = np.full(256, INVALID, dtype=np.uint8)
    for code, base in enumerate(BASES):
        table[dataset["base_ids"][base]] = code
    return table


def read_split(run_dir, split):
    """(codes [n_windows, window] uint8, starts [n_windows] int64) of `split`, in shard sample order."""
    table = base_code_table(run_dir)
    ds = StreamingDataset(local=os.path.join(run_dir, split), shuffle=False, batch_size=1)
    samples = [ds[i] for i in range(ds.num_samples)]
    codes = np.stack([table[s["tokens"]] for s in samples])
    starts = np.array([s["start"] for s in samples], dtype=np.int64)
    return codes, starts
