"""The PyTorch side of bench/trainer.sh: transformers.BertForMaskedLM (PyTorch's default attention)
trained with torch.optim.AdamW on batches of the same shards and shape as `genome-prep train`
(batch x seq tokens, BERT 15% masking with 80/10/10, gradient clipping 1.0), with the same thread
count. Prints one JSON line: tokens/s over the timed steps (after 2 warm-up steps).
"""
import argparse
import json
import time

import numpy as np
import torch
from streaming import StreamingDataset
from transformers import BertConfig, BertForMaskedLM

ap = argparse.ArgumentParser()
ap.add_argument("split")
ap.add_argument("--layers", type=int, required=True)
ap.add_argument("--hidden", type=int, required=True)
ap.add_argument("--heads", type=int, required=True)
ap.add_argument("--intermediate", type=int, required=True)
ap.add_argument("--seq", type=int, required=True)
ap.add_argument("--batch", type=int, required=True)
ap.add_argument("--steps", type=int, required=True)
ap.add_argument("--threads", type=int, required=True)
ap.add_argument("--vocab", type=int, required=True)
ap.add_argument("--mask-id", type=int, required=True)
ap.add_argument("--first-base", type=int, required=True, help="smallest non-special id")
a = ap.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
ds = StreamingDataset(local=a.split, shuffle=False, batch_size=a.batch)
cfg = BertConfig(vocab_size=a.vocab, hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                 intermediate_size=a.intermediate, max_position_embeddings=a.seq, hidden_dropout_prob=0.0,
                 attention_probs_dropout_prob=0.0, pad_token_id=0)
model = BertForMaskedLM(cfg).train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
rng = np.random.default_rng(0)


def batches():
    i = 0
    while True:
        rows = np.stack([np.asarray(ds[(i + r) % len(ds)]["tokens"][: a.seq], dtype=np.int64) for r in range(a.batch)])
        i += a.batch
        labels = np.full_like(rows, -100)
        sel = rng.random(rows.shape) < 0.15
        labels[sel] = rows[sel]
        u = rng.random(rows.shape)
        ids = rows.copy()
        ids[sel & (u < 0.8)] = a.mask_id
        rnd = sel & (u >= 0.8) & (u < 0.9)
        ids[rnd] = rng.integers(a.first_base, a.vocab, rnd.sum())
        yield torch.from_numpy(ids), torch.from_numpy(labels)


it = batches()
timed = 0.0
for step in range(a.steps + 2):
    ids, labels = next(it)
    t0 = time.perf_counter()
    loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step >= 2:
        timed += time.perf_counter() - t0
print(json.dumps({"tokens_per_s": a.steps * a.batch * a.seq / timed, "seconds": timed, "last_loss": float(loss),
                  "torch": torch.__version__, "threads": torch.get_num_threads(), "attention": model.config._attn_implementation}))
