"""LoRA on the tiny GPT: freeze every weight, learn a low-rank change to a few matrices.

Low-Rank Adaptation (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
Language Models", Section 4.1) keeps a pretrained weight W (out, in) frozen
and learns its change as the product of two thin matrices:

    W' = W + (alpha / r) * B A        A: (r, in), random;  B: (out, r), zeros
    y  = x W'^T = x W^T + (alpha / r) * (x A^T) B^T

Because B starts at zero, the adapted model starts exactly where the
pretrained one is. Only A and B are trained: r * (in + out) numbers per
adapted matrix instead of in * out. After training, B A can be added into W
once ("merging"), and the model runs as fast as before, with no adapter left.

What this file adds over gpt.py and tensor.py: one fused op, `lora_linear`
(a frozen matrix plus any number of adapters on column slices of its output,
with its backward right beside it), `LoRAGPT` (the tiny GPT's forward pass
with frozen base weights and trainable adapters kept in their own
`Parameters`), `merge` (adapters folded into a copy of the base), and
`count_lora_params` (the trainable-parameter formula, checked against the
real model in tests/engine/test_lora.py).
What it leaves out: dropout on the adapter's input, adapters on the
embeddings or the output layer (Hu et al. adapt only attention weights; we
also allow the MLP), and bias terms (the tiny GPT has none).

Shapes: N rows (= B*T), C channels, V vocabulary, r rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.models.tiny.gpt import TinyGPT

# The tiny GPT's per-layer matrices that can carry an adapter (checkpoint names).
TARGETS = ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")
MAX_RANK = 64  # beyond the tiny GPT's widest matrix a low-rank change is not low-rank any more


@dataclass(frozen=True)
class LoRAConfig:
    rank: int = 4  # r: a quarter of the tiny GPT's 16 channels is already a real restriction
    alpha: float = 8.0  # the update is scaled by alpha / r, so changing r keeps the step size comparable
    targets: tuple[str, ...] = ("attn_wq", "attn_wv")  # Hu et al. 2021 (Section 7.1) adapt W_q and W_v
    init_std: float | None = None  # std of A's Gaussian init; None: 1/sqrt(in), so x A^T starts at unit scale

    def validate(self) -> "LoRAConfig":
        """Raise ValueError naming the bad setting and what is allowed."""
        if (
            isinstance(self.rank, bool)
            or not isinstance(self.rank, (int, np.integer))
            or not 1 <= self.rank <= MAX_RANK
        ):
            raise ValueError(f"rank must be a whole number from 1 to {MAX_RANK}, got {self.rank!r}")
        if not isinstance(self.alpha, (int, float)) or not np.isfinite(self.alpha) or not 0 < self.alpha <= 1024:
            raise ValueError(f"alpha must be a number above 0 and at most 1024, got {self.alpha!r}")
        if not self.targets:
            raise ValueError(f"choose at least one matrix to adapt from {', '.join(TARGETS)}")
        unknown = [t for t in self.targets if t not in TARGETS]
        if unknown or len(set(self.targets)) != len(self.targets):
            raise ValueError(f"targets must be distinct names from {', '.join(TARGETS)}, got {list(self.targets)}")
        return self

    @property
    def scale(self) -> float:
        return float(self.alpha) / self.rank


def lora_linear(x: tt.Tensor, w: np.ndarray, adapters: list, scale: float) -> tt.Tensor:
    """y = x W^T plus, for each adapter (c0, A, B), scale * (x A^T) B^T added to columns c0 : c0+out.

    x (N, in) Tensor; w (out_total, in) a plain array: frozen, it gets no gradient;
    A (r, in) and B (out, r) are trainable Tensors. Several adapters on column
    slices let the fused q|k|v matrix carry separate adapters for q, k and v.
    Backward (the chain rule through y = x W^T + s (x A^T) B^T, with u = x A^T (N, r)):
        dB = s g^T u,   dA = s (g B)^T x,   dx = g W + s (g B) A
    """
    xd = x.data
    y = xd @ w.T  # (N, out_total)
    saved = []
    for c0, a, b in adapters:
        u = xd @ a.data.T  # (N, r)
        out = b.data.shape[0]
        y[:, c0 : c0 + out] += scale * (u @ b.data.T)  # (N, out)
        saved.append((c0, out, a, b, u))

    def backward(g):  # g (N, out_total)
        gx = g @ w  # (N, in): the frozen path still passes the gradient on
        for c0, out, a, b, u in saved:
            gs = g[:, c0 : c0 + out]  # (N, out)
            b.add_grad(scale * (gs.T @ u))  # (out, r)
            gu = scale * (gs @ b.data)  # (N, r)
            a.add_grad(gu.T @ xd)  # (r, in)
            gx = gx + gu @ a.data  # (N, in)
        x.add_grad(gx)

    return tt.Tensor(y, (x, *(t for _, a, b in adapters for t in (a, b))), backward)


def _matrix_shape(base: TinyGPT, target: str) -> tuple[int, int]:
    return base.params.shapes[f"layer0.{target}"]  # (out, in), the same in every layer


def adapter_shapes(base: TinyGPT, config: LoRAConfig) -> dict[str, tuple[int, int]]:
    """Name -> shape of every A (r, in) and B (out, r), layer by layer."""
    shapes = {}
    for i in range(base.config.n_layer):
        for t in config.targets:
            out, inp = _matrix_shape(base, t)
            shapes[f"layer{i}.{t}.lora_A"] = (config.rank, inp)
            shapes[f"layer{i}.{t}.lora_B"] = (out, config.rank)
    return shapes


def count_lora_params(n_layer: int, n_embd: int, mlp_ratio: int, rank: int, targets) -> int:
    """Trainable numbers of LoRA: r * (in + out) per adapted matrix per layer (Hu et al. 2021, Section 4.1)."""
    C, F = n_embd, mlp_ratio * n_embd
    size = {
        "attn_wq": C + C,
        "attn_wk": C + C,
        "attn_wv": C + C,
        "attn_wo": C + C,
        "mlp_fc1": C + F,
        "mlp_fc2": F + C,
    }  # in + out of each matrix
    return n_layer * rank * sum(size[t] for t in targets)


class LoRAGPT:
    """A frozen TinyGPT plus trainable adapters; quacks like TinyGPT for training and sampling.

    The base model is only read, never written: its weights enter the graph as
    plain arrays (or constant Tensors), so their gradients are not even
    computed where the op allows it.
    """

    def __init__(self, base: TinyGPT, config: LoRAConfig | None = None, seed: int = 0):
        if not base.config.microgpt_layout:
            raise ValueError("LoRA here adapts microgpt's layout only; this model's architecture switches differ")
        self.base = base
        self.lora = (config or LoRAConfig()).validate()
        self.config = base.config  # the GPT's config: block_size etc. (what training code reads)
        self.tokenizer = base.tokenizer
        self.params = tt.Parameters(adapter_shapes(base, self.lora))
        rng = np.random.default_rng(seed)
        for name, shape in self.params.shapes.items():
            if name.endswith("lora_A"):
                std = self.lora.init_std or 1.0 / np.sqrt(shape[1])
                self.params[name].data[...] = rng.normal(0.0, std, shape)  # B stays 0: W' = W at the start

    @property
    def n_params(self) -> int:
        """Trainable numbers (the adapters only)."""
        return self.params.size

    def _adapters(self, i: int, names: tuple[str, ...]) -> list:
        """(column offset, A, B) for the adapted matrices among `names`, stacked in that order."""
        out, col = [], 0
        for t in names:
            if t in self.lora.targets:
                out.append((col, self.params[f"layer{i}.{t}.lora_A"], self.params[f"layer{i}.{t}.lora_B"]))
            col += _matrix_shape(self.base, t)[0]
        return out

    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None):
        """Logits (N, V) Tensor and the mean loss Tensor if targets are given (as TinyGPT.forward)."""
        idx = np.asarray(idx)
        if idx.ndim == 1:
            idx = idx[None, :]
        B, T = idx.shape
        cfg, p, s = self.config, self.base.params, self.lora.scale
        if T > cfg.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than the context ({cfg.block_size})")
        const = lambda name: tt.Tensor(p[name].data)  # noqa: E731 - frozen: a plain Tensor, not a parameter
        x = tt.rmsnorm(tt.embed(const("wte"), const("wpe"), idx))  # (N, C)
        for i in range(cfg.n_layer):
            wqkv = p.joined(f"layer{i}.attn_wq", f"layer{i}.attn_wv").data  # (3C, C)
            qkv = lora_linear(tt.rmsnorm(x), wqkv, self._adapters(i, ("attn_wq", "attn_wk", "attn_wv")), s)  # (N, 3C)
            a = tt.causal_attention(qkv, B, T, cfg.n_head)  # (N, C)
            x = tt.add(x, lora_linear(a, p[f"layer{i}.attn_wo"].data, self._adapters(i, ("attn_wo",)), s))
            h = tt.relu(lora_linear(tt.rmsnorm(x), p[f"layer{i}.mlp_fc1"].data, self._adapters(i, ("mlp_fc1",)), s))
            x = tt.add(x, lora_linear(h, p[f"layer{i}.mlp_fc2"].data, self._adapters(i, ("mlp_fc2",)), s))
        logits = lora_linear(x, p["lm_head"].data, [], s)  # (N, V)
        if targets is None:
            return logits, None
        return logits, tt.cross_entropy(logits, np.asarray(targets))

    # TinyGPT's own: they only call self.forward and self.params (here the adapters),
    # so the adapters' gradient lands in params.flat_grad.
    loss = TinyGPT.loss
    loss_and_grad = TinyGPT.loss_and_grad

    def delta(self, layer: int, target: str) -> np.ndarray:
        """The change this adapter makes to one weight: (alpha/r) B A, shape (out, in)."""
        a = self.params[f"layer{layer}.{target}.lora_A"].data
        b = self.params[f"layer{layer}.{target}.lora_B"].data
        return self.lora.scale * (b @ a)


def copy_model(model: TinyGPT) -> TinyGPT:
    """An independent TinyGPT with the same config, tokenizer and weights."""
    twin = TinyGPT(model.config, tokenizer=model.tokenizer)
    twin.params.flat[:] = model.params.flat
    return twin


def merge(model: LoRAGPT) -> TinyGPT:
    """A plain TinyGPT whose weights are W + (alpha/r) B A: the same function, no adapters."""
    merged = copy_model(model.base)
    for i in range(model.config.n_layer):
        for t in model.lora.targets:
            merged.params[f"layer{i}.{t}"].data[...] += model.delta(i, t)
    return merged
