"""Majority votes against hand-worked examples; decoding with a thinking budget
driven by an oracle "model" whose right answers are known in advance; sampled
characters against the probabilities they were drawn from."""

from types import SimpleNamespace

import numpy as np
import pytest

from glasslm.engine.data import arithmetic_data as ad
from glasslm.engine.inference.thinking_budget import budget_study, complete, majority_vote, vote_accuracy, vote_study


def test_majority_vote_hand_examples():
    assert majority_vote([3, 5, 3]) == (3, 2)
    assert majority_vote([None, None, 7]) == (7, 1)  # no answer never wins
    assert majority_vote([5, 3, 3, 5]) == (5, 2)  # a tie goes to the answer seen first
    assert majority_vote([3, 5, 5, 3]) == (3, 2)
    assert majority_vote([None, None]) == (None, 0)
    assert majority_vote([]) == (None, 0)
    assert majority_vote([1, 2, 2, 1, 1]) == (1, 3)


def test_vote_accuracy_hand_example():
    answers = [
        [1, 9, 9, 1, 1],  # right at n=1; n=3 votes 9 (wrong); n=5 votes 1 (right)
        [9, 2, 2, 2, 9],  # wrong at n=1; right from n=3
        [None, None, None, None, 3],
    ]  # only its fifth sample answers (rightly)
    assert vote_accuracy(answers, [1, 2, 3], [1, 2, 3, 4, 5]) == pytest.approx([1 / 3, 1 / 3, 1 / 3, 2 / 3, 1.0])
    with pytest.raises(ValueError, match="one list of sampled answers per question"):
        vote_accuracy(answers, [1, 2], [1])


class Oracle:
    """Logits that put all weight on the right next character of the scratchpad (or direct) text,
    given whatever has been written so far: after a forced ">" it writes the right answer.
    With `first`, the first written character is instead drawn from that distribution."""

    def __init__(self, task, fmt, first=None):
        self.task, self.fmt, self.first = task, fmt, first
        self.config = SimpleNamespace(block_size=task.seq_len(fmt) - 1)
        self.calls = 0

    def forward(self, ids):
        self.calls += 1
        tok, P = self.task.tokenizer, 1 + self.task.prompt_len
        B, T = ids.shape
        z = np.zeros((B, T, tok.vocab_size))
        for r in range(B):
            q = tok.decode(ids[r, 1:P])
            a, b = int(q[: self.task.digits]), int(q[self.task.digits + 1 : -1])
            written = tok.decode(ids[r, P:])
            if ">" in written:
                target = written.split(">")[0] + ">" + ad.answer_text(a, b, self.task.digits) + "\0"
            else:
                target = ad.completion(a, b, self.task.digits, self.fmt) + "\0"
            nxt = target[len(written)] if len(written) < len(target) else "\0"
            z[r, -1, tok.bos if nxt == "\0" else tok.encode(nxt)[0]] = 50.0
            if self.first is not None and T == P:
                z[r, -1] = np.log(self.first)
        return SimpleNamespace(data=z.reshape(B * T, -1)), None


def test_an_oracle_is_decoded_exactly_and_its_budget_forced():
    task = ad.ArithmeticTask(digits=3, n_heldout=20)
    pairs = task.heldout[:6]
    for fmt in ad.FORMATS:
        texts = complete(Oracle(task, fmt), task, pairs, fmt)
        assert texts == [ad.completion(a, b, 3, fmt) for a, b in pairs]
    for k in range(4):  # the cap writes ">" after exactly k steps
        texts = complete(Oracle(task, "scratchpad"), task, pairs, "scratchpad", think_steps=k)
        assert texts == [ad.completion(a, b, 3, "scratchpad", think_steps=k) for a, b in pairs]
    points = list(budget_study(Oracle(task, "scratchpad"), task, pairs))
    assert [p["think_tokens"] for p in points] == [0, 9, 18, 27]
    assert [p["accuracy"] for p in points] == [1.0] * 4  # an oracle needs no work
    assert [p["mean_written"] for p in points] == [0, 9, 18, 27]


def test_sampled_first_characters_follow_their_probabilities():
    task = ad.ArithmeticTask(digits=2, n_heldout=10)
    tok = task.tokenizer
    first = np.full(tok.vocab_size, 1e-12)
    for ch, p in (("0", 0.5), ("1", 0.3), ("7", 0.2)):
        first[tok.encode(ch)[0]] = p
    first /= first.sum()
    n = 2000
    texts = complete(
        Oracle(task, "direct", first),
        task,
        [task.heldout[0]] * n,
        "direct",
        temperature=1.0,
        rng=np.random.default_rng(1),
    )
    counts = np.array([sum(t[0] == ch for t in texts) for ch in "017"])
    expected = n * np.array([0.5, 0.3, 0.2])
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 13.8  # chi-square, 2 degrees of freedom, p = 0.001
    # temperature 0.5 squares and renormalises the probabilities
    texts = complete(
        Oracle(task, "direct", first),
        task,
        [task.heldout[0]] * n,
        "direct",
        temperature=0.5,
        rng=np.random.default_rng(2),
    )
    sharp = np.array([0.25, 0.09, 0.04]) / 0.38
    counts = np.array([sum(t[0] == ch for t in texts) for ch in "017"])
    assert ((counts - n * sharp) ** 2 / (n * sharp)).sum() < 13.8


def test_vote_study_with_an_oracle_is_always_right():
    task = ad.ArithmeticTask(digits=2, n_heldout=12)
    models = {fmt: Oracle(task, fmt) for fmt in ad.FORMATS}
    events = list(vote_study(models, task, task.heldout, n_votes=3, temperature=1.0, chunk=5))
    assert [e["done"] for e in events] == [5, 10, 12]
    assert events[-1]["curves"] == {"direct": [1.0] * 3, "scratchpad": [1.0] * 3}
    ex = events[-1]["example"]["scratchpad"]
    assert ex["vote"] == ex["truth"] == sum(task.heldout[0]) and ex["votes"] == 3


@pytest.mark.parametrize("t", [-0.1, float("nan"), 4.0])
def test_bad_temperatures_are_refused(t):
    task = ad.ArithmeticTask(digits=2, n_heldout=10)
    with pytest.raises(ValueError, match="temperature must be a number from 0"):
        complete(Oracle(task, "direct"), task, task.heldout[:1], "direct", temperature=t)


def plurality_right(p_by_char: dict, n: int) -> float:
    """P(the vote over n independent draws is the right answer "0"), by listing every sequence:
    most votes wins, a tie goes to whichever of the tied answers was drawn first."""
    from itertools import product

    total = 0.0
    for seq in product(p_by_char, repeat=n):
        prob = np.prod([p_by_char[c] for c in seq])
        counts = {c: seq.count(c) for c in seq}
        top = max(counts.values())
        winner = next(c for c in seq if counts[c] == top)
        total += prob * (winner == "0")
    return total


def test_vote_curves_match_the_probability_of_a_plurality():
    """Each sample's answer is right with probability 0.5 and wrong in one of two ways
    (0.3, 0.2): the vote's accuracy at N has a closed form the sampled curve must match."""
    task = ad.ArithmeticTask(digits=2, n_heldout=1000, seed=5)
    pairs = [(a, b) for a, b in task.heldout if a + b < 100]  # the right answer starts with "0"
    tok = task.tokenizer
    probs = {"0": 0.5, "1": 0.3, "7": 0.2}  # the answer's first digit; the oracle writes the rest right
    first = np.full(tok.vocab_size, 1e-12)
    for ch, p in probs.items():
        first[tok.encode(ch)[0]] = p
    first /= first.sum()
    events = list(
        vote_study(
            {"direct": Oracle(task, "direct", first)}, task, pairs, n_votes=5, temperature=1.0, seed=3, chunk=100
        )
    )
    curve = events[-1]["curves"]["direct"]
    expected = [plurality_right(probs, n) for n in range(1, 6)]
    assert expected[0] == pytest.approx(0.5) and expected[2] == pytest.approx(
        0.5**3 + 3 * 0.5**2 * 0.5 + 0.5 * 0.3 * 0.2 * 2
    )
    sd = np.sqrt(0.25 / len(pairs))
    assert np.abs(np.array(curve) - expected).max() < 4 * sd  # four standard errors
    assert events[-1]["single"]["direct"] == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / (5 * len(pairs))))
