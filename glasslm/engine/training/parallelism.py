"""How much memory each GPU needs to train a model of Ψ parameters on N GPUs, by strategy.

Training with Adam in mixed precision keeps, per parameter (Rajbhandari et al.
2020, "ZeRO", §3.1): the fp16 weight (2 bytes), its fp16 gradient (2 bytes), and
K = 12 bytes of optimizer state (an fp32 copy of the weight, Adam's first and
second moments: 4 bytes each). That is 16Ψ bytes of "model states", before any
activations. How the strategies divide them over N GPUs:

    data parallel (DP)        every GPU holds everything:       (2 + 2 + K) Ψ
    ZeRO stage 1 (P_os)       optimizer states sharded:         2Ψ + 2Ψ + KΨ/N
    ZeRO stage 2 (P_os+g)     ... and gradients:                2Ψ + (2 + K)Ψ/N
    ZeRO stage 3 (P_os+g+p)   ... and the weights themselves:   (2 + 2 + K)Ψ/N
    tensor parallel (TP)      each matrix split across GPUs:    about (2 + 2 + K)Ψ/N
    pipeline parallel (PP)    each GPU holds 1/N of the layers: about (2 + 2 + K)Ψ/N

The TP and PP lines are the ideal split (Shoeybi et al. 2019, Megatron-LM; Huang
et al. 2019, GPipe): real splits are uneven (embeddings, layer counts that do not
divide) and they add activation memory and idle "bubbles" this count leaves out.
Communication per step, in parameters' worth of data sent by each GPU (ZeRO §7):
DP all-reduces the gradients (2Ψ: a reduce-scatter and an all-gather); stages 1 and
2 keep that 2Ψ; stage 3 also gathers the weights for the forward and the backward
pass, 3Ψ in all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ADAM_STATE_BYTES = 12  # K: fp32 weight copy + first and second moments (ZeRO §3.1)
WEIGHT_BYTES = 2  # fp16/bf16 weight
GRAD_BYTES = 2  # fp16/bf16 gradient
MAX_PARAMS = 1e13  # ten trillion: past every published model
MAX_GPUS = 100_000


@dataclass(frozen=True)
class Strategy:
    name: str
    bytes_per_gpu: float
    comm_params_per_step: float | None  # parameters' worth of data each GPU sends per step (None: not compared)
    note: str


def memory_per_gpu(params: float, gpus: int, k: float = ADAM_STATE_BYTES) -> list[Strategy]:
    """Bytes of model states per GPU for each strategy (see the module docstring)."""
    if not (math.isfinite(params) and 1 <= params <= MAX_PARAMS):
        raise ValueError(f"the parameter count must be from 1 to {MAX_PARAMS:.0e}, got {params!r}")
    if not (isinstance(gpus, int) and 1 <= gpus <= MAX_GPUS):
        raise ValueError(f"the number of GPUs must be a whole number from 1 to {MAX_GPUS:,}, got {gpus!r}")
    p, n, w, g = float(params), gpus, WEIGHT_BYTES, GRAD_BYTES
    return [
        Strategy("data parallel", (w + g + k) * p, 2 * p, "every GPU keeps all weights, gradients and Adam state"),
        Strategy("ZeRO-1", w * p + g * p + k * p / n, 2 * p, "Adam state split over the GPUs"),
        Strategy("ZeRO-2", w * p + (g + k) * p / n, 2 * p, "Adam state and gradients split"),
        Strategy("ZeRO-3", (w + g + k) * p / n, 3 * p, "everything split; weights gathered layer by layer"),
        Strategy(
            "tensor parallel",
            (w + g + k) * p / n,
            None,
            "each weight matrix split; activations exchanged inside every layer",
        ),
        Strategy(
            "pipeline parallel",
            (w + g + k) * p / n,
            None,
            "each GPU holds a slice of the layers; micro-batches flow through",
        ),
    ]
