"""Chapter 27's vision transformer: every new op's backward and the whole model's
gradient against central finite differences, patches cut by hand, and a short
run that learns."""

import numpy as np
import pytest

from glasslm.engine.autograd import encoder_ops
from glasslm.engine.autograd import tensor as tt
from glasslm.engine.data import digits
from glasslm.engine.models.vision.vit import TinyViT, ViTConfig, ViTRun, ViTTrainConfig, evaluate, train_vit

FD_STEP = 1e-6
TOL = 1e-6  # relative: float64 central differences agree to ~1e-8 on these sizes


def numeric_grad(f, arr, idx):
    old = arr[idx]
    arr[idx] = old + FD_STEP
    up = f()
    arr[idx] = old - FD_STEP
    down = f()
    arr[idx] = old
    return (up - down) / (2 * FD_STEP)


def check(build, tensors, n_checks=12, seed=0):
    """build() -> scalar Tensor from `tensors`; compare every tensor's gradient at random entries."""
    rng = np.random.default_rng(seed)
    for t in tensors:
        t.grad = None
    build().backward()
    for t in tensors:
        analytic = t.grad.copy()
        for _ in range(n_checks):
            idx = tuple(rng.integers(0, s) for s in t.data.shape)
            num = numeric_grad(lambda: float(build().data), t.data, idx)
            assert analytic[idx] == pytest.approx(num, rel=TOL, abs=1e-9), (t, idx)


def weighted_sum(y, w):
    """A scalar that weights every output differently, so a wrong backward cannot hide."""
    return tt.Tensor(np.array(float((y.data * w).sum())), (y,), lambda g: y.add_grad(w * float(g)))


def rand(rng, *shape):
    return tt.Tensor(rng.normal(size=shape))


def test_bias_attention_cls_pooling_gradients():
    rng = np.random.default_rng(1)
    B, P, C, H = 2, 3, 8, 2
    x, b, cls, pos = rand(rng, B * P, C), rand(rng, C), rand(rng, C), rand(rng, P + 1, C)
    wq = rand(rng, 3 * C, C)
    w_out = rng.normal(size=(B, C))

    def build():
        h = encoder_ops.prepend_cls(encoder_ops.add_bias(x, b), cls, pos, B)  # (B*(P+1), C)
        a = encoder_ops.full_attention(tt.linear(h, wq), B, P + 1, H)
        return weighted_sum(encoder_ops.first_rows(a, B), w_out)

    check(build, [x, b, cls, pos, wq])

    def build_mean():
        h = encoder_ops.add_positions(x, rand(np.random.default_rng(5), P, C), B)
        a = encoder_ops.full_attention(tt.linear(h, wq), B, P, H)
        return weighted_sum(encoder_ops.mean_rows(a, B), w_out)

    check(build_mean, [x, wq])


def test_attention_is_unmasked_and_rows_sum_to_one():
    rng = np.random.default_rng(2)
    qkv = rand(rng, 2 * 5, 3 * 4)
    a = encoder_ops.full_attention(qkv, 2, 5, 2)
    assert a.aux.shape == (2, 2, 5, 5)
    np.testing.assert_allclose(a.aux.sum(-1), 1.0, atol=1e-12)
    assert (a.aux[..., 0, 4] > 0).all()  # the first token sees the last: no causal mask
    # one head by hand: softmax(q k^T / sqrt(D)) v for sequence 0, head 0
    q, k, v = (qkv.data[:5, i * 4 : i * 4 + 2] for i in range(3))
    s = q @ k.T / np.sqrt(2)
    att = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    np.testing.assert_allclose(a.data[:5, :2], att @ v, atol=1e-12)


def test_embed_normalize_mse_gradients():
    rng = np.random.default_rng(3)
    table, x = rand(rng, 5, 4), rand(rng, 6, 4)
    ids = np.array([0, 3, 3, 1, 4, 0])
    target = rng.normal(size=(6, 4))
    check(
        lambda: encoder_ops.mse(encoder_ops.l2_normalize(tt.add(encoder_ops.embed_rows(table, ids), x)), target),
        [table, x],
    )
    y = encoder_ops.l2_normalize(x).data
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-9)


def test_patches_cut_in_reading_order():
    img = np.arange(64, dtype=float).reshape(1, 8, 8)
    p2 = digits.patchify(img, 2)
    assert p2.shape == (1, 16, 4)
    assert p2[0, 0].tolist() == [0, 1, 8, 9]  # top-left 2x2 square, row by row
    assert p2[0, 1].tolist() == [2, 3, 10, 11]  # its right neighbour
    assert p2[0, 4].tolist() == [16, 17, 24, 25]  # first square of the second row
    p4 = digits.patchify(img, 4)
    assert p4[0, 3].tolist() == [36, 37, 38, 39, 44, 45, 46, 47, 52, 53, 54, 55, 60, 61, 62, 63]
    with pytest.raises(ValueError, match="divide 8"):
        digits.patchify(img, 3)


@pytest.mark.slow  # importing scikit-learn takes seconds
def test_digits_are_scikit_learns():
    sk = pytest.importorskip("sklearn.datasets").load_digits()
    d = digits.load()
    both = np.concatenate([d.train_x, d.test_x]).reshape(-1, 64) * 16
    mine = sorted(zip(map(bytes, both.astype(np.uint8)), np.concatenate([d.train_y, d.test_y])))
    theirs = sorted(zip(map(bytes, sk.data.astype(np.uint8)), sk.target))
    assert [m[0] for m in mine] == [t[0] for t in theirs] and [int(m[1]) for m in mine] == [int(t[1]) for t in theirs]


def test_digits_split_is_fixed_and_disjoint():
    d = digits.load()
    assert len(d.train_y) + len(d.test_y) == 1797 and len(d.test_y) == 359
    assert d.train_x.max() == 1.0 and d.train_x.min() == 0.0
    train = {a.tobytes() for a in d.train_x}
    assert sum(a.tobytes() in train for a in d.test_x) < 5  # (a few digits are drawn identically)


@pytest.mark.parametrize("pool", ["cls", "mean"])
def test_whole_vit_gradient_matches_finite_differences(pool):
    d = digits.load()
    model = TinyViT(ViTConfig(patch=4, width=8, n_head=2, n_layer=2, mlp=8, pool=pool))
    x, y = d.train_x[:3], d.train_y[:3]
    model.loss_and_grad(x, y)
    analytic = model.params.flat_grad.copy()
    rng = np.random.default_rng(0)
    for i in rng.choice(model.params.size, 40, replace=False):
        num = numeric_grad(lambda: float(model.forward(x, y)[1].data), model.params.flat, i)
        assert analytic[i] == pytest.approx(num, rel=TOL, abs=1e-9), i


def test_prediction_shapes_and_probabilities():
    model = TinyViT()
    out = model.predict(digits.load().test_x[:2])
    assert out["probs"].shape == (2, 10) and out["cls_attention"].shape == (2, 1, 4, 16)
    np.testing.assert_allclose(out["probs"].sum(1), 1.0)
    np.testing.assert_allclose(out["cls_attention"].sum(-1), 1.0 - _cls_self(model)[:, None], atol=1e-12)


def _cls_self(model):
    """The share of [CLS]'s attention that stays on [CLS] itself (not on a patch)."""
    _, _, att = model.forward(digits.load().test_x[:2])
    return att[0][:, :, 0, 0]


def test_a_short_run_learns():
    run = ViTRun.create(
        ViTConfig(patch=4, width=16, n_head=2), ViTTrainConfig(steps=80, batch_size=32, lr=0.01, eval_interval=40)
    )
    events = list(train_vit(run))
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["step"] for e in evals] == [0, 40, 80]
    assert evals[0]["test_accuracy"] < 0.25 and evals[-1]["test_accuracy"] > 0.6
    d = digits.load()
    assert evals[-1]["test_accuracy"] == evaluate(run.model, d.test_x, d.test_y)[0]
    assert events[-1]["type"] == "done"
