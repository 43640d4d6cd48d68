"""A second, deliberately plain SmolLM2 forward pass for tests (float64, one head at a time).

It shares nothing with glasslm.engine.models.llama.llama but the weight arrays: RMSNorm,
softmax and SwiGLU are written out again here, RoPE is done with complex
numbers (pair (x[2i], x[2i+1]) as x[2i] + i x[2i+1] multiplied by
e^{i p theta^(-2i/D)}), and every head is its own loop iteration with its own
causal mask. Slow, obvious, independent: the truth the chapters' numbers are
checked against.
"""

from __future__ import annotations

import numpy as np


def rms(x, weight, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * weight


def rope_complex(x, theta):
    """x (T, D) rotated by position t = 0..T-1."""
    T, D = x.shape
    z = x[:, 0::2] + 1j * x[:, 1::2]  # (T, D/2)
    freq = theta ** (-np.arange(0, D, 2) / D)  # (D/2,)
    z = z * np.exp(1j * np.arange(T)[:, None] * freq[None, :])
    out = np.empty_like(x)
    out[:, 0::2], out[:, 1::2] = z.real, z.imag
    return out


def head_vectors(m, x, layer, head):
    """q, k, v (T, D) each of one query head and the key/value head it reads, from residual x (T, C)."""
    cfg, lw = m.config, m.model.w.layers[layer]
    H, Hkv, D = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
    W = np.asarray(lw.qkv_proj, dtype=np.float64)  # (C, (H + 2 Hkv) D)
    h = rms(x, np.asarray(lw.input_layernorm, np.float64), cfg.norm_eps)
    kv = head // (H // Hkv)
    q = rope_complex(h @ W[:, head * D : (head + 1) * D], cfg.rope_theta)
    k = rope_complex(h @ W[:, (H + kv) * D : (H + kv + 1) * D], cfg.rope_theta)
    v = h @ W[:, (H + Hkv + kv) * D : (H + Hkv + kv + 1) * D]
    return q, k, v


def block(m, x, layer):
    """One transformer block on residual x (T, C) -> (new residual, attention weights (H, T, T))."""
    cfg, lw = m.config, m.model.w.layers[layer]
    T, D, F = x.shape[0], cfg.head_dim, cfg.d_ff
    outs, maps = [], []
    for head in range(cfg.n_heads):
        q, k, v = head_vectors(m, x, layer, head)
        s = q @ k.T / np.sqrt(D)  # (T, T)
        s[np.triu_indices(T, 1)] = -np.inf
        w = np.exp(s - s.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        maps.append(w)
        outs.append(w @ v)
    x = x + np.concatenate(outs, axis=1) @ np.asarray(lw.o_proj, np.float64)
    h = rms(x, np.asarray(lw.post_attention_layernorm, np.float64), cfg.norm_eps)
    gu = h @ np.asarray(lw.gate_up_proj, np.float64)
    g, u = gu[:, :F], gu[:, F:]
    x = x + (g / (1 + np.exp(-g)) * u) @ np.asarray(lw.down_proj, np.float64)
    return x, np.stack(maps)


def residuals(m, ids, layers=None):
    """Residual stream after the embedding and after each of the first `layers` blocks: list of (T, C)."""
    layers = m.config.n_layers if layers is None else layers
    x = np.asarray(m.model.w.embed_tokens, np.float64)[np.asarray(ids)]
    out = [x]
    for layer in range(layers):
        x, _ = block(m, x, layer)
        out.append(x)
    return out


def lens_logits(m, x):
    """Final norm + tied unembedding applied to a residual x (T, C): (T, V)."""
    return (
        rms(x, np.asarray(m.model.w.norm, np.float64), m.config.norm_eps)
        @ np.asarray(m.model.w.embed_tokens, np.float64).T
    )
