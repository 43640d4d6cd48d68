"""The residual stream layer by layer, and the logit lens: what each layer would predict.

A Llama-style model only reads its residual stream x at the very end:

    logits = RMSNorm(x_L) * norm @ embed_tokens^T        (T, V)   (tied unembedding)

The logit lens (nostalgebraist 2020, "interpreting GPT: the logit lens")
applies that same final step to the residual x_l after every layer l, as if
the model stopped there. Early layers usually predict something generic, later
ones converge on the final answer; at l = L the lens IS the model's output.

What it adds over llama.py: reading the trace's residuals (trace.residuals:
L+1 arrays (T, C), after the embedding and after each block) through the final
norm and unembedding, and their sizes (L2 norms). Left out: the tuned lens
(a learned probe per layer, Belrose et al. 2023).
Shapes: L layers, T tokens, C width, V vocabulary, k top tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.models.llama.llama import rms_norm

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_LENS_ROWS = 1024  # (layers + 1) x tokens rows at once: each row is a product with the 49,152 x 576 unembedding


@dataclass(frozen=True)
class Lens:
    """Top-k next-token guesses read off the residual stream after every layer."""

    top_ids: np.ndarray  # (L+1, T, k) most likely next tokens, best first; row 0 = the embedding alone
    top_probs: np.ndarray  # (L+1, T, k) their softmax probabilities over the whole vocabulary
    entropy: np.ndarray  # (L+1, T) entropy of each lens distribution, in nats


def residual_norms(residuals) -> np.ndarray:
    """(L+1, T) L2 norm of the residual stream at every depth and position."""
    x = np.stack(residuals).astype(np.float64)  # (L+1, T, C)
    return np.sqrt((x * x).sum(axis=-1))


def lens_logits(model: SmolLM2, residual: np.ndarray) -> np.ndarray:
    """The model's own final step (final RMSNorm, tied unembedding) applied to a residual (T, C): (T, V)."""
    w, cfg = model.model.w, model.config
    return rms_norm(np.asarray(residual, dtype=np.float32), w.norm, cfg.norm_eps) @ w.lm_head.T  # (T, V)


def logit_lens(model: SmolLM2, residuals, k: int = 1) -> Lens:
    """The top-k tokens (and probabilities) the final step would read from every layer's residual.

    model: a SmolLM2 (needs .config and .model.w); residuals: trace.residuals, L+1 arrays (T, C).
    """
    x = np.stack(residuals)  # (L+1, T, C)
    n_rows = x.shape[0] * x.shape[1]
    if n_rows > MAX_LENS_ROWS:
        raise ValueError(
            f"the logit lens reads at most {MAX_LENS_ROWS} (layer, token) rows at once; "
            f"{x.shape[0]} x {x.shape[1]} = {n_rows}: use a shorter text"
        )
    if not 1 <= k <= 20:
        raise ValueError(f"k must be from 1 to 20, got {k}")
    z = lens_logits(model, x.reshape(n_rows, -1))  # (rows, V) float32
    z -= z.max(axis=-1, keepdims=True)  # largest logit now 0: exp cannot overflow
    e = np.exp(z)  # (rows, V) unnormalised probabilities
    total = e.sum(axis=-1, dtype=np.float64)  # (rows,)
    # entropy = -sum p log p = log(total) - sum(e * z) / total, with p = e / total
    entropy = np.log(total) - np.einsum("rv,rv->r", e, z, dtype=np.float64) / total  # (rows,)
    top = np.argpartition(-z, k - 1, axis=-1)[:, :k]  # (rows, k) unordered
    order = np.argsort(-np.take_along_axis(z, top, -1), axis=-1, kind="stable")
    top = np.take_along_axis(top, order, -1)  # (rows, k) best first
    probs = np.take_along_axis(e, top, -1) / total[:, None]  # (rows, k)
    shape = x.shape[:2]
    return Lens(top_ids=top.reshape(*shape, k), top_probs=probs.reshape(*shape, k), entropy=entropy.reshape(shape))
