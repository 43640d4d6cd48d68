"""A BPE tokenizer for text: regex pre-tokenization and special tokens over ``bpe.py``.

What this file adds to ``bpe.py``: real tokenizers never let a merge cross a
word boundary. Text is first cut into chunks by a regular expression (GPT-2,
Radford et al. 2019: letters, numbers, punctuation and whitespace apart, a
leading space kept with the word), each chunk is encoded on its own, and the
ids are joined. Two pre-tokenizers are defined here:

- ``GPT4_SPLIT``: cl100k_base's pattern, copied from tiktoken's definition of
  cl100k_base (contractions, letters, numbers of at most three digits,
  punctuation, newlines, spaces).
- ``SMOLLM_SPLIT``: what llama.cpp calls the ``smollm`` pre-tokenizer and what
  SmolLM2's tokenizer.json declares: every digit becomes its own chunk first,
  then GPT-2's byte-level pattern splits the text between digits.

Special tokens (``<|im_start|>``, ``<|endoftext|>``) are ids outside the merges.
They are recognised only when the caller allows them: a learner who types
"<|im_end|>" into a text box gets the ten ordinary characters encoded as plain
text, unless the caller passes ``allowed_special``.

What it leaves out: training a tokenizer on text is ``train_tokenizer`` here,
the merge arithmetic is in ``bpe.py``, and the pretrained vocabularies are
loaded in ``pretrained_tokenizers.py``. Nothing is normalised (no Unicode NFC,
no lower-casing): neither cl100k_base nor SmolLM2 does that.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import AbstractSet, Iterable, Literal

import regex

from glasslm.engine.tokenizers.bpe import BytePairEncoding, MergeStep, train

# cl100k_base's split pattern (tiktoken 0.14, openai_public.cl100k_base).
GPT4_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""  # noqa: E501
# GPT-2's byte-level split pattern (as in Hugging Face tokenizers' ByteLevel pre-tokenizer).
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# How many distinct chunks each tokenizer remembers the ids of.
_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class PreTokenizer:
    """How text is cut into chunks before BPE.

    ``isolate``: a pattern whose every match becomes a chunk of its own before
    anything else (SmolLM2: each digit); ``split``: the pattern whose matches,
    applied to the text between isolated pieces, are the chunks.
    """

    name: str
    split: str
    isolate: str | None = None

    def compiled(self) -> tuple[regex.Pattern, regex.Pattern | None]:
        split = regex.compile(self.split)
        isolate = regex.compile(f"({self.isolate})") if self.isolate else None
        return split, isolate


GPT4_SPLIT = PreTokenizer("gpt4", GPT4_PATTERN)
SMOLLM_SPLIT = PreTokenizer("smollm", GPT2_PATTERN, isolate=r"\p{N}")

AllowedSpecial = Literal["none", "all"] | AbstractSet[str]


class Tokenizer:
    """Text <-> token ids: pre-tokenizer + byte-level BPE + special tokens."""

    def __init__(
        self,
        bpe: BytePairEncoding,
        pretokenizer: PreTokenizer = GPT4_SPLIT,
        special_tokens: dict[str, int] | None = None,
        name: str = "bpe",
        vocab_size: int | None = None,
    ):
        self.bpe = bpe
        self.pretokenizer = pretokenizer
        self.name = name
        self.special_tokens: dict[str, int] = dict(special_tokens or {})
        self._special_bytes = {i: s.encode("utf-8") for s, i in self.special_tokens.items()}
        clash = [s for s, i in self.special_tokens.items() if i in bpe.vocab]
        if clash:
            raise ValueError(f"special tokens {clash} reuse ids of ordinary tokens")
        ids = list(bpe.vocab) + list(self._special_bytes)
        # The embedding table's size: at least one past the largest id.
        self.vocab_size: int = vocab_size if vocab_size is not None else max(ids) + 1
        self._split, self._isolate = pretokenizer.compiled()
        self._cache: dict[str, list[int]] = {}
        self._special_res: dict[frozenset[str], regex.Pattern] = {}

    # -- text to ids --------------------------------------------------------
    def chunks(self, text: str) -> list[str]:
        """The pre-tokenizer's pieces of ``text`` (no special tokens handled)."""
        findall = self._split.findall
        if self._isolate is None:
            return findall(text)
        out: list[str] = []
        for k, part in enumerate(self._isolate.split(text)):
            if k % 2:  # odd positions are the isolated matches
                out.append(part)
            elif part:
                out.extend(findall(part))
        return out

    def _encode_ordinary(self, text: str) -> list[int]:
        cache, encode_bytes = self._cache, self.bpe.encode_bytes
        ids: list[int] = []
        for chunk in self.chunks(text):
            got = cache.get(chunk)
            if got is None:
                got = encode_bytes(chunk.encode("utf-8"))
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[chunk] = got
            ids += got
        return ids

    def _special_segments(self, text: str, allowed_special: AllowedSpecial) -> list[tuple[str, int | None]]:
        """``text`` cut at allowed special tokens: (piece, special id or None)."""
        if allowed_special == "none" or not self.special_tokens:
            return [(text, None)]
        if allowed_special == "all":
            allowed = frozenset(self.special_tokens)
        elif isinstance(allowed_special, str):
            raise ValueError(f'allowed_special must be "none", "all" or a set of names, got {allowed_special!r}')
        else:
            allowed = frozenset(allowed_special)
            unknown = allowed - set(self.special_tokens)
            if unknown:
                raise ValueError(
                    f"{sorted(unknown)} are not special tokens of {self.name}: {sorted(self.special_tokens)}"
                )
        if not allowed:
            return [(text, None)]
        pattern = self._special_res.get(allowed)
        if pattern is None:
            # Longest first, so that a special token that is a prefix of another never wins.
            names = sorted(allowed, key=len, reverse=True)
            pattern = regex.compile("(" + "|".join(regex.escape(s) for s in names) + ")")
            self._special_res[allowed] = pattern
        out: list[tuple[str, int | None]] = []
        for k, part in enumerate(pattern.split(text)):
            if k % 2:
                out.append((part, self.special_tokens[part]))
            elif part:
                out.append((part, None))
        return out

    def encode(self, text: str, allowed_special: AllowedSpecial = "none") -> list[int]:
        """Token ids of ``text``. Special tokens count only if ``allowed_special`` names them.

        A lone surrogate (possible in a Python string, never in UTF-8) is
        encoded as U+FFFD, the replacement character, as tiktoken does.
        """
        try:
            return self._encode(text, allowed_special)
        except UnicodeEncodeError:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return self._encode(text, allowed_special)

    def _encode(self, text: str, allowed_special: AllowedSpecial) -> list[int]:
        if allowed_special == "none" or not self.special_tokens:
            return self._encode_ordinary(text)
        ids: list[int] = []
        for part, special in self._special_segments(text, allowed_special):
            if special is None:
                ids += self._encode_ordinary(part)
            else:
                ids.append(special)
        return ids

    def encode_pieces(self, text: str, allowed_special: AllowedSpecial = "none") -> list[tuple[int, bytes]]:
        """Each token of ``text`` with its bytes, for display (join the bytes to get the text back)."""
        return [(i, self.token_bytes(i)) for i in self.encode(text, allowed_special)]

    # -- ids to text --------------------------------------------------------
    def token_bytes(self, token: int) -> bytes:
        special = self._special_bytes.get(token)
        return special if special is not None else self.bpe.token_bytes(token)

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        special = self._special_bytes
        if not special:
            return self.bpe.decode_bytes(ids)
        return b"".join([special[i] if i in special else self.bpe.token_bytes(i) for i in ids])

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``; bytes that are not valid UTF-8 become U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"Tokenizer({self.name!r}, vocab_size={self.vocab_size}, merges={len(self.bpe.merges)})"


def train_tokenizer(
    text: str, vocab_size: int, pretokenizer: PreTokenizer = GPT4_SPLIT, name: str = "trained"
) -> tuple[Tokenizer, list[MergeStep]]:
    """Train a byte-level BPE on ``text`` cut by ``pretokenizer``; returns the tokenizer and its merge trace."""
    if not text:
        raise ValueError("cannot train a tokenizer on empty text: give it some text to learn from")
    probe = Tokenizer(BytePairEncoding({}), pretokenizer)
    counts = Counter(chunk.encode("utf-8") for chunk in probe.chunks(text))
    bpe, trace = train(counts, vocab_size)
    return Tokenizer(bpe, pretokenizer, name=name), trace
