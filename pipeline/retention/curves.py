"""Reorder curves: Kaplan-Meier by complaint-experience group, and how to draw them.

The estimator is statsmodels' (`SurvfuncRight`), fitted on counts per group, day and event that
SQL aggregates (queries/retention_durations.sql), passed as frequency weights: a few hundred rows
per group whatever the number of customers. lifelines would do the same, but it pins pandas below 3,
which this project uses. With frequency weights statsmodels reports a standard error of the
cumulative hazard, not of the survival probability, so the intervals use Greenwood's variance
of log S from the fit's own risk sets and event counts, on the log(-log) scale.

`draw_reorder_curves` is shared by the report's chart and the retention notebook.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from statsmodels.duration.survfunc import SurvfuncRight

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval


@dataclass(frozen=True)
class Curve:
    """One group's cumulative share reordered, as steps: the value holds from `days[i]` on."""

    experience: str
    days: tuple[int, ...]
    at_risk: tuple[int, ...]  # customers followed and not yet reordered just before that day
    events: tuple[int, ...]  # first reorders on that day
    reordered_pct: tuple[float, ...]
    ci_low: tuple[float | None, ...]
    ci_high: tuple[float | None, ...]


def fit_curves(rows: Iterable[Mapping[str, Any]]) -> dict[str, Curve]:
    """Kaplan-Meier per group from rows of (experience, day, event, customers)."""
    groups: dict[str, list[tuple[int, bool, int]]] = {}
    for r in rows:
        groups.setdefault(r["experience"], []).append(
            (int(r["day"]), bool(r["event"]), int(r["customers"]))
        )
    return {g: _fit(g, data) for g, data in sorted(groups.items())}


def _fit(experience: str, data: list[tuple[int, bool, int]]) -> Curve:
    time = np.array([d for d, _, _ in data], dtype=float)
    status = np.array([e for _, e, _ in data], dtype=float)
    weight = np.array([w for _, _, w in data], dtype=float)
    days, at_risk, events = [0], [int(weight.sum())], [0]
    pct: list[float] = [0.0]
    lo: list[float | None] = [0.0]
    hi: list[float | None] = [0.0]
    if status.any():
        sf = SurvfuncRight(time, status, freq_weights=weight)
        n = np.asarray(sf.n_risk, dtype=float)
        d = np.asarray(sf.n_events, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Greenwood: var(log S(t)) = sum over event days up to t of d / (n (n - d))
            var_log = np.cumsum(np.where(n > d, d / (n * (n - d)), np.inf))
        for t, s, v, n_t, d_t in zip(sf.surv_times, sf.surv_prob, var_log, n, d, strict=True):
            s_lo, s_hi = _loglog_interval(float(s), float(v))
            days.append(int(t))
            at_risk.append(round(float(n_t)))
            events.append(round(float(d_t)))
            pct.append(100.0 * (1.0 - float(s)))
            lo.append(None if s_hi is None else 100.0 * (1.0 - s_hi))
            hi.append(None if s_lo is None else 100.0 * (1.0 - s_lo))
    return Curve(
        experience, tuple(days), tuple(at_risk), tuple(events), tuple(pct), tuple(lo), tuple(hi)
    )


def _loglog_interval(s: float, var_log: float) -> tuple[float | None, float | None]:
    """Pointwise 95% interval of a survival probability S from var(log S), on the log(-log)
    scale (the bounds stay within 0-1); None where it cannot be computed (S = 0)."""
    if s >= 1.0:
        return 1.0, 1.0
    if s <= 0.0 or not math.isfinite(var_log):
        return None, None
    w = Z95 * math.sqrt(var_log) / abs(math.log(s))
    return s ** math.exp(w), s ** math.exp(-w)


def at_risk_table(
    rows: Iterable[Mapping[str, Any]], ticks: Sequence[int]
) -> dict[str, dict[int, int]]:
    """Per group, customers still followed and not yet reordered at the start of each tick day."""
    out: dict[str, dict[int, int]] = {}
    for r in rows:
        per = out.setdefault(r["experience"], dict.fromkeys(ticks, 0))
        for t in ticks:
            if int(r["day"]) >= t:
                per[t] += int(r["customers"])
    return out


def curve_rows(curves: Mapping[str, Curve], horizon: int) -> list[dict[str, Any]]:
    """The curves as table rows, up to `horizon` days."""
    return [
        {
            "experience": c.experience,
            "day": d,
            "at_risk": n,
            "events": e,
            "reordered_pct": p,
            "ci_low": lo,
            "ci_high": hi,
        }
        for c in curves.values()
        for d, n, e, p, lo, hi in zip(
            c.days, c.at_risk, c.events, c.reordered_pct, c.ci_low, c.ci_high, strict=True
        )
        if d <= horizon
    ]


def curves_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, Curve]:
    """Curves back from mart_retention_curves rows (ordered by group and day)."""
    by: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["experience"], []).append(r)
    return {
        g: Curve(
            g,
            tuple(int(r["day"]) for r in rs),
            tuple(int(r["at_risk"]) for r in rs),
            tuple(int(r["events"]) for r in rs),
            tuple(float(r["reordered_pct"]) for r in rs),
            tuple(r["ci_low"] for r in rs),
            tuple(r["ci_high"] for r in rs),
        )
        for g, rs in by.items()
    }


# line styles that stay apart in grey print, in the report's group order
_STYLES = (
    {"color": "#7f7f7f", "linestyle": "-", "linewidth": 2.2},
    {"color": "#1f4e79", "linestyle": "-", "linewidth": 1.6},
    {"color": "#2e75b6", "linestyle": "--", "linewidth": 1.4},
    {"color": "#c55a11", "linestyle": "-.", "linewidth": 1.4},
    {"color": "#000000", "linestyle": ":", "linewidth": 1.8},
    {"color": "#a5a5a5", "linestyle": (0, (5, 1, 1, 1)), "linewidth": 1.2},
)


def draw_reorder_curves(
    ax: Any,
    curves: Mapping[str, Curve],
    at_risk: Mapping[str, Mapping[int, int]],
    names: Mapping[str, str],
    horizon: int,
    order: Sequence[str] = (),
    bands: bool = True,
    fmt_int: Any = lambda n: f"{n:,}",
    at_risk_label: str = "At risk",
) -> None:
    """Step curves of the share reordered since the index, with 95% bands, and the numbers at
    risk printed in rows under the axis (one row per group, one column per tick day)."""
    rank = {g: i for i, g in enumerate(order)}
    groups = sorted(curves, key=lambda g: (rank.get(g, len(rank)), g))
    for i, g in enumerate(groups):
        c = curves[g]
        keep = [k for k, d in enumerate(c.days) if d <= horizon]
        xs = [c.days[k] for k in keep] + [horizon]
        ys = [c.reordered_pct[k] for k in keep]
        ys.append(ys[-1])
        style = _STYLES[i % len(_STYLES)]
        ax.step(xs, ys, where="post", label=names.get(g, g), **style)
        if bands:
            lo = [c.ci_low[k] for k in keep]
            hi = [c.ci_high[k] for k in keep]
            lo.append(lo[-1])
            hi.append(hi[-1])
            ok = [a is not None and b is not None for a, b in zip(lo, hi, strict=True)]
            ax.fill_between(
                xs,
                [a if a is not None else np.nan for a in lo],
                [b if b is not None else np.nan for b in hi],
                where=ok,
                step="post",
                color=style["color"],
                alpha=0.12,
                linewidth=0,
            )
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 100)
    ticks = sorted({t for per in at_risk.values() for t in per if t <= horizon})
    if ticks:
        ax.set_xticks(ticks)
    # the numbers at risk, aligned with the ticks, in rows under the axis label (offsets in
    # points, so the rows keep their spacing whatever the figure's size); the group names sit
    # left of the axis, clear of the first column
    trans = ax.get_xaxis_transform()  # x in data, y in axes fraction
    top, step = -34.0, 11.0

    def row(x: float, y: float, text: str, coords: Any, **kw: Any) -> None:
        ax.annotate(
            text,
            (x, 0),
            xycoords=coords,
            xytext=(0, y),
            textcoords="offset points",
            va="top",
            fontsize="small",
            annotation_clip=False,
            **kw,
        )

    row(-0.04, top, at_risk_label, ax.transAxes, ha="right", fontweight="bold")
    for i, g in enumerate(groups):
        y = top - step * (i + 1)
        row(-0.04, y, names.get(g, g), ax.transAxes, ha="right")
        for t in ticks:
            row(t, y, fmt_int(at_risk.get(g, {}).get(t, 0)), trans, ha="center")
