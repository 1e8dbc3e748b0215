#!/usr/bin/env python3
"""Writes the tokenizer.json specimen corpus (issue 10) from a small valid BPE tokenizer: each case breaks
one thing, and manifest.json says what the error must mention (besides the file name); `valid` ones load.
Run from this folder: python3 make_specimens.py"""
import json

base = json.load(open("../../FuzzCorpus/tokenizer/bpe-small.json"))
cases = []

def case(name, edit=None, text=None, mentions=(), valid=False):
    if text is None:
        t = json.loads(json.dumps(base))
        if edit: edit(t)
        text = json.dumps(t)
    data = text if isinstance(text, bytes) else text.encode()
    open(name, "wb").write(data)
    cases.append({"file": name, "valid": valid, "mentions": list(mentions)})

def model(**kw):
    return lambda t: t["model"].update(kw)

case("valid_bpe.json", valid=True)
case("truncated.json", text=json.dumps(base)[:300], mentions=["not valid JSON", "line 1, column 299"])
case("deep_nesting.json", text='{"model": ' + "[" * 3000 + "]" * 3000 + "}", mentions=["nesting deeper than 512 levels"])
case("lone_surrogate.json", text=json.dumps(base).replace('"[UNK]"', '"\\udc00"', 1), mentions=["lone surrogate"])
case("duplicate_key.json", text=json.dumps(base).replace('"type": "BPE"', '"type": "BPE", "type": "WordLevel"'), mentions=["duplicate key 'type'"])
case("not_an_object.json", text="[]", mentions=["top level is not a JSON object"])
case("no_model.json", edit=lambda t: t.pop("model"), mentions=["model"])
case("model_type_unknown.json", edit=model(type="Unigram"), mentions=["model.type", "Unigram"])
case("empty_vocab.json", edit=lambda t: (t["model"].update(vocab={}, merges=[]), t.update(added_tokens=[])), mentions=["model.vocab"])
case("unk_missing.json", edit=lambda t: (t["model"]["vocab"].pop("[UNK]"), t["model"]["vocab"].update({"Z": 0}),
                                         t.update(added_tokens=[a for a in t["added_tokens"] if a["content"] != "[UNK]"])),
     mentions=["model.unk_token", "[UNK]"])
case("added_unk_missing.json", edit=lambda t: (t["model"]["vocab"].pop("[UNK]"), t["model"]["vocab"].update({"Z": 0})), mentions=["added_tokens", "'[UNK]' is not in the vocabulary"])
case("base_missing.json", edit=lambda t: (t["model"]["vocab"].pop("T"), t["model"]["vocab"].update({"Z": 8}),
                                          t["model"].update(merges=[m for m in t["model"]["merges"] if "T" not in (m.split() if isinstance(m, str) else m)])),
     mentions=["model.vocab", "no token 'T'"])
case("merge_unknown_token.json", edit=lambda t: t["model"]["merges"].insert(0, "Q R"), mentions=["model.merges", "not in the vocabulary"])
case("id_gap.json", edit=lambda t: t["model"]["vocab"].update({"TT": 9999}), mentions=["model.vocab", "outside"])
case("id_huge.json", edit=lambda t: t["model"]["vocab"].update({"TT": 2**40}), mentions=["model.vocab", "outside"])
case("id_negative.json", edit=lambda t: t["model"]["vocab"].update({"TT": -1}), mentions=["model.vocab", "outside"])
case("id_twice.json", edit=lambda t: t["model"]["vocab"].update({"TT": 9}), mentions=["model.vocab", "used by both"])
case("merge_not_pair.json", edit=lambda t: t["model"]["merges"].insert(0, "G C A"), mentions=["model.merges", "merge 0"])
case("merge_wrong_type.json", edit=lambda t: t["model"]["merges"].insert(0, 7), mentions=["model.merges", "merge 0"])
case("dropout_set.json", edit=model(dropout=0.1), mentions=["model.dropout", "not supported"])
case("byte_fallback.json", edit=model(byte_fallback=True), mentions=["model.byte_fallback", "not supported"])
case("added_not_in_vocab.json", edit=lambda t: t["added_tokens"].append(dict(t["added_tokens"][0], id=40, content="[EXTRA]")),
     mentions=["added_tokens", "[EXTRA]"])

json.dump(cases, open("manifest.json", "w"), indent=1)
print(len(cases), "specimens")
