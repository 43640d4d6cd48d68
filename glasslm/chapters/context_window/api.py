"""The context-window chapter: a bounded memory.

Endpoints:
- GET /config: SmolLM2's context length and shapes, read from the loaded model;
- POST /fit: which tokens and turns of a conversation a model with a (small,
  learner-chosen) window would still see, under two policies
  (context_window.fit_conversation);
- POST /recall: a job asking for a door code stated in the first turn, once
  per door, each time with only what fits the window (context_window.recall_trials);
- POST /attention-cost: a job measuring a forward pass and attention's
  arithmetic alone at growing lengths (context_window.time_attention);
- POST /needle: a job running the needle-in-a-haystack probe over lengths x
  depths up to SmolLM2's whole context (context_window.needle_probe), with the
  prefill's progress streamed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.inference import context_window
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

router = APIRouter()

MIN_WINDOW = 16
MAX_WINDOW = 2048  # for showing what fits (tokenizing only)
MAX_ANSWER_WINDOW = 512  # answering means a prefill of up to this many tokens
MAX_ANSWER_TOKENS = 12  # "The code for the red door is 4817" is 12 tokens
MAX_FACTS = len(context_window.DOORS)
MAX_MESSAGES = 30
MAX_MESSAGE_CHARS = 1000
MAX_COST_LENGTH = 1024  # a forward pass over 1,024 tokens: a couple of seconds on 2 cores
NEEDLE_LONGEST = 8192  # SmolLM2's whole context
NEEDLE_DEFAULT = 1024  # with its quarter and sixteenth: about 3,400 tokens read, well under a minute on 2 cores
MIN_NEEDLE_LENGTH = 64
MAX_DEPTHS = 5


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class FitRequest(BaseModel):
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    window: int = Field(96, ge=MIN_WINDOW, le=MAX_WINDOW)
    policy: Literal["turns", "tokens"] = "turns"
    with_fact: bool = Field(False, description="put the first door's code before the messages and ask for it after")


def fit(m: SmolLM2, req: FitRequest, door: tuple[str, str] | None = None) -> dict:
    messages = [{"role": x.role, "content": x.content} for x in req.messages]
    if any(x["role"] == "system" for x in messages[1:]):
        raise DemoError("Only the first message may be a system prompt.", "messages")
    if req.with_fact or door:
        if any(x["role"] == "system" for x in messages):
            raise DemoError("The recall test puts the fact first, so leave out the system prompt.", "messages")
        messages = context_window.with_fact(messages, *(door or context_window.door_codes(1)[0]))
    try:
        return context_window.fit_conversation(m, messages, req.window, req.policy)
    except ValueError as e:
        raise DemoError(
            f"A window of {req.window} tokens is too small for this policy: the system prompt alone "
            "does not fit. Make the window larger or choose “last tokens”.",
            "window",
        ) from e


@router.get("/config")
def config():
    m = load_smollm2()
    c = m.config
    return {
        "context_length": c.context_length,
        "n_layers": c.n_layers,
        "n_heads": c.n_heads,
        "n_kv_heads": c.n_kv_heads,
        "head_dim": c.head_dim,
        "d_model": c.d_model,
        "source": "context_length from the GGUF metadata (llama.context_length), read by gguf_weights.py",
    }


@router.post("/fit")
def fit_endpoint(req: FitRequest):
    m = load_smollm2()
    f = fit(m, req)
    return {
        "window": f["window"],
        "policy": f["policy"],
        "total_tokens": f["total_tokens"],
        "kept_tokens": f["kept_tokens"],
        "dropped_tokens": f["total_tokens"] - f["kept_tokens"],
        "messages": [
            {k: s[k] for k in ("role", "content", "start", "end", "kept_tokens", "status")} for s in f["spans"]
        ],
        "tokens": [{"id": int(t), "text": token_text(m.tokenizer, t), "kept": k} for t, k in zip(f["ids"], f["keep"])],
    }


class RecallRequest(FitRequest):
    facts: int = Field(8, ge=1, le=MAX_FACTS, description="how many doors (codes) to ask about")
    seed: int = Field(0, ge=0, le=1000)


@router.post("/recall")
def recall(req: RecallRequest, request: Request, session: str = Depends(session_id)):
    if req.window > MAX_ANSWER_WINDOW:
        raise DemoError(
            f"To answer, the window can be at most {MAX_ANSWER_WINDOW} tokens here (you chose {req.window}).",
            "window",
            status=413,
        )
    m = load_smollm2()
    facts = context_window.door_codes(req.facts, req.seed)
    fit(m, req, facts[0])  # refuse a window too small for the policy before starting
    chat = [{"role": x.role, "content": x.content} for x in req.messages]

    def events(job):
        yield {"type": "start", "facts": len(facts), "window": req.window, "policy": req.policy}
        yield from context_window.recall_trials(
            m, chat, facts, req.window, req.policy, MAX_ANSWER_TOKENS, should_stop=job.stop_event.is_set
        )

    job = request.app.state.jobs.start(session, "recall", events)
    return {"job": job.id, "facts": len(facts)}


class CostRequest(BaseModel):
    max_length: int = Field(512, ge=MIN_NEEDLE_LENGTH, le=MAX_COST_LENGTH)


def doubling(lo: int, hi: int) -> list[int]:
    out, n = [], lo
    while n < hi:
        out.append(n)
        n *= 2
    return out + [hi]


@router.post("/attention-cost")
def attention_cost(req: CostRequest, request: Request, session: str = Depends(session_id)):
    m = load_smollm2()
    lengths = doubling(64, req.max_length)
    text, _ = context_window.haystack(m.encode, req.max_length, 0.5, needle=None)
    ids = m.encode(text)[: req.max_length]

    def events(job):
        yield {"type": "start", "lengths": lengths}
        yield from context_window.time_attention(m.model, ids, lengths, should_stop=job.stop_event.is_set)

    job = request.app.state.jobs.start(session, "attention-cost", events)
    return {"job": job.id, "lengths": lengths}


class NeedleRequest(BaseModel):
    max_length: int = Field(
        NEEDLE_DEFAULT,
        ge=MIN_NEEDLE_LENGTH,
        le=NEEDLE_LONGEST,
        description="the longest prompt; the others are a quarter of the one after",
    )
    depths: int = Field(3, ge=2, le=MAX_DEPTHS, description="needle positions from start to end")
    seed: int = Field(0, ge=0, le=1000)


def needle_lengths(longest: int) -> list[int]:
    """The longest prompt, a quarter of it and a sixteenth (those of at least MIN_NEEDLE_LENGTH tokens)."""
    return [n for n in (longest // 16, longest // 4) if n >= MIN_NEEDLE_LENGTH] + [longest]


@router.post("/needle")
def needle(req: NeedleRequest, request: Request, session: str = Depends(session_id)):
    m = load_smollm2()
    lengths = needle_lengths(req.max_length)
    depths = [float(d) for d in np.linspace(0.0, 1.0, req.depths)]
    work, flops = context_window.needle_work(m, context_window.needle_plan(m, lengths, depths, req.seed))

    def events(job):
        yield {
            "type": "start",
            "lengths": lengths,
            "depths": depths,
            "needle": context_window.NEEDLE,
            "question": context_window.QUESTION.strip(),
            "answer": context_window.ANSWER.strip(),
            "tokens_total": work,
            "flops_total": flops,
        }
        yield from context_window.needle_probe(m, lengths, depths, req.seed, should_stop=job.stop_event.is_set)

    job = request.app.state.jobs.start(session, "needle", events)
    return {"job": job.id, "lengths": lengths, "depths": depths, "tokens_total": work, "flops_total": flops}
