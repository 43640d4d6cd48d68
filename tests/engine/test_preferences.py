"""The Bradley-Terry reward model: features derived by hand, the gradient against finite
differences, and scripted judges whose preference the fitted model must recover on fresh pairs."""

import math

import numpy as np
import pytest

from glasslm.engine.post_training import preferences as pf


def random_names(n, seed):
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, rng.integers(2, 12))) for _ in range(n)]


def judged_pairs(kind, n, seed):
    names = random_names(4 * n, seed)
    out = []
    for a, b in zip(names[::2], names[1::2]):
        j = pf.judge(kind, a, b)
        if j:
            out.append((a, b) if j == 1 else (b, a))
    return out[:n]


def test_features_by_hand():
    # anna: 4 letters, 2 of 4 vowels, ends in a, "nn", no rare letter, on the female census list
    assert pf.features("anna").tolist() == [0.4, 0.5, 1.0, 1.0, 0.0, 1.0]
    assert pf.features("zxq").tolist() == [0.3, 0.0, 0.0, 0.0, 1.0, 0.0]


def test_rare_letters_are_the_least_frequent_in_the_training_names():
    from collections import Counter

    from glasslm.engine.post_training import sft

    train, _ = sft.name_split().base_docs()
    counts = Counter("".join(train))
    assert pf.RARE == set(sorted(counts, key=counts.get)[:7])


def test_bad_names_are_refused():
    for bad, msg in [("", "at least"), ("a" * 20, "at most"), ("Anna", "only the letters"), ("an-na", "only")]:
        with pytest.raises(ValueError, match=msg):
            pf.features(bad)
    with pytest.raises(ValueError, match="no preference pairs"):
        pf.fit([])
    with pytest.raises(ValueError, match="unknown judge"):
        pf.judge("taller", "a", "b")


def test_gradient_matches_finite_differences():
    d = pf.differences(judged_pairs("shorter", 20, 0))
    w = np.random.default_rng(1).normal(size=d.shape[1])
    _, grad = pf.bt_loss(w, d, 0.03)
    eps = 1e-6
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = eps
        fd = (pf.bt_loss(w + e, d, 0.03)[0] - pf.bt_loss(w - e, d, 0.03)[0]) / (2 * eps)
        assert grad[i] == pytest.approx(fd, abs=1e-8)


def test_loss_at_zero_weights_is_log_2():
    d = pf.differences([("ann", "bob"), ("al", "zed")])
    assert pf.bt_loss(np.zeros(d.shape[1]), d, 0.0)[0] == pytest.approx(math.log(2))


@pytest.mark.parametrize("kind,feature", [("shorter", "length"), ("ends_in_vowel", "ends_in_vowel")])
def test_the_model_recovers_a_scripted_preference(kind, feature):
    rm = pf.fit(judged_pairs(kind, 40, 2))
    keys = [k for k, _, _ in pf.FEATURES]
    i = keys.index(feature)
    assert np.argmax(np.abs(rm.w)) == i
    assert (rm.w[i] < 0) == (kind == "shorter")
    assert pf.accuracy(rm, judged_pairs(kind, 200, 99)) > 0.9  # fresh pairs the model never saw
    assert pf.cross_validated_accuracy(judged_pairs(kind, 40, 2)) > 0.8
    assert rm.curve[-1] < rm.curve[0] == pytest.approx(math.log(2))


def test_preference_probability_is_the_sigmoid_of_the_reward_gap():
    rm = pf.fit(judged_pairs("shorter", 30, 3))
    a, b = "al", "maximilian"
    gap = float((pf.features(a) - pf.features(b)) @ rm.w)
    assert rm.prob_prefers(a, b) == pytest.approx(1 / (1 + math.exp(-gap)))
    assert rm.prob_prefers(a, b) + rm.prob_prefers(b, a) == pytest.approx(1.0)


def test_cross_validation_needs_enough_pairs_and_holds_each_pair_out():
    pairs = judged_pairs("shorter", 4, 5)
    assert pf.cross_validated_accuracy(pairs) is None  # fewer pairs than folds
    # recomputed by hand: pair i is judged by a model fitted on the pairs of the other folds
    pairs = judged_pairs("shorter", 12, 6)
    pairs[0] = pairs[0][::-1]  # one choice against the trend, so that not every fold is perfect
    cfg = pf.RewardConfig(folds=3)
    right = 0
    for i, (c, r) in enumerate(pairs):
        rm = pf.fit([p for j, p in enumerate(pairs) if j % 3 != i % 3], cfg)
        right += rm.reward(c) > rm.reward(r)
    assert pf.cross_validated_accuracy(pairs, cfg) == pytest.approx(right / 12)
