"""A pretraining-data pipeline in miniature: split, de-duplicate, filter, count tokens.

What this file adds over dedup.py and quality_filters.py: the order in which
a pipeline applies them, and the bookkeeping of what each step removed and
why. Every document gets every verdict, so the learner sees all the reasons, but
it is counted as removed by the first step that rejects it, in the order
exact duplicate, near duplicate, quality rules. (Real pipelines often run the
cheap quality rules first, to hash fewer documents; the documents that
survive are the same either way, only the "removed by" counts move.)

Tokens are counted with two real tokenizers, GPT-4's cl100k_base and
SmolLM2's (pretrained_tokenizers.py, each checked in the test suite against
tiktoken and Hugging Face tokenizers), before and after cleaning.

Left out: anything streaming or distributed; the corpus is held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glasslm.engine.pretraining.dedup import exact_duplicates, near_duplicates
from glasslm.engine.pretraining.quality_filters import QualityConfig, judge

SEPARATOR = "---"  # a line holding only this separates two documents
MAX_DOCS = 200  # every pair is compared: 200 documents make about 20,000 pairs
MAX_DOC_CHARS = 5_000  # a long web page's worth of text


class CorpusError(ValueError):
    """The corpus text cannot be split into documents; the message says why."""


def split_documents(text: str) -> list[str]:
    """Documents separated by lines holding only '---'; blank documents are dropped."""
    docs, current = [], []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip() == SEPARATOR:
            docs.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    docs.append("\n".join(current).strip())
    docs = [d for d in docs if d]
    if not docs:
        raise CorpusError("The corpus is empty: write a few documents, separated by lines holding only ---.")
    if len(docs) > MAX_DOCS:
        raise CorpusError(f"The corpus has {len(docs)} documents; at most {MAX_DOCS} can be compared pair by pair.")
    for i, d in enumerate(docs):
        if len(d) > MAX_DOC_CHARS:
            raise CorpusError(f"Document {i + 1} has {len(d):,} characters; at most {MAX_DOC_CHARS:,} each.")
    return docs


@dataclass(frozen=True)
class DedupSettings:
    shingle: int = 3  # words per shingle: long enough that shared phrases, not shared words, count
    num_perm: int = 128  # hash functions: standard error of the estimate at most 0.044 (J = 0.5)
    bands: int = 32  # 32 bands of 4 rows: pairs above J of about (1/32)^(1/4) = 0.42 become candidates
    threshold: float = 0.5  # estimated Jaccard at or above which a later document counts as a near copy
    seed: int = 1  # draws the hash functions


@dataclass
class DocReport:
    index: int
    text: str
    words: int
    status: str  # "kept", "exact", "near" or "quality"
    duplicate_of: int | None  # for "exact" and "near": the earlier document it copies
    failed: list[str] = field(default_factory=list)  # rules failed (whatever the status)
    reasons: list[str] = field(default_factory=list)  # one sentence per failed rule
    measures: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)  # tokenizer name -> token count


def clean_corpus(
    docs: list[str],
    dedup: DedupSettings | None = None,
    quality: QualityConfig | None = None,
    tokenizers: dict | None = None,
) -> dict:
    """Every document's fate, the near-duplicate pairs, and token counts before and after.

    tokenizers: name -> object with .encode(text) (glasslm's Tokenizer); none counted if omitted.
    """
    dedup = dedup or DedupSettings()
    quality = (quality or QualityConfig()).validate()
    exact = exact_duplicates(docs)
    pairs, near = near_duplicates(docs, dedup.shingle, dedup.num_perm, dedup.bands, dedup.threshold, dedup.seed)
    reports = []
    for i, d in enumerate(docs):
        m, verdicts = judge(d, quality)
        failed = [v for v in verdicts if not v.passed]
        if exact[i] is not None:
            status, of = "exact", exact[i]
        elif near[i] is not None:
            status, of = "near", near[i]
        elif failed:
            status, of = "quality", None
        else:
            status, of = "kept", None
        counts = {name: len(tok.encode(d)) for name, tok in (tokenizers or {}).items()}
        reports.append(
            DocReport(
                i, d, m.words, status, of, [v.rule for v in failed], [v.reason for v in failed], m.__dict__, counts
            )
        )
    kept = [r for r in reports if r.status == "kept"]
    totals = {
        name: {"before": sum(r.tokens[name] for r in reports), "after": sum(r.tokens[name] for r in kept)}
        for name in (tokenizers or {})
    }
    removed_by = {s: sum(r.status == s for r in reports) for s in ("exact", "near", "quality")}
    rule_counts: dict[str, int] = {}
    for r in reports:
        if r.status == "quality":
            for rule in r.failed:
                rule_counts[rule] = rule_counts.get(rule, 0) + 1
    return {
        "docs": [r.__dict__ for r in reports],
        "pairs": [p.__dict__ for p in pairs],
        "kept": len(kept),
        "removed_by": removed_by,
        "rule_counts": rule_counts,
        "tokens": totals,
        "words": {"before": sum(r.words for r in reports), "after": sum(r.words for r in kept)},
    }
