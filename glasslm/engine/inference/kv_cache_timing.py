"""What the KV cache buys and costs, measured on the running model and computed for others.

kv_cache.py is the cache itself; this file asks two questions about it.

1. Time. `time_decoding(model, ids, lengths)` measures, at each sequence length
   L, what producing token L+1 costs
   - with the cache: one forward pass of ONE token over L cached keys/values;
   - without it: one forward pass over all L+1 tokens (everything recomputed,
     which is what generation without a cache does at every step);
   - and the prefill of the L prompt tokens into the cache (many tokens in one
     pass: matrix-matrix products, far more tokens per second than decoding).
   Both paths must give the same next-token logits (they compute the same
   function); each point reports the largest difference as a check. Points
   are yielded as they are measured, so a web page can stream them.

2. Memory. The cache holds, for every layer, key/value head and past token, a
   key and a value vector of head_dim numbers:

       bytes = 2 x layers x kv_heads x head_dim x context x bytes_per_value

   (kv_cache.kv_cache_bytes). `memory_rows` applies it to SmolLM2's own config
   and to the published configurations in model_facts.py, with and without
   grouped-query attention (GQA: kv_heads < heads; without it kv_heads = heads,
   Ainslie et al. 2023, 'GQA: Training Generalized Multi-Query Transformer
   Models from Multi-Head Checkpoints').

Timings are wall-clock on a shared machine: noisy. Each is the median of a few
repeats; nothing here promises a speed.

Left out: batching (the cache grows with batch size too), paged caches,
quantized caches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.models.llama.kv_cache import kv_cache_bytes

if TYPE_CHECKING:
    from glasslm.engine.models.llama.llama import Llama

BYTES_PER_VALUE = {"float32": 4, "float16": 2, "int8": 1}  # glasslm keeps float32; servers often fp16


@dataclass(frozen=True)
class DecodePoint:
    """One sequence length's measurements (seconds, medians of `repeats`)."""

    length: int  # L tokens already in the sequence; the measured step makes token L+1
    with_cache: float  # one decode step over L cached tokens
    without_cache: float  # recomputing all L+1 tokens to get the same next token
    prefill: float  # the L tokens' prefill into an empty cache
    max_logit_diff: float  # |cached - recomputed| next-token logits, largest entry
    cache_bytes: int  # the real cache's nbytes after the step (capacity L+1)

    def as_dict(self) -> dict:
        return {
            "length": self.length,
            "with_cache_s": self.with_cache,
            "without_cache_s": self.without_cache,
            "prefill_s": self.prefill,
            "prefill_tokens_per_s": self.length / self.prefill if self.prefill > 0 else None,
            "decode_tokens_per_s": 1.0 / self.with_cache if self.with_cache > 0 else None,
            "speedup": self.without_cache / self.with_cache if self.with_cache > 0 else None,
            "max_logit_diff": self.max_logit_diff,
            "cache_bytes": self.cache_bytes,
        }


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def measure_length(model: Llama, ids, length: int, repeats: int = 2) -> DecodePoint:
    """Measure producing token length+1 after ids[:length], with and without a cache.

    model: a Llama (llama.py). ids: at least length+1 token ids; token `length`
    is the one fed to the decode step (as if it had just been generated).
    """
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if not 1 <= length < len(ids):
        raise ValueError(f"length must be 1..{len(ids) - 1} for {len(ids)} ids, got {length}")
    prefill_t, cached_t, full_t = [], [], []
    for _ in range(max(1, repeats)):
        cache = model.new_cache(length + 1)
        t, _ = _timed(lambda c=cache, n=length: model.prefill(ids[:n], c, last_only=True))
        prefill_t.append(t)
        t, cached = _timed(lambda c=cache, n=length: model.forward(ids[n : n + 1], c, last_only=True))  # (1, V)
        cached_t.append(t)
        cache.truncate(length)  # undo the step so the next repeat starts from the same state
        t, full = _timed(lambda: model.forward(ids[: length + 1], None, last_only=True))  # (1, V)
        full_t.append(t)
    diff = float(np.abs(cached[-1].astype(np.float64) - full[-1]).max())
    return DecodePoint(
        length,
        float(np.median(cached_t)),
        float(np.median(full_t)),
        float(np.median(prefill_t)),
        diff,
        int(cache.nbytes),
    )


def time_decoding(model: Llama, ids, lengths, repeats: int = 2, should_stop=lambda: False) -> Iterator[dict]:
    """Yield {"type": "point", ...} for each length in order (see DecodePoint)."""
    for length in lengths:
        if should_stop():
            return
        yield {"type": "point", **measure_length(model, ids, int(length), repeats).as_dict()}


def filler_ids(encode, n: int, text: str) -> list[int]:
    """At least n token ids: `text` encoded and repeated (timing does not depend on which tokens)."""
    base = encode(text)
    if not base:
        raise ValueError("the text has no tokens")
    reps = -(-n // len(base))
    return (base * reps)[:n]


def memory_row(
    name: str,
    layers: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    context: int,
    bytes_per_value: int,
    params: float | None = None,
    source: str = "",
) -> dict:
    """One model's cache size at `context` tokens, with its GQA saving, from the formula."""
    with_gqa = kv_cache_bytes(layers, kv_heads, head_dim, context, bytes_per_value)
    without = kv_cache_bytes(layers, heads, head_dim, context, bytes_per_value)  # every head keeps its own k, v
    return {
        "name": name,
        "layers": layers,
        "heads": heads,
        "kv_heads": kv_heads,
        "head_dim": head_dim,
        "context": context,
        "bytes_per_value": bytes_per_value,
        "per_token_bytes": kv_cache_bytes(layers, kv_heads, head_dim, 1, bytes_per_value),
        "cache_bytes": with_gqa,
        "cache_bytes_without_gqa": without,
        "gqa_saving": 1.0 - with_gqa / without,
        "weights_bytes": None if params is None else params * bytes_per_value,
        "source": source,
    }


def memory_rows(
    config, bytes_per_value: int = 2, context: int | None = None, params: float | None = None
) -> list[dict]:
    """SmolLM2 (from its loaded config) and each published model in model_facts.PUBLISHED.

    context=None uses each model's own context length; a number uses that
    for every model (capped at the model's own context).
    """
    rows = [
        memory_row(
            "SmolLM2-135M (loaded here)",
            config.n_layers,
            config.n_heads,
            config.n_kv_heads,
            config.head_dim,
            min(context or config.context_length, config.context_length),
            bytes_per_value,
            params,
            "the GGUF file's metadata, read by gguf_weights.py",
        )
    ]
    for m in PUBLISHED:
        rows.append(
            memory_row(
                m.name,
                m.layers,
                m.heads,
                m.kv_heads,
                m.head_dim,
                min(context or m.context, m.context),
                bytes_per_value,
                m.params,
                m.source,
            )
        )
    return rows
