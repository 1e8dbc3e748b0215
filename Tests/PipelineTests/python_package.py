"""The Python side of PipelineTests.testPythonPackage: the installed `genomeprep` package against the
real streaming and torch on a `genome-prep run` folder.

  check RUN_DIR CACHE_DIR   DataLoader(num_workers=2) over the train split: every sample once, ids equal
                            the shards read directly by StreamingDataset, padding with the dataset's pad
                            id, attention masks, pmi_rank/soft_mask columns; then the same through
                            remote=RUN_DIR into CACHE_DIR.
  snippet FILE              runs the README's snippet (a Python file) and checks it printed a finite loss.
"""
import math
import runpy
import subprocess
import sys

import numpy as np
import torch
from streaming import StreamingDataset

import genomeprep

if sys.argv[1] == "snippet":
    out = subprocess.run([sys.executable, sys.argv[2]], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    loss = float(out.stdout.strip().split()[-1])
    assert math.isfinite(loss) and 0 < loss < 20, out.stdout
    print("ok")
    sys.exit(0)

run, cache = sys.argv[2], sys.argv[3]
info = genomeprep.read_info(run)
pad = info["special_ids"]["pad"]
direct = StreamingDataset(local=f"{run}/train", shuffle=False)
want = sorted(tuple(int(x) for x in direct[i]["tokens"]) for i in range(len(direct)))


def rows_of(ds):
    seen = []
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2, collate_fn=ds.collate)
    for b in loader:
        ids, mask = b["input_ids"], b["attention_mask"]
        assert ids.dtype == torch.int64 and mask.dtype == torch.int64 and ids.shape == mask.shape
        assert bool((ids[mask == 0] == pad).all()), "padding is not the pad id"
        if "pmi_rank" in b:
            assert b["pmi_rank"].shape == ids.shape and bool((b["pmi_rank"][mask == 0] == genomeprep.PAD_RANK).all())
        if info.get("soft_mask"):
            assert b["soft_mask"].shape == (ids.shape[0], info["window"])
        for r in range(ids.shape[0]):
            n = int(mask[r].sum())
            assert bool(mask[r, :n].all()), "attention mask is not a prefix"
            seen.append(tuple(int(x) for x in ids[r, :n]))
    return sorted(seen)


ds = genomeprep.dataset(run, "train", shuffle=True, shuffle_seed=3, batch_size=4)
assert ds.vocab_size == info["vocab_size"] and ds.pad_id == pad
assert rows_of(ds) == want, "the DataLoader did not yield every sample once"
remote = genomeprep.dataset(cache, "train", remote=run, shuffle=False, batch_size=4)
assert remote.vocab_size == info["vocab_size"]
assert rows_of(remote) == want, "remote= did not yield the same samples"
print("ok")
