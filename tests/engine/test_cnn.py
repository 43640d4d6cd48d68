"""The CNN's ops and whole model against torch.nn.functional, which computes the same maths independently."""

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as T_
from glasslm.engine.data import digits
from glasslm.engine.models.vision.cnn import (
    CNNConfig,
    CompareConfig,
    TinyCNN,
    conv2d,
    max_pool2d,
    train_cnn_and_vit,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _backward_with(out: T_.Tensor, r: np.ndarray):
    T_.Tensor(np.array(0.0), (out,), lambda g: out.add_grad(r)).backward()


@pytest.mark.parametrize("pad, k", [(1, 3), (0, 3), (2, 5)])
def test_conv2d_matches_torch(pad, k):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, k, k)), rng.normal(size=4)
    tx, tw, tb = (T_.Tensor(v.copy()) for v in (x, w, b))
    out = conv2d(tx, tw, tb, pad=pad)
    r = rng.normal(size=out.data.shape)
    _backward_with(out, r)
    px, pw, pb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    pout = F.conv2d(px, pw, pb, padding=pad)
    (pout * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(out.data, pout.detach().numpy(), atol=1e-12)
    for mine, ref in ((tx, px), (tw, pw), (tb, pb)):
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), atol=1e-12)


def test_max_pool2d_matches_torch_even_on_ties():
    rng = np.random.default_rng(1)
    x = np.maximum(rng.normal(size=(2, 3, 4, 6)), 0.0)  # ReLU output: many squares tie at 0
    x[0, 0, :2, :2] = 0.5  # a whole square tied at a positive value
    tx = T_.Tensor(x.copy())
    out = max_pool2d(tx)
    r = rng.normal(size=out.data.shape)
    _backward_with(out, r)
    px = torch.tensor(x, requires_grad=True)
    pout = F.max_pool2d(px, 2)
    (pout * torch.tensor(r)).sum().backward()
    np.testing.assert_allclose(out.data, pout.detach().numpy())
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), atol=1e-12)


def test_max_pool2d_refuses_odd_sides():
    with pytest.raises(ValueError, match="divisible by 2"):
        max_pool2d(T_.Tensor(np.zeros((1, 1, 5, 4))))


def test_whole_model_loss_and_gradient_match_torch():
    model = TinyCNN(CNNConfig(seed=3))
    d = digits.load()
    x, y = d.train_x[:16], d.train_y[:16]
    loss = model.loss_and_grad(x, y)
    p = {name: torch.tensor(model.params[name].data.copy(), requires_grad=True) for name in model.params}
    h = torch.tensor(np.asarray(x))[:, None]
    h = F.max_pool2d(F.relu(F.conv2d(h, p["conv1_w"], p["conv1_b"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["conv2_w"], p["conv2_b"], padding=1)), 2)
    ref = F.cross_entropy(h.flatten(1) @ p["head_w"].T + p["head_b"], torch.tensor(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=1e-12)
    for name in model.params:
        np.testing.assert_allclose(model.params[name].grad, p[name].grad.numpy(), atol=1e-12, err_msg=name)


def test_look_returns_the_feature_maps_of_one_image():
    model = TinyCNN()
    seen = model.look(digits.load().test_x[0])
    assert seen["maps1"].shape == (8, 8, 8) and seen["maps2"].shape == (16, 4, 4)
    assert seen["filters1"].shape == (8, 3, 3) and seen["probs"].sum() == pytest.approx(1.0)
    assert (seen["maps1"] >= 0).all()  # after ReLU


def test_the_cnn_learns_with_a_fifth_of_the_vits_weights():
    events = list(train_cnn_and_vit(CompareConfig(steps=120, eval_interval=60)))
    start, done = events[0], events[-1]
    assert start["models"]["cnn"]["n_params"] == 1898 and start["models"]["vit"]["n_params"] == 9322
    assert [e["step"] for e in events if e["type"] == "eval"] == [0, 60, 120]
    assert done["test_accuracy"]["cnn"] > 0.8 and done["test_accuracy"]["vit"] > 0.5
    assert all(v > 0 for v in done["images_per_s"].values())


def test_bad_config_says_what_is_allowed():
    with pytest.raises(ValueError, match="filters1 must be a whole number"):
        CNNConfig(filters1=0).validate()
    with pytest.raises(ValueError, match="steps must be from 1"):
        CompareConfig(steps=0).validate()
