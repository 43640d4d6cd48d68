"""The sampling chapter: temperature, top-k, top-p and min-p on SmolLM2's real logits.

Endpoints:
- POST /distribution: the learner's prompt as tokens; SmolLM2's next-token
  distribution, and the distribution after each filter (temperature, top-k,
  top-p, min-p) with the tokens that survive, the mass they held and the
  entropy in bits; the top candidates before and after, as bars;
- POST /draws: many seeded draws from the filtered distribution, counted per
  token beside the expected counts, with a chi-square statistic;
- POST /continuations: a few tokens of greedy continuation beside a few
  sampled ones, with the same settings, streamed token by token as a job
  (GET /api/jobs/{id}/events).

The model runs once per prompt: its logits are kept in an LRU cache
(engine.sampling_lab.LogitCache), so moving a slider only re-filters.

/distribution and /draws take `model`: "default" is SmolLM2; the id of the
learner's tiny GPT (web/my_models.py) reshapes that model's next-character
distribution after BOS and the prompt's characters instead.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Callable

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.inference.autoregression import continuation_steps, tiny_gpt_next_logits
from glasslm.engine.inference.sampling_lab import draw_many, filter_stages, histogram
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.my_models import DEFAULT, pick_model
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_TEXT_CHARS = 2000  # a paragraph
MAX_PROMPT_TOKENS = 256  # one forward pass over 256 tokens is about half a second on 2 cores
MAX_SHOW = 30  # bars of candidates
MAX_TEMPERATURE = 5.0  # far past the point where the distribution is nearly flat
MAX_TOP_K = 1000  # larger k keeps practically the whole distribution anyway
MAX_DRAWS = 10_000  # a histogram this size is drawn in milliseconds
MAX_NEW_TOKENS = 16  # continuations are a few words: each token is one more forward pass
MAX_SAMPLED = 4  # sampled continuations shown beside the greedy one
JOB_KIND = "sampling-continuations"

LOGITS_KEPT = 32  # prompts whose next-token logits are kept: a (V,) float32 row of SmolLM2 is 192 KiB


class Settings(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    temperature: float = Field(1.0, ge=0, le=MAX_TEMPERATURE, allow_inf_nan=False, description="0 = greedy")
    top_k: int = Field(0, ge=0, le=MAX_TOP_K, description="0 = off")
    top_p: float = Field(1.0, gt=0, le=1, allow_inf_nan=False, description="1 = off")
    min_p: float = Field(0.0, ge=0, lt=1, allow_inf_nan=False, description="0 = off")
    model: str = Field(DEFAULT, min_length=1, max_length=32, description="'default' (SmolLM2) or your model's id")


def prompt_ids(m: SmolLM2, text: str) -> list[int]:
    return encode_text(m, text, MAX_PROMPT_TOKENS, field="text", at_least=1, purpose="the prompt holds")


def cached_logits(request: Request, m: SmolLM2, ids: list[int]) -> tuple[np.ndarray, bool, float]:
    """(logits (V,), whether this app had them already, seconds spent getting them)."""
    start = time.perf_counter()

    def compute():
        logits = np.asarray(m.next_logits(ids))
        logits.setflags(write=False)  # shared between requests: nobody may change it
        return logits

    logits, hit = app_cache(request, "sampling-logits", LOGITS_KEPT).get(tuple(ids), compute)
    return logits, hit, time.perf_counter() - start


def next_logits(request: Request, session: str, req: Settings) -> tuple[list[dict], np.ndarray, bool, float, Callable]:
    """(prompt tokens, next-token logits (V,), cached?, model seconds, piece labeller) for the picked model."""
    entry = pick_model(request, session, req.model)
    if entry is None:
        m = load_smollm2()
        ids = prompt_ids(m, req.text)
        logits, hit, seconds = cached_logits(request, m, ids)
        return [token_piece(m.tokenizer, i) for i in ids], logits, hit, seconds, lambda i: token_piece(m.tokenizer, i)
    tok = entry.model.tokenizer
    try:
        ids = [tok.bos, *tok.encode(req.text)]
    except ValueError:
        unknown = "".join(sorted({c for c in req.text if c not in tok.chars}))
        raise DemoError(
            f"“{entry.name}” knows only the characters it was trained on, not {unknown!r}: "
            f"type the start of a text using {tok.chars[:40]!r}.",
            "text",
        ) from None
    start = time.perf_counter()
    logits = tiny_gpt_next_logits(entry.model, ids)  # (V,) after its last block_size characters

    def piece(i):
        return {"id": int(i), "text": tok.token_text(int(i)), "special": int(i) == tok.bos, "partial": False}

    return [piece(i) for i in ids], logits, False, time.perf_counter() - start, piece


def sampling_config(s: Settings) -> SamplingConfig:
    return SamplingConfig(temperature=s.temperature, top_k=s.top_k, top_p=s.top_p, min_p=s.min_p)


class DistributionRequest(Settings):
    show: int = Field(12, ge=1, le=MAX_SHOW, description="candidates shown as bars")


@router.post("/distribution")
def distribution(req: DistributionRequest, request: Request, session: str = Depends(session_id)):
    tokens, logits, hit, seconds, piece = next_logits(request, session, req)
    start = time.perf_counter()
    stages = filter_stages(logits, sampling_config(req))
    model, final = stages[0].probs, stages[-1].probs  # (V,) each
    top = np.argsort(-model, kind="stable")[: req.show]  # the model's favourites; filters keep this order
    filter_seconds = time.perf_counter() - start
    return {
        "tokens": tokens,
        "candidates": [
            {
                **piece(i),
                "logit": float(logits[i]),
                "before": float(model[i]),
                "after": float(final[i]),
            }
            for i in top
        ],
        "stages": [
            {"name": s.name, "survivors": s.survivors, "kept_mass": s.kept_mass, "entropy_bits": s.entropy_bits}
            for s in stages
        ],
        "survivors": stages[-1].survivors,
        "entropy_bits_before": stages[0].entropy_bits,
        "entropy_bits_after": stages[-1].entropy_bits,
        "vocab_size": int(model.size),
        "cached": hit,
        "model_seconds": seconds,
        "filter_seconds": filter_seconds,
    }


class DrawsRequest(Settings):
    n: int = Field(1000, ge=1, le=MAX_DRAWS, description="how many tokens to draw")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    show: int = Field(10, ge=1, le=MAX_SHOW)


@router.post("/draws")
def draws(req: DrawsRequest, request: Request, session: str = Depends(session_id)):
    _, logits, hit, _, piece = next_logits(request, session, req)
    probs = filter_stages(logits, sampling_config(req))[-1].probs  # (V,) what sampling draws from
    drawn = draw_many(probs, req.n, req.seed)  # (n,)
    top = np.argsort(-probs, kind="stable")[: req.show]
    top = top[probs[top] > 0]  # only tokens that can be drawn
    hist = histogram(drawn, probs, top)
    distinct = int(np.unique(drawn).size)
    return {
        "n": req.n,
        "seed": req.seed,
        "rows": [
            {**piece(i), "prob": float(probs[i]), "count": c, "expected": e}
            for i, c, e in zip(hist.ids, hist.counts, hist.expected)
        ],
        "other": {"count": hist.other_count, "expected": hist.other_expected},
        "chi_square": hist.chi_square,
        "dof": hist.dof,
        "total_variation": hist.total_variation,
        "distinct_drawn": distinct,
        "survivors": int((probs > 0).sum()),
        "first": [piece(int(i)) for i in drawn[:20]],
        "cached": hit,
    }


class ContinuationsRequest(Settings):
    max_tokens: int = Field(8, ge=1, le=MAX_NEW_TOKENS)
    samples: int = Field(3, ge=1, le=MAX_SAMPLED)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _tokens(m: SmolLM2, ids: list[int], max_tokens: int) -> dict:
    tokens = [token_piece(m.tokenizer, i) for i in ids]
    return {"text": m.decode(ids), "tokens": tokens, "ended": len(ids) < max_tokens}


@router.post("/continuations")
def compare_continuations(req: ContinuationsRequest, request: Request, session: str = Depends(session_id)):
    """Start a job that streams greedy and sampled continuations token by token (events:
    start, token {run, token}, run_end {run, ended}, done {greedy, sampled, seconds, ...})."""
    m = load_smollm2()
    ids = prompt_ids(m, req.text)
    seeds = [None] + [req.seed + i for i in range(req.samples)]
    settings = sampling_config(req)

    def events(job):
        start = time.perf_counter()
        runs: list[list[int]] = [[] for _ in seeds]
        yield {"type": "start", "seeds": seeds[1:], "max_tokens": req.max_tokens, "prompt_tokens": len(ids)}
        for run, token in continuation_steps(m, ids, req.max_tokens, seeds, settings=settings):
            if job.stop_event.is_set():
                return
            if token is None:
                yield {"type": "run_end", "run": run, "ended": len(runs[run]) < req.max_tokens}
            else:
                runs[run].append(token)
                yield {"type": "token", "run": run, "token": token_piece(m.tokenizer, token)}
        seconds = time.perf_counter() - start
        sampled = [_tokens(m, r, req.max_tokens) for r in runs[1:]]
        yield {
            "type": "done",
            "prompt": req.text,
            "greedy": _tokens(m, runs[0], req.max_tokens),
            "sampled": sampled,
            "seeds": seeds[1:],
            "settings": asdict(settings),
            "max_tokens": req.max_tokens,
            "distinct_sampled": len({s["text"] for s in sampled}),
            "seconds": seconds,
            "tokens_generated": sum(len(r) for r in runs),
        }

    job = request.app.state.jobs.start(session, JOB_KIND, events)
    return {"job": job.id, "runs": len(seeds)}
