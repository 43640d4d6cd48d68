"""Contextual embeddings: one word's hidden state in different sentences, layer by layer.

What this file is: GloVe (``glove.py``) gives a word one vector whatever the
sentence. A transformer starts the same way (its embedding table is layer 0),
then every block adds information from the other tokens, so the hidden state
of the same word drifts with its context. This file finds the word in each
sentence, runs the model once per sentence with its residual stream recorded,
and compares the word's hidden states by cosine at every layer.

Two comparisons are returned:
- raw: cos(h_a[l], h_b[l]) of the residual stream itself;
- centred: the same after subtracting, per layer, the mean hidden state of all
  the sentences' tokens except each sentence's first. Llama-style models keep
  a few very large components shared by nearly every token (and a first token
  with a huge norm, which is why it is left out of the mean); they make raw
  cosines high for any pair, and centring removes that shared part (the
  "anisotropy" of contextual embeddings; Ethayarajh 2019, "How Contextual are
  Contextualized Word Representations?").

The word's hidden state is that of its last token: in a causal model only
the last token of a word has seen the whole word.

What it leaves out: the model itself (``smollm2.py``; any object with
``encode``, ``tokenizer.encode_pieces`` and ``trace(ids, attention=False,
residual=True).residuals`` works), and averaging over many sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2


def find_word(sentence: str, word: str) -> re.Match | None:
    """The first whole-word, case-insensitive occurrence of ``word`` in ``sentence``."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, flags=re.IGNORECASE)


def word_last_token(tokenizer, sentence: str, word: str) -> tuple[int, list[bytes]]:
    """Position of the last token overlapping ``word`` in ``sentence``, and the word's token pieces.

    Raises ValueError if the word does not occur as a whole word.
    """
    m = find_word(sentence, word)
    if m is None:
        raise ValueError(f"“{word}” does not appear as a word in “{sentence[:60]}”")
    start, end = len(sentence[: m.start()].encode()), len(sentence[: m.end()].encode())  # byte span
    pos, last, pieces = 0, None, []
    for i, (_, data) in enumerate(tokenizer.encode_pieces(sentence)):
        if pos < end and pos + len(data) > start:
            last = i
            pieces.append(data)
        pos += len(data)
    return last, pieces


def layer_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(L+1,) cosine of a[l] and b[l] at every layer; a, b: (L+1, C)."""
    num = (a * b).sum(axis=1)  # (L+1,)
    return num / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)


@dataclass(frozen=True)
class ContextComparison:
    positions: list[int]  # the word's last token in each sentence
    pieces: list[list[bytes]]  # the word's tokens in each sentence
    pairs: list[tuple[int, int]]  # which sentences each curve compares
    raw: list[np.ndarray]  # per pair: (L+1,) cosines of the hidden states
    centred: list[np.ndarray]  # per pair: (L+1,) cosines after removing the per-layer mean


def compare_in_context(model: SmolLM2, word: str, sentences: list[str]) -> ContextComparison:
    """The word's hidden state in each sentence, compared pairwise at every layer."""
    if len(sentences) < 2:
        raise ValueError("give at least two sentences to compare")
    states, others, positions, pieces = [], [], [], []
    for s in sentences:
        at, word_pieces = word_last_token(model.tokenizer, s, word)
        residuals = np.stack(model.trace(model.encode(s), attention=False, residual=True).residuals)  # (L+1, T, C)
        states.append(residuals[:, at])  # (L+1, C)
        others.append(residuals[:, 1:])  # (L+1, T-1, C): all but the first token
        positions.append(at)
        pieces.append(word_pieces)
    centre = np.concatenate(others, axis=1).mean(axis=1)  # (L+1, C)
    pairs = [(i, j) for i in range(len(states)) for j in range(i + 1, len(states))]
    raw = [layer_cosines(states[i], states[j]) for i, j in pairs]
    centred = [layer_cosines(states[i] - centre, states[j] - centre) for i, j in pairs]
    return ContextComparison(positions, pieces, pairs, raw, centred)
