"""word2vec's skip-gram with negative sampling: its gradients against finite differences, pairs
within the window, and a short real run whose loss falls and whose neighbours start to make sense."""

import numpy as np
import pytest

from glasslm.engine.embeddings.word2vec import Vocab, Word2VecConfig, pairs, sgns_loss_and_grads, train_word2vec


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    V, d, B, k = 7, 5, 4, 3
    v_in, u_out = rng.normal(size=(V, d)), rng.normal(size=(V, d))
    c, o, neg = np.array([0, 1, 2, 0]), np.array([3, 4, 5, 6]), rng.integers(0, V, (B, k))
    _, gv, gup, gun = sgns_loss_and_grads(v_in, u_out, c, o, neg)
    eps = 1e-6
    # dL/dv_in[c_i] summed over the rows that use it, and dL/du_out likewise
    want_v, want_u = np.zeros_like(v_in), np.zeros_like(u_out)
    np.add.at(want_v, c, gv)
    np.add.at(want_u, o, gup)
    np.add.at(want_u, neg.reshape(-1), gun.reshape(-1, d))
    for table, want in ((v_in, want_v), (u_out, want_u)):
        for i in range(V):
            for j in range(d):
                old = table[i, j]
                table[i, j] = old + eps
                up = sgns_loss_and_grads(v_in, u_out, c, o, neg)[0]
                table[i, j] = old - eps
                down = sgns_loss_and_grads(v_in, u_out, c, o, neg)[0]
                table[i, j] = old
                assert (up - down) / (2 * eps) == pytest.approx(want[i, j], abs=1e-6)


def test_pairs_stay_inside_the_window():
    ids = np.arange(50)
    c, o = pairs(ids, 3, np.random.default_rng(1))
    assert len(c) == len(o) > 50 and np.all(np.abs(c - o) <= 3) and np.all(c != o)


def test_a_short_real_run_lowers_the_loss():
    events = list(train_word2vec(Word2VecConfig(epochs=1), watch=("string",), report_every=50))
    losses = [e["loss"] for e in events if e["type"] == "step"]
    assert losses[-1] < losses[0] - 0.3


@pytest.mark.slow
def test_the_default_run_finds_related_words():
    events = list(train_word2vec(watch=("string",), report_every=50))
    model = events[-1]["model"]
    near = [w for w, _ in model.neighbours("string", 15)]
    # the prose says "string" lands near "strings", "unicode" and "literal" (its Python sense)
    assert {"strings", "unicode", "literal"} <= set(near), near


def test_glove_neighbours_the_prose_quotes():
    from glasslm.engine.embeddings.glove import glove

    assert {"minor", "series", "double"} <= {w for w, _ in glove().neighbours("string", 6)}


def test_rare_words_and_bad_settings_are_refused():
    with pytest.raises(ValueError, match="too rare"):
        next(train_word2vec(watch=("xylophone",)))
    with pytest.raises(ValueError, match="epochs"):
        Word2VecConfig(epochs=99).validate()
    assert len(Vocab(["a"] * 5 + ["b"] * 4)) == 1
