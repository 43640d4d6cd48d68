"""One chat request, served step by step, with every step timed.

SmolLM2.generate (smollm2.py) streams tokens; this file runs the same loop
(decode.py) but names and times its phases, the way a serving system thinks about a request:

    tokenize     the conversation -> token ids (chat template, BPE)
    prefill      all prompt tokens through the model in one pass -> KV cache
                 and the first token's logits (this dominates time to first token)
    decode       one token at a time: sample, feed it back through the model
                 over the cached keys/values
    detokenize   each new token's bytes -> text, incrementally (a character may
                 span two tokens, so a token can produce "" for now)

`traced_reply` is a generator of events (dicts with a "type"), so a web
stream, a CLI or a test can consume it:

    {"type": "tokenized", "prompt_tokens", "seconds"}
    {"type": "prefill", "tokens", "seconds"}
    {"type": "token", "index", "id", "text", "logprob", "decode_s", "sample_s",
                      "detokenize_s", "elapsed_s"}   decode_s: the pass that produced this
                      token's distribution (None for the first: the prefill did)
    {"type": "done", "reason": "stop-token" | "max-tokens" | "stopped", "summary": {...}}

Time to first token (TTFT) = tokenize + prefill + the first sample; tokens
per second counts generated tokens over the decode phase only. The tokens are
exactly those of SmolLM2.generate with the same settings and seed (the tests
check this), so the trace is of the real thing, not a model of it.

The prefill goes through the prefix cache: "reused_tokens" says how many
prompt tokens it did not have to run. Left out: speculative decoding.
"""

from __future__ import annotations

import codecs
import time
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from glasslm.engine.basics import sampling
from glasslm.engine.models.llama.decode import decode, sampler

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2


def traced_reply(
    m: SmolLM2,
    messages,
    max_tokens: int,
    temperature: float = 0.7,
    top_p: float = 1.0,
    seed: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    max_prompt_tokens: int | None = None,
) -> Iterator[dict]:
    """Serve one chat turn for `messages` with SmolLM2 `m`, yielding timed events.

    should_stop() is asked before every decode step (a closed tab, a stop
    button); when it says yes the reply ends with reason "stopped".
    """
    settings = sampling.SamplingConfig(temperature=temperature, top_p=top_p)  # ValueError when out of range
    start = time.perf_counter()
    ids = m.chat_ids(messages)  # ValueError for malformed messages
    tokenize_s = time.perf_counter() - start
    limit = max_prompt_tokens or m.config.context_length
    if len(ids) > limit:
        raise ValueError(f"the conversation is {len(ids)} tokens long; the limit here is {limit}")
    if not 1 <= max_tokens <= m.config.context_length - len(ids):
        raise ValueError(f"max_tokens must be 1..{m.config.context_length - len(ids)}, got {max_tokens}")
    yield {"type": "tokenized", "prompt_tokens": len(ids), "ids": ids, "seconds": tokenize_s}

    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    prefill: dict = {}
    steps = decode(m, ids, max_tokens, sampler(settings, seed), on_prefill=prefill.update)
    step = next(steps)  # the prefill (through the prefix cache) and the first token's pick
    yield {
        "type": "prefill",
        "tokens": len(ids),
        "reused_tokens": prefill["reused"],
        "seconds": prefill["seconds"],
        "cache_bytes": prefill["cache_bytes"],
    }

    decode_total = sample_total = detok_total = 0.0
    passes = 0  # decode passes (each turns the newest token into the next token's logits)
    first_token_at = None
    reply: list[int] = []
    reason = "max-tokens"
    for index in range(max_tokens):
        if should_stop():
            reason = "stopped"
            break
        if index > 0:
            step = next(steps)  # one pass over the cache for the newest token, then the pick
            decode_total += step.forward_s
            passes += 1
        sample_total += step.pick_s
        token = step.token
        if token in m.stop_ids:
            reason = "stop-token"
            break
        t0 = time.perf_counter()
        piece = text.decode(m.token_bytes(token))
        detok_s = time.perf_counter() - t0
        detok_total += detok_s
        reply.append(token)
        now = time.perf_counter()
        if first_token_at is None:
            first_token_at = now - start
        # Sent at once: the next token's pass runs only after this one is on its way.
        yield {
            "type": "token",
            "index": index,
            "id": int(token),
            "text": piece,
            "logprob": float(np.log(step.probs[token])),
            "decode_s": step.forward_s,
            "sample_s": step.pick_s,
            "detokenize_s": detok_s,
            "elapsed_s": now - start,
        }
    steps.close()
    prefill_s = prefill["seconds"]
    cache_bytes = prefill["cache_bytes"] * (len(ids) + passes) // len(ids)
    total = time.perf_counter() - start
    n = len(reply)
    yield {
        "type": "done",
        "reason": reason,
        "summary": {
            "prompt_tokens": len(ids),
            "reply_tokens": n,
            "decode_passes": passes,
            "reply_text": m.decode(reply),
            "reply_ids": reply,
            "tokenize_s": tokenize_s,
            "prefill_s": prefill_s,
            "decode_s": decode_total,
            "sample_s": sample_total,
            "detokenize_s": detok_total,
            "total_s": total,
            "time_to_first_token_s": first_token_at,
            "decode_tokens_per_s": passes / decode_total if passes else None,
            "prefill_tokens_per_s": len(ids) / prefill_s if prefill_s > 0 else None,
            "cache_bytes": int(cache_bytes),
        },
    }
