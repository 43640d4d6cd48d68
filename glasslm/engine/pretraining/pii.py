"""Finding and masking personal data in a corpus: e-mail addresses, phone numbers, IP
addresses and payment-card numbers.

Web text is full of them, and a model can memorise and repeat what it saw often
enough (Carlini et al. 2021, "Extracting Training Data from Large Language
Models"), so pretraining pipelines mask them. Most do it with patterns like
these rather than with a model, because patterns are cheap enough for
trillions of tokens and their mistakes can be read and fixed:

- e-mail: name@domain.tld, the domain made of dot-separated labels;
- phone: 7 to 15 digits (the most ITU-T E.164 allows) written as a phone
  number is, with an optional + and country code, and spaces, dots, dashes or
  brackets between groups;
- IP: IPv4, four numbers from 0 to 255 with dots, not when part of a longer
  dotted string (a version number such as 1.2.3.4.5); IPv6, hexadecimal groups
  with colons, eight of them or fewer with one "::";
- card: 13 to 19 digits in groups, accepted only if the Luhn checksum
  (ISO/IEC 7812) holds, the check digit every payment card carries, which
  rejects 9 out of 10 random digit strings of the right length.

Patterns are checked in that order and a later one never claims characters an
earlier one took, so the digits of a card are not also reported as a phone.
What they miss (names, street addresses, numbers written in words) needs a
named-entity model or a person; `evaluate` measures both kinds of mistake on a
small hand-labelled sample that ships with glasslm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from glasslm.engine.data.files import read_json

KINDS = ("email", "card", "ip", "phone")  # checking order: cards before phones, since both are digit runs
MASKS = {"email": "[EMAIL]", "phone": "[PHONE]", "ip": "[IP]", "card": "[CARD]"}
MAX_TEXT_CHARS = 100_000

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])")
_IP = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IP6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(r"(?<![\w+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?![\w-])")


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    text: str


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum: from the right, double every second digit (subtracting 9 past 9); the total ends in 0."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _accept(kind: str, text: str) -> bool:
    if kind == "ip":
        if ":" in text:  # IPv6: eight groups, or fewer with one "::" (so a time such as 12:30:45 is not one)
            return (text.count("::") == 1 or text.count(":") == 7) and any(c not in ":" for c in text)
        return all(int(part) <= 255 for part in text.split("."))
    digits = re.sub(r"\D", "", text)
    if kind == "card":
        return 13 <= len(digits) <= 19 and luhn_ok(digits)
    if kind == "phone":
        return 7 <= len(digits) <= 15
    return True


_PATTERNS = {"email": [_EMAIL], "ip": [_IP, _IP6], "card": [_CARD], "phone": [_PHONE]}


def find_pii(text: str) -> list[Span]:
    """Every e-mail, card, IP address and phone number in text, left to right, not overlapping."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"the text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    taken = bytearray(len(text))
    spans: list[Span] = []
    for kind in KINDS:
        for pattern in _PATTERNS[kind]:
            for m in pattern.finditer(text):
                if any(taken[m.start() : m.end()]):
                    continue
                # A dotted quad that is not an address (999.1.1.1) is still not a phone number:
                # its characters are taken either way; only accepted ones are reported.
                if _accept(kind, m.group()) or kind == "ip":
                    taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
                if _accept(kind, m.group()):
                    spans.append(Span(kind, m.start(), m.end(), m.group()))
    return sorted(spans, key=lambda s: s.start)


def scrub(text: str) -> tuple[str, list[Span]]:
    """The text with each found span replaced by its kind's mask, and the spans."""
    spans = find_pii(text)
    out, at = [], 0
    for s in spans:
        out += [text[at : s.start], MASKS[s.kind]]
        at = s.end
    out.append(text[at:])
    return "".join(out), spans


@dataclass(frozen=True)
class KindScore:
    kind: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else None


def labelled_sample() -> list[dict]:
    """The hand-labelled sample: [{"text", "spans": [{"kind", "text"}]}] (glasslm/engine/data/pii_sample.json)."""
    return read_json("pii_sample.json")["examples"]


def evaluate(examples: list[dict] | None = None) -> tuple[list[KindScore], list[dict]]:
    """Precision and recall per kind against hand labels, and every mistake (a span found exactly
    as labelled is right; anything else found is a false positive; a label not found, a miss)."""
    examples = labelled_sample() if examples is None else examples
    counts = {k: [0, 0, 0] for k in KINDS}
    mistakes = []
    for ex in examples:
        want = {(s["kind"], s["text"]) for s in ex["spans"]}
        got = {(s.kind, s.text) for s in find_pii(ex["text"])}
        for kind, _text in got & want:
            counts[kind][0] += 1
        for kind, text in got - want:
            counts[kind][1] += 1
            mistakes.append({"kind": kind, "text": text, "error": "false positive", "example": ex["text"]})
        for kind, text in want - got:
            counts[kind][2] += 1
            mistakes.append({"kind": kind, "text": text, "error": "missed", "example": ex["text"]})
    return [KindScore(k, *counts[k]) for k in KINDS], mistakes
