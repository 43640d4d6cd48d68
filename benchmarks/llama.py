"""Speed of glasslm's numpy SmolLM2 against Hugging Face transformers, in one run.

    .venv/bin/python benchmarks/llama.py            # about 2-3 minutes on 2 cores

Measured (medians of a few repetitions, tokens per second unless noted):
  prefill_tok_s_128           a 128-token prompt through the model (last logits only)
  decode_tok_s_ctx128/512     one new token with the KV cache, at context 128 / 512
  decode_nocache_tok_s_ctx512 one new token by recomputing all 512 tokens (no cache)
  load_s_first                weights: open the GGUF, dequantize, fuse, write the cache
                              (into a fresh temporary cache folder)
  load_s_cached               weights: memory-map the cache again (checksum included)
  load_s_tokenizer            building the tokenizer from the GGUF (helper module, for context)
  hf_*                        the same for transformers + torch (null if not installed)

And what bounds each, measured the same way:
  decode_weights_only_tok_s   only the weight products of a decode step: every float32
                              weight read once, the memory-bandwidth ceiling for decode
  sgemm_gflops                one prefill-shaped matrix product (128 x 576 @ 576 x 3072)
                              in numpy's OpenBLAS; hf_sgemm_gflops: the same in torch

Each speed is measured with 1 and with 2 BLAS threads (threadpoolctl for numpy's
OpenBLAS, torch.set_num_threads for torch): keys suffixed `_1t` and `_2t`. The
unsuffixed keys are the better of the two for each library (on a shared 2-core
machine two threads can lose to one when another process is busy). Ratios
glasslm / transformers come from the same run, so machine load affects both.

With one thread all the work runs in the calling thread, so its CPU time
(time.thread_time) does not count the time other processes held the core:
keys suffixed `_1t_cpu` are tokens per CPU-second, the steadiest comparison on a
busy machine. Rows are printed as they are measured; the last printed line is
one JSON object with every number.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from glasslm.assets import smollm2_gguf_path  # noqa: E402
from glasslm.engine.models.llama.gguf_weights import load_weights  # noqa: E402
from glasslm.engine.models.llama.llama import Llama  # noqa: E402

TEXT = (
    "The history of computing is a story of people building machines that follow instructions. "
    "Early calculators added numbers with gears; later, relays and vacuum tubes made logic fast. "
)
DECODE_STEPS = 16
REPEATS = 5


def median_rate(fn, tokens: int, repeats: int = REPEATS) -> tuple[float, float]:
    """(tokens per wall-clock second, tokens per CPU-second of this thread), medians."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        wall.append(tokens / (time.perf_counter() - start))
        cpu.append(tokens / max(time.thread_time() - start_cpu, 1e-9))
    return statistics.median(wall), statistics.median(cpu)


def prompt_ids(n: int) -> list[int]:
    from glasslm.engine.tokenizers.pretrained_tokenizers import smollm2_tokenizer

    ids = smollm2_tokenizer().encode(TEXT * 20)
    return ids[:n]


# ------------------------------------------------------------------ glasslm
def ours(model: Llama, ids512: list[int]) -> dict:
    out = {}
    p128 = ids512[:128]
    model.forward(p128[:8])  # warm up
    out["prefill_tok_s_128"] = median_rate(lambda: model.forward(p128, last_only=True), 128)
    for ctx in (128, 512):
        cache = model.new_cache(ctx + DECODE_STEPS * (REPEATS + 1))
        model.prefill(ids512[:ctx], cache, last_only=True)

        def decode(cache=cache):
            for t in range(DECODE_STEPS):
                model.forward([ids512[t]], cache, last_only=True)

        decode()  # warm up
        out[f"decode_tok_s_ctx{ctx}"] = median_rate(decode, DECODE_STEPS)
    out["decode_nocache_tok_s_ctx512"] = median_rate(lambda: model.forward(ids512, last_only=True), 1, 1)
    return out


# ------------------------------------------------------------------ what bounds the two
def weights_only(weights) -> tuple[float, float]:
    """Decode's floor: every weight product of one decode step and nothing else.

    Each step reads all ~540 MB of float32 weights once, so this rate is the most
    a float32 decode can reach at this machine's memory bandwidth."""
    x, act = np.ones(weights.config.d_model, np.float32), np.ones(weights.config.d_ff, np.float32)

    def products():
        for lw in weights.layers:
            x @ lw.qkv_proj, x @ lw.o_proj, x @ lw.gate_up_proj, lw.down_proj.T @ act
        weights.lm_head @ x

    products()
    return median_rate(products, 1)


def sgemm_gflops(torch_too: bool) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """GFLOP/s of one prefill-shaped product, (128 x 576) @ (576 x 3072) (gate and up for
    128 tokens), in numpy's OpenBLAS and in torch's BLAS: prefill is mostly such products."""
    rng = np.random.default_rng(0)
    h, w = rng.standard_normal((128, 576), dtype=np.float32), rng.standard_normal((576, 3072), dtype=np.float32)
    flops = 2 * h.shape[0] * h.shape[1] * w.shape[1] * 20

    def rate(fn):  # (wall, CPU) GFLOP/s
        fn()
        return tuple(r / 1e9 for r in median_rate(lambda: [fn() for _ in range(20)], flops))

    if not torch_too:
        return rate(lambda: h @ w), None
    import torch

    th, tw = torch.from_numpy(h), torch.from_numpy(w)
    return rate(lambda: h @ w), rate(lambda: th @ tw)


# ------------------------------------------------------------------ transformers
def load_hf():
    try:
        import torch
        from transformers import AutoModelForCausalLM
    except ImportError:
        return None, None
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = smollm2_gguf_path()
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    model.eval()
    return model, time.perf_counter() - start


def theirs(model, ids512: list[int]) -> dict:
    import torch

    out = {}
    with torch.no_grad():
        p128 = torch.tensor([ids512[:128]])
        model(p128[:, :8])
        out["prefill_tok_s_128"] = median_rate(lambda: model(p128, logits_to_keep=1), 128)
        for ctx in (128, 512):
            base = model(torch.tensor([ids512[:ctx]]), use_cache=True, logits_to_keep=1).cache

            def decode(base=base):
                past = copy.deepcopy(base)  # the same context every repetition
                for t in range(DECODE_STEPS):
                    past = model(torch.tensor([[ids512[t]]]), cache=past, use_cache=True).cache

            decode()
            out[f"decode_tok_s_ctx{ctx}"] = median_rate(decode, DECODE_STEPS)
    return out


def main() -> None:
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        load_weights(cache_root=Path(tmp))
        results["load_s_first"] = time.perf_counter() - start
        start = time.perf_counter()
        weights = load_weights(cache_root=Path(tmp))
        results["load_s_cached"] = time.perf_counter() - start
        start = time.perf_counter()
        ids512 = prompt_ids(512)
        results["load_s_tokenizer"] = time.perf_counter() - start
        assert len(ids512) == 512
        model = Llama(weights)
        hf, hf_load = load_hf()
        results["hf_load_s"] = hf_load
        print(
            f"load (s): weights first {results['load_s_first']:.2f}, cached {results['load_s_cached']:.3f}; "
            f"tokenizer {results['load_s_tokenizer']:.2f}; transformers {hf_load if hf_load else float('nan'):.2f}",
            flush=True,
        )
        print(f"{'measure (tokens/s)':34s} {'glasslm':>9s} {'transformers':>13s} {'ratio':>7s}", flush=True)
        for threads in (1, 2):
            with threadpool_limits(threads):
                mine = ours(model, ids512)
            theirs_ = {}
            if hf is not None:
                import torch

                torch.set_num_threads(threads)
                theirs_ = theirs(hf, ids512)
            with threadpool_limits(threads):  # after torch.set_num_threads: both at `threads`
                mine["decode_weights_only_tok_s"] = weights_only(weights)
                mine["sgemm_gflops"], theirs_["sgemm_gflops"] = sgemm_gflops(hf is not None)
            for key, (wall, cpu) in mine.items():
                results[f"{key}_{threads}t"] = wall
                other = theirs_.get(key) or (None, None)
                results[f"hf_{key}_{threads}t"] = other[0]
                rows = [(f"{key}_{threads}t", wall, other[0])]
                if threads == 1:
                    results[f"{key}_1t_cpu"], results[f"hf_{key}_1t_cpu"] = cpu, other[1]
                    rows.append((f"{key}_1t_cpu", cpu, other[1]))
                for name, a, b in rows:
                    hf_cell = f"{b:13.1f}" if b else f"{'-':>13s}"
                    ratio = f"{a / b:6.2f}x" if b else "      -"
                    print(f"{name:34s} {a:9.1f} {hf_cell} {ratio}", flush=True)
        del model, weights
    keys = ["prefill_tok_s_128", "decode_tok_s_ctx128", "decode_tok_s_ctx512", "decode_nocache_tok_s_ctx512"]
    for key in keys:
        results[key] = max(results[f"{key}_1t"], results[f"{key}_2t"])
        hf_vals = [results.get(f"hf_{key}_{t}t") for t in (1, 2)]
        results[f"hf_{key}"] = max(hf_vals) if None not in hf_vals else None
    print(
        "best of 1 and 2 threads: "
        + ", ".join(
            f"{k} {results[k]:.1f}"
            + (f" ({results[k] / results['hf_' + k]:.2f}x transformers)" if results.get("hf_" + k) else "")
            for k in keys
        ),
        flush=True,
    )
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
