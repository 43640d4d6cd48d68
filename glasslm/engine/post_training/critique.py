"""Critique and revise: a model improving its own answer against a written principle.

Constitutional AI (Bai et al. 2022, "Constitutional AI: Harmlessness from AI
Feedback", section 3.1) replaces some human feedback with a list of written
principles. In its supervised stage the model writes an answer, is asked to
critique that answer against a principle, then to revise the answer in the
light of the critique; the revisions become fine-tuning data. This file runs
one round of that loop with SmolLM2, three ordinary chat turns:

    draft     the user's question, answered as usual
    critique  "you are a reviewer; here are a principle, a question and an
              answer: point out one way the answer breaks the principle"
    revision  "you rewrite answers; here are the principle, the answer and
              the critique: write a better answer"

Each stage is a separate conversation built with the model's chat template
(chat_template.py) and generated with SmolLM2.generate, streamed token by
token. The prompts are this guide's own wording, not the paper's.

Left out: fine-tuning on the revisions (the paper's next step), several
rounds, sampling principles at random from a list, the RL stage (RLAIF).
A 135-million-parameter model follows such prompts only loosely: the
chapter shows what it does, not what a large model would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from glasslm.engine.basics.sampling import SamplingConfig

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

STAGES = ("draft", "critique", "revision")
DEFAULT_PRINCIPLE = "Be honest: do not state things as facts unless you are sure, and say when you are unsure."
MAX_QUESTION_CHARS = 500  # a question, not a document
MAX_PRINCIPLE_CHARS = 300  # one principle, a sentence or two
MAX_NEW_TOKENS = 60  # per stage: three stages of a few seconds each on a laptop


def check_text(text: str, what: str, limit: int) -> str:
    """text stripped, or ValueError if it is blank or longer than limit characters."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the {what} is empty: type a few words")
    if len(text) > limit:
        raise ValueError(f"the {what} is {len(text):,} characters long; the limit is {limit:,}")
    return text.strip()


def stage_messages(stage: str, question: str, principle: str, draft: str = "", critique: str = "") -> list[dict]:
    """The conversation that asks SmolLM2 for `stage`.

    The critique and the revision get a system message naming the model's job
    and the principle first: measured with SmolLM2-135M, a bare user message
    asking for a critique mostly made it repeat the draft.
    """
    if stage == "draft":
        return [{"role": "user", "content": question}]
    if stage == "critique":
        system = "You are a careful reviewer. You check answers against a principle."
        content = (
            f"Principle: {principle}\n\nQuestion: {question}\nAnswer: {draft}\n\n"
            "Does the answer follow the principle? Point out one problem in one sentence."
        )
    elif stage == "revision":
        system = "You rewrite answers so that they follow a principle."
        content = (
            f"Principle: {principle}\n\nQuestion: {question}\nAnswer: {draft}\nCritique: {critique}\n\n"
            "Write a better answer that follows the principle. Reply with the new answer only."
        )
    else:
        raise ValueError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


@dataclass(frozen=True)
class LoopConfig:
    max_new_tokens: int = MAX_NEW_TOKENS  # per stage
    temperature: float = 0.7  # sampled: greedy decoding of a 135M model often loops on one word
    top_p: float = 0.9  # cut the unlikely tail, which is where sampling goes off the rails
    seed: int = 0  # the same seed and text give the same loop


def critique_loop(m: SmolLM2, question: str, principle: str = DEFAULT_PRINCIPLE, config: LoopConfig | None = None):
    """Run draft -> critique -> revision with SmolLM2 `m`, yielding events as tokens arrive.

    {"type": "stage", stage, prompt_tokens}  a stage begins (its prompt's length)
    {"type": "token", stage, text}            one generated token's text
    {"type": "stage_done", stage, text, tokens, ended}  ended: it chose <|im_end|> (else hit the limit)
    """
    cfg = config or LoopConfig()
    question = check_text(question, "question", MAX_QUESTION_CHARS)
    principle = check_text(principle, "principle", MAX_PRINCIPLE_CHARS)
    if isinstance(cfg.max_new_tokens, bool) or not 1 <= cfg.max_new_tokens <= MAX_NEW_TOKENS:
        raise ValueError(f"max_new_tokens must be from 1 to {MAX_NEW_TOKENS}, got {cfg.max_new_tokens!r}")
    texts = {"draft": "", "critique": ""}
    for stage in STAGES:
        ids = m.chat_ids(stage_messages(stage, question, principle, texts["draft"], texts["critique"]))
        yield {"type": "stage", "stage": stage, "prompt_tokens": len(ids)}
        pieces = []
        for event in m.generate(
            ids,
            max_tokens=cfg.max_new_tokens,
            settings=SamplingConfig(temperature=cfg.temperature, top_p=cfg.top_p),
            seed=cfg.seed,
        ):
            pieces.append(event.text)
            yield {"type": "token", "stage": stage, "text": event.text}
        text = "".join(pieces).strip()
        texts[stage] = text
        yield {
            "type": "stage_done",
            "stage": stage,
            "text": text,
            "tokens": len(pieces),
            "ended": len(pieces) < cfg.max_new_tokens,
        }
