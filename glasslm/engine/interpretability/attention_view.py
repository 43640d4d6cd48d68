"""Attention in SmolLM2, opened up: one head's Q, K, V step by step, and GQA's sharing.

llama.py runs attention for all heads at once, fused and in place, which is
right for speed and hard to read. This file recomputes ONE head of ONE layer
for ONE query token from a recorded trace, in the order a textbook writes it
(Vaswani et al. 2017, "Attention Is All You Need", eq. 1):

    h      = RMSNorm(x) * input_layernorm               (T, C)  x: residual entering the layer
    q_i    = RoPE(h_i @ W_q[head]), k_j = RoPE(h_j @ W_k[kv]), v_j = h_j @ W_v[kv]   (D,) each
    s_j    = q_i . k_j / sqrt(D)                         (T,)    one score per key
    s_j    = -inf for j > i                              causal mask: no peeking ahead
    w      = softmax(s)                                  (T,)    weights, sum 1
    out    = sum_j w_j v_j                               (D,)    what the head passes on

In grouped-query attention (Ainslie et al. 2023, "GQA") query head h reads
key/value head h // (H / Hkv): SmolLM2's 9 query heads share 3 key/value heads,
so its KV cache holds a third of what one key/value head per query head would.

What it adds over llama.py: per-step numbers of one head (the forward pass only
keeps the final weights), the GQA layout and its memory from the config.
Left out: the output projection o_proj (the transformer chapter shows the whole block).
Shapes: T tokens, C width, H query heads, Hkv key/value heads, D head dim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics.rope import apply_rope, rope_angles
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.models.llama.gguf_weights import LlamaConfig
from glasslm.engine.models.llama.kv_cache import kv_cache_bytes
from glasslm.engine.models.llama.llama import rms_norm

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2


@dataclass(frozen=True)
class HeadSteps:
    """The arithmetic of one attention head for one query token, each step kept."""

    layer: int
    head: int  # query head
    kv_head: int  # the key/value head it shares (GQA)
    query: int  # position i of the query token
    q: np.ndarray  # (D,) the query token's query vector, after RoPE
    k: np.ndarray  # (T, D) every token's key, after RoPE
    v: np.ndarray  # (T, D) every token's value
    dots: np.ndarray  # (T,) q . k_j
    scores: np.ndarray  # (T,) q . k_j / sqrt(D)
    visible: np.ndarray  # (T,) bool: key j <= query i
    masked: np.ndarray  # (T,) scores, -inf where not visible
    weights: np.ndarray  # (T,) softmax(masked)
    output: np.ndarray  # (D,) weights @ v

    @property
    def scale(self) -> float:
        return float(1.0 / np.sqrt(self.q.shape[0]))


def check_head(config: LlamaConfig, layer: int, head: int) -> None:
    """ValueError naming the allowed range if (layer, head) does not exist."""
    for name, value, count in (("layer", layer, config.n_layers), ("head", head, config.n_heads)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
            raise ValueError(f"{name} must be a whole number from 0 to {count - 1}, got {value!r}")


def head_qkv(model: SmolLM2, residual: np.ndarray, layer: int, head: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q (T, D), k (T, D), v (T, D) of one query head and its key/value head.

    model: a SmolLM2 (or anything with .config and .model.w, the Llama weights);
    residual: (T, C) the residual stream entering `layer` (trace.residuals[layer]).
    Only this head's columns of the fused q|k|v matrix are used.
    """
    cfg = model.config
    check_head(cfg, layer, head)
    lw = model.model.w.layers[layer]
    H, Hkv, D = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
    kv = head // cfg.group_size
    T = residual.shape[0]
    h = rms_norm(residual, lw.input_layernorm, cfg.norm_eps)  # (T, C)
    q_cols = slice(head * D, (head + 1) * D)
    k_cols = slice((H + kv) * D, (H + kv + 1) * D)
    v_cols = slice((H + Hkv + kv) * D, (H + Hkv + kv + 1) * D)
    cos, sin = rope_angles(np.arange(T), D, cfg.rope_theta)  # (T, D/2) each
    q = apply_rope(h @ lw.qkv_proj[:, q_cols], cos, sin)  # (T, D)
    k = apply_rope(h @ lw.qkv_proj[:, k_cols], cos, sin)  # (T, D)
    v = h @ lw.qkv_proj[:, v_cols]  # (T, D)
    return q, k, v


def head_steps(model: SmolLM2, residual: np.ndarray, layer: int, head: int, query: int) -> HeadSteps:
    """Every step of attention for query token `query` in (layer, head); see the module docstring."""
    T = residual.shape[0]
    if isinstance(query, bool) or not isinstance(query, (int, np.integer)) or not 0 <= query < T:
        raise ValueError(f"query must be a token position from 0 to {T - 1}, got {query!r}")
    q_all, k, v = head_qkv(model, residual, layer, head)
    q = q_all[query]  # (D,)
    dots = k.astype(np.float64) @ q.astype(np.float64)  # (T,)
    scores = dots / np.sqrt(q.shape[0])  # (T,)
    visible = np.arange(T) <= query  # (T,)
    masked = np.where(visible, scores, -np.inf)  # (T,)
    weights = softmax(masked)  # (T,) exp(-inf) = 0 for the future
    return HeadSteps(
        layer=layer,
        head=head,
        kv_head=head // model.config.group_size,
        query=query,
        q=q,
        k=k,
        v=v,
        dots=dots,
        scores=scores,
        visible=visible,
        masked=masked,
        weights=weights,
        output=weights @ v.astype(np.float64),
    )


# ---------------------------------------------------------------- GQA
def gqa_groups(config: LlamaConfig) -> list[list[int]]:
    """For each key/value head, the query heads that read it (as llama.py assigns them)."""
    G = config.group_size
    return [list(range(kv * G, (kv + 1) * G)) for kv in range(config.n_kv_heads)]


def gqa_memory(config: LlamaConfig, context: int | None = None, bytes_per_value: int = 4) -> dict:
    """KV-cache bytes and key/value projection weights, with GQA and without it.

    "Without" means one key/value head per query head (multi-head attention,
    Vaswani et al. 2017) at the same width. The cache formula is kv_cache.py's.
    """
    context = context or config.context_length
    L, H, Hkv, D, C = config.n_layers, config.n_heads, config.n_kv_heads, config.head_dim, config.d_model
    gqa_token = kv_cache_bytes(L, Hkv, D, 1, bytes_per_value)
    mha_token = kv_cache_bytes(L, H, D, 1, bytes_per_value)
    return {
        "context": context,
        "bytes_per_value": bytes_per_value,
        "per_token_bytes": gqa_token,
        "per_token_bytes_mha": mha_token,
        "context_bytes": kv_cache_bytes(L, Hkv, D, context, bytes_per_value),
        "context_bytes_mha": kv_cache_bytes(L, H, D, context, bytes_per_value),
        "kv_params": 2 * L * C * Hkv * D,  # k and v projections of every layer
        "kv_params_mha": 2 * L * C * H * D,
        "saving": 1 - Hkv / H,
    }


def strongest_link(rows: np.ndarray) -> tuple[int, int, int]:
    """(layer, head, token) of the largest weight in one token's attention rows (L, H, t+1).

    rows[l, h] is what the token at position t attends to in layer l, head h.
    Token 0 is left out (most heads park attention there, an "attention
    sink") and so is the token itself: what remains is its strongest link to
    another word. Ties go to the lowest layer, then head, then token.
    """
    others = np.array(rows, dtype=np.float64)
    others[:, :, 0] = 0.0
    others[:, :, -1] = 0.0
    layer, head, token = np.unravel_index(others.argmax(), others.shape)
    return int(layer), int(head), int(token)


def strongest_head(weights: np.ndarray) -> tuple[int, int]:
    """(layer, head) where weights (L, H), the attention one token pays another, is largest."""
    layer, head = np.unravel_index(np.asarray(weights).argmax(), np.shape(weights))
    return int(layer), int(head)
