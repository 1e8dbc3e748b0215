"""The transformers side of PipelineTests.testTransformersLoadsEveryKindsTokenizer: for a run folder of
`genome-prep run`, checks with the real transformers and streaming libraries that
  - AutoTokenizer.from_pretrained(run) loads it (tokenizer.json + tokenizer_config.json +
    special_tokens_map.json), with the special ids genomeprep.json's `dataset` object names;
  - encoding a window's text without specials gives the ids stored in the shards (first 20 samples), and
    with them adds the checkpoint's specials ([CLS] ... [SEP]; NT: <cls> ... <eos>);
  - decode gives the bases back without spaces (overlapping k-mers: DNABERT's space-separated k-mers);
  - padding=True pads with the pad id, and DataCollatorForLanguageModeling masks a batch.
Usage: python transformers_tokenizer.py RUN_DIR GENOME_FASTA_GZ KIND K OFFSET ; prints "ok" or fails.
"""
import gzip
import json
import sys

from streaming import StreamingDataset
from transformers import AutoTokenizer, DataCollatorForLanguageModeling, PreTrainedTokenizerFast

run, fasta, kind, k, offset = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
genome = "".join(l.strip() for l in gzip.open(fasta, "rt") if not l.startswith(">")).upper()
info = json.load(open(f"{run}/genomeprep.json"))["dataset"]
special = info["special_ids"]
tok = AutoTokenizer.from_pretrained(run)
assert isinstance(tok, PreTrainedTokenizerFast), type(tok)
for name, want in [("pad", special["pad"]), ("unk", special["unk"]), ("cls", special["cls"]), ("mask", special["mask"])]:
    assert getattr(tok, f"{name}_token_id") == want, (name, getattr(tok, f"{name}_token_id"), want)
first, last = ("<cls>", "<eos>") if kind == "nt-kmer" else ("[CLS]", "[SEP]")


def text_for(w):
    if kind == "kmer":
        return " ".join(w[i:i + k] for i in range(len(w) - k + 1))
    if kind == "barcode-kmer":
        n = (len(w) - offset) // k
        return w[offset:offset + n * k]
    return w


ds = StreamingDataset(local=f"{run}/train", shuffle=False)
texts = []
for i in range(min(20, len(ds))):
    s = ds[i]
    w = genome[int(s["start"]):int(s["start"]) + info["window"]]
    text = text_for(w)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert ids == [int(x) for x in s["tokens"]], (i, ids[:10], list(s["tokens"][:10]))
    full = tok(text)["input_ids"]
    assert full == [tok.convert_tokens_to_ids(first)] + ids + [tok.convert_tokens_to_ids(last)], (i, full[:3], full[-3:])
    back = tok.decode(ids, skip_special_tokens=True)
    want = " ".join(text.split()) if kind == "kmer" else text
    assert back == want, (i, back[:60], want[:60])
    texts.append(text)
batch = tok([texts[0], texts[1][: len(texts[1]) // 2]], padding=True)
assert batch["input_ids"][1][-1] == special["pad"] and batch["attention_mask"][1][-1] == 0, batch["input_ids"][1][-3:]
collator = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
out = collator([tok(t, truncation=True, max_length=64) for t in texts[:4]])
assert out["input_ids"].shape == out["labels"].shape and (out["labels"] != -100).any()
print("ok")
