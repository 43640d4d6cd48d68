"""The evaluation chapter: multiple choice by likelihood, prompt formats, contamination, arena votes.

Endpoints:
- GET /questions: the question set and the prompt formats;
- POST /score: one question (the set's or the learner's own) in one format:
  each option's token log-probabilities, their sum and mean, and the pick;
- POST /benchmark: a job scoring every question in the chosen formats,
  streamed question by question (events: start, question, format_done, done);
- POST /contamination: a passage's per-token loss read fresh and read again
  right after itself;
- GET /arena/players: the SmolLM2 settings that compete, and sample prompts;
- POST /arena/answers: a job writing two players' answers to one prompt, token
  by token (events: start, token, answer_end, done);
- POST /arena/ratings: Elo after each of the learner's votes and a
  Bradley-Terry fit of all of them (stateless: the browser keeps the votes).

The maths is engine.choice_scoring and engine.elo; this file validates and streams.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator

from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.evaluation.choice_scoring import (
    FORMATS,
    LETTERS,
    Question,
    accuracy,
    load_questions,
    score_question,
    seen_twice,
)
from glasslm.engine.evaluation.elo import EloConfig, Vote, bradley_terry, elo_history, win_counts
from glasslm.engine.models.llama.batching import as_batch
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.tokenizers.token_display import token_piece
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

router = APIRouter()

MAX_QUESTION_CHARS = 300  # one sentence or two
MAX_OPTION_CHARS = 60  # an option is a few words
MIN_OPTIONS, MAX_OPTIONS = 2, 4  # letters A-D, as in most benchmarks
MAX_PASSAGE_CHARS = 1200  # a paragraph
MAX_PASSAGE_TOKENS = 200  # read twice plus a header: about 400 tokens, under a second
MIN_PASSAGE_TOKENS = 4  # a loss over fewer tokens says little
MAX_ARENA_PROMPT_CHARS = 300
MAX_ARENA_PROMPT_TOKENS = 80
# Each answer runs to its end or to this many tokens (about 120 words): measured on the sample prompts, SmolLM2's
# greedy, warm and terse answers end within 20-130 tokens, except a long greedy one (213) and the hot player, which
# rarely stops. Judging needs whole answers; the page says when one was cut here.
# Two of them: about 16 s at 20 tokens/s.
ARENA_TOKENS = 160
MAX_VOTES = 500  # ratings are recomputed from all votes on each one; 500 take milliseconds
MAX_K = 100  # an Elo K above this swings a rating by more than a chess-style scale means
BENCH_JOB, ARENA_JOB = "evaluation-benchmark", "evaluation-arena"
TOKENS_PER_SECOND = 20
BATCH_WIDTH = 8  # benchmark questions scored at once (their prompts share the scheduler's passes)

QUESTIONS = load_questions()
Format = Literal["cloze", "letters", "chat"]

# The competitors: SmolLM2 under four settings (the same weights, other sampling or system prompt).
PLAYERS = {
    "greedy": {
        "temperature": 0.0,
        "top_p": 1.0,
        "system": None,
        "about": "always the likeliest token (temperature 0), the default system prompt",
    },
    "warm": {
        "temperature": 0.7,
        "top_p": 0.9,
        "system": None,
        "about": "temperature 0.7 with top-p 0.9, the default system prompt",
    },
    "hot": {
        "temperature": 1.3,
        "top_p": 1.0,
        "system": None,
        "about": "temperature 1.3: adventurous, often incoherent",
    },
    "terse": {
        "temperature": 0.0,
        "top_p": 1.0,
        "system": "You are a helpful assistant. Answer in one short sentence.",
        "about": "greedy, with a system prompt asking for one short sentence",
    },
}
Player = Literal["greedy", "warm", "hot", "terse"]
ARENA_PROMPTS = [
    "Why is the sky blue?",
    "Give me one tip for sleeping better.",
    "What is a rainbow?",
    "Write a short poem about the sea.",
    "How do I make a cup of tea?",
    "What do cats like to eat?",
]


@router.get("/questions")
def questions():
    return {
        "questions": [{"question": q.question, "options": list(q.options), "answer": q.answer} for q in QUESTIONS],
        "formats": list(FORMATS),
        "letters": LETTERS[:MAX_OPTIONS],
    }


def scores_json(m: SmolLM2, s) -> dict:
    return {
        "format": s.fmt,
        "context": [token_piece(m.tokenizer, i) for i in s.context_ids],
        "options": [
            {
                "scored": s.scored[k],
                "tokens": [token_piece(m.tokenizer, i) for i in s.option_ids[k]],
                "logprobs": s.token_logprobs[k].tolist(),
                "sum": float(s.sums[k]),
                "mean": float(s.means[k]),
            }
            for k in range(len(s.scored))
        ],
        "pick_sum": s.pick("sum"),
        "pick_mean": s.pick("mean"),
        "answer": s.answer,
        "probs_sum": s.probs("sum").tolist(),
        "probs_mean": s.probs("mean").tolist(),
    }


class ScoreRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    options: list[str] = Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)
    answer: int | None = Field(
        None,
        ge=0,
        lt=MAX_OPTIONS,
        description="index of the right option, or none: the pick is then not marked right or wrong",
    )
    format: Format = "cloze"

    @model_validator(mode="after")
    def _check(self):
        if not self.question.strip():
            raise DemoError("Type a question.", "question")
        for k, o in enumerate(self.options):
            if not o.strip():
                raise DemoError(f"Option {LETTERS[k]} is empty: every option needs some text.", "options")
            if len(o) > MAX_OPTION_CHARS:
                raise DemoError(
                    f"Option {LETTERS[k]} is {len(o)} characters; the limit is {MAX_OPTION_CHARS}.", "options"
                )
        if len({o.strip() for o in self.options}) < len(self.options):
            raise DemoError("Two options are the same: make every option different.", "options")
        if self.answer is not None and self.answer >= len(self.options):
            raise DemoError(f"The right option must be one of A-{LETTERS[len(self.options) - 1]}.", "answer")
        return self


@router.post("/score")
def score(req: ScoreRequest):
    m = load_smollm2()
    start = time.perf_counter()
    q = Question(req.question.strip(), tuple(o.strip() for o in req.options), req.answer)
    s = score_question(m, q, req.format)
    return {**scores_json(m, s), "seconds": time.perf_counter() - start}


class BenchmarkRequest(BaseModel):
    formats: list[Format] = Field(min_length=1, max_length=len(FORMATS))

    @model_validator(mode="after")
    def _once_each(self):
        if len(set(self.formats)) != len(self.formats):
            raise DemoError("Each format may appear only once.", "formats")
        return self


@router.post("/benchmark")
def benchmark(req: BenchmarkRequest, request: Request, session: str = Depends(session_id)):
    """Start a job scoring every question in each chosen format."""
    m = load_smollm2()

    def events(job):
        start = time.perf_counter()
        yield {"type": "start", "formats": req.formats, "questions": len(QUESTIONS)}
        summary = {}
        for fmt in req.formats:
            done = []
            # BATCH_WIDTH questions are scored at once: their prompts share the scheduler's passes
            scores = as_batch(
                lambda q, fmt=fmt: None if job.stop_event.is_set() else score_question(m, q, fmt),
                QUESTIONS,
                width=BATCH_WIDTH,
            )
            for n, (q, s) in enumerate(zip(QUESTIONS, scores)):
                if job.stop_event.is_set() or s is None:
                    scores.close()
                    return
                done.append(s)
                yield {
                    "type": "question",
                    "format": fmt,
                    "index": n,
                    "question": q.question,
                    "options": list(q.options),
                    "answer": q.answer,
                    "sums": s.sums.tolist(),
                    "means": s.means.tolist(),
                    "pick_sum": s.pick("sum"),
                    "pick_mean": s.pick("mean"),
                }
            summary[fmt] = {
                "accuracy_sum": accuracy(done, "sum"),
                "accuracy_mean": accuracy(done, "mean"),
                "questions": len(done),
            }
            yield {"type": "format_done", "format": fmt, **summary[fmt]}
        yield {
            "type": "done",
            "summary": summary,
            "seconds": time.perf_counter() - start,
            "chance": sum(1 / len(q.options) for q in QUESTIONS) / len(QUESTIONS),
        }

    job = request.app.state.jobs.start(session, BENCH_JOB, events)
    return {"job": job.id, "questions": len(QUESTIONS)}


class PassageRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_PASSAGE_CHARS)


@router.post("/contamination")
def contamination(req: PassageRequest):
    m = load_smollm2()
    encode_text(
        m,
        req.text,
        MAX_PASSAGE_TOKENS,
        field="text",
        at_least=MIN_PASSAGE_TOKENS,
        why="a loss over fewer says little",
        purpose="it is read twice,",
    )
    start = time.perf_counter()
    r = seen_twice(m, req.text)
    return {
        "tokens": [token_piece(m.tokenizer, i) for i in r.ids],
        "fresh": r.fresh.tolist(),
        "seen": r.seen.tolist(),
        "fresh_loss": r.fresh_loss,
        "seen_loss": r.seen_loss,
        "ratio": r.seen_loss / r.fresh_loss if r.fresh_loss > 0 else 0.0,
        "seconds": time.perf_counter() - start,
    }


# ------------------------------------------------------------------ arena


@router.get("/arena/players")
def players():
    return {
        "players": {p: {k: v for k, v in s.items()} for p, s in PLAYERS.items()},
        "prompts": ARENA_PROMPTS,
        "max_tokens": ARENA_TOKENS,
        "elo": {"k": EloConfig.k, "start": EloConfig.start},
    }


class AnswersRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=MAX_ARENA_PROMPT_CHARS)
    a: Player
    b: Player
    seed: int = Field(0, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _two(self):
        if self.a == self.b:
            raise DemoError("Pick two different players to compare.", "b")
        return self


def player_ids(m: SmolLM2, player: str, prompt: str) -> list[int]:
    system = PLAYERS[player]["system"]
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return m.chat_ids(msgs)


@router.post("/arena/answers")
def answers(req: AnswersRequest, request: Request, session: str = Depends(session_id)):
    """Start a job writing both players' answers: both generate at once (their steps share the
    scheduler's passes); side a streams as it goes, then side b's tokens follow."""
    m = load_smollm2()
    encode_text(m, req.prompt, MAX_ARENA_PROMPT_TOKENS, field="prompt", purpose="both players read")

    def events(job):
        start = time.perf_counter()
        yield {"type": "start", "max_tokens": ARENA_TOKENS}

        def tokens(player):
            s = PLAYERS[player]
            ids = player_ids(m, player, req.prompt)
            for ev in m.generate(
                ids,
                max_tokens=ARENA_TOKENS,
                settings=SamplingConfig(temperature=s["temperature"], top_p=s["top_p"]),
                seed=req.seed,
            ):
                if job.stop_event.is_set():
                    return
                yield ev.token_id

        texts = {}
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arena-b")
        side_b = pool.submit(lambda: list(tokens(req.b)))  # generates meanwhile, its steps beside side a's
        try:
            for side in ("a", "b"):
                got = []
                for token in tokens(req.a) if side == "a" else side_b.result():
                    if job.stop_event.is_set():
                        return
                    got.append(token)
                    yield {"type": "token", "side": side, "token": token_piece(m.tokenizer, token)}
                texts[side] = m.decode(got)
                yield {
                    "type": "answer_end",
                    "side": side,
                    "tokens": len(got),
                    "ended": len(got) < ARENA_TOKENS,
                    "text": texts[side],
                }
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        yield {"type": "done", "a": texts["a"], "b": texts["b"], "seconds": time.perf_counter() - start}

    job = request.app.state.jobs.start(session, ARENA_JOB, events)
    return {"job": job.id}


class VoteIn(BaseModel):
    a: Player
    b: Player
    outcome: Literal["a", "b", "tie"]


class RatingsRequest(BaseModel):
    votes: list[VoteIn] = Field(max_length=MAX_VOTES)
    k: float = Field(EloConfig.k, gt=0, le=MAX_K, allow_inf_nan=False)


@router.post("/arena/ratings")
def ratings(req: RatingsRequest):
    names = list(PLAYERS)
    votes = [Vote(v.a, v.b, {"a": 1.0, "b": 0.0, "tie": 0.5}[v.outcome]) for v in req.votes]
    if any(v.a == v.b for v in votes):
        raise DemoError("A vote must be between two different players.", "votes")
    cfg = EloConfig(k=req.k)
    history = elo_history(names, votes, cfg)
    reversed_final = elo_history(names, votes[::-1], cfg)[-1]
    return {
        "players": names,
        "history": history,
        "elo": history[-1],
        "elo_reversed": reversed_final,
        "bradley_terry": bradley_terry(names, votes, start=cfg.start),
        "wins": win_counts(names, votes),
        "votes": len(votes),
        "k": req.k,
    }
