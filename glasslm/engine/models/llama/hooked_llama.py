"""SmolLM2's forward pass with the residual stream open: read it, stop early, edit it, resume.

llama.py runs the whole model in one call (with a KV cache, for generation).
Interpretability needs to stand *between* blocks: record the residual
stream x_l after block l, stop at a chosen layer (no unembedding: 49,152
logits per token are most of the cost of a pass over many tokens), or
replace part of x_l and run only the blocks after it. This file is that
forward, written again from llama.py's own pieces (rms_norm, silu, softmax,
RoPE from basics/rope.py) so that every step is the same maths; tests check its
logits against Llama.forward.

    residuals(m, ids)         -> [x_0, ..., x_L], each (T, C); x_0 is the embedding
    batch_layers(m, seqs, l) -> per block up to l: its residual and MLP activations of many sequences
    batch_residuals(m, seqs, l) -> x_l and block l-1's MLP activations of many sequences
    run_blocks(m, x, start)   -> x_L from x_start (B, T, C): blocks start..L-1
    attention(m, x, l, past), mlp(m, x, l) -> the two outputs block l adds to the residual (B, T, C)
    last_logits(m, x_L)       -> (B, V) the final norm and unembedding, last position

Blocks take a batch: B edited copies of one sequence run together (the
patching sweep edits one position per copy). A block is its attention and
its MLP, each callable alone so that causal tracing can replace either output;
attention accepts the keys and values of earlier positions, so a copy that
differs only from position p on runs positions p.. alone. Left out: the
generation KV cache (llama.py's), attention recording.
Shapes: B copies, T tokens, C width, H query heads, Hkv key/value heads,
G = H/Hkv, D head dim, F MLP width, V vocabulary, L layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics.rope import apply_rope_complex, rope_angles, rope_rotations
from glasslm.engine.basics.sampling import softmax
from glasslm.engine.models.llama.llama import rms_norm, silu

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_TOKENS = 512  # sequences here are sentences: a (B, H, T, T) score array stays small


def _check(m: SmolLM2, ids) -> np.ndarray:
    ids = np.asarray(m.check_ids(ids, limit=MAX_TOKENS), dtype=np.int64)  # (T,)
    return ids


def attention(m: SmolLM2, x: np.ndarray, layer: int, past: tuple | None = None) -> tuple[np.ndarray, tuple]:
    """Block `layer`'s attention output (B, T, C), before it is added to the residual x (B, T, C).

    x holds positions start..start+T-1, where start is the length of `past` = (k, v), the keys
    (already rotated) and values of the earlier positions, each (B, start, Hkv, D): a run that
    changed nothing before `start` reuses them instead of recomputing those positions.
    Also returns (k, v) of all start+T positions, so a run can be recorded and resumed.
    """
    cfg, lw = m.config, m.model.w.layers[layer]
    B, T, C = x.shape
    H, Hkv, D, G = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.group_size
    start = 0 if past is None else past[0].shape[1]
    rot = rope_rotations(*rope_angles(np.arange(start, start + T), D, cfg.rope_theta))[:, None]  # (T, 1, D/2)
    h = rms_norm(x.reshape(B * T, C), lw.input_layernorm, cfg.norm_eps)  # (B*T, C)
    qkv = (h @ lw.qkv_proj).reshape(B, T, -1)  # (B, T, (H + 2Hkv) D)
    qk = apply_rope_complex(np.ascontiguousarray(qkv[..., : (H + Hkv) * D]).reshape(B, T, H + Hkv, D), rot)
    q, k = qk[:, :, :H], qk[:, :, H:]  # (B, T, H, D), (B, T, Hkv, D)
    v = qkv[..., (H + Hkv) * D :].reshape(B, T, Hkv, D)  # (B, T, Hkv, D)
    if past is not None:
        k, v = np.concatenate([past[0], k], axis=1), np.concatenate([past[1], v], axis=1)  # (B, S, Hkv, D)
    kh, vh = np.repeat(k, G, axis=2), np.repeat(v, G, axis=2)  # (B, S, H, D): query head h uses kv head h // G
    scores = np.einsum("bthd,bshd->bhts", q, kh) / np.float32(np.sqrt(D))  # (B, H, T, S)
    S = start + T
    scores = scores + np.triu(np.full((T, S), -np.inf, dtype=np.float32), k=start + 1)  # causal: no future keys
    att = softmax(scores).astype(x.dtype)  # (B, H, T, S): summed in float64, used in the model's float32
    out = np.einsum("bhts,bshd->bthd", att, vh).reshape(B * T, H * D)  # (B*T, H*D)
    return (out @ lw.o_proj).reshape(B, T, C), (k, v)


def mlp(m: SmolLM2, x: np.ndarray, layer: int, mlp_acts: list | None = None) -> np.ndarray:
    """Block `layer`'s MLP output (B, T, C), before it is added to the residual x (B, T, C).

    If mlp_acts is a list, the SwiGLU activations silu(g) * u (B, T, F) are appended."""
    cfg, lw = m.config, m.model.w.layers[layer]
    B, T, C = x.shape
    F = cfg.d_ff
    h = rms_norm(x.reshape(B * T, C), lw.post_attention_layernorm, cfg.norm_eps)  # (B*T, C)
    gu = h @ lw.gate_up_proj  # (B*T, 2F)
    act = silu(gu[:, :F]) * gu[:, F:]  # (B*T, F) SwiGLU
    if mlp_acts is not None:
        mlp_acts.append(act.reshape(B, T, F))
    return (act @ lw.down_proj).reshape(B, T, C)


def block(m: SmolLM2, x: np.ndarray, layer: int, mlp_acts: list | None = None) -> np.ndarray:
    """One transformer block on x (B, T, C); returns the new residual (B, T, C).

    If mlp_acts is a list, the block's SwiGLU activations silu(g) * u (B, T, F) are appended.
    """
    x = x + attention(m, x, layer)[0]  # residual add
    return x + mlp(m, x, layer, mlp_acts)


def residuals(m: SmolLM2, ids, upto: int | None = None, mlp_acts: list | None = None) -> list[np.ndarray]:
    """[x_0 .. x_upto], each (T, C): the embedding and the residual after each block up to `upto`."""
    ids = _check(m, ids)
    L = m.config.n_layers
    upto = L if upto is None else upto
    if not 0 <= upto <= L:
        raise ValueError(f"layer must be from 0 to {L}, got {upto}")
    x = m.model.w.embed_tokens[ids][None].astype(np.float32)  # (1, T, C)
    out = [x[0]]
    for layer in range(upto):
        x = block(m, x, layer, mlp_acts)
        out.append(x[0])
    if mlp_acts is not None:
        mlp_acts[:] = [a[0] for a in mlp_acts]  # (T, F) each
    return out


def batch_layers(m: SmolLM2, texts_ids: list, upto: int):
    """Per block 1..upto: (residuals x_layer (T_i, C), that block's MLP activations (T_i, F)) of
    several sequences at once. They are padded at the end to one length and run as one batch
    (causal attention means the padding never reaches the real tokens before it). A generator:
    the caller keeps the layers it needs, so one pass can serve every layer."""
    L = m.config.n_layers
    if not 1 <= upto <= L:
        raise ValueError(f"layer must be from 1 to {L}, got {upto}")
    seqs = [_check(m, ids) for ids in texts_ids]
    T = max(len(s) for s in seqs)
    padded = np.zeros((len(seqs), T), dtype=np.int64)  # (B, T), token 0 after each sequence's end
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    x = m.model.w.embed_tokens[padded].astype(np.float32)  # (B, T, C)
    for block_index in range(upto):
        acts: list[np.ndarray] = []
        x = block(m, x, block_index, acts)
        yield [x[i, : len(s)] for i, s in enumerate(seqs)], [acts[0][i, : len(s)] for i, s in enumerate(seqs)]


def batch_residuals(m: SmolLM2, texts_ids: list, layer: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Residual x_layer (T_i, C) and the MLP activations of block layer-1 (T_i, F) of several
    sequences at once (batch_layers' last layer)."""
    *_, last = batch_layers(m, texts_ids, layer)
    return last


def run_blocks(m: SmolLM2, x: np.ndarray, start: int) -> np.ndarray:
    """The residual after the last block, from x = x_start (B, T, C): runs blocks start..L-1."""
    L = m.config.n_layers
    if not 0 <= start <= L:
        raise ValueError(f"start must be from 0 to {L}, got {start}")
    x = np.asarray(x, dtype=np.float32)
    for layer in range(start, L):
        x = block(m, x, layer)
    return x  # (B, T, C)


def last_logits(m: SmolLM2, x: np.ndarray) -> np.ndarray:
    """(B, V) logits at the last position of x_L (B, T, C): final RMSNorm, tied unembedding."""
    w, cfg = m.model.w, m.config
    return rms_norm(np.ascontiguousarray(x[:, -1]), w.norm, cfg.norm_eps) @ w.lm_head.T  # (B, V)
