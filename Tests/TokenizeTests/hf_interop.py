#!/usr/bin/env python3
"""The real Hugging Face `tokenizers` side of the interop tests.

  encode TOKENIZER_JSON KIND K OFFSET WINDOWS OUT   load with Tokenizer.from_file, encode_batch every window
                                                     (as the text each kind expects), write ids per line
  train WINDOWS VOCAB_SIZE OUT                      BpeTrainer with DNABERT-2's settings, one window per word
"""
import sys
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

def text_for(kind, k, offset, w):
    if kind == "kmer":      # DNABERT: the space-separated overlapping k-mers
        return " ".join(w[i:i + k] for i in range(len(w) - k + 1))
    if kind == "barcode-kmer":
        n = (len(w) - offset) // k
        return w[offset:offset + n * k]
    return w

if sys.argv[1] == "encode":
    _, _, path, kind, k, offset, windows, out = sys.argv
    k, offset = int(k), int(offset)
    tok = Tokenizer.from_file(path)
    ws = [l.rstrip("\n") for l in open(windows)]
    encs = tok.encode_batch([text_for(kind, k, offset, w) for w in ws], add_special_tokens=False)
    with open(out, "w") as f:
        for e in encs: f.write(" ".join(map(str, e.ids)) + "\n")
elif sys.argv[1] == "train":
    _, _, windows, vocab_size, out = sys.argv
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tr = trainers.BpeTrainer(vocab_size=int(vocab_size), min_frequency=2,
                             special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"], show_progress=False)
    tok.train_from_iterator([l.rstrip("\n") for l in open(windows)], tr)
    tok.save(out)
