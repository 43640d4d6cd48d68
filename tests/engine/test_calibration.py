"""Calibration maths against hand-worked examples and a plain loop; SmolLM2's answers and
confidences (fact_qa) against a separate teacher-forced pass over prompt + answer."""

import numpy as np
import pytest

from glasslm.engine.evaluation.calibration import abstain, coverage_curve, expected_calibration_error, reliability
from glasslm.engine.evaluation.fact_qa import answer, is_correct, load_facts, normalize, prompt_text

# Worked by hand with 2 bins, (0, 0.5] and (0.5, 1]:
#   bin 0: 0.1, 0.3, 0.35 -> mean confidence 0.25, accuracy 1/3, gap 1/12, weight 3/6
#   bin 1: 0.9, 0.95, 0.8 -> mean confidence 0.88333, accuracy 2/3, gap 0.21667, weight 3/6
#   ECE = 0.5/12 + 0.5 * 0.21667 = 0.041667 + 0.108333 = 0.15
CONF = [0.1, 0.3, 0.35, 0.9, 0.95, 0.8]
RIGHT = [0, 1, 0, 1, 1, 0]


def test_ece_of_a_hand_worked_example():
    assert expected_calibration_error(CONF, RIGHT, 2) == pytest.approx(0.15, abs=1e-12)
    rel = reliability(CONF, RIGHT, 2)
    assert rel.counts.tolist() == [3, 3]
    assert rel.confidence.tolist() == pytest.approx([0.25, 0.883333333333], abs=1e-9)
    assert rel.accuracy.tolist() == pytest.approx([1 / 3, 2 / 3])


def test_perfect_calibration_and_total_overconfidence():
    # in each of 10 bins, confidence 0.m5 and exactly that share right (20 answers a bin) -> ECE 0
    conf, right = [], []
    for m in range(10):
        c = (m + 0.5) / 10
        conf += [c] * 20
        right += [1] * round(c * 20) + [0] * (20 - round(c * 20))
    assert expected_calibration_error(conf, right, 10) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error([1.0] * 5, [0] * 5, 10) == pytest.approx(1.0)


def test_ece_matches_a_plain_loop_on_random_answers():
    rng = np.random.default_rng(0)
    c = rng.random(200)
    y = (rng.random(200) < c**2).astype(int)
    for bins in (1, 3, 10, 20):
        total = 0.0
        for m in range(bins):
            lo, hi = m / bins, (m + 1) / bins
            inside = [(ci, yi) for ci, yi in zip(c, y) if (lo < ci <= hi) or (m == 0 and ci == 0)]
            if inside:
                total += len(inside) / len(c) * abs(np.mean([i[1] for i in inside]) - np.mean([i[0] for i in inside]))
        assert expected_calibration_error(c, y, bins) == pytest.approx(total, abs=1e-12)


def test_bin_edges_belong_to_the_lower_bin():
    rel = reliability([0.0, 0.5, 0.5000001, 1.0], [1, 1, 1, 1], 2)
    assert rel.counts.tolist() == [2, 2]


def test_abstaining_by_hand():
    s = abstain(CONF, RIGHT, 0.5)  # answers 0.9, 0.95, 0.8: two right
    assert (s.answered, s.correct, s.coverage, s.accuracy) == (3, 2, 0.5, pytest.approx(2 / 3))
    assert abstain(CONF, RIGHT, 0.99).accuracy is None
    curve = coverage_curve(CONF, RIGHT)
    assert [p.answered for p in curve] == [6, 6, 5, 4, 3, 2, 1]  # thresholds 0, then each confidence
    assert curve[-1].threshold == 0.95 and curve[-1].correct == 1


@pytest.mark.parametrize("bad", [([0.5], [1, 0]), ([], []), ([1.5], [1]), ([np.nan], [1]), ([0.5], [2])])
def test_bad_inputs_are_refused(bad):
    with pytest.raises(ValueError):
        reliability(*bad)
    with pytest.raises(ValueError):
        reliability([0.5], [1], 0)


def test_marking_rule():
    assert normalize("Ulánbaatar, Mongolia!") == ["ulanbaatar", "mongolia"]
    assert is_correct("Paris, France.", ["Paris"])
    assert is_correct("The Pacific Ocean", ["Pacific"])
    assert is_correct("It was George Eliot", ["George Eliot", "Eliot"])
    assert not is_correct("Parisian", ["Paris"])
    assert not is_correct("19890", ["1989"])
    assert not is_correct("Eliot George", ["George Eliot"])
    assert not is_correct("", ["Paris"])


def test_fact_set_is_well_formed():
    facts, examples = load_facts()
    assert 20 <= len(facts) <= 40 and len({f.id for f in facts}) == len(facts)
    assert {f.level for f in facts} == {"easy", "obscure"}
    for f in facts:
        assert f.answers and f.question.endswith("?")
        assert is_correct(f.fact, f.answers), f"the fact for {f.id} must contain its answer"
    assert not {e["question"] for e in examples} & {f.question for f in facts}


def test_answer_and_confidence_match_a_teacher_forced_pass():
    from glasslm.engine.models.llama.smollm2 import load_smollm2

    m = load_smollm2()
    facts, examples = load_facts()
    fact = next(f for f in facts if f.id == "romeo")  # a two-token answer: William Shakespeare
    ids = m.encode(prompt_text(fact.question, examples, fact.fact))
    a = answer(m, ids)
    assert len(a.ids) >= 2
    full = ids + a.ids
    logits = m.logits(full).astype(np.float64)  # (T, V), one full pass
    rows = logits[len(ids) - 1 : len(full) - 1]  # rows predicting each answer token
    p = np.exp(rows - rows.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    assert [int(r.argmax()) for r in rows] == a.ids  # greedy: the top token at every step
    assert a.probs == pytest.approx([p[t, i] for t, i in enumerate(a.ids)], abs=2e-4)
    assert a.first_token_prob == pytest.approx(p[0].max(), abs=2e-4)
    assert a.likelihood == pytest.approx(np.prod(a.probs) ** (1 / len(a.probs)), rel=1e-9)
    assert [i for i, _ in a.first_top] == list(np.argsort(-p[0])[:5])
    # the answer ends at a newline (or the token limit): the next greedy token starts one
    nxt = m.decode([int(logits[-1].argmax())])
    assert "\n" in nxt or len(a.ids) == 6
