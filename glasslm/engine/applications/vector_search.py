"""Approximate nearest-neighbour search: finding the closest of 400,000 vectors without comparing them all.

The exact answer is one matrix-vector product and a top-k (glove.py does that in
a few milliseconds for 400,000 words). A real vector database holds millions or
billions of vectors, where even that is too slow, so it trades a little recall
for speed with an index. Here the index is an IVF ("inverted file") index from
faiss (Johnson, Douze & Jégou 2019, "Billion-scale similarity search with GPUs";
Jégou et al. 2011 for the IVF idea): k-means splits the vectors into `nlist`
clusters, each vector is filed under its nearest centroid, and a query compares
itself with the centroids, then only with the vectors of the `nprobe` closest
clusters. With nprobe = nlist it is exact again; with nprobe = 1 it reads about
1/nlist of the data and misses neighbours that sit just over a cluster border.

faiss because its exact (Flat) and approximate (IVF, HNSW, product quantisation)
indexes share one API and one data layout, so the same vectors are searched
both ways, and because IVF's two knobs map to a picture a learner can hold:
clusters, and how many of them to open. Recall@k is the share of the exact top
k that the index also returns.
"""

from __future__ import annotations

import time

import numpy as np

NLISTS = (64, 256, 1024)
MAX_NPROBE = 256
TRAIN_SAMPLE = 40_000  # vectors k-means is trained on (faiss's own default is 39 per centroid at most 256 each)


def exact_top_k(X: np.ndarray, Q: np.ndarray, k: int) -> np.ndarray:
    """(n_queries, k) indices of the largest inner products: the brute-force answer, in numpy."""
    scores = Q @ X.T  # (n, N)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def build_ivf(X: np.ndarray, nlist: int, seed: int = 0):
    """A faiss IVF-Flat inner-product index over X (N, d) float32 unit rows, k-means on a sample."""
    import faiss

    if nlist not in NLISTS:
        raise ValueError(f"nlist must be one of {', '.join(map(str, NLISTS))}, got {nlist!r}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    quantizer = faiss.IndexFlatIP(X.shape[1])
    index = faiss.IndexIVFFlat(quantizer, X.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(seed).choice(len(X), min(TRAIN_SAMPLE, len(X)), replace=False)
    index.train(X[np.sort(sample)])
    index.add(X)
    return index


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean over queries of |found ∩ exact| / k."""
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found.tolist(), exact.tolist())]))


def measure(index, X: np.ndarray, queries: np.ndarray, nprobe: int, k: int = 10) -> dict:
    """Recall@k of the index at this nprobe against the exact answer, and milliseconds per query both ways."""
    if not (isinstance(nprobe, int) and 1 <= nprobe <= min(MAX_NPROBE, index.nlist)):
        raise ValueError(f"nprobe must be a whole number from 1 to {min(MAX_NPROBE, index.nlist)}, got {nprobe!r}")
    Q = np.ascontiguousarray(X[queries], dtype=np.float32)
    t0 = time.perf_counter()
    exact = exact_top_k(X, Q, k + 1)[:, 1:]  # each query word is its own nearest: leave it out
    t_exact = time.perf_counter() - t0
    index.nprobe = nprobe
    t0 = time.perf_counter()
    _, found = index.search(Q, k + 1)
    t_ivf = time.perf_counter() - t0
    found = np.array([[j for j in row if j != q][:k] for row, q in zip(found.tolist(), queries.tolist())])
    return {
        "recall": recall_at_k(found, exact),
        "exact_ms_per_query": 1000 * t_exact / len(queries),
        "ivf_ms_per_query": 1000 * t_ivf / len(queries),
        "share_scanned": nprobe / index.nlist,
        "found": found,
        "exact": exact,
    }
