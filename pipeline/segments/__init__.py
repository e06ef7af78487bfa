"""Segments: the guide's four kinds of complaining customer, per customer over the analysis window.

Builds `customer_segments` (one row per customer) from `interactions`, `interaction_outcomes` and
`interaction_touchpoints`, through the temporary `int_segment_contacts` and the kept
`int_customer_windows` (which can also count a second window, the report's previous period's, in
the same pass), with
thresholds and the recommended handling (en, ms) from data/reference/scoring.yaml, loaded as
`ref_segments`. Runs after map and score.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import load_table, run_sql
from pipeline.errors import UserError
from pipeline.outcomes import as_of
from pipeline.reference import Reference, Scoring, load_reference

_SQL = Path(__file__).parent

_REF_SEGMENTS = pa.schema(
    [
        ("segment_id", pa.string()),
        ("position", pa.int32()),
        ("language", pa.string()),
        ("label", pa.string()),
        ("handling", pa.string()),
    ]
)

# SQL parameter prefix per segment, for its thresholds ($hater_min_dissatisfied, ...).
_PARAM_PREFIX = {
    "active_hater": "hater",
    "once_loyal_now_upset": "loyal",
    "extreme_critic": "critic",
    "still_passionate": "passionate",
    "other": "other",
}


def install_segments_reference(con: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    """Load the segment labels and handling into `ref_segments` (replacing it)."""
    rows = [
        {
            "segment_id": s.id,
            "position": pos,
            "language": lang,
            "label": s.labels.get(lang),
            "handling": s.handling.get(lang),
        }
        for pos, s in enumerate(ref.scoring.segments, start=1)
        for lang in sorted(set(s.labels) | set(s.handling))
    ]
    load_table(con, _SQL, "ref_segments", _REF_SEGMENTS, rows)


def analysis_window(
    con: duckdb.DuckDBPyConnection, cfg: RunConfig, scoring: Scoring
) -> tuple[datetime, datetime, datetime]:
    """(from, to, recent_from), naive UTC, both ends inclusive.

    To: the end of cfg.period_to's day, else the as-of time. From: cfg.period_from, else
    `analysis_window.days` before the end. Recent: `recent_days` before the end.
    """
    end = period_bound("period_to", cfg.period_to, end=True) or as_of(con, cfg, scoring)
    start = period_bound("period_from", cfg.period_from, end=False) or end - timedelta(
        days=scoring.window_days
    )
    if start > end:
        raise UserError(f"period_from: {cfg.period_from} is after the window's end {end:%Y-%m-%d}")
    return start, end, end - timedelta(days=scoring.recent_days)


def period_bound(name: str, value: str | None, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"{name}: {value!r} is not an ISO date or time") from None
    if t.tzinfo is not None:
        raise UserError(f"{name}: {value!r}: give the time in UTC without an offset")
    if end and len(value) == 10:  # a date: up to the end of that day
        t = datetime.combine(t.date(), time.max)
    return t


def build_segments(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> dict[str, Any]:
    """Build `customer_segments`; return customers per segment and the window used."""
    with segment_contacts(con, [cfg]):
        return segments_from_contacts(con, cfg)


@contextmanager
def segment_contacts(con: duckdb.DuckDBPyConnection, cfgs: Sequence[RunConfig]) -> Iterator[None]:
    """`int_segment_contacts` (temporary) over the span of every cfg's analysis window, for the
    block: the one join of interactions and outcomes that customer_segments reads, shared by
    several windows (the report's period and the one before). Dropped after the block; on an
    error the caller's rollback removes it."""
    scoring = load_reference(cfgs[0].reference_dir).scoring
    windows = [analysis_window(con, cfg, scoring) for cfg in cfgs]
    span = {"contacts_from": min(w[0] for w in windows),
            "contacts_to": max(w[1] for w in windows)}
    models.build(con, "int_segment_contacts", span)
    yield
    con.execute("drop table int_segment_contacts").fetchall()


def segments_from_contacts(
    con: duckdb.DuckDBPyConnection, cfg: RunConfig, previous: RunConfig | None = None
) -> dict[str, Any]:
    """build_segments inside a `segment_contacts` block that covers cfg's window (and previous's).

    With `previous`, the same pass also counts customers per segment over previous's window
    (result["previous_segments"]); customer_segments holds cfg's window only."""
    ref = load_reference(cfg.reference_dir)
    install_segments_reference(con, ref)
    params = segment_params(con, cfg, previous)
    models.build(con, "int_customer_windows", params)
    models.build(con, "customer_segments", params)
    per_segment = _per_segment(con, previous=False)
    result: dict[str, Any] = {
        "customers": sum(per_segment.values()),
        "segments": per_segment,
        "window_from": params["window_from"],
        "window_to": params["window_to"],
    }
    if previous:
        result["previous_segments"] = _per_segment(con, previous=True)
    return result


def segment_params(con: duckdb.DuckDBPyConnection, cfg: RunConfig,
                   previous: RunConfig | None = None) -> dict[str, Any]:
    """The parameters customer_segments is built with: cfg's analysis window (and previous's)
    and every segment's thresholds from scoring.yaml."""
    scoring = load_reference(cfg.reference_dir).scoring
    start, end, recent_from = analysis_window(con, cfg, scoring)
    before = analysis_window(con, previous, scoring) if previous else (None, None, None)
    params: dict[str, Any] = {
        "window_from": start,
        "window_to": end,
        "recent_from": recent_from,
        "previous_window_from": before[0],
        "previous_window_to": before[1],
        "previous_recent_from": before[2],
        # int_segment_contacts' span: both windows (segment_contacts)
        "contacts_from": min(start, before[0] or start),
        "contacts_to": max(end, before[1] or end),
    }
    for s in scoring.segments:
        for name, value in s.thresholds.items():
            params[f"{_PARAM_PREFIX[s.id]}_{name}"] = value
    return params


def previous_segments(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Customers per segment over the previous window of the last segments_from_contacts."""
    return _per_segment(con, previous=True)


def _per_segment(con: duckdb.DuckDBPyConnection, previous: bool) -> dict[str, int]:
    rows = run_sql(con, _SQL / "queries", "summary", {"previous": previous})
    return {r["segment_id"]: int(r["customers"]) for r in rows}
