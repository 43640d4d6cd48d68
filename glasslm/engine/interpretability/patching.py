"""Activation patching: which (layer, position) of the residual stream carries the answer?

Run the model on a clean prompt ("The capital of France is" -> " Paris") and on
a corrupted one that differs in a token or two ("... Italy is" -> " Rome").
Then run the corrupted prompt again, but with the residual stream at one
layer l and one position p replaced by the clean run's x_l[p], and let the
rest of the model run on. If the clean answer comes back, that cell carried
the information that decides it (Meng, Bau, Andonian & Belinkov 2022,
"Locating and Editing Factual Associations in GPT", causal tracing; Wang et
al. 2022, "Interpretability in the Wild", path and activation patching).

The measure is the logit difference LD = logit(clean answer) - logit(corrupted
answer) at the last position, and the share of it a patch recovers:

    recovered(l, p) = (LD_patched - LD_corrupted) / (LD_clean - LD_corrupted)

0 = no effect, 1 = the clean behaviour fully restored. Row l = 0 patches the
token embedding; row L patches the last residual, which only matters at the
last position. Both prompts must have the same number of tokens, so that
positions line up.

What it adds over hooked_llama.py: the sweep (all positions of one layer run
as one batch of edited copies), and the metric. Left out: patching single
heads or MLP outputs, path patching; noise-based corruption with one prompt is causal_tracing.py.
Shapes: L layers, T tokens, C width, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from glasslm.engine.models.llama.hooked_llama import last_logits, residuals, run_blocks

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_PATCH_TOKENS = 16  # a sweep runs (L+1) x T edited copies: short prompts keep it to seconds


@dataclass(frozen=True)
class Runs:
    """The clean and corrupted runs a sweep compares."""

    clean: list[np.ndarray]  # L+1 residuals (T, C) of the clean prompt
    corrupted: list[np.ndarray]  # L+1 residuals (T, C) of the corrupted prompt
    clean_logits: np.ndarray  # (V,) last position
    corrupted_logits: np.ndarray  # (V,)


def check_pair(clean_ids, corrupted_ids) -> None:
    if len(clean_ids) != len(corrupted_ids):
        raise ValueError(
            f"the two prompts must have the same number of tokens to line up position by position; "
            f"the clean one has {len(clean_ids)}, the corrupted one {len(corrupted_ids)}"
        )
    if len(clean_ids) > MAX_PATCH_TOKENS:
        raise ValueError(f"the prompts are {len(clean_ids)} tokens long; patching takes at most {MAX_PATCH_TOKENS}")
    if list(clean_ids) == list(corrupted_ids):
        raise ValueError("the two prompts are the same: change a word in the corrupted one")


def both_runs(m: SmolLM2, clean_ids, corrupted_ids) -> Runs:
    check_pair(clean_ids, corrupted_ids)
    clean, corrupted = residuals(m, clean_ids), residuals(m, corrupted_ids)
    return Runs(
        clean=clean,
        corrupted=corrupted,
        clean_logits=last_logits(m, clean[-1][None])[0],
        corrupted_logits=last_logits(m, corrupted[-1][None])[0],
    )


def logit_diff(logits: np.ndarray, good: int, bad: int) -> np.ndarray:
    """logit[good] - logit[bad] over the last axis: (...,)."""
    return logits[..., good].astype(np.float64) - logits[..., bad].astype(np.float64)


def patch(m: SmolLM2, runs: Runs, layer: int, positions) -> np.ndarray:
    """Last-position logits (B, V) of the corrupted run with clean x_layer patched in,
    one copy per entry of `positions` (each entry: a position, or a list of positions)."""
    copies = []
    for where in positions:
        x = runs.corrupted[layer].copy()  # (T, C)
        at = np.atleast_1d(np.asarray(where, dtype=np.int64))  # (n,) positions to patch
        x[at] = runs.clean[layer][at]
        copies.append(x)
    return last_logits(m, run_blocks(m, np.stack(copies), layer))  # (B, V)


def patch_sweep(m: SmolLM2, runs: Runs, good: int, bad: int, layers) -> Iterator[tuple[int, np.ndarray]]:
    """(layer, recovered share (T,)) for each layer in `layers`, patching one position at a time."""
    clean_ld = logit_diff(runs.clean_logits, good, bad)
    corrupt_ld = logit_diff(runs.corrupted_logits, good, bad)
    if abs(clean_ld - corrupt_ld) < 1e-6:
        raise ValueError("the two prompts give the same logit difference: nothing to recover")
    T = runs.clean[0].shape[0]
    for layer in layers:
        ld = logit_diff(patch(m, runs, layer, range(T)), good, bad)  # (T,)
        yield layer, (ld - corrupt_ld) / (clean_ld - corrupt_ld)
