"""The attention chapter: where SmolLM2's heads look, and one head's arithmetic.

Endpoints:
- POST /maps: the attention weights of every head of one layer for the
  learner's text (rows of the causal triangle);
- POST /steps: one head, one query token, step by step: q, k, v, q.k/sqrt(d),
  the causal mask, softmax, the weighted sum of values;
- POST /compare: one word (e.g. "bank") in two sentences: where it looks in
  every layer and head, and its strongest link to another word;
- GET /gqa: which query heads share which key/value head, and the memory that
  saves, from the loaded model's config.

All SmolLM2 numbers come from one traced forward pass (cached for the last few
texts, so moving a slider does not run the model again).
"""

from __future__ import annotations

import re

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.interpretability import attention_view
from glasslm.engine.models.llama.kv_cache import kv_cache_bytes
from glasslm.engine.models.llama.llama import Trace
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_TEXT_CHARS = 400  # a sentence or two: attention pictures of longer texts are unreadable
MAX_TOKENS = 40  # 9 heads x 40 x 40 cells is the most a page can draw legibly
MAX_WORD_CHARS = 40
TRACES_KEPT = 6  # recent traced texts kept in memory (a 40-token trace is about 6 MB)


# SmolLM2's traces (attention of every head, residual stream) of the last few texts


def traced(request: Request, m: SmolLM2, ids: list[int]) -> Trace:
    """SmolLM2's traced pass over ids, run once per text and kept in this app's cache."""
    cache = app_cache(request, "attention-traces", TRACES_KEPT)
    key = tuple(int(i) for i in ids)
    return cache.get(key, lambda: m.trace(list(key), attention=True, residual=True))[0]


def _check_layer_head(m: SmolLM2, layer: int, head: int | None = None) -> None:
    cfg = m.config
    if not 0 <= layer < cfg.n_layers:
        raise DemoError(
            f"“layer” must be from 0 to {cfg.n_layers - 1} (SmolLM2 has {cfg.n_layers} layers); you gave {layer}.",
            "layer",
        )
    if head is not None and not 0 <= head < cfg.n_heads:
        raise DemoError(
            f"“head” must be from 0 to {cfg.n_heads - 1} (each layer has {cfg.n_heads} query heads); you gave {head}.",
            "head",
        )


def _tokens(m: SmolLM2, ids) -> list[dict]:
    return [{"id": int(i), "text": token_text(m.tokenizer, i)} for i in ids]


def _rows(att: np.ndarray) -> list[list[float]]:
    """The causal triangle of a (T, T) map: row i has the i+1 weights on tokens 0..i."""
    return [att[i, : i + 1].round(4).tolist() for i in range(att.shape[0])]


class MapsRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    layer: int = Field(ge=0, le=1000)


@router.post("/maps")
def maps(req: MapsRequest, request: Request):
    m = load_smollm2()
    _check_layer_head(m, req.layer)
    ids = encode_text(m, req.text, MAX_TOKENS, purpose="attention is drawn for")
    att = traced(request, m, ids).attentions[req.layer]  # (H, T, T)
    cfg = m.config
    return {
        "tokens": _tokens(m, ids),
        "layer": req.layer,
        "layers": cfg.n_layers,
        "heads": cfg.n_heads,
        "kv_head_of": [h // cfg.group_size for h in range(cfg.n_heads)],
        "maps": [_rows(a) for a in att],
    }


class StepsRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    layer: int = Field(ge=0, le=1000)
    head: int = Field(ge=0, le=1000)
    token: int = Field(-1, ge=-1, le=MAX_TOKENS, description="position of the query token; -1 = the last")


@router.post("/steps")
def steps(req: StepsRequest, request: Request):
    m = load_smollm2()
    _check_layer_head(m, req.layer, req.head)
    ids = encode_text(m, req.text, MAX_TOKENS, purpose="attention is drawn for")
    query = len(ids) - 1 if req.token == -1 else req.token
    if query >= len(ids):
        raise DemoError(f"“token” must be a token of the text, from 0 to {len(ids) - 1}; you gave {query}.", "token")
    trace = traced(request, m, ids)
    s = attention_view.head_steps(m, trace.residuals[req.layer], req.layer, req.head, query)
    forward_row = trace.attentions[req.layer][req.head, query, : query + 1]  # what the model itself computed
    fin = lambda a: [None if not np.isfinite(x) else round(float(x), 5) for x in a]  # noqa: E731
    return {
        "tokens": _tokens(m, ids),
        "layer": req.layer,
        "head": req.head,
        "kv_head": s.kv_head,
        "query": query,
        "head_dim": int(s.q.shape[0]),
        "scale": s.scale,
        "q": s.q.round(4).tolist(),
        "k": s.k.round(4).tolist(),
        "v": s.v.round(4).tolist(),
        "dots": s.dots.round(5).tolist(),
        "scores": s.scores.round(5).tolist(),
        "visible": s.visible.tolist(),
        "masked": fin(s.masked),
        "weights": s.weights.round(6).tolist(),
        "output": s.output.round(5).tolist(),
        "max_difference_from_forward_pass": float(np.abs(s.weights[: query + 1] - forward_row).max()),
    }


class CompareRequest(BaseModel):
    word: str = Field(min_length=1, max_length=MAX_WORD_CHARS)
    sentences: list[str] = Field(min_length=2, max_length=2)
    context: list[str] = Field(
        ["", ""],
        min_length=2,
        max_length=2,
        description="a word before `word` in each sentence whose link to it is measured ('' = none)",
    )


def _word_matches(word: str, sentence: str) -> list[int]:
    """Byte offsets where each whole-word occurrence of `word` ends."""
    return [
        len(sentence[: mt.end()].encode())
        for mt in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, flags=re.IGNORECASE)
    ]


def _token_ending_at(m: SmolLM2, ids: list[int], end: int) -> int:
    """Index of the token that contains byte offset end-1 (the last token of a word ending there)."""
    pos = 0
    for i, tok in enumerate(ids):
        pos += len(m.token_bytes(tok))
        if pos >= end:
            return i
    return len(ids) - 1


@router.post("/compare")
def compare(req: CompareRequest, request: Request):
    m = load_smollm2()
    word = req.word.strip()
    if not word:
        raise DemoError("Type the word to follow, such as “bank”.", "word")
    out = []
    for n, (sentence, ctx) in enumerate(zip(req.sentences, req.context)):
        if len(sentence) > MAX_TEXT_CHARS:
            raise DemoError(f"Sentence {n + 1} is too long: at most {MAX_TEXT_CHARS} characters.", "sentences")
        if len(ctx) > MAX_WORD_CHARS:
            raise DemoError(f"Context word {n + 1} is too long: at most {MAX_WORD_CHARS} characters.", "context")
        ends = _word_matches(word, sentence)
        if not ends:
            raise DemoError(
                f"“{word}” does not appear as a word in “{sentence[:60]}”. Use it in both sentences.", "sentences"
            )
        ids = encode_text(m, sentence, MAX_TOKENS, "sentences", purpose="attention is drawn for")
        at = _token_ending_at(m, ids, ends[-1])  # the word's last occurrence, its last token
        att = np.stack(traced(request, m, ids).attentions)[:, :, at, : at + 1]  # (L, H, at+1): its rows
        layer, head, j = attention_view.strongest_link(att)  # not the first token (an attention sink), not itself
        item = {
            "sentence": sentence,
            "tokens": _tokens(m, ids),
            "position": at,
            "rows": att.round(4).tolist(),
            "strongest": {
                "layer": layer,
                "head": head,
                "token": j,
                "text": token_text(m.tokenizer, ids[j]),
                "weight": float(att[layer, head, j]),
            },
            "link": None,
        }
        ctx = ctx.strip()
        if ctx:
            before = [t for t in (_token_ending_at(m, ids, e) for e in _word_matches(ctx, sentence)) if t < at]
            if not before:
                raise DemoError(
                    f"“{ctx}” must appear before “{word}” in sentence {n + 1}: attention only looks back.", "context"
                )
            c = before[-1]
            grid = att[:, :, c]  # (L, H) how much the word looks at the context word, in every head
            cl, ch = attention_view.strongest_head(grid)
            item["link"] = {
                "word": ctx,
                "token": c,
                "grid": grid.round(4).tolist(),
                "layer": cl,
                "head": ch,
                "weight": float(grid[cl, ch]),
            }
        out.append(item)
    return {"word": word, "layers": m.config.n_layers, "heads": m.config.n_heads, "sentences": out}


@router.get("/gqa")
def gqa(context: int = 0):
    """context: tokens in the KV cache (0 = the model's whole context window)."""
    m = load_smollm2()
    cfg = m.config
    context = context or cfg.context_length
    if not 1 <= context <= cfg.context_length:
        raise DemoError(
            f"“context” must be from 1 to {cfg.context_length:,} tokens (SmolLM2's context window); "
            f"you gave {context:,}.",
            "context",
        )
    qkv_cols = m.model.w.layers[0].qkv_proj.shape[1]  # (H + 2 Hkv) D columns, read from the tensor
    published = [
        {
            "name": p.name,
            "heads": p.heads,
            "kv_heads": p.kv_heads,
            "head_dim": p.head_dim,
            "layers": p.layers,
            "context": p.context,
            "source": p.source,
            "kv_bytes_per_token_16bit": kv_cache_bytes(p.layers, p.kv_heads, p.head_dim, 1, 2),
        }
        for p in PUBLISHED
    ]
    return {
        "heads": cfg.n_heads,
        "kv_heads": cfg.n_kv_heads,
        "head_dim": cfg.head_dim,
        "layers": cfg.n_layers,
        "d_model": cfg.d_model,
        "group_size": cfg.group_size,
        "groups": attention_view.gqa_groups(cfg),
        "qkv_columns": int(qkv_cols),
        "memory": attention_view.gqa_memory(cfg, context),
        "published": published,
    }


# -- FlashAttention: the same attention, tile by tile ---------------------------------------------

FLASH_MAX_TEXT_CHARS = 4_000
FLASH_MAX_TOKENS = 512  # the residual stream up to the chosen layer is computed with ordinary attention
FLASH_CONTEXT = 8192  # SmolLM2's context, for the formula line


class FlashRequest(BaseModel):
    text: str = Field(min_length=1, max_length=FLASH_MAX_TEXT_CHARS)
    layer: int = Field(0, ge=0, le=1000)
    head: int = Field(0, ge=0, le=1000)
    tile: int = Field(64, ge=1, le=1024, description="rows and columns of one tile")
    length: int = Field(0, ge=0, le=FLASH_MAX_TOKENS, description="tokens of the text to use; 0 = all")
    watch: int = Field(-1, ge=-1, le=FLASH_MAX_TOKENS, description="query whose running values are shown; -1 = last")


@router.post("/flash")
def flash(req: FlashRequest):
    """One head of SmolLM2 on the learner's text, attended ordinarily and tile by tile."""
    from glasslm.engine.inference.flash_attention import TILES, flash_attention, ordinary_attention
    from glasslm.engine.models.llama.hooked_llama import residuals

    if req.tile not in TILES:
        raise DemoError(f"“tile” must be one of {', '.join(map(str, TILES))}; you gave {req.tile}.", "tile")
    m = load_smollm2()
    _check_layer_head(m, req.layer, req.head)
    ids = encode_text(m, req.text, FLASH_MAX_TOKENS, purpose="attention is computed for", at_least=2)
    if req.length:
        if req.length < 2:
            raise DemoError("“length” must be at least 2 tokens (or 0 for the whole text).", "length")
        ids = ids[: req.length]
    T = len(ids)
    watch = T - 1 if req.watch == -1 else req.watch
    if watch >= T:
        raise DemoError(f"“watch” must be a token of the text, from 0 to {T - 1}; you gave {watch}.", "watch")
    x = residuals(m, ids, upto=req.layer)[req.layer]  # (T, C) entering the layer
    q, k, v = attention_view.head_qkv(m, x, req.layer, req.head)  # (T, D) each: this head's real queries, keys, values
    ordinary, ordinary_bytes, ordinary_flops = ordinary_attention(q, k, v)
    r = flash_attention(q, k, v, req.tile, watch=watch)
    n = -(-T // req.tile)  # tiles per side
    grid = [["computed" if j <= i else "skipped" for j in range(n)] for i in range(n)]  # causal: whole tiles
    D = q.shape[1]
    return {
        "tokens": _tokens(m, ids),
        "layer": req.layer,
        "head": req.head,
        "head_dim": D,
        "tile": req.tile,
        "watch": watch,
        "history": r.history,
        "grid": grid,
        "max_abs_difference": float(np.abs(r.out - ordinary).max()),
        "largest_bytes": {"ordinary": ordinary_bytes, "flash": r.largest_bytes},
        "tiles": {"computed": r.tiles_computed, "skipped": r.tiles_skipped},
        "flops": {"flash": r.flops, "ordinary_full_matrix": ordinary_flops},
        "at_full_context": {
            "tokens": FLASH_CONTEXT,
            "ordinary_bytes": FLASH_CONTEXT**2 * 4,
            "flash_bytes": max(req.tile * req.tile, req.tile * D) * 4,
            "note": "from the formulas T² × 4 bytes and max(tile², tile × head size) × 4 bytes, per head, float32",
        },
    }
