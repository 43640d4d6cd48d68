"""Continuous batching's throughput: SmolLM2 requests decoding together vs one at a time,
and vs transformers' batched generate (issue 11).

    .venv/bin/python benchmarks/serving.py [1,2] [128]    # threads, tokens per request
                                                          # about 5-8 minutes on an idle 2-core machine

Every request generates GEN_TOKENS tokens greedily from its own short prompt (stop tokens
ignored, so every request has the same length). Tokens per second:
  decode_tok_s_b1         one request alone, decode phase only (after its first token)
  aggregate_tok_s_b4      4 requests started at once (threads), all tokens / wall time
  aggregate_tok_s_b16     16 requests started at once
  sequential_tok_s_16     the same 16 requests one after another, all tokens / wall time
  hf_aggregate_tok_s_b16  transformers' model.generate on the same 16 prompts as one batch
                          (left padding, greedy), same threads; null if not installed
  mean_batch_b16          rows per decode pass during the b16 run (the scheduler's batching)
  ttft_ms_p50_b16/_p95_b16  time to first token of the 16 requests started at once (their prompts
                          share passes; benchmarks/speculative.py measures it through /v1 too)
  tok_per_cpu_s_*         tokens per CPU-second of this process (all threads): on a machine
                          shared with other work, the steadier comparison (also hf_)
Measured with 1 and 2 BLAS threads by default (threadpoolctl, torch.set_num_threads; the
argument picks others, e.g. "2"): keys suffixed _1t and _2t; unsuffixed keys the better. Targets on 2 cores:
aggregate_tok_s_b16 >= 6 x decode_tok_s_b1 and >= 1.5 x hf_aggregate_tok_s_b16.
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from glasslm.engine.basics.sampling import GREEDY  # noqa: E402
from glasslm.engine.inference.batch_timeline import PROMPTS  # the serving demo's prompts, one list
from glasslm.engine.models.llama.smollm2 import load_smollm2

GEN_TOKENS = int(sys.argv[2]) if len(sys.argv) > 2 else 128  # the 128; fewer on a crowded machine


def run_one(m, ids) -> tuple[int, float, float]:
    """(tokens, seconds to the first token, seconds of the rest) of one request."""
    events = list(m.generate(ids, max_tokens=GEN_TOKENS, settings=GREEDY, stop_ids=[]))
    return len(events), events[0].elapsed, events[-1].elapsed - events[0].elapsed


class Clocks:
    """Wall seconds and this process's CPU seconds (all threads) of a block: on a machine
    shared with other work, tokens per CPU-second is the steadier comparison."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def concurrent(m, prompts, ttfts: list | None = None) -> tuple[float, float]:
    """All prompts started at once, one thread each: total tokens / (wall, CPU) seconds
    (and each request's seconds to its first token appended to ttfts)."""
    counts = [0] * len(prompts)
    barrier = threading.Barrier(len(prompts) + 1)

    def go(i):
        barrier.wait()
        counts[i], first, _ = run_one(m, prompts[i])
        if ttfts is not None:
            ttfts.append(first)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    with Clocks() as c:
        barrier.wait()
        for t in threads:
            t.join()
    return sum(counts) / c.wall, sum(counts) / c.cpu


def show(out: dict, key: str, value: float) -> None:
    out[key] = value
    print(f"  {key} {value:.1f}", flush=True)


def ours(m, prompts, threads: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with threadpool_limits(threads):
        run_one(m, prompts[0])  # warm-up (and the prompts' prefill into the prefix cache)
        with Clocks() as c:
            n, _, decode_s = run_one(m, prompts[0])
        show(out, "decode_tok_s_b1", (n - 1) / decode_s)
        show(out, "tok_per_cpu_s_b1", n / c.cpu)
        out["aggregate_tok_s_b4"], out["tok_per_cpu_s_b4"] = concurrent(m, prompts[:4])
        show(out, "aggregate_tok_s_b4", out["aggregate_tok_s_b4"])
        passes, rows = m.scheduler.passes, m.scheduler.rows
        ttfts: list[float] = []
        out["aggregate_tok_s_b16"], out["tok_per_cpu_s_b16"] = concurrent(m, prompts, ttfts)
        show(out, "aggregate_tok_s_b16", out["aggregate_tok_s_b16"])
        ttfts.sort()
        show(out, "ttft_ms_p50_b16", 1000 * ttfts[len(ttfts) // 2])
        show(out, "ttft_ms_p95_b16", 1000 * ttfts[min(len(ttfts) - 1, round(0.95 * (len(ttfts) - 1)))])
        show(out, "tok_per_cpu_s_b16", out["tok_per_cpu_s_b16"])
        show(out, "mean_batch_b16", (m.scheduler.rows - rows) / max(1, m.scheduler.passes - passes))
        with Clocks() as c:
            total = sum(run_one(m, p)[0] for p in prompts)
        show(out, "sequential_tok_s_16", total / c.wall)
    return out


def theirs(m, prompts, threads: int) -> dict[str, float]:
    try:
        import torch
        from transformers import AutoModelForCausalLM
    except ImportError:
        return {"hf_aggregate_tok_s_b16": None}
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from glasslm.assets import smollm2_gguf_path

    path = smollm2_gguf_path()
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32).eval()
    pad = m.eos_id
    longest = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (longest - len(p)) + p for p in prompts])  # left padding
    mask = torch.tensor([[0] * (longest - len(p)) + [1] * len(p) for p in prompts])
    torch.set_num_threads(threads)
    with torch.no_grad(), threadpool_limits(threads):
        model.generate(ids[:2, -4:], attention_mask=mask[:2, -4:], max_new_tokens=4, do_sample=False, pad_token_id=pad)
        with Clocks() as c:
            out = model.generate(
                ids,
                attention_mask=mask,
                max_new_tokens=GEN_TOKENS,
                min_new_tokens=GEN_TOKENS,
                do_sample=False,
                pad_token_id=pad,
            )
    result: dict[str, float] = {}
    tokens = (out.shape[1] - longest) * len(prompts)
    show(result, "hf_aggregate_tok_s_b16", tokens / c.wall)
    show(result, "hf_tok_per_cpu_s_b16", tokens / c.cpu)
    return result


def main() -> None:
    thread_counts = [int(t) for t in (sys.argv[1] if len(sys.argv) > 1 else "1,2").split(",")]
    m = load_smollm2()
    prompts = [m.encode(p) for p in PROMPTS]
    results: dict[str, float | None] = {"gen_tokens": GEN_TOKENS, "requests": len(prompts)}
    per = {}
    for threads in thread_counts:
        print(f"{threads} thread(s):", flush=True)
        per[threads] = {**ours(m, prompts, threads), **theirs(m, prompts, threads)}
    print(f"{'measure':26} " + " ".join(f"{f'{t} thread(s)':>12}" for t in thread_counts))
    for key in per[thread_counts[0]]:
        values = [per[t][key] for t in thread_counts]
        print(f"{key:26} " + " ".join(f"{v if v is not None else float('nan'):12.1f}" for v in values))
        for t, v in zip(thread_counts, values):
            results[f"{key}_{t}t"] = v
        best = min if key.startswith("ttft") else max  # the better of the thread counts
        results[key] = None if None in values else best(values)
    b16, b1, hf = results["aggregate_tok_s_b16"], results["decode_tok_s_b1"], results["hf_aggregate_tok_s_b16"]
    results["b16_over_b1"] = b16 / b1
    results["b16_over_hf"] = b16 / hf if hf else None
    results["b16_over_b1_cpu"] = results["tok_per_cpu_s_b16"] / results["tok_per_cpu_s_b1"]
    hf_cpu = results.get("hf_tok_per_cpu_s_b16")
    results["b16_over_hf_cpu"] = results["tok_per_cpu_s_b16"] / hf_cpu if hf_cpu else None
    print(
        f"b16 is {results['b16_over_b1']:.1f}x b1 (target >= 6) and "
        f"{results['b16_over_hf'] or float('nan'):.2f}x transformers (target >= 1.5)"
    )
    print(json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
