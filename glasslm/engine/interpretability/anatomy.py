"""A transformer's anatomy: its stages with real shapes, its parameters per part, and its relatives.

llama.py says how SmolLM2 computes; this file says what it is made of:
- `stages(config, T)`: every step of the forward pass in order, with the shape
  it produces for T tokens and the parameters it owns, read from the config;
- `parameter_parts(model)`: parameters counted from the loaded tensors, split
  by role (the fused q|k|v and gate|up matrices are split by their columns);
  the sum equals SmolLM2.parameter_counts()["total"];
- `FEATURES`: the design choices (norm, positions, MLP, attention) of the
  models the guide compares, each with its source. The modern set (RMSNorm,
  RoPE, SwiGLU, grouped-query attention) replaced GPT-2's (LayerNorm, learned
  positions, GELU MLP, one key/value head per query head).

Left out: FLOP counts per stage (the pretraining-data chapter has the 6ND estimate).
Shapes: T tokens, C width, H query heads, Hkv key/value heads, D head dim, F MLP width, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from glasslm.engine.models.llama.gguf_weights import LlamaConfig

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2


def stages(config: LlamaConfig, T: int) -> list[dict]:
    """The forward pass step by step: name, what it does, output shape for T tokens, parameters."""
    C, F, V = config.d_model, config.d_ff, config.vocab_size
    H, Hkv, D = config.n_heads, config.n_kv_heads, config.head_dim
    block = [
        (
            "input_layernorm",
            "RMSNorm: divide each token's vector by its root mean square, times a learned gain",
            [T, C],
            C,
        ),
        ("q_proj", f"queries: one {D}-number question per head, rotated by RoPE", [T, H, D], C * H * D),
        ("k_proj", "keys (shared by groups of query heads), rotated by RoPE", [T, Hkv, D], C * Hkv * D),
        ("v_proj", "values (shared like the keys)", [T, Hkv, D], C * Hkv * D),
        ("attention", "softmax(q·k/√d + causal mask) per head", [H, T, T], 0),
        ("head outputs", "weighted sums of values, heads side by side", [T, H * D], 0),
        ("o_proj", "mix the heads back into the residual width", [T, C], H * D * C),
        ("residual add", "x = x + attention output", [T, C], 0),
        ("post_attention_layernorm", "RMSNorm again, before the MLP", [T, C], C),
        ("gate_proj, up_proj", "two projections up to the MLP width", [T, F], 2 * C * F),
        ("SwiGLU", "silu(gate) × up", [T, F], 0),
        ("down_proj", "back down to the residual width", [T, C], F * C),
        ("residual add", "x = x + MLP output", [T, C], 0),
    ]
    return [
        {"name": "token ids", "what": "the tokenizer's output", "shape": [T], "params": 0, "repeat": False},
        {
            "name": "embed_tokens",
            "what": "look up one row per token",
            "shape": [T, C],
            "params": V * C,
            "repeat": False,
        },
        *({"name": n, "what": w, "shape": s, "params": p, "repeat": True} for n, w, s, p in block),
        {"name": "norm", "what": "final RMSNorm", "shape": [T, C], "params": C, "repeat": False},
        {
            "name": "lm_head",
            "what": "unembedding: a score per vocabulary token"
            + (" (the embedding matrix reused: tied)" if config.tied_embeddings else ""),
            "shape": [T, V],
            "params": 0 if config.tied_embeddings else V * C,
            "repeat": False,
        },
        {
            "name": "softmax",
            "what": "scores to next-token probabilities",
            "shape": [T, V],
            "params": 0,
            "repeat": False,
        },
    ]


def parameter_parts(model: SmolLM2) -> list[dict]:
    """Parameters by role, counted from the loaded tensors (SmolLM2: model.model.w)."""
    w, cfg = model.model.w, model.config
    H, Hkv, D, F = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.d_ff

    def over_layers(count) -> int:
        return sum(int(count(lw)) for lw in w.layers)

    rows = lambda lw: lw.qkv_proj.shape[0]  # noqa: E731  (C,) input rows of the fused matrix
    parts = [
        ("embedding", "embed_tokens", int(w.embed_tokens.size)),
        ("attention norms", "input_layernorm", over_layers(lambda lw: lw.input_layernorm.size)),
        ("queries", "q columns of qkv_proj", over_layers(lambda lw: rows(lw) * lw.qkv_proj[:, : H * D].shape[1])),
        (
            "keys",
            "k columns of qkv_proj",
            over_layers(lambda lw: rows(lw) * lw.qkv_proj[:, H * D : (H + Hkv) * D].shape[1]),
        ),
        (
            "values",
            "v columns of qkv_proj",
            over_layers(lambda lw: rows(lw) * lw.qkv_proj[:, (H + Hkv) * D :].shape[1]),
        ),
        ("attention output", "o_proj", over_layers(lambda lw: lw.o_proj.size)),
        ("MLP norms", "post_attention_layernorm", over_layers(lambda lw: lw.post_attention_layernorm.size)),
        ("MLP gate", "gate columns of gate_up_proj", over_layers(lambda lw: lw.gate_up_proj[:, :F].size)),
        ("MLP up", "up columns of gate_up_proj", over_layers(lambda lw: lw.gate_up_proj[:, F:].size)),
        ("MLP down", "down_proj", over_layers(lambda lw: lw.down_proj.size)),
        ("final norm", "norm", int(w.norm.size)),
        (
            "unembedding",
            "tied: the embedding reused, no new weights" if cfg.tied_embeddings else "lm_head",
            0 if cfg.tied_embeddings else int(w.lm_head.size),
        ),
    ]
    return [{"part": p, "tensor": t, "params": n} for p, t, n in parts]


# ---------------------------------------------------------------- design choices
@dataclass(frozen=True)
class Features:
    norm: str
    positions: str
    mlp: str
    attention: str
    source: str


GPT2_STYLE = "Radford et al. 2019 (GPT-2), Section 2.3: GPT-1's design (Radford et al. 2018) with pre-LayerNorm"
FEATURES = {
    "GPT-2 (XL)": Features("LayerNorm", "learned", "GELU", "multi-head", GPT2_STYLE),
    "GPT-3": Features(
        "LayerNorm",
        "learned",
        "GELU",
        "multi-head (dense and locally banded sparse layers)",
        "Brown et al. 2020, Section 2.1: the GPT-2 architecture with alternating sparse attention",
    ),
    "Chinchilla": Features(
        "RMSNorm",
        "relative",
        "GELU",
        "multi-head",
        "Hoffmann et al. 2022, Section 4.1 (Gopher's architecture) and Rae et al. 2021, Section 3: "
        "GPT-2's design with RMSNorm and relative position encodings",
    ),
    "Llama 2 70B": Features(
        "RMSNorm",
        "RoPE",
        "SwiGLU",
        "grouped-query",
        "Touvron et al. 2023, Section 2.2: RMSNorm, SwiGLU, RoPE; GQA for the 34B and 70B models",
    ),
    "Llama 3.1 405B": Features(
        "RMSNorm",
        "RoPE",
        "SwiGLU",
        "grouped-query",
        "Llama Team 2024, Section 3.2: a standard dense Transformer (as Llama 2) with GQA, 8 key/value heads",
    ),
}
TINY_GPT_FEATURES = Features(
    "RMSNorm (no gain)", "learned", "ReLU", "multi-head", "glasslm/engine/models/tiny/gpt.py (this guide's code)"
)


def smollm2_features(config: LlamaConfig) -> Features:
    """SmolLM2's choices as its engine (llama.py) implements them; GQA read from the config."""
    attention = "grouped-query" if config.n_kv_heads < config.n_heads else "multi-head"
    return Features(
        "RMSNorm", "RoPE", "SwiGLU", attention, "glasslm/engine/models/llama/llama.py, run here on the GGUF's weights"
    )
