"""A reward model learned from pairwise preferences (Bradley-Terry), on names.

People find it easier to say which of two answers is better than to give an
answer a score. A reward model turns such choices into a score: it gives
each answer x a number r(x) and models the chance that a person prefers a
over b as

    P(a preferred to b) = sigmoid(r(a) - r(b))           (Bradley & Terry 1952)

It is trained by maximising the likelihood of the choices actually made,
i.e. minimising  L(w) = mean over pairs of -log sigmoid(r(chosen) - r(rejected))
+ (l2/2)|w|^2.  InstructGPT's reward model uses this same loss on a
transformer's output (Ouyang et al. 2022, "Training language models to
follow instructions with human feedback", eq. 1).

Here the answers are names the tiny GPT invented and r is linear in a few
features a learner can read: r(x) = w . phi(x). The gradient is

    dL/dw = -mean sigmoid(-(w . d)) d + l2 w,     d = phi(chosen) - phi(rejected)

and training is plain full-batch Adam (optim.py). Held-out accuracy comes
from k-fold cross-validation: every pair is predicted by a model fitted
without it. Scripted judges ("prefers shorter names") stand in for a person
in tests: their preference is the truth the reward model must recover.

Left out: ties, a neural reward model, several raters who disagree.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from glasslm.engine.autograd.optim import Adam
from glasslm.engine.data import name_data

VOWELS = set("aeiou")
RARE = set("fjpqvxz")  # the seven least frequent letters in the chapter's training names (x q z j v f p)
MAX_NAME_CHARS = 19  # the chapter model's context (20) minus the BOS before the name
MAX_PAIRS = 500  # a learner clicks dozens; 500 keeps cross-validation instant

# (key, short name, what a value of 1 means): the features phi(x), each scaled to about 0..1 so weights compare
FEATURES = (
    ("length", "length / 10", "10 letters (the name's length / 10)"),
    ("vowels", "share of vowels", "all letters vowels (share of a, e, i, o, u)"),
    ("ends_in_vowel", "ends in a vowel", "the name ends in a vowel"),
    ("double_letter", "a doubled letter", "two equal letters in a row (as in 'anna')"),
    ("rare_letter", "a rare letter", "a rare letter (f, j, p, q, v, x, z)"),
    ("real_name", "a real name", "a real name (on a US census list)"),
)


@functools.lru_cache(maxsize=1)
def _census() -> frozenset[str]:
    return frozenset(
        name_data._read_census("dist.female.first")
        + name_data._read_census("dist.male.first")
        + name_data._read_census("dist.all.last")
    )


def check_name(name: str) -> str:
    """The name if it is 1..MAX_NAME_CHARS lowercase letters a-z, else ValueError saying why."""
    if not isinstance(name, str) or not name:
        raise ValueError("a name must be at least one letter")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"a name may have at most {MAX_NAME_CHARS} letters, got {len(name)}")
    bad = sorted({c for c in name if c not in "abcdefghijklmnopqrstuvwxyz"})
    if bad:
        raise ValueError(f"a name may contain only the letters a-z, got {bad[0]!r}")
    return name


def features(name: str) -> np.ndarray:
    """phi(name): (F,) float64, in the order of FEATURES."""
    name = check_name(name)
    return np.array(
        [
            len(name) / 10,
            sum(c in VOWELS for c in name) / len(name),
            float(name[-1] in VOWELS),
            float(any(a == b for a, b in zip(name, name[1:]))),
            float(any(c in RARE for c in name)),
            float(name in _census()),
        ]
    )


def differences(pairs) -> np.ndarray:
    """d = phi(chosen) - phi(rejected) for each (chosen, rejected) pair: (P, F)."""
    if not pairs:
        raise ValueError("no preference pairs: pick the better of two names a few times first")
    return np.array([features(c) - features(r) for c, r in pairs])


def bt_loss(w: np.ndarray, d: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
    """The Bradley-Terry loss and its gradient: -mean log sigmoid(d w) + l2/2 |w|^2."""
    m = d @ w  # (P,) reward margins r(chosen) - r(rejected)
    loss = float(np.mean(np.logaddexp(0.0, -m)) + 0.5 * l2 * (w @ w))  # -log sigmoid(m) = log(1 + e^-m)
    s = 0.5 * (1.0 - np.tanh(0.5 * m))  # sigmoid(-m), stable for any m
    grad = -(s[:, None] * d).mean(axis=0) + l2 * w  # (F,)
    return loss, grad


@dataclass(frozen=True)
class RewardConfig:
    steps: int = 300  # full-batch Adam steps: the loss is convex, it has settled by then
    lr: float = 0.1  # Adam's step on weights of order 1
    l2: float = 0.01  # keeps weights finite when the choices are perfectly separable
    folds: int = 5  # cross-validation folds for held-out accuracy

    def validate(self) -> "RewardConfig":
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= 10_000:
            raise ValueError(f"steps must be a whole number from 1 to 10,000, got {self.steps!r}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            raise ValueError(f"lr must be above 0 and at most 10, got {self.lr!r}")
        if not (math.isfinite(self.l2) and 0 <= self.l2 <= 100):
            raise ValueError(f"l2 must be from 0 to 100, got {self.l2!r}")
        if isinstance(self.folds, bool) or not isinstance(self.folds, int) or not 2 <= self.folds <= 20:
            raise ValueError(f"folds must be a whole number from 2 to 20, got {self.folds!r}")
        return self


@dataclass
class RewardModel:
    """Weights w over FEATURES; reward(name) = w . phi(name)."""

    w: np.ndarray  # (F,)
    curve: list[float]  # training loss per step

    def reward(self, name: str) -> float:
        return float(features(name) @ self.w)

    def prob_prefers(self, a: str, b: str) -> float:
        """P(a preferred to b) under the model."""
        return float(1.0 / (1.0 + math.exp(-(self.reward(a) - self.reward(b)))))


def fit(pairs, config: RewardConfig | None = None) -> RewardModel:
    """Train the reward model on (chosen, rejected) pairs by full-batch Adam from w = 0."""
    cfg = (config or RewardConfig()).validate()
    if len(pairs) > MAX_PAIRS:
        raise ValueError(f"{len(pairs)} pairs is more than the limit of {MAX_PAIRS}")
    d = differences(pairs)  # (P, F)
    w = np.zeros(d.shape[1])
    opt = Adam([w], cfg.lr)
    curve = []
    for _ in range(cfg.steps):
        loss, grad = bt_loss(w, d, cfg.l2)
        curve.append(loss)
        opt.step([grad])
    return RewardModel(w=w, curve=curve)


def accuracy(model: RewardModel, pairs) -> float:
    """Share of pairs whose chosen name gets the higher reward (a tie counts half)."""
    m = differences(pairs) @ model.w  # (P,)
    return float(np.mean((m > 0) + 0.5 * (m == 0)))


def cross_validated_accuracy(pairs, config: RewardConfig | None = None) -> float | None:
    """Accuracy on held-out pairs: pair i is in fold i % folds and judged by a model fitted on the others.

    None with fewer pairs than folds (nothing meaningful to hold out).
    """
    cfg = (config or RewardConfig()).validate()
    pairs = list(pairs)
    if len(pairs) < cfg.folds:
        return None
    right = 0.0
    for k in range(cfg.folds):
        train = [p for i, p in enumerate(pairs) if i % cfg.folds != k]
        test = [p for i, p in enumerate(pairs) if i % cfg.folds == k]
        right += accuracy(fit(train, cfg), test) * len(test)
    return right / len(pairs)


# ------------------------------------------------------------------ scripted judges


def _shorter(a: str, b: str) -> int:
    return (len(a) < len(b)) - (len(a) > len(b))


def _ends_in_vowel(a: str, b: str) -> int:
    return int(a[-1] in VOWELS) - int(b[-1] in VOWELS)


def _real(a: str, b: str) -> int:
    return int(a in _census()) - int(b in _census())


# name -> (description, compare(a, b): +1 prefers a, -1 prefers b, 0 no preference)
JUDGES = {
    "shorter": ("prefers the shorter name", _shorter),
    "ends_in_vowel": ("prefers a name that ends in a vowel", _ends_in_vowel),
    "real_name": ("prefers a real name (on a census list)", _real),
}


def judge(kind: str, a: str, b: str) -> int:
    """A scripted judge's choice between two names: 1 (a), 2 (b) or 0 (no preference)."""
    if kind not in JUDGES:
        raise ValueError(f"unknown judge {kind!r}: use one of {', '.join(JUDGES)}")
    c = JUDGES[kind][1](check_name(a), check_name(b))
    return 1 if c > 0 else 2 if c < 0 else 0
