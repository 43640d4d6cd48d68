"""Linear models: the smallest things that have weights.

A prediction is inputs times weights, summed, plus a bias:  y_hat = X @ w + b.
With one input and no bias that is a single knob (y_hat = x * w); with a few
inputs it is a few knobs. The error we measure is the mean squared error

    L(w, b) = mean((X @ w + b - y)^2)
    dL/dw   = 2/N * X^T (X @ w + b - y)        dL/db = 2/N * sum(X @ w + b - y)

and the best weights have a closed form (least squares), which the chapters use
as the answer gradient descent should find.

The data are real measurements: Fisher's iris flowers (Anderson 1935, Fisher
1936), 150 flowers measured in centimetres, bundled with scikit-learn so they
work offline. Left out on purpose: regularisation, feature scaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

IRIS_FEATURES = ("sepal length", "sepal width", "petal length", "petal width")


@dataclass(frozen=True)
class Dataset:
    """Inputs X (N, C) and targets y (N,), with names and units for display."""

    X: np.ndarray
    y: np.ndarray
    inputs: tuple[str, ...]
    target: str
    unit: str
    source: str


@lru_cache(maxsize=1)
def _iris() -> np.ndarray:
    from sklearn.datasets import load_iris

    return load_iris().data.astype(np.float64)  # (150, 4) in cm


def iris_petals() -> Dataset:
    """One input: petal length -> petal width (cm)."""
    d = _iris()
    return Dataset(
        d[:, 2:3], d[:, 3], ("petal length",), "petal width", "cm", "Fisher's iris data (150 flowers), via scikit-learn"
    )


def iris_three_inputs() -> Dataset:
    """Three inputs: sepal length, sepal width, petal length -> petal width (cm)."""
    d = _iris()
    return Dataset(
        d[:, :3], d[:, 3], IRIS_FEATURES[:3], "petal width", "cm", "Fisher's iris data (150 flowers), via scikit-learn"
    )


def predict(X: np.ndarray, w: np.ndarray, b: float = 0.0) -> np.ndarray:
    return X @ w + b  # (N,)


def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float = 0.0) -> float:
    err = predict(X, w, b) - y  # (N,)
    return float(np.mean(err * err))


def mse_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float = 0.0) -> tuple[np.ndarray, float]:
    """(dL/dw (C,), dL/db) of the mean squared error."""
    err = predict(X, w, b) - y  # (N,)
    n = len(y)
    return 2.0 / n * (X.T @ err), 2.0 / n * float(err.sum())


def least_squares(X: np.ndarray, y: np.ndarray, bias: bool = True) -> tuple[np.ndarray, float]:
    """The weights (and bias) with the smallest mean squared error, exactly."""
    A = np.hstack([X, np.ones((len(X), 1))]) if bias else X  # (N, C+1)
    sol, *_ = np.linalg.lstsq(A, y, rcond=None)
    return (sol[:-1], float(sol[-1])) if bias else (sol, 0.0)


def one_weight_curvature(x: np.ndarray) -> float:
    """d^2 L / dw^2 of the mean squared error of y_hat = x w: 2 mean(x^2), the same for every w.

    L is a parabola in w, so one gradient step multiplies the distance to the
    best weight by (1 - lr * curvature): below 1 it converges, past 2 it diverges.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return float(2.0 * np.mean(x * x))


def descend_one_weight(x: np.ndarray, y: np.ndarray, w0: float, lr: float, steps: int) -> list[dict]:
    """Plain gradient descent on y_hat = x * w. One record per step, the start included.

    Stops early (and says so) once the weight is no longer a finite number.
    """
    X = x.reshape(-1, 1)
    w = np.array([float(w0)])
    path = []
    for step in range(steps + 1):
        loss = mse(X, y, w)
        gw, _ = mse_grad(X, y, w)
        finite = bool(np.isfinite(loss) and np.isfinite(gw[0]))
        path.append(
            {"step": step, "w": float(w[0]), "loss": loss if finite else None, "grad": float(gw[0]) if finite else None}
        )
        if not finite or abs(w[0]) > 1e12:
            path[-1]["diverged"] = True
            break
        if step < steps:
            w = w - lr * gw
    return path
