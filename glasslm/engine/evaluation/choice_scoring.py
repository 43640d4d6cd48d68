"""Multiple choice by likelihood: how benchmarks score a model without reading its prose.

A benchmark question with options (A-D) could be scored by letting the model
write and parsing what it wrote. Most benchmark harnesses instead ask the
model how likely each option is as the continuation of the question, and
pick the likeliest (the approach of the GPT-3 paper, Brown et al. 2020, and
of EleutherAI's lm-evaluation-harness). For an option of tokens o_1..o_n after
a context c:

    sum  = sum_i log p(o_i | c, o_<i)        the option's log-probability
    mean = sum / n                             length-normalised (per token)

The sum favours short options (every extra token can only lower it); the
mean removes that bias. Both are computed here from SmolLM2's logits.

`continuation_logprobs` reads the context once into a KV cache and then each
option's tokens from there (the cache is cut back to the context between
options), so four options cost one long pass and four short ones. The tests
recompute every number from `m.logits` over the whole sequence.

Three prompt FORMATS of the same question show that the score depends on how
it is asked (Gu et al. 2024, "OLMES", compare the two plain-text ones):
- "cloze":   "Question: ...\\nAnswer:" and each option's text is scored;
- "letters": the options listed as A-D, and the letter " A".." D" is scored
  (MMLU style, Hendrycks et al. 2021);
- "chat":    the lettered question as a user turn in the chat template, and
  the letter is scored as the assistant's first token.

Also here: per-token log-probabilities of a passage read fresh and read a
second time, the measurement behind the chapter's contamination demo.

Left out: calibration of scores, normalising by characters or by the
option's unconditional probability, few-shot benchmark prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics.sampling import log_softmax
from glasslm.engine.data.files import read_json

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

FORMATS = ("cloze", "letters", "chat")
LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class Question:
    question: str
    options: tuple[str, ...]
    answer: int | None  # index of the right option; None when nobody said which is right


def load_questions() -> list[Question]:
    """The chapter's question set from the package's data file."""
    data = read_json("evaluation_questions.json")
    return [Question(q["question"], tuple(q["options"]), int(q["answer"])) for q in data["questions"]]


def lettered(q: Question) -> str:
    """The question with its options listed as A. ... D. ..."""
    return q.question + "\n" + "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(q.options))


def prompt_for(m: SmolLM2, q: Question, fmt: str) -> tuple[list[int], list[list[int]], list[str]]:
    """(context ids, one id list per option, the option texts as scored) for a format."""
    if fmt == "cloze":
        context, scored = m.encode(f"Question: {q.question}\nAnswer:"), [" " + o for o in q.options]
    elif fmt == "letters":
        context, scored = (
            m.encode(f"Question: {lettered(q)}\nAnswer:"),
            [" " + LETTERS[i] for i in range(len(q.options))],
        )
    elif fmt == "chat":
        context = m.chat_ids([{"role": "user", "content": lettered(q) + "\nAnswer with the letter."}])
        scored = [LETTERS[i] for i in range(len(q.options))]
    else:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    return context, [m.encode(s) for s in scored], scored


def continuation_logprobs(m: SmolLM2, context_ids, continuations) -> list[np.ndarray]:
    """log p of each token of each continuation given the context: one (n_k,) array per continuation.

    The context is read once (or not at all if SmolLM2's prefix cache holds it); each
    continuation is read from its KV cache.
    """
    context_ids = m.check_ids(context_ids)
    conts = [m.check_ids(c) for c in continuations]
    model = m.model
    cache, first, _ = m.prefill(context_ids, room=max(len(c) for c in conts))  # first: (V,) predicts token 1
    out = []
    for c in conts:
        cache.truncate(len(context_ids))
        rows = [first[None, :]]
        if len(c) > 1:
            rows.append(model.forward(c[:-1], cache))  # (n-1, V): predicts tokens 2..n
        logp = log_softmax(np.concatenate(rows))  # (n, V) float64
        out.append(logp[np.arange(len(c)), c])  # (n,)
    return out


@dataclass(frozen=True)
class ChoiceScores:
    """One question scored in one format."""

    fmt: str
    context_ids: list[int]
    option_ids: list[list[int]]
    scored: list[str]  # the text scored for each option (" Mercury" or " B")
    token_logprobs: list[np.ndarray]  # (n_k,) per option
    answer: int | None  # None for a learner's question with no right option given: the pick is only a pick

    @property
    def sums(self) -> np.ndarray:
        return np.array([lp.sum() for lp in self.token_logprobs])  # (K,)

    @property
    def means(self) -> np.ndarray:
        return np.array([lp.mean() for lp in self.token_logprobs])  # (K,)

    def pick(self, by: str) -> int:
        """The chosen option by "sum" or "mean" (ties: the first)."""
        return int(np.argmax(self.sums if by == "sum" else self.means))

    def probs(self, by: str = "sum") -> np.ndarray:
        """The scores as a distribution over the options (softmax of sum or mean): (K,)."""
        return np.exp(log_softmax(self.sums if by == "sum" else self.means))


def score_question(m: SmolLM2, q: Question, fmt: str) -> ChoiceScores:
    context, options, scored = prompt_for(m, q, fmt)
    return ChoiceScores(fmt, context, options, scored, continuation_logprobs(m, context, options), q.answer)


def accuracy(scores: list[ChoiceScores], by: str) -> float:
    """Share of questions whose chosen option (by sum or mean) is the right one."""
    return sum(s.pick(by) == s.answer for s in scores) / len(scores) if scores else 0.0


# ---------------------------------------------------------------- contamination
@dataclass(frozen=True)
class SeenTwice:
    """A passage's tokens scored after a short header, and again after the passage itself."""

    ids: list[int]  # (n,) the passage's tokens
    fresh: np.ndarray  # (n,) log p reading it the first time
    seen: np.ndarray  # (n,) log p reading it again right after

    @property
    def fresh_loss(self) -> float:
        return float(-self.fresh.mean())

    @property
    def seen_loss(self) -> float:
        return float(-self.seen.mean())


HEADER = "Text:\n"  # the few tokens before the passage, so its first token is predicted too
SEPARATOR = "\n\nThe same text again:\n"


def seen_twice(m: SmolLM2, passage: str) -> SeenTwice:
    """Per-token log p of a passage read fresh (after HEADER) and read again (after HEADER, itself, SEPARATOR)."""
    ids = m.encode(passage)
    header = m.encode(HEADER)
    (fresh,) = continuation_logprobs(m, header, [ids])
    (seen,) = continuation_logprobs(m, header + ids + m.encode(SEPARATOR), [ids])
    return SeenTwice(ids, fresh, seen)
