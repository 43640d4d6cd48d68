"""The prompting chapter: four prompting techniques measured on a small task set with SmolLM2.

Endpoints:
- GET /tasks: the task set (items, few-shot examples, answer rules), the
  settings, and the most tokens each technique can write (for the time
  estimate on the page);
- POST /run: a job that runs the chosen techniques over the chosen items,
  streaming each item's reply, the answer read from it and right/wrong
  (events: start, item_start, item, technique_done, done); each accuracy
  comes with its 95 % Wilson interval, since a dozen items decide little;
- POST /own: a job that runs the learner's own prompt with every technique,
  streaming the exact prompt tokens (chat template included) and the reply
  tokens as they are chosen (events: start, prompt, token, reply, done).

All of it is engine.prompting; this file validates and streams.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from glasslm.engine.applications.prompting import (
    COT_INSTRUCTION,
    FILLER,
    TECHNIQUES,
    Item,
    ItemResult,
    PromptConfig,
    accuracy,
    load_task_set,
    messages_for,
    prompt_steps,
    run_item,
    worst_case_tokens,
)
from glasslm.engine.evaluation.intervals import wilson
from glasslm.engine.models.llama.batching import as_batch
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

router = APIRouter()

MAX_TEXT_CHARS = 600  # a question of a few sentences
MAX_PROMPT_TOKENS = 160  # the learner's question; the template and examples add about 100 more
MAX_EXPECTED_CHARS = 40  # an expected answer is a word or a number
MAX_PATHS = 5  # self-consistency samples: each is up to COT tokens (~2-3 s) more per item
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.1, 1.5  # sampling needs T > 0; past 1.5 SmolLM2 writes noise
BATCH_WIDTH = 8  # items generating at once in a run (their decode steps share the scheduler's passes)
TOKENS_PER_SECOND = 20  # SmolLM2 on 2 cores, for the page's time estimate (measured: 15-25)
RUN_JOB, OWN_JOB = "prompting-run", "prompting-own"

TASKS = load_task_set()
KINDS = tuple(TASKS.kinds)
Technique = Literal["zero-shot", "few-shot", "chain-of-thought", "self-consistency"]


def config(paths: int = PromptConfig.paths, temperature: float = PromptConfig.temperature) -> PromptConfig:
    return replace(PromptConfig(), paths=paths, temperature=temperature)


def unique(values: list) -> list:
    if len(set(values)) != len(values):
        raise ValueError("each technique may appear only once")
    return values


@router.get("/tasks")
def tasks():
    cfg = PromptConfig()
    n = len(TASKS.items)
    return {
        "kinds": TASKS.kinds,
        "counts": {k: sum(i.kind == k for i in TASKS.items) for k in KINDS},
        "findings": TASKS.findings,
        "items": [
            {"kind": i.kind, "question": i.question, "answer": i.answer, "aliases": list(i.aliases)}
            for i in TASKS.items
        ],
        "shots": [{"kind": s.kind, "question": s.question, "answer": s.answer} for s in TASKS.shots],
        "techniques": list(TECHNIQUES),
        "cot_instruction": COT_INSTRUCTION,
        "filler": sorted(FILLER),
        "settings": {
            "short_tokens": cfg.short_tokens,
            "cot_tokens": cfg.cot_tokens,
            "shots": cfg.shots,
            "paths": cfg.paths,
            "max_paths": MAX_PATHS,
            "temperature": cfg.temperature,
        },
        "worst_tokens": {t: worst_case_tokens(n, [t], cfg) for t in TECHNIQUES},
        "tokens_per_second": TOKENS_PER_SECOND,
    }


class RunRequest(BaseModel):
    techniques: list[Technique] = Field(min_length=1, max_length=len(TECHNIQUES))
    kind: Literal["all", "sentiment", "capital", "opposite", "arithmetic"] = "all"
    paths: int = Field(PromptConfig.paths, ge=2, le=MAX_PATHS, description="self-consistency samples")
    temperature: float = Field(PromptConfig.temperature, ge=MIN_TEMPERATURE, le=MAX_TEMPERATURE, allow_inf_nan=False)

    @field_validator("techniques")
    @classmethod
    def _once_each(cls, v):
        return unique(v)


def item_event(m: SmolLM2, technique: str, index: int, item: Item, r) -> dict:
    return {
        "type": "item",
        "technique": technique,
        "index": index,
        "question": item.question,
        "expected": item.answer,
        "replies": [m.decode(x) for x in r.replies],
        "answers": r.answers,
        "answer": r.answer,
        "votes": r.votes,
        "right": r.right,
        "tokens": r.tokens,
        "prompt_tokens": len(r.prompt_ids),
    }


@router.post("/run")
def run(req: RunRequest, request: Request, session: str = Depends(session_id)):
    """Start a job running the techniques over the items (BATCH_WIDTH at once), reported in order."""
    m = load_smollm2()
    items = [i for i in TASKS.items if req.kind in ("all", i.kind)]
    cfg = config(req.paths, req.temperature)
    worst = worst_case_tokens(len(items), req.techniques, cfg)

    def events(job):
        start = time.perf_counter()
        yield {
            "type": "start",
            "techniques": req.techniques,
            "items": [i.question for i in items],
            "worst_tokens": worst,
            "settings": {"paths": cfg.paths, "temperature": cfg.temperature},
        }
        summary, tokens = {}, 0
        for t in req.techniques:
            results = []
            # the items run BATCH_WIDTH at a time, their steps sharing the scheduler's passes; in order here
            work = as_batch(
                lambda item, t=t: None if job.stop_event.is_set() else run_item(m, TASKS, item, t, cfg),
                items,
                width=BATCH_WIDTH,
            )
            try:
                for n, item in enumerate(items):
                    if job.stop_event.is_set():
                        return
                    yield {"type": "item_start", "technique": t, "index": n}
                    r = next(work)
                    if r is None:  # stopped before it started
                        return
                    results.append(r)
                    tokens += r.tokens
                    yield item_event(m, t, n, item, r)
            finally:
                work.close()
            right = sum(bool(r.right) for r in results)
            summary[t] = {
                "right": right,
                "items": len(results),
                "accuracy": accuracy(results),
                "interval": wilson(right, len(results)),
            }
            yield {"type": "technique_done", "technique": t, **summary[t]}
        seconds = time.perf_counter() - start
        yield {"type": "done", "summary": summary, "tokens": tokens, "seconds": seconds, "kind": req.kind}

    job = request.app.state.jobs.start(session, RUN_JOB, events)
    return {"job": job.id, "items": len(items), "worst_tokens": worst, "worst_seconds": worst / TOKENS_PER_SECOND}


class OwnRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    expected: str = Field(
        "", max_length=MAX_EXPECTED_CHARS, description="the right answer (one word or number), if you know it"
    )
    shots_kind: Literal["sentiment", "capital", "opposite", "arithmetic"] = "capital"
    techniques: list[Technique] = Field(
        default_factory=lambda: list(TECHNIQUES), min_length=1, max_length=len(TECHNIQUES)
    )
    paths: int = Field(PromptConfig.paths, ge=2, le=MAX_PATHS)
    temperature: float = Field(PromptConfig.temperature, ge=MIN_TEMPERATURE, le=MAX_TEMPERATURE, allow_inf_nan=False)

    @field_validator("techniques")
    @classmethod
    def _once_each(cls, v):
        return unique(v)


def own_rule(expected: str) -> str:
    """A number is read with the number rule, anything else with the word rule."""
    return "number" if re.fullmatch(r"\s*-?\d[\d,]*(\.\d+)?\s*", expected) else "word"


@router.post("/own")
def own(req: OwnRequest, request: Request, session: str = Depends(session_id)):
    """Start a job running the learner's prompt with each technique, token by token."""
    m = load_smollm2()
    encode_text(m, req.text, MAX_PROMPT_TOKENS, field="text", purpose="the templates start from")
    expected = req.expected.strip()
    if req.expected and not expected:
        raise DemoError("The expected answer is only spaces: type a word or a number, or leave it empty.", "expected")
    if len(expected.split()) > 1:
        raise DemoError(
            "The expected answer must be one word or one number: the answer rule reads one word.", "expected"
        )
    rule = own_rule(expected)
    cfg = config(req.paths, req.temperature)
    item = Item("own", req.text, expected.replace(",", "") if rule == "number" else expected) if expected else None

    def events(job):
        start = time.perf_counter()
        yield {"type": "start", "techniques": req.techniques, "rule": rule, "expected": expected}
        for t in req.techniques:
            shots = TASKS.shots_for(req.shots_kind, cfg.shots) if t == "few-shot" else []
            msgs = messages_for(t, req.text, shots)
            ids = m.chat_ids(msgs)
            yield {
                "type": "prompt",
                "technique": t,
                "messages": msgs,
                "tokens": [token_piece(m.tokenizer, i) for i in ids],
            }
            for step in prompt_steps(m, msgs, t, rule, (), req.text, cfg, item):
                if job.stop_event.is_set():
                    return
                if isinstance(step, ItemResult):
                    yield {
                        "type": "reply",
                        "technique": t,
                        "replies": [m.decode(x) for x in step.replies],
                        "answers": step.answers,
                        "answer": step.answer,
                        "votes": step.votes,
                        "right": step.right,
                        "tokens": step.tokens,
                    }
                elif step[1] is not None:
                    yield {"type": "token", "technique": t, "path": step[0], "token": token_piece(m.tokenizer, step[1])}
        yield {"type": "done", "seconds": time.perf_counter() - start}

    job = request.app.state.jobs.start(session, OWN_JOB, events)
    return {"job": job.id, "rule": rule}
