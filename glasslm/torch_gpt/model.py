"""The tiny GPT as a torch module, weight for weight the numpy `TinyGPT`.

    x = rmsnorm(wte[tokens] + wpe[positions])
    per layer:  x = x + wo @ attention(wq, wk, wv @ rmsnorm(x))
                x = x + fc2 @ relu(fc1 @ rmsnorm(x))
    logits = lm_head @ x

Same parameter names as the numpy checkpoint ("wte", "layer0.attn_wq", ...), the
same (out, in) layout, RMSNorm without a gain (eps 1e-5), no biases, an untied
output layer. Attention is torch's `scaled_dot_product_attention` with the causal
mask: the same softmax(q k^T / sqrt(D)) v, computed by torch's own kernels.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from glasslm.engine.models.tiny.gpt import CheckpointError, GPTConfig, param_shapes
from glasslm.engine.tokenizers.chars import CharTokenizer

RMS_EPS = 1e-5  # as glasslm.engine.autograd.tensor.rmsnorm


def rmsnorm(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + RMS_EPS)


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        C, F_ = config.n_embd, config.mlp_ratio * config.n_embd
        self.n_head = config.n_head
        self.attn_wq = nn.Parameter(torch.empty(C, C))
        self.attn_wk = nn.Parameter(torch.empty(C, C))
        self.attn_wv = nn.Parameter(torch.empty(C, C))
        self.attn_wo = nn.Parameter(torch.empty(C, C))
        self.mlp_fc1 = nn.Parameter(torch.empty(F_, C))
        self.mlp_fc2 = nn.Parameter(torch.empty(C, F_))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, T, C)
        B, T, C = x.shape
        H = self.n_head
        h = rmsnorm(x)
        q, k, v = (
            F.linear(h, w).view(B, T, H, C // H).transpose(1, 2) for w in (self.attn_wq, self.attn_wk, self.attn_wv)
        )  # each (B, H, T, D)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        x = x + F.linear(a.transpose(1, 2).reshape(B, T, C), self.attn_wo)
        return x + F.linear(F.relu(F.linear(rmsnorm(x), self.mlp_fc1)), self.mlp_fc2)


class TorchGPT(nn.Module):
    """The tiny GPT. `config` is the numpy engine's GPTConfig (checked against `limits`)."""

    def __init__(self, config: GPTConfig, tokenizer: CharTokenizer | None = None, seed: int | None = 0):
        super().__init__()
        if not config.microgpt_layout:
            raise ValueError(
                "the PyTorch twin runs microgpt's layout only; train a model with architecture switches in numpy"
            )
        self.config = config
        self.tokenizer = tokenizer
        C, V, T = config.n_embd, config.vocab_size, config.block_size
        self.wte = nn.Parameter(torch.empty(V, C))
        self.wpe = nn.Parameter(torch.empty(T, C))
        self.layers = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.lm_head = nn.Parameter(torch.empty(V, C))
        if seed is not None:  # microgpt's init: every weight from N(0, init_std^2)
            g = torch.Generator().manual_seed(seed)
            with torch.no_grad():
                for p in self.parameters():
                    p.normal_(0.0, config.init_std, generator=g)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, loss_divisor: float | None = None):
        """Logits (B, T, V), and the loss if targets (B, T) are given (-1: not counted).

        The loss is the mean over counted targets, or their sum divided by
        `loss_divisor` when given (data parallelism: see train.py).
        """
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than the context ({self.config.block_size})")
        x = rmsnorm(self.wte[idx] + self.wpe[:T])
        for block in self.layers:
            x = block(x)
        logits = F.linear(x, self.lm_head)
        if targets is None:
            return logits, None
        flat = logits.reshape(B * T, -1)
        if loss_divisor is None:
            return logits, F.cross_entropy(flat, targets.reshape(-1), ignore_index=-1)
        total = F.cross_entropy(flat, targets.reshape(-1), ignore_index=-1, reduction="sum")
        return logits, total / loss_divisor

    # -------------------------------------------------------- checkpoint names

    def named_weights(self) -> dict[str, torch.Tensor]:
        """Checkpoint name -> parameter ("layers.0.attn_wq" is saved as "layer0.attn_wq")."""
        out = {}
        for name, p in self.named_parameters():
            if name.startswith("layers."):
                _, i, rest = name.split(".", 2)
                name = f"layer{i}.{rest}"
            out[name] = p
        return out

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def save_checkpoint(model: TorchGPT, path: str | Path) -> Path:
    """The numpy engine's checkpoint format: float32 safetensors, config and characters as metadata.

    Written to a temporary file first and renamed, so an interrupted save never
    leaves half a checkpoint behind.
    """
    from safetensors.torch import save_file

    path = Path(path)
    meta = {"glasslm": "tiny-gpt", "config": json.dumps(asdict(model.config))}
    if model.tokenizer is not None:
        meta["chars"] = model.tokenizer.chars
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.named_weights().items()}
    tmp = path.with_name(path.name + ".partial")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path, limits: dict | None = None) -> TorchGPT:
    """A TorchGPT from a glasslm tiny-GPT checkpoint (written by numpy or torch).

    Damaged or foreign files raise CheckpointError with the reason.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:  # safetensors raises several types for damaged files
        raise CheckpointError(f"{path.name} is not a readable safetensors file ({err})") from None
    if meta.get("glasslm") != "tiny-gpt" or "config" not in meta:
        raise CheckpointError(f"{path.name} is a safetensors file but not a glasslm tiny GPT (no config inside)")
    try:
        raw = json.loads(meta["config"])
        if not isinstance(raw, dict):
            raise ValueError("the config is not a JSON object")
        known = {f.name for f in fields(GPTConfig)}
        config = GPTConfig(**{k: v for k, v in raw.items() if k in known}).validate(**(limits or {}))
        if not config.microgpt_layout:
            raise ValueError("its architecture switches differ from microgpt's; load it with glasslm's numpy TinyGPT")
        tokenizer = CharTokenizer(meta["chars"]) if "chars" in meta else None
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"{path.name} has an invalid config: {err}") from None
    expected = param_shapes(config)
    if set(tensors) != set(expected):
        raise CheckpointError(
            f"{path.name} does not match its config: missing {sorted(set(expected) - set(tensors))}, "
            f"unexpected {sorted(set(tensors) - set(expected))}"
        )
    model = TorchGPT(config, tokenizer, seed=None)
    with torch.no_grad():
        for name, p in model.named_weights().items():
            w = tensors[name]
            if tuple(w.shape) != expected[name]:
                raise CheckpointError(
                    f"{path.name}: {name} has shape {tuple(w.shape)}, the config says {expected[name]}"
                )
            if not w.is_floating_point() or not torch.isfinite(w).all():
                raise CheckpointError(f"{path.name}: {name} is not finite floating-point weights")
            p.copy_(w.to(p.dtype))
    return model


def training_memory_bytes(config: GPTConfig, batch_size: int, bytes_per_value: int = 4) -> int:
    """A floor on what training needs: weights, gradients and Adam's two moments (4 copies),
    plus the activations kept for the backward pass (about 16 numbers per channel per token
    per layer for this block, and the (B, H, T, T) attention weights, and the logits)."""
    n = sum(math.prod(s) for s in param_shapes(config).values())
    B, T, C, H, L, V = batch_size, config.block_size, config.n_embd, config.n_head, config.n_layer, config.vocab_size
    activations = L * (B * T * C * (6 + 2 * config.mlp_ratio) + B * H * T * T * 2) + B * T * V * 3
    return (4 * n + activations) * bytes_per_value
