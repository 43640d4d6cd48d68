"""Two-weight loss surfaces, and the paths optimizers take across them.

With two weights the loss is a landscape over a plane, and training is a ball
rolling downhill on it. Each surface here is a formula with its gradient
written out by hand, chosen to show one way plain gradient descent struggles:

    bowl        f = (x^2 + 10 y^2) / 2         a long, narrow valley: steps zig-zag across it
                grad = (x, 10 y)               and crawl along it (condition number 10)
    rosenbrock  f = (1 - x)^2 + 10 (y - x^2)^2 a curved valley (Rosenbrock 1960, with b = 10 instead
                grad = (-2 (1 - x) - 40 x (y - x^2), 20 (y - x^2))      of 100 so paths fit on screen)
    two_valleys f = (x^2 - 1)^2 + x / 2 + y^2 / 2   a shallow valley near x = +0.93 beside a deeper one
                grad = (4 x (x^2 - 1) + 1/2, y)     near x = -1.06: where you start decides where you end

A path is the list of points an optimizer from optim.py (SGD, Momentum, Adam)
visits from one start point, the surface's gradient fed to it as if it were a
model's. Comparing them on one surface and start point is the chapter's race.
Left out on purpose: noise in the gradient (these are full-batch, exact
gradients), surfaces of more than two weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from glasslm.engine.autograd.optim import OPTIMIZERS

MAX_STEPS = 1000  # per path: plenty to reach any minimum here at a sensible learning rate
MAX_GRID = 120  # grid cells per side for the contour picture
MAX_LR = 10.0  # beyond this every optimizer leaves every surface at once
ESCAPE = 1e4  # a path this far outside every drawing box (at most 5 wide) has diverged: stop it


@dataclass(frozen=True)
class Surface:
    name: str
    title: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[float, float], tuple[float, float]]
    box: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max for drawing
    start: tuple[float, float]  # a start point that shows the surface's difficulty
    minimum: tuple[float, float]  # the global minimum
    lr: dict  # a learning rate per optimizer that works here, as the demo's default
    formula: str  # LaTeX


def _bowl(x, y):
    return 0.5 * (x * x + 10.0 * y * y)


def _bowl_grad(x, y):
    return x, 10.0 * y


def _rosen(x, y):
    return (1.0 - x) ** 2 + 10.0 * (y - x * x) ** 2


def _rosen_grad(x, y):
    return -2.0 * (1.0 - x) - 40.0 * x * (y - x * x), 20.0 * (y - x * x)


def _valleys(x, y):
    return (x * x - 1.0) ** 2 + 0.5 * x + 0.5 * y * y


def _valleys_grad(x, y):
    return 4.0 * x * (x * x - 1.0) + 0.5, y


# The deeper valley of two_valleys: the root of 4x(x^2 - 1) + 1/2 = 0 near -1, by Newton's method.
def _valleys_minimum() -> float:
    x = -1.0
    for _ in range(50):
        x -= (4 * x**3 - 4 * x + 0.5) / (12 * x * x - 4)
    return x


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in [
        Surface(
            "bowl",
            "Elongated bowl",
            _bowl,
            _bowl_grad,
            (-5.0, 5.0, -2.0, 2.0),
            (-4.5, 1.5),
            (0.0, 0.0),
            {"sgd": 0.18, "momentum": 0.03, "adam": 0.3},
            r"\tfrac12(x^2 + 10y^2)",
        ),
        Surface(
            "rosenbrock",
            "Rosenbrock valley",
            _rosen,
            _rosen_grad,
            (-2.0, 2.0, -1.0, 3.0),
            (-1.5, 2.5),
            (1.0, 1.0),
            {"sgd": 0.015, "momentum": 0.004, "adam": 0.1},
            r"(1-x)^2 + 10(y-x^2)^2",
        ),
        Surface(
            "two_valleys",
            "Two valleys",
            _valleys,
            _valleys_grad,
            (-2.0, 2.0, -2.0, 2.0),
            (1.8, 1.5),
            (_valleys_minimum(), 0.0),
            {"sgd": 0.05, "momentum": 0.02, "adam": 0.05},  # momentum rolls over the ridge
            r"(x^2-1)^2 + \tfrac{x}{2} + \tfrac{y^2}{2}",
        ),
    ]
}


def get(name: str) -> Surface:
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}: choose one of {', '.join(SURFACES)}")
    return SURFACES[name]


def grid(name: str, resolution: int = 60) -> dict:
    """The loss on a resolution x resolution grid over the surface's box (rows are y, bottom first)."""
    s = get(name)
    if not 2 <= resolution <= MAX_GRID:
        raise ValueError(f"the grid resolution must be between 2 and {MAX_GRID}, not {resolution}")
    xs = np.linspace(s.box[0], s.box[1], resolution)  # (R,)
    ys = np.linspace(s.box[2], s.box[3], resolution)  # (R,)
    gx, gy = np.meshgrid(xs, ys)  # (R, R) each
    z = s.f(gx, gy)  # (R, R)
    return {
        "name": s.name,
        "title": s.title,
        "formula": s.formula,
        "box": list(s.box),
        "xs": xs.tolist(),
        "ys": ys.tolist(),
        "z": z.tolist(),
        "minimum": list(s.minimum),
        "minimum_loss": float(s.f(*s.minimum)),
        "start": list(s.start),
    }


def path(
    name: str, optimizer: str, lr: float | None = None, steps: int = 200, start: tuple[float, float] | None = None
) -> dict:
    """The points an optimizer visits on surface `name`, the start included.

    Returns {"points": [[x, y, loss], ...], "diverged": bool, "lr": the rate used}.
    A path stops early when it leaves the plane (|x| or |y| beyond ESCAPE) or
    stops being a finite number, and says so.
    """
    s = get(name)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    lr = s.lr[optimizer] if lr is None else float(lr)
    if not (math.isfinite(lr) and 0 < lr <= MAX_LR):
        raise ValueError(f"the learning rate must be above 0 and at most {MAX_LR:g}, not {lr}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, not {steps}")
    start = s.start if start is None else start
    if not all(math.isfinite(v) and abs(v) <= 100 for v in start):
        raise ValueError("the start point must be two finite numbers between -100 and 100")
    p = np.array(start, dtype=np.float64)  # (2,) the two weights, updated in place
    opt = OPTIMIZERS[optimizer]([p], lr)
    points = [[float(p[0]), float(p[1]), float(s.f(p[0], p[1]))]]
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            opt.step([np.array(s.grad(p[0], p[1]))])
            loss = float(s.f(p[0], p[1]))
            if not (np.isfinite(p).all() and math.isfinite(loss)) or np.abs(p).max() > ESCAPE:
                diverged = True
                break
            points.append([float(p[0]), float(p[1]), loss])
    return {"points": points, "diverged": diverged, "lr": lr, "optimizer": optimizer, "surface": s.name}


def race(name: str, steps: int = 200, start: tuple[float, float] | None = None, lrs: dict | None = None) -> dict:
    """SGD, Momentum and Adam from the same start on the same surface."""
    lrs = lrs or {}
    return {opt: path(name, opt, lrs.get(opt), steps, start) for opt in OPTIMIZERS}
