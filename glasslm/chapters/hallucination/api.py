"""The hallucination chapter: SmolLM2's confidence against its accuracy on a fact set.

Endpoints:
- GET /facts: the questions, their accepted answers, facts and sources;
- POST /ask: one question (from the set, or the learner's own) answered
  greedily, with the first token's alternatives and both confidences;
- POST /run: a job that answers the chosen questions closed-book and/or with
  the fact in the prompt, streaming each answer as it is marked;
- POST /calibration: a finished run's reliability diagram, expected
  calibration error, confident wrong answers, the answers that contradict the
  fact they were given and, for a threshold, what abstaining below it answers
  and gets right (with the whole coverage curve).

"Contradicts the fact": asked with a fact that states an accepted answer (by
the same marking rule, is_correct), the model still answered wrong.

Greedy answers are deterministic, so each (question, mode) is answered once
per process and kept (ANSWERS): a second run, or the retrieval run's
closed-book half, reads them back at once.
"""

from __future__ import annotations

import functools
import time
from typing import Literal, get_args

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.evaluation.calibration import MAX_BINS, abstain, coverage_curve, reliability
from glasslm.engine.evaluation.fact_qa import MAX_ANSWER_TOKENS, answer, is_correct, load_facts, prompt_text
from glasslm.engine.models.llama.batching import as_batch
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

router = APIRouter()

FACTS, EXAMPLES = load_facts()
BY_ID = {f.id: f for f in FACTS}
MAX_QUESTION_CHARS = 300  # one question, not a document
MAX_QUESTION_TOKENS = 80  # a question this long is no longer a short-answer question
MAX_FACT_CHARS = 400  # one or two sentences
MAX_FACT_TOKENS = 100
CONFIDENT = 0.5  # "confident wrong": the model gave its wrong answer at least this probability
JOB_KIND = "hallucination-run"
BATCH_WIDTH = 8  # questions answered at once (their decode steps share the scheduler's passes)
Mode = Literal["closed", "retrieval"]
Measure = Literal["first", "likelihood"]


def _marked(request: Request, m: SmolLM2, fact, mode: str) -> tuple[dict, bool]:
    """The marked answer to a set question in a mode, and whether this app already had it (all are kept)."""
    cache = app_cache(request, "hallucination-answers", len(FACTS) * len(get_args(Mode)))
    return cache.get((fact.id, mode), lambda: _answer_row(m, fact, mode))


def _answer_row(m: SmolLM2, fact, mode: str) -> dict:
    ids = m.encode(prompt_text(fact.question, EXAMPLES, fact.fact if mode == "retrieval" else None))
    start = time.perf_counter()
    a = answer(m, ids)
    row = {
        "id": fact.id,
        "mode": mode,
        "level": fact.level,
        "question": fact.question,
        "answers": list(fact.answers),
        "answer": a.text,
        "tokens": [token_piece(m.tokenizer, i) for i in a.ids],
        "first": a.first_token_prob,
        "likelihood": a.likelihood,
        "token_probs": a.probs,
        "correct": is_correct(a.text, fact.answers),
        "prompt_tokens": len(ids),
        "fact": fact.fact,
        "contradicts": mode == "retrieval"
        and is_correct(fact.fact, fact.answers)
        and not is_correct(a.text, fact.answers),
        "seconds": time.perf_counter() - start,
    }
    return row


@router.get("/facts")
def facts():
    return {
        "questions": [
            {
                "id": f.id,
                "level": f.level,
                "question": f.question,
                "answers": list(f.answers),
                "fact": f.fact,
                "source": f.source,
            }
            for f in FACTS
        ],
        "examples": EXAMPLES,
        "max_answer_tokens": MAX_ANSWER_TOKENS,
        "confident": CONFIDENT,
    }


class AskRequest(BaseModel):
    id: str | None = Field(None, max_length=40, description="a question of the set, or None for your own")
    question: str = Field("", max_length=MAX_QUESTION_CHARS)
    fact: str = Field("", max_length=MAX_FACT_CHARS, description="text placed before the question; empty = closed book")


@router.post("/ask")
def ask(req: AskRequest):
    m = load_smollm2()
    known = None
    if req.id is not None:
        known = BY_ID.get(req.id)
        if known is None:
            raise DemoError(f"There is no question “{req.id[:40]}” in the set: pick one from the list.", "id", 404)
        question = known.question
    else:
        encode_text(m, req.question, MAX_QUESTION_TOKENS, field="question", purpose="a question has")
        question = req.question.strip()
    fact = req.fact.strip()
    if fact:
        encode_text(m, fact, MAX_FACT_TOKENS, field="fact", purpose="the fact has")
    prompt = prompt_text(question, EXAMPLES, fact or None)
    ids = m.encode(prompt)
    start = time.perf_counter()
    a = answer(m, ids)
    return {
        "question": question,
        "fact": fact,
        "prompt": prompt,
        "prompt_tokens": len(ids),
        "answer": a.text,
        "tokens": [token_piece(m.tokenizer, i) for i in a.ids],
        "token_probs": a.probs,
        "first": a.first_token_prob,
        "likelihood": a.likelihood,
        "alternatives": [{**token_piece(m.tokenizer, i), "prob": p} for i, p in a.first_top],
        "answers": list(known.answers) if known else None,
        "correct": is_correct(a.text, known.answers) if known else None,
        # the fact given states an accepted answer, and the model said something else
        "contradicts": bool(
            known and fact and is_correct(fact, known.answers) and not is_correct(a.text, known.answers)
        ),
        "seconds": time.perf_counter() - start,
    }


class RunRequest(BaseModel):
    ids: list[str] = Field(default_factory=list, max_length=len(FACTS), description="empty = the whole set")
    modes: list[Mode] = Field(["closed"], min_length=1, max_length=2)


@router.post("/run")
def run(req: RunRequest, request: Request, session: str = Depends(session_id)):
    """Start a job answering the questions (events: start, answer {row, index, cached}, done)."""
    unknown = [i for i in req.ids if i not in BY_ID]
    if unknown:
        raise DemoError(f"Unknown question id “{unknown[0][:40]}”: use ids from /facts.", "ids", 404)
    chosen = [BY_ID[i] for i in dict.fromkeys(req.ids)] if req.ids else FACTS
    modes = list(dict.fromkeys(req.modes))
    m = load_smollm2()
    rows: list[dict] = []

    def events(job):
        start = time.perf_counter()
        total = len(chosen) * len(modes)
        yield {"type": "start", "total": total, "modes": modes, "max_answer_tokens": MAX_ANSWER_TOKENS}
        for mode in modes:  # the questions of a mode run as a batch: their decode steps share passes
            for row, cached in as_batch(functools.partial(_marked, request, m, mode=mode), chosen, width=BATCH_WIDTH):
                if job.stop_event.is_set():
                    return
                rows.append(row)
                yield {"type": "answer", "index": len(rows), "total": total, "cached": cached, "row": row}
        yield {"type": "done", "answered": len(rows), "seconds": time.perf_counter() - start}

    job = request.app.state.jobs.start(session, JOB_KIND, events, state={"rows": rows, "modes": modes})
    return {"job": job.id, "total": len(chosen) * len(modes)}


class CalibrationRequest(BaseModel):
    job: str = Field(min_length=1, max_length=40)
    mode: Mode = "closed"
    measure: Measure = "first"
    bins: int = Field(5, ge=1, le=MAX_BINS)
    threshold: float = Field(0.0, ge=0, le=1, allow_inf_nan=False)


@router.post("/calibration")
def calibration(req: CalibrationRequest, request: Request, session: str = Depends(session_id)):
    job = request.app.state.jobs.get(session, req.job)
    if job.kind != JOB_KIND:
        raise DemoError("That run is not a fact-set run: start one with Run.", "job", 409)
    rows = [r for r in list(job.state["rows"]) if r["mode"] == req.mode]
    if not rows:
        what = "with the facts" if req.mode == "retrieval" else "closed-book"
        raise DemoError(f"That run has no {what} answers yet: run the questions first.", "mode", 409)
    conf = [r[req.measure] for r in rows]
    correct = [r["correct"] for r in rows]
    rel = reliability(conf, correct, req.bins)
    wrong = sorted((r for r in rows if not r["correct"] and r[req.measure] >= CONFIDENT), key=lambda r: -r[req.measure])
    return {
        "mode": req.mode,
        "measure": req.measure,
        "n": len(rows),
        "finished": not job.running,
        "accuracy": sum(correct) / len(rows),
        "mean_confidence": sum(conf) / len(rows),
        "ece": rel.ece,
        "bins": rel.rows(),
        "confident_wrong": [
            {
                "id": r["id"],
                "question": r["question"],
                "answer": r["answer"],
                "answers": r["answers"],
                "confidence": r[req.measure],
            }
            for r in wrong
        ],
        "abstain": abstain(conf, correct, req.threshold).as_dict(),
        "curve": [s.as_dict() for s in coverage_curve(conf, correct)],
        "points": [{"id": r["id"], "confidence": r[req.measure], "correct": r["correct"]} for r in rows],
        "contradicted": [
            {
                "id": r["id"],
                "question": r["question"],
                "answer": r["answer"],
                "fact": r["fact"],
                "answers": r["answers"],
            }
            for r in rows
            if r["contradicts"]
        ],
    }
