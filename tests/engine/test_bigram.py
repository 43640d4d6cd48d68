"""The bigram baseline, against counts and logs worked out by hand."""

import math

import pytest

from glasslm.engine.data.name_data import first_names
from glasslm.engine.models.tiny.bigram import Bigram, bigram_baseline
from glasslm.engine.tokenizers.chars import CharTokenizer


def test_counts_and_probabilities_by_hand():
    tok = CharTokenizer("ab")  # ids a=0, b=1, BOS=2
    m = Bigram(tok, alpha=1.0).fit(["ab", "a"])
    # pairs: BOS->a, a->b, b->BOS, BOS->a, a->BOS
    assert m.counts.tolist() == [[0, 1, 1], [0, 0, 1], [2, 0, 0]]
    # P(a | BOS) = (2 + 1) / (2 + 3)
    assert m.probs[2, 0] == pytest.approx(3 / 5)
    # loss on "b": BOS->b (1/5), b->BOS (2/4)
    assert m.loss(["b"]) == pytest.approx(-(math.log(1 / 5) + math.log(2 / 4)) / 2)


def test_block_size_limits_the_pairs_like_the_gpt():
    tok = CharTokenizer("ab")
    m = Bigram(tok).fit(["abab"], block_size=2)  # only BOS->a, a->b
    assert m.counts.sum() == 2


def test_names_baseline_beats_uniform_but_not_by_magic():
    d = first_names()
    loss = bigram_baseline(d.train, d.heldout, d.tokenizer, 16)
    assert 2.0 < loss < math.log(27)


def test_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        Bigram(CharTokenizer("a"), alpha=0)
