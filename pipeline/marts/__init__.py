"""Marts: metrics per touchpoint, channel, segment and month, for the report and Parquet export.

Builds `int_interaction_facts` (one narrow row per interaction in the report period, and in the
period before when one is given, so both come from one join), `int_period_metrics` (every grain
of both periods at once, each metric defined once), then `int_mart_metrics` and
`int_mart_reasons` for the report period, then one table per mart named in MARTS: each a model
of pipeline/models.py, one select in its SQL file here (read-only queries are in queries/). Runs
after map, score and segments. The intermediate tables stay in the warehouse: the report reads
them, and a run that changes nothing in its periods reuses them all
(pipeline.report.period_segments).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import install_macros, run_sql
from pipeline.segments import period_bound

_QUERIES = Path(__file__).parent / "queries"  # the terminal table; the models are in the registry

# The marts stage's models in registry (build) order: the intermediate tables, then the marts,
# which the report exports as Parquet, one file per table, same name.
_MODELS = tuple(m.name for m in models.MODELS if m.stage == "marts")
_INTERMEDIATE = tuple(n for n in _MODELS if n.startswith("int_"))
MARTS: tuple[str, ...] = tuple(n for n in _MODELS if n.startswith("mart_"))


def build_marts(
    con: duckdb.DuckDBPyConnection,
    cfg: RunConfig,
    previous: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Build the intermediate tables and every mart for cfg's period; return the row count of
    each mart. `previous` (first and last day, ISO): also the facts and int_period_metrics of
    that period (in_period false), from the same join; the marts hold cfg's period only."""
    install_macros(con)  # int_period_metrics' counted_percentile (macros/stats.sql)
    models.build_all(con, _MODELS, marts_params(cfg, previous))
    return {table: _count(con, table) for table in MARTS}


def marts_params(cfg: RunConfig, previous: tuple[str, str] | None = None
                 ) -> dict[str, datetime | None]:
    """The parameters the marts are built with: cfg's period (and the previous one's)."""
    return {
        "period_from": period_bound("period_from", cfg.period_from, end=False),
        "period_to": period_bound("period_to", cfg.period_to, end=True),
        "previous_from": period_bound("previous_from", previous[0], end=False)
        if previous
        else None,
        "previous_to": period_bound("previous_to", previous[1], end=True) if previous else None,
    }


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    # `table` comes from MARTS, a fixed set of names, never from input.
    return con.execute(f'select count(*) from "{table}"').fetchall()[0][0]


def touchpoint_table(con: duckdb.DuckDBPyConnection, lang: str = "en") -> str:
    """mart_touchpoint as plain text for the terminal, with a coverage line under it."""
    exists = con.execute("select count(*) from duckdb_tables() where table_name = "
                         "'mart_touchpoint' and not temporary").fetchall()[0][0]
    if not exists:  # orders only: no interaction has been loaded, so there is no mart
        return "no touchpoint table: no interactions have been loaded"
    rows = [tuple(r.values()) for r in run_sql(con, _QUERIES, "touchpoint_table", {"lang": lang})]
    header = (
        "touchpoint",
        "kind",
        "volume",
        "delighted%",
        "satisfied%",
        "dissatisfied%",
        "net delight",
        "CSAT%",
        "promise kept%",
    )
    body = [
        (name, kind or "", f"{volume:,}", *(_pct(v) for v in rest))
        for name, kind, volume, *rest in rows
    ]
    width = [max(len(str(r[i])) for r in (header, *body)) for i in range(len(header))]

    def line(r: tuple) -> str:
        left = [str(r[i]).ljust(width[i]) for i in range(2)]
        right = [str(r[i]).rjust(width[i]) for i in range(2, len(r))]
        return "  ".join(left + right).rstrip()

    out = [line(header), "  ".join("-" * w for w in width)] + [line(r) for r in body]
    for total in run_sql(con, _QUERIES, "coverage_total"):
        volume, mapped, unmapped, coverage = total.values()
        out.append(
            f"coverage: {mapped:,} of {volume:,} interactions mapped ({_pct(coverage)}%), "
            f"{unmapped:,} unmapped"
        )
    return "\n".join(out)


def _pct(v: float | None) -> str:
    if v is None:
        return "–"
    text = f"{v:.1f}"
    return "0.0" if text == "-0.0" else text  # -0.04 rounds to a sign with no number behind it
