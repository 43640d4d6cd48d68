"""The encoder-decoder: cross-attention's gradients against torch, the whole model's against finite
differences, the masks each attention uses, and a short run that learns to rewrite dates."""

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.models.tiny.seq2seq import (
    SRC_LEN,
    Seq2Seq,
    Seq2SeqConfig,
    batch,
    encode_source,
    random_dates,
    train_seq2seq,
)

torch = pytest.importorskip("torch")


def test_cross_attention_matches_torch():
    rng = np.random.default_rng(0)
    B, Tq, Tk, H, C = 2, 3, 5, 2, 8
    q, kv = rng.normal(size=(B * Tq, C)), rng.normal(size=(B * Tk, 2 * C))
    g = rng.normal(size=(B * Tq, C))
    qt, kvt = tt.Tensor(q.copy()), tt.Tensor(kv.copy())
    out = tt.cross_attention(qt, kvt, B, Tq, Tk, H)
    out._backward(g)  # the op's own backward, given an upstream gradient
    Q = torch.tensor(q, requires_grad=True)
    KV = torch.tensor(kv, requires_grad=True)
    qh = Q.view(B, Tq, H, C // H).transpose(1, 2)
    k, v = KV.view(B, Tk, 2, H, C // H).unbind(2)
    ref = torch.nn.functional.scaled_dot_product_attention(qh, k.transpose(1, 2), v.transpose(1, 2))
    ref = ref.transpose(1, 2).reshape(B * Tq, C)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(qt.grad, Q.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(kvt.grad, KV.grad.numpy(), atol=1e-10)
    assert out.aux.shape == (B, H, Tq, Tk) and np.allclose(out.aux.sum(-1), 1)


def test_model_gradient_matches_finite_differences():
    m = Seq2Seq(Seq2SeqConfig(n_embd=8, n_head=2, mlp_ratio=1))
    src, tgt_in, tgt = batch(random_dates(3, np.random.default_rng(1)), m.bos)
    m.params.zero_grad()
    m.forward(src, tgt_in, tgt)[1].backward()
    grad = m.params.flat_grad.copy()
    rng = np.random.default_rng(2)
    for i in rng.choice(m.params.size, 25, replace=False):
        old = m.params.flat[i]
        m.params.flat[i] = old + 1e-6
        up = float(m.forward(src, tgt_in, tgt)[1].data)
        m.params.flat[i] = old - 1e-6
        down = float(m.forward(src, tgt_in, tgt)[1].data)
        m.params.flat[i] = old
        assert (up - down) / 2e-6 == pytest.approx(grad[i], abs=1e-7)


def test_the_encoder_sees_everything_and_the_decoder_only_the_past():
    m = Seq2Seq()
    src, tgt_in, _ = batch(random_dates(1, np.random.default_rng(3)), m.bos)
    trace = {}
    m.forward(src, tgt_in, trace=trace)
    assert np.all(trace["encoder_self"] > 0)  # bidirectional: no zero weight anywhere
    dec = trace["decoder_self"][0, 0]
    assert np.all(np.triu(dec, 1) == 0) and np.all(dec[np.tril_indices(len(dec))] > 0)  # causal
    assert trace["cross"].shape[-1] == SRC_LEN


def test_bad_dates_are_refused():
    with pytest.raises(ValueError, match="month name"):
        encode_source("14/03/2023")
    with pytest.raises(ValueError, match="at most 18"):
        encode_source("September 30, 20999")


@pytest.mark.slow
def test_the_default_run_learns_to_rewrite_dates():
    events = list(train_seq2seq())
    assert [e for e in events if e["type"] == "eval"][-1]["exact_match"] >= 0.9
    att = [e for e in events if e["type"] == "attention"][-1]
    assert att["output"] == "2023-03-14"
    cross = np.array(att["cross"])  # (10, 18) averaged over heads
    # the year's first digit reads the year (source positions 10-13 of "March 14, 2023")
    assert cross[0, 10:14].sum() > 0.5
