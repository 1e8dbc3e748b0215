#!/usr/bin/env python3
"""Reads every sample of GenomePrep pipeline outputs with the real mosaicml-streaming StreamingDataset and
compares each with what GenomePrep's own reader returns (`genome-prep inspect --ids`): token ids, contig,
start, strand. Run by CLITests.testStreamingDatasetReadsEveryPipelineAndMergedParts with the Python of the
environment `.ci/python-env` builds (mosaicml-streaming 0.13.0 pulls torch).

usage: streaming_interop.py GENOME_PREP_BINARY OUT_DIR... [--same SINGLE_DIR MERGED_DIR] [--merge-index PARTS_DIR]
  --same         the two folders must hold exactly the same samples (as a multiset), split by split
  --merge-index  run streaming's own merge_index on a copy of each split of PARTS_DIR and require its
                 index.json to be byte-identical to the one `genome-prep merge` wrote
"""
import os, shutil, subprocess, sys, tempfile
from streaming import StreamingDataset
from streaming.base.util import merge_index

args = sys.argv[1:]
gp, dirs, same, merged = args[0], [], [], []
i = 1
while i < len(args):
    if args[i] == "--same": same.append((args[i + 1], args[i + 2])); i += 3
    elif args[i] == "--merge-index": merged.append(args[i + 1]); i += 2
    else: dirs.append(args[i]); i += 1

bad = total = 0
def read(d, split):
    ds = StreamingDataset(local=d, split=split, shuffle=False, batch_size=1)
    return [ds[j] for j in range(len(ds))]

for d in dirs:
    for split in ["train", "val", "test"]:
        if not os.path.exists(os.path.join(d, split, "index.json")):
            continue
        samples = read(d, split)
        out = subprocess.run([gp, "inspect", f"{d}/{split}", "--ids", "--samples", str(len(samples))],
                             capture_output=True, text=True, check=True).stdout
        ours = [l.split()[1:] for l in out.splitlines() if l.startswith("  ids ")]
        meta = [l for l in out.splitlines() if l.startswith("sample ")]
        assert len(ours) == len(samples) == len(meta) > 0, (d, split, len(ours), len(samples))
        for j, s in enumerate(samples):
            if [str(x) for x in s["tokens"].tolist()] != ours[j] or f"start={int(s['start'])}" not in meta[j] \
               or f"contig={s['contig']}" not in meta[j] or f"strand={int(s['strand'])}" not in meta[j]:
                bad += 1
                if bad < 5: print(f"DIFFER {d}/{split} sample {j}: {meta[j]}")
        total += len(samples)
        print(f"{d}/{split}: {len(samples)} samples read by StreamingDataset")

for a, b in same:
    for split in ["train", "val", "test"]:
        if not os.path.exists(os.path.join(a, split, "index.json")):
            continue
        key = lambda s: (s["contig"], int(s["start"]), int(s["strand"]), bytes(s["tokens"].tobytes()))
        ka, kb = sorted(map(key, read(a, split))), sorted(map(key, read(b, split)))
        if ka != kb:
            bad += 1
            print(f"DIFFER {a}/{split} and {b}/{split} hold different samples ({len(ka)} vs {len(kb)})")
        else:
            print(f"{b}/{split}: the same {len(kb)} samples as {a}/{split}")

for d in merged:
    for split in ["train", "val", "test"]:
        src = os.path.join(d, split)
        if not os.path.exists(os.path.join(src, "index.json")):
            continue
        with tempfile.TemporaryDirectory() as t:
            dst = os.path.join(t, split)
            shutil.copytree(src, dst)
            os.remove(os.path.join(dst, "index.json"))
            merge_index(dst)
            if open(os.path.join(dst, "index.json"), "rb").read() != open(os.path.join(src, "index.json"), "rb").read():
                bad += 1
                print(f"DIFFER {src}/index.json and streaming's merge_index output")
            else:
                print(f"{src}/index.json: byte-identical to streaming's merge_index")

print(f"total {total} samples, {bad} differ")
sys.exit(1 if bad or total == 0 else 0)
