"""A small multilayer perceptron in numpy, with its forward and backward pass written out.

The network maps a 2-D point to the probability of class 1:

    a_0 = x                                   (N, 2)
    z_l = a_{l-1} @ W_l + b_l,  a_l = f(z_l)   (N, width)  for each hidden layer l = 1..L
    z_out = a_L @ W_out + b_out                (N, 1) with a sigmoid output, (N, 2) with softmax

and is trained on the mean cross-entropy of the true labels. Backpropagation
goes through the same steps in reverse (the chain rule, layer by layer):

    dL/dz_out = (p - y) / N                    sigmoid + binary cross-entropy, or softmax + cross-entropy
    dL/dW_l   = a_{l-1}^T @ dL/dz_l            dL/db_l = sum over rows of dL/dz_l
    dL/da_{l-1} = dL/dz_l @ W_l^T              dL/dz_{l-1} = dL/da_{l-1} * f'(z_{l-1})

What this adds over perceptron.py: hidden layers, smooth activations (from
activations.py) so that gradients exist, and gradient descent instead of the
perceptron rule (the update is one of optim.py's optimizers). It also records,
for one chosen point, every neuron's value and every weight's gradient, so the
network can be drawn with values flowing forward and gradients flowing back.

Initialisation: normal with standard deviation sqrt(1 / fan_in) (LeCun et al.,
"Efficient BackProp", 1998), sqrt(2 / fan_in) for the ReLU family (He et al.,
2015). Left out on purpose: mini-batches (the data sets are a few hundred
points, so every step uses all of them), regularisation, more than two classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd.optim import OPTIMIZERS
from glasslm.engine.basics import activations
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.basics.toy_data import BOX

MAX_LAYERS = 4  # hidden layers: enough to show depth helping on the spiral, small enough to draw
MAX_WIDTH = 8  # neurons per hidden layer: every neuron and weight still fits on screen
HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "gelu_tanh", "silu")  # step has no gradient: it cannot be trained
OUTPUTS = ("sigmoid", "softmax")
MAX_GRID = 80  # decision-boundary grid cells per side


@dataclass(frozen=True)
class MLPConfig:
    layers: int = 2  # hidden layers: 2 separates every toy data set here but the spiral, quickly
    width: int = 6  # neurons per hidden layer
    activation: str = "tanh"  # smooth and zero-centred: trains reliably at moderate learning rates
    output: str = "sigmoid"  # one output neuron, p(class 1); "softmax" uses two, one per class
    seed: int = 0  # initial weights: the same seed gives the same network

    def check(self) -> None:
        if not 1 <= self.layers <= MAX_LAYERS:
            raise ValueError(f"the network can have 1 to {MAX_LAYERS} hidden layers, not {self.layers}")
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"each hidden layer can have 1 to {MAX_WIDTH} neurons, not {self.width}")
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}: choose one of {', '.join(HIDDEN_ACTIVATIONS)}")
        if self.output not in OUTPUTS:
            raise ValueError(f"unknown output {self.output!r}: choose sigmoid or softmax")


class MLP:
    """Weights W[l] (fan_in, fan_out) and biases b[l] (fan_out,), hidden layers then the output layer."""

    def __init__(self, config: MLPConfig = MLPConfig()):
        config.check()
        self.config = config
        self.act = activations.get(config.activation)
        rng = np.random.default_rng(config.seed)
        gain = 2.0 if config.activation in ("relu", "gelu_tanh", "silu") else 1.0
        sizes = [2] + [config.width] * config.layers + [1 if config.output == "sigmoid" else 2]
        self.W = [rng.normal(0, math.sqrt(gain / i), size=(i, o)) for i, o in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(o) for o in sizes[1:]]
        self.sizes = sizes

    @property
    def params(self) -> list[np.ndarray]:
        """All parameter arrays, in the order grads() returns their gradients."""
        return self.W + self.b

    # ------------------------------------------------------------ forward

    def forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations zs and activations acts of every layer (acts[0] is the input)."""
        acts = [np.asarray(X, dtype=np.float64)]  # [(N, 2)]
        zs = []
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            z = acts[-1] @ W + b  # (N, fan_out)
            zs.append(z)
            acts.append(self._output(z) if l == last else self.act.f(z))
        return zs, acts

    def _output(self, z: np.ndarray) -> np.ndarray:
        """Class probabilities from the output layer: (N, 1) p(class 1), or (N, 2) softmax."""
        if self.config.output == "sigmoid":
            return activations.sigmoid(z)
        return softmax(z)  # (N, 2)

    def proba(self, X: np.ndarray) -> np.ndarray:
        """p(class 1) for every point: (N,)."""
        p = self.forward(X)[1][-1]
        return p[:, 0] if self.config.output == "sigmoid" else p[:, 1]

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy, computed from the logits so that it never takes log(0)."""
        z = self.forward(X)[0][-1]
        y = np.asarray(y)
        if self.config.output == "sigmoid":
            z = z[:, 0]  # (N,)
            # -[y log s(z) + (1-y) log(1 - s(z))] = softplus(z) - y z
            return float(np.mean(np.logaddexp(0.0, z) - y * z))
        logp = z - np.logaddexp(z[:, 0], z[:, 1])[:, None]  # (N, 2) log-softmax
        return float(-np.mean(logp[np.arange(len(y)), y]))

    # ------------------------------------------------------------ backward

    def backward(self, zs, acts, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean loss: (grads of W and b in `params` order, dL/dz of every layer)."""
        y = np.asarray(y)
        n = len(y)
        p = acts[-1]
        if self.config.output == "sigmoid":
            dz = (p - y[:, None]) / n  # (N, 1)
        else:
            dz = p.copy()
            dz[np.arange(n), y] -= 1.0
            dz /= n  # (N, 2)
        dW, db, dzs = [], [], []
        for l in range(len(self.W) - 1, -1, -1):
            dzs.append(dz)
            dW.append(acts[l].T @ dz)  # (fan_in, fan_out)
            db.append(dz.sum(axis=0))  # (fan_out,)
            if l > 0:
                da = dz @ self.W[l].T  # (N, fan_in)
                dz = da * self.act.df(zs[l - 1])  # (N, fan_in)
        return dW[::-1] + db[::-1], dzs[::-1]

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        zs, acts = self.forward(X)
        grads, _ = self.backward(zs, acts, y)
        return self.loss(X, y), grads

    # ------------------------------------------------------------ for drawing

    def trace(self, x: np.ndarray, y: int) -> dict:
        """Forward values and backward gradients for one point (its own loss), for the drawn network.

        layers[l] = {"z": pre-activations (None for the input), "a": values,
                     "dz": dL/dz per neuron (None for the input)}
        weights[l] = {"W", "dW", "b", "db"} for the connections into layer l+1.
        """
        X = np.asarray(x, dtype=np.float64).reshape(1, 2)
        Y = np.array([int(y)])
        zs, acts = self.forward(X)
        grads, dzs = self.backward(zs, acts, Y)
        k = len(self.W)
        layers = [{"z": None, "a": acts[0][0].tolist(), "dz": None}]
        for l in range(k):
            layers.append({"z": zs[l][0].tolist(), "a": acts[l + 1][0].tolist(), "dz": dzs[l][0].tolist()})
        weights = [
            {"W": self.W[l].tolist(), "dW": grads[l].tolist(), "b": self.b[l].tolist(), "db": grads[k + l].tolist()}
            for l in range(k)
        ]
        return {
            "x": X[0].tolist(),
            "y": int(y),
            "p": float(self.proba(X)[0]),
            "loss": self.loss(X, Y),
            "layers": layers,
            "weights": weights,
        }

    def grid(self, resolution: int = 40, box: tuple[float, float] = BOX) -> dict:
        """p(class 1) on a resolution x resolution grid over box x box (rows are y, bottom first)."""
        if not 2 <= resolution <= MAX_GRID:
            raise ValueError(f"the grid resolution must be between 2 and {MAX_GRID}, not {resolution}")
        ticks = np.linspace(box[0], box[1], resolution)  # (R,)
        gx, gy = np.meshgrid(ticks, ticks)  # (R, R) each
        p = self.proba(np.stack([gx.ravel(), gy.ravel()], axis=1))  # (R*R,)
        return {"ticks": ticks.tolist(), "p": p.reshape(resolution, resolution).tolist()}


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((model.proba(X) > 0.5) == (np.asarray(y) == 1)))


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # adapts the step per weight: reliable across the data sets without tuning
    lr: float = 0.03  # with Adam, fast on XOR and circles, stable on the spiral
    steps: int = 1000  # full-batch steps: a second or so on these data sets
    report_every: int = 25  # steps between reports (a redrawn boundary): smooth enough to watch


MAX_STEPS = 20000  # per run: bounds the work one request can start
MAX_LR = 10.0  # larger rates only diverge


def training(model: MLP, X: np.ndarray, y: np.ndarray, config: TrainConfig = TrainConfig()):
    """Train `model` in place by full-batch gradient descent; yield a report every `report_every` steps.

    Each report: {step, loss, accuracy, diverged}, measured after `step` updates.
    The caller draws the boundary with model.grid() when it wants to; the
    generator does no drawing work itself. If the loss stops being a finite
    number (a learning rate far too large) the last report says diverged and
    training stops.
    """
    if config.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {config.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    if not (math.isfinite(config.lr) and 0 < config.lr <= MAX_LR):
        raise ValueError(f"the learning rate must be above 0 and at most {MAX_LR:g}, not {config.lr}")
    if not 1 <= config.steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, not {config.steps}")
    if not 1 <= config.report_every <= config.steps:
        raise ValueError("report_every must be between 1 and the number of steps")
    opt = OPTIMIZERS[config.optimizer](model.params, config.lr)
    for step in range(1, config.steps + 1):
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, not warned
            zs, acts = model.forward(X)
            grads, _ = model.backward(zs, acts, y)
            opt.step(grads)
            if step % config.report_every and step != config.steps:
                continue
            loss = model.loss(X, y)
        diverged = not (math.isfinite(loss) and all(np.isfinite(p).all() for p in model.params))
        yield {
            "step": step,
            "loss": None if diverged else loss,
            "accuracy": None if diverged else accuracy(model, X, y),
            "diverged": diverged,
        }
        if diverged:
            return
