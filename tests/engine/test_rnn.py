"""The recurrent ops and the character RNN / LSTM against torch, which computes the same maths independently."""

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.models.tiny.rnn import (
    DEFAULT_HIDDEN,
    CharRNN,
    RNNConfig,
    gradient_through_time,
)

torch = pytest.importorskip("torch")


def test_elementwise_ops_match_torch():
    rng = np.random.default_rng(0)
    a, b, w = rng.normal(size=(5, 8)), rng.normal(size=(5, 8)), rng.normal(size=(7, 8))
    ids = np.array([3, 1, 3, 0, 6])  # a repeated row must collect both gradients
    r = rng.normal(size=(10, 3))
    ta, tb, tw = (tt.Tensor(v.copy()) for v in (a, b, w))
    rows = tt.lookup(tw, ids)
    mixed = tt.add(tt.mul(tt.sigmoid(ta), tt.tanh(tb)), rows)
    out = tt.concat_rows([tt.columns(mixed, 2, 5), tt.columns(ta, 0, 3)])  # (10, 3)
    tt.Tensor(np.array(0.0), (out,), lambda g: out.add_grad(r)).backward()

    pa, pb, pw = (torch.tensor(v, requires_grad=True) for v in (a, b, w))
    pm = torch.sigmoid(pa) * torch.tanh(pb) + pw[torch.tensor(ids)]
    pout = torch.cat([pm[:, 2:5], pa[:, 0:3]])
    (pout * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(out.data, pout.detach().numpy(), atol=1e-12)
    for mine, ref in ((ta, pa), (tb, pb), (tw, pw)):
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), atol=1e-12)


def test_sigmoid_does_not_overflow():
    y = tt.sigmoid(tt.Tensor(np.array([[-1000.0, 0.0, 1000.0]]))).data
    np.testing.assert_allclose(y, [[0.0, 0.5, 1.0]])


def _torch_forward(model: CharRNN, idx, targets):
    """The same network written with torch's own modules' maths, step by step."""
    p = {k: torch.tensor(model.params[k].data.copy(), requires_grad=True) for k in model.params}
    H = model.config.n_hidden
    B, T = idx.shape
    h = torch.zeros(B, H, dtype=torch.float64)
    c = torch.zeros(B, H, dtype=torch.float64)
    hs = []
    for t in range(T):
        pre = p["wx"][torch.tensor(idx[:, t])] + h @ p["whh"].T
        if model.config.kind == "rnn":
            h = torch.tanh(pre)
        else:
            i, f, o, g = pre.split(H, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
    logits = torch.stack(hs, 1) @ p["wout"].T  # (B, T, V)
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(B * T, -1), torch.tensor(targets).reshape(-1), ignore_index=-1
    )
    return logits, loss, p


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_rnn_loss_and_gradients_match_torch(kind):
    model = CharRNN(RNNConfig(kind=kind, n_hidden=6, vocab_size=9, block_size=8), seed=1)
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 9, (3, 7))
    targets = rng.integers(0, 9, (3, 7))
    targets[0, 5:] = -1  # padding is not counted
    loss = model.loss_and_grad(idx, targets)
    logits, ref_loss, p = _torch_forward(model, idx, targets)
    ref_loss.backward()
    assert loss == pytest.approx(ref_loss.item(), abs=1e-12)
    np.testing.assert_allclose(model.forward(idx)[0].data, logits.detach().numpy().reshape(21, -1), atol=1e-12)
    for name in model.params:
        np.testing.assert_allclose(model.params[name].grad, p[name].grad.numpy(), atol=1e-12, err_msg=name)


def test_lstm_uses_all_four_gates_torch_nn_lstm():
    """Our LSTM equals torch.nn.LSTM given the same weights (torch's gate order is i, f, g, o)."""
    model = CharRNN(RNNConfig(kind="lstm", n_hidden=5, vocab_size=7, block_size=6), seed=3)
    H = 5
    wx, whh = model.params["wx"].data, model.params["whh"].data
    order = np.r_[0:H, H : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]  # ours i, f, o, g -> torch i, f, g, o
    lstm = torch.nn.LSTM(7, H, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(wx[:, order].T))
        lstm.weight_hh_l0.copy_(torch.tensor(whh[order]))
    idx = np.random.default_rng(4).integers(0, 7, (2, 6))
    hs, _ = lstm(torch.nn.functional.one_hot(torch.tensor(idx), 7).double())
    mine = np.stack([s[0].data for s in model.states(idx)], axis=1)  # (B, T, H)
    np.testing.assert_allclose(mine, hs.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_gradient_through_time_matches_torch(kind):
    model = CharRNN(RNNConfig(kind=kind, n_hidden=6, vocab_size=9, block_size=8), seed=5)
    rng = np.random.default_rng(6)
    idx, targets = rng.integers(0, 9, (4, 8)), rng.integers(0, 9, (4, 8))
    got = gradient_through_time(model, idx, targets)["h"]

    p = {k: torch.tensor(model.params[k].data.copy(), requires_grad=True) for k in model.params}
    H = 6
    h = torch.zeros(4, H, dtype=torch.float64)
    c = torch.zeros(4, H, dtype=torch.float64)
    hs = []
    for t in range(8):
        pre = p["wx"][torch.tensor(idx[:, t])] + h @ p["whh"].T
        if kind == "rnn":
            h = torch.tanh(pre)
        else:
            i, f, o, g = pre.split(H, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        h.retain_grad()
        hs.append(h)
    loss = torch.nn.functional.cross_entropy(h @ p["wout"].T, torch.tensor(targets[:, -1]), reduction="sum")
    loss.backward()
    norms = torch.stack([x.grad.norm(dim=1) for x in hs], dim=1).flip(1)  # (B, T): k steps back
    want = torch.exp(torch.log(norms / norms[:, :1]).mean(dim=0)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert len(got) == 8 and got[0] == pytest.approx(1.0)


def test_default_sizes_are_about_the_tiny_gpts():
    for kind in ("rnn", "lstm"):
        n = CharRNN(RNNConfig(kind=kind, n_hidden=DEFAULT_HIDDEN[kind])).n_params
        assert abs(n - 4192) < 200, (kind, n)


def test_bad_config_says_what_is_allowed():
    with pytest.raises(ValueError, match="kind must be one of rnn, lstm"):
        RNNConfig(kind="gru").validate()
    with pytest.raises(ValueError, match="n_hidden must be a whole number"):
        RNNConfig(n_hidden=0).validate()
