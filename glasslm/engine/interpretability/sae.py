"""A sparse autoencoder: a model's activations rewritten as a few active features.

One neuron of a language model often fires for several unrelated things
(polysemanticity). A sparse autoencoder (Bricken et al. 2023, "Towards
Monosemanticity"; Cunningham, Ewart, Riggs, Huben & Sharkey 2023, "Sparse
Autoencoders Find Highly Interpretable Features in Language Models") learns
an overcomplete dictionary of directions such that each activation vector is
a sum of only a few of them:

    f     = ReLU((x - b_dec) W_enc + b_enc)          (N, F)  feature activations
    x_hat = f W_dec + b_dec                          (N, C)  reconstruction
    loss  = mean_n ||x_hat - x||^2 + l1 * mean_n sum_j f_j

The L1 term pushes most f_j to zero. Rows of W_dec (one direction per
feature) are rescaled to unit length after every step, so the penalty cannot
be dodged by shrinking f and growing W_dec (Bricken et al. 2023). Inputs are
scaled once so that their mean squared norm is C, which makes l1 mean the same
at every layer. Gradients are written by hand below (tests check them against
finite differences); the optimizer is optim.Adam.

Left out: resampling dead features, ghost grads, top-k SAEs, tied weights.
Shapes: N activation vectors, C their width, F features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from glasslm.engine.autograd.optim import Adam

MAX_FEATURES = 1024  # dictionary size; N x F activations are kept per step
MAX_STEPS = 2000  # each step is a full pass over a few hundred vectors


@dataclass(frozen=True)
class SAEConfig:
    n_features: int = 256  # F: a few times the directions the data needs; overcomplete vs C is the usual choice
    l1: float = 3e-3  # sparsity weight: higher = fewer active features, worse reconstruction
    lr: float = 3e-3  # Adam step: SAE papers use 1e-4 on millions of vectors; few vectors allow larger
    steps: int = 300  # full-batch steps: loss flattens within a few hundred on ~1,000 vectors
    seed: int = 0  # initialisation

    def check(self) -> None:
        if not 1 <= self.n_features <= MAX_FEATURES:
            raise ValueError(f"n_features must be from 1 to {MAX_FEATURES}, got {self.n_features}")
        if not (np.isfinite(self.l1) and 0 <= self.l1 <= 10):
            raise ValueError(f"l1 must be from 0 to 10, got {self.l1}")
        if not (np.isfinite(self.lr) and 0 < self.lr <= 1):
            raise ValueError(f"lr must be above 0 and at most 1, got {self.lr}")
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be from 1 to {MAX_STEPS}, got {self.steps}")


class SparseAutoencoder:
    def __init__(self, width: int, cfg: SAEConfig, dtype=np.float64):
        cfg.check()
        rng = np.random.default_rng(cfg.seed)
        F, C = cfg.n_features, width
        self.cfg = cfg
        self.W_dec = rng.standard_normal((F, C)).astype(dtype)  # (F, C)
        self.W_dec /= np.linalg.norm(self.W_dec, axis=1, keepdims=True)  # unit rows
        self.W_enc = self.W_dec.T.copy()  # (C, F): start as the transpose, as in Bricken et al.
        self.b_enc = np.zeros(F, dtype=dtype)  # (F,)
        self.b_dec = np.zeros(C, dtype=dtype)  # (C,)

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W_enc, self.b_enc, self.W_dec, self.b_dec]

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Feature activations f (N, F) of scaled inputs x (N, C)."""
        return np.maximum((x - self.b_dec) @ self.W_enc + self.b_enc, 0.0)

    def decode(self, f: np.ndarray) -> np.ndarray:
        return f @ self.W_dec + self.b_dec  # (N, C)

    def loss_and_grads(self, x: np.ndarray) -> tuple[dict, list[np.ndarray]]:
        """The loss and its parts, and gradients for [W_enc, b_enc, W_dec, b_dec]."""
        N = x.shape[0]
        xc = x - self.b_dec  # (N, C)
        pre = xc @ self.W_enc + self.b_enc  # (N, F)
        f = np.maximum(pre, 0.0)  # (N, F)
        r = f @ self.W_dec + self.b_dec - x  # (N, C) reconstruction error
        mse = float((r * r).sum() / N)
        l1 = float(f.sum() / N)  # f >= 0, so |f| = f
        dr = 2.0 * r / N  # (N, C) d loss / d x_hat
        dW_dec = f.T @ dr  # (F, C)
        df = dr @ self.W_dec.T + self.cfg.l1 / N  # (N, F)
        dpre = df * (pre > 0)  # (N, F) ReLU passes gradient where it was open
        dW_enc = xc.T @ dpre  # (C, F)
        db_enc = dpre.sum(axis=0)  # (F,)
        db_dec = dr.sum(axis=0) - dpre.sum(axis=0) @ self.W_enc.T  # (C,) via x_hat and via x - b_dec
        parts = {"loss": mse + self.cfg.l1 * l1, "mse": mse, "l1": l1}
        return parts, [dW_enc, db_enc, dW_dec, db_dec]

    def normalize_decoder(self) -> None:
        self.W_dec /= np.maximum(np.linalg.norm(self.W_dec, axis=1, keepdims=True), 1e-12)


def input_scale(x: np.ndarray) -> float:
    """The factor that makes the mean squared norm of x's rows equal to its width C."""
    return float(np.sqrt(x.shape[1] / np.mean(np.sum(x.astype(np.float64) ** 2, axis=1))))


def train_sae(x: np.ndarray, cfg: SAEConfig, every: int = 10) -> Iterator[dict]:
    """Train on activations x (N, C), full batch; yields {"type": "step", ...} every `every`
    steps and at the end {"type": "trained", "sae": the model, "scale": the input scale}."""
    x = np.asarray(x, dtype=np.float32)  # float32 halves the time of each step; tests check float64 maths
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"activations must be a (N, C) array with N >= 2, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("activations must be finite numbers")
    scale = input_scale(x)
    xs = x * np.float32(scale)  # (N, C)
    sae = SparseAutoencoder(x.shape[1], cfg, dtype=np.float32)
    sae.b_dec[:] = xs.mean(axis=0)  # start the decoder bias at the data's mean
    opt = Adam(sae.params, lr=cfg.lr)
    variance = float(((xs - xs.mean(axis=0)) ** 2).sum() / xs.shape[0])  # mean squared distance to the mean
    for step in range(1, cfg.steps + 1):
        parts, grads = sae.loss_and_grads(xs)
        opt.step(grads)
        sae.normalize_decoder()
        if step % every == 0 or step == cfg.steps:
            f = sae.encode(xs)  # (N, F)
            active = f > 0
            yield {
                "type": "step",
                "step": step,
                **parts,
                "l0": float(active.sum(axis=1).mean()),
                "dead": int((~active.any(axis=0)).sum()),
                "explained": 1.0 - parts["mse"] / variance,
            }
    yield {"type": "trained", "sae": sae, "scale": scale}


def top_examples(acts: np.ndarray, column: int, k: int) -> list[tuple[int, float]]:
    """The k rows where column `column` of acts (N, F) is largest and positive: [(row, value)]."""
    a = acts[:, column]  # (N,)
    order = np.argsort(-a, kind="stable")[:k]
    return [(int(i), float(a[i])) for i in order if a[i] > 0]


def topic_spans(acts: np.ndarray, row_topics: list[str], k: int) -> np.ndarray:
    """(F,) how many different topics the k top-activating rows of each column of acts (N, F) come from.

    A neuron (or feature) whose top rows all share one topic is easy to name;
    one spread over many topics is polysemantic, the problem sparse
    autoencoders were built for. Ties in activation keep the earlier row.
    """
    order = np.argsort(-acts, axis=0, kind="stable")[:k]  # (k, F) top rows of every column
    topics = np.asarray(row_topics)[order]  # (k, F)
    return np.array([len(set(col)) for col in topics.T])  # (F,)


PARAM_NAMES = ("W_enc", "b_enc", "W_dec", "b_dec")


def gradient_check(
    sae: SparseAutoencoder, x: np.ndarray, n_checks: int = 12, eps: float = 1e-4, seed: int = 0
) -> list[dict]:
    """Hand-written gradients against central finite differences (L(p+eps) - L(p-eps)) / 2 eps,
    at `n_checks` random entries spread over the four parameters, all in float64.

    Entries whose pre-activation sits within eps of the ReLU's kink would make the
    difference quotient straddle it; with random entries that is rare, and shown as is.
    """
    if not 1 <= n_checks <= 64:
        raise ValueError(f"n_checks must be from 1 to 64, got {n_checks}")
    copy = SparseAutoencoder(sae.W_dec.shape[1], sae.cfg)  # float64 twin with the trained values
    for mine, theirs in zip(copy.params, sae.params):
        mine[...] = theirs
    x = np.asarray(x, dtype=np.float64)
    _, grads = copy.loss_and_grads(x)
    rng = np.random.default_rng(seed)
    out = []
    for n in range(n_checks):
        which = n % 4
        p = copy.params[which]
        index = tuple(int(rng.integers(0, s)) for s in p.shape)
        old = p[index]
        p[index] = old + eps
        up = copy.loss_and_grads(x)[0]["loss"]
        p[index] = old - eps
        down = copy.loss_and_grads(x)[0]["loss"]
        p[index] = old
        numeric = (up - down) / (2 * eps)
        analytic = float(grads[which][index])
        scale = max(abs(numeric), abs(analytic), 1e-8)
        out.append(
            {
                "param": PARAM_NAMES[which],
                "index": list(index),
                "analytic": analytic,
                "numeric": numeric,
                "rel_error": abs(analytic - numeric) / scale,
            }
        )
    return out
