"""How sure an accuracy measured on a small set is: the Wilson score interval.

k right out of n is an estimate p̂ = k/n of the true rate p. With n = 24, one more or
one fewer right answer moves p̂ by 4 points, so two techniques a few answers apart may
not differ at all. Wilson (1927, "Probable inference, the law of succession, and
statistical inference") inverts the normal approximation of the binomial test: the
interval holds every p for which k/n is within z standard errors of p,

    centre = (p̂ + z²/2n) / (1 + z²/n)
    half   = z / (1 + z²/n) · sqrt(p̂(1 − p̂)/n + z²/4n²)

Unlike p̂ ± z·sqrt(p̂(1 − p̂)/n) it stays inside [0, 1] and is not zero-wide at
0 of n or n of n, which is exactly where a small model on a small set often lands.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal: a 95 % interval


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """(low, high) of the Wilson score interval for k successes in n trials."""
    if n <= 0:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"k must be from 0 to n = {n}, got {k}")
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
