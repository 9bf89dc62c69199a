#!/usr/bin/env python3
"""Cross-checks peft4j against Hugging Face transformers + PEFT, in both directions.

  peft_interop.py check EXPORT_DIR RESULTS.json [--gradients]
      EXPORT_DIR is written by org.peft4j.benchmarks.interop.InteropExport (Java). For every case of
      its manifest.json: loads the base checkpoint written or copied there in transformers, loads the
      adapter folder peft4j saved with PeftModel.from_pretrained (failing on any missing or unexpected
      adapter key), checks that every saved tensor reached the model, and compares the outputs with the
      ones peft4j computed (base, adapter active, merge_and_unload); then loads peft4j's merged model
      with from_pretrained and compares again. With --gradients it also compares the training loss and
      the gradient of every trainable tensor (the adapter loaded with is_trainable=True) with the ones
      InteropExport wrote; that comparison has not yet been run against a real PEFT installation. Also runs benchmarks/python/peft4j_bench_worker.py
      (the side-by-side benchmark's PyTorch worker) on one case, on its transformers path and on its
      plain-PyTorch fallback.

  peft_interop.py make TINY_BERT_DIR OUT_DIR RESULTS.json
      Writes reference files made by transformers + PEFT for peft4j's tests: tiny Llama checkpoints
      (transformers' own config.json format), LoRA adapters on them and on the tiny BERT, a DoRA
      adapter, PiSSA's initialisation and its conversion to a plain LoRA, and add_weighted_adapter
      results for the deterministic combination types; each with the outputs PEFT computes.

  peft_interop.py quickstart EXPORT_DIR RESULTS.json
      EXPORT_DIR is written by org.peft4j.examples.quickstart.PythonCheckExport from a quickstart
      adapter (bin/peft4j finetune): the MiniLM encoder in float16, the adapter, 16 tokenized test
      e-mails (texts, token ids, the tokenizer file) and peft4j's logits. Runs the adapter the way a
      Python user would (function quickstart_logits: BertForSequenceClassification +
      PeftModel.from_pretrained, then mean pooling and the adapter's classifier) and compares the logits
      and the predicted labels; then tokenizes the texts with transformers' fast tokenizer from that file
      and checks that it gives peft4j's ids, and the same logits from them.

  peft_interop.py make-sharded OUT_DIR RESULTS.json
      Writes a tiny Llama the way large checkpoints are published: bfloat16, saved by save_pretrained in
      several shards with model.safetensors.index.json, with the logits of the float32 model that holds
      the same (bfloat16-rounded) weights.

  peft_interop.py make-mistral OUT_DIR RESULTS.json
      Writes a tiny Mistral (sliding_window 4, shorter than the 9-token inputs, so the window matters)
      with a PEFT LoRA adapter, and the logits transformers computes: base, adapter, merged.

  peft_interop.py make-qwen2 OUT_DIR RESULTS.json
      The same for a tiny Qwen2 (biases on q/k/v, tied embeddings).

Needs torch, transformers, peft and safetensors. Everything runs on the CPU in float32 with eager
attention, in eval mode, under torch.no_grad. Exit status 0 when every check passed, 1 otherwise.
"""

import json
import os
import subprocess
import sys
import traceback
import warnings

import torch

GRADIENTS = False  # set by --gradients
TOL_BERT = 1e-4  # float32 on both sides, only summation order differs (as PeftInteropTest)
TOL_REL_LLAMA = 1e-4  # times max(1, max |reference|): the tiny Llamas' logits reach about 4


def log(*args):
    print(*args, flush=True)


def versions():
    import peft
    import safetensors
    import transformers
    return {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "safetensors": safetensors.__version__}


def tf_major():
    import transformers
    return int(transformers.__version__.split(".")[0])


def load_st(path):
    from safetensors.torch import load_file
    return load_file(path)


def save_st(tensors, path):
    from safetensors.torch import save_file
    save_file({k: v.detach().contiguous().to(torch.float32) if v.is_floating_point() else v.detach().contiguous()
               for k, v in tensors.items()}, path, metadata={"format": "pt"})


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)


def max_abs(a, b):
    return (a.float() - b.float()).abs().max().item()


# ---------------------------------------------------------------- models and forward passes

def load_bert(path):
    from transformers import BertForSequenceClassification
    model, info = BertForSequenceClassification.from_pretrained(path, attn_implementation="eager",
                                                               output_loading_info=True)
    return model.eval(), info


def load_llama(path):
    """LlamaForCausalLM, or MistralForCausalLM when config.json says so."""
    from transformers import AutoModelForCausalLM
    model, info = AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager", output_loading_info=True)
    return model.eval(), info


def bert_inputs(path):
    j = read_json(path)
    return {k: torch.tensor(j[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids")}


def llama_inputs(path):
    j = read_json(path)
    return {k: torch.tensor(j[k], dtype=torch.long) for k in ("input_ids", "attention_mask")}


def bert_outputs(model, x):
    """logits, last_hidden_state (encoder output) and pooler_output, for a plain or PEFT-wrapped model."""
    with torch.no_grad():
        out = model(**x, output_hidden_states=True)
        hidden = out.hidden_states[-1]
        inner = model
        while not hasattr(inner, "bert"):
            inner = inner.model if hasattr(inner, "model") else inner.base_model
        pooled = inner.bert.pooler(hidden)
    return {"logits": out.logits, "last_hidden_state": hidden, "pooler_output": pooled}


def llama_outputs(model, x):
    with torch.no_grad():
        out = model(**x)
    return {"logits": out.logits}


def compare(kind, ours, theirs, mask=None):
    """Largest difference per output and whether it is within tolerance; for Llama only unmasked positions."""
    res = {}
    ok = True
    for k, ref in ours.items():
        got = theirs[k]
        if tuple(ref.shape) != tuple(got.shape):
            res[k] = {"error": "shape %s vs %s" % (list(ref.shape), list(got.shape))}
            ok = False
            continue
        if kind == "llama":
            keep = mask.bool()
            d = (ref[keep] - got[keep]).abs().max().item()
            tol = TOL_REL_LLAMA * max(1.0, ref[keep].abs().max().item())
        else:
            d = max_abs(ref, got)
            tol = TOL_BERT
        res[k] = {"max_abs_diff": d, "tolerance": tol, "ok": d <= tol, "max_abs_value": ref.abs().max().item()}
        ok = ok and d <= tol
    return ok, res


# ---------------------------------------------------------------- check: peft4j's files in transformers + PEFT

def check_case(root, case, inputs):
    from peft import PeftModel
    from peft.utils import get_peft_model_state_dict
    kind = case["kind"]
    expected = load_st(os.path.join(root, case["outputs"]))
    stages = {}
    for key, t in expected.items():
        stage, name = key.split(".", 1)
        stages.setdefault(stage, {})[name] = t
    load = load_bert if kind == "bert" else load_llama
    run = bert_outputs if kind == "bert" else llama_outputs
    x = inputs[kind]
    mask = x["attention_mask"]
    result = {"what": case.get("what")}
    ok = True

    base, info = load(os.path.join(root, case["base"]))
    result["base_loading_info"] = {k: sorted(v) if isinstance(v, (list, set)) else str(v) for k, v in info.items()}
    good, result["base"] = compare(kind, stages["base"], run(base, x), mask)
    ok = ok and good

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        peft_model = PeftModel.from_pretrained(base, os.path.join(root, case["adapter"]))
    peft_model.eval()
    msgs = [str(w.message) for w in caught]
    result["load_warnings"] = msgs
    bad = [m for m in msgs if "key" in m.lower() and ("missing" in m.lower() or "unexpected" in m.lower())]
    if bad:
        ok = False
        result["load_key_problems"] = bad
    saved = load_st(os.path.join(root, case["adapter"], "adapter_model.safetensors"))
    in_model = get_peft_model_state_dict(peft_model)
    missing = sorted(set(saved) - set(in_model))
    extra = sorted(set(in_model) - set(saved))
    diffs = {k: max_abs(saved[k], in_model[k]) for k in saved if k in in_model}
    result["adapter_tensors"] = {"saved": len(saved), "in_model": len(in_model), "not_in_model": missing,
                                 "not_saved": extra, "max_value_diff": max(diffs.values()) if diffs else None}
    ok = ok and not missing and not extra and (not diffs or max(diffs.values()) == 0.0)
    result["peft_config"] = {k: str(v) for k, v in peft_model.peft_config["default"].to_dict().items()
                             if k in ("r", "lora_alpha", "use_rslora", "rank_pattern", "alpha_pattern", "lora_bias",
                                      "target_modules", "modules_to_save", "init_lora_weights",
                                      "layers_to_transform", "layers_pattern")}
    good, result["peft"] = compare(kind, stages["peft"], run(peft_model, x), mask)
    ok = ok and good

    if GRADIENTS and "loss" in expected:
        try:
            result["gradients"] = gradient_check(root, case, kind, x, expected)
        except Exception:
            result["gradients"] = {"ok": False, "exception": traceback.format_exc()}
        ok = ok and result["gradients"]["ok"]

    merged = peft_model.merge_and_unload()
    good, result["merge_and_unload"] = compare(kind, stages["merged"], run(merged, x), mask)
    ok = ok and good

    merged_file, info = load(os.path.join(root, case["merged_model"]))
    lost = [k for k in ("missing_keys", "unexpected_keys", "mismatched_keys") if info.get(k)]
    result["merged_model_loading_info"] = {k: sorted(str(i) for i in v) for k, v in info.items() if v}
    if lost:
        ok = False
    good, result["merged_model"] = compare(kind, stages["merged"], run(merged_file, x), mask)
    ok = ok and good
    result["ok"] = ok
    return ok, result


def canonical(name):
    """A trainable tensor's name without the PEFT prefix and the adapter name: PEFT's
    base_model.model.<path>.lora_A.default.weight and peft4j's <path>.default.lora_A.weight both become
    <path>.lora_A.weight (classifier.modules_to_save.default.weight: classifier.modules_to_save.weight;
    DoRA's lora_magnitude_vector.default.weight: lora_magnitude_vector)."""
    if name.startswith("base_model.model."):
        name = name[len("base_model.model."):]
    name = name.replace(".default.", ".")
    # DoRA: PEFT's parameter is lora_magnitude_vector.default.weight, saved (and named by peft4j) without .weight
    if name.endswith(".lora_magnitude_vector.weight"):
        name = name[:-len(".weight")]
    return name


def gradient_check(root, case, kind, x, expected):
    """The training loss and the gradient of every trainable tensor, PEFT against peft4j: the adapter loaded
    with is_trainable=True, eval mode (no dropout, as peft4j's pass), cross-entropy against labels 0, 1, 2
    (BERT) or the causal LM loss with padding labelled -100 (Llama family)."""
    from peft import PeftModel
    load = load_bert if kind == "bert" else load_llama
    base, _ = load(os.path.join(root, case["base"]))
    model = PeftModel.from_pretrained(base, os.path.join(root, case["adapter"]), is_trainable=True)
    model.eval()
    if kind == "bert":
        loss = torch.nn.functional.cross_entropy(model(**x).logits, torch.tensor([0, 1, 2]))
    else:
        labels = x["input_ids"].masked_fill(x["attention_mask"] == 0, -100)
        loss = model(**x, labels=labels).loss
    loss.backward()
    ours = {k[len("grad."):]: v for k, v in expected.items() if k.startswith("grad.")}
    theirs = {canonical(n): p.grad for n, p in model.named_parameters() if p.requires_grad}
    res = {"loss_peft4j": expected["loss"].item(), "loss_torch": loss.item(), "trainable_tensors": len(theirs),
           "only_peft4j": sorted(set(ours) - set(theirs)), "only_torch": sorted(set(theirs) - set(ours)),
           "no_grad": sorted(k for k, g in theirs.items() if g is None)}
    common = [k for k in sorted(set(ours) & set(theirs)) if theirs[k] is not None]
    largest = max([theirs[k].abs().max().item() for k in common] + [1e-30])
    # per tensor: 1e-3 of its own largest entry, plus 1e-5 of the largest gradient of the model (a tensor
    # whose gradient is tiny next to the others carries the others' round-off)
    worst, worst_key, within = 0.0, None, True
    for k in common:
        g = theirs[k]
        d = (ours[k] - g).abs().max().item()
        rel = d / max(g.abs().max().item(), 1e-30)
        within = within and d <= 1e-3 * g.abs().max().item() + 1e-5 * largest
        if rel > worst:
            worst, worst_key = rel, k
    res["largest_gradient"] = largest
    res["max_relative_diff"] = worst
    res["worst_tensor"] = worst_key
    res["ok"] = (not res["only_peft4j"] and not res["only_torch"] and not res["no_grad"] and within and bool(common)
                 and abs(res["loss_peft4j"] - res["loss_torch"]) <= 1e-5 * max(1.0, abs(res["loss_torch"])))
    return res


def worker_check(root, case):
    """Drives peft4j_bench_worker.py (both of its paths) on one exported BERT case."""
    here = os.path.dirname(os.path.abspath(__file__))
    x = bert_inputs(os.path.join(root, "bert-input.json"))
    expected = load_st(os.path.join(root, case["outputs"]))
    tmp = os.path.join(root, "_worker")
    os.makedirs(tmp, exist_ok=True)
    save_st({**x, "labels": torch.tensor([0, 1, 2], dtype=torch.long)}, os.path.join(tmp, "inputs.safetensors"))
    save_st({"logits": expected["peft.logits"], "last_hidden_state": expected["peft.last_hidden_state"]},
            os.path.join(tmp, "expected.safetensors"))
    out = {}
    ok = True
    for fallback in (False, True):
        spec = {"cmd": "setup", "checkpoint": os.path.join(root, case["base"]),
                "inputs": os.path.join(tmp, "inputs.safetensors"), "expected": os.path.join(tmp, "expected.safetensors"),
                "adapter_dir": os.path.join(root, case["adapter"]), "merged": False, "full_finetune": False,
                "kind": "training", "threads": 4, "force_fallback": fallback}
        p = subprocess.run([sys.executable, os.path.join(here, "peft4j_bench_worker.py")],
                           input=json.dumps(spec) + "\n" + json.dumps({"cmd": "steps", "n": 2}) + "\n"
                           + json.dumps({"cmd": "quit"}) + "\n", capture_output=True, text=True, timeout=300)
        answers = [json.loads(line) for line in p.stdout.splitlines() if line.strip().startswith("{")]
        r = {"returncode": p.returncode, "answers": answers, "stderr_tail": p.stderr[-1500:]}
        setup = answers[0] if answers else {}
        good = (p.returncode == 0 and setup.get("max_abs_diff_logits", 1) <= TOL_BERT
                and setup.get("max_abs_diff_hidden", 1) <= TOL_BERT
                and (("fallback" in setup.get("implementation", "")) == fallback))
        r["ok"] = good
        ok = ok and good
        out["fallback" if fallback else "transformers"] = r
    return ok, out


def check(root, results_path):
    results = {"versions": versions(), "cases": {}}
    manifest = read_json(os.path.join(root, "manifest.json"))
    inputs = {"bert": bert_inputs(os.path.join(root, manifest["input_bert"])),
              "llama": llama_inputs(os.path.join(root, manifest["input_llama"]))}
    all_ok = True
    for case in manifest["cases"]:
        try:
            ok, r = check_case(root, case, inputs)
        except Exception:
            ok, r = False, {"exception": traceback.format_exc()}
        results["cases"][case["name"]] = r
        all_ok = all_ok and ok
        log("check %-36s %s" % (case["name"], "ok" if ok else "FAILED"))
    try:
        first = next(c for c in manifest["cases"] if c["kind"] == "bert")
        ok, results["bench_worker"] = worker_check(root, first)
    except Exception:
        ok, results["bench_worker"] = False, {"exception": traceback.format_exc()}
    log("check %-36s %s" % ("bench worker (both paths)", "ok" if ok else "FAILED"))
    all_ok = all_ok and ok
    results["ok"] = all_ok
    write_json(results, results_path)
    return all_ok


# ---------------------------------------------------------------- quickstart: a peft4j quickstart adapter in Python

def quickstart_logits(base_dir, adapter_dir, input_ids, attention_mask, token_type_ids):
    """How to run a quickstart adapter in Python: the quickstart's model is all-MiniLM-L6-v2 (keys bert.*),
    mean pooling over the real tokens, and a linear classifier (modules_to_save) on the pooled vector."""
    from peft import PeftModel
    from transformers import BertForSequenceClassification
    # no pooler in MiniLM: transformers initialises one (unused here) and warns about it
    model = BertForSequenceClassification.from_pretrained(base_dir, num_labels=2, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, adapter_dir).eval()
    inner = model.base_model.model  # BertForSequenceClassification with LoRA layers and the trained classifier
    with torch.no_grad():
        hidden = inner.bert(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=token_type_ids).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return inner.classifier(pooled)


def quickstart(root, results_path):
    x = load_st(os.path.join(root, "inputs_and_logits.safetensors"))
    logits = quickstart_logits(os.path.join(root, "base"), os.path.join(root, "adapter"),
                               x["input_ids"].long(), x["attention_mask"].long(), x["token_type_ids"].long())
    ours = x["logits"]
    d = max_abs(ours, logits)
    agree = int((ours.argmax(-1) == logits.argmax(-1)).sum().item())
    with open(os.path.join(root, "labels.txt")) as f:
        labels = [line.strip() for line in f if line.strip()]
    # the tokenizer step of docs/quickstart.md's snippet, with the tokenizer file instead of the hub name
    tok_result = {}
    try:
        from transformers import PreTrainedTokenizerFast
        spec = read_json(os.path.join(root, "texts.json"))
        tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(root, "tokenizer.json"), unk_token="[UNK]",
                                      sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]")
        batch = tok(spec["texts"], return_tensors="pt", truncation=True, max_length=spec["max_length"], padding=True)
        same_ids = tuple(batch["input_ids"].shape) == tuple(x["input_ids"].shape) and bool(
            (batch["input_ids"] == x["input_ids"].long()).all() and (batch["attention_mask"] == x["attention_mask"].long()).all())
        tok_result = {"same_ids_and_mask": same_ids, "shape_python": list(batch["input_ids"].shape),
                      "shape_peft4j": list(x["input_ids"].shape)}
        if same_ids:
            again = quickstart_logits(os.path.join(root, "base"), os.path.join(root, "adapter"), batch["input_ids"],
                                      batch["attention_mask"], batch.get("token_type_ids", torch.zeros_like(batch["input_ids"])))
            tok_result["logits_from_python_tokens_max_abs_diff"] = max_abs(ours, again)
    except Exception:
        tok_result = {"exception": traceback.format_exc()}
    tok_ok = tok_result.get("same_ids_and_mask") is True and tok_result.get("logits_from_python_tokens_max_abs_diff", 1) <= 1e-4
    ok = d <= 1e-4 and agree == len(labels) and tok_ok
    result = {"versions": versions(), "tokenizer": tok_result, "max_abs_diff_logits": d, "max_abs_logit": ours.abs().max().item(),
              "same_prediction": agree, "emails": len(labels), "ok": ok,
              "python_logits": logits.tolist(), "peft4j_logits": ours.tolist(), "labels": labels}
    write_json(result, results_path)
    log("quickstart adapter in PEFT: max |logit difference| %.3g (largest |logit| %.3g), same prediction on %d of %d e-mails"
        % (d, ours.abs().max().item(), agree, len(labels)))
    log("transformers' tokenizer on the same texts: %s" % json.dumps(tok_result))
    log("quickstart check: %s" % ("ok" if ok else "FAILED"))
    return ok


# ---------------------------------------------------------------- make: reference files from transformers + PEFT

def llama_config(tied, llama3):
    from transformers import LlamaConfig
    kw = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5, tie_word_embeddings=tied,
              bos_token_id=1, eos_token_id=2, attention_bias=False, mlp_bias=False)
    scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 16} if llama3 else None
    if scaling is None:
        kw.update(default_rope(500000.0))
    elif tf_major() >= 5:
        kw["rope_parameters"] = dict(scaling, rope_theta=500000.0)
    else:
        kw.update(rope_theta=500000.0, rope_scaling=scaling)
    return LlamaConfig(**kw)


def decoder_batch():
    """The decoder inputs of every Llama-family reference: 2 x 9 ids, the second row right-padded."""
    ids = torch.tensor([[1, 17, 33, 8, 41, 5, 60, 12, 3], [1, 9, 22, 51, 3, 7, 0, 0, 0]])
    mask = torch.tensor([[1] * 9, [1] * 6 + [0] * 3])
    return {"input_ids": ids, "attention_mask": mask}


def default_rope(theta):
    """The config fields of unscaled rotary embeddings: rope_parameters (transformers 5) or rope_theta (4)."""
    if tf_major() >= 5:
        return {"rope_parameters": {"rope_type": "default", "rope_theta": theta}}
    return {"rope_theta": theta}


def lora_round_trip(d, reloaded, cfg, seed, x, outputs):
    """Wraps the reloaded model with LoRA (lora_B ~ N(0, 0.1) after the seed), saves it to d/lora, and adds
    the adapter's and the merged model's logits to outputs; returns |adapter - reloaded adapter| logits."""
    from peft import PeftModel, get_peft_model
    peft_model = get_peft_model(reloaded, cfg)
    randomize_lora(peft_model, seed, 0.1)
    peft_model.eval()
    outputs["peft.logits"] = llama_outputs(peft_model, x)["logits"]
    adir = os.path.join(d, "lora")
    peft_model.save_pretrained(adir)
    fresh, _ = load_llama(d)
    again = PeftModel.from_pretrained(fresh, adir).eval()
    reload_diff = max_abs(outputs["peft.logits"], llama_outputs(again, x)["logits"])  # before merging
    outputs["merged.logits"] = llama_outputs(again.merge_and_unload(), x)["logits"]
    return reload_diff


def random_llama(config, seed):
    from transformers import AutoModelForCausalLM
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.normal_(0, 0.2)
    return model.eval()


def randomize_lora(model, seed, std, adapter=None, with_bias=False):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".lora_B." in name and (adapter is None or ("." + adapter + ".") in name or name.endswith("." + adapter)):
                if name.endswith("bias") and not with_bias:
                    continue
                p.normal_(0, std)


def make_llama(out, results):
    from peft import LoraConfig
    x = decoder_batch()
    write_json({"input_ids": x["input_ids"].tolist(), "attention_mask": x["attention_mask"].tolist(),
                "note": "right-padded; compare positions where attention_mask is 1"}, os.path.join(out, "llama-input.json"))
    for name, tied, llama3, targets, alpha, seed in (
            ("tiny-llama", False, False, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], 8, 301),
            ("tiny-llama31-tied", True, True, ["q_proj", "v_proj"], 16, 302)):
        d = os.path.join(out, name)
        model = random_llama(llama_config(tied, llama3), seed)
        model.save_pretrained(d, safe_serialization=True)
        outputs = {"base.logits": llama_outputs(model, x)["logits"]}
        reloaded, info = load_llama(d)
        results[name + "/reload"] = {"max_abs_diff": max_abs(outputs["base.logits"], llama_outputs(reloaded, x)["logits"]),
                                     "loading_info": {k: sorted(str(i) for i in v) for k, v in info.items() if v},
                                     "config": read_json(os.path.join(d, "config.json"))}
        cfg = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0)
        results[name + "/lora/reload"] = lora_round_trip(d, reloaded, cfg, seed + 1000, x, outputs)
        save_st(outputs, os.path.join(d, "expected_outputs.safetensors"))
        log("made", name)


def make_bert(tiny_bert, out, results):
    from peft import LoraConfig, PeftModel, get_peft_model
    from peft.utils import get_peft_model_state_dict
    x = bert_inputs(os.path.join(tiny_bert, "input.json"))
    d = os.path.join(out, "tiny-bert")
    os.makedirs(d, exist_ok=True)

    def base():
        return load_bert(tiny_bert)[0]

    def save_case(name, peft_model, seed_cls=None, extra=None):
        cdir = os.path.join(d, name)
        outputs = {}
        for k, v in bert_outputs(base(), x).items():
            outputs["base." + k] = v
        for k, v in bert_outputs(peft_model, x).items():
            outputs["peft." + k] = v
        peft_model.save_pretrained(cdir)
        again = PeftModel.from_pretrained(base(), cdir).eval()
        r = {"reload_max_abs_diff": max_abs(outputs["peft.last_hidden_state"], bert_outputs(again, x)["last_hidden_state"])}
        for k, v in bert_outputs(again.merge_and_unload(), x).items():
            outputs["merged." + k] = v
        if extra:
            outputs.update(extra)
        save_st(outputs, os.path.join(cdir, "expected_outputs.safetensors"))
        results["tiny-bert/" + name] = r
        log("made tiny-bert/" + name)

    def perturb_classifier(peft_model, seed):
        torch.manual_seed(seed)
        with torch.no_grad():
            for n, p in peft_model.named_parameters():
                if "modules_to_save" in n:
                    p.add_(0.05 * torch.randn_like(p))

    # plain LoRA in this PEFT version's config format, classifier in modules_to_save
    m = get_peft_model(base(), LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["query", "value"]))
    randomize_lora(m, 401, 0.05)
    perturb_classifier(m, 402)
    save_case("lora_qv", m.eval())

    # rsLoRA, rank and alpha patterns, lora_bias
    try:
        cfg = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, use_rslora=True,
                         target_modules=["query", "key", "value", "dense"], rank_pattern={"key": 2, "intermediate.dense": 6},
                         alpha_pattern={"value": 3}, lora_bias=True)
        m = get_peft_model(base(), cfg)
        randomize_lora(m, 403, 0.05, with_bias=True)
        perturb_classifier(m, 404)
        save_case("lora_rslora_patterns_bias", m.eval())
    except Exception:
        results["tiny-bert/lora_rslora_patterns_bias"] = {"exception": traceback.format_exc()}

    # DoRA (use_dora): peft4j must reproduce it, unmerged and merged
    m = get_peft_model(base(), LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["query", "value"],
                                          use_dora=True))
    randomize_lora(m, 405, 0.05)
    save_case("dora_qv", m.eval())

    # OLoRA (init_lora_weights="olora"): rewrites the base weights; loading re-runs the QR on the original base
    m = get_peft_model(base(), LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["query", "value"],
                                          init_lora_weights="olora"))
    randomize_lora(m, 407, 0.05)
    save_case("olora_qv", m.eval())

    # PiSSA: initialisation (exact SVD), training stand-in, save as is and converted to a plain LoRA
    try:
        original = base()
        m = get_peft_model(base(), LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value", "intermediate.dense"],
                                              init_lora_weights="pissa"))
        m.eval()
        init = {}
        orig_params = dict(original.named_parameters())
        for n, mod in m.named_modules():
            if hasattr(mod, "lora_A") and "default" in getattr(mod, "lora_A", {}):
                path = n.replace("base_model.model.", "", 1)
                init[path + ".weight_original"] = orig_params[path + ".weight"].detach().clone()
                init[path + ".weight_residual"] = mod.base_layer.weight.detach().clone()
                init[path + ".lora_A"] = mod.lora_A["default"].weight.detach().clone()
                init[path + ".lora_B"] = mod.lora_B["default"].weight.detach().clone()
        init_out = bert_outputs(m, x)
        base_out = bert_outputs(original, x)
        results["tiny-bert/pissa/init_vs_base"] = max_abs(init_out["last_hidden_state"], base_out["last_hidden_state"])
        pdir = os.path.join(d, "pissa")
        os.makedirs(pdir, exist_ok=True)
        save_st(init, os.path.join(pdir, "pissa_init_tensors.safetensors"))
        init_dir = os.path.join(pdir, "initial_adapter")
        m.peft_config["default"].init_lora_weights = True
        m.save_pretrained(init_dir)
        m.peft_config["default"].init_lora_weights = "pissa"
        torch.manual_seed(406)
        with torch.no_grad():
            for n, p in m.named_parameters():
                if ".lora_A." in n or ".lora_B." in n:
                    p.add_(0.05 * torch.randn_like(p))
        tuned = bert_outputs(m, x)
        outputs = {"peft." + k: v for k, v in tuned.items()}
        outputs.update({"base." + k: v for k, v in base_out.items()})
        m.save_pretrained(os.path.join(pdir, "as_pissa"))
        try:
            m.save_pretrained(os.path.join(pdir, "converted"), path_initial_model_for_weight_conversion=init_dir)
            conv = PeftModel.from_pretrained(base(), os.path.join(pdir, "converted")).eval()
            results["tiny-bert/pissa/converted_vs_tuned"] = max_abs(tuned["last_hidden_state"],
                                                                     bert_outputs(conv, x)["last_hidden_state"])
        except Exception:
            results["tiny-bert/pissa/converted"] = {"exception": traceback.format_exc()}
        try:
            again = PeftModel.from_pretrained(base(), os.path.join(pdir, "as_pissa")).eval()
            results["tiny-bert/pissa/as_pissa_reloaded_on_original_vs_tuned"] = max_abs(
                tuned["last_hidden_state"], bert_outputs(again, x)["last_hidden_state"])
        except Exception:
            results["tiny-bert/pissa/as_pissa_reload"] = {"exception": traceback.format_exc()}
        save_st(outputs, os.path.join(pdir, "expected_outputs.safetensors"))
        log("made tiny-bert/pissa")
    except Exception:
        results["tiny-bert/pissa"] = {"exception": traceback.format_exc()}

    # add_weighted_adapter, the deterministic combination types
    try:
        wdir = os.path.join(d, "weighted")
        targets = ["query", "key", "value"]
        m = get_peft_model(base(), LoraConfig(r=4, lora_alpha=8, target_modules=targets), adapter_name="a")
        m.add_adapter("b", LoraConfig(r=4, lora_alpha=4, target_modules=targets))
        m.add_adapter("c", LoraConfig(r=2, lora_alpha=2, target_modules=targets))
        for i, a in enumerate(("a", "b", "c")):
            torch.manual_seed(500 + i)
            with torch.no_grad():
                for n, p in m.named_parameters():
                    if n.endswith(".lora_B." + a + ".weight"):
                        p.normal_(0, 0.05)
        m.save_pretrained(wdir, selected_adapters=["a", "b", "c"])
        combos = [
            ("cat_ac", ["a", "c"], [0.7, -1.3], "cat", {}),
            ("linear_ab", ["a", "b"], [0.6, 0.9], "linear", {}),
            ("svd_ac_full_rank", ["a", "c"], [0.7, -1.3], "svd", {"svd_rank": 6}),
            ("svd_ac_rank3_clamp", ["a", "c"], [0.7, -1.3], "svd", {"svd_rank": 3, "svd_clamp": 0.9}),
            ("ties_ab", ["a", "b"], [1.0, 0.5], "ties", {"density": 0.5}),
            ("ties_ab_frequency", ["a", "b"], [1.0, 0.5], "ties", {"density": 0.5, "majority_sign_method": "frequency"}),
            ("magnitude_prune_ab", ["a", "b"], [0.8, 0.6], "magnitude_prune", {"density": 0.6}),
            ("ties_svd_ac", ["a", "c"], [1.0, 0.8], "ties_svd", {"density": 0.5, "svd_rank": 4}),
            ("magnitude_prune_svd_ac", ["a", "c"], [1.0, -0.8], "magnitude_prune_svd", {"density": 0.5, "svd_rank": 4}),
            ("ties_single_b_negative", ["b"], [-0.5], "ties", {"density": 0.5}),
        ]
        listing = {}
        for name, adapters, weights, ctype, kw in combos:
            try:
                m.add_weighted_adapter(adapters, weights, name, combination_type=ctype, **kw)
                sd = get_peft_model_state_dict(m, adapter_name=name)
                save_st(sd, os.path.join(wdir, name + ".safetensors"))
                c = m.peft_config[name]
                listing[name] = {"adapters": adapters, "weights": weights, "combination_type": ctype, "kwargs": kw,
                                 "r": c.r, "lora_alpha": c.lora_alpha, "target_modules": sorted(c.target_modules)}
            except Exception:
                listing[name] = {"adapters": adapters, "weights": weights, "combination_type": ctype, "kwargs": kw,
                                 "exception": traceback.format_exc()}
        write_json(listing, os.path.join(wdir, "combinations.json"))
        results["tiny-bert/weighted"] = {k: ("exception" not in v) for k, v in listing.items()}
        log("made tiny-bert/weighted")
    except Exception:
        results["tiny-bert/weighted"] = {"exception": traceback.format_exc()}


def make_sharded(out, results_path):
    os.makedirs(out, exist_ok=True)
    x = decoder_batch()
    d = os.path.join(out, "tiny-llama-bf16-sharded")
    model = random_llama(llama_config(False, False), 303).to(torch.bfloat16)
    model.save_pretrained(d, safe_serialization=True, max_shard_size="16KB")
    # float32 model holding the bfloat16-rounded weights; its buffers (rotary inv_freq) stay float32, as a
    # loader that widens the checkpoint computes them
    wide = random_llama(llama_config(False, False), 303)
    with torch.no_grad():
        for p in wide.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    logits = llama_outputs(wide, x)["logits"]
    save_st({"base.logits": logits}, os.path.join(d, "expected_outputs.safetensors"))
    files = sorted(os.listdir(d))
    index = read_json(os.path.join(d, "model.safetensors.index.json")) if "model.safetensors.index.json" in files else None
    reloaded, info = load_llama(d)
    results = {"versions": versions(), "files": files,
               "shards": sorted(set(index["weight_map"].values())) if index else None,
               "reload_as_saved_dtype": str(next(reloaded.parameters()).dtype),
               "reload_float32_max_abs_diff": max_abs(logits, llama_outputs(reloaded.float(), x)["logits"]),
               "loading_info": {k: sorted(str(i) for i in v) for k, v in info.items() if v}}
    write_json(results, os.path.join(d, "MADE_WITH.json"))
    write_json(results, results_path)
    log("made", d, "files", files)
    return index is not None and len(results["shards"]) > 1


def make_mistral(out, results_path):
    from peft import LoraConfig
    from transformers import MistralConfig
    os.makedirs(out, exist_ok=True)
    x = decoder_batch()
    kw = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-5, tie_word_embeddings=False,
              bos_token_id=1, eos_token_id=2, sliding_window=4, **default_rope(1000000.0))
    d = os.path.join(out, "tiny-mistral-window4")
    model = random_llama(MistralConfig(**kw), 304)
    model.save_pretrained(d, safe_serialization=True)
    outputs = {"base.logits": llama_outputs(model, x)["logits"]}
    no_window = MistralConfig(**dict(kw, sliding_window=None))
    flat = random_llama(no_window, 304)
    results = {"versions": versions(), "config": read_json(os.path.join(d, "config.json")),
               "window_effect_max_abs": max_abs(outputs["base.logits"], llama_outputs(flat, x)["logits"])}
    reloaded, info = load_llama(d)
    results["reload_max_abs_diff"] = max_abs(outputs["base.logits"], llama_outputs(reloaded, x)["logits"])
    results["loading_info"] = {k: sorted(str(i) for i in v) for k, v in info.items() if v}
    cfg = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=0.0,
                     target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    results["lora_reload_max_abs_diff"] = lora_round_trip(d, reloaded, cfg, 1304, x, outputs)
    save_st(outputs, os.path.join(d, "expected_outputs.safetensors"))
    write_json(results, os.path.join(d, "MADE_WITH.json"))
    write_json(results, results_path)
    log("made", d, "window effect on logits", results["window_effect_max_abs"])
    return results["window_effect_max_abs"] > 1e-3


def make_qwen2(out, results_path):
    from peft import LoraConfig
    from transformers import Qwen2Config
    os.makedirs(out, exist_ok=True)
    x = decoder_batch()
    kw = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64, rms_norm_eps=1e-6, tie_word_embeddings=True,
              eos_token_id=2, use_sliding_window=False, **default_rope(1000000.0))
    d = os.path.join(out, "tiny-qwen2-tied")
    model = random_llama(Qwen2Config(**kw), 305)
    model.save_pretrained(d, safe_serialization=True)
    outputs = {"base.logits": llama_outputs(model, x)["logits"]}
    reloaded, info = load_llama(d)
    results = {"versions": versions(), "config": read_json(os.path.join(d, "config.json")),
               "reload_max_abs_diff": max_abs(outputs["base.logits"], llama_outputs(reloaded, x)["logits"]),
               "loading_info": {k: sorted(str(i) for i in v) for k, v in info.items() if v},
               "bias_keys": sorted(k for k, _ in reloaded.named_parameters() if k.endswith("bias"))}
    cfg = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    results["lora_reload_max_abs_diff"] = lora_round_trip(d, reloaded, cfg, 1305, x, outputs)
    save_st(outputs, os.path.join(d, "expected_outputs.safetensors"))
    write_json(results, os.path.join(d, "MADE_WITH.json"))
    write_json(results, results_path)
    log("made", d, "bias keys", results["bias_keys"])
    return len(results["bias_keys"]) == 6


def make(tiny_bert, out, results_path):
    os.makedirs(out, exist_ok=True)
    results = {"versions": versions()}
    try:
        make_llama(out, results)
    except Exception:
        results["llama_exception"] = traceback.format_exc()
    try:
        make_bert(tiny_bert, out, results)
    except Exception:
        results["bert_exception"] = traceback.format_exc()
    write_json(results, os.path.join(out, "MADE_WITH.json"))
    write_json(results, results_path)
    bad = [k for k, v in results.items() if "exception" in k or (isinstance(v, dict) and "exception" in v)]
    return not bad


def main():
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    global GRADIENTS
    if sys.argv[1:2] == ["check"] and len(sys.argv) in (4, 5) and sys.argv[4:] in ([], ["--gradients"]):
        GRADIENTS = sys.argv[4:] == ["--gradients"]
        ok = check(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "make-qwen2":
        ok = make_qwen2(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "make-mistral":
        ok = make_mistral(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "make-sharded":
        ok = make_sharded(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "quickstart":
        ok = quickstart(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "make":
        ok = make(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__)
        sys.exit(2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
