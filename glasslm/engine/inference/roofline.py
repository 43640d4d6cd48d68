"""The roofline: how fast a computation can run on a machine, from two numbers of the machine and
one of the computation.

A machine does at most P floating-point operations a second (its peak) and moves
at most B bytes a second between memory and its arithmetic units (its memory
bandwidth). A computation that does F operations for every byte it must read
(its arithmetic intensity, F/byte) can therefore run at most at

    attainable FLOP/s = min(P, B x intensity)        (Williams, Waterman & Patterson 2009)

Below the ridge point P/B it is memory-bound: the arithmetic waits for the bytes.

For a language model's matrix products the count is simple. Each weight is read
once per forward pass and used for one multiply-add (2 FLOPs) per token in the
pass. Decoding one token per sequence for a batch of b sequences reads every
weight once and does 2 b FLOPs with it; with float32 weights (4 bytes) the
intensity is 2b/4 = b/2 FLOP per byte. A prefill of T tokens does the same with
T in place of b. Decode at b = 1 is half a FLOP per byte, far below any
processor's ridge point: that is why decoding is memory-bound everywhere and why
batching (many sequences share one read of the weights) helps until b/2 reaches
the ridge. Attention over the KV cache reads the cache too; at short contexts it
is a small share and is left out of this count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics.sampling import GREEDY

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

GEMM_N = 1024  # a 1024 x 1024 x 1024 float32 product: 2.1 GFLOP, big enough to reach the peak
BANDWIDTH_MB = 256  # copied array: far larger than any cache, so the copy runs at memory speed
MEASURE_S = 0.4  # each measurement repeats for about this long and keeps its best run

# One data-centre GPU's published figures, for comparison (NVIDIA H100 Tensor Core GPU datasheet,
# H100 SXM5: 989 dense BF16 tensor TFLOP/s, 3.35 TB/s of HBM3 memory bandwidth).
H100 = {
    "name": "NVIDIA H100 SXM (published)",
    "peak_flops": 989e12,
    "bandwidth": 3.35e12,
    "source": "NVIDIA H100 Tensor Core GPU datasheet (SXM5: BF16 dense tensor core, HBM3)",
}


@dataclass(frozen=True)
class Machine:
    peak_flops: float  # FLOP/s of a large float32 matrix product
    bandwidth: float  # bytes/s of a large copy (bytes read + bytes written)

    @property
    def ridge(self) -> float:
        """The intensity (FLOP/byte) where compute starts to bound instead of memory."""
        return self.peak_flops / self.bandwidth

    def attainable(self, intensity: float) -> float:
        return min(self.peak_flops, self.bandwidth * intensity)


def _best(run, seconds: float) -> float:
    """The shortest time of `run()` over repeats lasting about `seconds` (at least 3 repeats)."""
    best, spent, n = float("inf"), 0.0, 0
    while n < 3 or spent < seconds:
        t0 = time.perf_counter()
        run()
        dt = time.perf_counter() - t0
        best, spent, n = min(best, dt), spent + dt, n + 1
    return best


def measure_peak_flops(n: int = GEMM_N, seconds: float = MEASURE_S) -> float:
    """FLOP/s of an n x n x n float32 matrix product (2 n^3 FLOPs), best of repeats."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), dtype=np.float32)
    return 2 * n**3 / _best(lambda: np.matmul(a, b, out=out), seconds)


def measure_bandwidth(mb: int = BANDWIDTH_MB, seconds: float = MEASURE_S) -> float:
    """Bytes/s moved by copying an mb-megabyte array (each byte read once and written once)."""
    a = np.ones(mb * 2**20 // 4, dtype=np.float32)
    b = np.empty_like(a)
    return 2 * a.nbytes / _best(lambda: np.copyto(b, a), seconds)


def intensity(tokens_per_pass: int, bytes_per_weight: float = 4.0) -> float:
    """FLOP per byte of weights read when one pass serves `tokens_per_pass` tokens (2 FLOPs per weight per token)."""
    if tokens_per_pass < 1:
        raise ValueError(f"a pass serves at least one token, got {tokens_per_pass}")
    return 2 * tokens_per_pass / bytes_per_weight


@dataclass(frozen=True)
class ModelOnMachine:
    """SmolLM2's own speed, measured, placed on the roofline."""

    weights_per_token: int  # weights read (and multiplied) once per forward pass for each token
    bytes_per_weight: int
    prefill_tokens: int
    prefill_s: float
    decode_tok_s: float

    @property
    def flops_per_token(self) -> float:
        return 2.0 * self.weights_per_token

    @property
    def decode_flops(self) -> float:
        return self.flops_per_token * self.decode_tok_s

    @property
    def decode_bandwidth(self) -> float:
        """Bytes of weights streamed per second while decoding one sequence."""
        return self.weights_per_token * self.bytes_per_weight * self.decode_tok_s

    @property
    def prefill_flops(self) -> float:
        return self.flops_per_token * self.prefill_tokens / self.prefill_s


def weights_per_token(m: SmolLM2) -> int:
    """Weights a forward pass multiplies for every token: all layers' matrices and norms, plus the
    output layer (SmolLM2 ties it to the embedding: the whole matrix is read to score every token,
    while the input side reads one row, left out)."""
    c = m.parameter_counts()
    return c["attention"] + c["mlp"] + c["norms"] + (c["unembedding"] or c["embedding"])


def measure_model(m: SmolLM2, prompt_ids: list[int], decode_tokens: int = 16) -> ModelOnMachine:
    """Time one prefill of prompt_ids and `decode_tokens` greedy decode steps of SmolLM2 `m`.

    The prompt should be new to the model (a prefix cache would skip its prefill).
    """
    events = list(m.generate(prompt_ids, max_tokens=decode_tokens, settings=GREEDY, stop_ids=()))
    if len(events) < 2:
        raise ValueError("the model stopped after one token: nothing to time for decoding")
    decode_s = sum(e.seconds for e in events[1:])
    return ModelOnMachine(
        weights_per_token(m),
        m.model.w.layers[0].qkv_proj.dtype.itemsize,
        len(prompt_ids),
        events[0].seconds,
        (len(events) - 1) / decode_s,
    )
