"""Attention tile by tile, never holding the T x T score matrix: the idea behind FlashAttention.

Ordinary attention for one head computes all scores S = q k^T / sqrt(D), a T x T
array, then a softmax along each row, then P v. The softmax seems to need a whole
row before it can start (its maximum, for stability, and its sum, to normalise).
The online softmax (Milakov & Gimelshein 2018) removes that need: walk along a row
in tiles and keep, per query row, a running maximum m and a running normaliser l,

    m_new = max(m, max_j s_j)                 # over this tile's scores
    l_new = l * exp(m - m_new) + sum_j exp(s_j - m_new)
    o_new = o * exp(m - m_new) + sum_j exp(s_j - m_new) v_j

and divide o by l at the end. Rescaling by exp(m - m_new) corrects what was summed
against an older, smaller maximum, so the result is exactly softmax(S) v. Dao et
al. 2022 (FlashAttention) tile both queries and keys this way so that every tile
fits in a GPU's fast on-chip memory: what it saves is memory, and the traffic to
and from slow memory, not arithmetic (the same q k^T and P v products are done).
With a causal mask, tiles wholly above the diagonal are skipped, in both methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MAX_TILE = 1024
TILES = (16, 32, 64, 128)  # the sizes the guide offers


@dataclass
class FlashResult:
    out: np.ndarray  # (T, D), equal to ordinary attention's
    tile: int
    tiles_computed: int  # (query tile, key tile) pairs actually computed
    tiles_skipped: int  # pairs wholly above the causal diagonal
    largest_bytes: int  # the largest array held at once
    flops: int  # multiply-adds x 2 in the two matrix products
    watched: int | None = None  # the query row whose running max and normaliser are recorded
    history: list = field(default_factory=list)  # per key tile: {keys: [lo, hi), max, normaliser}


def ordinary_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = True):
    """softmax(q k^T / sqrt(D) + mask) v, all at once. Returns (out (T, D), largest_bytes, flops)."""
    T, D = q.shape
    S = k.shape[0]
    scores = (q @ k.T) / np.float32(math.sqrt(D))  # (T, S): the array FlashAttention never builds
    if causal:
        scores = scores + np.triu(np.full((T, S), -np.inf, dtype=scores.dtype), k=1 + S - T)
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    out = (scores / scores.sum(axis=1, keepdims=True)) @ v  # (T, D)
    return out, scores.nbytes, 2 * T * S * D * 2


def flash_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, tile: int = 64, causal: bool = True, watch: int | None = None
) -> FlashResult:
    """The same attention in tile x tile blocks with the online softmax (see the module docstring).

    q (T, D), k and v (S, D) with S >= T (the last T keys are the queries' own positions).
    `watch`: a query row whose running maximum and normaliser are recorded after each key tile.
    """
    T, D = q.shape
    S = k.shape[0]
    if not (isinstance(tile, int) and 1 <= tile <= MAX_TILE):
        raise ValueError(f"the tile size must be a whole number from 1 to {MAX_TILE}, got {tile!r}")
    if watch is not None and not 0 <= watch < T:
        raise ValueError(f"the watched query must be a position from 0 to {T - 1}, got {watch}")
    scale = np.float32(1.0 / math.sqrt(D))
    offset = S - T  # query i sits at key position offset + i
    out = np.empty((T, D), dtype=np.float32)
    result = FlashResult(out=out, tile=tile, tiles_computed=0, tiles_skipped=0, largest_bytes=0, flops=0, watched=watch)
    for q0 in range(0, T, tile):
        qt = q[q0 : q0 + tile]  # (Bq, D)
        Bq = len(qt)
        m = np.full(Bq, -np.inf, dtype=np.float32)  # running maximum per row
        l = np.zeros(Bq, dtype=np.float32)  # running normaliser per row
        o = np.zeros((Bq, D), dtype=np.float32)  # running, unnormalised output per row
        for k0 in range(0, S, tile):
            if causal and k0 > offset + q0 + Bq - 1:  # every key here is after every query: skip
                result.tiles_skipped += 1
                continue
            s = (qt @ k[k0 : k0 + tile].T) * scale  # (Bq, Bk): one tile of scores
            if causal:
                rows = offset + q0 + np.arange(Bq)[:, None]
                s = np.where(k0 + np.arange(s.shape[1])[None, :] > rows, -np.inf, s)
            m_new = np.maximum(m, s.max(axis=1))
            p = np.exp(s - m_new[:, None])  # (Bq, Bk)
            correction = np.exp(m - m_new)  # rescales what was summed against the older maximum
            l = l * correction + p.sum(axis=1)
            o = o * correction[:, None] + p @ v[k0 : k0 + tile]
            m = m_new
            result.tiles_computed += 1
            result.flops += 2 * Bq * s.shape[1] * D * 2
            result.largest_bytes = max(result.largest_bytes, s.nbytes, o.nbytes)
            if watch is not None and q0 <= watch < q0 + Bq:
                r = watch - q0
                result.history.append({"keys": [k0, min(k0 + tile, S)], "max": float(m[r]), "normaliser": float(l[r])})
        out[q0 : q0 + Bq] = o / l[:, None]
    return result
