"""The scaling-laws chapter: a sweep of tiny GPTs, a power law fitted to it, the 20-tokens rule.

GET  /presets   the sweeps on offer, each with its plan (runs, parameters, tokens, 6ND)
POST /sweep     start a sweep (a background job; events over /api/jobs/{id}/events)
POST /fit       fit L(C) = [E +] a C^-b to a sweep's finished runs (its frontier or all of them)
POST /optimal   compute-optimal N and D for a compute budget, and the published models by that rule
POST /yours     where the learner's own tiny GPT (web/my_models.py, trained on first names in
                train-a-gpt) sits on the sweep's axes: N, D, 6ND and its held-out loss

Every number comes from glasslm.engine.pretraining.scaling (which trains with train.py's loop)
and glasslm.engine.pretraining.training_compute; the finished runs stay in the job's state,
which is what /fit reads, so the fitted law is always the sweep's own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.data.model_facts import PUBLISHED
from glasslm.engine.pretraining import scaling
from glasslm.engine.pretraining.training_compute import training_flops
from glasslm.web.errors import DemoError
from glasslm.web.my_models import pick_model
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

JOB_KIND = "scaling-sweep"
ALLOWED_WIDTHS = (4, 8, 16, 24, 32, 48)  # embedding widths on offer: 0.5k to 30k parameters with one layer
MAX_FLOPS = 1e30  # far beyond any model trained so far (Llama 3.1 405B: about 4e25)
MIN_TOKENS_PER_PARAM = 0.01  # fewer makes the optimal size overflow at large budgets
MIN_FLOPS = 1_000_000  # about a millisecond of one core; smaller budgets give models of almost no parameters
CURVE_POINTS = 60  # points drawn along a fitted law
EXTRAPOLATE = 10.0  # the fitted curve is drawn to ten times the sweep's largest compute


class SweepRequest(BaseModel):
    preset: Literal["quick", "standard", "wide"] = "quick"
    widths: list[int] | None = Field(
        None,
        min_length=1,
        max_length=len(ALLOWED_WIDTHS),
        description="embedding widths to train (default: the preset's)",
    )
    seed: int = Field(42, ge=0, le=2**31 - 1)


class FitRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    points: Literal["frontier", "all"] = "frontier"
    irreducible: bool = False


class YoursRequest(BaseModel):
    model: str = Field(min_length=1, max_length=32, description="the id of your model")


class OptimalRequest(BaseModel):
    flops: float = Field(ge=MIN_FLOPS, le=MAX_FLOPS, allow_inf_nan=False, description="compute budget C in FLOPs")
    tokens_per_param: float = Field(
        scaling.CHINCHILLA_TOKENS_PER_PARAM, ge=MIN_TOKENS_PER_PARAM, le=10_000, allow_inf_nan=False
    )


def _config(req: SweepRequest) -> scaling.SweepConfig:
    cfg = replace(scaling.PRESETS[req.preset], seed=req.seed)
    if req.widths is not None:
        bad = [w for w in req.widths if w not in ALLOWED_WIDTHS]
        if bad:
            raise DemoError(
                f"Width {bad[0]} is not on offer; choose from {', '.join(map(str, ALLOWED_WIDTHS))}.", "widths"
            )
        cfg = replace(cfg, widths=tuple(sorted(set(req.widths))))
    try:
        return cfg.validate()
    except ValueError as err:
        raise DemoError(f"{err}. Pick fewer widths or a smaller preset.", "widths", 413) from None


def _plan_json(plan: scaling.Plan) -> dict:
    return {
        "runs": [r.as_dict() for r in plan.runs],
        "total_flops": plan.total_flops,
        "widths": list(plan.config.widths),
        "token_budgets": list(plan.config.token_budgets),
    }


@router.get("/presets")
def presets():
    return {
        "presets": {name: _plan_json(scaling.plan_sweep(cfg)) for name, cfg in scaling.PRESETS.items()},
        "allowed_widths": list(ALLOWED_WIDTHS),
    }


@router.post("/sweep")
def start(req: SweepRequest, request: Request, session: str = Depends(session_id)):
    """Start a sweep; every finished run is kept in the job's state for /fit."""
    cfg = _config(req)
    plan = scaling.plan_sweep(cfg)
    finished: list[dict] = []
    job = request.app.state.jobs.start(
        session, JOB_KIND, InWorker(_sweep_events, cfg, plan.data, finished), cooperative=True, state={"runs": finished}
    )
    return {"job": job.id, **_plan_json(plan)}


def _sweep_events(cfg: scaling.SweepConfig, data, finished: list[dict]):
    """The sweep's events; each finished run is also kept in `finished` (the job's state)."""

    def source(job):
        stream = scaling.sweep(cfg, data)
        for event in stream:
            if event["type"] == "run":
                finished.append(event["run"])
            yield event
            if job.stop_event.is_set():
                stream.close()
                front, fit = scaling.fit_frontier([scaling.RunResult(**r) for r in finished])
                yield {"type": "stopped", "runs": list(finished), "frontier": front, "fit": fit}
                return

    return source


@router.post("/fit")
def fit(req: FitRequest, request: Request, session: str = Depends(session_id)):
    job = request.app.state.jobs.get(session, req.job)
    if "runs" not in job.state:
        raise DemoError("That job is not a sweep of this chapter.", "job", 404)
    runs = [r for r in job.state["runs"] if r.get("heldout_loss") is not None]
    use = runs
    if req.points == "frontier":
        keep = scaling.frontier([(r["flops"], r["heldout_loss"]) for r in runs])
        use = [runs[i] for i in keep]
    need = 3 if req.irreducible else 2
    if len(use) < need:
        raise DemoError(
            f"The fit needs at least {need} finished runs{' on the frontier' if req.points == 'frontier' else ''}; "
            f"{len(use)} so far. Wait for more runs, or fit all runs.",
            "points",
            409,
        )
    try:
        law = scaling.fit_power_law([r["flops"] for r in use], [r["heldout_loss"] for r in use], req.irreducible)
    except ValueError as err:
        raise DemoError(str(err), "points", 409) from None
    lo = min(r["flops"] for r in runs)
    hi = max(r["flops"] for r in runs) * EXTRAPOLATE
    grid = np.geomspace(lo, hi, CURVE_POINTS)
    return {
        "law": asdict(law),
        "used": [r["index"] for r in use],
        "curve": [[float(c), float(law(c))] for c in grid],
        "predicted_at_10x": float(law(hi)),
        "max_flops": hi / EXTRAPOLATE,
        "tokens_per_param": [[r["index"], r["tokens"] / r["n_params"]] for r in use],
    }


@router.post("/optimal")
def optimal(req: OptimalRequest):
    n, d = scaling.compute_optimal(req.flops, req.tokens_per_param)
    models = []
    for m in PUBLISHED:
        if not m.train_tokens:
            continue
        c = training_flops(m.params, m.train_tokens)
        n_opt, d_opt = scaling.compute_optimal(c, req.tokens_per_param)
        models.append(
            {
                "name": m.name,
                "year": m.year,
                "params": m.params,
                "tokens": m.train_tokens,
                "flops": c,
                "tokens_per_param": m.train_tokens / m.params,
                "optimal_params": n_opt,
                "optimal_tokens": d_opt,
                "params_vs_optimal": m.params / n_opt,
                "source": m.source,
            }
        )
    return {
        "flops": req.flops,
        "tokens_per_param": req.tokens_per_param,
        "params": n,
        "tokens": d,
        "check_flops": training_flops(n, d),
        "models": models,
        "log10_flops": math.log10(req.flops),
    }


# -- When one machine is not enough: data parallelism for real, and the memory arithmetic -------------

DDP_JOB_KIND = "scaling-ddp-step"


class DDPStepRequest(BaseModel):
    processes: int = Field(2, ge=2, le=4, description="processes sharing one batch")
    batch: int = Field(8, ge=2, le=32, description="names in the batch")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    letter: str = Field(
        "a", min_length=1, max_length=1, pattern="^[a-z]$", description="the letter whose embedding gradient is shown"
    )


class ParallelMemoryRequest(BaseModel):
    params: float = Field(gt=0, le=1e13, allow_inf_nan=False, description="parameters of the model to train")
    gpus: int = Field(ge=1, le=100_000, description="GPUs to spread it over")


def _torch_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


@router.get("/data-parallel")
def data_parallel_status():
    """Whether the real data-parallel step can run here, and the one command that adds PyTorch if not."""
    import os

    return {"torch": _torch_installed(), "install": 'pip install "glasslm[torch]"', "cores": os.cpu_count() or 1}


@router.post("/data-parallel")
def data_parallel_step(req: DDPStepRequest, request: Request, session: str = Depends(session_id)):
    """Start one real data-parallel step (N torch processes over gloo, and one on the whole batch)."""
    if req.batch < req.processes:
        raise DemoError(
            f"A batch of {req.batch} names cannot be shared by {req.processes} processes: "
            "give each process at least one name.",
            "batch",
        )
    if not _torch_installed():
        raise DemoError(
            "This demo runs PyTorch, which is not installed here. Add it with: "
            'pip install "glasslm[torch]", then restart glasslm.',
            None,
            409,
        )
    from glasslm.torch_gpt.ddp_step import one_ddp_step

    def source(job):
        yield from one_ddp_step(req.processes, req.batch, req.seed, req.letter)

    job = request.app.state.jobs.start(session, DDP_JOB_KIND, source)
    return {"job": job.id}


@router.post("/parallel-memory")
def parallel_memory(req: ParallelMemoryRequest):
    from glasslm.engine.training.parallelism import ADAM_STATE_BYTES, memory_per_gpu

    try:
        rows = memory_per_gpu(req.params, req.gpus)
    except ValueError as err:
        raise DemoError(str(err), "params") from None
    return {
        "params": req.params,
        "gpus": req.gpus,
        "adam_state_bytes": ADAM_STATE_BYTES,
        "strategies": [asdict(s) for s in rows],
    }


@router.post("/yours")
def yours(req: YoursRequest, request: Request, session: str = Depends(session_id)):
    """Your model as one more point of the sweep: counted and measured as the sweep's runs are."""
    entry = pick_model(request, session, req.model)
    if entry is None:
        raise DemoError("Pick one of your models: the default is not a point of its own here.", "model")
    trained = entry.training
    if trained is None or trained.get("data") != "first-names":
        raise DemoError(
            f"“{entry.name}” cannot be placed: the chart needs a model trained on first names in Train a GPT "
            "(its compute is counted from the steps and batch size it trained with).",
            "model",
        )
    point = scaling.place_model(entry.model, trained["steps"], trained["batch_size"])
    return {"name": entry.name, **point, "steps": trained["steps"], "batch_size": trained["batch_size"]}
