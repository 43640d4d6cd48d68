"""Speculative decoding: guess several tokens cheaply, check them all in one pass.

Decoding one token reads every weight of the model once (about 540 MB for
SmolLM2-135M in float32) to do very little arithmetic with them: decode is
memory-bound. A forward pass over 1 + k tokens reads the same weights once and
costs little more than a pass over one. So if something cheap can *guess* the
next k tokens, the model can check all k guesses in one pass and keep the ones
it agrees with (Leviathan et al. 2023; Chen et al. 2023).

The draft here is prompt lookup (n-gram matching): find the latest earlier place
where the last n tokens of the text occurred and propose the k tokens that came
after it there. It needs no second model and shines when the answer quotes its
prompt (summaries, edits, code, extraction); on free prose it rarely matches.

One step, with the KV cache holding every token but the newest one, `last`:

    draft d_1..d_k                 proposed by the draft (maybe none)
    p_0..p_k = model([last, d_1..d_k])   one forward pass, k+1 rows of logits
    for i = 1..k:  accept d_i with probability min(1, p_{i-1}(d_i) / q_i(d_i))
                   on the first rejection draw the replacement from
                   norm(max(0, p_{i-1} - q_i)) and stop
    if all k were accepted, draw a bonus token from p_k
    roll the cache back to the accepted tokens (their keys stay, the rest go)

q_i is the draft's distribution; prompt lookup is deterministic, so q_i puts all
its mass on d_i: accept with probability p(d_i), else draw from p with d_i
removed. This rule makes every emitted token distributed exactly as the model's
own sample would be (the papers' theorem; tests/engine/test_speculative.py
checks it over many seeds). At temperature 0, p is one-hot on the argmax, so a
draft token is kept only if it *is* the greedy token: the output is identical to
plain greedy decoding, only faster.

Each step emits between 1 and k+1 tokens for one pass. When drafts keep being
rejected the bigger pass is wasted work, so the loop switches the draft off
for a while when recent steps emit too few tokens per pass (`SpeculationGovernor`).

Left out: a second draft model, tree-shaped drafts (several guesses per
position), batching speculation across requests.
"""

from __future__ import annotations

import codecs
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from glasslm.engine.basics import sampling
from glasslm.engine.basics.sampling import GREEDY

MAX_DRAFT_K = 16  # longest draft one step may verify: the verify pass's cost grows with k
DEFAULT_DRAFT_K = 10  # a verify pass costs about the same for any k this small: long drafts pay
MAX_NGRAM = 5  # longest suffix looked up in the text
MIN_NGRAM = 4  # shorter repeats (", and the robot") match all over free prose and are usually wrong
MAX_PROBE_OVERHEAD = 0.03  # failed drafts may cost at most about this fraction of extra passes


def check_k(k: int) -> int:
    """k as an int, or ValueError saying what is allowed."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_DRAFT_K:
        raise ValueError(f"the draft length k must be a whole number from 1 to {MAX_DRAFT_K}, got {k!r}")
    return int(k)


def prompt_lookup_draft(tokens, k: int, max_ngram: int = MAX_NGRAM, min_ngram: int = MIN_NGRAM) -> list[int]:
    """Up to k tokens that followed the latest earlier occurrence of the text's last n tokens.

    Longer suffixes first (a 4-token match is better evidence than a 2-token one);
    [] when no suffix of at least min_ngram tokens occurred before.
    """
    t = np.asarray(tokens, dtype=np.int64)
    T = t.size
    for n in range(min(max_ngram, T - 1), min_ngram - 1, -1):
        suffix = t[T - n :]
        # windows[i] = t[i : i + n]; an earlier match starts at i <= T - n - 1
        windows = np.lib.stride_tricks.sliding_window_view(t[: T - 1], n)  # (T - n, n)
        hits = np.flatnonzero((windows == suffix).all(axis=1))
        if hits.size:
            start = int(hits[-1]) + n  # the token after the latest match
            return [int(x) for x in t[start : start + k]]
    return []


def verify(
    rows: np.ndarray,
    draft: list[int],
    rng: np.random.Generator | None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    draft_probs: np.ndarray | None = None,
) -> tuple[int, int, np.ndarray]:
    """The acceptance rule over one verify pass.

    rows: (k+1, V) logits, row i predicting the token after draft[:i];
    draft: k proposed tokens; draft_probs: (k, V) the draft's distributions, or
    None for a deterministic draft (all mass on the drafted token).
    Returns (n accepted, the next token: a replacement or the bonus, its distribution p).
    """
    for i, d in enumerate(draft):
        p = sampling.filter_distribution(rows[i], temperature, top_k, top_p, min_p)  # (V,)
        q = np.zeros_like(p) if draft_probs is None else np.asarray(draft_probs[i], dtype=np.float64)
        if draft_probs is None:
            q[d] = 1.0
        if temperature == 0:
            if d == int(np.argmax(p)):
                continue
            return i, int(np.argmax(p)), p
        if rng.random() < min(1.0, p[d] / q[d]):
            continue
        residual = np.maximum(p - q, 0.0)  # where the model wants more mass than the draft gave
        return i, sampling.draw(residual / residual.sum(), rng), p
    p = sampling.filter_distribution(rows[len(draft)], temperature, top_k, top_p, min_p)
    token = int(np.argmax(p)) if temperature == 0 else sampling.draw(p, rng)
    return len(draft), token, p


@dataclass
class SpeculationGovernor:
    """Decides whether the next step drafts at all.

    A verify pass over 1 + k tokens costs `pass_cost` single-token passes,
    measured on this machine by `measure_pass_cost`. On a CPU it is nearly flat
    in k but well above 1 (OpenBLAS's matrix-matrix product repacks every weight
    matrix, the matrix-vector product of a one-token step does not), so a draft
    pays only if more than `pass_cost` tokens come out of the pass:
    - drafts shorter than pass_cost are not worth verifying and are dropped;
    - an exponential average of tokens emitted per pass, over pass_cost, says
      whether recent drafts paid; under 1 drafting goes off for a cooldown
      long enough that a failed draft costs at most MAX_PROBE_OVERHEAD of the
      passes, then is tried again, and each failed retry doubles the cooldown
      (open-ended text stops paying for probes that keep failing).
    """

    pass_cost: float = 2.5  # a verify pass, in single-token passes (measure_pass_cost)
    cooldown: int = 16
    gain: float = field(init=False, default=1.0)  # emitted tokens / pass cost, averaged
    off_for: int = field(init=False, default=0)
    backoff: int = field(init=False, default=0)

    def worth(self, draft_len: int) -> bool:
        """Could a draft this long pay for its pass if the model accepted all of it?"""
        return draft_len + 1 > self.pass_cost

    def wants_draft(self) -> bool:
        if self.off_for > 0:
            self.off_for -= 1
            return False
        return True

    def record(self, k: int, accepted: int) -> None:
        self.gain = 0.6 * self.gain + 0.4 * (accepted + 1) / self.pass_cost
        if self.gain < 1.0:
            wait = max(self.cooldown, math.ceil((self.pass_cost - 1) / MAX_PROBE_OVERHEAD))
            self.off_for = wait << min(self.backoff, 6)
            self.backoff += 1
            self.gain = 1.0  # try again later from a neutral start
        elif accepted == k:
            self.backoff = 0


def measure_pass_cost(model, k: int = DEFAULT_DRAFT_K, context: int = 64, repeats: int = 3) -> float:
    """A verify pass over 1 + k tokens, in single-token passes, timed on this machine."""
    cache = model.new_cache(context + k + 1)
    model.prefill(list(range(1, context + 1)), cache)

    def timed(n):
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.forward(list(range(100, 100 + n)), cache)
            best = min(best, time.perf_counter() - t0)
            cache.truncate(context)
        return best

    return float(np.clip(timed(1 + k) / timed(1), 1.0, 8.0))


_measured_cost: dict[int, float] = {}


def pass_cost_for(model) -> float:
    """measure_pass_cost, once per model per process (about a second)."""
    key = id(model)
    if key not in _measured_cost:
        _measured_cost[key] = measure_pass_cost(model)
    return _measured_cost[key]


@dataclass(frozen=True)
class SpecEvent:
    """One step of speculative decoding: the tokens it emitted and how they came."""

    tokens: list[int]  # emitted this step: the accepted draft tokens, then the model's own token
    texts: list[str]  # their text pieces (a piece may be "" mid-way through a UTF-8 character)
    drafted: list[int]  # what the draft proposed ([] when drafting was off or found nothing)
    accepted: int  # how many of `drafted` the model kept
    logprobs: list[float]  # log p of each emitted token under the model's (filtered) distribution
    seconds: float  # this step's time (the first includes the prompt's prefill)
    elapsed: float  # since the start
    step: int  # forward passes so far, counting the prefill as pass 0


def speculative_generate(
    model,
    ids,
    max_tokens: int,
    temperature: float = 0.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    seed: int | None = None,
    stop_ids=(),
    k: int = DEFAULT_DRAFT_K,
    draft: Callable[[list[int], int], list[int]] = prompt_lookup_draft,
    governor: SpeculationGovernor | None = None,
    token_bytes: Callable[[int], bytes] | None = None,
) -> Iterator[SpecEvent]:
    """Generate after `ids` with a draft-and-verify loop; one SpecEvent per forward pass.

    model: anything with new_cache(capacity), prefill(ids, cache, last_only=True)
    and forward(ids, cache) -> (T, V) logits (llama.Llama; tests use a toy).
    governor=None drafts at every step with fixed k (what the statistics tests want).
    """
    k = check_k(k)
    sampling.check_sampling(temperature, top_k, top_p, min_p)
    stop = frozenset(int(s) for s in stop_ids)
    rng = np.random.default_rng(seed)
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    piece = (lambda t: text.decode(token_bytes(t))) if token_bytes else (lambda t: "")
    tokens = [int(i) for i in ids]
    start = last = time.perf_counter()
    capacity = len(tokens) + max_tokens + k + 1
    limit = getattr(getattr(model, "config", None), "context_length", capacity)
    cache = model.new_cache(min(capacity, limit))
    logits = model.prefill(tokens, cache, last_only=True)[-1]  # (V,): the first token's, as plain decoding
    token, probs = sampling.sample(logits, rng, temperature, top_k, top_p, min_p)
    emitted, step = 0, 0
    out, logps, drafted, accepted = [token], [float(np.log(probs[token]))], [], 0
    while True:
        # emit what the last pass decided, up to a stop token or max_tokens
        keep = []
        for t in out:
            if t in stop or emitted + len(keep) >= max_tokens:
                break
            keep.append(t)
        now = time.perf_counter()
        if keep or drafted:
            yield SpecEvent(
                keep, [piece(t) for t in keep], drafted, accepted, logps[: len(keep)], now - last, now - start, step
            )
        emitted += len(keep)
        if len(keep) < len(out) or emitted >= max_tokens:
            return
        tokens.extend(keep)
        last = time.perf_counter()
        # draft, then verify [newest token] + draft in one pass over the cache
        room = max_tokens - emitted - 1  # the pass's own token always comes on top of the draft
        want = min(k, room, cache.capacity - cache.length - 1)
        proposal = draft(tokens, want) if want > 0 and (governor is None or governor.wants_draft()) else []
        if governor is not None and not governor.worth(len(proposal)):
            proposal = []
        base = cache.length
        rows = model.forward([tokens[-1]] + proposal, cache)  # (1 + len(proposal), V)
        step += 1
        n, token, _ = verify(rows, proposal, rng, temperature, top_k, top_p, min_p)
        cache.truncate(base + 1 + n)  # keep the newest token and the accepted drafts
        if governor is not None and proposal:
            governor.record(len(proposal), n)
        out = proposal[:n] + [token]
        logps = [
            float(np.log(sampling.filter_distribution(rows[i], temperature, top_k, top_p, min_p)[t]))
            if temperature > 0
            else 0.0
            for i, t in enumerate(out)
        ]
        drafted, accepted = proposal, n


def weight_bytes_per_pass(model) -> int:
    """Bytes of weights one forward pass reads: every matrix and norm of every layer, the final
    norm and the unembedding (the embedding contributes only its T rows, left out)."""
    w = model.w
    layers = sum(
        a.nbytes
        for lw in w.layers
        for a in (
            lw.qkv_proj,
            lw.o_proj,
            lw.gate_up_proj,
            lw.down_proj,
            lw.input_layernorm,
            lw.post_attention_layernorm,
        )
    )
    return int(layers + w.norm.nbytes + w.lm_head.nbytes)


def race(
    m,
    ids,
    max_tokens: int,
    k: int = DEFAULT_DRAFT_K,
    governed: bool = True,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[dict]:
    """The same greedy reply twice, plainly and speculatively, as events for a page.

    {"type": "plain", "text", "index", "elapsed_s"}  one per token of plain decoding
    {"type": "plain-done", "tokens", "passes", "seconds", "decode_tokens_per_s"}
    {"type": "step", "texts", "tokens", "drafted_texts", "accepted", "elapsed_s"}  one per verify pass
    {"type": "spec-done", "tokens", "passes", "seconds", "drafted", "accepted", "identical"}
    {"type": "summary", "speedup", "acceptance", "tokens_per_pass", "weight_bytes_per_pass",
     "plain_gb_s", "bytes_per_token_plain", "bytes_per_token_spec", "pass_cost"}
    Wall times include each run's prefill (the same work both ways); plain_gb_s is the
    bytes of weights plain decoding read per second, over its decode passes only.
    """
    k = check_k(k)
    cost = pass_cost_for(m.model)
    plain, t0, first = [], time.perf_counter(), None
    for e in m.generate(ids, max_tokens=max_tokens, settings=GREEDY):
        if should_stop():
            return
        plain.append(e.token_id)
        first = e.elapsed if first is None else first
        yield {"type": "plain", "text": e.text, "index": e.index, "elapsed_s": e.elapsed}
    plain_s = time.perf_counter() - t0
    decode_s = (e.elapsed - first) if len(plain) > 1 else None  # after the first token: decode passes only
    yield {
        "type": "plain-done",
        "tokens": len(plain),
        "passes": len(plain),
        "seconds": plain_s,
        "decode_tokens_per_s": (len(plain) - 1) / decode_s if decode_s else None,
    }
    governor = SpeculationGovernor(pass_cost=cost) if governed else None
    spec, passes, drafted, accepted = [], 0, 0, 0
    t0 = time.perf_counter()
    for e in speculative_generate(
        m.model, ids, max_tokens, 0.0, stop_ids=m.stop_ids, k=k, governor=governor, token_bytes=m.token_bytes
    ):
        if should_stop():
            return
        spec.extend(e.tokens)
        passes += 1
        drafted += len(e.drafted)
        accepted += e.accepted
        yield {
            "type": "step",
            "texts": e.texts,
            "tokens": e.tokens,
            "accepted": e.accepted,
            "drafted_texts": [m.decode([t]) for t in e.drafted],
            "elapsed_s": e.elapsed,
        }
    spec_s = time.perf_counter() - t0
    yield {
        "type": "spec-done",
        "tokens": len(spec),
        "passes": passes,
        "seconds": spec_s,
        "drafted": drafted,
        "accepted": accepted,
        "identical": spec == plain,
    }
    wb = weight_bytes_per_pass(m.model)
    yield {
        "type": "summary",
        "speedup": plain_s / spec_s,
        "acceptance": accepted / drafted if drafted else None,
        "tokens_per_pass": len(spec) / passes if passes else None,
        "weight_bytes_per_pass": wb,
        "plain_gb_s": wb * (len(plain) - 1) / decode_s / 1e9 if decode_s else None,
        "bytes_per_token_plain": wb,
        "bytes_per_token_spec": wb * passes / max(1, len(spec)),
        "pass_cost": cost,
    }
