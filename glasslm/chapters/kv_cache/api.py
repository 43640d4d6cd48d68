"""The kv-cache chapter: what the KV cache saves in time and costs in memory.

Endpoints:
- POST /timing: a job that measures, at growing sequence lengths, SmolLM2's
  time per generated token with the cache (one token over the cached keys and
  values) and without it (the whole sequence recomputed), and the prefill of
  the prompt; points stream over server-sent events (engine:
  kv_cache_timing.time_decoding);
- GET /memory: the cache's size from its formula for SmolLM2 (from the loaded
  config, and the byte size of a real KVCache allocated for the same context)
  and for the published configurations in model_facts.py, with and without
  grouped-query attention;
- POST /prefix: the learner's text through SmolLM2's prefix cache (the one every
  SmolLM2 demo uses): which tokens were reused and which recomputed, the time of
  the request, the model's next-token guess, and the cache's memory
  (engine: smollm2.SmolLM2.prefill over prefix_cache.PrefixCache).
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from glasslm.engine.inference.kv_cache_timing import BYTES_PER_VALUE, filler_ids, memory_row, memory_rows, time_decoding
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_LENGTH = 512  # without a cache one step at 512 tokens recomputes all of them: about a second on 2 cores
MIN_LENGTH = 16
MAX_REPEATS = 3  # each point is the median of this many measurements at most
MAX_CONTEXT = 1_048_576  # the memory calculator's largest context (a million tokens)
MAX_PREFIX_TOKENS = 512  # a cold request of 512 tokens takes about two seconds on 2 cores
MAX_PREFIX_CHARS = 4000
FILLER = (
    "Once upon a time a small robot learned to read. Every night it read one more page, "
    "and every morning it told the garden what it had learned. "
)


def lengths_up_to(max_length: int) -> list[int]:
    """16, 32, 64, ... doubling, then max_length itself (the points of the curve)."""
    out, n = [], MIN_LENGTH
    while n < max_length:
        out.append(n)
        n *= 2
    return out + [max_length]


class TimingRequest(BaseModel):
    max_length: int = Field(256, ge=MIN_LENGTH, le=MAX_LENGTH, description="longest sequence measured")
    repeats: int = Field(1, ge=1, le=MAX_REPEATS)


@router.post("/timing")
def timing(req: TimingRequest, request: Request, session: str = Depends(session_id)):
    m = load_smollm2()
    lengths = lengths_up_to(req.max_length)
    ids = filler_ids(m.encode, req.max_length + 1, FILLER)
    cfg = m.config

    def events(job):
        yield {
            "type": "start",
            "lengths": lengths,
            "layers": cfg.n_layers,
            "kv_heads": cfg.n_kv_heads,
            "head_dim": cfg.head_dim,
            "bytes_per_value": 4,
        }
        yield from time_decoding(m.model, ids, lengths, req.repeats, should_stop=job.stop_event.is_set)

    job = request.app.state.jobs.start(session, "kv-cache-timing", events)
    return {"job": job.id, "lengths": lengths}


@router.get("/memory")
def memory(
    context: int | None = Query(None, ge=1, le=MAX_CONTEXT),
    dtype: Literal["float32", "float16", "int8"] = Query("float16"),
):
    m = load_smollm2()
    cfg = m.config
    params = float(m.parameter_counts()["total"])
    rows = memory_rows(cfg, BYTES_PER_VALUE[dtype], context, params)
    smol = rows[0]
    # A real float32 cache for SmolLM2 at that context: np.zeros reserves it lazily, nothing is filled.
    real = m.model.new_cache(smol["context"]).nbytes
    # SmolLM2's shapes with every possible number of key/value heads (divisors of its query heads):
    # 1 = multi-query attention, heads = ordinary multi-head attention.
    variants = [
        {
            **memory_row(
                "SmolLM2 shapes", cfg.n_layers, cfg.n_heads, kv, cfg.head_dim, smol["context"], BYTES_PER_VALUE[dtype]
            ),
            "actual": kv == cfg.n_kv_heads,
            "kind": "multi-query" if kv == 1 else "multi-head" if kv == cfg.n_heads else "grouped-query",
        }
        for kv in range(1, cfg.n_heads + 1)
        if cfg.n_heads % kv == 0
    ]
    return {
        "dtype": dtype,
        "variants": variants,
        "bytes_per_value": BYTES_PER_VALUE[dtype],
        "context": context,
        "formula": "2 × layers × kv_heads × head_dim × context × bytes_per_value",
        "rows": rows,
        "check": {
            "context": smol["context"],
            "real_cache_bytes_float32": real,
            "formula_bytes_float32": memory_rows(cfg, 4, smol["context"])[0]["cache_bytes"],
        },
    }


class PrefixRequest(BaseModel):
    text: str = Field(..., max_length=MAX_PREFIX_CHARS, description="the text to continue")


@router.post("/prefix")
def prefix(req: PrefixRequest):
    m = load_smollm2()
    ids = encode_text(m, req.text, MAX_PREFIX_TOKENS)
    start = time.perf_counter()
    _, logits, reused = m.prefill(ids)  # (V,): the same call every SmolLM2 demo's requests make
    seconds = time.perf_counter() - start
    top = int(np.argmax(logits))
    z = logits.astype(np.float64) - logits[top]
    return {
        "tokens": [dict(token_piece(m.tokenizer, i), reused=k < reused) for k, i in enumerate(ids)],
        "reused": reused,
        "computed": len(ids) - reused,
        "seconds": seconds,
        "next": dict(token_piece(m.tokenizer, top), prob=float(1.0 / np.exp(z).sum())),
        "bytes_per_token": int(m.model.new_cache(1, hidden=True).nbytes),
        "cache": m.prefix_cache.stats(),
    }
