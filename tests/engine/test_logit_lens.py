"""logit_lens.py and anatomy.py against independent truths: the model's own logits, a plain
float64 recomputation (reference_llama.py), the GGUF file's tensor sizes and a real trace's arrays."""

import numpy as np
import pytest

from glasslm.engine.interpretability import anatomy
from glasslm.engine.interpretability.logit_lens import MAX_LENS_ROWS, logit_lens, residual_norms
from tests.engine import reference_llama as ref

TEXT = "The capital of France is"


@pytest.fixture(scope="module")
def traced(smollm2):
    ids = smollm2.encode(TEXT)
    return ids, smollm2.trace(ids, attention=True, mlp=True, residual=True, head=(0, 0))


def test_last_layer_lens_is_the_models_real_prediction(smollm2, traced):
    ids, tr = traced
    lens = logit_lens(smollm2, tr.residuals, k=5)
    z = smollm2.logits(ids).astype(np.float64)  # (T, V) computed by a separate forward pass
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    top = np.argsort(-z, axis=1)[:, :5]
    assert lens.top_ids[-1].tolist() == top.tolist()
    np.testing.assert_allclose(lens.top_probs[-1], np.take_along_axis(p, top, 1), atol=1e-4)
    np.testing.assert_allclose(lens.entropy[-1], -(p * np.log(p + 1e-300)).sum(1), atol=1e-3)
    assert smollm2.decode([lens.top_ids[-1, -1, 0]]) == " Paris"


def test_trace_last_is_the_last_column_of_a_whole_trace(smollm2, traced):
    """The prefix-cached pass of the last token records what the whole text's trace records at its position."""
    ids, tr = traced
    smollm2.next_logits(ids[:2])  # a shorter prefix already in the prefix cache: only the rest is run
    for text_ids in (ids, ids[:1]):
        last = smollm2.trace_last(text_ids)
        whole = tr if text_ids == ids else smollm2.trace(text_ids, attention=False)
        assert len(last.residuals) == len(whole.residuals) == smollm2.config.n_layers + 1
        for a, b in zip(last.residuals, whole.residuals):
            np.testing.assert_allclose(a[0], b[len(text_ids) - 1], rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(last.logits[-1], whole.logits[-1], rtol=1e-3, atol=1e-3)
    again = smollm2.trace_last(ids)  # the prefix cache's copy was not changed by the traced token
    np.testing.assert_allclose(again.logits[-1], tr.logits[-1], rtol=1e-3, atol=1e-3)


@pytest.mark.slow
def test_middle_layers_against_the_plain_recomputation(smollm2, traced):
    ids, tr = traced
    xs = ref.residuals(smollm2, ids, layers=4)
    np.testing.assert_allclose(residual_norms(tr.residuals)[:5], [np.linalg.norm(x, axis=1) for x in xs], rtol=1e-4)
    lens = logit_lens(smollm2, tr.residuals, k=3)
    for layer in (0, 2, 4):
        z = ref.lens_logits(smollm2, xs[layer])  # (T, V)
        assert lens.top_ids[layer, :, 0].tolist() == z.argmax(1).tolist()
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        np.testing.assert_allclose(lens.top_probs[layer, :, 0], p.max(1), atol=1e-3)
    assert lens.top_ids.shape == (31, len(ids), 3) and np.all(np.diff(lens.top_probs, axis=-1) <= 0)


def test_lens_limits(smollm2, traced):
    _, tr = traced
    with pytest.raises(ValueError, match="k must be"):
        logit_lens(smollm2, tr.residuals, k=0)
    too_many = [np.zeros((MAX_LENS_ROWS // 31 + 1, 576), np.float32)] * 31
    with pytest.raises(ValueError, match="at most"):
        logit_lens(smollm2, too_many)


@pytest.mark.slow
def test_parameter_parts_equal_the_gguf_tensors(smollm2):
    import gguf

    from glasslm.assets import smollm2_gguf_path

    sizes: dict[str, int] = {}
    for t in gguf.GGUFReader(smollm2_gguf_path()).tensors:
        kind = t.name.split(".")[-2] if t.name.startswith("blk.") else t.name.split(".")[0]
        sizes[kind] = sizes.get(kind, 0) + int(t.n_elements)
    parts = {p["part"]: p["params"] for p in anatomy.parameter_parts(smollm2)}
    assert parts["embedding"] == sizes["token_embd"]
    assert (
        parts["queries"] == sizes["attn_q"] and parts["keys"] == sizes["attn_k"] and parts["values"] == sizes["attn_v"]
    )
    assert parts["attention output"] == sizes["attn_output"]
    assert (
        parts["MLP gate"] == sizes["ffn_gate"]
        and parts["MLP up"] == sizes["ffn_up"]
        and parts["MLP down"] == sizes["ffn_down"]
    )
    assert parts["attention norms"] == sizes["attn_norm"] and parts["MLP norms"] == sizes["ffn_norm"]
    assert parts["final norm"] == sizes["output_norm"] and parts["unembedding"] == 0 and "output" not in sizes
    assert sum(parts.values()) == sum(sizes.values()) == smollm2.parameter_counts()["total"]


def test_stage_shapes_are_the_arrays_of_a_real_forward_pass(smollm2, traced):
    ids, tr = traced
    T = len(ids)
    st = {}
    for s in anatomy.stages(smollm2.config, T):
        st.setdefault(s["name"], tuple(s["shape"]))
    assert st["token ids"] == (T,)
    assert st["embed_tokens"] == tr.residuals[0].shape and st["residual add"] == tr.residuals[1].shape
    assert st["attention"] == tr.attentions[0].shape
    assert st["q_proj"][::2] == (T, tr.q.shape[1]) and st["k_proj"][::2] == tr.k.shape
    assert st["SwiGLU"] == tr.mlp_acts[0].shape
    assert st["lm_head"] == tr.logits.shape == st["softmax"]
    per_block = sum(s["params"] for s in anatomy.stages(smollm2.config, T) if s["repeat"])
    outside = sum(s["params"] for s in anatomy.stages(smollm2.config, T) if not s["repeat"])
    assert smollm2.config.n_layers * per_block + outside == smollm2.parameter_counts()["total"]


def test_features_name_the_modern_upgrades(smollm2):
    f = anatomy.smollm2_features(smollm2.config)
    assert (f.norm, f.positions, f.mlp, f.attention) == ("RMSNorm", "RoPE", "SwiGLU", "grouped-query")
    assert anatomy.FEATURES["GPT-2 (XL)"].norm == "LayerNorm" and all(x.source for x in anatomy.FEATURES.values())
