"""Small 2-D classification data sets and truth tables, generated from a seed.

Each data set is N points in the plane with a label 0 or 1, scaled to lie
roughly inside [-1, 1] x [-1, 1] (so one drawing box, BOX, fits them all) and
chosen to need a little more from a network each time:

    xor      four clusters, opposite corners share a label: no single line separates them
    circles  a disc inside a ring: needs a closed boundary
    moons    two interleaved half circles: needs a curved boundary
    spiral   two arms winding around each other: needs several bends

The same seed gives the same points on every machine (numpy's PCG64 generator).
The shapes follow the classic teaching sets (scikit-learn's make_circles and
make_moons, the TensorFlow Playground's spiral); the code is written here.

Also the truth tables of AND, OR and XOR on inputs {0, 1}, for the perceptron.
Left out on purpose: more than two classes, more than two inputs.
"""

from __future__ import annotations

import numpy as np

BOX = (-1.5, 1.5)  # drawing range for both axes, a margin around every data set
MAX_POINTS = 1000  # points per data set: enough to see a boundary, cheap to train on


def xor(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))  # (N, 2) in {0, 1}
    X = (corners * 2 - 1) * 0.6 + rng.normal(0, noise, size=(n, 2))  # (N, 2) around (+-0.6, +-0.6)
    y = corners[:, 0] ^ corners[:, 1]  # (N,)
    return X, y.astype(np.int64)


def circles(n: int = 200, noise: float = 0.08, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int64)  # (N,) half inner (1), half outer (0)
    radius = np.where(y == 1, 0.4, 1.0)  # (N,)
    angle = rng.uniform(0, 2 * np.pi, n)  # (N,)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)  # (N, 2)
    return X + rng.normal(0, noise, size=(n, 2)), y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int64)  # (N,)
    t = rng.uniform(0, np.pi, n)  # (N,) position along each half circle
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)  # (N, 2)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)  # (N, 2)
    X = np.where(y[:, None] == 0, upper, lower)  # (N, 2) in x [-1, 2], y [-0.5, 1]
    X = (X - [0.5, 0.25]) / 1.5  # centre and shrink into about [-1, 1]
    return X + rng.normal(0, noise, size=(n, 2)), y


def spiral(n: int = 200, noise: float = 0.04, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int64)  # (N,)
    r = rng.uniform(0.05, 1.0, n)  # (N,) distance from the centre
    angle = 1.75 * 2 * np.pi * r + np.pi * y  # (N,) one and three quarter turns; the arms half a turn apart
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)  # (N, 2)
    return X + rng.normal(0, noise, size=(n, 2)), y


DATASETS = {"xor": xor, "circles": circles, "moons": moons, "spiral": spiral}


def make(name: str, n: int = 200, noise: float | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The data set `name` with n points: (X (N, 2), y (N,) of 0/1)."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: choose one of {', '.join(DATASETS)}")
    if not 4 <= n <= MAX_POINTS:
        raise ValueError(f"the number of points must be between 4 and {MAX_POINTS}, not {n}")
    if noise is None:
        return DATASETS[name](n, seed=seed)
    if not 0 <= noise <= 0.5:
        raise ValueError(f"noise must be between 0 and 0.5, not {noise}")
    return DATASETS[name](n, noise=noise, seed=seed)


TRUTH_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)  # (4, 2)
TRUTH_TABLES = {
    "and": np.array([0, 0, 0, 1], dtype=np.int64),
    "or": np.array([0, 1, 1, 1], dtype=np.int64),
    "xor": np.array([0, 1, 1, 0], dtype=np.int64),
}


def truth_table(gate: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (4, 2) and outputs (4,) of the logic gate `gate` (and, or, xor)."""
    if gate not in TRUTH_TABLES:
        raise ValueError(f"unknown gate {gate!r}: choose one of {', '.join(TRUTH_TABLES)}")
    return TRUTH_INPUTS.copy(), TRUTH_TABLES[gate].copy()
