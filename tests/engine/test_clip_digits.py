"""Chapter 27's CLIP-style model: the fused symmetric InfoNCE loss against a plain
re-computation, the whole model's gradient against finite differences, names the
text encoder refuses, and a short run whose zero-shot accuracy is recomputed."""

import math

import numpy as np
import pytest

from glasslm.engine.autograd import tensor as tt
from glasslm.engine.data import digits
from glasslm.engine.models.vision import clip_digits

FD_STEP = 1e-6


def plain_infonce(img, txt, scale, groups):
    """CLIP's pseudo-code (Radford et al. 2021, Figure 3), one group at a time, with log-softmax by hand."""
    K = len(txt)
    total = 0.0
    for g in range(groups):
        S = scale * img[g * K : (g + 1) * K] @ txt.T
        rows = S - np.log(np.exp(S).sum(axis=1, keepdims=True))  # log softmax over names
        cols = S - np.log(np.exp(S).sum(axis=0, keepdims=True))  # log softmax over images
        total += -(np.trace(rows) + np.trace(cols)) / (2 * K)
    return total / groups


def test_loss_matches_the_papers_pseudo_code():
    rng = np.random.default_rng(0)
    img = rng.normal(size=(20, 5))
    img /= np.linalg.norm(img, axis=1, keepdims=True)
    txt = rng.normal(size=(10, 5))
    txt /= np.linalg.norm(txt, axis=1, keepdims=True)
    s = tt.Tensor(np.array([math.log(7.0)]))
    loss = clip_digits.clip_loss(tt.Tensor(img), tt.Tensor(txt), s, 2)
    assert float(loss.data) == pytest.approx(plain_infonce(img, txt, 7.0, 2), rel=1e-12)


def test_perfectly_matched_pairs_give_a_small_loss():
    e = np.eye(10)  # image i and name i identical, all others orthogonal
    loss = clip_digits.clip_loss(tt.Tensor(e), tt.Tensor(e), tt.Tensor(np.array([math.log(100)])), 1)
    # each row: -log(e^100 / (e^100 + 9 e^0)) ~ 9 e^-100
    assert float(loss.data) == pytest.approx(9 * math.exp(-100), rel=1e-6)


def test_whole_model_gradient_matches_finite_differences():
    d = digits.load()
    model = clip_digits.ClipDigits(clip_digits.ClipConfig(embed=4, hidden=6, char_dim=4))
    x = d.train_x[np.array([np.nonzero(d.train_y == k)[0][j] for j in range(2) for k in range(10)])]  # 2 groups of 0..9
    model.loss_and_grad(x, 2)
    analytic = model.params.flat_grad.copy()
    rng = np.random.default_rng(1)
    picks = list(rng.choice(model.params.size, 50, replace=False)) + [model.params.size - 1]  # incl. log_scale
    for i in picks:
        flat = model.params.flat
        old = flat[i]
        flat[i] = old + FD_STEP
        up = float(model.loss(x, 2).data)
        flat[i] = old - FD_STEP
        down = float(model.loss(x, 2).data)
        flat[i] = old
        assert analytic[i] == pytest.approx((up - down) / (2 * FD_STEP), rel=1e-5, abs=1e-9), i


def test_names_the_text_encoder_reads():
    assert clip_digits.encode_name("seven").tolist() == [18, 4, 21, 4, 13]
    for bad, msg in [("", "1 to 12"), ("x" * 13, "1 to 12"), ("Seven", "a-z"), ("sév", "a-z"), ("two 2", "a-z")]:
        with pytest.raises(clip_digits.NameError_, match=msg):
            clip_digits.encode_name(bad)


def test_a_short_run_learns_zero_shot():
    run = clip_digits.ClipRun.create(config=clip_digits.ClipTrainConfig(steps=60, groups=4, lr=0.01, eval_interval=30))
    events = list(clip_digits.train_clip(run))
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["step"] for e in evals] == [0, 30, 60]
    assert evals[0]["zero_shot_accuracy"] < 0.3 and evals[-1]["zero_shot_accuracy"] > 0.7
    # recompute zero-shot accuracy by hand: nearest name by cosine similarity
    d = digits.load()
    m = run.model
    img = d.test_x.reshape(len(d.test_x), -1)
    p = {n: m.params[n].data for n in m.params}
    h = np.maximum(img @ p["img.w1"].T + p["img.b1"], 0) @ p["img.w2"].T
    h /= np.linalg.norm(h, axis=1, keepdims=True)
    names = []
    for name in digits.NAMES:
        ids = [ord(ch) - ord("a") for ch in name]
        bag = (p["txt.chars"][ids] + p["txt.pos"][: len(ids)]).mean(axis=0)
        t = np.maximum(bag @ p["txt.w1"].T + p["txt.b1"], 0) @ p["txt.w2"].T
        names.append(t / np.linalg.norm(t))
    acc = float(((h @ np.array(names).T).argmax(1) == d.test_y).mean())
    assert evals[-1]["zero_shot_accuracy"] == pytest.approx(acc)
    cos = np.array(evals[-1]["cosine"])
    assert cos.shape == (10, 10) and np.abs(cos).max() <= 1.0
