"""The Python side of ExportTests.swift: loads `genome-prep export`'s folder with the real
transformers.AutoModelForMaskedLM, and writes (as JSON) the logits of the batch in batch.json and the
mean over all tokens of the last hidden states of the samples in samples.json (a sample longer than
max_position_embeddings in consecutive pieces of that length), for the Swift test to compare.
Usage: python export_check.py HF_DIR WORK_DIR
"""
import json
import sys

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForMaskedLM, AutoTokenizer

hf, work = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
model = AutoModelForMaskedLM.from_pretrained(hf, attn_implementation="eager").eval()
assert type(model).__name__ == "BertForMaskedLM", type(model).__name__
batch = json.load(open(f"{work}/batch.json"))
with torch.no_grad():
    logits = model(input_ids=torch.tensor(batch["input_ids"]), attention_mask=torch.tensor(batch["attention_mask"])).logits
samples = json.load(open(f"{work}/samples.json"))
pooled = []
with torch.no_grad():
    n = model.config.max_position_embeddings
    for ids in samples:
        pieces = []
        for start in range(0, len(ids), n):
            ids_t = torch.tensor([ids[start:start + n]])
            pieces.append(model.bert(input_ids=ids_t, attention_mask=torch.ones_like(ids_t)).last_hidden_state[0])
        pooled.append(torch.cat(pieces).mean(dim=0).numpy())
embedded = np.load(f"{work}/embed.npy")
assert embedded.dtype == np.float32 and embedded.shape == (len(samples), model.config.hidden_size), (embedded.dtype, embedded.shape)
tok = Tokenizer.from_file(f"{hf}/tokenizer.json")
auto = AutoTokenizer.from_pretrained(hf)
assert auto.mask_token_id is not None and auto.pad_token_id == model.config.pad_token_id, (auto.mask_token_id, auto.pad_token_id)
# The exported tokenizer encodes as the model was trained (no specials) and knows the model's length:
# a full-length window's text gives the shard's ids and runs through the model.
n = model.config.max_position_embeddings
assert auto.model_max_length == n, (auto.model_max_length, n)
text = auto.decode(samples[0][:n])
enc = auto(text, return_tensors="pt")
assert enc["input_ids"][0].tolist() == samples[0][:n], (enc["input_ids"][0].tolist()[:8], samples[0][:8])
with torch.no_grad():
    model(**{k: v for k, v in enc.items() if k in ("input_ids", "attention_mask")})
json.dump({"logits": logits.flatten().tolist(),
           "embed_max_abs_diff": float(np.abs(np.stack(pooled) - embedded).max()),
           "embed_scale": float(np.abs(np.stack(pooled)).max()),
           "vocab_size": tok.get_vocab_size()}, sys.stdout)
