"""Quality filters: every measure derived by hand on small texts, every rule
flipping exactly at its threshold."""

from dataclasses import replace

import pytest

from glasslm.engine.pretraining.quality_filters import RULES, QualityConfig, judge, measure


def failed(text, config=None):
    return [v.rule for v in judge(text, config)[1] if not v.passed]


def test_measures_by_hand():
    text = "The cat sat on the mat.\nThe cat sat on the mat.\n# 42 ...\n- a list item"
    m = measure(text)
    # words: The cat sat on the mat. (6) x2, "#" "42" "..." (3), "-" "a" "list" "item" (4) = 19
    assert m.words == 19
    # characters of the words: 3+3+3+2+3+4 = 18 twice, 1+2+3, 1+1+4+4 = 10
    assert m.mean_word_len == pytest.approx((18 * 2 + 6 + 10) / 19)
    assert m.symbol_ratio == pytest.approx(2 / 19)  # one "#" and one "..."
    # words with a letter: 12 + 3 ("a", "list", "item") = 15
    assert m.alpha_words == pytest.approx(15 / 19)
    assert m.stop_words == 1  # only "the"
    assert m.duplicate_lines == pytest.approx(1 / 4)
    assert m.bullet_lines == pytest.approx(1 / 4)
    # the commonest pair is ("the", "cat") or another twice-seen pair of the same sentence;
    # stripped words: the cat sat on the mat x2, # 42 ..., - a list item; "the cat" occurs twice
    pairs_chars = 2 * (3 + 3)
    all_chars = 2 * (3 + 3 + 3 + 2 + 3 + 3) + (1 + 2 + 0) + (1 + 1 + 4 + 4)  # "..." strips to ""
    assert m.top_bigram == pytest.approx(pairs_chars / all_chars)


def test_a_good_paragraph_passes_every_rule():
    text = (
        "The river runs through the old town, and the bridges that cross it have stood "
        "for centuries. People walk to the market with their baskets to buy bread and fruit."
    )
    assert failed(text) == []
    assert [v.rule for v in judge(text)[1]] == list(RULES)


@pytest.mark.parametrize(
    "text, rule",
    [
        ("Click here to win.", "too_short"),
        ("#tags #more #words #here #and #the #to #of #with #that #have #be", "symbols"),
        ("1 2 3 4 5 6 7 8 9 10 11 12 13 the and", "alphabetic"),
        (
            "Supercalifragilistic extraordinarily incomprehensibilities notwithstanding "
            "internationalization counterrevolutionaries the and of to be with",
            "word_length",
        ),
        (
            "Cheap watches, cheap shoes, cheap bags, cheap hats, cheap socks, cheap belts, cheap ties online",
            "stop_words",
        ),
        ("buy now buy now buy now buy now buy now buy now the and to of", "repeated_phrase"),
    ],
)
def test_each_kind_of_bad_document_fails_its_rule(text, rule):
    assert rule in failed(text)


def test_repeated_lines_and_bullets():
    boiler = "\n".join(["Home | About | Contact"] * 4 + ["The shop is open to all and we have bread with jam."])
    assert "repeated_lines" in failed(boiler, QualityConfig(min_words=1))
    bullets = "\n".join(f"- item {i} of the list and more" for i in range(10))
    assert "bullets" in failed(bullets, QualityConfig(min_words=1, max_top_bigram=1))


def test_thresholds_flip_exactly_at_the_measured_value():
    text = "The cat sat on the mat and looked at the dog with care."
    m = measure(text)
    assert "too_short" in failed(text, QualityConfig(min_words=m.words + 1))
    assert "too_short" not in failed(text, QualityConfig(min_words=m.words))
    assert "too_long" in failed(text, QualityConfig(min_words=1, max_words=m.words - 1))
    assert "alphabetic" not in failed(text, QualityConfig(min_alpha_words=1.0))
    reasons = {v.rule: v.reason for v in judge(text, QualityConfig(min_words=99))[1]}
    assert reasons["too_short"] == f"{m.words} words, fewer than the minimum of 99"
    assert reasons["symbols"] == ""


@pytest.mark.parametrize(
    "change, message",
    [
        ({"min_alpha_words": 1.5}, "fraction"),
        ({"min_words": -1}, "at least 0"),
        ({"max_symbol_ratio": float("nan")}, "max_symbol_ratio"),
        ({"min_words": 10, "max_words": 5}, "must not exceed"),
    ],
)
def test_bad_thresholds_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        replace(QualityConfig(), **change).validate()
