"""The original transformer's position encoding: a table of sines and cosines.

Vaswani et al. 2017, "Attention Is All You Need", section 3.5:

    PE[p, 2i]   = sin(p / base^(2i / C))
    PE[p, 2i+1] = cos(p / base^(2i / C)),      base = 10000

Here (not in embeddings/positions.py, which draws it) because the tiny GPT
can add it instead of learned positions, and models sit below embeddings.
"""

from __future__ import annotations

import numpy as np

SINUSOID_BASE = 10000.0  # Vaswani et al. 2017: wavelengths from 2*pi to 10000*2*pi
MAX_POSITIONS = 100_000  # bigger tables are never drawn; keeps memory bounded


def sinusoidal(n_positions: int, d_model: int, base: float = SINUSOID_BASE) -> np.ndarray:
    """(T, C) float32: the sinusoidal encoding of positions 0..T-1 in C channels (C even)."""
    if not 1 <= n_positions <= MAX_POSITIONS:
        raise ValueError(f"n_positions must be between 1 and {MAX_POSITIONS}, got {n_positions}")
    if d_model < 2 or d_model % 2:
        raise ValueError(f"d_model must be a positive even number, got {d_model}")
    pos = np.arange(n_positions, dtype=np.float64)[:, None]  # (T, 1)
    freq = base ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # (C/2,)
    pe = np.empty((n_positions, d_model))  # (T, C)
    pe[:, 0::2] = np.sin(pos * freq)
    pe[:, 1::2] = np.cos(pos * freq)
    return pe.astype(np.float32)
