"""The fine-tuning chapter: LoRA on the tiny GPT, quantization of SmolLM2's weights, QLoRA's memory.

POST /count      trainable numbers of LoRA at a rank and targets, counted from a real model (instant)
POST /lora       a job: pretrain a tiny GPT on first names, then fine-tune it to last names twice
                 (LoRA and full), both held-out curves streamed; with `model`, the learner's own
                 tiny GPT (web/my_models.py, trained on names) is the base and nothing is pretrained
POST /merge      fold a finished run's adapters into the weights; samples and logits of both compared
POST /quantize   one SmolLM2 matrix at 8 and 4 bits: sizes, errors, histograms, the file's own format
POST /effect     a job: SmolLM2's next-token distribution for the learner's text with matrices quantized
POST /memory     memory of full fine-tuning, LoRA and QLoRA from formulas (SmolLM2 and Llama 2 70B)

Every number comes from glasslm.engine.training.lora / finetune / quantize; this router
validates, thins the step events and keeps a run's models in its job's state.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm import assets
from glasslm.engine.data.model_facts import published
from glasslm.engine.models.llama import quantize
from glasslm.engine.models.llama.smollm2 import load_smollm2
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.tokenizers.token_display import token_text
from glasslm.engine.training import finetune
from glasslm.engine.training.lora import TARGETS, LoRAConfig, LoRAGPT, count_lora_params, merge
from glasslm.engine.training.train import Docs
from glasslm.web.errors import DemoError
from glasslm.web.my_models import DEFAULT, needs_names, pick_model
from glasslm.web.session import session_id
from glasslm.web.text_input import encode_text
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_WEB_FT_STEPS = 2_000  # both models train side by side: a couple of minutes at most on a shared laptop
MAX_PRETRAIN_STEPS = 3_000
MAX_WEB_RANK = 16  # the narrowest tiny GPT offered is 16 wide: a larger rank would not be low-rank there
WIDTHS = (16, 32, 64)  # tiny GPT widths offered (4 heads each)
# A learner's own base model is tuned twice (full and LoRA) in numpy: past this size (about the largest
# model train-a-gpt trains) a run would take far too long on a shared laptop.
MAX_TUNE_BASE_PARAMS = 250_000
STEP_EVENTS_PER_RUN = 100  # step events sent per run; the losses between them are averaged
EVALS_PER_RUN = 16  # held-out measurements per run (each measures both models)
MERGE_SAMPLES = 8
MAX_EFFECT_TOKENS = 64  # the prompt SmolLM2 reads with quantized weights: one short prefill
MAX_TEXT_CHARS = 2_000
BLOCKS = (16, 32, 64, 192)  # each divides SmolLM2's row lengths (576 and 1536)
QLORA_REFERENCE = "Llama 2 70B"  # a published model to size QLoRA for (model_facts.py)
LORA_JOB, EFFECT_JOB = "fine-tuning-lora", "fine-tuning-quantize"

Target = Literal["attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2"]
Matrix = Literal["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class CountRequest(BaseModel):
    rank: int = Field(4, ge=1, le=MAX_WEB_RANK)
    targets: list[Target] = Field(["attn_wq", "attn_wv"], min_length=1, max_length=len(TARGETS))
    n_embd: Literal[16, 32, 64] = 32
    n_layer: int = Field(1, ge=1, le=2)
    model: str = Field(DEFAULT, min_length=1, max_length=32, description="'default' or the id of your model")


class LoRARequest(CountRequest):
    alpha: float = Field(8.0, gt=0, le=256, allow_inf_nan=False)
    pretrain_steps: int = Field(600, ge=1, le=MAX_PRETRAIN_STEPS)
    steps: int = Field(400, ge=1, le=MAX_WEB_FT_STEPS)
    batch_size: int = Field(16, ge=1, le=finetune.MAX_FT_BATCH)
    lr_full: float = Field(0.003, gt=0, le=0.1, allow_inf_nan=False)
    lr_lora: float = Field(0.01, gt=0, le=0.1, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class MergeRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class QuantizeRequest(BaseModel):
    layer: int = Field(0, ge=0, le=29)
    matrix: Matrix = "q_proj"
    block: int = Field(32, ge=1, le=quantize.MAX_BLOCK)


class EffectRequest(QuantizeRequest):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    bits: Literal[8, 4] = 4
    scope: Literal["matrix", "layer", "all"] = "matrix"


class MemoryRequest(BaseModel):
    rank: int = Field(16, ge=1, le=256)


def _model_config(req: CountRequest) -> GPTConfig:
    return GPTConfig(n_embd=req.n_embd, n_layer=req.n_layer, n_head=4)


def _lora_config(req) -> LoRAConfig:
    if len(set(req.targets)) != len(req.targets):
        raise DemoError("Each matrix can carry one adapter: remove the repeated target.", "targets")
    ordered = tuple(t for t in TARGETS if t in req.targets)
    return LoRAConfig(rank=req.rank, alpha=getattr(req, "alpha", 8.0), targets=ordered)


def _counts(base: TinyGPT, lora: LoRAConfig) -> dict:
    adapted = LoRAGPT(base, lora)
    per_matrix = {t: base.params.shapes[f"layer0.{t}"] for t in lora.targets}
    return {
        "base_params": base.n_params,
        "lora_trainable": adapted.n_params,
        "full_trainable": base.n_params,
        "lora_share": adapted.n_params / base.n_params,
        "matrices": [
            {"name": t, "out": s[0], "in": s[1], "full": s[0] * s[1], "lora": lora.rank * (s[0] + s[1])}
            for t, s in per_matrix.items()
        ],
        "formula": count_lora_params(
            base.config.n_layer, base.config.n_embd, base.config.mlp_ratio, lora.rank, lora.targets
        ),
    }


@router.post("/count")
def count(req: CountRequest, request: Request, session: str = Depends(session_id)):
    """LoRA's trainable numbers for this rank and these targets, counted from a real (untrained) model."""
    from glasslm.engine.tokenizers.chars import CharTokenizer

    lora = _lora_config(req)
    entry = pick_model(request, session, req.model)
    base = TinyGPT(_model_config(req), tokenizer=CharTokenizer("abcdefghijklmnopqrstuvwxyz"))
    return {**_counts(base if entry is None else entry.model, lora), "rank": req.rank}


def _lora_events(req: LoRARequest, lora: LoRAConfig, yours: TinyGPT | None = None):
    def source(job):
        state = job.state  # what /merge reads later: the base model and both runs
        if yours is not None:  # the learner's own model, already trained on names: nothing to pretrain
            base = yours
        else:
            base = yield from finetune.pretrain_base(
                steps=req.pretrain_steps, model_config=_model_config(req), seed=req.seed + 42, init_seed=req.seed
            )
        state["base"] = base
        every = max(1, req.steps // STEP_EVENTS_PER_RUN)
        losses: list = []
        for event in finetune.compare_finetuning(
            base,
            lora,
            steps=req.steps,
            batch_size=req.batch_size,
            lr_full=req.lr_full,
            lr_lora=req.lr_lora,
            eval_interval=max(1, req.steps // EVALS_PER_RUN),
            seed=req.seed,
            runs=state,
        ):
            if job.stop_event.is_set():
                yield {"type": "stopped", "step": event.get("step")}
                return
            if event["type"] == "step":
                losses.append((event["full"], event["lora"]))
                if event["step"] % every and event["step"] != req.steps:
                    continue
                full, lo = np.mean(losses, axis=0)
                event, losses = {**event, "full": float(full), "lora": float(lo)}, []
            yield event

    return source


@router.post("/lora")
def start_lora(req: LoRARequest, request: Request, session: str = Depends(session_id)):
    """Pretrain on first names, then fine-tune to last names with LoRA and in full, as one job."""
    lora = _lora_config(req)
    entry = pick_model(request, session, req.model)
    if entry is not None:
        needs_names(entry, "Fine-tuning to last names")
        if entry.model.n_params > MAX_TUNE_BASE_PARAMS:
            raise DemoError(
                f"“{entry.name}” has {entry.model.n_params:,} parameters; fine-tuning here takes a base of at most "
                f"{MAX_TUNE_BASE_PARAMS:,} (two copies train side by side in numpy). Pick a smaller model.",
                "model",
                413,
            )
    yours = None if entry is None else entry.model
    job = request.app.state.jobs.start(
        session, LORA_JOB, InWorker(_lora_events, req, lora, yours), state={"request": req.model_dump()}
    )
    return {"job": job.id}


def _finished_lora(request: Request, session: str, job_id: str) -> LoRAGPT:
    job = request.app.state.jobs.get(session, job_id)
    run = job.state.get("lora")
    if run is None or job.kind != LORA_JOB:
        raise DemoError(
            "That job is not a LoRA run of this chapter (or it has not started fine-tuning yet).", "job", 404
        )
    if job.running:
        raise DemoError("That run is still training: wait for it to finish or stop it first.", "job", 409)
    return run.model


@router.post("/merge")
def merge_adapters(req: MergeRequest, request: Request, session: str = Depends(session_id)):
    """W' = W + (alpha/r) B A folded into a copy; the merged model and the adapter path compared."""
    adapted = _finished_lora(request, session, req.job)
    merged = merge(adapted)
    data = finetune.target_data(adapted.base)
    x, _ = Docs(data.heldout[: finetune.EVAL_NAMES], adapted.tokenizer).batch(
        np.arange(min(finetune.EVAL_NAMES, len(data.heldout))), adapted.config.block_size
    )
    diff = float(np.abs(merged.forward(x)[0].data - adapted.forward(x)[0].data).max())
    with_adapter = sample(adapted, n=MERGE_SAMPLES, temperature=finetune.SAMPLE_TEMPERATURE, seed=req.seed)
    merged_names = sample(merged, n=MERGE_SAMPLES, temperature=finetune.SAMPLE_TEMPERATURE, seed=req.seed)
    changed = {t: float(np.abs(adapted.delta(0, t)).max()) for t in adapted.lora.targets}
    return {
        "adapter_samples": with_adapter,
        "merged_samples": merged_names,
        "identical": with_adapter == merged_names,
        "max_logit_difference": diff,
        "positions_compared": int(x.size),
        "merged_params": merged.n_params,
        "base_params": adapted.base.n_params,
        "adapter_params": adapted.n_params,
        "largest_change_layer0": changed,
    }


# ---------------------------------------------------------------- quantization


def _smollm2():
    return load_smollm2()


def _file_types() -> dict:
    return quantize.gguf_tensor_types(str(assets.smollm2_gguf_path()))


@router.post("/quantize")
def quantize_matrix(req: QuantizeRequest):
    """One of SmolLM2's matrices stored at 8 and 4 bits: bytes, errors, histograms; the shipped file's format."""
    m = _smollm2()
    if req.layer >= m.config.n_layers:
        raise DemoError(f"SmolLM2 has layers 0 to {m.config.n_layers - 1}.", "layer")
    w = quantize.matrix(m.model.w, req.layer, req.matrix)  # (out, in)
    try:
        quantize.check(8, req.block, w.shape[1])
    except ValueError as err:
        raise DemoError(str(err).capitalize() + ".", "block") from None
    types = _file_types()
    gguf_name = f"blk.{req.layer}.{quantize.GGUF_NAMES[req.matrix]}.weight"
    out = {
        "layer": req.layer,
        "matrix": req.matrix,
        "shape": list(w.shape),
        "n": int(w.size),
        "block": req.block,
        "float32_bytes": int(w.nbytes),
        "float16_bytes": int(w.size * 2),
        "weights": quantize.histogram(w),
        "weight_absmax": float(np.abs(w).max()),
        "gguf": {"name": gguf_name, **types[gguf_name]},
        "file_types": _type_summary(types),
        "formats": {},
    }
    for bits in quantize.BITS:
        q = quantize.quantize(w, bits, req.block)
        w_hat = q.dequantize()
        out["formats"][str(bits)] = {
            "bits": bits,
            "formula_bytes": quantize.size_bytes(w.size, bits, req.block),
            "actual_bytes": q.nbytes,
            "integer_bytes": int(q.packed().nbytes),
            "scale_bytes": int(q.scales.nbytes),
            "bits_per_weight": quantize.bits_per_weight(bits, req.block),
            "levels": 2 * (2 ** (bits - 1) - 1) + 1,
            **quantize.error_stats(w, w_hat),
            "errors": quantize.histogram(w_hat - w),
        }
    return out


def _type_summary(types: dict) -> list[dict]:
    summary: dict[str, dict] = {}
    for name, t in types.items():
        s = summary.setdefault(t["type"], {"type": t["type"], "tensors": 0, "weights": 0, "bytes": 0, "example": name})
        s["tensors"] += 1
        s["weights"] += t["n"]
        s["bytes"] += t["bytes"]
    for s in summary.values():
        s["bits_per_weight"] = 8 * s["bytes"] / s["weights"]
    return sorted(summary.values(), key=lambda s: -s["weights"])


def _selection(req: EffectRequest, n_layers: int) -> list[tuple[int, str]]:
    if req.scope == "matrix":
        return [(req.layer, req.matrix)]
    if req.scope == "layer":
        return [(req.layer, name) for name in quantize.MATRICES]
    return [(layer, name) for layer in range(n_layers) for name in quantize.MATRICES]


@router.post("/effect")
def start_effect(req: EffectRequest, request: Request, session: str = Depends(session_id)):
    """A job: quantize the chosen matrices of a copy of SmolLM2 and compare its next-token distribution."""
    m = _smollm2()
    if req.layer >= m.config.n_layers:
        raise DemoError(f"SmolLM2 has layers 0 to {m.config.n_layers - 1}.", "layer")
    ids = encode_text(m, req.text, MAX_EFFECT_TOKENS, purpose="the quantized copy reads")
    selection = _selection(req, m.config.n_layers)
    for name in dict.fromkeys(name for _, name in selection):  # each kind of matrix once: rows of 576 or 1,536
        try:
            quantize.check(req.bits, req.block, quantize.matrix_shape(m.config, name)[1])
        except ValueError as err:
            raise DemoError(str(err).capitalize() + ".", "block") from None

    def source(job):
        yield {"type": "start", "matrices": len(selection), "tokens": len(ids), "bits": req.bits, "block": req.block}
        reference = m.next_logits(ids)  # (V,) the shipped weights
        gen = quantize.quantized_next_logits(m, ids, selection, req.bits, req.block)
        every = max(1, len(selection) // 30)
        try:
            while True:
                done, total = next(gen)
                if job.stop_event.is_set():
                    yield {"type": "stopped", "done": done}
                    return
                if done % every == 0 or done == total:
                    yield {"type": "progress", "done": done, "total": total}
        except StopIteration as end:
            logits = end.value
        changed = quantize.compare_next_token(reference, logits, lambda i: token_text(m.tokenizer, i))
        n_weights = sum(math.prod(quantize.matrix_shape(m.config, name)) for _, name in selection)
        yield {
            "type": "result",
            **changed,
            "matrices": len(selection),
            "weights_quantized": int(n_weights),
            "bits": req.bits,
            "block": req.block,
            "scope": req.scope,
            "prompt_tokens": [token_text(m.tokenizer, i) for i in ids],
        }

    job = request.app.state.jobs.start(session, EFFECT_JOB, source)
    return {"job": job.id, "matrices": len(selection)}


@router.post("/memory")
def memory(req: MemoryRequest):
    """Bytes for weights + optimizer state (no activations) of full fine-tuning, LoRA and QLoRA."""
    m = _smollm2()
    cfg = m.config
    big = published(QLORA_REFERENCE)
    rows = []
    for name, params, layers, d, heads, kv, source in (
        (
            "SmolLM2-135M",
            m.parameter_counts()["total"],
            cfg.n_layers,
            cfg.d_model,
            cfg.n_heads,
            cfg.n_kv_heads,
            "counted from the loaded tensors; shape from the GGUF metadata",
        ),
        (big.name, big.params, big.layers, big.d_model, big.heads, big.kv_heads, big.source),
    ):
        adapters = quantize.adapter_params(layers, d, heads, kv, req.rank)
        rows.append(
            {
                "model": name,
                "params": params,
                "adapter_params": adapters,
                "source": source,
                "adapter_share": adapters / params,
                "bytes": quantize.finetune_memory(params, adapters),
            }
        )
    return {
        "rank": req.rank,
        "rows": rows,
        "bytes_per_param": {
            "adam_mixed": quantize.ADAM_MIXED_BYTES,
            "fp16": 2,
            "nf4_double_quant": quantize.NF4_DQ_BITS / 8,
        },
    }
