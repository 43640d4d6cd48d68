"""Rosenblatt's perceptron: one neuron with a step activation, and its learning rule.

The perceptron (Rosenblatt, "The Perceptron: a probabilistic model for
information storage and organization in the brain", 1958) answers

    y_hat = step(w . x + b),   step(z) = 1 if z > 0 else 0

and learns one example at a time: when it is wrong it nudges the weights
toward the right answer, when it is right it does nothing:

    w <- w + lr (y - y_hat) x          b <- b + lr (y - y_hat)

If some line separates the two classes, this rule finds one after finitely many
mistakes (the perceptron convergence theorem, Novikoff 1962). AND and OR are
separable; XOR is not (no line puts (0,1) and (1,0) on one side and (0,0) and
(1,1) on the other), so on XOR the perceptron keeps making mistakes forever.
Minsky and Papert's book "Perceptrons" (1969) made that limit famous; a hidden
layer (see mlp.py) removes it.

What this file adds over a neuron: the learning rule, and a full record of
training (each example's update, each epoch's errors) for drawing. There is
no gradient here: the step function's slope is zero, which is why later
networks replaced it with smooth activations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_EPOCHS = 200  # a separable 2-input problem converges in a few dozen; XOR never does


@dataclass(frozen=True)
class PerceptronConfig:
    lr: float = 1.0  # with inputs in {0, 1} and zero start, any positive lr gives the same decisions
    epochs: int = 20  # enough for AND and OR from zero weights; shows XOR cycling
    stop_when_perfect: bool = False  # keep going, so XOR's plateau and AND's zero are both visible


def predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """step(X @ w + b) for every row: (N,) of 0/1."""
    return (X @ w + b > 0).astype(np.int64)  # (N,)


def train(X: np.ndarray, y: np.ndarray, config: PerceptronConfig = PerceptronConfig()) -> dict:
    """Run the perceptron rule over the examples in order, epoch after epoch, from zero weights.

    Returns a JSON-ready record:
      epochs  [{epoch, mistakes (updates made during the epoch), errors (examples
              misclassified by the weights at the end of it), w, b}]
      updates [{epoch, index, x, y, y_hat, w, b}] every example seen, weights after it
      w, b    the final weights
      converged  True when some epoch ended with zero errors
    """
    if not 1 <= config.epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be between 1 and {MAX_EPOCHS}, not {config.epochs}")
    if not (np.isfinite(config.lr) and 0 < config.lr <= 100):
        raise ValueError(f"the learning rate must be a number above 0 and at most 100, not {config.lr}")
    X = np.asarray(X, dtype=np.float64)  # (N, C)
    y = np.asarray(y, dtype=np.int64)  # (N,)
    w = np.zeros(X.shape[1])  # (C,)
    b = 0.0
    epochs, updates = [], []
    converged = False
    for epoch in range(1, config.epochs + 1):
        mistakes = 0
        for i, (x, target) in enumerate(zip(X, y)):
            y_hat = int(x @ w + b > 0)
            delta = target - y_hat  # -1, 0 or +1
            if delta:
                w = w + config.lr * delta * x  # the perceptron rule
                b = b + config.lr * delta
                mistakes += 1
            updates.append(
                {"epoch": epoch, "index": i, "x": x.tolist(), "y": int(target), "y_hat": y_hat, "w": w.tolist(), "b": b}
            )
        errors = int(np.sum(predict(X, w, b) != y))
        epochs.append({"epoch": epoch, "mistakes": mistakes, "errors": errors, "w": w.tolist(), "b": b})
        if errors == 0:
            converged = True
            if config.stop_when_perfect:
                break
    return {"epochs": epochs, "updates": updates, "w": w.tolist(), "b": b, "converged": converged}
