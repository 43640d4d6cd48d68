"""The bigram model: the baseline a tiny GPT has to beat.

A bigram model predicts the next character from the current one only, by
counting: P(b | a) = (count(a -> b) + alpha) / (count(a -> anything) + alpha * V).
The counts come from the same training documents, framed the same way
([BOS] + characters + [BOS]), so its held-out loss is measured on exactly the
predictions the GPT is scored on. `alpha` (add-alpha, "Laplace" smoothing when
1) keeps unseen pairs from having probability zero, which would make the loss
infinite.

A GPT that cannot beat this has learned nothing beyond pair statistics: every
bit of loss below the bigram line is context the attention is using.
Left out on purpose: longer n-grams and backoff.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from glasslm.engine.tokenizers.chars import CharTokenizer

DEFAULT_ALPHA = 1.0  # add-one smoothing: the textbook default, good enough on 27 symbols


def doc_pairs(docs: Iterable[str], tokenizer: CharTokenizer, block_size: int | None = None) -> np.ndarray:
    """(P, 2) array of (current, next) ids; with block_size, only the first
    block_size predictions of each document (what the GPT sees)."""
    pairs = []
    for d in docs:
        ids = tokenizer.encode_doc(d)
        if block_size is not None:
            ids = ids[: block_size + 1]
        pairs.extend(zip(ids[:-1], ids[1:]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


class Bigram:
    """Counts of (current, next) character pairs, turned into probabilities."""

    def __init__(self, tokenizer: CharTokenizer, alpha: float = DEFAULT_ALPHA):
        if not (np.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha must be a positive number, got {alpha!r}")
        self.tokenizer = tokenizer
        self.alpha = float(alpha)
        V = tokenizer.vocab_size
        self.counts = np.zeros((V, V), dtype=np.int64)  # (V, V): row = current, column = next

    def fit(self, docs: Iterable[str], block_size: int | None = None) -> "Bigram":
        pairs = doc_pairs(docs, self.tokenizer, block_size)
        np.add.at(self.counts, (pairs[:, 0], pairs[:, 1]), 1)
        return self

    @property
    def probs(self) -> np.ndarray:
        """(V, V) P(next | current); every row sums to 1."""
        c = self.counts + self.alpha
        return c / c.sum(axis=1, keepdims=True)

    def loss(self, docs: Iterable[str], block_size: int | None = None) -> float:
        """Mean negative log-likelihood (nats per predicted character)."""
        pairs = doc_pairs(docs, self.tokenizer, block_size)
        if len(pairs) == 0:
            raise ValueError("no documents to measure the loss on")
        return float(-np.log(self.probs[pairs[:, 0], pairs[:, 1]]).mean())


def bigram_baseline(
    train: list[str],
    heldout: list[str],
    tokenizer: CharTokenizer,
    block_size: int | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> float:
    """Held-out loss of a bigram model counted on the training documents."""
    return Bigram(tokenizer, alpha).fit(train, block_size).loss(heldout, block_size)
