"""The sparse autoencoder: hand-written gradients against central finite differences,
the loss by its formula, and training that finds a planted sparse dictionary."""

import numpy as np
import pytest

from glasslm.engine.interpretability.sae import SAEConfig, SparseAutoencoder, input_scale, top_examples, train_sae


def loss_by_formula(sae, x):
    f = np.maximum((x - sae.b_dec) @ sae.W_enc + sae.b_enc, 0)
    x_hat = f @ sae.W_dec + sae.b_dec
    return np.mean(np.sum((x_hat - x) ** 2, axis=1)) + sae.cfg.l1 * np.mean(np.sum(np.abs(f), axis=1))


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    sae = SparseAutoencoder(6, SAEConfig(n_features=9, l1=0.3, seed=2))
    sae.b_enc[:] = rng.normal(0, 0.3, 9)
    sae.b_dec[:] = rng.normal(0, 0.3, 6)
    x = rng.normal(size=(7, 6))
    parts, grads = sae.loss_and_grads(x)
    assert parts["loss"] == pytest.approx(loss_by_formula(sae, x), rel=1e-12)
    eps = 1e-6
    for p, g in zip(sae.params, grads):
        num = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = loss_by_formula(sae, x)
            p[i] = old - eps
            down = loss_by_formula(sae, x)
            p[i] = old
            num[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7)


def test_training_recovers_a_planted_sparse_dictionary():
    # 200 vectors in 8 dims, each a positive multiple of one of 4 random unit directions
    rng = np.random.default_rng(0)
    dirs = rng.normal(size=(4, 8))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    which = rng.integers(0, 4, 200)
    x = dirs[which] * rng.uniform(0.5, 2.0, (200, 1))
    events = list(train_sae(x, SAEConfig(n_features=8, l1=0.05, lr=0.02, steps=600, seed=0), every=100))
    steps, last = [e for e in events if e["type"] == "step"], events[-1]
    assert steps[-1]["loss"] < steps[0]["loss"] and steps[-1]["explained"] > 0.9
    assert steps[-1]["l0"] < 2.5  # about one feature per vector
    sae = last["sae"]
    np.testing.assert_allclose(np.linalg.norm(sae.W_dec, axis=1), 1.0, rtol=1e-6)  # float32 training
    # every planted direction has a decoder row pointing almost along it
    cos = dirs @ sae.W_dec.T  # (4, F)
    assert cos.max(axis=1).min() > 0.9


def test_input_scale_and_top_examples():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])  # mean squared norm 12.5; width 2
    assert input_scale(x) == pytest.approx(np.sqrt(2 / 12.5))
    acts = np.array([[0.0, 1.0], [2.0, 0.5], [0.0, 3.0]])
    assert top_examples(acts, 0, 3) == [(1, 2.0)]  # zeros are not examples
    assert top_examples(acts, 1, 2) == [(2, 3.0), (0, 1.0)]


@pytest.mark.parametrize(
    "cfg", [SAEConfig(n_features=0), SAEConfig(l1=float("nan")), SAEConfig(lr=0), SAEConfig(steps=0)]
)
def test_bad_configs_are_refused(cfg):
    with pytest.raises(ValueError):
        SparseAutoencoder(4, cfg)


def test_gradient_check_reports_agreement_and_catches_a_wrong_gradient():
    from glasslm.engine.interpretability.sae import gradient_check

    rng = np.random.default_rng(3)
    sae = SparseAutoencoder(5, SAEConfig(n_features=7, l1=0.2, seed=1))
    x = rng.normal(size=(6, 5))
    rows = gradient_check(sae, x, n_checks=8, eps=1e-6)
    assert [r["param"] for r in rows[:4]] == ["W_enc", "b_enc", "W_dec", "b_dec"]
    assert max(r["rel_error"] for r in rows) < 1e-4
    # its numeric side is the difference quotient of the loss written out in this file
    for r in rows:
        p = dict(zip(["W_enc", "b_enc", "W_dec", "b_dec"], sae.params))[r["param"]]
        i = tuple(r["index"])
        old = p[i]
        p[i] = old + 1e-6
        up = loss_by_formula(sae, x)
        p[i] = old - 1e-6
        down = loss_by_formula(sae, x)
        p[i] = old
        assert r["numeric"] == pytest.approx((up - down) / 2e-6, rel=1e-6, abs=1e-9)
