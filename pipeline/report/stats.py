"""How sure the report's small numbers are: 95% intervals for shares and for changes.

- A share k of n: the Wilson score interval, (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n),
  as the marts' retention intervals compute it.
- A change of a share between two periods (p1 - p0): Newcombe's hybrid score interval (method 10
  of Newcombe 1998) from the two Wilson intervals:
      lower = d - sqrt((p1 - l1)² + (u0 - p0)²),  upper = d + sqrt((u1 - p1)² + (p0 - l0)²).
- A change of net delight (% delighted - % dissatisfied, both of the same contacts): not a single
  proportion, so a normal (Wald) interval of the difference of the two periods' values, each with
  the multinomial variance (pd + ps - (pd - ps)²) / n; in points.
A change is clear only when its interval excludes zero (change_mark).
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the two-sided 95% normal quantile


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n, as shares 0-1; None when n is 0."""
    if n <= 0:
        return None
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    den = 1 + z * z / n
    return max((centre - half) / den, 0.0), min((centre + half) / den, 1.0)


def newcombe(
    k1: int, n1: int, k0: int, n0: int, z: float = Z95
) -> tuple[float, float, float] | None:
    """The change k1/n1 - k0/n0 (now minus before) and its 95% interval, shares -1..1."""
    w1, w0 = wilson(k1, n1, z), wilson(k0, n0, z)
    if w1 is None or w0 is None:
        return None
    p1, p0 = k1 / n1, k0 / n0
    (l1, u1), (l0, u0) = w1, w0
    d = p1 - p0
    return (
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2),
    )


def net_delight_change(
    delighted1: int, dissatisfied1: int, n1: int,
    delighted0: int, dissatisfied0: int, n0: int,
    z: float = Z95,
) -> tuple[float, float, float] | None:
    """The change of net delight (now minus before), in points, and its 95% Wald interval."""
    if n1 <= 0 or n0 <= 0:
        return None

    def value_var(d: int, s: int, n: int) -> tuple[float, float]:
        pd, ps = d / n, s / n
        return pd - ps, (pd + ps - (pd - ps) ** 2) / n

    v1, var1 = value_var(delighted1, dissatisfied1, n1)
    v0, var0 = value_var(delighted0, dissatisfied0, n0)
    diff, half = v1 - v0, z * math.sqrt(var1 + var0)
    return 100 * diff, 100 * (diff - half), 100 * (diff + half)


def change_mark(interval: tuple[float, float, float] | None) -> str | None:
    """`up` / `down` when the interval (change, lower, upper) excludes zero, else None."""
    if interval is None:
        return None
    _, lo, hi = interval
    if lo > 0:
        return "up"
    if hi < 0:
        return "down"
    return None
