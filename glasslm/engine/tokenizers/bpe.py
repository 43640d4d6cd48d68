"""Byte-level byte-pair encoding: the core that every tokenizer in glasslm shares.

What this file is: byte pairs and nothing else. A vocabulary starts as the 256
possible bytes; training repeatedly finds the most frequent adjacent pair of
tokens and gives it a new id (Sennrich et al. 2016, "Neural Machine Translation
of Rare Words with Subword Units", applied to bytes as in GPT-2, Radford et al.
2019). Encoding replays those merges on new text, always applying the
earliest-learned (lowest-rank) merge that is present first.

What it adds: merges are stored as ``{(id_a, id_b): new_id}`` in priority order
(the first entry has rank 0), and the 256 byte tokens may carry any ids (cl100k
and SmolLM2 number their byte tokens differently), so the same code encodes
GPT-4's cl100k_base, SmolLM2's vocabulary and a vocabulary the learner trains.
Training keeps pair counts up to date incrementally: after a merge only the
pairs next to each replaced occurrence change, so nothing is recounted. Each
merge is recorded in a trace (the pair, its count, the new token's bytes, the
vocabulary size and the compression so far) that a chapter can replay.

What it leaves out: splitting text into chunks first (regex pre-tokenization)
and special tokens are in ``bpe_regex.py``; loading pretrained vocabularies is
in ``pretrained_tokenizers.py``; the textbook recount-every-merge trainer, kept
as the reference and benchmark baseline, is in ``bpe_naive.py``.

A small example, derived by hand. Train on the single chunk ``b"aaabdaaabac"``
to a vocabulary of 259 (three merges). The bytes are a=97, b=98, c=99, d=100.

    pair counts: (97,97)=4  (97,98)=2  (98,100)=1  (100,97)=1  (98,97)=1  (97,99)=1
    merge 1: (97,97) -> 256 "aa", count 4   text: 256 97 98 100 256 97 98 97 99
    merge 2: (97,98) -> 257 "ab", count 2   text: 256 257 100 256 257 97 99
    merge 3: (256,257) -> 258 "aaab", count 2   text: 258 100 258 97 99

Ties are broken by the smaller pair (a, then b), so the trace is deterministic
and the same as ``bpe_naive.train_naive``'s. After three merges 11 bytes are 5
tokens: compression 11 / 5 = 2.2. Encoding ``b"aaab"`` then gives ``[258]``.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

Pair = tuple[int, int]

# Larger than any rank: "this pair has no merge".
_NO_RANK = 1 << 62


@dataclass(frozen=True)
class MergeStep:
    """One step of training, as the chapter replays it."""

    pair: Pair  # the two token ids that were merged
    count: int  # how often the pair occurred (overlaps counted, as in the naive trainer)
    new_id: int  # the id the merged token received
    token: bytes  # the new token's bytes
    vocab_size: int  # vocabulary size after this merge
    tokens: int  # tokens needed for the training text after this merge
    compression: float  # training bytes per token after this merge


class BytePairEncoding:
    """Byte tokens plus an ordered table of merges; encodes bytes to ids and back.

    ``merges`` must be in priority order: the first pair listed is merged first.
    ``byte_ids[b]`` is the id of the single byte ``b`` (default: the byte itself),
    or None where a vocabulary has no token for that byte: such bytes are
    dropped before merging (what Hugging Face ``tokenizers`` does when a BPE
    model has no unknown token; SmolLM2's vocabulary lacks 21 bytes).
    ``whole``: tokens known to encode to themselves (see ``self_encoding``);
    a chunk equal to one of them skips the merge loop, as tiktoken does.
    """

    def __init__(
        self,
        merges: Mapping[Pair, int],
        byte_ids: Sequence[int | None] = range(256),
        whole: Mapping[bytes, int] | None = None,
    ):
        if len(byte_ids) != 256:
            raise ValueError(f"byte_ids must name a token for each of the 256 bytes, got {len(byte_ids)}")
        self.byte_ids: list[int | None] = list(byte_ids)
        self.missing_bytes: bytes = bytes(b for b, token in enumerate(self.byte_ids) if token is None)
        self.merges: dict[Pair, int] = dict(merges)
        self.ranks: dict[Pair, int] = {pair: rank for rank, pair in enumerate(self.merges)}
        vocab: dict[int, bytes] = {token: bytes([b]) for b, token in enumerate(self.byte_ids) if token is not None}
        for (a, b), new in self.merges.items():
            if a not in vocab or b not in vocab:
                raise ValueError(f"merge ({a}, {b}) -> {new} uses a token that no earlier merge made")
            vocab[new] = vocab[a] + vocab[b]
        self.vocab: dict[int, bytes] = vocab
        self.whole: dict[bytes, int] = dict(whole or {})

    def __len__(self) -> int:
        return len(self.vocab)

    def encode_bytes(self, data: bytes) -> list[int]:
        """Ids for ``data``: start from byte tokens, apply merges lowest rank first."""
        token = self.whole.get(data)
        if token is not None:
            return [token]
        byte_ids = self.byte_ids
        if self.missing_bytes:
            return self.merge_ids([byte_ids[b] for b in data if byte_ids[b] is not None])
        if len(data) == 1:
            return [byte_ids[data[0]]]
        return self.merge_ids([byte_ids[b] for b in data])

    def merge_ids(self, ids: list[int]) -> list[int]:
        """The ids after applying every merge that applies, lowest rank first."""
        ranks, merges, no_rank = self.ranks, self.merges, _NO_RANK
        while len(ids) > 1:
            pair = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, no_rank))
            if pair not in ranks:
                break
            ids = replace_pair(ids, pair, merges[pair])
        return ids

    def self_encoding(self) -> dict[bytes, int]:
        """Every token whose own bytes encode back to just that token.

        For a vocabulary made by BPE training that is usually every token,
        but nothing promises it, so each token is checked (call this before
        setting ``whole``, or the check would use its own answer).
        """
        return {data: token for token, data in self.vocab.items() if self.encode_bytes(data) == [token]}

    def token_bytes(self, token: int) -> bytes:
        try:
            return self.vocab[token]
        except KeyError:
            raise ValueError(f"token id {token} is not in this vocabulary of {len(self.vocab)}") from None

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        vocab = self.vocab
        try:
            return b"".join([vocab[i] for i in ids])
        except KeyError as e:
            raise ValueError(f"token id {e.args[0]} is not in this vocabulary of {len(vocab)}") from None


def replace_pair(ids: list[int], pair: Pair, new: int) -> list[int]:
    """Every non-overlapping occurrence of ``pair`` in ``ids``, left to right, becomes ``new``."""
    a, b = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if ids[i] == a and i + 1 < n and ids[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train(chunks: Iterable[bytes] | Mapping[bytes, int], vocab_size: int) -> tuple[BytePairEncoding, list[MergeStep]]:
    """Learn merges until the vocabulary has ``vocab_size`` tokens (or no pair repeats).

    ``chunks`` are the pieces of training text that merges may not cross (the
    whole text as one chunk for plain BPE, regex pieces for GPT-style BPE), as
    an iterable or as ``{chunk: how many times it occurs}``. Identical chunks are
    merged into one word with a weight, so each distinct word is processed once.
    Returns the trained encoding and one ``MergeStep`` per merge.
    """
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (one token per byte), got {vocab_size}")
    counts = chunks if isinstance(chunks, Mapping) else Counter(chunks)
    words: list[list[int]] = [list(chunk) for chunk in counts]  # each word as byte ids
    freqs: list[int] = [counts[chunk] for chunk in counts]
    vocab: dict[int, bytes] = {b: bytes([b]) for b in range(256)}

    # Pair counts weighted by word frequency, and which words hold each pair.
    stats: dict[Pair, int] = {}
    where: dict[Pair, set[int]] = {}
    for w, (word, freq) in enumerate(zip(words, freqs)):
        for pair in zip(word, word[1:]):
            stats[pair] = stats.get(pair, 0) + freq
            where.setdefault(pair, set()).add(w)
    total_bytes = sum(len(word) * freq for word, freq in zip(words, freqs))
    total_tokens = total_bytes

    # Max-heap by count, ties to the smaller pair; stale entries are skipped on pop.
    heap = [(-count, pair) for pair, count in stats.items()]
    heapq.heapify(heap)
    merges: dict[Pair, int] = {}
    trace: list[MergeStep] = []
    new = 256
    while new < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        count = stats.get(pair, 0)
        if count != -neg:
            continue  # stale: this pair's count changed after the entry was pushed
        if count < 2:
            break  # nothing repeats: a new token would save nothing
        a, b = pair
        diff: dict[Pair, int] = {}
        for w in where.pop(pair, ()):
            word = words[w]
            if len(word) < 2:
                continue
            freq = freqs[w]
            out: list[int] = []
            i, n = 0, len(word)
            while i < n:
                if word[i] == a and i + 1 < n and word[i + 1] == b:
                    # (prev, a) and (b, next) disappear; (prev, new) and (new, next) appear.
                    if out:
                        prev = out[-1]
                        diff[(prev, a)] = diff.get((prev, a), 0) - freq
                        diff[(prev, new)] = diff.get((prev, new), 0) + freq
                        where.setdefault((prev, new), set()).add(w)
                    if i + 2 < n:
                        nxt = word[i + 2]
                        diff[(b, nxt)] = diff.get((b, nxt), 0) - freq
                        diff[(new, nxt)] = diff.get((new, nxt), 0) + freq
                        where.setdefault((new, nxt), set()).add(w)
                    out.append(new)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            total_tokens -= (n - len(out)) * freq
            words[w] = out
        del stats[pair]
        for p, d in diff.items():
            if d == 0 or p == pair:
                continue  # (a, b) itself may reappear in a diff when occurrences overlap
            c = stats.get(p, 0) + d
            if c > 0:
                stats[p] = c
                heapq.heappush(heap, (-c, p))
            else:
                stats.pop(p, None)
        merges[pair] = new
        vocab[new] = vocab[a] + vocab[b]
        trace.append(MergeStep(pair, count, new, vocab[new], new + 1, total_tokens, total_bytes / max(total_tokens, 1)))
        new += 1
    return BytePairEncoding(merges), trace
