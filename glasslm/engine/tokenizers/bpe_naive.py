"""The textbook BPE trainer: recount every pair after every merge.

What this file is: the algorithm as it is usually first written (Sennrich et
al. 2016; the loop in Karpathy's minbpe): keep every chunk of the training text
as a list of ids, and for each new token count all adjacent pairs in all
chunks, pick the most frequent, and rewrite every chunk. It is short and
obviously right, and slow: each merge costs a pass over the whole text.

What it is for: ``tests/engine/test_bpe.py`` checks that the fast trainer in
``bpe.py`` (incremental pair counts over distinct words) learns exactly the
same merges, and ``benchmarks/bpe.py`` uses it as the baseline.

What it leaves out: everything else (encoding, special tokens). Ties are broken
as in ``bpe.train``: the highest count wins, then the smaller pair (a, then b).
"""

from __future__ import annotations

from typing import Iterable

from glasslm.engine.tokenizers.bpe import Pair, replace_pair


def train_naive(chunks: Iterable[bytes], vocab_size: int) -> dict[Pair, int]:
    """Merges ``{(a, b): new_id}`` in the order they were learned."""
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (one token per byte), got {vocab_size}")
    ids = [list(chunk) for chunk in chunks]
    merges: dict[Pair, int] = {}
    for new in range(256, vocab_size):
        stats: dict[Pair, int] = {}
        for chunk in ids:
            for pair in zip(chunk, chunk[1:]):
                stats[pair] = stats.get(pair, 0) + 1
        if not stats:
            break
        best = max(stats.values())
        if best < 2:
            break
        pair = min(p for p, c in stats.items() if c == best)
        ids = [replace_pair(chunk, pair, new) for chunk in ids]
        merges[pair] = new
    return merges
