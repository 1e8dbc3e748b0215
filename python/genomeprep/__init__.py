"""GenomePrep shards in PyTorch.

`dataset(out_dir, split)` opens one split of a `genome-prep run` output folder as a
`streaming.StreamingDataset` that knows the dataset's vocabulary (from the `dataset` object of
`genomeprep.json`) and has a `collate` for `torch.utils.data.DataLoader`:

    import torch, genomeprep
    ds = genomeprep.dataset("out/ecoli-char", "train", shuffle=True, batch_size=8)
    for batch in torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2, collate_fn=ds.collate):
        batch["input_ids"], batch["attention_mask"]    # int64, padded with the dataset's own pad id

Shards someone uploaded: `dataset("/tmp/cache/ecoli-char", "train", remote="s3://bucket/ecoli-char")`
(any remote `streaming` reads; `out_dir` is then the local cache, and genomeprep.json is fetched too).
"""
import json
import os

import numpy as np
import torch
from streaming import StreamingDataset

__all__ = ["dataset", "GenomePrepDataset", "read_info"]
__version__ = "0.1.0"

# The pmi_rank value at padding (above every real rank, which are below 65535).
PAD_RANK = 65535


def read_info(out_dir, remote=None):
    """The `dataset` object of `out_dir/genomeprep.json` (fetched from `remote` first when given)."""
    path = os.path.join(out_dir, "genomeprep.json")
    if remote is not None and not os.path.exists(path):
        os.makedirs(out_dir, exist_ok=True)
        # Downloaded under a temporary name and renamed: an interrupted download never leaves a partial
        # genomeprep.json that a later call would trust.
        tmp = f"{path}.tmp-{os.getpid()}"
        try:
            try:  # streaming >= 0.9
                from streaming.base.storage import CloudDownloader
                CloudDownloader.direct_download(remote.rstrip("/") + "/genomeprep.json", tmp, 60)
            except ImportError:  # older streaming
                from streaming.base.storage import download_file
                download_file(remote.rstrip("/") + "/genomeprep.json", tmp, 60)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    with open(path) as f:
        info = json.load(f).get("dataset")
    if not isinstance(info, dict) or "special_ids" not in info:
        raise ValueError(f"{path}: no `dataset` object (made by an older genome-prep? run it again)")
    return info


class GenomePrepDataset(StreamingDataset):
    """A StreamingDataset over one split, with the dataset's ids (`vocab_size`, `pad_id`, `mask_id`, ...)
    and `collate`, which pads rows to the longest (or cuts them to `max_length`) with the pad id."""

    def __init__(self, out_dir, split="train", remote=None, max_length=None, **streaming_kwargs):
        self.info = read_info(out_dir, remote)
        special = self.info["special_ids"]
        self.vocab_size = self.info["vocab_size"]
        self.pad_id = special["pad"] if special["pad"] is not None else 0
        self.mask_id, self.cls_id, self.sep_id, self.unk_id = special["mask"], special["cls"], special["sep"], special["unk"]
        self.token_column = self.info["token_column"]
        self.max_length = max_length
        local = os.path.join(out_dir, split)
        super().__init__(local=local, remote=None if remote is None else remote.rstrip("/") + "/" + split, **streaming_kwargs)

    def collate(self, rows):
        """Rows of this dataset -> {"input_ids", "attention_mask"} int64 tensors (batch x length), plus
        "pmi_rank" (int64, PAD_RANK at padding), "soft_mask" (uint8 per base, 1 = soft-masked), "label" (a list
        of str) and "gc" (int64 G + C count per window) when the shards have them."""
        tokens = [np.asarray(r[self.token_column], dtype=np.int64) for r in rows]
        if self.max_length is not None:
            tokens = [t[: self.max_length] for t in tokens]
        n = max(len(t) for t in tokens)
        ids = torch.full((len(rows), n), self.pad_id, dtype=torch.int64)
        mask = torch.zeros((len(rows), n), dtype=torch.int64)
        for i, t in enumerate(tokens):
            ids[i, : len(t)] = torch.from_numpy(t)
            mask[i, : len(t)] = 1
        out = {"input_ids": ids, "attention_mask": mask}
        if self.info.get("pmi_rank"):
            ranks = torch.full((len(rows), n), PAD_RANK, dtype=torch.int64)
            for i, r in enumerate(rows):
                v = np.asarray(r["pmi_rank"], dtype=np.int64)[:n]
                ranks[i, : len(v)] = torch.from_numpy(v)
            out["pmi_rank"] = ranks
        if self.info.get("soft_mask"):
            w = self.info["window"]
            bits = [np.unpackbits(np.asarray(r["soft_mask"], dtype=np.uint8), bitorder="little")[:w] for r in rows]
            out["soft_mask"] = torch.from_numpy(np.stack([np.pad(b, (0, w - len(b))) for b in bits]))
        if "label" in rows[0]:
            out["label"] = [r["label"] for r in rows]
        if "gc" in rows[0]:
            out["gc"] = torch.tensor([int(r["gc"]) for r in rows], dtype=torch.int64)
        return out


def dataset(out_dir, split="train", remote=None, **streaming_kwargs):
    """One split of a `genome-prep run` output folder as a `GenomePrepDataset` (see the module doc)."""
    return GenomePrepDataset(out_dir, split, remote=remote, **streaming_kwargs)
