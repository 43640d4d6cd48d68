"""Power-law fits recover known laws; the compute-optimal rule by hand; a tiny
sweep whose numbers are recomputed by training the same runs directly."""

import math

import numpy as np
import pytest

from glasslm.engine.data.model_facts import published
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.pretraining.scaling import (
    SweepConfig,
    compute_optimal,
    fit_power_law,
    frontier,
    heads_for,
    plan_sweep,
    sweep,
)
from glasslm.engine.training.train import TrainConfig, TrainRun, train_tiny_gpt


def test_fit_recovers_a_pure_power_law():
    c = np.logspace(6, 12, 9)
    law = fit_power_law(c, 40 * c**-0.12)
    assert law.a == pytest.approx(40, rel=1e-9) and law.b == pytest.approx(0.12, rel=1e-9)
    assert law.e == 0 and law.rmse_log < 1e-12


def test_fit_recovers_known_parameters_from_noisy_data():
    rng = np.random.default_rng(0)
    c = np.logspace(7, 13, 30)
    clean = 1.7 + 25 * c**-0.2
    noisy = clean * np.exp(rng.normal(0, 0.003, c.shape))  # 0.3% noise on each loss
    law = fit_power_law(c, noisy, irreducible=True)
    assert law.e == pytest.approx(1.7, abs=0.05)
    assert law.b == pytest.approx(0.2, abs=0.02)
    assert law(1e10) == pytest.approx(1.7 + 25 * 1e10**-0.2, rel=0.01)
    # without the floor a plain power law fits the same data worse
    assert fit_power_law(c, noisy).rmse_log > 3 * law.rmse_log


def test_fit_refuses_bad_points():
    with pytest.raises(ValueError, match="at least 3"):
        fit_power_law([1, 2], [3, 2], irreducible=True)
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1, 2, 3], [3, -2, 1])
    with pytest.raises(ValueError, match="same compute"):
        fit_power_law([5, 5], [3, 2])


def test_frontier_by_hand():
    pts = [(1, 3.0), (2, 3.2), (2, 2.5), (4, 2.6), (8, 2.0)]
    assert frontier(pts) == [0, 2, 4]


def test_compute_optimal_by_hand_and_chinchilla():
    n, d = compute_optimal(6 * 20 * 1e6**2)  # C = 6 r N^2 with N = 1e6
    assert n == pytest.approx(1e6) and d == pytest.approx(2e7)
    ch = published("Chinchilla")  # 70B parameters on 1.4T tokens: exactly 20 per parameter
    n, d = compute_optimal(6 * ch.params * ch.train_tokens)
    assert n == pytest.approx(ch.params) and d == pytest.approx(ch.train_tokens)
    g = published("GPT-3")
    n, d = compute_optimal(6 * g.params * g.train_tokens)
    assert 6 * n * d == pytest.approx(6 * g.params * g.train_tokens)
    assert n < g.params / 3 and d > 3 * g.train_tokens  # the same compute: a smaller model, more data


def test_heads_and_plan():
    assert [heads_for(w) for w in (4, 8, 16, 24, 12)] == [1, 2, 4, 4, 2]
    plan = plan_sweep(SweepConfig(widths=(8, 16), token_budgets=(500, 1500), batch_size=4))
    assert len(plan.runs) == 4
    for r in plan.runs:
        model = TinyGPT(GPTConfig(n_embd=r.width, n_head=heads_for(r.width)))
        assert r.n_params == model.n_params
        assert r.flops == pytest.approx(6 * r.n_params * r.tokens)
        assert abs(r.tokens - [500, 1500][r.index % 2]) < 30  # whole steps of about 4 x 6.9 characters
    with pytest.raises(ValueError, match="at most"):
        plan_sweep(SweepConfig(widths=(8,), token_budgets=(10_000_000,)))


def test_a_tiny_sweep_reports_what_training_the_run_directly_gives():
    cfg = SweepConfig(widths=(4, 8), token_budgets=(300, 900), batch_size=4, seed=7)
    events = list(sweep(cfg))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "done" and kinds.count("run") == 4 and "progress" in kinds
    runs = events[-1]["runs"]
    assert all(r["heldout_loss"] < math.log(27) for r in runs)
    # recompute the last run by training it directly with the same settings
    r = runs[-1]
    tc = TrainConfig(
        steps=r["steps"],
        batch_size=4,
        seed=7,
        n_samples=0,
        eval_interval=r["steps"],
        sample_interval=r["steps"],
        attention_interval=r["steps"],
    )
    run = TrainRun.create(config=tc, model_config=GPTConfig(n_embd=8, n_head=2))
    done = [e for e in train_tiny_gpt(run=run) if e["type"] == "done"][0]
    assert r["heldout_loss"] == pytest.approx(done["heldout_loss"], rel=1e-9)
    fr = events[-1]["frontier"]
    pts = [(runs[i]["flops"], runs[i]["heldout_loss"]) for i in range(4)]
    assert fr == [i for i in frontier(pts)]
    progress = [e["done_flops"] for e in events if e["type"] == "progress"]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(events[0]["total_flops"])
