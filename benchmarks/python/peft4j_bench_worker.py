#!/usr/bin/env python3
"""PyTorch side of the peft4j side-by-side benchmark.

Started by the JVM runner (org.peft4j.benchmarks.sidebyside.PythonWorker) as a subprocess. It reads one
JSON command per line on stdin and answers one JSON object per line on stdout; logs go to stderr.

Commands:
  {"cmd": "setup", "checkpoint": DIR, "inputs": FILE, "expected": FILE|null, "adapter_dir": DIR|null,
   "merged": bool, "full_finetune": bool, "kind": "inference"|"training", "threads": N,
   "force_fallback": bool}
      builds the model from the exported Hugging Face folder (and PEFT adapter folder), checks its
      outputs against the JVM's, measures the matmul peak; answers what it built.
  {"cmd": "steps", "n": N}   runs N timed steps, answers {"ms": [...]}.
  {"cmd": "peak"}           measures the 1024^3 float32 matmul throughput again, answers {"matmul_gflops": ...}.
  {"cmd": "memory"}         answers {"peak_rss_bytes": ..., "rss_bytes": ...}.
  {"cmd": "reset_peak"}     resets VmHWM (Linux clear_refs).
  {"cmd": "quit"}

With `transformers` and `peft` importable the model is transformers' BertForSequenceClassification
with peft's LoRA. Otherwise the fallback is a hand-written BERT + LoRA in plain PyTorch with the same
parameter names, the same operations as transformers' eager BERT attention, and PEFT's LoRA forward
(base(x) + lora_B(lora_A(x)) * scaling) and merge (W += scaling * B @ A); the answer says which.
"""

import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "I32": torch.int32, "U8": torch.uint8, "I8": torch.int8, "BOOL": torch.bool, "F64": torch.float64}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def read_safetensors(path):
    """Reads a .safetensors file (8-byte little-endian header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        if end == start:
            t = torch.empty(info["shape"], dtype=dtype)
        else:
            t = torch.frombuffer(data, dtype=dtype, count=(end - start) // torch.empty(0, dtype=dtype).element_size(),
                                 offset=start).reshape(info["shape"]).clone()
        out[name] = t
    return out


def peak_rss():
    vals = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:") or line.startswith("VmRSS:"):
                k, v = line.split(":")
                vals[k] = int(v.strip().split()[0]) * 1024
    return vals.get("VmHWM", -1), vals.get("VmRSS", -1)


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def matmul_peak(n=1024, warmup=3, repeats=15):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            t0 = time.perf_counter()
            c = a @ b
            t1 = time.perf_counter()
            del c
            if i >= warmup:
                times.append(t1 - t0)
    times.sort()
    return 2.0 * n ** 3 / times[len(times) // 2] / 1e9


# ----------------------------------------------------------------------------------------------
# Fallback: BERT for sequence classification and LoRA in plain PyTorch (names as transformers')
# ----------------------------------------------------------------------------------------------

class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids, types):
        t = ids.shape[1]
        pos = torch.arange(t, dtype=torch.long).unsqueeze(0)
        x = self.word_embeddings(ids) + self.token_type_embeddings(types) + self.position_embeddings(pos)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.head_size = h // self.heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        # transformers' eager BertSelfAttention: q·kᵀ / sqrt(d) + mask, softmax, dropout, ·v
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        scores = scores + mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.shape[0], ctx.shape[1], -1)


class Output(nn.Module):
    def __init__(self, c, inner):
        super().__init__()
        self.dense = nn.Linear(inner, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", SelfAttention(c))
        self.output = Output(c, c["hidden_size"])

    def forward(self, x, mask):
        return self.output(getattr(self, "self")(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Output(c, c["intermediate_size"])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, ids, mask, types):
        ext = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        h = self.encoder(self.embeddings(ids, types), ext)
        return h, self.pooler(h)


class BertClassifier(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c.get("classifier_dropout") or c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], len(c.get("id2label", {0: 0, 1: 1})))

    def forward(self, input_ids, attention_mask, token_type_ids):
        h, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        return h, self.classifier(self.dropout(pooled))


class LoraLinear(nn.Module):
    """PEFT's LoRA Linear: base(x) + lora_B(lora_A(dropout(x))) * scaling (dropout 0 = identity)."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        self.scaling = alpha / r
        self.merged = False

    def forward(self, x):
        result = self.base_layer(x)
        if self.merged:
            return result
        return result + self.lora_B(self.lora_A(x)) * self.scaling

    @torch.no_grad()
    def merge(self):
        self.base_layer.weight += self.scaling * (self.lora_B.weight @ self.lora_A.weight)
        self.merged = True


def get_module(root, path):
    m = root
    for p in path.split("."):
        m = getattr(m, p)
    return m


def set_module(root, path, new):
    parent, _, name = path.rpartition(".")
    setattr(get_module(root, parent) if parent else root, name, new)


def build_fallback(spec, config):
    model = BertClassifier(config)
    state = read_safetensors(os.path.join(spec["checkpoint"], "model.safetensors"))
    model.load_state_dict(state, strict=True)
    for p in model.parameters():
        p.requires_grad_(False)
    if spec.get("adapter_dir"):
        with open(os.path.join(spec["adapter_dir"], "adapter_config.json")) as f:
            acfg = json.load(f)
        tensors = read_safetensors(os.path.join(spec["adapter_dir"], "adapter_model.safetensors"))
        prefix = "base_model.model."
        r, alpha = acfg["r"], acfg["lora_alpha"]
        targets = sorted({k[len(prefix):].rsplit(".lora_A", 1)[0] for k in tensors if ".lora_A" in k})
        for path in targets:
            lora = LoraLinear(get_module(model, path), r, alpha)
            lora.lora_A.weight.data.copy_(tensors[prefix + path + ".lora_A.weight"])
            lora.lora_B.weight.data.copy_(tensors[prefix + path + ".lora_B.weight"])
            set_module(model, path, lora)
        # modules_to_save (the classifier): PEFT saves the trained copy under the module's own name
        params = dict(model.named_parameters())
        for k, v in tensors.items():
            if ".lora_" not in k:
                params[k[len(prefix):]].data.copy_(v)
        for save in acfg.get("modules_to_save") or []:
            if hasattr(model, save) and spec["kind"] == "training":  # PEFT's SEQ_CLS default lists "classifier" and "score"
                for p in get_module(model, save).parameters():
                    p.requires_grad_(True)
        if spec["merged"]:
            for path in targets:
                get_module(model, path).merge()
        elif spec["kind"] == "training":
            for path in targets:
                m = get_module(model, path)
                m.lora_A.weight.requires_grad_(True)
                m.lora_B.weight.requires_grad_(True)
    if spec["full_finetune"]:
        for p in model.parameters():
            p.requires_grad_(True)
    if spec["kind"] != "training":
        for p in model.parameters():
            p.requires_grad_(False)

    def forward(ids, mask, types):
        return model(ids, mask, types)

    return model, forward


def build_hf(spec):
    from transformers import BertForSequenceClassification
    import transformers
    import peft as peft_lib
    model = BertForSequenceClassification.from_pretrained(spec["checkpoint"])
    for p in model.parameters():
        p.requires_grad_(False)
    if spec.get("adapter_dir"):
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, spec["adapter_dir"], is_trainable=spec["kind"] == "training"
                                          and not spec["merged"])
        if spec["merged"]:
            model = model.merge_and_unload()
    if spec["full_finetune"]:
        for p in model.parameters():
            p.requires_grad_(True)
    attn = getattr(getattr(model, "config", None), "_attn_implementation", "?")

    def forward(ids, mask, types):
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True)
        return out.hidden_states[-1], out.logits

    label = "transformers %s + peft %s (attention: %s)" % (transformers.__version__, peft_lib.__version__, attn)
    return model, forward, label


class Worker:
    def __init__(self):
        self.model = None

    def setup(self, spec):
        threads = int(spec.get("threads") or 0)
        if threads > 0:
            torch.set_num_threads(threads)
        torch.manual_seed(42)
        with open(os.path.join(spec["checkpoint"], "config.json")) as f:
            config = json.load(f)
        implementation = None
        fallback_reason = None
        if not spec.get("force_fallback"):
            try:
                self.model, self.forward, implementation = build_hf(spec)
            except ImportError as e:
                fallback_reason = "transformers/peft not importable (%s)" % e
        else:
            fallback_reason = "fallback forced"
        if implementation is None:
            self.model, self.forward = build_fallback(spec, config)
            implementation = "plain PyTorch fallback: hand-written BERT + LoRA (%s)" % fallback_reason
        inputs = read_safetensors(spec["inputs"])
        self.ids = inputs["input_ids"]
        self.mask = inputs["attention_mask"]
        self.types = inputs["token_type_ids"]
        self.labels = inputs["labels"]
        self.kind = spec["kind"]
        answer = {"implementation": implementation, "torch": torch.__version__, "threads": torch.get_num_threads()}
        # output check against the JVM (eval mode, no dropout)
        if spec.get("expected"):
            expected = read_safetensors(spec["expected"])
            self.model.eval()
            with torch.no_grad():
                hidden, logits = self.forward(self.ids, self.mask, self.types)
            answer["max_abs_diff_logits"] = (logits - expected["logits"]).abs().max().item()
            n = expected["last_hidden_state"].shape[0]
            answer["max_abs_diff_hidden"] = (hidden[:n] - expected["last_hidden_state"]).abs().max().item()
            answer["max_abs_logit"] = logits.abs().max().item()
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        answer["trainable_parameters"] = sum(p.numel() for p in trainable)
        answer["total_parameters"] = sum(p.numel() for p in self.model.parameters())
        if self.kind == "training":
            self.model.train()
            self.optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
        else:
            self.model.eval()
        answer["matmul_gflops"] = matmul_peak()
        return answer

    def step(self):
        if self.kind == "training":
            self.optimizer.zero_grad(set_to_none=True)
            _, logits = self.forward(self.ids, self.mask, self.types)
            loss = F.cross_entropy(logits, self.labels)
            loss.backward()
            self.optimizer.step()
        else:
            with torch.inference_mode():
                self.forward(self.ids, self.mask, self.types)

    def steps(self, n):
        ms = []
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        c0 = time.process_time()
        for _ in range(n):
            t0 = time.perf_counter()
            self.step()
            ms.append((time.perf_counter() - t0) * 1e3)
        c1 = time.process_time()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        return {"ms": ms, "cpu_ms": (c1 - c0) * 1e3, "minor_faults": r1.ru_minflt - r0.ru_minflt}


def main():
    worker = Worker()
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            c = cmd["cmd"]
            if c == "setup":
                answer = worker.setup(cmd)
            elif c == "steps":
                answer = worker.steps(int(cmd["n"]))
            elif c == "peak":
                answer = {"matmul_gflops": matmul_peak(warmup=1, repeats=5)}
            elif c == "memory":
                hwm, rss = peak_rss()
                answer = {"peak_rss_bytes": hwm, "rss_bytes": rss}
            elif c == "reset_peak":
                answer = {"reset": reset_peak()}
            elif c == "quit":
                out.write(json.dumps({"ok": True}) + "\n")
                out.flush()
                return
            else:
                raise ValueError("unknown command %r" % c)
            answer["ok"] = True
        except Exception as e:  # the runner shows the message and stops the row
            import traceback
            traceback.print_exc(file=sys.stderr)
            answer = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
