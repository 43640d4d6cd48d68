"""Critique and revise: a model improving its own answer against a written principle.

Constitutional AI (Bai et al. 2022, "Constitutional AI: Harmlessness from AI
Feedback", section 3.1) replaces some human feedback with a list of written
principles. In its supervised stage the model writes an answer, is asked to
critique that answer against a principle, then to revise the answer in the
light of the critique; the revisions become fine-tuning data. This file runs
one round of that loop with SmolLM2, three ordinary chat turns:

    draft     the user's question, answered as usual
    critique  "here is a question, an answer and a principle: how does the
              answer fall short of the principle?"
    revision  "rewrite the answer so that it follows the principle, using
              the critique"

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
    """The one-turn conversation that asks SmolLM2 for `stage` (user message only)."""
    if stage == "draft":
        content = question
    elif stage == "critique":
        content = (f"Question: {question}\nAnswer: {draft}\n\nPrinciple: {principle}\n\n"
                   "In one or two sentences, say how the answer falls short of the principle.")
    elif stage == "revision":
        content = (f"Question: {question}\nAnswer: {draft}\nCritique: {critique}\n\n"
                   f"Rewrite the answer so that it follows this principle: {principle}\n"
                   "Reply with the new answer only.")
    else:
        raise ValueError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    return [{"role": "user", "content": content}]


@dataclass(frozen=True)
class LoopConfig:
    max_new_tokens: int = MAX_NEW_TOKENS  # per stage
    temperature: float = 0.0  # greedy by default: the same question gives the same loop
    seed: int = 0  # used when temperature > 0


def critique_loop(m, question: str, principle: str = DEFAULT_PRINCIPLE, config: LoopConfig | None = None):
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
        for event in m.generate(ids, max_tokens=cfg.max_new_tokens, temperature=cfg.temperature, seed=cfg.seed):
            pieces.append(event.text)
            yield {"type": "token", "stage": stage, "text": event.text}
        text = "".join(pieces).strip()
        texts[stage] = text
        yield {"type": "stage_done", "stage": stage, "text": text, "tokens": len(pieces),
               "ended": len(pieces) < cfg.max_new_tokens}
