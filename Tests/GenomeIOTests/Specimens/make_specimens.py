#!/usr/bin/env python3
"""Regenerates the FASTA specimen corpus and manifest.json (needs `bgzip` and `samtools` only here;
the generated files are committed, so tests need neither). Run from this folder."""
import gzip, json, os, random, subprocess

rng = random.Random(20261123)
def seq(n): return "".join(rng.choice("ACGT") for _ in range(n))
def lines(s, w): return "\n".join(s[i:i + w] for i in range(0, len(s), w)) + "\n"
manifest = []
def add(name, data, valid, mode="stream", **kw):
    if data is not None:
        with open(name, "wb") as f: f.write(data if isinstance(data, bytes) else data.encode())
    e = {"file": name, "valid": valid, "mode": mode}
    e.update(kw)
    manifest.append(e)

s1, s2 = seq(150), seq(97)
add("valid_simple.fa", f">chr1\n{lines(s1, 60)}>chr2\n{lines(s2, 60)}", True, records=2, bases=247,
    origin="hand-made", note="two records, 60-column lines")
add("valid_line_widths.fa", f">a\n{lines(s1, 7)}>b\n{s2[:50]}\n{s2[50:]}\n", True, records=2, bases=247,
    note="different widths in different records and a short last line")
add("valid_crlf.fa", f">chr1 windows\r\n{lines(s1, 60).replace(chr(10), chr(13)+chr(10))}>chr2\r\n{s2}\r\n", True,
    records=2, bases=247, note="Windows line endings")
add("valid_blank_lines.fa", f"\n>chr1\n\n{lines(s1, 60)}\n\n>chr2\n{s2}\n\n", True, records=2, bases=247,
    note="blank lines before, inside and between records")
add("valid_description.fa", f">chr1 Homo sapiens chromosome 1, GRCh38\tprimary\n{s1}\n>chr2  \n{s2}\n", True,
    records=2, bases=247, names=["chr1", "chr2"], note="descriptions after a space or tab")
low = s1[:50] + s1[50:100].lower() + s1[100:]
add("valid_lowercase.fa", f">chr1\n{lines(low, 60)}", True, records=1, bases=150, lower=50, note="soft-masked block")
iupac = "ACGTURYKMSWBDHVNacgturykmswbdhvn"
add("valid_iupac.fa", f">iupac\n{iupac}\n", True, records=1, bases=32, n=22, lower=16,
    note="every IUPAC code in both cases; U is T")
big = "ACGT" * (2 << 20)
with gzip.open("valid_huge_line.fa.gz", "wb", compresslevel=9) as f:
    f.write(f">huge one 8 Mbp line\n{big}\n".encode())
add("valid_huge_line.fa.gz", None, True, records=1, bases=len(big), note="one 8 Mbp line, larger than a read chunk")
add("valid_non_ascii_header.fa", f">contig_µ Escherichia coli — Müller ✓\n{s1}\n", True, records=1, bases=150,
    names=["contig_µ"], note="UTF-8 header")
add("valid_no_final_newline.fa", f">a\n{s1}\n>b\n{s2}", True, records=2, bases=247)
with gzip.open("valid_gzip.fa.gz", "wb") as f: f.write(f">chr1\n{lines(s1, 60)}>chr2\n{lines(s2, 60)}".encode())
add("valid_gzip.fa.gz", None, True, records=2, bases=247, format="gzip")
m = gzip.compress(f">m1\n{s1}\n".encode()) + gzip.compress(f">m2\n{s2}\n".encode())
add("valid_multimember.fa.gz", m, True, records=2, bases=247, format="gzip", note="two concatenated gzip members")
plain = f">chr1\n{lines(s1, 60)}>chr2\n{lines(s2, 60)}"
with open("valid_bgzf.fa", "w") as f: f.write(plain)
subprocess.run(["bgzip", "-f", "valid_bgzf.fa"], check=True)
os.replace("valid_bgzf.fa.gz", "valid_bgzf.fa.bgz")
subprocess.run(["samtools", "faidx", "valid_bgzf.fa.bgz"], check=True)
add("valid_bgzf.fa.bgz", None, True, records=2, bases=247, format="bgzf")
add("valid_bgzf.fa.bgz", None, True, mode="index", records=2, bases=247, note="random access through .fai and .gzi")
add("valid_indexed.fa", plain, True, records=2, bases=247)
subprocess.run(["samtools", "faidx", "valid_indexed.fa"], check=True)
add("valid_indexed.fa", None, True, mode="index", records=2, bases=247)

# Invalid files: kind is GenomeIOError.Kind; mentions are substrings the error must contain.
add("empty.fa", "", False, kind="emptyFile", mentions=["empty.fa", "empty"])
add("empty.fa.gz", gzip.compress(b""), False, kind="emptyFile", mentions=["empty.fa.gz"])
add("no_header.fa", lines(s1, 60), False, kind="notFasta", mentions=["no_header.fa:1", "not a FASTA"])
add("blank_only.fa", "\n\n\r\n", False, kind="notFasta", mentions=["blank_only.fa", "no '>'"])
add("sequence_before_header.fa", f"\n{s1[:60]}\n>chr1\n{s2}\n", False, kind="notFasta",
    mentions=["sequence_before_header.fa:2", "before the first"])
add("fastq_as_fasta.fa", f"@read1\n{s1[:20]}\n+\n{'I' * 20}\n", False, kind="notFasta",
    mentions=["fastq_as_fasta.fa:1", "'@'"])
add("empty_record.fa", f">a\n>b\n{s1}\n", False, kind="emptyRecord", mentions=["empty_record.fa:1", "record 'a'", "no sequence"])
add("empty_record_at_end.fa", f">a\n{s1}\n>last description\n", False, kind="emptyRecord",
    mentions=["empty_record_at_end.fa:3", "record 'last'"])
add("duplicate_names.fa", f">chr1\n{s1}\n>chr2\n{s2}\n>chr1 again\n{s2}\n", False, kind="duplicateName",
    mentions=["duplicate_names.fa:5", "'chr1'", "line 1"])
add("header_without_name.fa", f">\n{s1}\n", False, kind="malformed", mentions=["header_without_name.fa:1", "no name"])
add("header_space_name.fa", f"> chr1\n{s1}\n", False, kind="malformed", mentions=["header_space_name.fa:1", "no name"])
add("illegal_digit.fa", f">chr1\n{s1[:60]}\n{s1[60:70]}7{s1[71:120]}\n", False, kind="illegalByte",
    mentions=["illegal_digit.fa:3", "record 'chr1'", "'7'", "byte 77"])
add("illegal_gap_dash.fa", f">aln\n{s1[:30]}---{s1[33:60]}\n", False, kind="illegalByte",
    mentions=["illegal_gap_dash.fa:2", "'-'", "record 'aln'"])
add("illegal_star.fa", f">prot\nMKV*\n", False, kind="illegalByte", mentions=["illegal_star.fa:2", "'*'"])
add("illegal_dot.fa", f">x\nACGT.ACGT\n", False, kind="illegalByte", mentions=["illegal_dot.fa:2", "'.'", "byte 7"])
add("illegal_at_in_sequence.fa", f">x\nACGT\nAC@GT\n", False, kind="illegalByte", mentions=["illegal_at_in_sequence.fa:3", "'@'"])
add("nul_bytes.fa", b">x\nACGT\x00\x00ACGT\n", False, kind="illegalByte", mentions=["nul_bytes.fa:2", "NUL", "byte 7"])
add("nul_in_header.fa", b">x\x00y\nACGT\n", False, kind="illegalByte", mentions=["nul_in_header.fa:1", "NUL"])
add("control_byte.fa", b">x\nAC\x07GT\n", False, kind="illegalByte", mentions=["control_byte.fa:2", "0x7"])
add("latin1_in_sequence.fa", b">x\nACG\xe9T\n", False, kind="illegalByte", mentions=["latin1_in_sequence.fa:2", "0xE9"])
full = gzip.compress(f">chr1\n{lines(seq(20000), 60)}".encode())
add("truncated.fa.gz", full[: len(full) // 2], False, kind="corrupt", mentions=["truncated.fa.gz", "gzip"])
with open("_tmp.fa", "w") as f: f.write(f">chr1\n{lines(seq(200000), 60)}")
subprocess.run(["bgzip", "-f", "_tmp.fa"], check=True)
bg = open("_tmp.fa.gz", "rb").read(); os.remove("_tmp.fa.gz")
eof = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
assert bg.endswith(eof)
add("truncated_no_eof.fa.bgz", bg[:-28], False, kind="truncated", mentions=["truncated_no_eof.fa.bgz", "end-of-file marker"])
bad = bytearray(bg); bad[5000] ^= 0xFF
add("corrupt_block.fa.bgz", bytes(bad), False, kind="corrupt", mentions=["corrupt_block.fa.bgz", "BGZF block"])
# Index problems.
with open("fai_mismatch.fa", "w") as f: f.write(f">chr1 with a longer description\n{lines(s1, 60)}>chr2\n{lines(s2, 50)}")
with open("fai_mismatch.fa.fai", "w") as f: f.write(open("valid_indexed.fa.fai").read())
add("fai_mismatch.fa", None, False, mode="index", kind="indexMismatch", mentions=["fai_mismatch.fa.fai", ".fai does not match"])
with open("fai_wrong_length.fa", "w") as f: f.write(plain)
with open("fai_wrong_length.fa.fai", "w") as f: f.write("chr1\t150\t6\t60\t61\nchr2\t90\t165\t60\t61\n")
add("fai_wrong_length.fa", None, False, mode="index", kind="indexMismatch", mentions=["fai_wrong_length.fa", "chr2"])
add("fai_wrong_length.fa", None, False, mode="windows", kind="indexMismatch",
    mentions=["fai_wrong_length.fa", "chr2"], note="the random sampler reads lengths from the .fai and checks them while streaming")
with open("missing_gzi.fa.bgz", "wb") as f: f.write(open("valid_bgzf.fa.bgz", "rb").read())
with open("missing_gzi.fa.bgz.fai", "w") as f: f.write(open("valid_bgzf.fa.bgz.fai").read())
add("missing_gzi.fa.bgz", None, False, mode="index", kind="indexMissing", mentions=["missing_gzi.fa.bgz", ".gzi"])
add("valid_gzip.fa.gz", None, False, mode="index", kind="cannotIndex", mentions=["valid_gzip.fa.gz", "bgzip"],
    note="plain gzip cannot be randomly accessed")
add("valid_simple.fa", None, False, mode="index", kind="indexMissing", mentions=["valid_simple.fa", "genome-prep index"],
    note="no .fai")

json.dump(manifest, open("manifest.json", "w"), indent=1, ensure_ascii=False)
print(len(manifest), "entries,", len({e["file"] for e in manifest}), "files")
