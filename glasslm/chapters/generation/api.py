"""The generation chapter: the autoregressive loop, one step at a time.

Endpoints:
- POST /smollm2/start: the learner's text as SmolLM2 tokens, either as raw
  text to continue or wrapped in the chat template (so the model answers and
  ends its turn with <|im_end|>), and the end tokens that stop the loop;
- POST /smollm2/step: one turn of the loop on a context of token ids: the
  model's distribution for the next token (after temperature/top-k/top-p),
  the token chosen, and whether it ends the text. The browser's Step button
  sends one; its Run button sends them one after another until an end token
  or MAX_STEPS;
- POST /tiny/train: make sure the default tiny GPT exists (trained once per
  server process in the background); while it trains, a job streams progress;
- POST /tiny/step: one step of the tiny GPT inventing a name from BOS,
  character by character, until it predicts BOS again (the end of a name);
  `model` picks the learner's own tiny GPT (web/my_models.py) instead;
- POST /tiny/info: what the page shows about the learner's model before its first step.

SmolLM2's prefix cache (smollm2.SmolLM2.prefill) keeps the keys and values of
recent contexts, so a step that extends the previous one reads only the new
token (the kv-cache chapter explains the cache); the logits are the same either way.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.inference.autoregression import choose, tiny_gpt_next_logits
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.errors import DemoError
from glasslm.web.my_models import DEFAULT, DEFAULT_TINY_GPT, MyModel, default_tiny_gpt, pick_model
from glasslm.web.session import session_id
from glasslm.web.shared_models import SharedModel, ready_model, wait_job

router = APIRouter()

MAX_TEXT_CHARS = 2000  # a paragraph
MAX_PROMPT_TOKENS = 256  # the prompt, chat template included
MAX_STEPS = 48  # tokens generated per run: a few sentences, a few seconds of re-reading the context
MAX_CONTEXT_TOKENS = MAX_PROMPT_TOKENS + MAX_STEPS
MAX_SHOW = 20  # bars of candidates per step
MAX_TEMPERATURE = 5.0
MAX_TOP_K = 1000
MAX_NAME_STEPS = 16  # the default tiny GPT's context: past it, the model no longer sees the BOS that began the name
# A learner's model steps up to its own context, at most this many characters: a big model
# (glasslm serve --model, 6 layers x 384) rereads its whole context in numpy at every step.
MAX_TINY_STEPS = 64
JOB_KIND = "generation-tiny-gpt"
TINY_GPT = DEFAULT_TINY_GPT  # the app's shared model: trained once per server, lent to every learner
tiny_gpt = default_tiny_gpt


# ------------------------------------------------------------------ SmolLM2


class StartRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    mode: Literal["continue", "chat"] = "continue"


def model_read(tokens: int, reused: int) -> str:
    """What the step's forward pass read, in the words the page shows."""
    new = tokens - reused
    return (
        "cached"
        if new == 0
        else "one new token"
        if new == 1
        else "whole context"
        if reused == 0
        else f"{new} new tokens"
    )


@router.post("/smollm2/start")
def smollm2_start(req: StartRequest):
    m = load_smollm2()
    if not req.text.strip():
        raise DemoError("The text is only spaces: type a few words.", "text")
    ids = m.encode(req.text) if req.mode == "continue" else m.chat_ids([{"role": "user", "content": req.text}])
    if len(ids) > MAX_PROMPT_TOKENS:
        raise DemoError(
            f"The prompt is {len(ids):,} tokens long; the limit here is {MAX_PROMPT_TOKENS}. Shorten it.",
            "text",
            status=413,
        )
    return {
        "ids": ids,
        "tokens": [token_piece(m.tokenizer, i) for i in ids],
        "prompt_length": len(ids),
        "mode": req.mode,
        "end_tokens": [token_piece(m.tokenizer, i) for i in sorted(m.stop_ids)],
        "max_steps": MAX_STEPS,
    }


class StepRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_CONTEXT_TOKENS, description="the context so far")
    prompt_length: int = Field(ge=1, le=MAX_PROMPT_TOKENS, description="how many of ids are the prompt")
    temperature: float = Field(0.7, ge=0, le=MAX_TEMPERATURE, allow_inf_nan=False, description="0 = greedy")
    top_k: int = Field(0, ge=0, le=MAX_TOP_K)
    top_p: float = Field(1.0, gt=0, le=1, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    show: int = Field(8, ge=1, le=MAX_SHOW)


def bars(probs: np.ndarray, chosen: int, show: int, label) -> list[dict]:
    """The `show` likeliest tokens (most likely first), plus the chosen one if it is not among them."""
    top = [int(i) for i in np.argsort(-probs, kind="stable")[:show]]
    if chosen not in top:
        top.append(chosen)
    return [{**label(i), "prob": float(probs[i]), "chosen": i == chosen} for i in top]


@router.post("/smollm2/step")
def smollm2_step(req: StepRequest, request: Request):
    m = load_smollm2()
    if req.prompt_length > len(req.ids):
        raise DemoError("prompt_length is longer than the context: start again from your text.", "prompt_length")
    generated = len(req.ids) - req.prompt_length
    if generated >= MAX_STEPS:
        raise DemoError(
            f"This run has generated {generated} tokens, the limit here ({MAX_STEPS}). Start again to generate more.",
            "ids",
            status=409,
        )
    V = m.config.vocab_size
    if any(not 0 <= i < V for i in req.ids):
        raise DemoError(f"Token ids must be from 0 to {V - 1}.", "ids")
    start = time.perf_counter()
    _, logits, reused = m.prefill(req.ids)  # through the prefix cache: a step reads only the new token
    how = model_read(len(req.ids), reused)
    seconds = time.perf_counter() - start
    c = choose(
        logits,
        position=len(req.ids),
        seed=req.seed,
        temperature=req.temperature,
        top_k=req.top_k,
        top_p=req.top_p,
        end_ids=m.stop_ids,
    )
    ids = [*req.ids, c.token]
    return {
        "position": len(req.ids),
        "step": generated + 1,
        "max_steps": MAX_STEPS,
        "candidates": bars(c.probs, c.token, req.show, lambda i: token_piece(m.tokenizer, i)),
        "chosen": {**token_piece(m.tokenizer, c.token), "prob": c.prob},
        "end": c.end,
        "limit_reached": not c.end and generated + 1 >= MAX_STEPS,
        "survivors": int((c.probs > 0).sum()),
        "ids": ids,
        "generated_text": m.decode([i for i in ids[req.prompt_length :] if i not in m.stop_ids]),
        "model_seconds": seconds,
        "model_read": how,
        "context_tokens": len(req.ids),
    }


# ------------------------------------------------------------------ tiny GPT


@router.post("/tiny/train")
def tiny_train(request: Request, session: str = Depends(session_id)):
    """The default tiny GPT: ready at once if trained, else a job streaming its training progress."""
    shared = tiny_gpt(request)
    return wait_job(request, session, shared, JOB_KIND, lambda: tiny_info(shared))


def tiny_info(shared: SharedModel) -> dict:
    model = shared.model
    tok = model.tokenizer
    return {
        "n_params": model.n_params,
        "vocab": [tok.token_text(i) for i in range(tok.vocab_size)],
        "bos": tok.bos,
        "block_size": model.config.block_size,
        "steps": shared.steps,
        "heldout_loss": shared.heldout_loss,
        "bigram_heldout_loss": shared.bigram_heldout_loss,
        "train_seconds": shared.seconds,
        "max_steps": MAX_NAME_STEPS,
    }


class TinyModelRequest(BaseModel):
    model: str = Field(DEFAULT, min_length=1, max_length=32, description="'default' or the id of your model")


class TinyStepRequest(TinyModelRequest):
    ids: list[int] = Field(min_length=1, max_length=MAX_TINY_STEPS + 1, description="BOS and the characters so far")
    temperature: float = Field(1.0, ge=0, le=MAX_TEMPERATURE, allow_inf_nan=False, description="0 = greedy")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    show: int = Field(10, ge=1, le=27)


def your_info(entry: MyModel) -> dict:
    model = entry.model
    tok = model.tokenizer
    return {
        "model": entry.id,
        "name": entry.name,
        "n_params": model.n_params,
        "vocab": [tok.token_text(i) for i in range(tok.vocab_size)],
        "bos": tok.bos,
        "block_size": model.config.block_size,
        "max_steps": min(model.config.block_size, MAX_TINY_STEPS),
    }


@router.post("/tiny/info")
def tiny_your_info(req: TinyModelRequest, request: Request, session: str = Depends(session_id)):
    entry = pick_model(request, session, req.model)
    if entry is None:
        raise DemoError("“default” is the chapter's own model: ask /tiny/train for it.", "model")
    return your_info(entry)


@router.post("/tiny/step")
def tiny_step(req: TinyStepRequest, request: Request, session: str = Depends(session_id)):
    entry = pick_model(request, session, req.model)
    model = ready_model(tiny_gpt(request)) if entry is None else entry.model
    max_steps = MAX_NAME_STEPS if entry is None else min(model.config.block_size, MAX_TINY_STEPS)
    tok = model.tokenizer
    if req.ids[0] != tok.bos:
        raise DemoError(f"A name starts from BOS (id {tok.bos}): start again.", "ids")
    if any(not 0 <= i < tok.vocab_size for i in req.ids):
        raise DemoError(f"Character ids must be from 0 to {tok.vocab_size - 1}.", "ids")
    if len(req.ids) > max_steps:
        raise DemoError(f"This name has reached the limit of {max_steps} steps: start a new one.", "ids", status=409)
    if tok.bos in req.ids[1:]:
        raise DemoError("This name has already ended (BOS came out): start a new one.", "ids", status=409)
    logits = tiny_gpt_next_logits(model, req.ids)  # (V,)
    c = choose(logits, position=len(req.ids), seed=req.seed, temperature=req.temperature, end_ids=[tok.bos])
    ids = [*req.ids, c.token]
    label = lambda i: {"id": i, "text": "BOS (end)" if i == tok.bos else tok.token_text(i)}  # noqa: E731
    return {
        "position": len(req.ids),
        "step": len(req.ids),
        "max_steps": max_steps,
        "candidates": bars(c.probs, c.token, min(req.show, tok.vocab_size), label),
        "chosen": {**label(c.token), "prob": c.prob},
        "end": c.end,
        "limit_reached": not c.end and len(ids) > max_steps,
        "ids": ids,
        "name": tok.decode(ids),
        "logits": [float(x) for x in logits],
    }
