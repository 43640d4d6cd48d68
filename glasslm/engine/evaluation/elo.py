"""Ratings from pairwise votes: Elo updates, and a Bradley-Terry fit of the same votes.

Arena-style evaluation (Chatbot Arena, Chiang et al. 2024, "Chatbot Arena: An
Open Platform for Evaluating LLMs by Human Preference") shows two anonymous
answers to one prompt and asks which is better. The votes become ratings.

Elo (Elo 1978, "The Rating of Chessplayers, Past and Present"): player A with
rating R_A is expected to score against B

    E_A = 1 / (1 + 10^((R_B - R_A) / 400))

and after a game with score S_A (1 win, 0.5 tie, 0 loss) both move by K
times the surprise:

    R_A' = R_A + K (S_A - E_A),    R_B' = R_B - K (S_A - E_A)

Elo is online: each vote moves the ratings from where the previous ones left
them, so the same votes in another order give other ratings.

Bradley-Terry (Bradley & Terry 1952) fits one strength p_i per player to all
votes at once, P(i beats j) = p_i / (p_i + p_j), by maximum likelihood; the
order of the votes does not matter. Chatbot Arena moved to this fit for its
leaderboard. Here it is solved by the minorise-maximise iteration of Hunter
(2004, "MM algorithms for generalized Bradley-Terry models"):

    p_i <- W_i / sum_j n_ij / (p_i + p_j)

(W_i: wins of i, a tie counting half to each; n_ij: games between i and j),
and shown on Elo's scale, R_i = 400 log10 p_i, shifted so the mean is the
starting rating. A player who never won would get p = 0 (rating minus
infinity), so PRIOR_TIES virtual ties between every pair keep the fit finite.

Left out: confidence intervals (bootstrap), style control, ties as their own outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ELO_SCALE = 400.0  # rating points for a 10:1 odds ratio (chess convention)
PRIOR_TIES = 0.5  # virtual tied games per pair in the Bradley-Terry fit: keeps a winless player finite


@dataclass(frozen=True)
class EloConfig:
    k: float = 32.0  # rating points moved by a full surprise; 32 is the classic value for few games
    start: float = 1000.0  # everyone's rating before any vote (only differences matter)


@dataclass(frozen=True)
class Vote:
    a: str
    b: str
    score_a: float  # 1 = a won, 0.5 = tie, 0 = b won


def expected(r_a: float, r_b: float) -> float:
    """E_A: the score A is expected to get against B."""
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / ELO_SCALE))


def update(r_a: float, r_b: float, score_a: float, k: float = EloConfig.k) -> tuple[float, float]:
    """Both ratings after one game in which A scored score_a."""
    if score_a not in (0, 0.5, 1):
        raise ValueError(f"score_a must be 1 (A won), 0.5 (tie) or 0 (B won), got {score_a!r}")
    delta = k * (score_a - expected(r_a, r_b))
    return r_a + delta, r_b - delta


def elo_history(players, votes: list[Vote], cfg: EloConfig = EloConfig()) -> list[dict[str, float]]:
    """The ratings before any vote and after each one: len(votes) + 1 dicts."""
    ratings = {p: cfg.start for p in players}
    history = [dict(ratings)]
    for v in votes:
        for p in (v.a, v.b):
            if p not in ratings:
                raise ValueError(f"unknown player {p!r}: players are {sorted(ratings)}")
        ratings[v.a], ratings[v.b] = update(ratings[v.a], ratings[v.b], v.score_a, cfg.k)
        history.append(dict(ratings))
    return history


def bradley_terry(
    players,
    votes: list[Vote],
    start: float = EloConfig.start,
    prior: float = PRIOR_TIES,
    iters: int = 1000,
    tol: float = 1e-10,
) -> dict[str, float]:
    """Bradley-Terry ratings on the Elo scale (mean = start), fitted to all votes at once."""
    players = list(players)
    index = {p: i for i, p in enumerate(players)}
    P = len(players)
    wins = np.full((P, P), prior / 2)  # (P, P) wins[i, j]: i over j, ties half each; prior ties
    np.fill_diagonal(wins, 0.0)
    for v in votes:
        i, j = index[v.a], index[v.b]
        wins[i, j] += v.score_a
        wins[j, i] += 1 - v.score_a
    games = wins + wins.T  # (P, P) n_ij
    W = wins.sum(axis=1)  # (P,)
    p = np.ones(P)
    for _ in range(iters):
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)  # (P,)
        new = np.where(denom > 0, W / np.where(denom > 0, denom, 1), p)
        new /= math.exp(np.log(new).mean())  # fix the scale: geometric mean 1
        done = np.abs(new - p).max() < tol
        p = new
        if done:
            break
    r = ELO_SCALE * np.log10(p)
    return {pl: float(start + r[i] - r.mean()) for i, pl in enumerate(players)}


def win_counts(players, votes: list[Vote]) -> dict[str, dict[str, float]]:
    """Per player: games, wins (ties half) and the share won."""
    out = {p: {"games": 0, "wins": 0.0} for p in players}
    for v in votes:
        out[v.a]["games"] += 1
        out[v.b]["games"] += 1
        out[v.a]["wins"] += v.score_a
        out[v.b]["wins"] += 1 - v.score_a
    for s in out.values():
        s["share"] = s["wins"] / s["games"] if s["games"] else 0.0
    return out
