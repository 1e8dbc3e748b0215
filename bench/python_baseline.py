#!/usr/bin/env python3
"""The Python baseline for `genome-prep run` (character tokens, 1 kbp tiled windows, zstd MDS shards),
written the way a careful person would: pyfaidx reads each contig once, numpy maps bases to the same
token ids GenomePrep's char tokenizer uses (A C G T = 5 6 7 8, anything else N = 9) for the whole
contig at once, windows holding N are dropped with one vectorised test, and mosaicml-streaming's
MDSWriter writes the same five columns with zstd and xxh3_64 hashes.

usage: python_baseline.py FASTA OUT_DIR [zstd level, default 3] [processes, default 1]
With 2 processes (forked after the imports) each writes the contigs i % 2 == p to OUT_DIR/part-0000p
and streaming's merge_index joins them, as a careful person would use both cores.
Prints `seconds S windows W bases B` to stdout, S timed after the imports: importing `streaming` (it
pulls torch) takes 5-20 s here, which would otherwise swamp the comparison.
"""
import multiprocessing as mp
import os, sys, time
import numpy as np
from pyfaidx import Fasta
from streaming import MDSWriter
from streaming.base.util import merge_index

path, out = sys.argv[1], sys.argv[2]
level = int(sys.argv[3]) if len(sys.argv) > 3 else 3
procs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
W = 1000
lut = np.full(256, 9, dtype=np.uint8)
for b, v in zip(b"ACGTacgt", [5, 6, 7, 8, 5, 6, 7, 8]):
    lut[b] = v
columns = {"tokens": f"ndarray:uint8:{W}", "contig": "str", "start": "int64", "strand": "uint8", "source": "str"}
source = os.path.basename(path)


def write(part, folder, q):
    fa = Fasta(path, as_raw=True, sequence_always_upper=False, rebuild=False)
    kept = bases = 0
    with MDSWriter(out=folder, columns=columns, compression="zstd" if level == 3 else f"zstd:{level}",
                   hashes=["xxh3_64"], size_limit=1 << 26) as w:
        for i, name in enumerate(fa.keys()):
            if i % procs != part:
                continue
            seq = fa[name][:]
            codes = lut[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
            n = len(codes) // W
            tiles = codes[: n * W].reshape(n, W)
            for j in np.flatnonzero((tiles != 9).all(axis=1)):
                w.write({"tokens": tiles[j], "contig": name, "start": int(j) * W, "strand": 0, "source": source})
                kept += 1
            bases += len(codes)
    q.put((kept, bases))


t0 = time.perf_counter()
if procs == 1:
    q = mp.SimpleQueue()
    write(0, out, q)
    kept, bases = q.get()
else:
    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    ps = [ctx.Process(target=write, args=(p, os.path.join(out, f"part-{p:05d}"), q)) for p in range(procs)]
    for p in ps: p.start()
    for p in ps: p.join()
    kept = bases = 0
    for _ in ps:
        k, b = q.get(); kept += k; bases += b
    merge_index(out)
print(f"seconds {time.perf_counter() - t0:.3f} windows {kept} bases {bases}")
