"""The 8x8 handwritten digits scikit-learn bundles, split and cut into patches.

The data: 1,797 images of the digits 0-9, each 8x8 pixels with values 0-16,
from the UCI "Optical Recognition of Handwritten Digits" set (Alpaydin &
Kaynak 1998), shipped inside scikit-learn (`sklearn.datasets.load_digits`), so
it loads offline. We read scikit-learn's copy of the file (digits.csv.gz: 64
pixels and the label per line) directly, as `load_digits` does, without
importing scikit-learn itself, which takes seconds; tests/engine/test_vit.py
checks that both give the same arrays. Here the pixels are scaled to 0-1 and a fixed, seeded fifth
of the images is held out: the models of the vision chapter never train on them.

`patchify` is how a vision transformer reads an image (Dosovitskiy et al.
2020, "An Image is Worth 16x16 Words"): cut it into a grid of p x p squares,
left to right, top to bottom, and flatten each square into a vector of p*p
pixels - one token per patch.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIDE = 8  # the images are 8x8 pixels
MAX_PIXEL = 16.0  # scikit-learn's digits count ink from 0 to 16
HELD_OUT_FRACTION = 0.2  # 359 of the 1,797 images are never trained on
SPLIT_SEED = 0  # the same split every time, so accuracies can be compared
PATCH_SIZES = (1, 2, 4)  # the divisors of 8 that leave more than one patch
NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Digits:
    train_x: np.ndarray  # (n_train, 8, 8) in 0..1
    train_y: np.ndarray  # (n_train,) int 0..9
    test_x: np.ndarray  # (n_test, 8, 8)
    test_y: np.ndarray  # (n_test,)


def data_file() -> Path:
    """scikit-learn's digits.csv.gz, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-learn is not installed: `pip install scikit-learn` (it ships the digits)")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    if not path.exists():
        raise FileNotFoundError(f"scikit-learn's digits file is missing at {path}: reinstall scikit-learn")
    return path


@functools.lru_cache(maxsize=1)
def load() -> Digits:
    """The images scaled to 0-1, split once into training and held-out sets."""
    with gzip.open(data_file(), "rt") as f:
        raw = np.loadtxt(f, delimiter=",")  # (1797, 65): 64 pixels, then the label
    x = (raw[:, :-1] / MAX_PIXEL).reshape(-1, SIDE, SIDE)  # (1797, 8, 8)
    y = raw[:, -1].astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test = int(round(len(y) * HELD_OUT_FRACTION))
    test, train = order[:n_test], order[n_test:]
    for a in (x, y):
        a.flags.writeable = False
    return Digits(x[train], y[train], x[test], y[test])


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """(B, 8, 8) -> (B, P, patch*patch) with P = (8/patch)^2 patches in reading order."""
    if patch not in PATCH_SIZES:
        raise ValueError(f"patch size must be one of {PATCH_SIZES} (it must divide 8), not {patch}")
    B = images.shape[0]
    g = SIDE // patch  # patches per side
    return (
        images.reshape(B, g, patch, g, patch)  # (B, row, y, col, x)
        .transpose(0, 1, 3, 2, 4)  # (B, row, col, y, x)
        .reshape(B, g * g, patch * patch)
    )


def from_pixels(pixels) -> np.ndarray:
    """64 pixel values 0-16 (a drawn or chosen digit, row by row) -> one (8, 8) image in 0-1."""
    a = np.asarray(pixels, dtype=np.float64)
    if a.size != SIDE * SIDE:
        raise ValueError(f"an image has {SIDE * SIDE} pixels, not {a.size}")
    if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > MAX_PIXEL:
        raise ValueError(f"pixel values must be numbers from 0 to {MAX_PIXEL:g}")
    return a.reshape(SIDE, SIDE) / MAX_PIXEL
