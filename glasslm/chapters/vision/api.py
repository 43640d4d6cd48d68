"""The vision chapter: a tiny vision transformer and a CLIP-style model, trained live on the digits.

GET  /examples        held-out digits to pick from (pixels 0-16, label)
POST /train           train a TinyViT (a job; events over /api/jobs/{id}/events)
POST /predict         a run's model on one image: patches, class probabilities, [CLS] attention
POST /clip/train      train the image and name encoders together (a job)
POST /clip/similarity a run's similarities between showcase images and the learner's candidate names,
                      and the zero-shot accuracy those names give on every held-out digit
POST /cnn/train       train a small CNN and the default ViT on the same batches (a job)
POST /cnn/look        a CNN run's filters, feature maps and probabilities for the learner's drawn digit

Every number comes from glasslm.engine.models.vision.vit and glasslm.engine.models.vision.clip_digits; this
router validates, thins the step events and keeps each run in its job's state.
/predict and /clip/similarity work while a run is still training: they copy
the weights as they are at that moment.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.data import digits
from glasslm.engine.models.vision import clip_digits
from glasslm.engine.models.vision.cnn import CNNConfig, CompareConfig, TinyCNN, train_cnn_and_vit
from glasslm.engine.models.vision.vit import TinyViT, ViTConfig, ViTRun, ViTTrainConfig, train_vit
from glasslm.web.errors import DemoError
from glasslm.web.jobs import averaged_steps, thinned_steps
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_WEB_STEPS = 5_000  # a few minutes at most on a shared laptop
MAX_WEB_BATCH = 256
MAX_WEB_WIDTH = 64
MAX_WEB_LAYERS = 3
MAX_CLIP_STEPS = 3_000
MAX_CLIP_GROUPS = 32
STEP_EVENTS_PER_RUN = 150  # step events sent per run (the loss averaged between them)
EVALS_PER_RUN = 15  # held-out measurements per run
EXAMPLES_PER_DIGIT = 3  # held-out digits offered to pick from
N_PIXELS = digits.SIDE * digits.SIDE
N_CANDIDATES = len(digits.NAMES)  # one candidate name per digit, in order
MAX_NAME_FIELD = 100  # characters per name box; the encoder itself reads at most clip_digits.MAX_NAME_CHARS
VIT_JOB, CLIP_JOB = "vision-vit", "vision-clip"


class TrainRequest(BaseModel):
    steps: int = Field(1500, ge=1, le=MAX_WEB_STEPS)
    batch_size: int = Field(64, ge=1, le=MAX_WEB_BATCH)
    lr: float = Field(0.003, gt=0, le=0.1, allow_inf_nan=False)
    patch: Literal[1, 2, 4] = 2
    width: int = Field(32, ge=4, le=MAX_WEB_WIDTH)
    n_head: int = Field(4, ge=1, le=8)
    n_layer: int = Field(1, ge=1, le=MAX_WEB_LAYERS)
    pool: Literal["cls", "mean"] = "cls"
    seed: int = Field(0, ge=0, le=2**31 - 1)


class PredictRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    pixels: list[float] = Field(
        min_length=N_PIXELS,
        max_length=N_PIXELS,
        description="64 values 0-16, row by row (scikit-learn's digits' scale)",
    )


class ClipTrainRequest(BaseModel):
    steps: int = Field(600, ge=1, le=MAX_CLIP_STEPS)
    groups: int = Field(8, ge=1, le=MAX_CLIP_GROUPS)
    lr: float = Field(0.003, gt=0, le=0.1, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class SimilarityRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    names: list[Annotated[str, Field(max_length=MAX_NAME_FIELD)]] = Field(
        min_length=N_CANDIDATES, max_length=N_CANDIDATES, description="one candidate name per digit 0..9"
    )


def _thinned(source, steps: int):
    """A run's events with the step events cut to about STEP_EVENTS_PER_RUN (mean loss between)."""
    return thinned_steps(source, steps, STEP_EVENTS_PER_RUN)


def _vit_events(run: ViTRun):
    return _thinned(train_vit(run), run.config.steps)


def _clip_events(run):
    return _thinned(clip_digits.train_clip(run), run.config.steps)


def _job_state(request: Request, session: str, job_id: str, key: str, what: str):
    job = request.app.state.jobs.get(session, job_id)
    value = job.state.get(key)
    if value is None:
        raise DemoError(f"That job is not {what} of this chapter: train one first.", "job", 404)
    return value


@router.get("/examples")
def examples():
    """A few held-out digits of each kind, as pixels 0-16 row by row."""
    d = digits.load()
    rows = [i for k in range(10) for i in np.nonzero(d.test_y == k)[0][:EXAMPLES_PER_DIGIT]]
    return {
        "examples": [
            {
                "index": int(i),
                "label": int(d.test_y[i]),
                "pixels": (d.test_x[i] * digits.MAX_PIXEL).round().astype(int).reshape(-1).tolist(),
            }
            for i in rows
        ]
    }


@router.post("/train")
def train(req: TrainRequest, request: Request, session: str = Depends(session_id)):
    if req.width % req.n_head:
        raise DemoError(
            f"The width ({req.width}) must be divisible by the number of heads ({req.n_head}): "
            "each head gets an equal share of the channels.",
            "n_head",
        )
    model_config = ViTConfig(
        patch=req.patch,
        width=req.width,
        n_head=req.n_head,
        n_layer=req.n_layer,
        mlp=2 * req.width,
        pool=req.pool,
        seed=req.seed,
    )
    config = ViTTrainConfig(
        steps=req.steps,
        batch_size=req.batch_size,
        lr=req.lr,
        seed=req.seed,
        eval_interval=max(1, req.steps // EVALS_PER_RUN),
    )
    run = ViTRun.create(model_config, config)
    job = request.app.state.jobs.start(session, VIT_JOB, InWorker(_vit_events, run), state={"vit": run})
    return {"job": job.id, "n_params": run.model.n_params, "n_tokens": model_config.n_tokens}


def _snapshot(run: ViTRun) -> TinyViT:
    model = TinyViT(run.model.config)
    model.params.flat[:] = run.model.params.flat  # the weights as they are now, even mid-run
    return model


@router.post("/predict")
def predict(req: PredictRequest, request: Request, session: str = Depends(session_id)):
    """The model's view of one image: its patches, class probabilities and where [CLS] looked."""
    run = _job_state(request, session, req.job, "vit", "a vision transformer run")
    try:
        image = digits.from_pixels(req.pixels)
    except ValueError as err:
        raise DemoError(f"The image is not valid: {err}.", "pixels") from None
    model = _snapshot(run)
    out = model.predict(image[None])
    cfg = model.config
    att = out["cls_attention"][0]  # (L, H, P)
    g = digits.SIDE // cfg.patch
    last = att[-1].mean(axis=0)  # (P,) last layer, averaged over heads
    return {
        "step": run.step,
        "patch": cfg.patch,
        "grid": g,
        "pool": cfg.pool,
        "patches": (digits.patchify(image[None], cfg.patch)[0] * digits.MAX_PIXEL).round(2).tolist(),  # (P, p*p)
        "probs": out["probs"][0].tolist(),
        "prediction": int(out["probs"][0].argmax()),
        "attention": last.reshape(g, g).tolist(),  # (g, g): the picture's heat map
        "attention_heads": att.reshape(cfg.n_layer, cfg.n_head, g, g).tolist(),  # (L, H, g, g)
        "attention_on_cls": float(1 - last.sum()) if cfg.pool == "cls" else 0.0,
    }


@router.post("/clip/train")
def clip_train(req: ClipTrainRequest, request: Request, session: str = Depends(session_id)):
    config = clip_digits.ClipTrainConfig(
        steps=req.steps, groups=req.groups, lr=req.lr, seed=req.seed, eval_interval=max(1, req.steps // EVALS_PER_RUN)
    )
    run = clip_digits.ClipRun.create(clip_digits.ClipConfig(seed=req.seed), config)
    job = request.app.state.jobs.start(session, CLIP_JOB, InWorker(_clip_events, run), state={"clip": run})
    return {"job": job.id, "n_params": run.model.n_params}


@router.post("/clip/similarity")
def clip_similarity(req: SimilarityRequest, request: Request, session: str = Depends(session_id)):
    """Showcase images x candidate names, and zero-shot accuracy on all held-out digits with these names."""
    run = _job_state(request, session, req.job, "clip", "a CLIP run")
    names = [n.strip().lower() for n in req.names]
    for k, name in enumerate(names):
        try:
            clip_digits.encode_name(name)
        except clip_digits.NameError_ as err:
            raise DemoError(f"The name for {k}: {err}.", f"names.{k}") from None
    model = clip_digits.ClipDigits(run.model.config)
    model.params.flat[:] = run.model.params.flat
    d = digits.load()
    shown = clip_digits.showcase(d)
    every = clip_digits.zero_shot(model, d.test_x, names)
    per_digit = [float((every["pick"][d.test_y == k] == k).mean()) for k in range(10)]
    few = clip_digits.zero_shot(model, d.test_x[shown], names)
    return {
        "step": run.step,
        "names": names,
        "cosine": few["cosine"].round(4).tolist(),
        "probs": few["probs"].round(4).tolist(),
        "images": (d.test_x[shown] * digits.MAX_PIXEL).round().astype(int).reshape(10, -1).tolist(),
        "zero_shot_accuracy": float((every["pick"] == d.test_y).mean()),
        "per_digit_accuracy": per_digit,
        "n_test": len(d.test_y),
    }


# ---------------------------------------------------------------- CNNs beside the ViT

MAX_CNN_STEPS = 2_000  # two models train at once: a long run is under a minute
MAX_CNN_FILTERS = 16
CNN_JOB = "vision-cnn"


class CNNTrainRequest(BaseModel):
    steps: int = Field(500, ge=1, le=MAX_CNN_STEPS)
    batch_size: int = Field(64, ge=1, le=MAX_WEB_BATCH)
    lr: float = Field(0.003, gt=0, le=0.1, allow_inf_nan=False)
    filters1: int = Field(8, ge=1, le=MAX_CNN_FILTERS)
    filters2: int = Field(16, ge=1, le=MAX_CNN_FILTERS)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _cnn_events(config: CompareConfig, cnn_config: CNNConfig, models: dict):
    """The engine's events, step events thinned to about STEP_EVENTS_PER_RUN with the losses averaged."""

    def source(job):
        events = train_cnn_and_vit(config, cnn_config, models, should_stop=job.stop_event.is_set)
        yield from averaged_steps(events, max(1, config.steps // STEP_EVENTS_PER_RUN), config.steps)

    return source


@router.post("/cnn/train")
def cnn_train(req: CNNTrainRequest, request: Request, session: str = Depends(session_id)):
    cnn_config = CNNConfig(filters1=req.filters1, filters2=req.filters2, seed=req.seed)
    config = CompareConfig(
        steps=req.steps,
        batch_size=req.batch_size,
        lr=req.lr,
        seed=req.seed,
        eval_interval=max(1, req.steps // EVALS_PER_RUN),
    )
    models: dict = {}
    # In a worker; `models` travels with the state, which comes back every few seconds and at the end.
    job = request.app.state.jobs.start(
        session, CNN_JOB, InWorker(_cnn_events, config, cnn_config, models), state={"cnn": models}
    )
    return {"job": job.id, "n_params": TinyCNN(cnn_config).n_params}


@router.post("/cnn/look")
def cnn_look(req: PredictRequest, request: Request, session: str = Depends(session_id)):
    """The CNN's filters, its feature maps for one image and its class probabilities."""
    models = _job_state(request, session, req.job, "cnn", "a CNN run")
    if "cnn" not in models:
        raise DemoError("That run has not built its network yet: try again in a moment.", "job", 409)
    try:
        image = digits.from_pixels(req.pixels)
    except ValueError as err:
        raise DemoError(f"The image is not valid: {err}.", "pixels") from None
    live = models["cnn"]
    model = TinyCNN(live.config)
    model.params.flat[:] = live.params.flat  # the weights as they are now, even mid-run
    seen = model.look(image)
    return {
        "probs": seen["probs"].round(4).tolist(),
        "prediction": int(seen["probs"].argmax()),
        "filters1": seen["filters1"].round(4).tolist(),
        "maps1": seen["maps1"].round(4).tolist(),
        "maps2": seen["maps2"].round(4).tolist(),
        "n_params": model.n_params,
    }
