"""Training the direct and the scratchpad model side by side: a short seeded run
learns far above chance; the one-pass exact match is checked against real greedy
decoding; a stopped run resumes to exactly the weights of an unbroken one."""

import numpy as np
import pytest

from glasslm.engine.data import arithmetic_data as ad
from glasslm.engine.inference.thinking_budget import complete
from glasslm.engine.training.scratchpad_training import (
    ReasoningConfig,
    ReasoningRun,
    answer_accuracy,
    exact_match,
    train_reasoning,
)

SMALL = dict(digits=2, steps=150, batch_size=32, lr=0.02, n_heldout=50, eval_interval=50, seed=0)


@pytest.fixture(scope="module")
def trained():
    run = ReasoningRun(ReasoningConfig(**SMALL))
    events = list(train_reasoning(run))
    return run, events


def test_a_short_run_learns_far_above_chance(trained):
    run, events = trained
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["start", "eval", "samples"] and kinds[-1] == "done"
    assert kinds.count("step") == 150 and kinds.count("eval") == 4  # steps 0, 50, 100, 150
    evals = [e["accuracy"] for e in events if e["type"] == "eval"]
    assert evals[0] == {"direct": 0.0, "scratchpad": 0.0}
    # chance for a three-character answer is 1 in 1,000 (and far less for a whole scratchpad)
    assert evals[-1]["scratchpad"] >= 0.3
    steps = [e for e in events if e["type"] == "step"]
    for fmt in ad.FORMATS:
        assert np.mean([s["loss"][fmt] for s in steps[-10:]]) < 0.5 * np.mean([s["loss"][fmt] for s in steps[:10]])
    done = events[-1]
    assert done["step"] == 150 and not done["diverged"]
    assert done["accuracy"] == evals[-1]
    assert done["answer_accuracy"]["scratchpad"] >= done["accuracy"]["scratchpad"] - 0.1
    rows = [e for e in events if e["type"] == "samples"][-1]["rows"]
    assert len(rows) == 3 and rows[0]["question"] == ad.prompt(*run.task.heldout[0], 2)
    assert (
        rows[0]["scratchpad"]["text"]
        == complete(run.models["scratchpad"], run.task, run.task.heldout[:1], "scratchpad")[0]
    )


@pytest.mark.parametrize("fmt", ad.FORMATS)
def test_one_pass_exact_match_equals_greedy_decoding(trained, fmt):
    run, _ = trained
    model, task, pairs = run.models[fmt], run.task, run.task.heldout
    texts = complete(model, task, pairs, fmt)
    whole = np.mean([t == ad.completion(a, b, 2, fmt) for t, (a, b) in zip(texts, pairs)])
    assert exact_match(model, task, pairs, fmt) == pytest.approx(whole)
    assert 0 < whole < 1  # a partly trained model: both kinds of row are present
    right = np.mean([ad.parse_answer(t, fmt) == a + b for t, (a, b) in zip(texts, pairs)])
    assert answer_accuracy(model, task, pairs, fmt) == pytest.approx(right)


def test_a_stopped_run_resumes_to_the_same_weights():
    cfg = ReasoningConfig(digits=2, steps=12, batch_size=4, n_embd=16, n_heldout=10, eval_interval=100)
    whole = ReasoningRun(cfg)
    list(train_reasoning(whole))
    broken = ReasoningRun(cfg)
    for event in train_reasoning(broken):
        if event["type"] == "step" and event["step"] == 5:
            break
    resumed = list(train_reasoning(broken))
    assert resumed[0]["type"] == "start" and resumed[0]["step"] == 5
    assert "eval" not in [e["type"] for e in resumed[:2]]  # no second step-0 evaluation
    assert resumed[-1]["step"] == 12
    for fmt in ad.FORMATS:
        np.testing.assert_array_equal(whole.models[fmt].params.flat, broken.models[fmt].params.flat)


def test_a_diverging_run_says_so():
    run = ReasoningRun(ReasoningConfig(digits=2, steps=30, batch_size=4, n_embd=16, n_heldout=10, lr=1.0))
    run.models["direct"].params.flat[:] = np.nan
    done = list(train_reasoning(run))[-1]
    assert done["diverged"] and "Lower the learning rate" in done["message"] and done["step"] == 0


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("steps", 0, "steps must be a whole number from 1"),
        ("batch_size", 1000, "batch_size must be"),
        ("lr", float("nan"), "lr must be a number above 0"),
        ("cut_fraction", 1.5, "cut_fraction must be"),
        ("digits", 9, "digits must be a whole number from 2 to 5"),
    ],
)
def test_bad_settings_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        ReasoningConfig(**{field: value}).validate()
