"""word2vec: word vectors learned by predicting a word's neighbours (Mikolov et al. 2013).

GloVe's vectors (glove.py) were fitted to a table of co-occurrence counts over
6 billion tokens. word2vec's skip-gram reaches similar vectors by a simpler
route, one (word, neighbour) pair at a time: each word w has an input vector
v_w and an output vector u_w, and for a word c seen with a neighbour o within a
window, training raises sigma(u_o . v_c) towards 1 and, for k "negative" words
n drawn at random, lowers sigma(u_n . v_c) towards 0 (skip-gram with negative
sampling, "Distributed Representations of Words and Phrases", Mikolov et al.
2013b):

    loss(c, o) = -log sigma(u_o . v_c) - sum_k log sigma(-u_nk . v_c)

Negatives are drawn in proportion to count^0.75 (the paper's choice), and very
frequent words are dropped from the text at random with probability
1 - sqrt(t / frequency) so that "the" does not dominate. Words that share
neighbours get pushed towards the same output vectors, so their input vectors
end up close: the input vectors are the word vectors.

The corpus here is small and real: Python's own documentation topics, shipped
with every Python (pydoc_data), and this guide's prose, about 100,000 words.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_EPOCHS = 10
MAX_DIM = 100
MAX_WATCH = 8
MIN_COUNT = 5  # rarer words have too few pairs to learn from


@dataclass(frozen=True)
class Word2VecConfig:
    dim: int = 32  # small vectors train fast; GloVe's here have 50
    window: int = 4  # neighbours on each side
    negatives: int = 5  # Mikolov et al. recommend 5-20 for small data
    epochs: int = 3
    lr: float = 0.05  # decays linearly to 0 over the run, as in the original code
    batch: int = 512  # (centre, neighbour) pairs per update
    subsample: float = 1e-3  # t in the frequent-word drop probability
    seed: int = 0

    def validate(self) -> "Word2VecConfig":
        for name, value, low, high in (
            ("dim", self.dim, 2, MAX_DIM),
            ("window", self.window, 1, 10),
            ("negatives", self.negatives, 1, 20),
            ("epochs", self.epochs, 1, MAX_EPOCHS),
            ("batch", self.batch, 1, 8192),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr <= 1):
            raise ValueError(f"lr must be a number above 0 and at most 1, got {self.lr!r}")
        return self


def corpus_words() -> list[str]:
    """Python's documentation topics and this guide's chapters, as lowercase words."""
    import pydoc_data.topics

    chapters = Path(__file__).resolve().parents[2] / "chapters"
    text = " ".join(pydoc_data.topics.topics.values())
    text += " ".join(p.read_text(encoding="utf-8") for p in sorted(chapters.glob("*/chapter.md")))
    return re.findall(r"[a-z]+", text.lower())


class Vocab:
    def __init__(self, words: list[str], min_count: int = MIN_COUNT):
        counts = Counter(words)
        self.words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        self.ids = {w: i for i, w in enumerate(self.words)}
        self.counts = np.array([counts[w] for w in self.words], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, words: list[str]) -> np.ndarray:
        return np.array([self.ids[w] for w in words if w in self.ids], dtype=np.int64)


def sgns_loss_and_grads(
    v_in: np.ndarray, u_out: np.ndarray, centres: np.ndarray, contexts: np.ndarray, negatives: np.ndarray
):
    """Mean skip-gram negative-sampling loss over a batch, and its gradients.

    v_in, u_out (V, d); centres, contexts (B,); negatives (B, k).
    Returns (loss, grad_v (B, d) per centre row, grad_u_pos (B, d), grad_u_neg (B, k, d)).
    """
    v = v_in[centres]  # (B, d)
    up, un = u_out[contexts], u_out[negatives]  # (B, d), (B, k, d)
    sp = np.einsum("bd,bd->b", up, v)  # (B,) scores of the true neighbours
    sn = np.einsum("bkd,bd->bk", un, v)  # (B, k) scores of the negatives
    B = len(centres)
    # -log sigma(x) = log(1 + e^-x), computed stably with logaddexp
    loss = (np.logaddexp(0, -sp).sum() + np.logaddexp(0, sn).sum()) / B
    gp = (1 / (1 + np.exp(-sp)) - 1) / B  # d loss / d sp: sigma(sp) - 1
    gn = (1 / (1 + np.exp(-sn))) / B  # d loss / d sn: sigma(sn)
    grad_v = gp[:, None] * up + np.einsum("bk,bkd->bd", gn, un)
    return float(loss), grad_v, gp[:, None] * v, gn[:, :, None] * v[:, None, :]


def pairs(ids: np.ndarray, window: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(centre, neighbour) pairs with a window drawn per centre from 1..window (nearer words count more)."""
    reach = rng.integers(1, window + 1, len(ids))  # (T,)
    centres, contexts = [], []
    for off in range(1, window + 1):
        keep = reach[: len(ids) - off] >= off  # centre i pairs with i+off
        centres += [ids[:-off][keep], ids[off:][reach[off:] >= off]]
        contexts += [ids[off:][keep], ids[:-off][reach[off:] >= off]]
    return np.concatenate(centres), np.concatenate(contexts)


class Word2Vec:
    def __init__(self, vocab: Vocab, dim: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.vocab = vocab
        self.v_in = ((rng.random((len(vocab), dim)) - 0.5) / dim).astype(np.float32)  # as the original code
        self.u_out = np.zeros((len(vocab), dim), dtype=np.float32)

    def neighbours(self, word: str, k: int = 6) -> list[tuple[str, float]]:
        if word not in self.vocab.ids:
            raise ValueError(f"“{word}” is not among the {len(self.vocab):,} words seen at least {MIN_COUNT} times")
        unit = self.v_in / np.maximum(np.linalg.norm(self.v_in, axis=1, keepdims=True), 1e-8)
        i = self.vocab.ids[word]
        sims = unit @ unit[i]
        sims[i] = -np.inf
        top = np.argsort(-sims)[:k]
        return [(self.vocab.words[j], float(sims[j])) for j in top]


def check_watch(vocab: Vocab, watch: tuple[str, ...]) -> None:
    """Refuse a word to watch that the vocabulary lacks (ValueError saying which and what to pick)."""
    missing = [w for w in watch if w not in vocab.ids]
    if missing:
        raise ValueError(
            f"“{missing[0]}” is too rare in the corpus (seen fewer than {MIN_COUNT} times): "
            "pick a word such as list, string, error, function or file"
        )


def train_word2vec(
    config: Word2VecConfig | None = None,
    watch: tuple[str, ...] = ("list", "error"),
    words: list[str] | None = None,
    report_every: int = 100,
):
    """Train skip-gram with negative sampling, yielding events:
    start {vocab, tokens, pairs_per_epoch, steps}, step {step, loss, lr} (every report_every),
    neighbours {step, words: {word: [[neighbour, cosine], ...]}}, done {step, loss, seconds, model}."""
    cfg = (config or Word2VecConfig()).validate()
    words = corpus_words() if words is None else words
    vocab = Vocab(words)
    check_watch(vocab, watch)
    rng = np.random.default_rng(cfg.seed)
    model = Word2Vec(vocab, cfg.dim, cfg.seed)
    ids = vocab.encode(words)
    freq = vocab.counts / vocab.counts.sum()
    keep_p = np.minimum(1.0, np.sqrt(cfg.subsample / freq))  # drop frequent words at random
    noise = vocab.counts**0.75
    noise_cdf = np.cumsum(noise / noise.sum())
    est_pairs = int(len(ids) * keep_p[ids].mean() * (cfg.window + 1))
    steps = cfg.epochs * max(1, est_pairs // cfg.batch)
    yield {
        "type": "start",
        "vocab": len(vocab),
        "tokens": int(len(ids)),
        "pairs_per_epoch": est_pairs,
        "steps": steps,
        "config": cfg.__dict__,
    }

    def snapshot(step):
        return {"type": "neighbours", "step": step, "words": {w: model.neighbours(w) for w in watch}}

    yield snapshot(0)
    began, step, recent = time.perf_counter(), 0, []
    for _ in range(cfg.epochs):
        kept = ids[rng.random(len(ids)) < keep_p[ids]]
        centres, contexts = pairs(kept, cfg.window, rng)
        order = rng.permutation(len(centres))
        for lo in range(0, len(order) - cfg.batch + 1, cfg.batch):
            if step >= steps:
                break
            b = order[lo : lo + cfg.batch]
            c, o = centres[b], contexts[b]
            neg = np.searchsorted(noise_cdf, rng.random((len(b), cfg.negatives)))  # (B, k)
            loss, gv, gup, gun = sgns_loss_and_grads(model.v_in, model.u_out, c, o, neg)
            lr = cfg.lr * max(1e-4, 1 - step / steps) * len(b)  # per-pair step size, as plain SGD per pair
            np.add.at(model.v_in, c, -lr * gv)
            np.add.at(model.u_out, o, -lr * gup)
            np.add.at(model.u_out, neg.reshape(-1), -lr * gun.reshape(-1, cfg.dim))
            step += 1
            recent.append(loss)
            if step % report_every == 0:
                yield {"type": "step", "step": step, "steps": steps, "loss": float(np.mean(recent)), "lr": lr / len(b)}
                recent = []
            if step % (report_every * 5) == 0:
                yield snapshot(step)
    yield snapshot(step)
    yield {"type": "done", "step": step, "seconds": time.perf_counter() - began, "model": model}
