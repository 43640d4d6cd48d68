"""Finding the chunks that answer a question: embed, then rank by cosine similarity.

Every chunk becomes a vector once (an index, (N, D)); a question becomes a
vector the same way, and the chunks whose vectors point most nearly the same
way are retrieved:

    cos(q, c) = q.c / (|q| |c|)           (in [-1, 1]; 0 for a zero vector here)

With every row scaled to length 1 beforehand, all N cosines are one
matrix-vector product, and the top k are picked with argpartition. Dense
retrievers such as DPR (Karpukhin et al. 2020, "Dense Passage Retrieval for
Open-Domain Question Answering"), which RAG (Lewis et al. 2020) builds on,
rank by an inner product in the same way, with a trained encoder.

Two embeddings, so they can be compared:

- "tfidf": one dimension per word of the chunks' vocabulary; a word's weight is
  how often it occurs in the text (tf) times idf = ln((1 + N) / (1 + df)) + 1,
  where df counts the chunks containing it (Sparck Jones 1972's inverse
  document frequency, with the smoothing scikit-learn uses by default), then
  scaled to length 1. Rare words like a town's invented name weigh most; a
  question word missing from every chunk counts for nothing.
- "glove": the mean of the GloVe 6B 50-d vectors (Pennington et al. 2014) of
  the text's words, scaled to length 1. It knows that "doctor" is near
  "clinic", which TF-IDF cannot, but a mean of 50-d vectors blurs a chunk's
  words together, and invented names are not in its vocabulary at all.

Left out: trained sentence encoders, approximate nearest-neighbour indexes
(brute force is exact and fast enough for a few hundred chunks), BM25.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from glasslm.engine.applications.chunking import Chunk

EMBEDDINGS = ("tfidf", "glove", "minilm")
MAX_K = 10  # chunks retrieved at most: more would not fit a small model's prompt anyway

_TERM = re.compile(r"[^\W_]+")  # letters and digits of any script


def terms(text: str) -> list[str]:
    """Lower-case words and numbers: the units both embeddings read."""
    return _TERM.findall(text.lower())


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)  # (N, 1)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """cos(a, b) = a.b / (|a| |b|); 0 when either is the zero vector (no shared direction)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0 or nb == 0 else float(np.dot(a, b) / (na * nb))


class Tfidf:
    """TF-IDF over a fixed set of texts (the chunks); queries reuse its vocabulary and idf."""

    name = "tfidf"

    def __init__(self, texts: list[str]):
        docs = [Counter(terms(t)) for t in texts]
        self.vocab = sorted({w for d in docs for w in d})
        self.col = {w: i for i, w in enumerate(self.vocab)}
        df = np.zeros(len(self.vocab))  # (D,) chunks containing each term
        for d in docs:
            df[[self.col[w] for w in d]] += 1
        self.idf = np.log((1 + len(texts)) / (1 + df)) + 1  # (D,)
        self.matrix = unit_rows(np.stack([self._counts(d) for d in docs]) * self.idf) if docs else np.zeros((0, 0))

    def _counts(self, counts: Counter) -> np.ndarray:
        v = np.zeros(len(self.vocab))  # (D,)
        for w, n in counts.items():
            if w in self.col:
                v[self.col[w]] = n
        return v

    def embed(self, text: str) -> np.ndarray:
        """(D,) unit vector of text (zero if none of its words occur in the chunks)."""
        return unit_rows((self._counts(Counter(terms(text))) * self.idf)[None])[0]

    def explain(self, text: str) -> dict:
        words = list(dict.fromkeys(terms(text)))
        return {
            "known": [{"word": w, "weight": float(self.idf[self.col[w]])} for w in words if w in self.col],
            "unknown": [w for w in words if w not in self.col],
            "dimensions": len(self.vocab),
        }


class MeanGlove:
    """The mean of GloVe 6B 50-d word vectors (words outside GloVe's 400,000 are skipped)."""

    name = "glove"

    def __init__(self, texts: list[str]):
        from glasslm.engine.embeddings.glove import glove

        self.glove = glove()
        self.matrix = unit_rows(np.stack([self._mean(t) for t in texts])) if texts else np.zeros((0, 50))

    def _mean(self, text: str) -> np.ndarray:
        rows = [self.glove.index(w) for w in terms(text) if w in self.glove]
        if not rows:
            return np.zeros(self.glove.vectors.shape[1], dtype=np.float32)  # (50,)
        return np.asarray(self.glove.vectors[rows], dtype=np.float64).mean(axis=0)  # (W, 50) -> (50,)

    def embed(self, text: str) -> np.ndarray:
        return unit_rows(self._mean(text)[None])[0]

    def explain(self, text: str) -> dict:
        words = list(dict.fromkeys(terms(text)))
        return {
            "known": [{"word": w} for w in words if w in self.glove],
            "unknown": [w for w in words if w not in self.glove],
            "dimensions": 50,
        }


class Minilm:
    """all-MiniLM-L6-v2 sentence vectors (384-d), run by glasslm's numpy encoder: a transformer
    trained so that texts with the same meaning land close, whatever words they use."""

    name = "minilm"

    def __init__(self, texts: list[str]):
        from glasslm.engine.embeddings.sentence_encoder import sentence_encoder

        self.encoder = sentence_encoder()
        self.matrix = self.encoder.embed_many(texts) if texts else np.zeros((0, self.encoder.dim))

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.embed(text)

    def explain(self, text: str) -> dict:
        tok = self.encoder.tokenizer
        return {"pieces": [tok.vocab[i] for i in tok.encode(text)], "dimensions": self.encoder.dim}


@dataclass(frozen=True)
class Hit:
    rank: int  # 1 = best
    chunk: int  # index into the index's chunks
    score: float  # cosine similarity with the question


@dataclass
class Index:
    """Chunks and their unit vectors (N, D), searchable by cosine similarity."""

    chunks: list[Chunk]
    embedder: Tfidf | MeanGlove | Minilm
    vectors: np.ndarray = field(init=False)  # (N, D) unit rows

    def __post_init__(self):
        self.vectors = self.embedder.matrix

    def scores(self, question: str) -> np.ndarray:
        """(N,) cosine of the question with every chunk: one matrix-vector product."""
        return self.vectors @ self.embedder.embed(question)  # (N, D) @ (D,) -> (N,)

    def search(self, question: str, k: int = 3) -> list[Hit]:
        """The k chunks most similar to the question, best first (ties: earlier chunk first)."""
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be from 1 to {MAX_K}, got {k}")
        s = self.scores(question)  # (N,)
        k = min(k, len(s))
        if k == 0:
            return []
        best = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))  # (k,) unordered
        best = sorted(best.tolist(), key=lambda i: (-s[i], i))  # (k,) best first, stable on ties
        return [Hit(rank=r + 1, chunk=int(i), score=float(s[i])) for r, i in enumerate(best)]


def build_index(chunks: list[Chunk], embedding: str = "tfidf") -> Index:
    if embedding not in EMBEDDINGS:
        raise ValueError(f"embedding must be one of {', '.join(EMBEDDINGS)}, got {embedding!r}")
    texts = [c.text for c in chunks]
    return Index(chunks, {"tfidf": Tfidf, "glove": MeanGlove, "minilm": Minilm}[embedding](texts))


def document_hit_rates(index: Index, questions: list[tuple[str, str]], ks: tuple[int, ...] = (1, 3)) -> dict:
    """How often the chunks retrieved for each question include one from the document that answers it.

    questions: (question, title of the answering document). Returns {"hit_at": {k: share}, "ranks":
    [rank of the first right chunk, or None if not in the top MAX_K]}.
    """
    ranks = []
    for question, title in questions:
        hits = index.search(question, min(MAX_K, len(index.chunks)))
        ranks.append(next((h.rank for h in hits if index.chunks[h.chunk].title == title), None))
    return {"hit_at": {k: sum(r is not None and r <= k for r in ranks) / len(ranks) for k in ks}, "ranks": ranks}
