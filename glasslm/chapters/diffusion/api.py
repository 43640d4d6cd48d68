"""The diffusion chapter: a tiny DDPM trained live on 2-D shapes, its noising and its denoising.

The data are 2-D shapes, or the 8x8 digits as points in 64 dimensions (sent
as 64 pixels of ink 0-16 to draw).

POST /noise     points of a shape and the same points noised to step t in one jump, with the
                schedule's curve and the measured against the predicted spread
POST /train     train a noise predictor (a job; events over /api/jobs/{id}/events)
POST /sample    a run's model turns pure noise into points, step by step (frames to animate),
                unguided or guided towards a class with a guidance scale

Every number comes from glasslm.engine.models.vision.diffusion; this router validates, thins
the step events and keeps each run in its job's state. /sample works while a
run is still training: it copies the weights as they are at that moment.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.models.vision import diffusion
from glasslm.web.errors import DemoError
from glasslm.web.jobs import thinned_steps
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_WEB_STEPS = 10_000  # a couple of minutes at most on a shared laptop
MAX_WEB_BATCH = 1024
MAX_WEB_HIDDEN = 256
MAX_NOISE_STEPS = 500  # T: more steps only make sampling slower to watch
MAX_POINTS = 1000  # points per picture
MAX_FRAMES = 60  # snapshots of the reverse process sent to animate
MAX_GUIDANCE = 10.0
STEP_EVENTS_PER_RUN = 150  # step events sent per run (the loss averaged between them)
PREVIEWS_PER_RUN = 10
JOB_KIND = "diffusion"

MAX_DIGIT_IMAGES = 32  # digits per picture: each is 64 numbers, and a page of 32 is already a lot to look at
Shape = Literal["rings", "moons", "spiral", "digits"]
Kind = Literal["linear", "cosine"]


class NoiseRequest(BaseModel):
    shape: Shape = "rings"
    t: int = Field(10, ge=0, le=MAX_NOISE_STEPS, description="0 = the clean data")
    schedule: Kind = "linear"
    noise_steps: int = Field(100, ge=2, le=MAX_NOISE_STEPS)
    n: int = Field(500, ge=1, le=MAX_POINTS)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class TrainRequest(BaseModel):
    shape: Shape = "rings"
    steps: int = Field(3000, ge=1, le=MAX_WEB_STEPS)
    batch_size: int = Field(256, ge=1, le=MAX_WEB_BATCH)
    lr: float = Field(0.002, gt=0, le=0.1, allow_inf_nan=False)
    schedule: Kind = "linear"
    noise_steps: int = Field(100, ge=2, le=MAX_NOISE_STEPS)
    hidden: int = Field(128, ge=8, le=MAX_WEB_HIDDEN)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class SampleRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    n: int = Field(500, ge=1, le=MAX_POINTS)
    label: str = Field("none", pattern=r"^(none|[0-9])$", description="the class to guide towards (0-9), or none")
    guidance: float = Field(0.0, ge=0, le=MAX_GUIDANCE, allow_inf_nan=False)
    frames: int = Field(40, ge=2, le=MAX_FRAMES)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _points(a: np.ndarray) -> list:
    return a.round(3).tolist()


def _shown(kind: str, a: np.ndarray) -> list:
    """Points as [x, y] pairs; digits as 64 pixels of ink 0-16 (the -1..1 scale mapped back, clipped)."""
    return diffusion.to_pixels(a).round(1).tolist() if kind == diffusion.DIGITS else _points(a)


def _check_digit_count(kind: str, n: int) -> None:
    if kind == diffusion.DIGITS and n > MAX_DIGIT_IMAGES:
        raise DemoError(f"At most {MAX_DIGIT_IMAGES} digits at a time (you asked for {n}).", "n")


@router.post("/noise")
def noise(req: NoiseRequest):
    """The forward process at step t, in one jump: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps."""
    if req.t > req.noise_steps:
        raise DemoError(f"t must be at most the number of noise steps ({req.noise_steps}); you gave {req.t}.", "t")
    _check_digit_count(req.shape, req.n)
    sched = diffusion.NoiseSchedule(req.noise_steps, req.schedule)
    rng = np.random.default_rng(req.seed)
    x0, c = diffusion.make_shape(req.shape, req.n, rng)
    eps = rng.normal(size=x0.shape)
    abar = float(sched.alpha_bar[req.t - 1]) if req.t else 1.0
    xt = sched.noise(x0, np.full(req.n, req.t), eps) if req.t else x0.copy()
    residual = xt - np.sqrt(abar) * x0  # what the noise added: mean 0, variance 1 - abar
    return {
        "t": req.t,
        "noise_steps": req.noise_steps,
        "shape": req.shape,
        "x0": _shown(req.shape, x0),
        "xt": _shown(req.shape, xt),
        "labels": c.tolist(),
        "alpha_bar": sched.alpha_bar.tolist(),
        "betas": sched.betas.tolist(),
        "alpha_bar_t": abar,
        "signal_scale": float(np.sqrt(abar)),
        "noise_std": float(np.sqrt(1 - abar)),
        "measured_noise_std": float(residual.std()) if req.n > 1 else None,
        "measured_noise_mean": float(residual.mean()),
        "classes": list(diffusion.SHAPES[req.shape]),
    }


def _events(run: diffusion.DiffusionRun):
    """The run's events with the step events cut to about STEP_EVENTS_PER_RUN (mean loss between)."""
    return thinned_steps(diffusion.train_diffusion(run), run.config.steps, STEP_EVENTS_PER_RUN)


@router.post("/train")
def train(req: TrainRequest, request: Request, session: str = Depends(session_id)):
    config = diffusion.DiffusionTrainConfig(
        shape=req.shape,
        steps=req.steps,
        batch_size=req.batch_size,
        lr=req.lr,
        seed=req.seed,
        eval_interval=max(1, req.steps // PREVIEWS_PER_RUN),
    )
    run = diffusion.DiffusionRun.create(
        config,
        diffusion.NoiseSchedule(req.noise_steps, req.schedule),
        diffusion.DiffusionConfig.for_data(req.shape, hidden=req.hidden, seed=req.seed),
    )
    job = request.app.state.jobs.start(session, JOB_KIND, InWorker(_events, run), state={"diffusion": run})
    return {"job": job.id, "n_params": run.model.n_params, "classes": list(diffusion.SHAPES[req.shape])}


@router.post("/sample")
def sample(req: SampleRequest, request: Request, session: str = Depends(session_id)):
    """Algorithm 2 from pure noise, with snapshots; guided towards `label` when one is given."""
    job = request.app.state.jobs.get(session, req.job)
    run = job.state.get("diffusion")
    if run is None:
        raise DemoError("That job is not a diffusion run of this chapter: train one first.", "job", 404)
    if req.label == "none" and req.guidance:
        raise DemoError("Guidance needs a class to guide towards: choose one, or set the scale to 0.", "guidance")
    kind = run.config.shape
    _check_digit_count(kind, req.n)
    label = None if req.label == "none" else int(req.label)
    if label is not None and label >= run.model.config.n_classes:
        raise DemoError(
            f"The {kind} have classes 0 to {run.model.config.n_classes - 1}; there is no class {label}.", "label"
        )
    model = diffusion.NoisePredictor(run.model.config)
    model.params.flat[:] = run.model.params.flat  # the weights as they are now, even mid-run
    out = diffusion.sample(
        model,
        run.schedule,
        req.n,
        np.random.default_rng(req.seed),
        label=label,
        guidance=req.guidance,
        frames=req.frames,
    )
    fit = diffusion.shape_fit(out["x"], kind)
    return {
        "step": run.step,
        "shape": kind,
        "classes": list(diffusion.SHAPES[kind]),
        "label": label,
        "guidance": req.guidance,
        "noise_steps": run.schedule.steps,
        "frames": [{"t": t, "points": _shown(kind, x)} for t, x in out["frames"]],
        "median_distance": fit["median_distance"],
        "class_share": fit["class_share"],
    }
