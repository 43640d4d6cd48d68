"""Multiple-choice scores recomputed from SmolLM2's full-sequence logits (m.logits over context +
option, log-softmax by hand), optionally against transformers; the formats' prompts; the
contamination measurement against m.score."""

import numpy as np
import pytest

from glasslm.engine.evaluation.choice_scoring import (
    FORMATS,
    HEADER,
    SEPARATOR,
    Question,
    accuracy,
    continuation_logprobs,
    load_questions,
    prompt_for,
    score_question,
    seen_twice,
)

TOL = 2e-4  # float32 logits; the cached and the full pass add in a different order


def by_hand(logits, context_len, option):
    """log p of the option's tokens from full-sequence logits (T, V), in float64."""
    z = logits.astype(np.float64)
    out = []
    for k, tok in enumerate(option):
        row = z[context_len - 1 + k]  # the row that predicts this token
        out.append(row[tok] - (row.max() + np.log(np.exp(row - row.max()).sum())))
    return np.array(out)


def test_question_set_is_well_formed():
    qs = load_questions()
    assert 8 <= len(qs) <= 20
    for q in qs:
        assert 2 <= len(q.options) <= 4 and 0 <= q.answer < len(q.options) and len(set(q.options)) == len(q.options)
    assert len({q.answer for q in qs}) == 4  # the right letter is not always the same


@pytest.mark.parametrize("fmt", FORMATS)
def test_scores_equal_a_recomputation_from_full_logits(smollm2, fmt):
    q = load_questions()[0]
    s = score_question(smollm2, q, fmt)
    for k, option in enumerate(s.option_ids):
        full = smollm2.logits(s.context_ids + option)  # (T, V): the whole sequence in one pass, no cache reuse
        want = by_hand(full, len(s.context_ids), option)
        np.testing.assert_allclose(s.token_logprobs[k], want, atol=TOL)
        assert s.sums[k] == pytest.approx(want.sum(), abs=TOL * len(option))
        assert s.means[k] == pytest.approx(want.mean(), abs=TOL)
    assert s.pick("sum") == int(np.argmax(s.sums)) and s.probs("sum").sum() == pytest.approx(1)


def test_format_prompts(smollm2):
    q = Question("Which planet is closest to the Sun?", ("Venus", "Mercury"), 1)
    ctx, opts, scored = prompt_for(smollm2, q, "cloze")
    assert smollm2.decode(ctx) == "Question: Which planet is closest to the Sun?\nAnswer:" and scored == [
        " Venus",
        " Mercury",
    ]
    ctx, opts, scored = prompt_for(smollm2, q, "letters")
    assert smollm2.decode(ctx).endswith("\nA. Venus\nB. Mercury\nAnswer:") and scored == [" A", " B"]
    assert all(len(o) == 1 for o in opts)  # a letter is one token
    ctx, opts, scored = prompt_for(smollm2, q, "chat")
    assert ctx == smollm2.chat_ids(
        [
            {
                "role": "user",
                "content": "Which planet is closest to the Sun?\nA. Venus\nB. Mercury\nAnswer with the letter.",
            }
        ]
    )
    with pytest.raises(ValueError, match="format"):
        prompt_for(smollm2, q, "essay")


def test_sum_prefers_short_options_and_mean_does_not_by_construction():
    from glasslm.engine.evaluation.choice_scoring import ChoiceScores

    s = ChoiceScores("cloze", [0], [[1], [2, 3, 4]], ["a", "b"], [np.array([-2.0]), np.array([-1.0, -0.9, -0.8])], 1)
    assert s.pick("sum") == 0 and s.pick("mean") == 1  # -2 > -2.7, but -2 < -0.9 per token
    assert accuracy([s], "sum") == 0.0 and accuracy([s], "mean") == 1.0


def test_seen_twice_equals_m_score(smollm2):
    passage = "The quick brown fox jumps over the lazy dog."
    r = seen_twice(smollm2, passage)
    n = len(r.ids)
    fresh = smollm2.score(smollm2.encode(HEADER) + r.ids).logprobs[-n:]
    seen = smollm2.score(smollm2.encode(HEADER) + r.ids + smollm2.encode(SEPARATOR) + r.ids).logprobs[-n:]
    np.testing.assert_allclose(r.fresh, fresh, atol=TOL)
    np.testing.assert_allclose(r.seen, seen, atol=TOL)
    assert r.seen_loss < r.fresh_loss / 2  # a copy in the context makes the text far easier


@pytest.mark.slow
def test_scores_match_transformers(smollm2, hf_smollm2):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
    from make_smollm2_reference import reference_logits

    q = load_questions()[1]
    s = score_question(smollm2, q, "cloze")
    for k, option in enumerate(s.option_ids):
        want = by_hand(reference_logits(s.context_ids + option, hf_smollm2), len(s.context_ids), option)
        np.testing.assert_allclose(s.token_logprobs[k], want, atol=2e-3)


def test_continuation_logprobs_refuses_bad_ids(smollm2):
    with pytest.raises(ValueError):
        continuation_logprobs(smollm2, [], [[1]])
