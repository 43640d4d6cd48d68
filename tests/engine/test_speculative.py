"""Speculative decoding keeps the model's output exactly: identical tokens to plain
greedy decoding on SmolLM2, and, when sampling, the same distribution (checked
with a chi-square test over many seeds against the distribution computed by
enumeration on a small toy model, and on SmolLM2's own next-token distribution)."""

import itertools

import numpy as np
import pytest
from scipy import stats

from glasslm.engine.basics import sampling
from glasslm.engine.basics.sampling import GREEDY
from glasslm.engine.inference import speculative as sp
from glasslm.engine.models.llama.smollm2 import load_smollm2

QUOTE = (
    "Repeat this sentence exactly: The old lighthouse keeper climbed the spiral stairs every evening "
    "to light the great lamp, and every morning he wrote the weather in a small blue notebook."
)


# ---------------------------------------------------------------- a toy model with a rollback-able cache


class ToyCache:
    def __init__(self, capacity):
        self.capacity, self.tokens = capacity, []

    @property
    def length(self):
        return len(self.tokens)

    def truncate(self, n):
        assert 0 <= n <= self.length
        del self.tokens[n:]


class Toy:
    """V tokens; the next token's logits depend on the last token and on the position's parity,
    so a wrong cache rollback (a stale position or token) changes the distribution."""

    def __init__(self, V=3, seed=0):
        self.table = np.random.default_rng(seed).normal(0, 1.2, (V, 2, V))

    def new_cache(self, capacity):
        return ToyCache(capacity)

    def forward(self, ids, cache):
        rows = []
        for t in ids:
            cache.tokens.append(int(t))
            rows.append(self.table[int(t), cache.length % 2])
        return np.array(rows)

    def prefill(self, ids, cache, last_only=False):
        rows = self.forward(ids, cache)
        return rows[-1:] if last_only else rows

    def joint(self, prompt, n):
        """Exact probability of every continuation of n tokens."""
        out = {}
        V = self.table.shape[0]
        for seq in itertools.product(range(V), repeat=n):
            p, toks = 1.0, list(prompt)
            for t in seq:
                probs = sampling.softmax(self.table[toks[-1], len(toks) % 2])
                p *= probs[t]
                toks.append(t)
            out[seq] = p
        return out


def repeat_last(tokens, k):
    """A deterministic draft that is sometimes right, sometimes wrong."""
    return [tokens[-1]] * k


def chi_square_p(counts: dict, expected: dict, total: int) -> float:
    keys = sorted(expected)
    obs = np.array([counts.get(k, 0) for k in keys], dtype=float)
    exp = np.array([expected[k] for k in keys]) * total
    return stats.chisquare(obs, exp).pvalue


def test_sampled_sequences_follow_the_models_joint_distribution():
    toy, prompt, n, seeds = Toy(), [0], 3, 3000
    counts = {}
    for seed in range(seeds):
        out = [
            t
            for e in sp.speculative_generate(toy, prompt, n, temperature=1.0, seed=seed, k=2, draft=repeat_last)
            for t in e.tokens
        ]
        counts[tuple(out)] = counts.get(tuple(out), 0) + 1
    assert chi_square_p(counts, toy.joint(prompt, n), seeds) > 1e-3


def test_the_check_catches_a_rule_that_keeps_every_draft():
    """The same statistics reject a wrong acceptance rule (so the test above can fail)."""
    toy, prompt, n, seeds = Toy(), [0], 3, 3000
    real = sp.verify
    try:
        sp.verify = lambda rows, draft, rng, *a, **k: (len(draft), real(rows[-1:], [], rng, *a)[1], None)
        counts = {}
        for seed in range(seeds):
            out = [
                t
                for e in sp.speculative_generate(toy, prompt, n, temperature=1.0, seed=seed, k=2, draft=repeat_last)
                for t in e.tokens
            ]
            counts[tuple(out)] = counts.get(tuple(out), 0) + 1
    finally:
        sp.verify = real
    assert chi_square_p(counts, toy.joint(prompt, n), seeds) < 1e-6


def test_a_stochastic_draft_is_corrected_to_the_target():
    """Leviathan et al.'s rule with a draft distribution q != p: the emitted token follows p."""
    p_logits = np.log(np.array([0.5, 0.2, 0.2, 0.1]))
    q = np.array([0.1, 0.6, 0.1, 0.2])
    rng = np.random.default_rng(0)
    counts = np.zeros(4)
    for _ in range(8000):
        d = int(rng.choice(4, p=q))
        n, token, _ = sp.verify(np.stack([p_logits, p_logits]), [d], rng, draft_probs=q[None])
        counts[d if n == 1 else token] += 1
    assert stats.chisquare(counts, np.array([0.5, 0.2, 0.2, 0.1]) * 8000).pvalue > 1e-3


def test_smollm2_sampling_with_a_draft_keeps_its_next_token_distribution():
    """On the real model: the first token after a verify pass is distributed as p (top-p 0.9)."""
    m = load_smollm2()
    ids = m.encode("The weather today is")
    rows = m.logits(ids + [m.encode(" very")[0]])[-2:]  # the pass over [last, draft]: 2 rows
    draft = [int(np.argsort(-rows[0])[1])]  # the second likeliest: often rejected
    p = sampling.filter_distribution(rows[0], 1.0, 0, 0.9)
    rng = np.random.default_rng(1)
    seeds = 3000
    counts = {}
    for _ in range(seeds):
        n, token, _ = sp.verify(rows, draft, rng, 1.0, 0, 0.9)
        first = draft[0] if n == 1 else token
        counts[first] = counts.get(first, 0) + 1
    support = np.flatnonzero(p)
    assert set(counts) <= set(support.tolist())
    top = [int(t) for t in support[np.argsort(-p[support])][:5]]
    expected = {t: p[t] for t in top} | {-1: 1 - sum(p[t] for t in top)}
    grouped = {t: counts.get(t, 0) for t in top} | {-1: seeds - sum(counts.get(t, 0) for t in top)}
    assert chi_square_p(grouped, expected, seeds) > 1e-3


def test_greedy_output_is_identical_to_plain_greedy_and_accepts_drafts():
    m = load_smollm2()
    ids = m.chat_ids([{"role": "user", "content": QUOTE}])
    plain = [e.token_id for e in m.generate(ids, max_tokens=40, settings=GREEDY)]
    events = list(sp.speculative_generate(m.model, ids, 40, 0.0, stop_ids=m.stop_ids, k=6))
    assert [t for e in events for t in e.tokens] == plain
    assert sum(e.accepted for e in events) >= 10 and len(events) < len(plain)  # fewer passes than tokens
    text = "".join(
        p
        for e in sp.speculative_generate(m.model, ids, 40, 0.0, stop_ids=m.stop_ids, token_bytes=m.token_bytes)
        for p in e.texts
    )
    assert text == m.decode(plain)


def test_prompt_lookup_proposes_what_followed_the_latest_match():
    toks = [5, 6, 7, 8, 9, 1, 5, 6, 7, 2, 3, 5, 6]
    assert sp.prompt_lookup_draft(toks, 3, min_ngram=2) == [7, 2, 3]  # latest "5 6" is followed by 7 2 3
    assert sp.prompt_lookup_draft(toks, 3, min_ngram=3) == []  # no earlier 3-token repeat of "3 5 6"
    assert sp.prompt_lookup_draft([1, 2, 3, 9, 1, 2, 3, 4, 1, 2, 3], 2, min_ngram=3) == [4, 1]  # latest match
    assert sp.prompt_lookup_draft([4] * sp.MIN_NGRAM + [4], 5) == [4]  # a match at 0 is followed by the last 4 only
    assert sp.prompt_lookup_draft([7, 1, 2, 3, 8, 1, 2, 3], 2) == []  # shorter than MIN_NGRAM: too weak a clue


@pytest.mark.parametrize("k", [0, sp.MAX_DRAFT_K + 1, 2.5, True])
def test_k_outside_its_limits_is_refused(k):
    with pytest.raises(ValueError, match="draft length k"):
        list(sp.speculative_generate(Toy(), [0], 3, k=k))


def test_the_governor_stops_drafting_when_drafts_keep_failing():
    toy = Toy(V=50, seed=3)
    gov = sp.SpeculationGovernor(pass_cost=2.0, cooldown=10)
    wrong = lambda tokens, k: [(tokens[-1] + 1 + i) % 50 for i in range(k)]
    events = list(sp.speculative_generate(toy, [0], 60, temperature=0.0, k=4, draft=wrong, governor=gov))
    drafted = [len(e.drafted) for e in events]
    assert drafted.count(0) > len(drafted) / 2  # mostly plain decoding once it saw the drafts fail
    assert any(drafted[10:])  # but it tries again after the cooldown
    assert not sp.SpeculationGovernor(pass_cost=2.5).worth(1) and sp.SpeculationGovernor(pass_cost=2.5).worth(2)
