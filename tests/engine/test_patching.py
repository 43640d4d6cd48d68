"""The hookable forward against Llama.forward, and activation patching's two ends:
patching nothing gives the corrupted logits, patching everything the clean ones."""

import numpy as np
import pytest

from glasslm.engine.interpretability.patching import both_runs, check_pair, logit_diff, patch, patch_sweep
from glasslm.engine.models.llama import hooked_llama as hl

CLEAN, CORRUPT = "The capital of France is", "The capital of Italy is"


@pytest.fixture(scope="module")
def runs(smollm2):
    return both_runs(smollm2, smollm2.encode(CLEAN), smollm2.encode(CORRUPT))


def test_hooked_forward_equals_llama_forward(smollm2, runs):
    want = smollm2.model.forward(smollm2.encode(CLEAN))  # (T, V) llama.py's own pass, no cache
    assert np.abs(runs.clean_logits - want[-1]).max() < 1e-3 * np.abs(want[-1]).max()
    acts = []
    xs = hl.residuals(smollm2, smollm2.encode(CLEAN), upto=3, mlp_acts=acts)
    tr = smollm2.trace(smollm2.encode(CLEAN), attention=False, mlp=True)
    for a, b in zip(xs, tr.residuals[:4]):
        np.testing.assert_allclose(a, b, atol=2e-3 * np.abs(b).max())
    assert len(acts) == 3
    np.testing.assert_allclose(acts[2], tr.mlp_acts[2], atol=2e-3 * np.abs(tr.mlp_acts[2]).max())


@pytest.mark.slow
def test_patching_nothing_and_everything(smollm2, runs):
    T = runs.clean[0].shape[0]
    none = patch(smollm2, runs, 10, [[]])[0]  # a copy with no position patched
    np.testing.assert_allclose(none, runs.corrupted_logits, atol=1e-4)
    L = smollm2.config.n_layers
    for layer in (L, 0, 17):  # every position patched: the clean run, from any layer on
        every = patch(smollm2, runs, layer, [list(range(T))])[0]
        np.testing.assert_allclose(every, runs.clean_logits, atol=1e-3)


@pytest.mark.slow
def test_sweep_rows_match_single_patches(smollm2, runs):
    paris, rome = smollm2.encode(" Paris")[0], smollm2.encode(" Rome")[0]
    assert int(runs.clean_logits.argmax()) == paris and int(runs.corrupted_logits.argmax()) == rome
    L = smollm2.config.n_layers
    rows = dict(patch_sweep(smollm2, runs, paris, rome, [0, 20, L]))
    clean_ld, corrupt_ld = logit_diff(runs.clean_logits, paris, rome), logit_diff(runs.corrupted_logits, paris, rome)
    # the batch of T copies against one copy at a time, and the metric by hand
    one = logit_diff(patch(smollm2, runs, 20, [3])[0], paris, rome)
    assert rows[20][3] == pytest.approx((one - corrupt_ld) / (clean_ld - corrupt_ld), abs=1e-4)
    # after the last block only the last position reaches the logits
    assert rows[L][-1] == pytest.approx(1.0, abs=1e-4) and np.abs(rows[L][:-1]).max() < 1e-4
    # the embedding row: only the changed word (position 3, France/Italy) matters, and it restores it
    assert rows[0][3] == pytest.approx(1.0, abs=1e-3) and np.abs(np.delete(rows[0], 3)).max() < 1e-4


def test_prompts_must_line_up():
    with pytest.raises(ValueError, match="same number of tokens"):
        check_pair([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="same"):
        check_pair([1, 2], [1, 2])
    with pytest.raises(ValueError, match="at most"):
        check_pair(list(range(40)), list(range(1, 41)))


def test_batched_sentences_equal_one_at_a_time(smollm2):
    seqs = [smollm2.encode("A cat."), smollm2.encode("The capital of France is Paris."), smollm2.encode("Hi")]
    xs, acts = hl.batch_residuals(smollm2, seqs, 4)
    for s, x, a in zip(seqs, xs, acts):
        one = []
        want = hl.residuals(smollm2, s, upto=4, mlp_acts=one)
        assert x.shape == (len(s), smollm2.config.d_model) and a.shape == (len(s), smollm2.config.d_ff)
        np.testing.assert_allclose(x, want[4], atol=1e-3)
        np.testing.assert_allclose(a, one[3], atol=1e-4)
    with pytest.raises(ValueError, match="layer"):
        hl.batch_residuals(smollm2, seqs, 0)


def test_batch_layers_yields_every_layer_of_one_pass(smollm2):
    """Each layer of the one batched pass equals that sequence run alone (hooked residuals)."""
    seqs = [smollm2.encode("The cat sat"), smollm2.encode("On the mat today, quietly")]
    layers = list(hl.batch_layers(smollm2, seqs, 3))
    assert len(layers) == 3
    for s, i in zip(seqs, range(2)):
        one = []
        want = hl.residuals(smollm2, s, upto=3, mlp_acts=one)
        for n, (xs, acts) in enumerate(layers, start=1):
            np.testing.assert_allclose(xs[i], want[n], atol=1e-3)
            np.testing.assert_allclose(acts[i], one[n - 1], atol=1e-4)
