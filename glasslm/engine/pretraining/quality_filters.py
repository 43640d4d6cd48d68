"""Heuristic quality filters for pretraining text, each with a threshold and a reason.

What this file is: a handful of cheap, explainable rules that decide whether a
document looks like natural prose, in the spirit of the "quality filters" of
Gopher's MassiveWeb (Rae et al. 2021, "Scaling Language Models: Methods,
Analysis & Insights from Training Gopher", Appendix A.1.1). Their rules keep a
document only if it has 50 to 100,000 words, a mean word length of 3 to 10
characters, at most 0.1 hash symbols or ellipses per word, at most 90% of
lines starting with a bullet and 30% ending with an ellipsis, at least 80% of
words with an alphabetic character, and at least two of the stop words "the,
be, to, of, and, that, have, with"; and they drop documents whose lines
repeat (more than 30% duplicated lines) or whose most common word pair
covers too much of the text (more than 20% of the characters for 2-grams).

Every rule here measures one number per document, compares it with a
threshold the learner can change, and says in a sentence why a document
failed. The defaults are Gopher's, except the minimum length: Gopher's 50
words would remove most of a corpus of short example documents, so the
default here is 12 and the chapter says so.

Left out on purpose: model-based quality classifiers (GPT-3's, FineWeb-Edu's),
language identification, and the toxicity and PII filters real pipelines add.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, fields

STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")  # Gopher's list
BULLETS = ("•", "-", "*", "·", "‣", "◦")  # a line starting with one of these is a bullet
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class QualityConfig:
    min_words: int = 12  # Gopher: 50; a corpus of short example documents would lose most documents at 50
    max_words: int = 100_000  # Gopher: 100,000; longer documents are usually dumps, not prose
    min_mean_word_len: float = 3.0  # Gopher: 3; below it, text is mostly symbols or fragments
    max_mean_word_len: float = 10.0  # Gopher: 10; above it, URLs, hashes or glued-together words
    max_symbol_ratio: float = 0.1  # Gopher: 0.1 hash signs or ellipses per word (tag clouds, menus)
    min_alpha_words: float = 0.8  # Gopher: 80% of words must contain a letter (not numbers or tables)
    min_stop_words: int = 2  # Gopher: 2 of "the, be, to, of, and, that, have, with" (real sentences use them)
    max_duplicate_lines: float = 0.3  # Gopher: 30% of lines repeated elsewhere in the document (boilerplate)
    max_bullet_lines: float = 0.9  # Gopher: 90% of lines starting with a bullet (lists, not prose)
    max_top_bigram: float = 0.2  # Gopher: the most common word pair covers at most 20% of the characters (spam)

    def validate(self) -> "QualityConfig":
        """Raise ValueError naming the threshold that is not a sensible number."""
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{f.name} must be a number of at least 0, got {v!r}")
        for name in ("min_alpha_words", "max_duplicate_lines", "max_bullet_lines", "max_top_bigram"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} is a fraction: it must be from 0 to 1, got {getattr(self, name)!r}")
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must not exceed max_words ({self.max_words})")
        if self.min_mean_word_len > self.max_mean_word_len:
            raise ValueError(
                f"min_mean_word_len ({self.min_mean_word_len}) must not exceed "
                f"max_mean_word_len ({self.max_mean_word_len})"
            )
        return self


@dataclass(frozen=True)
class Measures:
    """The numbers the rules look at, for one document."""

    words: int
    mean_word_len: float
    symbol_ratio: float  # ("#" + "..." + "…") per word
    alpha_words: float  # fraction of words with at least one letter
    stop_words: int  # distinct stop words present
    duplicate_lines: float  # fraction of non-empty lines that repeat an earlier line
    bullet_lines: float  # fraction of non-empty lines starting with a bullet
    top_bigram: float  # characters in the most frequent word pair's occurrences / characters in all words


def measure(text: str) -> Measures:
    words = _WORD.findall(text)
    n = len(words)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    seen: set[str] = set()
    repeats = 0
    for ln in lines:
        repeats += ln in seen
        seen.add(ln)
    lower = [w.lower().strip(".,;:!?\"'()[]") for w in words]
    pairs = Counter(zip(lower, lower[1:]))
    chars = sum(len(w) for w in lower)
    top = 0.0
    if pairs and chars:
        (a, b), count = pairs.most_common(1)[0]
        top = count * (len(a) + len(b)) / chars
    symbols = text.count("#") + text.count("...") + text.count("…")
    return Measures(
        words=n,
        mean_word_len=sum(len(w) for w in words) / n if n else 0.0,
        symbol_ratio=symbols / n if n else 0.0,
        alpha_words=sum(any(c.isalpha() for c in w) for w in words) / n if n else 0.0,
        stop_words=len(set(lower) & set(STOP_WORDS)),
        duplicate_lines=repeats / len(lines) if lines else 0.0,
        bullet_lines=sum(ln.startswith(BULLETS) for ln in lines) / len(lines) if lines else 0.0,
        top_bigram=top,
    )


@dataclass(frozen=True)
class Verdict:
    rule: str  # the rule's name
    passed: bool
    value: float  # what was measured
    reason: str  # a sentence: why it failed ("" when it passed)


def judge(text: str, config: QualityConfig | None = None) -> tuple[Measures, list[Verdict]]:
    """The document's measures, and one verdict per rule in a fixed order."""
    c = (config or QualityConfig()).validate()
    m = measure(text)

    def rule(name, passed, value, why):
        return Verdict(name, bool(passed), float(value), "" if passed else why)

    return m, [
        rule("too_short", m.words >= c.min_words, m.words, f"{m.words} words, fewer than the minimum of {c.min_words}"),
        rule(
            "too_long", m.words <= c.max_words, m.words, f"{m.words:,} words, more than the maximum of {c.max_words:,}"
        ),
        rule(
            "word_length",
            c.min_mean_word_len <= m.mean_word_len <= c.max_mean_word_len,
            m.mean_word_len,
            f"mean word length {m.mean_word_len:.1f} characters, outside {c.min_mean_word_len:g} to "
            f"{c.max_mean_word_len:g}",
        ),
        rule(
            "symbols",
            m.symbol_ratio <= c.max_symbol_ratio,
            m.symbol_ratio,
            f"{m.symbol_ratio:.2f} hash signs or ellipses per word, above {c.max_symbol_ratio:g}",
        ),
        rule(
            "alphabetic",
            m.alpha_words >= c.min_alpha_words,
            m.alpha_words,
            f"only {m.alpha_words:.0%} of words contain a letter (minimum {c.min_alpha_words:.0%})",
        ),
        rule(
            "stop_words",
            m.stop_words >= c.min_stop_words,
            m.stop_words,
            f"{m.stop_words} of the common words ({', '.join(STOP_WORDS)}), fewer than {c.min_stop_words}",
        ),
        rule(
            "repeated_lines",
            m.duplicate_lines <= c.max_duplicate_lines,
            m.duplicate_lines,
            f"{m.duplicate_lines:.0%} of lines repeat an earlier line (maximum {c.max_duplicate_lines:.0%})",
        ),
        rule(
            "bullets",
            m.bullet_lines <= c.max_bullet_lines,
            m.bullet_lines,
            f"{m.bullet_lines:.0%} of lines start with a bullet (maximum {c.max_bullet_lines:.0%})",
        ),
        rule(
            "repeated_phrase",
            m.top_bigram <= c.max_top_bigram,
            m.top_bigram,
            f"the most common word pair covers {m.top_bigram:.0%} of the text (maximum {c.max_top_bigram:.0%})",
        ),
    ]


RULES = (
    "too_short",
    "too_long",
    "word_length",
    "symbols",
    "alphabetic",
    "stop_words",
    "repeated_lines",
    "bullets",
    "repeated_phrase",
)
