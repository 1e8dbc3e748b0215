#!/usr/bin/env python3
"""The Python baseline for `genome-prep stream`: how a PyTorch user feeds a masked-language model
from GenomePrep's MDS shards, written well.

    python bench/loader_python.py DIR --workers W --batch-size B [--batches N] [--seed S]

DIR is a `genome-prep run` output folder (DIR/genomeprep.json, DIR/train/index.json + shards).
streaming.StreamingDataset(shuffle=True, batch_size=B) over DIR/train, read through
torch.utils.data.DataLoader(num_workers=W, batch_size=B) whose collate_fn does vectorised numpy BERT
masking: 15% of the non-special positions are selected (Bernoulli per position), of those 80% become
[MASK], 10% a random non-special id and 10% stay; labels are -100 elsewhere. The batch is torch
tensors input_ids (int64), attention_mask and labels.

The clock starts after the imports and the StreamingDataset/DataLoader construction, just before
`iter(loader)` (so it includes forking the workers and decompressing the shards), and stops after
N batches (or the whole split) have been received. Prints one JSON line:
  impl, workers, batch_size, windows, tokens (non-pad positions), seconds, windows_per_s,
  tokens_per_s, peak_rss_mib (max of ru_maxrss of this process and of its largest child, the
  DataLoader workers), first_batch_s, mask_fraction (selected / maskable positions), and
  rss_import_mib (this process after `import torch, streaming`: most of the peak, whatever the data),
  rss_self_mib, rss_children_mib.

Streaming decompresses each .mds.zstd shard into its `local` folder beside the compressed copy (and
never deletes either when there is no remote), and leaves file locks in tempfile.gettempdir(). So the
shards are read through a fresh private folder of symlinks (the decompressed copies, about 1 byte
per token, are written there) with TMPDIR pointing inside it, and the folder is removed at the end:
every run pays the decompression, as a first epoch would, and DIR is left untouched.
"""
import argparse
import atexit
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("dir", help="genome-prep run output folder (holds genomeprep.json and train/)")
ap.add_argument("--workers", type=int, default=0, help="DataLoader num_workers")
ap.add_argument("--batch-size", type=int, default=64)
ap.add_argument("--batches", type=int, default=None, help="stop after N batches (default: whole split)")
ap.add_argument("--seed", type=int, default=1, help="shuffle seed and masking seed")
ap.add_argument("--split", default="train")
ap.add_argument("--mask-prob", type=float, default=0.15)
ap.add_argument("--tmp", default=None, help="where the private cache folder goes (default: $TMPDIR or /tmp)")
a = ap.parse_args()

meta = json.load(open(os.path.join(a.dir, "genomeprep.json")))["dataset"]
split_dir = os.path.abspath(os.path.join(a.dir, a.split))
index = json.load(open(os.path.join(split_dir, "index.json")))

# A private folder: symlinks to the index and shards (streaming writes the decompressed shards next to
# them) and the temp dir for streaming's file locks. Made before streaming is imported.
work = tempfile.mkdtemp(prefix="gp-loader-", dir=a.tmp)
local = os.path.join(work, "local")
os.makedirs(os.path.join(work, "tmp"))
os.makedirs(local)
os.environ["TMPDIR"] = os.path.join(work, "tmp")
tempfile.tempdir = os.path.join(work, "tmp")
os.symlink(os.path.join(split_dir, "index.json"), os.path.join(local, "index.json"))
for shard in index["shards"]:
    for part in ("raw_data", "zip_data"):
        info = shard.get(part)
        if info and os.path.exists(os.path.join(split_dir, info["basename"])):
            os.symlink(os.path.join(split_dir, info["basename"]), os.path.join(local, info["basename"]))

main_pid = os.getpid()


def cleanup():
    if os.getpid() == main_pid:  # not in forked workers
        shutil.rmtree(work, ignore_errors=True)


atexit.register(cleanup)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda s, f: sys.exit(128 + s))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import streaming  # noqa: E402
from streaming.base.util import clean_stale_shared_memory  # noqa: E402

clean_stale_shared_memory()
import_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # what importing torch + streaming costs

vocab_size = int(meta["vocab_size"])
special = sorted({int(v) for v in meta["special_ids"].values()})
pad_id = int(meta["special_ids"]["pad"])
mask_id = int(meta["special_ids"]["mask"])
column = meta.get("token_column", "tokens")
is_special = np.zeros(vocab_size, dtype=bool)
is_special[special] = True
normal_ids = np.flatnonzero(~is_special)  # what a random replacement is drawn from


class MLMCollate:
    """Stacks windows to int64 (B, T), pads ragged ones with [PAD], and applies BERT masking with a
    numpy Generator per worker (seeded from the seed and the worker id)."""

    def __init__(self, seed, prob):
        self.seed, self.prob, self.rng, self.pid = seed, prob, None, None

    def _generator(self):
        if self.pid != os.getpid():
            info = torch.utils.data.get_worker_info()
            self.rng = np.random.default_rng([self.seed, info.id + 1 if info else 0])
            self.pid = os.getpid()
        return self.rng

    def __call__(self, samples):
        rng = self._generator()
        arrays = [s[column] for s in samples]
        if all(x.shape == arrays[0].shape for x in arrays):
            ids = np.stack(arrays).astype(np.int64)
        else:
            ids = np.full((len(arrays), max(len(x) for x in arrays)), pad_id, dtype=np.int64)
            for i, x in enumerate(arrays):
                ids[i, : len(x)] = x
        attention = ids != pad_id
        selected = (rng.random(ids.shape) < self.prob) & ~is_special[ids]
        labels = np.where(selected, ids, -100)
        u = rng.random(ids.shape)
        to_mask = selected & (u < 0.8)
        to_random = selected & (u >= 0.8) & (u < 0.9)
        ids[to_mask] = mask_id
        ids[to_random] = rng.choice(normal_ids, size=int(to_random.sum()))
        return {
            "input_ids": torch.from_numpy(ids),
            "attention_mask": torch.from_numpy(attention.astype(np.int64)),
            "labels": torch.from_numpy(labels),
        }


def mib(kib):
    return kib / 1024


result = None
try:
    dataset = streaming.StreamingDataset(local=local, shuffle=True, shuffle_seed=a.seed, batch_size=a.batch_size)
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch_size, num_workers=a.workers,
                                         collate_fn=MLMCollate(a.seed, a.mask_prob),
                                         persistent_workers=False)
    windows = tokens = selected = maskable = 0
    first = None
    t0 = time.perf_counter()
    it = iter(loader)
    for n, batch in enumerate(it, 1):
        if first is None:
            first = time.perf_counter() - t0
        # Counted through numpy views: torch's own reductions go through its intra-op thread pool,
        # which costs milliseconds per call on a busy 2-core machine.
        ids, labels = batch["input_ids"].numpy(), batch["labels"].numpy()
        windows += ids.shape[0]
        tokens += int(np.count_nonzero(batch["attention_mask"].numpy()))
        sel = labels != -100
        selected += int(np.count_nonzero(sel))
        maskable += int(np.count_nonzero(sel | ~is_special[ids]))  # unselected positions keep their id
        if a.batches is not None and n >= a.batches:
            break
    seconds = time.perf_counter() - t0
    del it  # shuts the workers down (and reaps them, so RUSAGE_CHILDREN sees them)
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {
        "impl": "python",
        "workers": a.workers,
        "batch_size": a.batch_size,
        "windows": windows,
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "windows_per_s": round(windows / seconds, 1),
        "tokens_per_s": round(tokens / seconds, 1),
        "peak_rss_mib": round(mib(max(self_kib, child_kib)), 1),
        "first_batch_s": round(first, 3) if first is not None else None,
        "mask_fraction": round(selected / maskable, 5) if maskable else None,
        "rss_import_mib": round(mib(import_kib), 1),
        "rss_self_mib": round(mib(self_kib), 1),
        "rss_children_mib": round(mib(child_kib), 1),
    }
finally:
    # Stop streaming's download/decompress threads in this process (with --workers 0 and --batches
    # they may still be decompressing a shard into the folder about to be removed), drop the dataset so
    # its shared memory is unlinked, then sweep whatever a crash left behind.
    it = globals().get("it")
    if it is not None and hasattr(it, "_shutdown_workers"):  # interrupted: join the workers first
        it._shutdown_workers()
    it = None
    ds = globals().get("dataset")
    if ds is not None:
        if getattr(ds, "_iterator", None) is not None:
            ds._iterator.exit()
        if getattr(ds, "_executor", None) is not None:
            ds._executor.shutdown(wait=True)
    loader = dataset = ds = None
    import gc
    gc.collect()
    clean_stale_shared_memory()
    cleanup()
print(json.dumps(result), flush=True)
# Everything is cleaned up; skip the interpreter's teardown, which (with torch imported) raises this
# process's peak RSS by about 170 MiB after the measurement, so /usr/bin/time agrees with the line above.
os._exit(0)
