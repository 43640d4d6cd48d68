"""The vectorized autograd: every op's backward against central finite differences.

Independent truth: (f(x + h) - f(x - h)) / 2h for each input entry, in float64,
agreeing with the hand-written backward to 1e-6 relative. The whole model is
also checked against torch in test_gpt.py.
"""

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as tt

H_STEP = 1e-6


def weighted_sum(out: tt.Tensor, r: np.ndarray) -> tt.Tensor:
    """sum(out * r): a scalar whose gradient w.r.t. out is r (a random upstream gradient)."""
    return tt.Tensor(np.array((out.data * r).sum()), (out,), lambda g: out.add_grad(g * r))


def check_op(fn, *arrays, seed=0):
    """Compare fn's backward with finite differences for every entry of every input."""
    rng = np.random.default_rng(seed)
    inputs = [tt.Tensor(a.copy()) for a in arrays]
    out = fn(*inputs)
    r = rng.normal(size=out.data.shape)
    weighted_sum(out, r).backward()

    def f():
        return float((fn(*[tt.Tensor(t.data) for t in inputs]).data * r).sum())

    for t in inputs:
        num = np.zeros_like(t.data)
        for i in np.ndindex(t.data.shape):
            old = t.data[i]
            t.data[i] = old + H_STEP
            up = f()
            t.data[i] = old - H_STEP
            down = f()
            t.data[i] = old
            num[i] = (up - down) / (2 * H_STEP)
        assert t.grad is not None
        np.testing.assert_allclose(t.grad, num, rtol=1e-6, atol=1e-8)


def test_linear():
    rng = np.random.default_rng(1)
    check_op(tt.linear, rng.normal(size=(5, 4)), rng.normal(size=(3, 4)))


def test_rmsnorm():
    rng = np.random.default_rng(2)
    check_op(tt.rmsnorm, rng.normal(size=(6, 8)))


def test_rmsnorm_rows_have_unit_rms():
    x = tt.Tensor(np.random.default_rng(3).normal(size=(4, 16)) * 7)
    y = tt.rmsnorm(x, eps=0.0).data
    np.testing.assert_allclose(np.sqrt((y**2).mean(axis=1)), 1.0, rtol=1e-12)


def test_relu_and_add():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where the derivative is undefined
    check_op(tt.relu, x)
    check_op(tt.add, rng.normal(size=(3, 2)), rng.normal(size=(3, 2)))


def test_embed():
    rng = np.random.default_rng(5)
    idx = np.array([[1, 2, 1], [0, 1, 3]])  # repeated tokens: their gradients must add up
    check_op(lambda wte, wpe: tt.embed(wte, wpe, idx), rng.normal(size=(4, 3)), rng.normal(size=(5, 3)))


@pytest.mark.parametrize("B,T,H", [(1, 1, 1), (2, 5, 2), (3, 4, 4)])
def test_causal_attention(B, T, H):
    C = 8
    qkv = np.random.default_rng(6).normal(size=(B * T, 3 * C))
    check_op(lambda t: tt.causal_attention(t, B, T, H), qkv)


def test_attention_is_causal_and_rows_sum_to_one():
    B, T, H, C = 2, 6, 2, 8
    qkv = np.random.default_rng(7).normal(size=(B * T, 3 * C))
    out = tt.causal_attention(tt.Tensor(qkv), B, T, H)
    att = out.aux  # (B, H, T, T)
    np.testing.assert_allclose(att.sum(-1), 1.0, rtol=1e-12)
    assert np.all(att[..., np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] == 0)
    # a hand-computed head: position 1 of batch 0, head 0
    D = C // H
    q = qkv.reshape(B, T, 3, H, D)[0, 1, 0, 0]
    k = qkv.reshape(B, T, 3, H, D)[0, :2, 1, 0]
    s = k @ q / np.sqrt(D)
    np.testing.assert_allclose(att[0, 0, 1, :2], np.exp(s) / np.exp(s).sum(), rtol=1e-12)


def test_cross_entropy_with_padding():
    rng = np.random.default_rng(8)
    targets = np.array([2, -1, 0, 4, -1])
    check_op(lambda z: tt.cross_entropy(z, targets), rng.normal(size=(5, 5)))
    z = rng.normal(size=(5, 5))
    loss = float(tt.cross_entropy(tt.Tensor(z), targets).data)
    keep = targets >= 0
    by_hand = np.mean([np.log(np.exp(z[i]).sum()) - z[i, targets[i]] for i in np.nonzero(keep)[0]])
    assert loss == pytest.approx(by_hand, rel=1e-12)


def test_cross_entropy_all_padding_is_an_error():
    with pytest.raises(ValueError, match="at least one target"):
        tt.cross_entropy(tt.Tensor(np.zeros((2, 3))), np.array([-1, -1]))


def test_softmax_survives_scores_hundreds_apart():
    # One row's scores are ~1000 below another's: a single global shift would
    # underflow that row to all zeros; the fallback must give the exact answer.
    z = np.array([[1000.0, 999.0, 998.0], [1.0, 2.0, 3.0]])
    loss = tt.cross_entropy(tt.Tensor(z), np.array([0, 2]))
    expect = np.mean([np.log(1 + np.exp(-1) + np.exp(-2)), np.log(np.exp(-2) + np.exp(-1) + 1)])
    assert float(loss.data) == pytest.approx(expect, rel=1e-12)
    huge = np.zeros((1, 2 * 3 * 2))
    huge[0, :2] = 800.0  # q and k: enormous scores
    att = tt.causal_attention(tt.Tensor(np.vstack([huge, huge])), 1, 2, 1).aux
    assert np.all(np.isfinite(att)) and np.allclose(att.sum(-1), 1.0)


def test_parameters_are_views_into_one_buffer():
    p = tt.Parameters({"a": (2, 3), "b": (4, 3), "c": (5,)})
    assert p.size == 6 + 12 + 5
    p["b"].data[1, 2] = 7.0
    assert p.flat[6 + 1 * 3 + 2] == 7.0
    ab = p.joined("a", "b")
    assert ab.data.shape == (6, 3) and np.shares_memory(ab.data, p.flat)
    ab.add_grad(np.ones((6, 3)))
    assert p.flat_grad[:18].sum() == 18 and p.flat_grad[18:].sum() == 0
    p.zero_grad()
    assert not p.flat_grad.any()


def test_gradients_accumulate_when_a_tensor_is_used_twice():
    x = tt.Tensor(np.array([[1.0, -2.0]]))
    y = tt.add(x, x)  # dy/dx = 2
    weighted_sum(y, np.array([[1.0, 1.0]])).backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0]])


def test_ops_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    B, T, H, C, V = 2, 5, 2, 8, 7
    x = rng.normal(size=(B * T, C))
    w = rng.normal(size=(3 * C, C))
    targets = rng.integers(0, V, B * T)
    targets[3] = -1
    head = rng.normal(size=(V, C))
    r = rng.normal(size=(B * T, V))  # a random upstream gradient for the logits

    # ours: logits = linear(attention(linear(rmsnorm(x), w)), head[:, :C]) and a cross-entropy
    tx, tw, th = tt.Tensor(x.copy()), tt.Tensor(w.copy()), tt.Tensor(head.copy())
    a = tt.causal_attention(tt.linear(tt.rmsnorm(tx), tw), B, T, H)
    logits = tt.linear(a, th)
    loss = tt.cross_entropy(logits, targets)
    total = tt.add(weighted_sum(logits, r), loss)  # exercise both paths from the logits
    total.backward()

    px, pw, ph = (torch.tensor(v, requires_grad=True) for v in (x, w, head))
    q, k, v = F.linear(F.rms_norm(px, (C,), eps=1e-5), pw).view(B, T, 3, H, C // H).permute(2, 0, 3, 1, 4)
    att = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B * T, C)
    plogits = F.linear(att, ph)
    ploss = F.cross_entropy(plogits, torch.tensor(targets), ignore_index=-1)
    ((plogits * torch.tensor(r)).sum() + ploss).backward()

    assert float(loss.data) == pytest.approx(ploss.item(), rel=1e-12)
    np.testing.assert_allclose(logits.data, plogits.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, ref in ((tx, px), (tw, pw), (th, ph)):
        np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_parameters_stay_views_of_one_buffer_after_pickling():
    """A training run travels to a worker process and back by pickle: its weights must
    still be views of the buffer the optimizer updates, or training would change nothing."""
    import pickle

    p = tt.Parameters({"a": (2, 3), "b": (4, 3)})
    p.flat[:] = np.arange(p.size)
    q = pickle.loads(pickle.dumps(p))
    np.testing.assert_array_equal(q["b"].data, p["b"].data)
    q.flat += 1  # what an optimizer does
    np.testing.assert_array_equal(q["a"].data, p["a"].data + 1)
    q.flat_grad[:] = 7
    assert (q["b"].grad == 7).all()
