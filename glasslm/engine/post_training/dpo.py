"""Direct Preference Optimization (DPO): moving the tiny GPT toward preferred answers.

RLHF fits a reward model to preference pairs, then trains the policy with
reinforcement learning (PPO) to get high reward without drifting far from a
reference model. Rafailov et al. (2023, "Direct Preference Optimization: Your
Language Model is Secretly a Reward Model", eq. 7) showed the same goal can
be reached with one classification-style loss on the pairs themselves:

    L = -log sigmoid( beta * [ (log pi(y_w) - log ref(y_w)) - (log pi(y_l) - log ref(y_l)) ] )

y_w is the chosen answer, y_l the rejected one, pi the model being trained,
ref a frozen copy of where it started, and log pi(y) the *sequence*
log-probability: the sum of log p over the answer's tokens (here the name's
letters and the end token, given BOS). beta sets how far pi may move from
ref. The bracket scaled by beta is the difference of **implicit rewards**
r(y) = beta * (log pi(y) - log ref(y)); DPO raises the chosen answer's
implicit reward above the rejected one's.

What this file adds over tensor.py: two ops with hand-written backwards, the
per-sequence log-probability and the DPO loss, so that the model's ordinary
backward pass delivers DPO's gradient (checked against finite differences
in tests/engine/test_dpo.py), and the training loop. Left out: the prompt
(every answer starts from BOS), IPO/KTO variants, label smoothing.

Shapes: S sequences (2P: P chosen, then P rejected), T time, N = S*T rows, V vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd.optim import Adam
from glasslm.engine.autograd.tensor import Tensor
from glasslm.engine.basics.sampling import log_softmax
from glasslm.engine.models.tiny.gpt import TinyGPT
from glasslm.engine.post_training.sft import Example, masked_batch

MAX_PAIRS = 500  # preference pairs per DPO run: full-batch steps stay well under a second


def sequence_logprob(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Sum of log softmax(logits)[target] over each sequence's counted targets: (S,).

    logits (N, V) for S sequences of T positions; targets (S, T), -1 = not counted.
    Backward: d log p[t] / d logits = onehot(t) - softmax, scaled by the sequence's upstream gradient.
    """
    S, T = targets.shape
    z = logits.data  # (N, V)
    t = targets.reshape(-1)  # (N,)
    keep = t >= 0
    logp = log_softmax(z)  # (N, V)
    row_lp = np.where(keep, logp[np.arange(len(t)), np.where(keep, t, 0)], 0.0)  # (N,)
    out = row_lp.reshape(S, T).sum(axis=1)  # (S,)

    def backward(g):  # g (S,)
        per_row = np.repeat(g, T) * keep  # (N,) each row's sequence gradient, 0 where not counted
        d = -np.exp(logp) * per_row[:, None]  # (N, V)
        d[np.nonzero(keep)[0], t[keep]] += per_row[keep]
        logits.add_grad(d)

    return Tensor(out, (logits,), backward)


def dpo_loss(policy_lp: Tensor, ref_lp: np.ndarray, beta: float) -> Tensor:
    """Mean DPO loss over P pairs; policy_lp and ref_lp are (2P,): chosen first, then rejected."""
    P = len(ref_lp) // 2
    pol, ref = policy_lp.data, np.asarray(ref_lp)
    h = beta * ((pol[:P] - ref[:P]) - (pol[P:] - ref[P:]))  # (P,) implicit reward margins
    loss = float(np.mean(np.logaddexp(0.0, -h)))  # -log sigmoid(h)
    s = 0.5 * (1.0 - np.tanh(0.5 * h))  # sigmoid(-h)

    def backward(g):
        coef = float(g) * beta * s / P  # (P,)
        policy_lp.add_grad(np.concatenate([-coef, coef]))

    return Tensor(np.array(loss), (policy_lp,), backward)


def pair_batch(tok, pairs, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y (2P, T) for the answers: chosen names first, then rejected; every name follows BOS."""
    names = [c for c, _ in pairs] + [r for _, r in pairs]
    return masked_batch(tok, [Example("", n) for n in names], block_size)


def logprobs(model: TinyGPT, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sequence log-probabilities (S,) without keeping gradients."""
    logits, _ = model.forward(x)
    return sequence_logprob(logits, y).data


def loss_and_grad(
    policy: TinyGPT, x: np.ndarray, y: np.ndarray, ref_lp: np.ndarray, beta: float
) -> tuple[float, np.ndarray]:
    """DPO loss and the implicit reward margins (P,); the gradient lands in policy.params.flat_grad."""
    policy.params.zero_grad()
    logits, _ = policy.forward(x)
    lp = sequence_logprob(logits, y)
    loss = dpo_loss(lp, ref_lp, beta)
    loss.backward()
    P = len(ref_lp) // 2
    margins = beta * ((lp.data[:P] - ref_lp[:P]) - (lp.data[P:] - ref_lp[P:]))
    return float(loss.data), margins


@dataclass(frozen=True)
class DPOConfig:
    beta: float = 0.1  # Rafailov et al.'s usual value: the policy may move, but not far from ref
    steps: int = 25  # full-batch steps over the learner's pairs: a clear shift, short of collapse
    lr: float = 0.001  # Adam; at 0.003 and 60 steps "prefers shorter" collapsed to empty names

    def validate(self) -> "DPOConfig":
        if not (isinstance(self.beta, (int, float)) and math.isfinite(self.beta) and 0 < self.beta <= 10):
            raise ValueError(f"beta must be above 0 and at most 10, got {self.beta!r}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= 2_000:
            raise ValueError(f"steps must be a whole number from 1 to 2,000, got {self.steps!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise ValueError(f"lr must be above 0 and at most 1, got {self.lr!r}")
        return self


def dpo(policy: TinyGPT, reference: TinyGPT, pairs, config: DPOConfig | None = None):
    """Train `policy` in place on (chosen, rejected) name pairs; `reference` stays frozen.

    Yields {"type": "step", step, loss, margin (mean implicit reward margin),
    accuracy (share of pairs whose chosen name has the higher implicit reward)}.
    """
    cfg = (config or DPOConfig()).validate()
    pairs = list(pairs)
    if not pairs:
        raise ValueError("no preference pairs: pick the better of two names a few times first")
    if len(pairs) > MAX_PAIRS:
        raise ValueError(f"{len(pairs)} pairs is more than the limit of {MAX_PAIRS}")
    x, y = pair_batch(policy.tokenizer, pairs, policy.config.block_size)
    ref_lp = logprobs(reference, x, y)  # (2P,) computed once: the reference never changes
    opt = Adam([policy.params.flat], cfg.lr, 0.9, 0.99)
    for step in range(cfg.steps):
        loss, margins = loss_and_grad(policy, x, y, ref_lp, cfg.beta)
        if not math.isfinite(loss):
            raise ValueError(f"the DPO loss became {loss} at step {step + 1}: lower the learning rate")
        opt.step([policy.params.flat_grad])
        yield {
            "type": "step",
            "step": step + 1,
            "loss": loss,
            "margin": float(margins.mean()),
            "accuracy": float(np.mean(margins > 0)),
        }
    _, margins = loss_and_grad(policy, x, y, ref_lp, cfg.beta)  # after the last update
    yield {"type": "done", "step": cfg.steps, "margin": float(margins.mean()), "accuracy": float(np.mean(margins > 0))}


def kl_estimate(policy: TinyGPT, reference: TinyGPT, names: list[str]) -> float:
    """Monte-Carlo KL(policy || reference) in nats per name: mean of log pi(y) - log ref(y) over
    names y sampled from the policy. How far DPO has moved the model (beta's leash)."""
    if not names:
        raise ValueError("no names to measure: sample some from the policy first")
    x, y = masked_batch(policy.tokenizer, [Example("", n) for n in names], block_size=policy.config.block_size)
    return float(np.mean(logprobs(policy, x, y) - logprobs(reference, x, y)))
