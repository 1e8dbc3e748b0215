#!/usr/bin/env python3
"""The Python baseline for `genome-prep run` (character tokens, 1 kbp tiled windows, zstd MDS shards),
written the way a careful person would: pyfaidx reads each contig once, numpy maps bases to the same
token ids GenomePrep's char tokenizer uses (A C G T = 5 6 7 8, anything else N = 9) for the whole
contig at once, windows holding N are dropped with one vectorised test, and mosaicml-streaming's
MDSWriter writes the same five columns with zstd and xxh3_64 hashes.

usage: python_baseline.py FASTA OUT_DIR [zstd level, default 3]
Prints `seconds S windows W bases B` to stdout, S timed after the imports: importing `streaming` (it
pulls torch) takes 5-20 s here, which would otherwise swamp the comparison.
"""
import os, sys, time
import numpy as np
from pyfaidx import Fasta
from streaming import MDSWriter

path, out = sys.argv[1], sys.argv[2]
level = int(sys.argv[3]) if len(sys.argv) > 3 else 3
W = 1000
lut = np.full(256, 9, dtype=np.uint8)
for b, v in zip(b"ACGTacgt", [5, 6, 7, 8, 5, 6, 7, 8]):
    lut[b] = v
columns = {"tokens": f"ndarray:uint8:{W}", "contig": "str", "start": "int64", "strand": "uint8", "source": "str"}
source = os.path.basename(path)
t0 = time.perf_counter()
fa = Fasta(path, as_raw=True, sequence_always_upper=False, rebuild=False)
kept = bases = 0
with MDSWriter(out=out, columns=columns, compression="zstd" if level == 3 else f"zstd:{level}",
               hashes=["xxh3_64"], size_limit=1 << 26) as w:
    for name in fa.keys():
        seq = fa[name][:]
        codes = lut[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]
        n = len(codes) // W
        tiles = codes[: n * W].reshape(n, W)
        for i in np.flatnonzero((tiles != 9).all(axis=1)):
            w.write({"tokens": tiles[i], "contig": name, "start": int(i) * W, "strand": 0, "source": source})
            kept += 1
        bases += len(codes)
print(f"seconds {time.perf_counter() - t0:.3f} windows {kept} bases {bases}")
