#!/usr/bin/env python3
"""Writes the pipeline-config specimen corpus (issue 10): malformed and hostile configs, one class each,
and manifest.json with the expected outcome. Each entry's `mentions` must all appear in the error, which
must also name the file; `valid` ones must load. Run from this folder: python3 make_specimens.py"""
import json

base = {"version": 1, "name": "spec", "inputs": ["data/lambda_phage.fa.gz"],
        "windows": {"window": 1000, "stride": 1000, "seed": 1, "val": 0.1, "test": 0.1},
        "tokenizer": {"kind": "char"}, "shards": {"out": "out/spec"}}
cases = []

def case(name, text=None, edit=None, mentions=(), valid=False, note=""):
    if text is None:
        c = json.loads(json.dumps(base))
        edit(c)
        text = json.dumps(c, indent=2)
    data = text if isinstance(text, bytes) else text.encode()
    open(name, "wb").write(data)
    cases.append({"file": name, "valid": valid, "mentions": list(mentions), "note": note})

def setk(path, v):
    def f(c):
        o = c
        for k in path[:-1]: o = o[k]
        o[path[-1]] = v
    return f

case("valid.json", edit=lambda c: None, valid=True, note="the base every other case changes")
case("valid_reindented_reordered.json", text=json.dumps(dict(reversed(list(base.items()))), indent=8), valid=True)
case("not_json.json", text="window = 1000\n", mentions=["not valid JSON", "line 1, column 1"])
case("empty.json", text="", mentions=["not valid JSON", "unexpected end of input"])
case("trailing_garbage.json", text=json.dumps(base) + "\n}", mentions=["unexpected data after the JSON value", "line 2"])
case("deep_nesting.json", text='{"version": 1, "name": "x", "windows": ' + "[" * 5000 + "]" * 5000 + "}",
     mentions=["nesting deeper than 512 levels"])
case("lone_surrogate.json", text='{"version": 1, "name": "\\ud800\\u0041"}', mentions=["lone surrogate \\ud800 at line 1"])
case("duplicate_key.json", text='{"version": 1,\n "name": "a",\n "name": "b"}', mentions=["duplicate key 'name'", "line 3"])
case("not_an_object.json", text="[1, 2]", mentions=["must be a JSON object"])
case("non_utf8.json", text=b'{"version": 1,\n "name": "\xff\xfe"}', mentions=["not valid JSON", "not valid UTF-8 at line 2"])
case("unknown_key.json", edit=setk(["windows", "strid"], 10), mentions=["unknown key 'windows.strid'", "did you mean 'stride'"])
case("unknown_section.json", edit=setk(["tokeniser"], {}), mentions=["unknown key 'tokeniser'"])
case("version_9.json", edit=setk(["version"], 9), mentions=["config version 9"])
case("no_inputs.json", edit=setk(["inputs"], []), mentions=["'inputs'"])
case("input_bad_key.json", edit=setk(["inputs"], [{"path": "x.fa", "lable": "a"}]), mentions=["unknown key 'inputs[0].lable'"])
case("input_weight_zero.json", edit=setk(["inputs"], [{"path": "x.fa", "weight": 0}]), mentions=["'inputs[0].weight'"])
case("seed_negative.json", edit=setk(["windows", "seed"], -1), mentions=["'windows.seed'", "got -1"])
case("window_zero.json", edit=setk(["windows", "window"], 0), mentions=["'windows.window'"])
case("window_1e12.json", edit=setk(["windows", "window"], 10**12), mentions=["'windows.window'", "1...1073741824"])
case("window_float.json", edit=setk(["windows", "window"], 1000.5), mentions=["'windows.window'"])
case("window_string.json", edit=setk(["windows", "window"], "1000"), mentions=["'windows.window'"])
case("window_null.json", edit=setk(["windows", "window"], None), mentions=["'windows.window'"])
case("number_1e400.json", text=json.dumps(base).replace('"window": 1000', '"window": 1e400'), mentions=["number 1e400 is out of range"])
case("val_test_too_big.json", edit=lambda c: (setk(["windows", "val"], 0.6)(c), setk(["windows", "test"], 0.5)(c)),
     mentions=["windows.val + windows.test", "below 1"])
case("val_negative.json", edit=setk(["windows", "val"], -0.1), mentions=["'windows.val'"])
case("random_count_1e11.json", edit=lambda c: c["windows"].update({"sampler": "random", "count": 10**11}), mentions=["'windows.count'"])
case("bed_jitter_2e62.json", edit=lambda c: c["windows"].update({"sampler": "bed", "bed": "x.bed", "jitter": 2**62}), mentions=["'windows.jitter'"])
case("max_n_fraction_2.json", edit=setk(["windows", "maxNFraction"], 2), mentions=["'windows.maxNFraction'"])
case("soft_mask_unknown.json", edit=setk(["windows", "softMask"], "lower"), mentions=["'windows.softMask'"])
case("tokenizer_kind_unknown.json", edit=setk(["tokenizer", "kind"], "word"), mentions=["'tokenizer.kind'"])
case("kmer_k_zero.json", edit=lambda c: c.update({"tokenizer": {"kind": "kmer", "k": 0}}), mentions=["'tokenizer.k'"])
case("bpe_vocab_huge.json", edit=lambda c: c.update({"tokenizer": {"kind": "bpe", "vocabSize": 10**9}}), mentions=["'tokenizer.vocabSize'"])
case("pmi_min_count_negative.json", edit=lambda c: c.update({"tokenizer": {"kind": "kmer", "k": 6}, "pmi": {"minCount": -5}}),
     mentions=["'pmi.minCount'", "got -5"])
case("size_limit_negative.json", edit=setk(["shards", "sizeLimit"], -3), mentions=["'shards.sizeLimit'"])
case("size_limit_5gib.json", edit=setk(["shards", "sizeLimit"], 5 << 30), mentions=["'shards.sizeLimit'"])
case("zstd_level_99.json", edit=setk(["shards", "zstdLevel"], 99), mentions=["'shards.zstdLevel'"])
case("hash_unknown.json", edit=setk(["shards", "hashes"], ["md5"]), mentions=["'shards.hashes'", "md5"])
case("no_out.json", edit=lambda c: c["shards"].pop("out"), mentions=["'shards.out'"])

json.dump(cases, open("manifest.json", "w"), indent=1)
print(len(cases), "specimens")
