"""DPO: sequence log-probs recomputed with numpy, the loss's gradient through the tiny GPT
against finite differences, log 2 where policy equals reference, and a run on a scripted
preference (shorter names) that makes sampled names shorter."""

import math

import numpy as np
import pytest

from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT
from glasslm.engine.post_training import dpo, sft

PAIRS = [("ann", "maximilian"), ("bo", "christopher"), ("eve", "alexandra"), ("al", "bartholomew")]


def small_model(seed=0, n_embd=8):
    return TinyGPT(
        GPTConfig(vocab_size=28, block_size=20, n_embd=n_embd, n_head=2), seed=seed, tokenizer=sft.tokenizer()
    )


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def test_sequence_logprob_is_the_sum_over_the_name_and_its_end():
    model = small_model()
    tok = model.tokenizer
    x, y = dpo.pair_batch(tok, PAIRS, 20)
    got = dpo.logprobs(model, x, y)
    names = [c for c, _ in PAIRS] + [r for _, r in PAIRS]
    for name, lp in zip(names, got):
        ids = [tok.bos, *tok.encode(name), tok.bos]
        logits, _ = model.forward(np.array([ids[:-1]]))
        want = sum(log_softmax(logits.data)[t, ids[t + 1]] for t in range(len(ids) - 1))
        assert lp == pytest.approx(want, rel=1e-12)


def test_loss_is_log_2_when_the_policy_is_the_reference():
    model = small_model()
    x, y = dpo.pair_batch(model.tokenizer, PAIRS, 20)
    loss, margins = dpo.loss_and_grad(model, x, y, dpo.logprobs(model, x, y), 0.1)
    assert loss == pytest.approx(math.log(2)) and np.allclose(margins, 0)


def test_gradient_matches_finite_differences():
    policy, ref = small_model(1), small_model(2)
    x, y = dpo.pair_batch(policy.tokenizer, PAIRS, 20)
    ref_lp = dpo.logprobs(ref, x, y)
    beta = 0.7
    dpo.loss_and_grad(policy, x, y, ref_lp, beta)
    grad = policy.params.flat_grad.copy()
    flat = policy.params.flat

    def loss_at():  # the DPO loss written out directly, from forward passes only
        lp = dpo.logprobs(policy, x, y)
        P = len(PAIRS)
        h = beta * ((lp[:P] - ref_lp[:P]) - (lp[P:] - ref_lp[P:]))
        return float(np.mean(-np.log(1 / (1 + np.exp(-h)))))

    rng = np.random.default_rng(0)
    eps = 1e-5
    for i in rng.choice(flat.size, 25, replace=False):
        old = flat[i]
        flat[i] = old + eps
        up = loss_at()
        flat[i] = old - eps
        down = loss_at()
        flat[i] = old
        assert grad[i] == pytest.approx((up - down) / (2 * eps), abs=1e-7, rel=1e-4)


def test_bad_settings_are_refused():
    model = small_model()
    with pytest.raises(ValueError, match="no preference pairs"):
        next(dpo.dpo(model, model, []))
    with pytest.raises(ValueError, match="beta"):
        next(dpo.dpo(model, model, PAIRS, dpo.DPOConfig(beta=0)))
    with pytest.raises(ValueError, match="context"):
        next(dpo.dpo(model, model, [("a" * 25, "b")]))


@pytest.mark.slow
def test_dpo_toward_shorter_names_shortens_samples():
    ref = small_model(4, n_embd=16)
    tok = ref.tokenizer
    names = [tok.decode(r) for r in sft.sample_after(ref, [tok.bos], 120, 1.0, seed=0)]
    names = [n for n in names if n]
    pairs = [(a, b) if len(a) < len(b) else (b, a) for a, b in zip(names[::2], names[1::2]) if len(a) != len(b)]
    policy = sft.clone(ref)
    events = list(dpo.dpo(policy, ref, pairs, dpo.DPOConfig(steps=20, lr=0.003)))
    assert events[-1]["type"] == "done" and events[-1]["accuracy"] > 0.8 and events[-1]["margin"] > 0
    assert events[0]["loss"] == pytest.approx(math.log(2), abs=0.02)  # measured before the first update's effect

    def mean_len(m):
        return np.mean([len(r) for r in sft.sample_after(m, [tok.bos], 200, 1.0, seed=123)])

    assert mean_len(policy) < mean_len(ref) - 1.0
    pol_names = [tok.decode(r) for r in sft.sample_after(policy, [tok.bos], 100, 1.0, seed=7)]
    assert dpo.kl_estimate(policy, ref, pol_names) > 0
    assert dpo.kl_estimate(ref, ref, pol_names) == 0
