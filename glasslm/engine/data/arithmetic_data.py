"""Addition problems written two ways: the bare answer, or worked column by column.

The reasoning chapter trains two tiny GPTs on the same additions. One sees
only the question and the answer (the "direct" format); the other sees the
question, a *scratchpad* of column steps, then the answer (Nye et al. 2021,
"Show Your Work: Scratchpads for Intermediate Computation with Language
Models"; the idea that written-out steps help is also Wei et al. 2022,
"Chain-of-Thought Prompting Elicits Reasoning in Large Language Models").

For 37 + 48 with two digits:

    direct       37+48=085
    scratchpad   37+48=7+8+0=15;3+4+1=08;>085

Every problem is written at a fixed width: both numbers with exactly `digits`
digits (leading zeros, "07"), the answer with digits+1. So a digit always
sits at the same position, which a model with learned position embeddings
finds easy to use. The scratchpad works from the units column up, one step
per column, each STEP_CHARS characters long: "a+b+c=" then the two-digit
column sum (carry, digit) and ";". c, the carry into the column, is the first
digit of the previous step's sum, so every step is a small local sum. ">"
ends the work; the answer follows (its digits are the steps' last digits in
reverse, led by the last carry).

A scratchpad may also be *cut*: only its first k steps, then ">" and the
answer. The scratchpad model trains on some cut examples so that it can
answer when a thinking budget stops its work early.

Held-out problems are drawn once per task and never trained on: the training
sampler redraws any pair that is held out.

Left out: subtraction, multiplication, unequal widths, tokens other than
single characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glasslm.engine.tokenizers.chars import CharTokenizer

ALPHABET = "0123456789+=;>"  # digits, the two operators, the step separator and the end of the work
SEPARATOR = ">"  # written between the scratchpad and the answer
STEP_CHARS = 9  # "7+8+0=15;": the length of one column step
MIN_DIGITS = 2  # one-digit sums are only 100 problems: too few to hold some out
MAX_DIGITS = 5  # five-digit scratchpads are 65 characters: still trains in minutes
FORMATS = ("direct", "scratchpad")
MAX_HELDOUT = 1000


def tokenizer() -> CharTokenizer:
    """The character tokenizer over ALPHABET (14 characters + BOS = 15 ids)."""
    return CharTokenizer(ALPHABET)


def check_digits(digits: int) -> int:
    if not isinstance(digits, (int, np.integer)) or isinstance(digits, bool) or not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be a whole number from {MIN_DIGITS} to {MAX_DIGITS}, got {digits!r}")
    return int(digits)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def check_pair(a: int, b: int, digits: int) -> None:
    top = 10**digits
    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 0 <= v < top:
            raise ValueError(f"{name} must be a whole number from 0 to {top - 1:,} for {digits}-digit sums, got {v!r}")


def prompt(a: int, b: int, digits: int) -> str:
    """The question: "37+48=" (both numbers padded to `digits`)."""
    check_pair(a, b, digits)
    return f"{int(a):0{digits}d}+{int(b):0{digits}d}="


def answer_text(a: int, b: int, digits: int) -> str:
    """The answer, padded to digits+1: 37 + 48 -> "085"."""
    return f"{int(a) + int(b):0{digits + 1}d}"


def scratchpad_steps(a: int, b: int, digits: int) -> list[str]:
    """One step per column, units first: ["7+8+0=15;", "3+4+1=08;"] for 37 + 48."""
    check_pair(a, b, digits)
    sa, sb = f"{int(a):0{digits}d}", f"{int(b):0{digits}d}"
    carry, steps = 0, []
    for i in range(digits - 1, -1, -1):  # rightmost column first
        x, y = int(sa[i]), int(sb[i])
        s = x + y + carry
        steps.append(f"{x}+{y}+{carry}={s // 10}{s % 10};")
        carry = s // 10
    return steps


def completion(a: int, b: int, digits: int, fmt: str, think_steps: int | None = None) -> str:
    """What the model writes after the prompt (without the final BOS).

    think_steps cuts a scratchpad to its first steps (None: all of them).
    """
    check_format(fmt)
    if fmt == "direct":
        return answer_text(a, b, digits)
    steps = scratchpad_steps(a, b, digits)
    if think_steps is not None:
        steps = steps[: max(0, int(think_steps))]
    return "".join(steps) + SEPARATOR + answer_text(a, b, digits)


def parse_answer(text: str, fmt: str) -> int | None:
    """The number a completion ends with, or None if it gives no clean answer.

    Direct: the whole completion must be digits. Scratchpad: the digits after
    the (first) ">"; no ">" means the model never finished its work.
    """
    check_format(fmt)
    if fmt == "scratchpad":
        if SEPARATOR not in text:
            return None
        text = text.split(SEPARATOR, 1)[1]
    if not text or not text.isascii() or not text.isdigit():
        return None
    return int(text)


@dataclass
class ArithmeticTask:
    """A digits-wide addition task: fixed held-out problems and a training sampler that avoids them."""

    digits: int = 4  # four digits: a bare-answer model struggles, a scratchpad model learns in a few hundred steps
    n_heldout: int = 100  # enough for accuracy in steps of 1 %
    seed: int = 0  # which problems are held out
    heldout: list[tuple[int, int]] = field(init=False)

    def __post_init__(self):
        check_digits(self.digits)
        top = 10**self.digits
        if not isinstance(self.n_heldout, int) or not 1 <= self.n_heldout <= min(MAX_HELDOUT, top * top // 10):
            raise ValueError(
                f"n_heldout must be from 1 to {min(MAX_HELDOUT, top * top // 10):,}, got {self.n_heldout!r}"
            )
        rng = np.random.default_rng([self.seed, 7919])  # its own stream: never the training order
        codes = set()
        while len(codes) < self.n_heldout:
            codes.update(int(c) for c in rng.integers(0, top * top, self.n_heldout - len(codes)))
        self._heldout_codes = codes
        self.heldout = [(c // top, c % top) for c in sorted(codes)]
        self.tokenizer = tokenizer()
        self.prompt_len = 2 * self.digits + 2  # "aaaa+bbbb="

    def is_heldout(self, a: int, b: int) -> bool:
        return int(a) * 10**self.digits + int(b) in self._heldout_codes

    def train_pairs(self, rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
        """n random problems, none of them held out."""
        top = 10**self.digits
        out: list[tuple[int, int]] = []
        while len(out) < n:
            codes = rng.integers(0, top * top, n - len(out))
            out.extend((int(c) // top, int(c) % top) for c in codes if int(c) not in self._heldout_codes)
        return out

    def seq_len(self, fmt: str) -> int:
        """Tokens of a full example: BOS + prompt + completion + BOS."""
        return 1 + self.prompt_len + len(completion(0, 0, self.digits, fmt)) + 1

    def encode_prompts(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        """(B, 1 + prompt_len) ids: BOS then the question."""
        tok = self.tokenizer
        return np.array([[tok.bos, *tok.encode(prompt(a, b, self.digits))] for a, b in pairs], dtype=np.int64)

    def batch(self, pairs: list[tuple[int, int]], fmt: str, think_steps: list[int | None] | None = None):
        """inputs (B, T) and targets (B, T) for next-character training.

        Targets are -1 (not counted) where the character is part of the
        question (the model is given it, not asked to predict it), past the
        end of a cut, shorter example, and at a cut example's ">": that mark is
        written *for* the model when its budget runs out, so it learns to
        answer after it but never to stop its own work early. T = seq_len(fmt) - 1.
        """
        tok = self.tokenizer
        cuts = think_steps or [None] * len(pairs)
        T = self.seq_len(fmt) - 1
        ids = np.full((len(pairs), T + 1), tok.bos, dtype=np.int64)  # (B, T+1), BOS-padded
        lengths = np.empty(len(pairs), dtype=np.int64)
        for r, ((a, b), cut) in enumerate(zip(pairs, cuts)):
            seq = [tok.bos, *tok.encode(prompt(a, b, self.digits) + completion(a, b, self.digits, fmt, cut)), tok.bos]
            ids[r, : len(seq)] = seq
            lengths[r] = len(seq)
        x = ids[:, :-1]  # (B, T)
        y = ids[:, 1:].copy()  # (B, T): y[t] is the character after x[t]
        y[:, : self.prompt_len] = -1  # the question's own characters
        y[np.arange(T)[None, :] >= (lengths - 1)[:, None]] = -1  # after the final BOS
        for r, cut in enumerate(cuts):
            if cut is not None and fmt == "scratchpad":
                y[r, self.prompt_len + min(max(0, cut), self.digits) * STEP_CHARS] = -1  # the forced ">"
        return x, y
