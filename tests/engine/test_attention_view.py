"""attention_view against a plain float64 recomputation from SmolLM2's weights (reference_llama.py)."""

import numpy as np
import pytest

from glasslm.engine.interpretability.attention_view import check_head, gqa_groups, gqa_memory, head_steps
from tests.engine import reference_llama as ref


@pytest.fixture(scope="module")
def sentence(smollm2):
    ids = smollm2.encode("The cat sat on the mat because it was tired.")
    return ids, ref.residuals(smollm2, ids, layers=4)


@pytest.mark.parametrize("layer,head,query", [(0, 0, 0), (3, 4, 7), (3, 8, 10), (2, 5, 3)])
def test_each_step_equals_the_plain_recomputation(smollm2, sentence, layer, head, query):
    ids, res = sentence
    s = head_steps(smollm2, res[layer].astype(np.float32), layer, head, query)
    q, k, v = ref.head_vectors(smollm2, res[layer], layer, head)
    np.testing.assert_allclose(s.q, q[query], atol=2e-4, rtol=1e-4)
    np.testing.assert_allclose(s.k, k, atol=2e-4, rtol=1e-4)
    np.testing.assert_allclose(s.v, v, atol=2e-4, rtol=1e-4)
    dots = np.array([q[query] @ k[j] for j in range(len(ids))])
    np.testing.assert_allclose(s.dots, dots, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(s.scores, dots / 8.0, rtol=1e-3, atol=1e-3)  # sqrt(64) = 8
    assert s.visible.tolist() == [j <= query for j in range(len(ids))]
    assert np.all(np.isneginf(s.masked[query + 1 :])) and np.all(np.isfinite(s.masked[: query + 1]))
    seen = np.exp(dots[: query + 1] / 8 - (dots[: query + 1] / 8).max())
    np.testing.assert_allclose(s.weights[: query + 1], seen / seen.sum(), atol=1e-5)
    assert s.weights[query + 1 :].sum() == 0 and s.weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(s.output, (seen / seen.sum()) @ v[: query + 1], atol=1e-3, rtol=1e-3)
    assert s.kv_head == head // 3


def test_weights_equal_the_forward_pass_and_the_reference(smollm2, sentence):
    ids, res = sentence
    trace = smollm2.trace(ids)
    _, maps = ref.block(smollm2, res[3], 3)  # (H, T, T)
    np.testing.assert_allclose(trace.attentions[3], maps, atol=1e-4)
    s = head_steps(smollm2, trace.residuals[3], 3, 6, len(ids) - 1)
    np.testing.assert_allclose(s.weights, trace.attentions[3][6, -1], atol=1e-5)


def test_query_heads_of_a_group_share_keys(smollm2, sentence):
    ids, res = sentence
    s0, s1, s3 = (head_steps(smollm2, res[2].astype(np.float32), 2, h, 5) for h in (0, 1, 3))
    assert np.array_equal(s0.k, s1.k) and np.array_equal(s0.v, s1.v)  # heads 0 and 1 read kv head 0
    assert not np.allclose(s0.q, s1.q)  # but ask different questions
    assert not np.allclose(s0.k, s3.k)  # head 3 reads kv head 1


def test_bad_heads_and_queries_are_refused(smollm2, sentence):
    _, res = sentence
    with pytest.raises(ValueError, match="layer must be"):
        head_steps(smollm2, res[0], 30, 0, 0)
    with pytest.raises(ValueError, match="head must be"):
        head_steps(smollm2, res[0], 0, 9, 0)
    with pytest.raises(ValueError, match="query must be"):
        head_steps(smollm2, res[0], 0, 0, len(res[0]))
    with pytest.raises(ValueError, match="layer must be"):
        check_head(smollm2.config, True, 0)


def test_gqa_layout_and_memory_from_the_config(smollm2):
    cfg = smollm2.config
    assert gqa_groups(cfg) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    mem = gqa_memory(cfg, context=100)
    # the formula against a real cache of that size
    assert mem["context_bytes"] == smollm2.model.new_cache(100).nbytes
    assert mem["per_token_bytes"] == 2 * 30 * 3 * 64 * 4 == 46_080
    assert mem["context_bytes_mha"] == 3 * mem["context_bytes"] and mem["saving"] == pytest.approx(2 / 3)
    # k and v projection weights counted from the fused tensor's columns
    H, D = cfg.n_heads, cfg.head_dim
    kv_cols = sum(lw.qkv_proj[:, H * D :].size for lw in smollm2.model.w.layers)
    assert mem["kv_params"] == kv_cols


@pytest.mark.slow
def test_attention_maps_and_residuals_equal_transformers(smollm2, hf_smollm2):
    """A second oracle: Hugging Face transformers (its own GGUF reader, dequantizer and Llama
    code, eager attention) gives the same attention weights and hidden states."""
    import torch

    hf = hf_smollm2
    ids = smollm2.encode("The fisherman sat on the river bank")
    with torch.no_grad():
        out = hf(torch.tensor([ids]), output_attentions=True, output_hidden_states=True)
    trace = smollm2.trace(ids)
    for layer in (0, 7, 16, 29):
        np.testing.assert_allclose(trace.attentions[layer], out.attentions[layer][0].numpy(), atol=2e-4)
    for layer in (0, 1, 15):  # hidden_states[l] = the residual entering layer l (the last one is normed by HF)
        np.testing.assert_allclose(trace.residuals[layer], out.hidden_states[layer][0].numpy(), atol=2e-3, rtol=1e-3)


def test_strongest_link_skips_the_sink_and_the_token_itself():
    from glasslm.engine.interpretability.attention_view import strongest_head, strongest_link

    rows = np.random.default_rng(0).dirichlet(np.ones(6), size=(3, 4))  # (L=3, H=4, t+1=6)
    rows[:, :, 0] += 5.0  # a sink far above everything
    rows[:, :, -1] += 5.0  # and the token attending to itself
    best = max(((rows[l, h, j], l, h, j) for l in range(3) for h in range(4) for j in range(1, 5)))
    assert strongest_link(rows) == best[1:]
    assert rows[best[1:]] == best[0]  # the input is not changed
    grid = rows[:, :, 2]  # (L, H) what it pays token 2
    assert strongest_head(grid) == max(((grid[l, h], l, h) for l in range(3) for h in range(4)))[1:]
