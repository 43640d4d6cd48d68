"""The interpretability chapter: neurons, a sparse autoencoder and activation patching on SmolLM2.

Endpoints:
- GET /texts: the text set the neurons and features are read on (texts.json);
- POST /lens: the logit lens at the last position of two prompts, layer by
  layer: the probability of each prompt's final answer;
- POST /neurons: one MLP neuron of a layer, its top-activating tokens over the
  text set and how many topics they span, with the layer's most and least
  mixed neurons as suggestions;
- POST /sae/train: a job that reads the residual stream at a layer over the
  text set and trains a sparse autoencoder on it, streaming its loss;
- POST /sae/features: a trained autoencoder's features with their
  top-activating tokens;
- POST /sae/gradcheck: the trained autoencoder's hand-written gradients
  against finite differences, at random entries, on a few of its vectors;
- POST /patch: a job sweeping activation patching over (layer, position),
  streaming one row of the heat map per layer;
- GET /trace/facts: the measured facts SmolLM2 gets right, the tracing presets;
- POST /trace: a causal-tracing job (noise on the subject, one state restored
  at a time), streaming one column of its three heat maps per position.
- POST /tiny-lens: a tiny GPT (the default, or the learner's own: web/my_models.py)
  reading a short text: every head's attention and the logit lens after each layer.

Every layer's activations over the text set are computed in one pass and kept
(in this app's cache), so the neuron picker's Block slider only reads, and the autoencoder
shares the same pass. The first token of each text is left out of them: its residual is
hundreds of times larger than the rest (the model parks attention there) and
would dominate any average.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from glasslm.engine.basics.sampling import softmax
from glasslm.engine.interpretability import causal_tracing as ct
from glasslm.engine.interpretability.logit_lens import lens_logits
from glasslm.engine.interpretability.patching import MAX_PATCH_TOKENS, both_runs, logit_diff, patch_sweep
from glasslm.engine.interpretability.sae import SAEConfig, gradient_check, top_examples, topic_spans, train_sae
from glasslm.engine.interpretability.tiny_lens import tiny_lens
from glasslm.engine.models.llama.hooked_llama import batch_layers, residuals
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.web.cache import app_cache
from glasslm.web.errors import DemoError
from glasslm.web.my_models import DEFAULT, default_tiny_gpt, pick_model
from glasslm.web.session import session_id
from glasslm.web.shared_models import ready_model
from glasslm.web.text_input import encode_text

router = APIRouter()

TEXTS = json.loads(resources.files("glasslm.chapters.interpretability").joinpath("texts.json").read_text("utf-8"))[
    "texts"
]
N_LAYERS = 30  # SmolLM2-135M's blocks (checked against the model when it loads)
MAX_EXAMPLES = 12  # top-activating tokens shown per neuron or feature
MAX_FEATURES_SHOWN = 48
MAX_PROMPT_CHARS = 200  # a short sentence
MAX_SAE_STEPS = 600  # a step is ~20-60 ms here: at most half a minute of training
CONTEXT_BEFORE, CONTEXT_AFTER = 6, 2  # tokens shown around a top-activating token
SAE_JOB, PATCH_JOB, TRACE_JOB = "interp-sae", "interp-patch", "interp-trace"
MAX_SUBJECT_CHARS = 80  # a name or a place
MIN_DROP = 0.05  # the noise must take at least this much probability from the answer, or there is nothing to trace
GRADCHECK_VECTORS = 16  # the loss is recomputed twice per checked entry: a few vectors keep it instant
MAX_GRADCHECKS = 24


def layer_acts(request: Request | FastAPI, m: SmolLM2, layer: int) -> dict:
    """{"rows": [(text, position)], "residual": (N, C), "mlp": (N, F), "seconds"} at `layer`.

    A miss runs the text set through every block once and keeps all of them (about 125 MB), so
    moving the Block slider afterwards only reads (a pass per layer took seconds); one pass even
    when demos ask at once."""
    return app_cache(request, "interpretability-acts", 1).get("every layer", lambda: _collect(m))[0][layer]


def _collect(m: SmolLM2) -> dict[int, dict]:
    start = time.perf_counter()
    seqs = [m.encode(t["text"]) for t in TEXTS]
    rows = [(i, p) for i, s in enumerate(seqs) for p in range(1, len(s))]  # position 0 left out
    out = {}
    for n, (xs, acts) in enumerate(batch_layers(m, seqs, m.config.n_layers), start=1):
        out[n] = {
            "rows": rows,
            "seqs": seqs,
            "residual": np.concatenate([x[1:] for x in xs]),
            "mlp": np.concatenate([a[1:] for a in acts]),
            "seconds": time.perf_counter() - start,
        }
    return out


def example(m: SmolLM2, entry: dict, row: int, value: float) -> dict:
    text, pos = entry["rows"][row]
    ids = entry["seqs"][text]
    piece = lambda a, b: "".join(token_text(m.tokenizer, i) for i in ids[max(a, 0) : b])
    return {
        "text": text,
        "topic": TEXTS[text]["topic"],
        "position": pos,
        "value": value,
        "before": piece(pos - CONTEXT_BEFORE, pos),
        "token": piece(pos, pos + 1),
        "after": piece(pos + 1, pos + 1 + CONTEXT_AFTER),
        # token by token, so a narrow card wraps between tokens, never inside one
        "before_tokens": [token_text(m.tokenizer, i) for i in ids[max(pos - CONTEXT_BEFORE, 0) : pos]],
        "after_tokens": [token_text(m.tokenizer, i) for i in ids[pos + 1 : pos + 1 + CONTEXT_AFTER]],
    }


def examples(m: SmolLM2, entry: dict, acts: np.ndarray, column: int, k: int) -> dict:
    ex = [example(m, entry, r, v) for r, v in top_examples(acts, column, k)]
    return {"examples": ex, "topics": len({e["topic"] for e in ex}), "active": int((acts[:, column] > 0).sum())}


def check_layer(m: SmolLM2, layer: int) -> None:
    if layer > m.config.n_layers:
        raise DemoError(f"SmolLM2 has {m.config.n_layers} layers: pick 1 to {m.config.n_layers}.", "layer")


@router.get("/texts")
def texts():
    return {"texts": TEXTS, "topics": sorted({t["topic"] for t in TEXTS})}


class LensRequest(BaseModel):
    clean: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    corrupted: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)


@router.post("/lens")
def lens(req: LensRequest):
    """p(clean answer) and p(corrupted answer) read by the logit lens after every layer, last position."""
    m = load_smollm2()
    out, answers = {}, []
    for field in ("clean", "corrupted"):
        ids = encode_text(m, getattr(req, field), MAX_PATCH_TOKENS, field=field, purpose="the lens reads")
        xs = residuals(m, ids)  # L+1 arrays (T, C)
        probs = softmax(lens_logits(m, np.stack([x[-1] for x in xs])))  # (L+1, V) last position
        out[field] = probs
        answers.append(int(probs[-1].argmax()))
    good, bad = answers
    return {
        "good": token_text(m.tokenizer, good),
        "bad": token_text(m.tokenizer, bad),
        "layers": list(range(m.config.n_layers + 1)),
        **{f"{field}_good": out[field][:, good].tolist() for field in out},
        **{f"{field}_bad": out[field][:, bad].tolist() for field in out},
        "first_top_layer": {field: int(np.argmax(out[field].argmax(axis=1) == a)) for field, a in zip(out, answers)},
    }


class NeuronRequest(BaseModel):
    layer: int = Field(12, ge=1, le=N_LAYERS, description="the block whose MLP is read")
    neuron: int = Field(0, ge=0, le=100_000)
    k: int = Field(8, ge=1, le=MAX_EXAMPLES)


@router.post("/neurons")
def neurons(req: NeuronRequest, request: Request):
    m = load_smollm2()
    check_layer(m, req.layer)
    F = m.config.d_ff
    if req.neuron >= F:
        raise DemoError(f"Block {req.layer}'s MLP has {F:,} neurons: pick 0 to {F - 1}.", "neuron")
    entry = layer_acts(request, m, req.layer)
    return {
        "layer": req.layer,
        "neuron": req.neuron,
        "n_neurons": F,
        "k": req.k,
        "tokens": len(entry["rows"]),
        **examples(m, entry, entry["mlp"], req.neuron, req.k),
        **neuron_spans(request, m, req.layer, req.k),
        "seconds": entry["seconds"],
    }


def neuron_spans(request: Request, m: SmolLM2, layer: int, k: int) -> dict:
    """How many topics each neuron's top k tokens come from (sae.topic_spans), at one block: the same for
    every neuron picked there, so this app computes it once per (layer, k) and the Block slider reads it."""

    def compute() -> dict:
        entry = layer_acts(request, m, layer)
        spans = topic_spans(entry["mlp"], [TEXTS[text]["topic"] for text, _ in entry["rows"]], k)  # (F,)
        mixed = np.argsort(-spans, kind="stable")[:6]
        pure = np.argsort(spans, kind="stable")[:6]
        return {
            "mixed": [{"neuron": int(j), "topics": int(spans[j])} for j in mixed],
            "pure": [{"neuron": int(j), "topics": int(spans[j])} for j in pure],
            "span_counts": np.bincount(spans, minlength=k + 1).tolist(),
        }

    return app_cache(request, "interpretability-spans", 4 * N_LAYERS).get((layer, k), compute)[0]


class SAERequest(BaseModel):
    layer: int = Field(12, ge=1, le=N_LAYERS)
    n_features: Literal[64, 128, 256, 512] = 128
    l1: float = Field(1.0, ge=0, le=10, allow_inf_nan=False)
    steps: int = Field(300, ge=10, le=MAX_SAE_STEPS)


@router.post("/sae/train")
def sae_train(req: SAERequest, request: Request, session: str = Depends(session_id)):
    """Start a job (events: collect, step {step, loss, mse, l1, l0, dead, explained}, trained)."""
    m = load_smollm2()
    check_layer(m, req.layer)
    cfg = SAEConfig(n_features=req.n_features, l1=req.l1, lr=1e-2, steps=req.steps)

    def events(job):
        yield {"type": "collect", "layer": req.layer, "texts": len(TEXTS)}
        entry = layer_acts(request, m, req.layer)
        x = entry["residual"]  # (N, C)
        yield {
            "type": "data",
            "tokens": int(x.shape[0]),
            "width": int(x.shape[1]),
            "seconds": entry["seconds"],
            "steps": req.steps,
        }
        start = time.perf_counter()
        for ev in train_sae(x, cfg, every=10):
            if job.stop_event.is_set():
                return
            if ev["type"] == "trained":
                f = ev["sae"].encode(x.astype(np.float32) * np.float32(ev["scale"]))  # (N, F)
                job.state.update(sae=ev["sae"], scale=ev["scale"], layer=req.layer, features=f)
                yield {
                    "type": "trained",
                    "seconds": time.perf_counter() - start,
                    "alive": int((f > 0).any(axis=0).sum()),
                    "n_features": req.n_features,
                }
            else:
                yield ev

    job = request.app.state.jobs.start(session, SAE_JOB, events)
    return {"job": job.id}


class FeaturesRequest(BaseModel):
    job: str = Field(min_length=1, max_length=40)
    sort: Literal["max", "frequency"] = "max"
    show: int = Field(24, ge=1, le=MAX_FEATURES_SHOWN)
    k: int = Field(6, ge=1, le=MAX_EXAMPLES)


def trained_state(request: Request, session: str, job_id: str) -> dict:
    job = request.app.state.jobs.get(session, job_id)
    if job.kind != SAE_JOB:
        raise DemoError("That run did not train an autoencoder: press Train first.", "job", 409)
    if "features" not in job.state:
        raise DemoError(
            "The autoencoder is still training (or was stopped before the end): wait for it to finish, or train again.",
            "job",
            409,
        )
    return job.state


@router.post("/sae/features")
def sae_features(req: FeaturesRequest, request: Request, session: str = Depends(session_id)):
    state = trained_state(request, session, req.job)
    m = load_smollm2()
    f = state["features"]  # (N, F)
    entry = layer_acts(request, m, state["layer"])
    key = f.max(axis=0) if req.sort == "max" else (f > 0).mean(axis=0)  # (F,)
    alive = np.flatnonzero(f.max(axis=0) > 0)
    chosen = alive[np.argsort(-key[alive], kind="stable")][: req.show]
    feats = [
        {
            "feature": int(j),
            "max": float(f[:, j].max()),
            "frequency": float((f[:, j] > 0).mean()),
            **examples(m, entry, f, int(j), req.k),
        }
        for j in chosen
    ]
    return {
        "layer": state["layer"],
        "n_features": int(f.shape[1]),
        "alive": int(alive.size),
        "tokens": int(f.shape[0]),
        "l0": float((f > 0).sum(axis=1).mean()),
        "features": feats,
        "mean_topics": float(np.mean([x["topics"] for x in feats])) if feats else 0.0,
    }


class GradcheckRequest(BaseModel):
    job: str = Field(min_length=1, max_length=40)
    checks: int = Field(12, ge=1, le=MAX_GRADCHECKS)
    seed: int = Field(0, ge=0, le=2**31 - 1)


@router.post("/sae/gradcheck")
def sae_gradcheck(req: GradcheckRequest, request: Request, session: str = Depends(session_id)):
    state = trained_state(request, session, req.job)
    entry = layer_acts(request, load_smollm2(), state["layer"])
    rows = np.random.default_rng(req.seed).choice(len(entry["rows"]), GRADCHECK_VECTORS, replace=False)
    x = entry["residual"][rows].astype(np.float64) * state["scale"]  # (n, C) scaled as in training
    checks = gradient_check(state["sae"], x, req.checks, eps=1e-5, seed=req.seed)
    return {
        "vectors": rows.tolist(),
        "eps": 1e-5,
        "checks": checks,
        "max_rel_error": max(c["rel_error"] for c in checks),
    }


class PatchRequest(BaseModel):
    clean: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    corrupted: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    stride: Literal[1, 2, 3, 5] = Field(3, description="patch every n-th layer")


@router.post("/patch")
def patch(req: PatchRequest, request: Request, session: str = Depends(session_id)):
    """Start a sweep (events: start {tokens, answers, logit differences}, row {layer, recovered}, done)."""
    m = load_smollm2()
    clean = encode_text(
        m,
        req.clean,
        MAX_PATCH_TOKENS,
        field="clean",
        at_least=2,
        why="a prompt and a word to change",
        purpose="a sweep patches",
    )
    corrupted = encode_text(
        m,
        req.corrupted,
        MAX_PATCH_TOKENS,
        field="corrupted",
        at_least=2,
        why="a prompt and a word to change",
        purpose="a sweep patches",
    )
    if len(clean) != len(corrupted):
        raise DemoError(
            f"The corrupted prompt has {len(corrupted)} tokens and the clean one {len(clean)}: they must "
            "line up token by token. Change a word for one of the same token length.",
            "corrupted",
        )
    if clean == corrupted:
        raise DemoError("The two prompts are the same: change a word in the corrupted one.", "corrupted")
    L = m.config.n_layers
    layers = sorted(set(range(0, L + 1, req.stride)) | {L})

    def events(job):
        start = time.perf_counter()
        runs = both_runs(m, clean, corrupted)
        good, bad = int(runs.clean_logits.argmax()), int(runs.corrupted_logits.argmax())
        if good == bad:
            raise DemoError(
                f"Both prompts predict “{token_text(m.tokenizer, good)}” next: choose a change that "
                "changes the answer (France → Italy, say)."
            )
        yield {
            "type": "start",
            "clean": [token_text(m.tokenizer, i) for i in clean],
            "corrupted": [token_text(m.tokenizer, i) for i in corrupted],
            "layers": layers,
            "good": token_text(m.tokenizer, good),
            "bad": token_text(m.tokenizer, bad),
            "clean_ld": float(logit_diff(runs.clean_logits, good, bad)),
            "corrupted_ld": float(logit_diff(runs.corrupted_logits, good, bad)),
        }
        for i, (layer, rec) in enumerate(patch_sweep(m, runs, good, bad, layers)):
            if job.stop_event.is_set():
                return
            yield {"type": "row", "layer": layer, "index": i + 1, "of": len(layers), "recovered": rec.tolist()}
        yield {"type": "done", "seconds": time.perf_counter() - start}

    job = request.app.state.jobs.start(session, PATCH_JOB, events)
    return {"job": job.id, "layers": layers, "tokens": len(clean)}


@router.get("/trace/facts")
def trace_facts():
    return {
        "facts": ct.facts(),
        "max_tokens": ct.MAX_TRACE_TOKENS,
        "max_subject_chars": MAX_SUBJECT_CHARS,
        "max_noise_samples": ct.MAX_NOISE_SAMPLES,
    }


class TraceRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT_CHARS)
    noise_samples: int = Field(ct.TraceConfig.noise_samples, ge=1, le=ct.MAX_NOISE_SAMPLES)


@router.post("/trace")
def trace(req: TraceRequest, request: Request, session: str = Depends(session_id)):
    """Start a trace (events: start {tokens, subject, answer, p_clean, p_corrupted}, column {position,
    recovered per kind, work done}, done {peaks, seconds}). The clean and corrupted runs are made here,
    so a subject whose noise changes nothing is refused before any job starts."""
    m = load_smollm2()
    ids = encode_text(
        m,
        req.prompt,
        ct.MAX_TRACE_TOKENS,
        field="prompt",
        at_least=2,
        why="a subject and something after it",
        purpose="a trace (every layer, position and kind of state, restored one by one) takes",
    )
    if not req.subject.strip():
        raise DemoError("Type the subject: the words of the prompt the fact is about.", "subject")
    if req.subject not in req.prompt:
        raise DemoError(
            f"“{req.subject}” is not in the prompt: copy the subject exactly as it is written there "
            "(capitals included).",
            "subject",
        )
    config = ct.TraceConfig(noise_samples=req.noise_samples)
    setup = ct.prepare(m, ids, ct.subject_tokens(m, ids, req.prompt, req.subject), config)
    answer = token_text(m.tokenizer, setup.answer)
    if setup.p_clean - setup.p_corrupted < MIN_DROP:
        raise DemoError(
            f"Noise on “{req.subject}” barely changes how likely SmolLM2 finds “{answer.strip()}” "
            f"({setup.p_clean:.1%} clean, {setup.p_corrupted:.1%} with noise): nothing to trace. "
            "Pick a prompt whose answer depends on the subject.",
            "subject",
        )
    L, T = m.config.n_layers, len(ids)
    total = sum(ct.work(setup, p) for p in range(T))

    def events(job):
        start = time.perf_counter()
        yield {
            "type": "start",
            "tokens": [token_text(m.tokenizer, i) for i in ids],
            "subject": list(setup.subject),
            "answer": answer,
            "p_clean": setup.p_clean,
            "p_corrupted": setup.p_corrupted,
            "layers": L,
            "kinds": list(ct.KINDS),
            "window": config.window,
            "noise_samples": config.noise_samples,
            "noise_scale": config.noise_scale,
        }
        columns, done = [], 0
        for col in ct.trace(m, setup):
            if job.stop_event.is_set():
                return
            columns.append(col)
            done += ct.work(setup, col["position"])
            elapsed = time.perf_counter() - start
            yield {
                "type": "column",
                "position": col["position"],
                "computed": col["computed"],
                **{k: setup.recovered(col[k]).tolist() for k in ct.KINDS},
                "p": {k: col[k].tolist() for k in ct.KINDS},
                "done": done,
                "total": total,
                "eta_seconds": elapsed / done * (total - done) if done else None,
            }
        yield {"type": "done", "peaks": ct.peaks(setup, columns), "seconds": time.perf_counter() - start}

    job = request.app.state.jobs.start(session, TRACE_JOB, events)
    return {"job": job.id, "tokens": T, "layers": L}


# ------------------------------------------------------------------ a tiny GPT, the learner's own

MAX_TINY_TEXT = 64  # characters; a model reads at most its own context of them
MAX_LENS_TOP = 5


class TinyLensRequest(BaseModel):
    text: str = Field("", max_length=MAX_TINY_TEXT, description="characters after BOS (may be empty)")
    model: str = Field(DEFAULT, min_length=1, max_length=32, description="'default' or the id of your model")
    k: int = Field(3, ge=1, le=MAX_LENS_TOP)


@router.post("/tiny-lens")
def tiny_lens_view(req: TinyLensRequest, request: Request, session: str = Depends(session_id)):
    entry = pick_model(request, session, req.model)
    model = ready_model(default_tiny_gpt(request)) if entry is None else entry.model
    tok = model.tokenizer
    unknown = sorted({c for c in req.text if c not in tok.chars})
    if unknown:
        raise DemoError(
            f"This model knows only the characters it was trained on, not {''.join(unknown)!r}: "
            f"use {tok.chars[:40]!r}.",
            "text",
        )
    lens = tiny_lens(model, req.text, req.k)

    def cell(layer: int, t: int) -> list[dict]:
        return [
            {"id": int(i), "text": tok.token_text(int(i)), "prob": float(p)}
            for i, p in zip(lens.top_ids[layer, t], lens.top_probs[layer, t])
        ]

    return {
        "model": "default tiny GPT" if entry is None else entry.name,
        "n_params": model.n_params,
        "tokens": lens.tokens,
        "layers": model.config.n_layer,
        "heads": model.config.n_head,
        "read": len(lens.tokens) - 1,
        "attention": [a.round(5).tolist() for a in lens.attention],  # (L, H, T, T)
        "lens": [[cell(layer, t) for t in range(len(lens.tokens))] for layer in range(model.config.n_layer + 1)],
    }
