"""Training data for the tiny GPT: real first (or last) names, or the learner's own text.

The names are the US Census Bureau's 1990 lists shipped in the PyPI package
`names` (found by assets.names_dir()): dist.male.first and dist.female.first
(lowercased and de-duplicated: 5,163 first names) and dist.all.last (88,799
surnames). Each line of the learner's own text is one document instead.

Every data set is split once into a training part and a held-out part with a
fixed seed, so held-out loss is comparable between runs. Limits on the
learner's text are named constants below: the text is held in memory and
trained on in seconds, so it must stay small.

Left out on purpose: any cleaning beyond stripping whitespace and dropping
empty lines (the pretraining-data chapter does cleaning).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from glasslm import assets
from glasslm.engine.tokenizers.chars import CharTokenizer

HELDOUT_FRACTION = 0.1  # one document in ten is kept out of training, for held-out loss
SPLIT_SEED = 42  # fixed, so every run is measured on the same held-out documents

MAX_TEXT_BYTES = 1_000_000  # 1 MB of text trains for minutes, not hours, on a laptop
MAX_DOCS = 100_000  # more lines than this is not "your own text" any more
MAX_LINE_CHARS = 1_000  # a line is a document; longer ones are cut into context-sized windows anyway
MAX_VOCAB_CHARS = 200  # distinct characters: the output layer grows with each one
MIN_DOCS = 2  # at least one to train on and one to hold out


class DataError(ValueError):
    """The training text cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class NameData:
    """Documents split into train and held-out, and the tokenizer built from all of them."""

    train: list[str]
    heldout: list[str]
    tokenizer: CharTokenizer
    source: str  # where the documents came from, for display


@functools.lru_cache(maxsize=3)
def _read_census(filename: str) -> tuple[str, ...]:
    path = assets.names_dir() / filename
    return tuple(line.split()[0].lower() for line in path.read_text(encoding="ascii").splitlines() if line.strip())


def _split(docs: list[str], source: str, seed: int = SPLIT_SEED) -> NameData:
    docs = list(dict.fromkeys(docs))  # de-duplicate, keeping first occurrence
    if len(docs) < MIN_DOCS:
        raise DataError(f"need at least {MIN_DOCS} different lines to train on and hold out, got {len(docs)}")
    tokenizer = CharTokenizer.from_docs(docs)
    shuffled = sorted(docs)  # independent of file order
    random.Random(seed).shuffle(shuffled)
    n_held = max(1, round(len(shuffled) * HELDOUT_FRACTION))
    return NameData(train=shuffled[n_held:], heldout=shuffled[:n_held], tokenizer=tokenizer, source=source)


def first_names(seed: int = SPLIT_SEED) -> NameData:
    """US first names (male and female), lowercased, de-duplicated, split."""
    docs = [*_read_census("dist.male.first"), *_read_census("dist.female.first")]
    return _split(docs, "US census first names (names package)", seed)


def last_names(seed: int = SPLIT_SEED) -> NameData:
    """US surnames, lowercased, split."""
    return _split(list(_read_census("dist.all.last")), "US census last names (names package)", seed)


def from_text(
    text: str | bytes,
    seed: int = SPLIT_SEED,
    source: str = "your text",
    max_bytes: int = MAX_TEXT_BYTES,
    max_docs: int = MAX_DOCS,
) -> NameData:
    """One document per non-empty line of the learner's text, checked against the limits.

    max_bytes and max_docs default to what the numpy trainer handles in minutes;
    the PyTorch trainer passes larger ones.
    """
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise DataError(f"the text is {len(text):,} bytes; the limit is {max_bytes:,}: use a shorter file")
        if b"\x00" in text:
            raise DataError(
                "this looks like a binary file (it contains NUL bytes): give plain text, one document per line"
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(f"the text is not valid UTF-8 (at byte {err.start}): save it as UTF-8 plain text") from None
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise DataError(f"the text is {size:,} bytes; the limit is {max_bytes:,}: use a shorter text")
    if "\x00" in text:
        raise DataError(
            "this looks like binary data (it contains NUL characters): give plain text, one document per line"
        )
    docs = [line.strip() for line in text.splitlines()]
    docs = [d for d in docs if d]
    if not docs:
        raise DataError("the text is empty: give at least two non-empty lines, one document per line")
    if len(docs) > max_docs:
        raise DataError(f"the text has {len(docs):,} lines; the limit is {max_docs:,}")
    longest = max(len(d) for d in docs)
    if longest > MAX_LINE_CHARS:
        raise DataError(f"a line is {longest:,} characters long; the limit is {MAX_LINE_CHARS:,} per line")
    controls = sorted({c for d in docs for c in d if not c.isprintable() and c != "\t"})
    if controls:
        raise DataError(f"the text contains control characters ({controls[0]!r}): give plain text")
    distinct = len(set("".join(docs)))
    if distinct > MAX_VOCAB_CHARS:
        raise DataError(f"the text uses {distinct} different characters; the limit is {MAX_VOCAB_CHARS}")
    return _split(docs, source, seed)
