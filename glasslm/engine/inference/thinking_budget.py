"""Spending more compute at answer time: sampling, majority votes and a thinking budget.

Two ways a trained model can be made more accurate without new weights:

- **Self-consistency** (Wang et al. 2022, "Self-Consistency Improves Chain of
  Thought Reasoning in Language Models"): sample N answers at a temperature
  above 0 and keep the most common final answer. Accuracy at N uses the
  first N of the samples drawn for each problem.
- **A thinking budget**: cap how many scratchpad characters the model may
  write; when it reaches the cap, write the end-of-work mark ">" for it and
  let it answer (the "budget forcing" of Muennighoff et al. 2025, "s1: Simple
  test-time scaling", which appends an end-of-thinking delimiter). Budgets are
  whole column steps here, STEP_CHARS characters each: the scratchpad model
  was trained on scratchpads cut at step boundaries, never mid-step.

What this file adds over gpt.generate (the tiny GPT's decode loop): the
forced ">" and answer parsing, many questions side by side.
Left out: a KV cache (each new character recomputes the short context, as
gpt.generate does), weighted votes, top-k/top-p.

Shapes: B questions (or question x sample rows) decoded together, T time, V vocabulary.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from glasslm.engine.data.arithmetic_data import (
    SEPARATOR,
    STEP_CHARS,
    ArithmeticTask,
    check_format,
    parse_answer,
    prompt,
)
from glasslm.engine.models.tiny.gpt import TinyGPT, generate

MAX_TEMPERATURE = 3.0
MAX_VOTES = 25  # samples per question: beyond this the curve is flat and the wait long
MAX_ROWS = 2_000  # questions x samples decoded in one batch


def complete(
    model: TinyGPT,
    task: ArithmeticTask,
    pairs: list[tuple[int, int]],
    fmt: str,
    temperature: float = 0.0,
    rng: np.random.Generator | None = None,
    think_steps: int | None = None,
) -> list[str]:
    """What the model writes after each question, up to (not including) its BOS.

    temperature 0 is greedy (ties: the lowest id); otherwise each character is
    drawn from softmax(logits / temperature). think_steps caps a scratchpad at
    that many column steps: a row still working when it has written
    think_steps * STEP_CHARS characters gets ">" written for it.
    """
    check_format(fmt)
    if not (np.isfinite(temperature) and 0 <= temperature <= MAX_TEMPERATURE):
        raise ValueError(f"temperature must be a number from 0 to {MAX_TEMPERATURE}, got {temperature!r}")
    if not 1 <= len(pairs) <= MAX_ROWS:
        raise ValueError(f"decode from 1 to {MAX_ROWS:,} questions at a time, got {len(pairs):,}")
    rng = rng if rng is not None else np.random.default_rng(0)
    tok = task.tokenizer
    sep = tok.encode(SEPARATOR)[0]
    cap = None if think_steps is None or fmt == "direct" else max(0, int(think_steps)) * STEP_CHARS
    working = np.full(len(pairs), fmt == "scratchpad")  # has not yet written ">"

    def spend_budget(step: int, nxt: np.ndarray) -> None:  # step = characters each live row has written
        if cap is not None and step >= cap:
            nxt[working] = sep  # the budget is spent: stop the work here
        working[:] &= nxt != sep

    out = generate(model, task.encode_prompts(pairs), tok.bos, temperature, rng, force=spend_budget)
    return [tok.decode(o) for o in out]


def majority_vote(answers: list[int | None]) -> tuple[int | None, int]:
    """(the most common answer, its votes). Ties go to the answer that appeared first;
    None (no clean answer) never wins; all None gives (None, 0)."""
    counts = Counter(a for a in answers if a is not None)  # insertion order = first appearance
    if not counts:
        return None, 0
    return max(counts.items(), key=lambda kv: kv[1])  # max keeps the first of equal counts


def vote_accuracy(answers: list[list[int | None]], truths: list[int], ns: list[int]) -> list[float]:
    """Accuracy of the majority vote over each question's first n samples, for each n in ns."""
    if len(answers) != len(truths) or not answers:
        raise ValueError("give one list of sampled answers per question, and at least one question")
    return [sum(majority_vote(row[:n])[0] == t for row, t in zip(answers, truths)) / len(truths) for n in ns]


def vote_study(
    models: dict[str, TinyGPT],
    task: ArithmeticTask,
    pairs: list[tuple[int, int]],
    n_votes: int = 9,
    temperature: float = 0.8,
    seed: int = 0,
    chunk: int = 10,
):
    """Sample n_votes answers per question from each model; yield the accuracy-vs-N curves so far.

    Events: {"type": "votes", "done", "of", "ns", "curves": {fmt: [accuracy at each n]},
    "single": {fmt: mean accuracy of one sample}, "example": {fmt: {...}}} after every `chunk` questions.
    """
    if not 1 <= n_votes <= MAX_VOTES:
        raise ValueError(f"n_votes must be from 1 to {MAX_VOTES}, got {n_votes!r}")
    if chunk * n_votes > MAX_ROWS:
        chunk = max(1, MAX_ROWS // n_votes)
    rng = np.random.default_rng(seed)
    ns = list(range(1, n_votes + 1))
    truths = [a + b for a, b in pairs]
    answers: dict[str, list[list[int | None]]] = {fmt: [] for fmt in models}
    example: dict[str, dict] = {}
    for lo in range(0, len(pairs), chunk):
        part = pairs[lo : lo + chunk]
        rows = [p for p in part for _ in range(n_votes)]  # (chunk * n_votes) rows, question-major
        for fmt, model in models.items():
            texts = complete(model, task, rows, fmt, temperature, rng)
            got = [parse_answer(t, fmt) for t in texts]
            answers[fmt].extend(got[i : i + n_votes] for i in range(0, len(got), n_votes))
            if lo == 0:
                winner, votes = majority_vote(got[:n_votes])
                example[fmt] = {
                    "question": prompt(*part[0], task.digits),
                    "truth": part[0][0] + part[0][1],
                    "samples": texts[:n_votes],
                    "answers": got[:n_votes],
                    "vote": winner,
                    "votes": votes,
                }
        done = min(lo + chunk, len(pairs))
        yield {
            "type": "votes",
            "done": done,
            "of": len(pairs),
            "ns": ns,
            "curves": {fmt: vote_accuracy(a, truths[:done], ns) for fmt, a in answers.items()},
            "single": {
                fmt: float(np.mean([[x == t for x in row] for row, t in zip(a, truths)])) for fmt, a in answers.items()
            },
            "example": example,
        }


def budget_study(model: TinyGPT, task: ArithmeticTask, pairs: list[tuple[int, int]]):
    """Greedy accuracy of the scratchpad model with a cap of k column steps, k = 0 .. digits.

    Yields one {"type": "budget", "think_steps", "think_tokens", "accuracy",
    "mean_written", "example"} per budget (digits steps = a full scratchpad).
    """
    truths = [a + b for a, b in pairs]
    for k in range(task.digits + 1):
        texts = complete(model, task, pairs, "scratchpad", 0.0, think_steps=k)
        got = [parse_answer(t, "scratchpad") for t in texts]
        work = [t.split(SEPARATOR, 1)[0] for t in texts]
        yield {
            "type": "budget",
            "think_steps": k,
            "think_tokens": k * STEP_CHARS,
            "accuracy": sum(g == t for g, t in zip(got, truths)) / len(truths),
            "mean_written": float(np.mean([len(w) for w in work])),
            "example": {
                "question": prompt(*pairs[0], task.digits),
                "text": texts[0],
                "answer": got[0],
                "truth": truths[0],
            },
        }
