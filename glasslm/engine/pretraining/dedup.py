"""Finding duplicate documents: exact ones by hashing, near ones with MinHash.

What this file is: the two de-duplication steps of a pretraining pipeline, on
a corpus small enough to check by eye.

- Exact duplicates: each document is normalized (Unicode NFKC, case-folded,
  punctuation dropped, runs of whitespace made one space) and hashed with
  SHA-256; documents with equal hashes are copies, and all but the first are
  dropped.
- Near duplicates: a document becomes the set of its k-word shingles (every run
  of k consecutive words). Two documents are as similar as the Jaccard
  similarity of their sets, |A ∩ B| / |A ∪ B|. MinHash (Broder 1997, "On the
  resemblance and containment of documents") estimates it without comparing
  the sets: for a random hash function h, the probability that
  min h(A) = min h(B) is exactly J(A, B). With K independent hash functions
  the signature is the K minima, and the fraction of positions where two
  signatures agree estimates J with standard error sqrt(J (1 - J) / K).
- LSH banding (Indyk & Motwani 1998; the banding form as in Leskovec,
  Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3): cut each signature
  into b bands of r rows; documents that agree on a whole band become
  candidate pairs. A pair of similarity s becomes a candidate with probability
  1 - (1 - s^r)^b, so at web scale only candidates need comparing.

The hash functions are h_i(x) = (a_i x + b_i) mod p over a hash x of the
shingle (BLAKE2b reduced mod p, so the same text gives the same signature in
every process), with p = 2^31 - 1, a Mersenne prime, and a_i, b_i drawn
uniformly below p: a_i x + b_i stays below 2^62, so numpy's uint64 never
wraps. (a_i must range over all of [1, p): with small a_i, the map would
barely wrap around p, every h_i would order shingles almost as x does, and
the estimate would be biased upwards; the tests caught exactly that.)

Left out on purpose: suffix-array substring de-duplication (Lee et al. 2022),
fuzzy matching below the word level, and any index that scales past memory.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

MERSENNE_P = np.uint64((1 << 31) - 1)  # the prime modulus of the hash family
MAX_HASH = np.uint64(1 << 31)  # larger than any hash value: the min of an empty set
MAX_PERMUTATIONS = 1024  # signature length: beyond this the estimate hardly improves (error ~ 1/sqrt(K))
MAX_SHINGLE = 10  # words per shingle; longer ones make near-copies look unrelated

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """The text as compared: NFKC, case-folded, words only, single spaces."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def text_hash(text: str) -> str:
    """SHA-256 (hex) of the normalized text: equal for documents that differ only in case, spacing, punctuation."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def exact_duplicates(docs: list[str]) -> list[int | None]:
    """For each document, the index of the first earlier document with the same hash (None if it is the first)."""
    first: dict[str, int] = {}
    out: list[int | None] = []
    for i, d in enumerate(docs):
        key = text_hash(d)
        out.append(first.get(key))
        first.setdefault(key, i)
    return out


def shingles(text: str, k: int = 3) -> set[str]:
    """The set of k-word shingles of the normalized text (the whole text if it has fewer than k words)."""
    if not 1 <= k <= MAX_SHINGLE:
        raise ValueError(f"shingle size must be from 1 to {MAX_SHINGLE} words, got {k}")
    words = normalize(text).split()
    if len(words) <= k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set, b: set) -> float:
    """|A ∩ B| / |A ∪ B|, exactly (1.0 for two empty sets: nothing tells them apart)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def shingle_hashes(sh: set[str]) -> np.ndarray:
    """BLAKE2b hash of each shingle reduced mod p, (S,) uint64 below 2^31 - 1."""
    p = int(MERSENNE_P)
    return np.array(
        [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little") % p for s in sorted(sh)],
        dtype=np.uint64,
    )


@dataclass(frozen=True)
class MinHasher:
    """K hash functions h_i(x) = (a_i x + b_i) mod p, drawn once from a seed."""

    a: np.ndarray  # (K,) uint64 in [1, p)
    b: np.ndarray  # (K,) uint64 in [0, p)

    @classmethod
    def create(cls, num_perm: int = 128, seed: int = 1) -> "MinHasher":
        if not 1 <= num_perm <= MAX_PERMUTATIONS:
            raise ValueError(f"the number of hash functions must be from 1 to {MAX_PERMUTATIONS}, got {num_perm}")
        rng = np.random.default_rng(seed)
        a = rng.integers(1, MERSENNE_P, size=num_perm, dtype=np.uint64)
        b = rng.integers(0, MERSENNE_P, size=num_perm, dtype=np.uint64)
        return cls(a, b)

    @property
    def num_perm(self) -> int:
        return len(self.a)

    def signature(self, sh: set[str]) -> np.ndarray:
        """(K,) the minimum of each hash function over the shingles."""
        x = shingle_hashes(sh)  # (S,)
        if len(x) == 0:
            return np.full(self.num_perm, MAX_HASH, dtype=np.uint64)
        values = (x[:, None] * self.a[None, :] + self.b[None, :]) % MERSENNE_P  # (S, K); a x + b < 2^62: no wrap
        return values.min(axis=0)  # (K,)


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """The fraction of signature positions that agree: MinHash's estimate of J."""
    if sig_a.shape != sig_b.shape:
        raise ValueError(f"signatures of different lengths ({len(sig_a)} and {len(sig_b)}) cannot be compared")
    return float(np.mean(sig_a == sig_b))


def lsh_candidates(signatures: np.ndarray, bands: int) -> set[tuple[int, int]]:
    """Pairs (i < j) whose signatures agree on at least one whole band; signatures (n, K), K divisible by bands."""
    n, k = signatures.shape
    if bands < 1 or k % bands:
        raise ValueError(f"{k} hash functions cannot be cut into {bands} equal bands: pick a divisor of {k}")
    rows = k // bands
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = {}
        for i in range(n):
            buckets.setdefault(signatures[i, band * rows : (band + 1) * rows].tobytes(), []).append(i)
        for members in buckets.values():
            pairs.update((p, q) for x, p in enumerate(members) for q in members[x + 1 :])
    return pairs


def candidate_probability(s: float, rows: int, bands: int) -> float:
    """Chance that a pair of Jaccard similarity s shares at least one band: 1 - (1 - s^r)^b."""
    return 1.0 - (1.0 - s**rows) ** bands


@dataclass(frozen=True)
class NearPair:
    i: int
    j: int
    estimated: float  # MinHash estimate of the Jaccard similarity
    exact: float  # the true Jaccard similarity of the shingle sets
    candidate: bool  # found by LSH banding


def near_duplicates(
    docs: list[str], k: int = 3, num_perm: int = 128, bands: int = 32, threshold: float = 0.5, seed: int = 1
) -> tuple[list[NearPair], list[int | None]]:
    """Pairs whose estimated similarity reaches the threshold, and for each document the
    earlier document it nearly copies (None if none): the first of each group is kept.

    Every pair's estimate is computed (a few dozen documents make a few hundred
    pairs); `candidate` says whether LSH banding alone would have found it.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"the similarity threshold must be between 0 and 1, got {threshold}")
    hasher = MinHasher.create(num_perm, seed)
    sets = [shingles(d, k) for d in docs]
    sigs = np.stack([hasher.signature(s) for s in sets]) if docs else np.zeros((0, num_perm), np.uint64)  # (n, K)
    candidates = lsh_candidates(sigs, bands) if docs else set()
    pairs: list[NearPair] = []
    copy_of: list[int | None] = [None] * len(docs)
    for j in range(len(docs)):
        for i in range(j):
            est = estimate_jaccard(sigs[i], sigs[j])
            if est >= threshold:
                pairs.append(NearPair(i, j, est, jaccard(sets[i], sets[j]), (i, j) in candidates))
                if copy_of[j] is None:
                    copy_of[j] = copy_of[i] if copy_of[i] is not None else i
    return pairs, copy_of
