"""Addition problems in two formats: checked by reading the written work back and
redoing each column by hand, against Python's own sum."""

import re

import numpy as np
import pytest

from glasslm.engine.data import arithmetic_data as ad

STEP = re.compile(r"(\d)\+(\d)\+(\d)=(\d)(\d);")


def test_hand_written_examples():
    assert ad.prompt(37, 48, 2) + ad.completion(37, 48, 2, "direct") == "37+48=085"
    assert ad.prompt(37, 48, 2) + ad.completion(37, 48, 2, "scratchpad") == "37+48=7+8+0=15;3+4+1=08;>085"
    assert ad.completion(999, 1, 3, "scratchpad") == "9+1+0=10;9+0+1=10;9+0+1=10;>1000"
    assert ad.completion(5, 7, 3, "scratchpad", think_steps=1) == "5+7+0=12;>0012"
    assert ad.completion(5, 7, 3, "scratchpad", think_steps=0) == ">0012"


@pytest.mark.parametrize("digits", range(ad.MIN_DIGITS, ad.MAX_DIGITS + 1))
def test_scratchpad_redone_by_hand_gives_pythons_sum(digits):
    rng = np.random.default_rng(digits)
    top = 10**digits
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, top, (300, 2))] + [(top - 1, top - 1), (0, 0), (top - 1, 1)]
    for a, b in pairs:
        text = ad.completion(a, b, digits, "scratchpad")
        work, answer = text.split(">")
        steps = STEP.findall(work)
        assert "".join(f"{x}+{y}+{c}={h}{l};" for x, y, c, h, l in steps) == work  # nothing but steps
        assert len(steps) == digits and len(work) == digits * ad.STEP_CHARS
        carry, low_digits = 0, []
        for col, (x, y, c, h, l) in enumerate(steps):  # units column first
            assert int(x) == a // 10**col % 10 and int(y) == b // 10**col % 10
            assert int(c) == carry
            assert int(h) * 10 + int(l) == int(x) + int(y) + carry
            carry = int(h)
            low_digits.append(l)
        assert int(str(carry) + "".join(reversed(low_digits))) == a + b  # the steps alone give the sum
        assert int(answer) == a + b and len(answer) == digits + 1
        assert ad.parse_answer(text, "scratchpad") == a + b
        assert ad.parse_answer(ad.completion(a, b, digits, "direct"), "direct") == a + b


def test_parse_answer_refuses_unfinished_or_dirty_text():
    assert ad.parse_answer("7+8+0=15;", "scratchpad") is None  # never reached ">"
    assert ad.parse_answer("7+8+0=15;>", "scratchpad") is None
    assert ad.parse_answer(">0a5", "scratchpad") is None
    assert ad.parse_answer("08;5", "direct") is None
    assert ad.parse_answer("", "direct") is None
    assert ad.parse_answer("٣", "direct") is None  # an Arabic-Indic digit is not one of ours
    assert ad.parse_answer("1>2>3", "scratchpad") is None
    assert ad.parse_answer("0042", "direct") == 42
    with pytest.raises(ValueError, match="format must be one of"):
        ad.parse_answer("1", "cot")


def test_heldout_problems_are_never_trained_on():
    task = ad.ArithmeticTask(digits=2, n_heldout=500, seed=3)
    held = set(task.heldout)
    assert len(held) == 500 == len(task.heldout)
    rng = np.random.default_rng(0)
    train = task.train_pairs(rng, 150_000)  # 15x the 9,500 allowed problems: all of them appear
    assert not held & set(train)
    assert len(set(train)) == 10_000 - 500
    assert all(task.is_heldout(a, b) for a, b in task.heldout)
    assert ad.ArithmeticTask(digits=2, n_heldout=500, seed=3).heldout == task.heldout  # reproducible
    assert ad.ArithmeticTask(digits=2, n_heldout=500, seed=4).heldout != task.heldout


def test_batch_masks_the_question_and_the_forced_mark():
    task = ad.ArithmeticTask(digits=2, n_heldout=10)
    tok = task.tokenizer
    assert tok.vocab_size == 15 and tok.chars == "+0123456789;=>"
    x, y = task.batch([(37, 48), (5, 9)], "scratchpad", [None, 1])
    assert x.shape == y.shape == (2, task.seq_len("scratchpad") - 1)
    assert tok.decode(x[0], show_bos=True) == "<BOS>37+48=7+8+0=15;3+4+1=08;>085"
    assert (y[:, :6] == -1).all()  # the question is given, not predicted
    assert tok.decode(y[0][y[0] >= 0], show_bos=True) == "7+8+0=15;3+4+1=08;>085<BOS>"
    # the cut example: its ">" is written for the model, so it is not a target
    assert tok.decode(y[1][y[1] >= 0], show_bos=True) == "5+9+0=14;014<BOS>"
    assert tok.decode(x[1][: 6 + 1 + 9 + 1 + 3]) == "05+09=5+9+0=14;>014"
    x, y = task.batch([(37, 48)], "direct")
    assert (
        tok.decode(x[0], show_bos=True) == "<BOS>37+48=085" and tok.decode(y[0][y[0] >= 0], show_bos=True) == "085<BOS>"
    )


@pytest.mark.parametrize("bad", [1, 6, 2.0, True, "3"])
def test_digits_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match="digits must be a whole number from 2 to 5"):
        ad.ArithmeticTask(digits=bad)


def test_operands_wider_than_the_task_are_refused():
    with pytest.raises(ValueError, match="b must be a whole number from 0 to 99"):
        ad.prompt(3, 100, 2)
    with pytest.raises(ValueError, match="a must be"):
        ad.prompt(-1, 3, 2)
