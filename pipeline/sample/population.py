"""The customers and the calendar: random-draw and local-time helpers, the population with its
hidden types, the months of the window (and the order history before it), the volume plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pipeline.sample.parameters import (
    _EPOCH,
    DAY,
    LANG_WEIGHTS,
    LOCAL_OFFSET,
    ORDER_HISTORY_MONTHS,
    ORDINARY,
    SOURCE_SHARES,
    STORE_P,
    TOPIC_WEIGHTS,
    TYPE_ACTIVITY,
    TYPE_SHARES,
    TYPES,
)

# --- small helpers ----------------------------------------------------------------------------


def _cum(p: Sequence[float]) -> np.ndarray:
    c = np.cumsum(np.asarray(p, dtype=float))
    return c / c[-1]


def _categorical(rng: np.random.Generator, p: Sequence[float], n: int) -> np.ndarray:
    """n draws from one categorical distribution."""
    cum = _cum(p)
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _categorical_rows(rng: np.random.Generator, cum_rows: np.ndarray) -> np.ndarray:
    """One draw per row from that row's cumulative distribution (n x k)."""
    u = rng.random(len(cum_rows))
    return (u[:, None] >= cum_rows[:, :-1]).sum(axis=1)


def _local_midnight(t: np.ndarray) -> np.ndarray:
    return (t + LOCAL_OFFSET) // DAY * DAY - LOCAL_OFFSET


def _midnight_utc(d: date) -> int:
    """UTC seconds of local midnight starting day d."""
    return (d - _EPOCH).days * DAY - LOCAL_OFFSET


# --- the population -------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """One entry per customer (index i has id C{i+1:06d})."""

    ctype: np.ndarray
    lang: np.ndarray
    activity: np.ndarray
    order_rate: np.ndarray  # orders per 30 days before any complaint
    favourite: np.ndarray  # (n, 2) topic indexes
    store: np.ndarray
    sender_no: np.ndarray  # letters register sender reference number

    @property
    def size(self) -> int:
        return len(self.ctype)


def population(rng: np.random.Generator, n: int) -> Population:
    counts = np.floor(np.asarray(TYPE_SHARES) * n).astype(np.int64)
    counts[ORDINARY] = n - counts.sum() + counts[ORDINARY]
    ctype = rng.permutation(np.repeat(np.arange(len(TYPES)), counts))
    return Population(
        ctype=ctype,
        lang=_categorical(rng, LANG_WEIGHTS, n),
        activity=rng.lognormal(0.0, 0.8, n) * TYPE_ACTIVITY[ctype],
        order_rate=rng.gamma(2.0, 0.35, n),
        favourite=_categorical(rng, TOPIC_WEIGHTS, 2 * n).reshape(n, 2),
        store=_categorical(rng, STORE_P, n),
        sender_no=rng.permutation(n) + 1,
    )


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    index: int  # 0 = first month of the interaction window; negative = order history
    start: int  # UTC seconds of local midnight on the 1st
    stop: int  # exclusive

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def calendar(end: date, months: int, history: int = ORDER_HISTORY_MONTHS) -> list[Month]:
    """The months ending with end's month (the last one stops after end), oldest first."""
    stop_day = end + timedelta(days=1)
    out = []
    for back in range(months + history - 1, -1, -1):
        y, m = divmod(end.year * 12 + end.month - 1 - back, 12)
        first = date(y, m + 1, 1)
        nxt = date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
        out.append(
            Month(
                y, m + 1, months - 1 - back, _midnight_utc(first), _midnight_utc(min(nxt, stop_day))
            )
        )
    return out


def volume_plan(total: int, window: Sequence[Month]) -> dict[str, list[int]]:
    """Interactions per source per month, proportional to the month's length, summing exactly."""
    lengths = np.array([m.stop - m.start for m in window], float)
    cum = np.concatenate([[0.0], np.cumsum(lengths) / lengths.sum()])
    return {
        s: np.diff(np.round(total * share * cum)).astype(int).tolist()
        for s, share in SOURCE_SHARES.items()
    }
