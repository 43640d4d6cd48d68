"""The pretraining-data chapter: clean a small corpus, compare two documents, count the compute.

GET  /corpus      the default corpus (corpus.txt beside this file: documents written for the
                  chapter, with deliberate copies, near-copies, boilerplate, spam and scraps)
POST /clean       split, de-duplicate (exact + MinHash), apply the quality rules, count tokens
POST /similarity  two documents: their shingles, exact Jaccard, MinHash estimates for growing K
POST /flop-rate   time a numpy matrix product now: this machine's FLOPs per second
POST /compute     C = 6ND for the learner's N and D, and for the published models

Every number comes from glasslm.engine.{corpus_cleaning, dedup, quality_filters,
training_compute}; this router validates and shapes the JSON.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel, Field

from glasslm.engine.pretraining import training_compute
from glasslm.engine.pretraining.corpus_cleaning import (
    MAX_DOC_CHARS,
    CorpusError,
    DedupSettings,
    clean_corpus,
    split_documents,
)
from glasslm.engine.pretraining.dedup import MinHasher, estimate_jaccard, jaccard, shingles
from glasslm.engine.pretraining.quality_filters import QualityConfig
from glasslm.engine.tokenizers.pretrained_tokenizers import cl100k_tokenizer, smollm2_tokenizer
from glasslm.web.errors import DemoError

router = APIRouter()

CORPUS_FILE = Path(__file__).with_name("corpus.txt")
MAX_CORPUS_CHARS = 100_000  # about 60 short web pages: every pair is compared in well under a second
MAX_PAIR_CHARS = MAX_DOC_CHARS  # each of the two documents compared
MAX_SHINGLE = 8  # words per shingle offered here
MAX_PERM = 512  # hash functions offered here
PERM_STEPS = (4, 8, 16, 32, 64, 128, 256, 512)  # K values shown for the estimate's convergence
MAX_PARAMS = 1e15  # a thousand times the largest published model
MAX_TOKENS = 1e16  # a thousand times the largest published data set
MIN_FLOPS_PER_S = 1_000  # slower than any computer; smaller rates make the training times overflow
MAX_FLOPS_PER_S = 1e18  # an exaFLOP per second: a whole supercomputer
FLOP_RATE_LOCK = threading.Lock()  # one measurement at a time: two would only measure each other


def _tokenizers() -> dict:
    return {"cl100k_base": cl100k_tokenizer(), "SmolLM2": smollm2_tokenizer()}


class CleanRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_CORPUS_CHARS, description="documents separated by --- lines")
    shingle: int = Field(3, ge=1, le=MAX_SHINGLE)
    num_perm: int = Field(128, ge=4, le=MAX_PERM)
    threshold: float = Field(0.5, ge=0.05, le=1.0, allow_inf_nan=False)
    min_words: int = Field(12, ge=0, le=1000)
    min_stop_words: int = Field(2, ge=0, le=8)
    max_symbol_ratio: float = Field(0.1, ge=0, le=10, allow_inf_nan=False)
    min_alpha_words: float = Field(0.8, ge=0, le=1, allow_inf_nan=False)
    max_duplicate_lines: float = Field(0.3, ge=0, le=1, allow_inf_nan=False)
    max_top_bigram: float = Field(0.2, ge=0, le=1, allow_inf_nan=False)
    min_mean_word_len: float = Field(3.0, ge=0, le=50, allow_inf_nan=False)
    max_mean_word_len: float = Field(10.0, ge=0, le=50, allow_inf_nan=False)


class SimilarityRequest(BaseModel):
    a: str = Field(min_length=1, max_length=MAX_PAIR_CHARS)
    b: str = Field(min_length=1, max_length=MAX_PAIR_CHARS)
    shingle: int = Field(3, ge=1, le=MAX_SHINGLE)
    seed: int = Field(1, ge=0, le=2**31 - 1)


class ComputeRequest(BaseModel):
    params: float = Field(ge=1, le=MAX_PARAMS, allow_inf_nan=False, description="N, parameters")
    tokens: float = Field(ge=1, le=MAX_TOKENS, allow_inf_nan=False, description="D, training tokens")
    flops_per_s: float | None = Field(
        None,
        ge=MIN_FLOPS_PER_S,
        le=MAX_FLOPS_PER_S,
        allow_inf_nan=False,
        description="this machine's rate, as /flop-rate measured it",
    )


@router.get("/corpus")
def corpus():
    text = CORPUS_FILE.read_text(encoding="utf-8")
    return {"text": text, "documents": len(split_documents(text)), "max_chars": MAX_CORPUS_CHARS}


@router.post("/clean")
def clean(req: CleanRequest):
    if req.min_mean_word_len > req.max_mean_word_len:
        raise DemoError(
            f"The shortest mean word length ({req.min_mean_word_len:g}) must not exceed the longest "
            f"({req.max_mean_word_len:g}).",
            "min_mean_word_len",
        )
    try:
        docs = split_documents(req.text)
    except CorpusError as err:
        raise DemoError(str(err), "text", 413 if "at most" in str(err) else 400) from None
    bands = max(b for b in (32, 16, 8, 4, 2, 1) if req.num_perm % b == 0)
    quality = QualityConfig(
        min_words=req.min_words,
        min_stop_words=req.min_stop_words,
        max_symbol_ratio=req.max_symbol_ratio,
        min_alpha_words=req.min_alpha_words,
        max_duplicate_lines=req.max_duplicate_lines,
        max_top_bigram=req.max_top_bigram,
        min_mean_word_len=req.min_mean_word_len,
        max_mean_word_len=req.max_mean_word_len,
    )
    dedup = DedupSettings(shingle=req.shingle, num_perm=req.num_perm, bands=bands, threshold=req.threshold)
    out = clean_corpus(docs, dedup, quality, _tokenizers())
    return {**out, "n_docs": len(docs), "settings": {"dedup": asdict(dedup), "quality": asdict(quality)}}


@router.post("/similarity")
def similarity(req: SimilarityRequest):
    sa, sb = shingles(req.a, req.shingle), shingles(req.b, req.shingle)
    if not sa or not sb:
        raise DemoError("Each document needs at least one word to compare.", "a" if not sa else "b")
    exact = jaccard(sa, sb)
    hasher = MinHasher.create(max(PERM_STEPS), req.seed)
    sig_a, sig_b = hasher.signature(sa), hasher.signature(sb)
    # The first K functions of one long signature: the estimate as more functions are added.
    estimates = [
        {"k": k, "estimate": estimate_jaccard(sig_a[:k], sig_b[:k]), "std_error": (exact * (1 - exact) / k) ** 0.5}
        for k in PERM_STEPS
    ]
    shared = sorted(sa & sb)
    return {
        "exact": exact,
        "estimates": estimates,
        "shingles_a": len(sa),
        "shingles_b": len(sb),
        "shared": len(shared),
        "union": len(sa | sb),
        "shared_examples": shared[:12],
        "only_a_examples": sorted(sa - sb)[:6],
        "only_b_examples": sorted(sb - sa)[:6],
    }


@router.post("/flop-rate")
def flop_rate():
    if not FLOP_RATE_LOCK.acquire(blocking=False):
        raise DemoError("A measurement is running already; try again in a moment.", None, 429)
    try:
        r = training_compute.measure_flop_rate()
    finally:
        FLOP_RATE_LOCK.release()
    return {
        "flops_per_s": r.flops_per_s,
        "seconds": r.seconds,
        "size": r.size,
        "repeats": r.repeats,
        "flops": training_compute.matmul_flops(r.size, r.size, r.size),
    }


@router.post("/compute")
def compute(req: ComputeRequest):
    mine = training_compute.compute_row("your model", req.params, req.tokens, "your choice", req.flops_per_s)
    rows = training_compute.published_rows(req.flops_per_s)

    def shaped(r: training_compute.ComputeRow) -> dict:
        return {
            **asdict(r),
            "time_here": training_compute.readable_duration(r.seconds_here) if r.seconds_here else None,
        }

    return {"yours": shaped(mine), "published": [shaped(r) for r in rows], "flops_per_s": req.flops_per_s}


# -- Personal data: find and mask it ------------------------------------------------------------------


class PIIRequest(BaseModel):
    text: str = Field(max_length=20_000, description="text to scrub")


@router.post("/pii")
def pii(req: PIIRequest):
    """The learner's text with e-mails, phones, IPs and cards masked, and the scrubber's scores
    on the hand-labelled sample that ships with glasslm."""
    from glasslm.engine.pretraining.pii import evaluate, labelled_sample, scrub

    if not req.text.strip():
        raise DemoError("Paste some text to scrub: a few sentences with an e-mail address or a phone number.", "text")
    scrubbed, spans = scrub(req.text)
    scores, mistakes = evaluate()
    return {
        "scrubbed": scrubbed,
        "spans": [s.__dict__ for s in spans],
        "counts": {k: sum(s.kind == k for s in spans) for k in ("email", "phone", "ip", "card")},
        "sample": {
            "examples": len(labelled_sample()),
            "scores": [
                {
                    "kind": s.kind,
                    "true_positives": s.true_positives,
                    "false_positives": s.false_positives,
                    "false_negatives": s.false_negatives,
                    "precision": s.precision,
                    "recall": s.recall,
                }
                for s in scores
            ],
            "mistakes": mistakes,
        },
    }
