"""The learning loop chapter: gradient descent on one weight, then on a 2-D surface.

Endpoints:
  POST /descent   gradient descent on the one-weight iris model (the weights chapter's
                  petal width = length x w), with learning-rate presets derived
                  from the data so they crawl, converge, oscillate and diverge
  GET  /surface   a 2-D loss surface on a grid, for the contour picture
  POST /path      one optimizer's path across a surface from a start point
  POST /race      SGD, momentum and Adam from the same start on the same surface

Why the presets work: the mean squared error of y_hat = x w is a parabola in
w with curvature a = 2 mean(x^2), so one step multiplies the distance to the
best weight by (1 - lr a). lr a near 0 crawls, below 1 converges smoothly,
between 1 and 2 overshoots back and forth (oscillates) while converging, and
above 2 overshoots further each time (diverges).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from glasslm.engine.basics import linear, surfaces
from glasslm.web.errors import DemoError

router = APIRouter()

Preset = Literal["crawl", "converge", "oscillate", "diverge"]
SurfaceName = Literal["bowl", "rosenbrock", "two_valleys"]
Optimizer = Literal["sgd", "momentum", "adam"]

# lr x curvature for each preset: the factor per step is 1 - this.
PRESET_FACTORS = {"crawl": 0.03, "converge": 0.7, "oscillate": 1.85, "diverge": 2.1}
MAX_DESCENT_STEPS = 200  # an animation the learner can follow step by step
MAX_DESCENT_LR = 1.0  # already 17 times past the divergence threshold for these data
W_LIMIT = 5.0  # start weights: the best weight is about 0.34
CURVE_POINTS = 121  # points on the drawn loss curve
GRID = 70  # surface grid cells per side
START_LIMIT = 10.0  # start points on the surfaces: within a few box-widths of the picture


class DescentRequest(BaseModel):
    preset: Preset | None = Field("converge", description="a learning rate chosen from the data's curvature")
    lr: float | None = Field(
        None,
        allow_inf_nan=False,
        gt=0,
        le=MAX_DESCENT_LR,
        description="a learning rate of your own (overrides the preset)",
    )
    w0: float = Field(0.0, allow_inf_nan=False, ge=-W_LIMIT, le=W_LIMIT, description="starting weight")
    steps: int = Field(30, ge=1, le=MAX_DESCENT_STEPS)


@router.post("/descent")
def descent(req: DescentRequest):
    data = linear.iris_petals()
    x, y = data.X[:, 0], data.y
    a = linear.one_weight_curvature(x)
    presets = {name: factor / a for name, factor in PRESET_FACTORS.items()}
    lr = req.lr if req.lr is not None else presets[req.preset or "converge"]
    path = linear.descend_one_weight(x, y, req.w0, lr, req.steps)
    best_w, _ = linear.least_squares(data.X, y, bias=False)
    best = float(best_w[0])
    # The loss curve over a range of w wide enough to show the whole path (capped for the picture).
    finite_ws = [p["w"] for p in path if p["loss"] is not None and abs(p["w"]) < 50]
    lo = min([best - 0.5, *finite_ws]) - 0.1
    hi = max([best + 0.5, *finite_ws]) + 0.1
    ws = np.linspace(lo, hi, CURVE_POINTS)
    curve = [[float(w), linear.mse(data.X, y, np.array([w]))] for w in ws]
    return {
        "lr": lr,
        "presets": presets,
        "curvature": a,
        "factor": 1.0 - lr * a,
        "best_w": best,
        "best_loss": linear.mse(data.X, y, best_w),
        "path": path,
        "curve": curve,
        "diverged": bool(path[-1].get("diverged", False)),
        "points": np.column_stack([x, y]).round(3).tolist(),
        "input": data.inputs[0],
        "target": data.target,
        "unit": data.unit,
        "source": data.source,
    }


@router.get("/surface")
def surface(name: SurfaceName = Query("bowl")):
    s = surfaces.get(name)
    return {**surfaces.grid(name, GRID), "lr": s.lr}


class PathRequest(BaseModel):
    surface: SurfaceName = "bowl"
    optimizer: Optimizer = "sgd"
    lr: float | None = Field(
        None,
        allow_inf_nan=False,
        gt=0,
        le=surfaces.MAX_LR,
        description="learning rate (default: one that works on this surface)",
    )
    steps: int = Field(150, ge=1, le=surfaces.MAX_STEPS)
    start: list[float] | None = Field(None, min_length=2, max_length=2, description="[x, y] start point")


def _start(start: list[float] | None):
    if start is None:
        return None
    if not all(np.isfinite(v) and abs(v) <= START_LIMIT for v in start):
        raise DemoError(
            f"The start point must be two finite numbers between -{START_LIMIT:g} and {START_LIMIT:g}.", "start"
        )
    return (float(start[0]), float(start[1]))


@router.post("/path")
def path(req: PathRequest):
    return surfaces.path(req.surface, req.optimizer, req.lr, req.steps, _start(req.start))


class RaceRequest(BaseModel):
    surface: SurfaceName = "bowl"
    steps: int = Field(150, ge=1, le=surfaces.MAX_STEPS)
    start: list[float] | None = Field(None, min_length=2, max_length=2, description="[x, y] start point")


@router.post("/race")
def race(req: RaceRequest):
    return {"surface": req.surface, "paths": surfaces.race(req.surface, req.steps, _start(req.start))}
