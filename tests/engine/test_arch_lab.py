"""The architecture lab: runs that share data and batches, gradient norms per block,
the tour's configurations, and KV-cache sizes against a real cache's arrays."""

import numpy as np
import pytest

from glasslm.engine.models.llama.kv_cache import KVCache
from glasslm.engine.models.tiny.gpt import GPTConfig
from glasslm.engine.training.arch_lab import LabConfig, kv_cache_variants, tour_configs, train_side_by_side


def run(configs, **lab):
    return list(train_side_by_side(configs, LabConfig(**lab)))


def test_identical_architectures_train_identically():
    """Same batches, same order, same init: two copies of one config give the same numbers."""
    evs = run([("x", GPTConfig(n_layer=2)), ("y", GPTConfig(n_layer=2))], steps=30, eval_interval=10)
    for kind in ("step", "eval", "grads"):
        a = [e for e in evs if e["type"] == kind and e["run"] == 0]
        b = [e for e in evs if e["type"] == kind and e["run"] == 1]
        assert a and [{**e, "run": 0} for e in b] == a


def test_deep_stack_without_residuals_starves_its_first_block():
    evs = run([("res", GPTConfig(n_layer=8)), ("plain", GPTConfig(n_layer=8, residual=False))], steps=5)
    done = next(e for e in evs if e["type"] == "done")["runs"]
    with_res, without = done[0]["grad_norms"], done[1]["grad_norms"]
    assert len(with_res) == 8
    assert without[0] < 0.05 * with_res[0]  # fading already at the bottom of the plain stack
    assert without[-1] > 0.1 * with_res[-1]  # but not at its top


def test_events_and_summary():
    evs = run([("a", GPTConfig()), ("b", GPTConfig(mlp="gelu"))], steps=12, eval_interval=6)
    assert evs[0]["type"] == "start" and [r["name"] for r in evs[0]["runs"]] == ["a", "b"]
    assert [e["step"] for e in evs if e["type"] == "eval" and e["run"] == 1] == [0, 6, 12]
    done = evs[-1]
    assert done["type"] == "done" and all(r["type"] == "run_done" and not r["diverged"] for r in done["runs"])
    # the summary's held-out loss is the last eval's
    last_eval = [e for e in evs if e["type"] == "eval" and e["run"] == 0][-1]
    assert done["runs"][0]["heldout_loss"] == last_eval["heldout_loss"]


def test_at_most_four_runs():
    with pytest.raises(ValueError, match="1 to 4"):
        run([(str(i), GPTConfig()) for i in range(5)], steps=1)


def test_the_tour_adds_smollm2s_choices_one_at_a_time():
    names, cfgs = zip(*tour_configs(GPTConfig(n_layer=2)))
    assert cfgs[0] == GPTConfig(n_layer=2)
    assert [c.positions for c in cfgs] == ["learned", "rope", "rope", "rope"]
    assert [c.kv_heads for c in cfgs] == [4, 4, 2, 2]
    assert [c.mlp for c in cfgs] == ["relu", "relu", "relu", "swiglu"]


@pytest.mark.parametrize("L,H,K,D,T", [(30, 9, 3, 64, 50), (2, 4, 2, 4, 16)])
def test_kv_cache_sizes_are_what_a_cache_allocates(L, H, K, D, T):
    rows = kv_cache_variants(L, H, D, T, grouped=K)
    assert [r["kv_heads"] for r in rows] == [H, K, 1]
    for r in rows:
        c = KVCache(L, r["kv_heads"], D, T)
        assert r["bytes"] == c.kt.nbytes + c.v.nbytes
    assert np.isclose(rows[0]["bytes"] / rows[1]["bytes"], H / K)
