"""The neurons chapter: activations, the perceptron, and a small network trained live.

Endpoints:
  POST /activations     one activation's curve and slope, and its value at a chosen x
  POST /perceptron      Rosenblatt's rule run on AND, OR or XOR, every epoch recorded
  POST /mlp/train       start training an MLP on a 2-D data set: a job whose events
                        (loss, accuracy, the decision boundary) stream over SSE
  POST /network         a small MLP trained for a few steps, then one data point's
                        forward values and backward gradients through every neuron
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from glasslm.engine.basics import activations, toy_data
from glasslm.engine.basics.mlp import MAX_LAYERS, MAX_LR, MAX_WIDTH, MLP, MLPConfig, TrainConfig, accuracy, training
from glasslm.engine.basics.perceptron import MAX_EPOCHS, PerceptronConfig
from glasslm.engine.basics.perceptron import train as train_perceptron
from glasslm.web.session import session_id
from glasslm.web.worker import InWorker

router = APIRouter()

Activation = Literal["step", "sigmoid", "tanh", "relu", "gelu", "gelu_tanh", "silu"]
Hidden = Literal["tanh", "relu", "sigmoid", "gelu_tanh", "silu"]
Dataset = Literal["xor", "circles", "moons", "spiral"]
Optimizer = Literal["sgd", "momentum", "adam"]

X_LIMIT = 6.0  # activation plots span [-X_LIMIT, X_LIMIT]: every curve's shape shows within it
CURVE_POINTS = 241  # points per curve: smooth at any screen width
POINTS = 200  # data points per set: enough to show the shape, fast to train on
MAX_TRAIN_STEPS = 5000  # one live run: about 10 s at the pace below
REPORTS_PER_RUN = 100  # boundary redraws per run, whatever its length
MIN_REPORT_S = 0.04  # at most 25 redraws a second: watchable, and leaves the CPU for others
GRID = 40  # decision-boundary cells per side: 1,600 probabilities per redraw
MAX_NETWORK_STEPS = 1000  # the network-trace demo trains synchronously: keep it under a second


class ActivationRequest(BaseModel):
    name: Activation = "relu"
    x: float = Field(0.0, allow_inf_nan=False, ge=-X_LIMIT, le=X_LIMIT, description="where to read the value and slope")


@router.post("/activations")
def activation_curve(req: ActivationRequest):
    act = activations.get(req.name)
    curve = activations.curves(req.name, -X_LIMIT, X_LIMIT, CURVE_POINTS)
    return {**curve, "at": {"x": req.x, "y": float(act.f(req.x)), "dy": float(act.df(req.x))}}


class PerceptronRequest(BaseModel):
    gate: Literal["and", "or", "xor"] = "and"
    lr: float = Field(1.0, allow_inf_nan=False, gt=0, le=100)
    epochs: int = Field(20, ge=1, le=MAX_EPOCHS)


@router.post("/perceptron")
def perceptron(req: PerceptronRequest):
    X, y = toy_data.truth_table(req.gate)
    run = train_perceptron(X, y, PerceptronConfig(lr=req.lr, epochs=req.epochs))
    errors = [e["errors"] for e in run["epochs"]]
    return {
        "gate": req.gate,
        "X": X.tolist(),
        "y": y.tolist(),
        **run,
        "lowest_errors": min(errors),
        "first_perfect_epoch": next((e["epoch"] for e in run["epochs"] if e["errors"] == 0), None),
    }


class NetworkShape(BaseModel):
    dataset: Dataset = "xor"
    layers: int = Field(2, ge=1, le=MAX_LAYERS, description="hidden layers")
    width: int = Field(4, ge=1, le=MAX_WIDTH, description="neurons per hidden layer")
    activation: Hidden = "tanh"
    output: Literal["sigmoid", "softmax"] = "sigmoid"
    seed: int = Field(0, ge=0, le=10_000, description="initial weights and data")


class TrainRequest(NetworkShape):
    lr: float = Field(0.03, allow_inf_nan=False, gt=0, le=MAX_LR)
    optimizer: Optimizer = "adam"
    steps: int = Field(1500, ge=1, le=MAX_TRAIN_STEPS)


def _grid(model: MLP) -> list[list[float]]:
    return np.round(np.array(model.grid(GRID)["p"]), 3).tolist()  # (GRID, GRID) p(class 1)


@router.post("/mlp/train")
def mlp_train(req: TrainRequest, request: Request, session: str = Depends(session_id)):
    """Start a training run; follow it at /api/jobs/{job}/events."""
    X, y = toy_data.make(req.dataset, POINTS, seed=req.seed)
    model = MLP(
        MLPConfig(layers=req.layers, width=req.width, activation=req.activation, output=req.output, seed=req.seed)
    )
    config = TrainConfig(
        optimizer=req.optimizer, lr=req.lr, steps=req.steps, report_every=max(1, req.steps // REPORTS_PER_RUN)
    )
    job = request.app.state.jobs.start(session, "mlp", InWorker(_mlp_events, model, X, y, config))
    return {"job": job.id, "steps": req.steps}


def _mlp_events(model: MLP, X: np.ndarray, y: np.ndarray, config: TrainConfig):
    """The run's events: the data and the starting picture, then paced progress reports."""

    def events(job):
        yield {
            "type": "setup",
            "points": np.round(X, 4).tolist(),
            "labels": y.tolist(),
            "ticks": model.grid(GRID)["ticks"],
            "sizes": model.sizes,
            "params": int(sum(p.size for p in model.params)),
        }
        yield {
            "type": "progress",
            "step": 0,
            "loss": model.loss(X, y),
            "accuracy": accuracy(model, X, y),
            "diverged": False,
            "grid": _grid(model),
        }
        last = time.monotonic()
        for report in training(model, X, y, config):  # the job manager stops it after a Stop
            wait = MIN_REPORT_S - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)  # pace the redraws; the maths is done already
            last = time.monotonic()
            yield {"type": "progress", **report, "grid": None if report["diverged"] else _grid(model)}
        job.state["model"] = model

    return events


class NetworkRequest(NetworkShape):
    steps: int = Field(300, ge=0, le=MAX_NETWORK_STEPS, description="training steps before the trace")
    index: int = Field(0, ge=0, lt=POINTS, description="which data point to trace")


@router.post("/network")
def network(req: NetworkRequest):
    """Train briefly (Adam, lr 0.03, seeded), then trace one point forward and backward."""
    X, y = toy_data.make(req.dataset, POINTS, seed=req.seed)
    model = MLP(
        MLPConfig(layers=req.layers, width=req.width, activation=req.activation, output=req.output, seed=req.seed)
    )
    if req.steps:
        for _ in training(model, X, y, TrainConfig(steps=req.steps, report_every=req.steps)):
            pass
    return {
        "points": np.round(X, 4).tolist(),
        "labels": y.tolist(),
        "sizes": model.sizes,
        "ticks": model.grid(GRID)["ticks"],
        "grid": _grid(model),
        "loss": model.loss(X, y),
        "accuracy": accuracy(model, X, y),
        "steps": req.steps,
        "index": req.index,
        "trace": model.trace(X[req.index], int(y[req.index])),
    }
