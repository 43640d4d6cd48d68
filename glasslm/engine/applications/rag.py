"""Retrieval-augmented generation: the retrieved chunks put into the prompt, then the model answers.

RAG (Lewis et al. 2020, "Retrieval-Augmented Generation for
Knowledge-Intensive NLP Tasks") gives a model facts it never saw in training
by retrieving passages and conditioning the answer on them. Lewis et al.
trained the retriever and generator together and marginalised over passages;
the form used everywhere today, and here, is simpler: paste the top-k
passages into the prompt as text and let an instruction-tuned model read
them ("in-context" retrieval augmentation, Ram et al. 2023, "In-Context
Retrieval-Augmented Language Models").

This file builds the two chat prompts the chapter compares, with retrieval
and without, as ChatML messages for SmolLM2, and streams an answer to each
(greedy, so a run can be repeated exactly). Retrieval itself is in
retrieval.py, chunking in chunking.py.

Left out: re-ranking, citing sources in the answer, query rewriting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from glasslm.engine.applications.chunking import Chunk
from glasslm.engine.basics.sampling import GREEDY

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_NEW_TOKENS = 64  # an answer of a sentence or two: about 3 s of decoding on 2 cores
MAX_PROMPT_TOKENS = 1024  # chunks + question + template: a prefill of about 2 s at most

RAG_SYSTEM = (
    "You answer questions using only the context the user gives you. "
    "If the context does not contain the answer, say that you do not know."
)


@dataclass(frozen=True)
class AnswerEvent:
    mode: str  # "with" retrieval or "without"
    token_id: int
    text: str  # the text this token adds


def context_block(chunks: list[Chunk]) -> str:
    """The retrieved chunks as numbered passages, each with its document's title."""
    return "\n\n".join(f"[{n}] {c.title}: {c.text}" for n, c in enumerate(chunks, 1))


def rag_messages(question: str, chunks: list[Chunk], system: str = RAG_SYSTEM) -> list[dict]:
    """The chat with retrieval: the passages first, then the question (the model reads them in order)."""
    user = f"Context:\n{context_block(chunks)}\n\nQuestion: {question.strip()}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def plain_messages(question: str) -> list[dict]:
    """The same question with no context and the model's own default system prompt."""
    return [{"role": "user", "content": question.strip()}]


def answer(
    m: SmolLM2, ids: list[int], max_new_tokens: int = MAX_NEW_TOKENS, mode: str = "with"
) -> Iterator[AnswerEvent]:
    """SmolLM2's greedy answer to a prompt of token ids, token by token, until <|im_end|>."""
    if len(ids) > MAX_PROMPT_TOKENS:
        raise ValueError(
            f"the prompt is {len(ids)} tokens, more than the limit of {MAX_PROMPT_TOKENS}: "
            "retrieve fewer or smaller chunks"
        )
    if not 1 <= max_new_tokens <= MAX_NEW_TOKENS:
        raise ValueError(f"max_new_tokens must be from 1 to {MAX_NEW_TOKENS}, got {max_new_tokens}")
    for event in m.generate(ids, max_tokens=max_new_tokens, settings=GREEDY):
        yield AnswerEvent(mode, event.token_id, event.text)
