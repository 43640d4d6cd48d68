"""A character tokenizer with one special token, BOS.

The simplest tokenizer there is: every distinct character of the training
text gets an id (in sorted order), and one extra id, BOS ("beginning of
sequence"), marks where a document starts and ends. A name such as "emma" is
trained as [BOS, e, m, m, a, BOS]: the model learns to start names after BOS and
to end them by predicting BOS. This is microgpt's scheme: with the 26 lowercase
letters the vocabulary is 27 and BOS is id 26.

Left out on purpose: merges (see the BPE chapter), unknown-character fallback
(an unseen character is an error that says which one), and any other special
tokens.
"""

from __future__ import annotations

from collections.abc import Iterable

BOS_TEXT = "<BOS>"  # how BOS is shown when decoding for display


class CharTokenizer:
    """Characters <-> ids; id len(chars) is BOS."""

    def __init__(self, chars: str):
        if len(set(chars)) != len(chars):
            raise ValueError("the tokenizer's characters must be distinct")
        if not chars:
            raise ValueError("the tokenizer needs at least one character")
        self.chars = "".join(sorted(chars))
        self._ids = {c: i for i, c in enumerate(self.chars)}
        self.bos = len(self.chars)  # the extra, last id

    @classmethod
    def from_docs(cls, docs: Iterable[str]) -> "CharTokenizer":
        """Every character that appears in the documents."""
        return cls("".join(sorted(set("".join(docs)))))

    @property
    def vocab_size(self) -> int:
        return len(self.chars) + 1

    def encode(self, text: str) -> list[int]:
        """Character ids, without BOS."""
        try:
            return [self._ids[c] for c in text]
        except KeyError as err:
            raise ValueError(
                f"character {err.args[0]!r} is not in this tokenizer's vocabulary "
                f"({self.chars!r}); use only characters the model was trained on"
            ) from None

    def encode_doc(self, text: str) -> list[int]:
        """[BOS] + characters + [BOS]: one training document."""
        return [self.bos, *self.encode(text), self.bos]

    def decode(self, ids: Iterable[int], show_bos: bool = False) -> str:
        """Text of the ids; BOS is dropped (or shown as <BOS>)."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.bos:
                if show_bos:
                    out.append(BOS_TEXT)
            elif 0 <= i < self.bos:
                out.append(self.chars[i])
            else:
                raise ValueError(f"token id {i} is outside the vocabulary (0..{self.bos})")
        return "".join(out)

    def token_text(self, i: int) -> str:
        """One id as display text."""
        return BOS_TEXT if int(i) == self.bos else self.chars[int(i)]

    def __eq__(self, other) -> bool:
        return isinstance(other, CharTokenizer) and other.chars == self.chars

    def __repr__(self) -> str:
        return f"CharTokenizer({self.chars!r}, bos={self.bos})"
