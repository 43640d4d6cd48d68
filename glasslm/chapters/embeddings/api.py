"""The embeddings chapter: real word vectors, contextual vectors and position encodings.

Endpoints:
- POST /space: a 3-D PCA view of word groups plus the learner's words (GloVe);
- POST /analogy, /similarity, /neighbours, /vector: GloVe geometry;
- POST /contextual: one word's hidden state in two or three sentences, compared
  by cosine at every layer of SmolLM2;
- POST /sinusoidal and GET /rope: position encodings, RoPE with SmolLM2's theta.
"""

from __future__ import annotations

import functools
import time

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.embeddings import positions
from glasslm.engine.embeddings.contextual import compare_in_context, find_word
from glasslm.engine.embeddings.glove import UnknownWord, glove
from glasslm.web.cache import LRUCache, app_cache
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_WORD_CHARS = 40  # GloVe's words are short; longer input is not a word
MAX_EXTRA_WORDS = 20  # the learner's own words in the 3-D view
MAX_WORDS_3D = 60  # points with readable labels in one 3-D view
MAX_NEIGHBOURS = 50
MAX_SENTENCE_CHARS = 300  # contextual embeddings: a sentence, not a document
MAX_POSITIONS = 512  # sinusoidal heat map rows
MAX_CHANNELS = 256

# Default clusters for the 3-D view: all in GloVe's vocabulary.
GROUPS = {
    "animals": ["cat", "dog", "horse", "cow", "lion", "tiger", "elephant", "mouse", "rabbit", "eagle"],
    "places": ["paris", "london", "tokyo", "berlin", "rome", "france", "japan", "germany", "italy", "china"],
    "verbs": ["run", "walk", "swim", "jump", "eat", "drink", "sleep", "write", "read", "sing"],
    "emotions": ["happy", "sad", "angry", "afraid", "joy", "fear", "love", "hate", "calm", "proud"],
}


def _word(word: str, field: str) -> str:
    w = word.strip().lower()
    if not w:
        raise DemoError("Type a word.", field)
    try:
        glove().index(w)
    except UnknownWord as e:
        raise DemoError(str(e), field, 404) from None
    return w


Word = Field(min_length=1, max_length=MAX_WORD_CHARS)


class SpaceRequest(BaseModel):
    words: list[str] = Field(
        [], max_length=MAX_WORDS_3D, description="the learner's own words, shown as their own group"
    )
    groups: list[str] = Field(list(GROUPS), max_length=len(GROUPS))


@router.post("/space")
def space(req: SpaceRequest):
    unknown_groups = [g for g in req.groups if g not in GROUPS]
    if unknown_groups:
        raise DemoError(f"Unknown group {unknown_groups[0]!r}; choose from {', '.join(GROUPS)}.", "groups")
    extra = [w.strip().lower() for w in req.words if w.strip()]
    if len(extra) > MAX_EXTRA_WORDS:
        raise DemoError(f"At most {MAX_EXTRA_WORDS} words of your own, please (you gave {len(extra)}).", "words")
    for w in extra:
        if len(w) > MAX_WORD_CHARS:
            raise DemoError(f"“{w[:20]}…” is too long to be a word (at most {MAX_WORD_CHARS} characters).", "words")
        _word(w, "words")
    labelled = [(w, g) for g in req.groups for w in GROUPS[g]]
    seen = {w for w, _ in labelled}
    labelled += [(w, "yours") for w in dict.fromkeys(extra) if w not in seen]
    if len(labelled) > MAX_WORDS_3D:
        raise DemoError(
            f"The 3-D view shows at most {MAX_WORDS_3D} words; you asked for {len(labelled)}. "
            "Turn off a group or remove some words.",
            "words",
        )
    if len(labelled) < 3:
        raise DemoError("Choose at least one group or three words of your own to see them in 3-D.", "groups")
    coords, explained = glove().project_3d([w for w, _ in labelled], max_words=MAX_WORDS_3D)
    return {
        "points": [{"word": w, "group": g, "xyz": c.round(4).tolist()} for (w, g), c in zip(labelled, coords)],
        "explained": explained.round(4).tolist(),
        "dims": int(glove().vectors.shape[1]),
        "groups": list(req.groups) + (["yours"] if extra else []),
    }


class AnalogyRequest(BaseModel):
    a: str = Word
    b: str = Word
    c: str = Word


@router.post("/analogy")
def analogy(req: AnalogyRequest):
    a, b, c = _word(req.a, "a"), _word(req.b, "b"), _word(req.c, "c")
    if len({a, b, c}) < 3:
        raise DemoError("Use three different words: with a repeated word the arithmetic cancels out.", "c")
    start = time.perf_counter()
    result = glove().analogy(a, b, c, k=8)
    return {
        "a": a,
        "b": b,
        "c": c,
        "answers": [{"word": w, "cosine": s} for w, s in result.answers],
        "answer": result.answers[0][0],
        "cosine": result.answers[0][1],
        "rank_with_inputs": result.rank_with_inputs,
        "nearest_overall": [{"word": w, "cosine": s} for w, s in result.nearest_overall],
        "ms": 1000 * (time.perf_counter() - start),
        "searched": len(glove()),
    }


def reading(cos: float) -> str:
    """A plain-words reading of a GloVe cosine (thresholds chosen by looking at many word pairs)."""
    if cos >= 0.999:
        return "the same direction: the same word"
    if cos >= 0.75:
        return "very similar: words used in almost the same contexts (often the same kind of thing)"
    if cos >= 0.5:
        return "clearly related: they often appear around the same words"
    if cos >= 0.25:
        return "loosely related"
    if cos > -0.1:
        return "unrelated: the directions have little in common"
    return "pointing apart: unusual in GloVe, where most words share some direction"


class PairRequest(BaseModel):
    a: str = Word
    b: str = Word


@router.post("/similarity")
def similarity(req: PairRequest):
    a, b = _word(req.a, "a"), _word(req.b, "b")
    g = glove()
    cos = g.cosine(a, b)
    va, vb = g.vector(a), g.vector(b)
    return {
        "a": a,
        "b": b,
        "cosine": cos,
        "reading": reading(cos),
        "angle_degrees": float(np.degrees(np.arccos(np.clip(cos, -1, 1)))),
        "dot": float(va @ vb),
        "norm_a": float(np.linalg.norm(va)),
        "norm_b": float(np.linalg.norm(vb)),
    }


class NeighboursRequest(BaseModel):
    word: str = Word
    k: int = Field(10, ge=1, le=MAX_NEIGHBOURS)


@router.post("/neighbours")
def neighbours(req: NeighboursRequest):
    w = _word(req.word, "word")
    start = time.perf_counter()
    found = glove().neighbours(w, req.k)
    ms = 1000 * (time.perf_counter() - start)
    return {"word": w, "neighbours": [{"word": n, "cosine": s} for n, s in found], "ms": ms, "searched": len(glove())}


class VectorRequest(BaseModel):
    words: list[str] = Field(min_length=1, max_length=4)


@router.post("/vector")
def vector(req: VectorRequest):
    words = [_word(w, "words") for w in req.words]
    g = glove()
    return {
        "words": words,
        "vectors": [g.vector(w).round(4).tolist() for w in words],
        "rank": [g.index(w) + 1 for w in words],
        "dims": 50,
    }


# ---------------------------------------------------------------- SmolLM2
class ContextualRequest(BaseModel):
    word: str = Field(min_length=1, max_length=MAX_WORD_CHARS)
    sentences: list[str] = Field(min_length=2, max_length=3)


@router.post("/contextual")
def contextual(req: ContextualRequest):
    word = req.word.strip()
    sentences = [s.strip() for s in req.sentences]
    for i, s in enumerate(sentences):
        if not s:
            raise DemoError(f"Sentence {i + 1} is empty.", "sentences")
        if len(s) > MAX_SENTENCE_CHARS:
            raise DemoError(f"Sentence {i + 1} is too long: at most {MAX_SENTENCE_CHARS} characters.", "sentences")
        if not find_word(s, word):  # checked before loading the model: a missing word is a typo
            raise DemoError(f"“{word}” does not appear as a word in “{s[:60]}”. Use it in every sentence.", "sentences")
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    model = load_smollm2()
    result = compare_in_context(model, word, sentences)
    used = [
        {"sentence": s, "tokens": [p.decode("utf-8", errors="replace") for p in pieces], "position": at}
        for s, pieces, at in zip(sentences, result.pieces, result.positions)
    ]
    return {
        "word": word,
        "layers": model.config.n_layers,
        "sentences": used,
        "raw": [{"pair": list(p), "cosine": c.tolist()} for p, c in zip(result.pairs, result.raw)],
        "centred": [{"pair": list(p), "cosine": c.tolist()} for p, c in zip(result.pairs, result.centred)],
    }


# ---------------------------------------------------------------- positions
class SinusoidalRequest(BaseModel):
    positions: int = Field(64, ge=2, le=MAX_POSITIONS)
    channels: int = Field(64, ge=2, le=MAX_CHANNELS, multiple_of=2)


@router.post("/sinusoidal")
def sinusoidal(req: SinusoidalRequest):
    pe = positions.sinusoidal(req.positions, req.channels)  # (T, C)
    sim = positions.similarity_by_offset(pe)  # (T, T)
    return {
        "pe": pe.round(4).tolist(),
        "similarity_from_0": sim[0].round(4).tolist(),
        "similarity_from_mid": sim[req.positions // 2].round(4).tolist(),
        "wavelengths": positions.sinusoidal_wavelengths(req.channels).round(2).tolist(),
    }


@functools.lru_cache(maxsize=1)
def smollm2_rope() -> tuple[float, int]:
    """(theta, head dim) read from SmolLM2's GGUF metadata (no weights loaded)."""
    from glasslm import assets
    from glasslm.engine.models.llama.gguf_weights import read_config

    cfg = read_config(assets.open_gguf(assets.smollm2_gguf_path()))
    return cfg.rope_theta, cfg.head_dim


@router.get("/rope")
def rope(pair: int = 0, seed: int = 0):
    theta, head_dim = smollm2_rope()
    if not 0 <= pair < head_dim // 2:
        raise DemoError(f"“pair” must be between 0 and {head_dim // 2 - 1}.", "pair")
    if not 0 <= seed < 2**31:
        raise DemoError("“seed” must be a non-negative whole number.", "seed")
    steps = list(range(0, 33))
    angles = positions.rope_pair_angles(steps, head_dim, theta)  # (T, D/2)
    rng = np.random.default_rng(seed)
    q, k = rng.standard_normal(head_dim), rng.standard_normal(head_dim)
    distances = list(range(0, 65))
    offsets = [0, 100, 1000]
    scores = positions.rope_scores_by_offset(q, k, theta, distances, offsets)  # (O, R)
    return {
        "theta": theta,
        "head_dim": head_dim,
        "pair": pair,
        "positions": steps,
        "angles": angles[:, pair].round(5).tolist(),
        "wavelengths": positions.rope_wavelengths(head_dim, theta).round(2).tolist(),
        "distances": distances,
        "offsets": offsets,
        "scores": scores.round(4).tolist(),
        "max_row_difference": float(np.abs(scores - scores[0]).max()),
    }


# -- word2vec trained here, on a small real corpus -----------------------------------------------------

W2V_JOB_KIND = "embeddings-word2vec"
W2V_DEFAULT_WATCH = ("string", "function", "error", "file", "list")
W2V_NEIGHBOURS = 6


class Word2VecRequest(BaseModel):
    watch: list[str] = Field(list(W2V_DEFAULT_WATCH), min_length=1, max_length=8)
    epochs: int = Field(3, ge=1, le=10)
    dim: int = Field(32, ge=2, le=100)


@router.post("/word2vec")
def word2vec_start(req: Word2VecRequest, request: Request, session: str = Depends(session_id)):
    """Train skip-gram word vectors live (a job in a worker); GloVe's neighbours of the same words come
    with the start."""
    from glasslm.engine.embeddings import word2vec as w2v

    if any(len(w) > MAX_WORD_CHARS for w in req.watch):
        raise DemoError(f"Each word must be at most {MAX_WORD_CHARS} characters.", "watch")
    watch = tuple(dict.fromkeys(_word(w, "watch") for w in req.watch))
    cfg = w2v.Word2VecConfig(epochs=req.epochs, dim=req.dim)
    try:  # a rare word is refused now, not mid-stream (the vocabulary takes a tenth of a second)
        w2v.check_watch(w2v.Vocab(w2v.corpus_words()), watch)
    except ValueError as err:
        raise DemoError(str(err), "watch") from None
    g = glove()
    glove_neighbours = {w: g.neighbours(w, W2V_NEIGHBOURS) if w in g else [] for w in watch}
    job = request.app.state.jobs.start(
        session, W2V_JOB_KIND, InWorker(_word2vec_events, cfg, watch, glove_neighbours), cooperative=True
    )
    return {"job": job.id, "watch": list(watch)}


def _word2vec_events(cfg, watch: tuple[str, ...], glove_neighbours: dict):
    """The training's events, run in a worker process, GloVe's neighbours (computed by the server,
    which holds GloVe) added to the first."""
    from glasslm.engine.embeddings import word2vec as w2v

    def source(job):
        for event in w2v.train_word2vec(cfg, watch=watch):
            if event["type"] == "start":
                event = {**event, "glove": glove_neighbours}
            elif event["type"] == "done":
                event = {k: v for k, v in event.items() if k != "model"}
            elif event["type"] == "neighbours":
                event = {**event, "words": {w: n[:W2V_NEIGHBOURS] for w, n in event["words"].items()}}
            yield event
            if job.stop_event.is_set():
                return

    return source


# -- Approximate nearest neighbours over GloVe's 400,000 words (faiss IVF) -----------------------------

ANN_JOB_KIND = "embeddings-ann-build"
ANN_QUERIES = 200  # query words for recall: a fixed sample of the 20,000 commonest
ANN_K = 10


class AnnBuildRequest(BaseModel):
    nlist: int = Field(256, description="clusters k-means splits the vectors into (64, 256 or 1024)")


class AnnSearchRequest(BaseModel):
    nlist: int = Field(256)
    nprobe: int = Field(8, ge=1, le=256, description="clusters opened per query")
    word: str = Word


def _ann_indexes(request: Request) -> LRUCache:
    """This app's built IVF indexes by nlist (a few MB each), with room for every nlist: none is dropped."""
    from glasslm.engine.applications.vector_search import NLISTS

    return app_cache(request, "ann-indexes", len(NLISTS))


def _check_nlist(nlist: int) -> None:
    from glasslm.engine.applications.vector_search import NLISTS

    if nlist not in NLISTS:
        raise DemoError(f"“nlist” must be one of {', '.join(map(str, NLISTS))}; you gave {nlist}.", "nlist")


@router.post("/ann/build")
def ann_build(req: AnnBuildRequest, request: Request, session: str = Depends(session_id)):
    """Build the IVF index for this nlist (k-means on a sample, then every word filed), as a job."""
    from glasslm.engine.applications.vector_search import TRAIN_SAMPLE, build_ivf

    _check_nlist(req.nlist)
    indexes = _ann_indexes(request)

    def source(job):
        if req.nlist in indexes:
            yield {"type": "built", "nlist": req.nlist, "seconds": 0.0, "cached": True}
            return
        yield {
            "type": "progress",
            "message": f"k-means: {req.nlist} clusters from {TRAIN_SAMPLE:,} vectors, "
            f"then filing all {len(glove()):,} words",
        }
        start = time.perf_counter()
        _, cached = indexes.get(req.nlist, lambda: build_ivf(glove().unit, req.nlist))  # once, if two ask at once
        yield {"type": "built", "nlist": req.nlist, "seconds": time.perf_counter() - start, "cached": cached}

    job = request.app.state.jobs.start(session, ANN_JOB_KIND, source)
    return {"job": job.id}


@router.post("/ann/search")
def ann_search(req: AnnSearchRequest, request: Request):
    """Recall@10 and time per query of the IVF index against exact search, and one word's neighbours both ways."""
    from glasslm.engine.applications.vector_search import measure

    _check_nlist(req.nlist)
    indexes = _ann_indexes(request)
    if req.nlist not in indexes:
        raise DemoError(f"The index with {req.nlist} clusters is not built yet: press Build first.", "nlist", 409)
    index, _ = indexes.get(req.nlist, lambda: None)  # there: nothing is ever dropped from this cache
    if req.nprobe > req.nlist:
        raise DemoError(
            f"“nprobe” cannot be more than the {req.nlist} clusters there are; you gave {req.nprobe}.", "nprobe"
        )
    w = _word(req.word, "word")
    g = glove()
    sample = np.random.default_rng(0).choice(20_000, ANN_QUERIES, replace=False)  # word ids are by frequency
    queries = np.concatenate([[g.index(w)], sample])
    r = measure(index, g.unit, queries, req.nprobe, ANN_K)
    return {
        "word": w,
        "nlist": req.nlist,
        "nprobe": req.nprobe,
        "queries": ANN_QUERIES,
        "recall_at_10": r["recall"],
        "exact_ms_per_query": r["exact_ms_per_query"],
        "ivf_ms_per_query": r["ivf_ms_per_query"],
        "share_scanned": r["share_scanned"],
        "neighbours": {"exact": [g.words[j] for j in r["exact"][0]], "ivf": [g.words[j] for j in r["found"][0]]},
        "vectors": len(g),
    }
