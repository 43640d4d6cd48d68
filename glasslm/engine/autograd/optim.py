"""Optimizers and learning-rate schedules, over plain numpy arrays.

An optimizer holds a list of parameter arrays and updates them *in place*
from a matching list of gradient arrays. The same classes move a single point
on a 2-D loss surface (the learning-loop chapter) and every weight of the tiny GPT (train-a-gpt):
a model that keeps all its weights as views into one flat buffer can pass that
one buffer, and each step is then a handful of numpy calls whatever the model's
size.

Update rules:
- SGD:       p <- p - lr * g
- Momentum:  v <- mu * v + g ;  p <- p - lr * v            (heavy ball, as in torch.optim.SGD)
- Adam:      m <- b1 m + (1-b1) g ;  v <- b2 v + (1-b2) g^2
             p <- p - lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
  Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2015, Algorithm 1.

Schedules are plain functions of the step number, so they can be drawn
(the train-a-gpt chapter plots the schedule the run will follow) as well as used.
Weight decay, gradient clipping and the like are left out until a chapter needs
them.

AdamRun is the XRun of a model trained from scratch with Adam (the vision models):
the model, its settings, the optimizer's moments, the data order and the step,
so a run can stop and resume; subclasses name their model and settings classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np


class Optimizer:
    """Base class: holds the parameters and the step count."""

    def __init__(self, params: list[np.ndarray], lr: float):
        self.params = list(params)
        self.lr = float(lr)
        self.t = 0  # steps taken

    def step(self, grads: list[np.ndarray], lr: float | None = None) -> None:
        """Apply one update in place. `lr` overrides the base rate for this step."""
        self.t += 1
        self._update(grads, self.lr if lr is None else float(lr))

    def _update(self, grads: list[np.ndarray], lr: float) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    def _update(self, grads, lr):
        for p, g in zip(self.params, grads):
            p -= lr * g


class Momentum(Optimizer):
    def __init__(self, params, lr: float, mu: float = 0.9):
        super().__init__(params, lr)
        self.mu = float(mu)
        self.v = [np.zeros_like(p) for p in self.params]

    def _update(self, grads, lr):
        for p, g, v in zip(self.params, grads, self.v):
            v *= self.mu
            v += g
            p -= lr * v


class Adam(Optimizer):
    def __init__(self, params, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self._tmp = [np.empty_like(p) for p in self.params]  # scratch: no allocation per step

    def _update(self, grads, lr):
        b1, b2, t = self.beta1, self.beta2, self.t
        # Fold both bias corrections into one step size and one eps (exactly
        # equal to Algorithm 1): lr * m_hat / (sqrt(v_hat) + eps)
        #   = lr_t * m / (sqrt(v) + eps * sqrt(1 - b2^t)),  lr_t = lr * sqrt(1-b2^t) / (1-b1^t)
        c2 = math.sqrt(1.0 - b2**t)
        lr_t = lr * c2 / (1.0 - b1**t)
        eps_t = self.eps * c2
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self._tmp):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps_t
            np.divide(m, tmp, out=tmp)
            tmp *= lr_t
            p -= tmp


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


# ---------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Schedule:
    """Learning rate as a function of the step (0-based) out of `total` steps.

    kind: "constant", "linear" (lr * (1 - step/total): falls by lr/total each
    step and would reach 0 at step `total`, one past the last; as microgpt does)
    or "cosine" (half a cosine towards 0). `warmup` steps ramp up linearly first.
    """

    lr: float
    total: int
    kind: str = "linear"
    warmup: int = 0

    def __call__(self, step: int) -> float:
        if self.warmup and step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        if self.kind == "constant":
            return self.lr
        span = max(1, self.total - self.warmup)
        frac = min(1.0, (step - self.warmup) / span)
        if self.kind == "linear":
            return self.lr * (1.0 - frac)
        if self.kind == "cosine":
            return self.lr * 0.5 * (1.0 + math.cos(math.pi * frac))
        raise ValueError(f"unknown schedule {self.kind!r}: use constant, linear or cosine")

    def curve(self, points: int = 100) -> list[tuple[int, float]]:
        """(step, lr) pairs across the run, for drawing."""
        steps = np.unique(np.linspace(0, max(0, self.total - 1), points).astype(int))
        return [(int(s), self(int(s))) for s in steps]


@dataclass
class AdamRun:
    """Everything a training run of one model with Adam changes: resuming is calling its train
    function again with it. `create` builds the model from its config (None: the defaults) and
    the optimizer over the model's one flat parameter buffer, seeded by the settings' seed."""

    model: Any  # a model_class, whose weights are views into model.params.flat
    config: Any  # a config_class: validate(), lr and seed
    opt: Adam
    rng: np.random.Generator
    step: int = 0

    model_class: ClassVar[type]
    config_class: ClassVar[type]

    @classmethod
    def create(cls, model_config=None, config=None):
        config = (config or cls.config_class()).validate()
        model = cls.model_class(model_config)
        return cls(model, config, Adam([model.params.flat], config.lr), np.random.default_rng(config.seed))
