"""Short factual answers from SmolLM2 with a confidence, and a rule for marking them.

A question is asked as a few-shot completion (two worked examples, then
"Q: ...\\nA:"), so the model's first token is already the answer and the
answer ends at a newline. With retrieval, each question is preceded by the
one fact that answers it ("Fact: ...").

The answer is greedy (the top token each step, at most `max_tokens`). Its
confidence is read from the same forward passes, at temperature 1:

- first-token probability: p(a_1 | prompt), how sure the model was of how
  its answer starts;
- answer likelihood: the geometric mean of p(a_t | prompt, a_<t) over the
  answer's tokens, exp(mean log p), so long answers are not penalised just
  for being long.

Marking (`is_correct`): both texts are normalised (Unicode accents removed,
lower case, punctuation to spaces, words split on spaces); the answer is
correct if any accepted answer appears in it as a run of whole words. So
"Paris, France." is right for Paris, "Parisian" is not, and "1989" is right
for 1989 while "19890" is not.

What it adds over smollm2.py: the prompt format, the greedy loop that keeps
the probabilities at T=1, and the marking. Left out: sampling several
answers (self-consistency), and asking the model to state its confidence.
Shapes: T prompt tokens, V vocabulary, k top alternatives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics.sampling import softmax
from glasslm.engine.data.files import read_json
from glasslm.engine.models.llama.decode import decode

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_ANSWER_TOKENS = 6  # answers are a name or a number; SmolLM2 decodes ~20 tokens/s here
TOP_ALTERNATIVES = 5  # first-token candidates kept for the page


@dataclass(frozen=True)
class Fact:
    id: str
    level: str  # "easy" or "obscure": our own guess, shown beside the results
    question: str
    answers: tuple[str, ...]  # accepted answers (any one matches)
    fact: str  # the sentence given to the model for retrieval
    source: str  # the English Wikipedia article that states it


@dataclass(frozen=True)
class Answer:
    ids: list[int]  # the greedy answer's tokens (the newline that ends it excluded)
    text: str
    probs: list[float]  # p of each answer token at T=1, given the prompt and the tokens before it
    first_top: list[tuple[int, float]]  # (token id, p) of the k likeliest first tokens

    @property
    def first_token_prob(self) -> float:
        return self.probs[0] if self.probs else 0.0

    @property
    def likelihood(self) -> float:
        """Geometric mean of the answer tokens' probabilities: exp(mean log p)."""
        return float(np.exp(np.mean(np.log(self.probs)))) if self.probs else 0.0


def load_facts() -> tuple[list[Fact], list[dict]]:
    """The fact set (glasslm/engine/data/facts.json) and the few-shot examples."""
    data = read_json("facts.json")
    facts = [
        Fact(
            id=q["id"],
            level=q["level"],
            question=q["question"],
            answers=tuple(q["answers"]),
            fact=q["fact"],
            source=q["source"],
        )
        for q in data["questions"]
    ]
    return facts, data["examples"]


def prompt_text(question: str, examples: list[dict], fact: str | None = None) -> str:
    """The few-shot prompt; with `fact`, every question (the examples' too) comes with its fact."""
    parts = ["Answer each question with a short answer."]
    for ex in examples:
        lead = f"Fact: {ex['fact']}\n" if fact is not None else ""
        parts.append(f"{lead}Q: {ex['question']}\nA: {ex['answer']}")
    lead = f"Fact: {fact}\n" if fact is not None else ""
    parts.append(f"{lead}Q: {question}\nA:")
    return "\n\n".join(parts)


def _greedy_with_probs(logits: np.ndarray, index: int) -> tuple[int, np.ndarray]:
    """The decode loop's pick: the top token, with the distribution at T=1 kept for confidence."""
    return int(np.argmax(logits)), softmax(logits)


def answer(m: SmolLM2, prompt_ids: list[int], max_tokens: int = MAX_ANSWER_TOKENS, k: int = TOP_ALTERNATIVES) -> Answer:
    """SmolLM2's greedy answer after prompt_ids, up to a newline or max_tokens, with p of each token."""
    if not 1 <= max_tokens <= 64:
        raise ValueError(f"max_tokens must be from 1 to 64, got {max_tokens}")
    prompt_ids = m.check_ids(prompt_ids)
    ids: list[int] = []
    probs: list[float] = []
    first_top: list[tuple[int, float]] = []
    for step in decode(m, prompt_ids, max_tokens, _greedy_with_probs):
        token, p = step.token, step.probs
        if step.index == 0:
            top = np.argsort(-p, kind="stable")[:k]  # (k,)
            first_top = [(int(i), float(p[i])) for i in top]
        piece = m.decode([token])
        if token in m.stop_ids or "\n" in piece:
            if step.index == 0 and piece.strip() == "":
                # an empty answer: keep its probability so the confidence is still the model's
                probs.append(float(p[token]))
            break
        ids.append(token)
        probs.append(float(p[token]))
    return Answer(ids=ids, text=m.decode(ids).strip(), probs=probs, first_top=first_top)


def normalize(text: str) -> list[str]:
    """Words of text: accents removed, lower case, punctuation as spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^\w]+", " ", text).split()


def is_correct(given: str, accepted) -> bool:
    """True if any accepted answer appears in `given` as a run of whole words."""
    words = normalize(given)
    for option in accepted:
        want = normalize(option)
        if want and any(words[i : i + len(want)] == want for i in range(len(words) - len(want) + 1)):
            return True
    return False
