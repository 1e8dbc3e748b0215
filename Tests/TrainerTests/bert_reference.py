"""The PyTorch side of the trainer's model check (BertReferenceTests.swift), llm.c style.

Loads the Swift model's export (config.json + model.safetensors) with the real
transformers.BertForMaskedLM (eager attention), runs the batches in batch.json, and writes:
  reference.safetensors: logits of batch 0 (rows x length x vocab), loss of batch 0, and the gradient of
                         that loss for every parameter (as "grad.<name>");
  reference.json:        the losses of `steps` AdamW steps (PyTorch's AdamW, decay only on matrices and
                         embeddings, clip_grad_norm_ before each step, the given learning rates).
Usage: python bert_reference.py DIR
"""
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import BertForMaskedLM

d = sys.argv[1]
torch.manual_seed(0)
torch.set_num_threads(1)
spec = json.load(open(f"{d}/batch.json"))
model, info = BertForMaskedLM.from_pretrained(d, attn_implementation="eager", output_loading_info=True)
missing = [k for k in info["missing_keys"] if k != "cls.predictions.decoder.weight"]
if missing or info["unexpected_keys"] or info["mismatched_keys"]:
    sys.exit(f"weights did not load cleanly: {info}")
assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr(), "decoder not tied"
model.train()  # dropout is 0 in the exported config, so train and eval agree


def tensors(b):
    return (torch.tensor(b["input_ids"], dtype=torch.long), torch.tensor(b["attention_mask"], dtype=torch.long),
            torch.tensor(b["labels"], dtype=torch.long))


ids, mask, labels = tensors(spec["batches"][0])
out = model(input_ids=ids, attention_mask=mask, labels=labels)
out.loss.backward()
result = {"logits": out.logits.detach().contiguous(), "loss": out.loss.detach().reshape(1)}
for name, p in model.named_parameters():
    result["grad." + name] = p.grad.detach().clone().contiguous()
save_file(result, f"{d}/reference.safetensors")

model.zero_grad(set_to_none=True)
decay, no_decay = [], []
for name, p in model.named_parameters():
    (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
opt = torch.optim.AdamW([{"params": decay, "weight_decay": spec["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=spec["lrs"][0], betas=tuple(spec["betas"]), eps=spec["eps"], foreach=False)
losses, norms = [], []
for step in range(spec["steps"]):
    for g in opt.param_groups:
        g["lr"] = spec["lrs"][step]
    ids, mask, labels = tensors(spec["batches"][step % len(spec["batches"])])
    loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), spec["clip"])))
    opt.step()
    losses.append(float(loss))
json.dump({"losses": losses, "grad_norms": norms}, open(f"{d}/reference.json", "w"))
