"""The tiny GPT's architecture switches: every op's backward, whole models against torch,
a grouped-query step by hand, SwiGLU's parameter count, and old checkpoints.

Independent truths: central finite differences (ops, and the whole model for
each switch), and torch's own layer_norm, gelu, silu, scaled_dot_product_attention
with repeated key-value heads, and RoPE written as an explicit rotation.
"""

import json

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.models.tiny.gpt import MAX_LAB_LAYERS, GPTConfig, TinyGPT, layer_names, param_shapes
from glasslm.engine.models.tiny.rotary import ROPE_THETA, rotate_qk
from glasslm.engine.tokenizers.chars import CharTokenizer
from tests.engine.test_tensor import check_op

TOK = CharTokenizer("abcdefghijklmnopqrstuvwxyz")
SWITCHES = [
    {"residual": False},
    {"norm": "layernorm"},
    {"norm": "none"},
    {"norm_position": "post"},
    {"norm": "layernorm", "norm_position": "post", "residual": False},
    {"positions": "sinusoidal"},
    {"positions": "rope"},
    {"positions": "none"},
    {"n_kv_head": 2},
    {"n_kv_head": 1},
    {"mlp": "gelu"},
    {"mlp": "swiglu"},
    {"positions": "rope", "n_kv_head": 2, "mlp": "swiglu"},  # the SmolLM2-like end of the tour
]


def batch(names, T=12):
    X = np.full((len(names), T), TOK.bos)
    Y = np.full((len(names), T), -1)
    for i, n in enumerate(names):
        ids = TOK.encode_doc(n)[: T + 1]
        X[i, : len(ids) - 1] = ids[:-1]
        Y[i, : len(ids) - 1] = ids[1:]
    return X, Y


# ------------------------------------------------------------------ ops


def test_layernorm_gelu_swiglu_backward():
    rng = np.random.default_rng(1)
    check_op(tt.layernorm, rng.normal(size=(5, 8)) * 3 + 1)
    check_op(tt.gelu, rng.normal(size=(4, 6)) * 2)
    check_op(tt.swiglu, rng.normal(size=(4, 10)) * 2)


def test_layernorm_rows_have_zero_mean_and_unit_variance():
    y = tt.layernorm(tt.Tensor(np.random.default_rng(2).normal(size=(3, 16)) * 5 + 4), eps=0.0).data
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("H,K", [(4, 4), (4, 2), (4, 1)])
def test_grouped_query_attention_backward(H, K):
    B, T, D = 2, 4, 2
    qkv = np.random.default_rng(3).normal(size=(B * T, (H + 2 * K) * D))
    check_op(lambda t: tt.causal_attention(t, B, T, H, K), qkv)


@pytest.mark.parametrize("H,K", [(2, 2), (2, 1)])
def test_rotary_backward(H, K):
    B, T, D = 2, 5, 4
    qkv = np.random.default_rng(4).normal(size=(B * T, (H + 2 * K) * D))
    check_op(lambda t: rotate_qk(t, B, T, H, K), qkv)


def test_a_grouped_query_step_by_hand():
    """Two query heads sharing one key-value head (multi-query), two positions, 1-d heads."""
    q = [[1.0, 2.0], [3.0, -1.0]]  # per position: query of head 0, head 1
    k = [0.5, -1.0]  # the one key per position
    v = [10.0, 20.0]  # the one value per position
    qkv = np.array([[*q[t], k[t], v[t]] for t in range(2)])  # (T, (H + 2K) D) = (2, 4)
    out = tt.causal_attention(tt.Tensor(qkv), 1, 2, n_head=2, n_kv_head=1).data  # (2, 2)
    # position 0 sees only itself: both heads return v0
    np.testing.assert_allclose(out[0], [10.0, 10.0])
    # position 1, head 0: scores q=3 times keys 0.5 and -1 -> 1.5, -3; head 1: q=-1 -> -0.5, 1
    w0 = np.exp(1.5) / (np.exp(1.5) + np.exp(-3.0))
    w1 = np.exp(-0.5) / (np.exp(-0.5) + np.exp(1.0))
    np.testing.assert_allclose(out[1], [w0 * 10 + (1 - w0) * 20, w1 * 10 + (1 - w1) * 20], rtol=1e-12)


def test_rope_scores_depend_only_on_distance():
    """Rotated query . rotated key is the same for (m, n) and (m + s, n + s)."""
    rng = np.random.default_rng(5)
    qv, kv = rng.normal(size=4), rng.normal(size=4)
    T = 8
    rows = np.zeros((T, 12))  # H = K = 1, D = 4: [q | k | v]
    rows[:, :4], rows[:, 4:8] = qv, kv
    r = rotate_qk(tt.Tensor(rows), 1, T, 1, 1).data
    score = r[:, :4] @ r[:, 4:8].T  # (T, T) query position x key position
    assert score[5, 2] == pytest.approx(score[6, 3], rel=1e-12)
    assert score[5, 2] != pytest.approx(score[5, 3], rel=1e-3)


# ------------------------------------------------------------------ whole models


@pytest.mark.parametrize("switch", SWITCHES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_every_switch_gradient_matches_finite_differences(switch):
    m = TinyGPT(GPTConfig(n_layer=2, **switch), seed=2)
    X, Y = batch(["sebastian", "ava"])
    m.loss_and_grad(X, Y)
    g = m.params.flat_grad.copy()
    for i in np.random.default_rng(0).choice(m.n_params, 40, replace=False):
        old = m.params.flat[i]
        m.params.flat[i] = old + 1e-6
        up = m.loss(X, Y)
        m.params.flat[i] = old - 1e-6
        down = m.loss(X, Y)
        m.params.flat[i] = old
        assert g[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)


def torch_reference(torch, cfg: GPTConfig, w: dict, X: np.ndarray):
    """The same model written independently in torch, switch by switch."""
    F = torch.nn.functional
    B, T = X.shape
    C, H, K, D = cfg.n_embd, cfg.n_head, cfg.kv_heads, cfg.head_dim
    idx = torch.tensor(X)

    def norm(x):
        if cfg.norm == "rmsnorm":
            return F.rms_norm(x, (C,), eps=1e-5)
        if cfg.norm == "layernorm":
            return F.layer_norm(x, (C,), eps=1e-5)
        return x

    def rope(x):  # (B, heads, T, D): rotate adjacent pairs by p * theta^(-2i/D)
        p = torch.arange(T, dtype=torch.float64)[:, None]
        ang = p * ROPE_THETA ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)  # (T, D/2)
        c, s = torch.cos(ang), torch.sin(ang)
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1).flatten(-2)

    x = w["wte"][idx]
    if cfg.positions == "learned":
        x = x + w["wpe"][:T]
    elif cfg.positions == "sinusoidal":
        p = torch.arange(T, dtype=torch.float64)[:, None]
        f = 10000.0 ** (-torch.arange(0, C, 2, dtype=torch.float64) / C)
        pe = torch.stack([torch.sin(p * f), torch.cos(p * f)], dim=-1).flatten(-2)  # sin, cos interleaved
        x = x + pe.float().double() * cfg.init_std  # the table is stored in float32
    x = norm(x)

    def sub(x, block):
        if cfg.norm_position == "pre":
            out = block(norm(x))
            return x + out if cfg.residual else out
        return norm(x + block(x) if cfg.residual else block(x))

    for i in range(cfg.n_layer):

        def attn(h, i=i):
            q = F.linear(h, w[f"layer{i}.attn_wq"]).view(B, T, H, D).transpose(1, 2)
            k = F.linear(h, w[f"layer{i}.attn_wk"]).view(B, T, K, D).transpose(1, 2)
            v = F.linear(h, w[f"layer{i}.attn_wv"]).view(B, T, K, D).transpose(1, 2)
            if cfg.positions == "rope":
                q, k = rope(q), rope(k)
            k, v = k.repeat_interleave(H // K, dim=1), v.repeat_interleave(H // K, dim=1)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return F.linear(a.transpose(1, 2).reshape(B, T, C), w[f"layer{i}.attn_wo"])

        def mlp(h, i=i):
            up = F.linear(h, w[f"layer{i}.mlp_fc1"])
            if cfg.mlp == "swiglu":
                act = F.silu(F.linear(h, w[f"layer{i}.mlp_gate"])) * up
            else:
                act = F.gelu(up, approximate="tanh") if cfg.mlp == "gelu" else F.relu(up)
            return F.linear(act, w[f"layer{i}.mlp_fc2"])

        x = sub(sub(x, attn), mlp)
    return F.linear(x, w["lm_head"])


@pytest.mark.parametrize("switch", SWITCHES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_every_switch_matches_torch(switch):
    torch = pytest.importorskip("torch")
    cfg = GPTConfig(n_layer=2, **switch)
    m = TinyGPT(cfg, seed=8)
    X, Y = batch(["olivia", "li", "maximilian"])
    loss = m.loss_and_grad(X, Y)
    w = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in m.state_dict().items()}
    logits = torch_reference(torch, cfg, w, X)
    ref = torch.nn.functional.cross_entropy(logits.view(-1, cfg.vocab_size), torch.tensor(Y).view(-1), ignore_index=-1)
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-10)
    for name, t in w.items():
        np.testing.assert_allclose(m.params[name].grad, t.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)


# ------------------------------------------------------------------ sizes and limits


@pytest.mark.parametrize("C", [16, 24, 48])
def test_swiglu_matches_the_relu_mlp_parameter_count(C):
    relu, swiglu = GPTConfig(n_embd=C, n_layer=3), GPTConfig(n_embd=C, n_layer=3, mlp="swiglu")
    mlp = {cfg.mlp: sum(np.prod(s) for n, s in param_shapes(cfg).items() if ".mlp_" in n) for cfg in (relu, swiglu)}
    # three (F', C) matrices with F' = 2F/3 rounded: at most half a hidden unit (1.5 C weights) off per layer
    assert abs(mlp["swiglu"] - mlp["relu"]) <= 3 * 1.5 * C
    if (4 * C) % 3 == 0:
        assert mlp["swiglu"] == mlp["relu"]


def test_grouped_query_shrinks_only_keys_and_values():
    full, gqa = (param_shapes(GPTConfig(n_kv_head=k)) for k in (None, 2))
    assert gqa["layer0.attn_wk"] == gqa["layer0.attn_wv"] == (8, 16)
    assert gqa["layer0.attn_wq"] == full["layer0.attn_wq"] == (16, 16)


def test_positions_other_than_learned_have_no_position_table():
    for kind in ("sinusoidal", "rope", "none"):
        assert "wpe" not in param_shapes(GPTConfig(positions=kind))


@pytest.mark.parametrize(
    "bad,msg",
    [
        ({"n_kv_head": 3}, "divisible by n_kv_head"),
        ({"n_kv_head": 5}, "n_kv_head"),
        ({"n_kv_head": 0}, "n_kv_head"),
        ({"norm": "batchnorm"}, "norm must be one of"),
        ({"positions": "alibi"}, "positions must be one of"),
        ({"mlp": "tanh"}, "mlp must be one of"),
        ({"norm_position": "middle"}, "norm_position"),
        ({"residual": "yes"}, "residual"),
        ({"positions": "rope", "n_embd": 12, "n_head": 4}, "must be even"),
        ({"n_layer": 9}, "n_layer"),
    ],
)
def test_bad_switches_are_refused_with_a_reason(bad, msg):
    with pytest.raises(ValueError, match=msg):
        TinyGPT(GPTConfig(**bad))


def test_the_lab_limit_allows_deeper_models_than_the_guide():
    assert TinyGPT(GPTConfig(n_layer=MAX_LAB_LAYERS), limits={"max_layers": MAX_LAB_LAYERS}).config.n_layer == 16
    with pytest.raises(ValueError, match="n_layer"):
        GPTConfig(n_layer=MAX_LAB_LAYERS + 1).validate(max_layers=MAX_LAB_LAYERS)


def test_layer_grad_norms_are_each_blocks_gradient_size():
    m = TinyGPT(GPTConfig(n_layer=3, mlp="swiglu"), seed=1)
    m.loss_and_grad(*batch(["emma"]))
    norms = m.layer_grad_norms()
    for i in range(3):
        want = np.sqrt(sum((m.params[n].grad ** 2).sum() for n in layer_names(m.config, i)))
        assert norms[i] == pytest.approx(want, rel=1e-12)


def test_a_checkpoint_saved_before_the_switches_loads_unchanged(tmp_path):
    from safetensors.numpy import save_file

    m = TinyGPT(GPTConfig(n_layer=2), seed=3, tokenizer=TOK)
    old = {
        k: v
        for k, v in json.loads(json.dumps(m.config.__dict__)).items()
        if k not in ("residual", "norm", "norm_position", "positions", "n_kv_head", "mlp")
    }
    path = tmp_path / "old.safetensors"
    save_file(
        dict(m.state_dict()), str(path), metadata={"glasslm": "tiny-gpt", "config": json.dumps(old), "chars": TOK.chars}
    )
    loaded = TinyGPT.from_checkpoint(path)
    assert loaded.config == m.config
    X, Y = batch(["noah"])
    assert loaded.loss(X, Y) == m.loss(X, Y)


def test_a_switched_model_round_trips_through_a_checkpoint(tmp_path):
    m = TinyGPT(GPTConfig(positions="rope", n_kv_head=1, mlp="swiglu", norm="layernorm"), seed=4, tokenizer=TOK)
    loaded = TinyGPT.from_checkpoint(m.save(tmp_path / "m.safetensors"))
    assert loaded.config == m.config
    X, Y = batch(["zoe"])
    assert loaded.loss(X, Y) == m.loss(X, Y)


def test_the_pytorch_twin_and_lora_refuse_switched_models(tmp_path):
    from glasslm.engine.models.tiny.gpt import CheckpointError
    from glasslm.engine.training.lora import LoRAGPT

    switched = TinyGPT(GPTConfig(mlp="gelu"), tokenizer=TOK)
    assert GPTConfig().microgpt_layout and GPTConfig(n_kv_head=4).microgpt_layout
    assert not switched.config.microgpt_layout
    with pytest.raises(ValueError, match="microgpt's layout"):
        LoRAGPT(switched)
    torch_model = pytest.importorskip("glasslm.torch_gpt.model")
    with pytest.raises(ValueError, match="microgpt's layout"):
        torch_model.TorchGPT(switched.config)
    with pytest.raises(CheckpointError, match="architecture switches"):
        torch_model.load_checkpoint(switched.save(tmp_path / "s.safetensors"))
