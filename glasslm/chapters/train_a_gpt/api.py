"""The train-a-gpt chapter: train the tiny GPT in the learner's session.

POST /train      start a run (a background job; events stream over /api/jobs/{id}/events)
POST /resume     continue a stopped or finished run, optionally for more steps
GET  /model      download a run's model as safetensors
POST /sample     names from a run's model at a chosen temperature
POST /schedule   the learning-rate curve a run would follow (drawn before it starts)
POST /inspect    a checkpoint file the learner uploads: its size, config and names sampled from it
POST /speed      the scalar and the vectorized engine timed on the same steps, live (one at a time)
POST /recurrent  the tiny GPT, a plain RNN and an LSTM trained side by side (a background job)

Every number comes from glasslm.engine.training.train.train_tiny_gpt: this router only
validates, thins the event stream (a step event every few steps, with the
mean loss since the last one; a final "stopped" event when the learner stops
the run) and keeps each run's TrainRun in its job's state, which is what
resume, sample and download use.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from glasslm.engine.autograd.optim import Adam, Schedule
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.models.tiny.scalar_gpt import ScalarGPT, train_steps
from glasslm.engine.training.recurrent import train_side_by_side
from glasslm.engine.training.train import Docs, TrainConfig, TrainRun, train_tiny_gpt
from glasslm.web.errors import DemoError
from glasslm.web.jobs import averaged_steps
from glasslm.web.my_models import my_models
from glasslm.web.my_models_api import load_checkpoint
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

MAX_WEB_STEPS = 20_000  # a long run is a few minutes; the server is shared
MAX_WEB_BATCH = 64
MAX_WEB_EMBD = 64  # bigger models train too slowly to watch on a shared laptop
MAX_WEB_LAYERS = 4
MAX_WEB_CONTEXT = 32
STEP_EVENTS_PER_RUN = 200  # step events sent per run (the loss is averaged between them)
SNAPSHOTS_PER_RUN = 20  # held-out evaluations, samples and attention maps per run
MAX_CHECKPOINT_BYTES = 1_500_000  # the largest model the web form can train is about 0.6 MB
SPEED_SCALAR_STEPS = 3  # the scalar engine manages a few steps a second
SPEED_VECTOR_STEPS = 200
JOB_KIND = "train-a-gpt"
SPEED_LOCK = threading.Lock()  # one speed measurement at a time: it would only measure the others


class TrainRequest(BaseModel):
    data: Literal["first-names", "last-names", "text"] = "first-names"
    text: str = Field("", max_length=name_data.MAX_TEXT_BYTES, description="one document per line (data=text)")
    steps: int = Field(1000, ge=1, le=MAX_WEB_STEPS)
    batch_size: int = Field(1, ge=1, le=MAX_WEB_BATCH)
    lr: float = Field(0.01, gt=0, le=1.0, allow_inf_nan=False)
    optimizer: Literal["adam", "sgd", "momentum"] = "adam"
    schedule: Literal["linear", "cosine", "constant"] = "linear"
    warmup: int = Field(0, ge=0, le=MAX_WEB_STEPS)
    n_layer: int = Field(1, ge=1, le=MAX_WEB_LAYERS)
    n_embd: int = Field(16, ge=4, le=MAX_WEB_EMBD)
    n_head: int = Field(4, ge=1, le=16)
    block_size: int = Field(16, ge=2, le=MAX_WEB_CONTEXT)
    seed: int = Field(42, ge=0, le=2**31 - 1)


class ResumeRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64, description="the run to continue")
    steps: int | None = Field(None, ge=1, le=MAX_WEB_STEPS, description="new total number of steps")


class SampleRequest(BaseModel):
    job: str = Field(min_length=1, max_length=64)
    n: int = Field(10, ge=1, le=50)
    temperature: float = Field(0.5, ge=0, le=3, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class ScheduleRequest(BaseModel):
    lr: float = Field(0.01, gt=0, le=1.0, allow_inf_nan=False)
    steps: int = Field(1000, ge=1, le=MAX_WEB_STEPS)
    schedule: Literal["linear", "cosine", "constant"] = "linear"
    warmup: int = Field(0, ge=0, le=MAX_WEB_STEPS)


def _data(req: TrainRequest) -> name_data.NameData:
    if req.data == "first-names":
        return name_data.first_names()
    if req.data == "last-names":
        return name_data.last_names()
    try:
        return name_data.from_text(req.text)
    except name_data.DataError as err:
        status = 413 if "limit" in str(err) else 400
        raise DemoError(str(err), "text", status) from None


def _interval(steps: int, per_run: int) -> int:
    return max(1, steps // per_run)


def _run_events(run: TrainRun):
    """The engine's events, with step events thinned to about STEP_EVENTS_PER_RUN per run."""

    def source(job):
        every = _interval(run.config.steps, STEP_EVENTS_PER_RUN)
        losses = []
        for event in train_tiny_gpt(run=run):
            if job.stop_event.is_set():  # checked every step, not only when an event is sent
                yield {"type": "stopped", "step": run.step}  # the job manager marks the job stopped on it
                return
            if event["type"] == "step":
                losses.append(event["loss"])
                if event["step"] % every and event["step"] != run.config.steps:
                    continue
                event = {**event, "loss": float(np.mean(losses))}
                losses = []
            yield event

    return source


DATA_NAMES = {"first-names": "first names", "last-names": "last names", "text": "your text"}


def _your_model(job):
    """What a run leaves the learner's session when it ends: its model, named by data, size and steps
    (web/my_models.py keeps it as "your model" for the later chapters)."""
    run = job.state.get("run")
    if job.status not in ("done", "stopped") or run is None or run.step == 0:
        return None
    cfg = run.model.config
    data = job.state.get("data", "first-names")
    return {
        "model": run.model,
        "name": f"{DATA_NAMES[data]}, {cfg.n_layer}×{cfg.n_embd}, {run.step:,} steps",
        "lineage": job.state.get("lineage", job.id),
        "training": {"data": data, "steps": run.step, "batch_size": run.config.batch_size},
    }


def _finished_run(request: Request, session: str, job_id: str) -> TrainRun:
    job = request.app.state.jobs.get(session, job_id)
    run = job.state.get("run")
    if run is None:
        raise DemoError("That job is not a training run of this chapter.", "job", 404)
    if any(j.state.get("run") is run for j in request.app.state.jobs.running(session)):
        raise DemoError("That run is still training: stop it first.", "job", 409)
    return run


@router.post("/train")
def start(req: TrainRequest, request: Request, session: str = Depends(session_id)):
    """Start a training run in this session; returns the job id and the run's plan."""
    if req.n_embd % req.n_head:
        raise DemoError(
            f"The embedding width ({req.n_embd}) must be divisible by the number of heads "
            f"({req.n_head}): each head gets an equal share.",
            "n_head",
        )
    if req.warmup >= req.steps and req.warmup:
        raise DemoError(f"Warm-up ({req.warmup} steps) must be shorter than the run ({req.steps}).", "warmup")
    data = _data(req)
    snap = _interval(req.steps, SNAPSHOTS_PER_RUN)
    try:
        config = TrainConfig(
            steps=req.steps,
            batch_size=req.batch_size,
            lr=req.lr,
            optimizer=req.optimizer,
            schedule=req.schedule,
            warmup=req.warmup,
            seed=req.seed,
            eval_interval=snap,
            sample_interval=snap,
            attention_interval=snap,
        )
        model_config = GPTConfig(
            vocab_size=data.tokenizer.vocab_size,
            block_size=req.block_size,
            n_layer=req.n_layer,
            n_embd=req.n_embd,
            n_head=req.n_head,
        )
        run = TrainRun.create(data=data, config=config, model_config=model_config)
    except ValueError as err:
        raise DemoError(str(err)) from None
    state = {"run": run, "data": req.data}
    job = request.app.state.jobs.start(session, JOB_KIND, InWorker(_run_events, run), state=state)
    my_models(request).adopt_job(session, job, _your_model)
    return {"job": job.id, "n_params": run.model.n_params, "bigram_heldout_loss": run.bigram_heldout_loss}


@router.post("/resume")
def resume(req: ResumeRequest, request: Request, session: str = Depends(session_id)):
    """Continue a run that was stopped (or finished: give more steps) from its exact state."""
    run = _finished_run(request, session, req.job)
    if req.steps is not None:
        if req.steps <= run.step:
            raise DemoError(f"The run has already done {run.step:,} steps: ask for more than that.", "steps")
        # A longer run keeps its schedule's shape, stretched to the new total.
        run.config = replace(run.config, steps=req.steps)
    if run.step >= run.config.steps:
        raise DemoError("That run has finished: give a larger number of steps to train it further.", "steps", 409)
    step = run.step  # read before the job starts: its thread trains on at once
    before = request.app.state.jobs.get(session, req.job).state
    # the resumed run's model will replace the one this run left (one lineage: its first job's id)
    state = {"run": run, "data": before.get("data", "first-names"), "lineage": before.get("lineage", req.job)}
    job = request.app.state.jobs.start(session, JOB_KIND, InWorker(_run_events, run), state=state)
    my_models(request).adopt_job(session, job, _your_model)
    return {"job": job.id, "step": step, "steps": run.config.steps}


@router.get("/model")
def download(request: Request, job: str = Query(..., min_length=1, max_length=64), session: str = Depends(session_id)):
    """The run's model as a safetensors file (config and characters stored beside the weights)."""
    run = _finished_run(request, session, job)
    with tempfile.TemporaryDirectory() as tmp:
        path = run.model.save(Path(tmp) / "tiny-gpt.safetensors")
        body = path.read_bytes()
    name = f"tiny-gpt-{run.step}-steps.safetensors"
    return Response(
        body, media_type="application/octet-stream", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/sample")
def more_samples(req: SampleRequest, request: Request, session: str = Depends(session_id)):
    job = request.app.state.jobs.get(session, req.job)
    run = job.state.get("run")
    if run is None:
        raise DemoError("That job is not a training run of this chapter.", "job", 404)
    names = sample(run.model, n=req.n, temperature=req.temperature, seed=req.seed)
    return {"names": names, "step": run.step, "temperature": req.temperature}


@router.post("/inspect")
def inspect_checkpoint(
    file: bytes = Body(b"", media_type="application/octet-stream"),
    n: int = Query(10, ge=1, le=50),
    temperature: float = Query(0.5, ge=0, le=3, allow_inf_nan=False),
    seed: int = Query(0, ge=0, le=2**31 - 1),
):
    """Open a tiny GPT saved earlier (here or with `glasslm train --out`): nothing is kept."""
    model = load_checkpoint(file, MAX_CHECKPOINT_BYTES)
    return {
        "config": model.config.__dict__,
        "n_params": model.n_params,
        "param_counts": model.param_counts(),
        "chars": model.tokenizer.chars,
        "names": sample(model, n=n, temperature=temperature, seed=seed),
        "temperature": temperature,
    }


@router.post("/schedule")
def schedule(req: ScheduleRequest):
    if req.warmup >= req.steps and req.warmup:
        raise DemoError(f"Warm-up ({req.warmup} steps) must be shorter than the run ({req.steps}).", "warmup")
    curve = Schedule(req.lr, req.steps, req.schedule, req.warmup).curve(200)
    return {"points": [[s, lr] for s, lr in curve], "steps": req.steps}


@router.post("/speed")
def speed():
    """The same default model, the same names, one step at a time: scalar Value engine vs arrays."""
    if not SPEED_LOCK.acquire(blocking=False):
        raise DemoError("A speed measurement is running already; try again in a few seconds.", None, 429)
    try:
        return _measure_speed()
    finally:
        SPEED_LOCK.release()


def _measure_speed() -> dict:
    data = name_data.first_names()
    tok = data.tokenizer
    model = TinyGPT(GPTConfig(vocab_size=tok.vocab_size), tokenizer=tok)
    scalar = ScalarGPT(model)
    docs = [tok.encode_doc(d)[: model.config.block_size + 1] for d in data.train[:SPEED_SCALAR_STEPS]]
    t0 = time.perf_counter()
    for _ in train_steps(scalar, docs, Adam([scalar.flat()], 0.01, 0.85, 0.99), [0.01] * len(docs)):
        pass
    scalar_s = (time.perf_counter() - t0) / len(docs)

    vec = TinyGPT(GPTConfig(vocab_size=tok.vocab_size), tokenizer=tok)
    opt = Adam([vec.params.flat], 0.01, 0.85, 0.99)
    train_docs = Docs(data.train, tok)
    t0 = time.perf_counter()
    for i in range(SPEED_VECTOR_STEPS):
        x, y = train_docs.batch(np.array([i]), vec.config.block_size)
        vec.loss_and_grad(x, y)
        opt.step([vec.params.flat_grad], 0.01)
    vector_s = (time.perf_counter() - t0) / SPEED_VECTOR_STEPS
    nodes = len(scalar.doc_loss(docs[0]).topo())
    return {
        "scalar_steps_per_s": 1 / scalar_s,
        "vectorized_steps_per_s": 1 / vector_s,
        "ratio": scalar_s / vector_s,
        "scalar_steps": len(docs),
        "vectorized_steps": SPEED_VECTOR_STEPS,
        "scalar_graph_nodes": nodes,
        "n_params": model.n_params,
    }


# ---------------------------------------------------------------- before transformers: RNNs

MAX_RECURRENT_STEPS = 3_000  # three models train at once: a long run is about half a minute
MAX_RECURRENT_BATCH = 16
RECURRENT_JOB_KIND = "train-a-gpt-recurrent"


class RecurrentRequest(BaseModel):
    steps: int = Field(1000, ge=1, le=MAX_RECURRENT_STEPS)
    batch_size: int = Field(1, ge=1, le=MAX_RECURRENT_BATCH)
    lr: float = Field(0.01, gt=0, le=0.1, allow_inf_nan=False)
    seed: int = Field(42, ge=0, le=2**31 - 1)


def _recurrent_events(config: TrainConfig):
    """The engine's events, step events thinned to about STEP_EVENTS_PER_RUN with the losses averaged."""

    def source(job):
        events = train_side_by_side(config=config, should_stop=job.stop_event.is_set)
        yield from averaged_steps(events, _interval(config.steps, STEP_EVENTS_PER_RUN), config.steps)

    return source


@router.post("/recurrent")
def recurrent(req: RecurrentRequest, request: Request, session: str = Depends(session_id)):
    """Train the tiny GPT, a plain RNN and an LSTM of the same size on the same first names."""
    snap = _interval(req.steps, SNAPSHOTS_PER_RUN // 2)
    config = TrainConfig(
        steps=req.steps, batch_size=req.batch_size, lr=req.lr, seed=req.seed, eval_interval=snap, n_samples=8
    )
    job = request.app.state.jobs.start(session, RECURRENT_JOB_KIND, InWorker(_recurrent_events, config))
    return {"job": job.id, "steps": req.steps}
