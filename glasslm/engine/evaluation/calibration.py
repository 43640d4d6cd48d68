"""Calibration: does a model's confidence match how often it is right?

Given, for N answers, a confidence c_i in [0, 1] and whether the answer was
correct (y_i in {0, 1}):

- reliability diagram: split [0, 1] into M equal bins; in bin B_m compare
  the mean confidence conf(B_m) with the accuracy acc(B_m) (the share of
  correct answers). A calibrated model's bars sit on the diagonal.
- expected calibration error (Guo, Pleiss, Sun & Weinberger 2017, "On
  Calibration of Modern Neural Networks", eq. 3):

      ECE = sum_m |B_m| / N * |acc(B_m) - conf(B_m)|

  Bins are (lo, hi], except the first, which also holds confidence 0.
- abstaining: answer only when c_i >= threshold; coverage is the share
  answered, selective accuracy the share of those that are right. Sweeping
  the threshold over every distinct confidence gives the coverage-accuracy
  curve (as in selective classification, Geifman & El-Yaniv 2017).

What it leaves out: how the confidences were made (fact_qa.py does that for
SmolLM2), adaptive bins, and recalibration (temperature scaling).
Shapes: N answers, M bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_BINS = 20  # with tens of answers, more bins leave most of them empty


@dataclass(frozen=True)
class Reliability:
    """One reliability diagram: per bin, its range, size, mean confidence and accuracy."""

    edges: np.ndarray  # (M+1,) bin edges from 0 to 1
    counts: np.ndarray  # (M,) answers in each bin
    confidence: np.ndarray  # (M,) mean confidence in each bin (NaN if empty)
    accuracy: np.ndarray  # (M,) share correct in each bin (NaN if empty)
    ece: float  # expected calibration error, 0..1

    def rows(self) -> list[dict]:
        """The bins as JSON-ready dicts (empty bins have None for their means)."""
        out = []
        for m in range(len(self.counts)):
            empty = self.counts[m] == 0
            out.append(
                {
                    "lo": float(self.edges[m]),
                    "hi": float(self.edges[m + 1]),
                    "count": int(self.counts[m]),
                    "confidence": None if empty else float(self.confidence[m]),
                    "accuracy": None if empty else float(self.accuracy[m]),
                }
            )
        return out


def _check(confidence, correct) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(confidence, dtype=np.float64).reshape(-1)  # (N,)
    y = np.asarray(correct, dtype=np.float64).reshape(-1)  # (N,)
    if c.shape != y.shape:
        raise ValueError(f"need one correctness per confidence, got {c.size} confidences and {y.size} answers")
    if c.size == 0:
        raise ValueError("no answers to measure: run at least one question")
    if not np.all(np.isfinite(c)) or c.min() < 0 or c.max() > 1:
        raise ValueError("confidences must be numbers from 0 to 1")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("correctness must be 0 or 1 (or False/True)")
    return c, y


def bin_index(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """(N,) bin of each confidence: bin m holds (m/M, (m+1)/M], bin 0 also holds 0."""
    return np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)


def reliability(confidence, correct, n_bins: int = 10) -> Reliability:
    """Bin the answers by confidence and compare each bin's confidence with its accuracy."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 1 <= n_bins <= MAX_BINS:
        raise ValueError(f"the number of bins must be a whole number from 1 to {MAX_BINS}, got {n_bins!r}")
    c, y = _check(confidence, correct)
    b = bin_index(c, n_bins)  # (N,)
    counts = np.bincount(b, minlength=n_bins)  # (M,)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(b, weights=c, minlength=n_bins) / counts  # (M,) NaN where empty
        acc = np.bincount(b, weights=y, minlength=n_bins) / counts  # (M,)
    gaps = np.where(counts > 0, np.abs(np.nan_to_num(acc) - np.nan_to_num(conf)), 0.0)
    ece = float((counts / c.size * gaps).sum())
    return Reliability(edges=np.linspace(0, 1, n_bins + 1), counts=counts, confidence=conf, accuracy=acc, ece=ece)


def expected_calibration_error(confidence, correct, n_bins: int = 10) -> float:
    """ECE of Guo et al. 2017: the bin-size-weighted mean gap between accuracy and confidence."""
    return reliability(confidence, correct, n_bins).ece


@dataclass(frozen=True)
class Selective:
    """Answering only above a confidence threshold."""

    threshold: float
    answered: int  # answers with confidence >= threshold
    correct: int  # of those, how many are right
    total: int

    @property
    def coverage(self) -> float:
        return self.answered / self.total

    @property
    def accuracy(self) -> float | None:
        """Accuracy on the answered questions (None when nothing is answered)."""
        return self.correct / self.answered if self.answered else None

    def as_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "answered": self.answered,
            "correct": self.correct,
            "abstained": self.total - self.answered,
            "wrong": self.answered - self.correct,
            "total": self.total,
            "coverage": self.coverage,
            "accuracy": self.accuracy,
        }


def abstain(confidence, correct, threshold: float) -> Selective:
    """Answer when confidence >= threshold, abstain otherwise."""
    if not np.isfinite(threshold) or not 0 <= threshold <= 1:
        raise ValueError(f"the threshold must be from 0 to 1, got {threshold!r}")
    c, y = _check(confidence, correct)
    keep = c >= threshold  # (N,)
    return Selective(
        threshold=float(threshold), answered=int(keep.sum()), correct=int(y[keep].sum()), total=int(c.size)
    )


def coverage_curve(confidence, correct) -> list[Selective]:
    """abstain() at threshold 0 and at every distinct confidence, highest coverage first."""
    c, y = _check(confidence, correct)
    thresholds = np.concatenate([[0.0], np.unique(c)])  # ascending
    return [abstain(c, y, float(t)) for t in np.unique(thresholds)]
