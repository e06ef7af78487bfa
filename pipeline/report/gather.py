"""Read the report's figures from the warehouse: the marts as they stand, plus the ingest ledger.

Each query is a .sql file in queries/, run with bound parameters. Figures are taken from
the marts unchanged (the report prints what the marts say); the overall row is summed from
mart_touchpoint's counts, since every interaction has exactly one touchpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline import models
from pipeline.db import install_macros
from pipeline.report.model import (
    ChannelSpeed,
    Coverage,
    FailedExpectation,
    Metrics,
    Mix,
    MonthMix,
    PhraseCount,
    Quality,
    QuarantineReason,
    ReasonCount,
    RepeatCohort,
    RepeatPurchase,
    RepeatWindow,
    RetentionRow,
    SourceQuality,
    TouchpointStats,
)
from pipeline.report.stats import wilson
from pipeline.vocabulary import OUTCOMES

_QUERIES = Path(__file__).parent / "queries"


def query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Run queries/<name>.sql; every row as a dict (fully fetched, as DuckDB 2 wants)."""
    cur = con.execute((_QUERIES / f"{name}.sql").read_text(encoding="utf-8"), params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    rows = con.execute(
        "select count(*) from information_schema.tables where table_name = $t", {"t": table}
    ).fetchall()
    return rows[0][0] > 0


def metrics(row: dict[str, Any]) -> Metrics:
    """A mart row (mart_touchpoint, mart_channel, mart_month, ...) as Metrics."""
    return Metrics(
        mix=Mix(*(int(row[o] or 0) for o in OUTCOMES)),
        pct={o: row[f"pct_{o}"] for o in OUTCOMES},
        net_delight=row["net_delight"],
        rated=int(row["rated"] or 0),
        csat_pct=row["csat_pct"],
        promises=int(row["promises"] or 0),
        promise_kept_pct=row["promise_kept_pct"],
        resolved_timed=int(row["resolved_timed"] or 0),
        median_ttr_hours=row["median_ttr_hours"],
        fcr_known=int(row["fcr_known"] or 0),
        fcr_pct=row["fcr_pct"],
        phrase_interactions=int(row["phrase_interactions"] or 0),
        from_customer=row.get("from_customer"),
        from_handling=row.get("from_handling"),
    )


def overall(touchpoints: list[TouchpointStats]) -> Metrics:
    """The period as a whole, from the touchpoint rows' counts (each contact has one touchpoint)."""
    mix = Mix(*(sum(t.metrics.mix.count(o) for t in touchpoints) for o in OUTCOMES))
    volume = mix.volume

    def share(part: float, whole: float) -> float | None:
        return 100.0 * part / whole if whole else None

    rated = sum(t.metrics.rated for t in touchpoints)
    # csat_pct = 100 * rated_4_or_5 / rated, so the count comes back exactly after rounding
    rated_high = sum(round((t.metrics.csat_pct or 0) * t.metrics.rated / 100) for t in touchpoints)
    promises = sum(t.metrics.promises for t in touchpoints)
    kept = sum(
        round((t.metrics.promise_kept_pct or 0) * t.metrics.promises / 100) for t in touchpoints
    )
    return Metrics(
        mix=mix,
        pct={o: share(mix.count(o), volume) for o in OUTCOMES},
        net_delight=share(mix.delighted - mix.dissatisfied, volume),
        rated=rated,
        csat_pct=share(rated_high, rated),
        promises=promises,
        promise_kept_pct=share(kept, promises),
        phrase_interactions=sum(t.metrics.phrase_interactions for t in touchpoints),
        from_customer=sum(t.metrics.from_customer or 0 for t in touchpoints),
        from_handling=sum(t.metrics.from_handling or 0 for t in touchpoints),
    )


def expected_hours(con: duckdb.DuckDBPyConnection) -> None:
    """Build report_expected (temporary; touchpoints() and channels() read it) for the period's
    facts; drop it with drop_expected_hours()."""
    install_macros(con)  # counted_percentile (macros/stats.sql)
    models.build(con, "report_expected")


def drop_expected_hours(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop table if exists temp.report_expected").fetchall()


def touchpoints(
    con: duckdb.DuckDBPyConnection,
    lang: str,
    previous: dict[str, tuple] | None,
) -> list[TouchpointStats]:
    """mart_touchpoint in catalog order; `previous`: touchpoint -> (volume, net delight[,
    delighted, dissatisfied]) before (the counts give the change its interval).

    With the retention stage's mart_touchpoint_retention, each touchpoint also gets its reorder
    lift, importance and Kano-like class, and its reorder drop when the drop's 95% interval lies
    above zero: a drop the data cannot tell from none does not set a priority (the P1 rule)."""
    rows = query(con, "touchpoints", {"lang": lang})
    behaviour = touchpoint_retention(con)
    total = sum(int(r["volume"] or 0) for r in rows)
    out = []
    for r in rows:
        prev = None if previous is None else previous.get(r["touchpoint_id"], (0, None, 0, 0))
        b = behaviour.get(r["touchpoint_id"], {})
        drop_sure = b.get("drop_ci_low") is not None and b["drop_ci_low"] > 0
        out.append(
            TouchpointStats(
                touchpoint_id=r["touchpoint_id"],
                name=r["name"],
                kind=r["kind"],
                stage=r["stage"],
                owner=r["owner"],
                position=int(r["position"]),
                metrics=metrics(r),
                volume_share=100.0 * (r["volume"] or 0) / total if total else 0.0,
                median_expected_hours=r["median_expected_hours"],
                prev_volume=None if prev is None else prev[0],
                prev_net_delight=None if prev is None else prev[1],
                prev_delighted=None if prev is None or len(prev) < 4 else prev[2],
                prev_dissatisfied=None if prev is None or len(prev) < 4 else prev[3],
                reorder_drop=b.get("reorder_drop") if drop_sure else None,
                reorder_lift=b.get("reorder_lift"),
                reorder_importance=b.get("importance"),
                kano_class=b.get("kano_class"),
            )
        )
    return out


# The retention stage's per-touchpoint table and the columns the report reads from it.
TOUCHPOINT_RETENTION_TABLE = "mart_touchpoint_retention"
TOUCHPOINT_RETENTION_COLUMNS = (
    "touchpoint_id",
    "reorder_drop",
    "drop_ci_low",
    "reorder_lift",
    "importance",
    "kano_class",
)


def touchpoint_retention(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """touchpoint -> its mart_touchpoint_retention figures; empty until the stage has run."""
    if not table_exists(con, TOUCHPOINT_RETENTION_TABLE):
        return {}
    cols = ", ".join(TOUCHPOINT_RETENTION_COLUMNS)
    cur = con.execute(f"select {cols} from {TOUCHPOINT_RETENTION_TABLE}")
    return {r[0]: dict(zip(TOUCHPOINT_RETENTION_COLUMNS, r, strict=True)) for r in cur.fetchall()}


def previous_snapshot(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, tuple[int, float | None, int, int]], list[MonthMix]]:
    """What the report keeps of the previous period, from int_period_metrics (built with the
    report period's marts): per touchpoint (volume, net delight, delighted, dissatisfied), and
    the months for the trend chart. Its customers per segment come from pipeline.segments
    (previous_segments)."""
    tps = {
        r["touchpoint_id"]: (
            int(r["volume"] or 0),
            r["net_delight"],
            int(r["delighted"] or 0),
            int(r["dissatisfied"] or 0),
        )
        for r in query(con, "previous_touchpoints")
    }
    months = [
        MonthMix(r["month"], metrics(r), in_period=False) for r in query(con, "previous_months")
    ]
    return tps, months


def months(con: duckdb.DuckDBPyConnection) -> list[MonthMix]:
    return [MonthMix(r["month"], metrics(r), in_period=True) for r in query(con, "months")]


def channels(con: duckdb.DuckDBPyConnection) -> list[ChannelSpeed]:
    return [
        ChannelSpeed(r["channel"], metrics(r), r["median_expected_hours"])
        for r in query(con, "channels")
    ]


def reasons(con: duckdb.DuckDBPyConnection, segment_share: float) -> list[ReasonCount]:
    return [
        ReasonCount(
            r["touchpoint_id"],
            r["reason"],
            int(r["interactions"]),
            r["segment"],
            int(r["segment_interactions"]),
        )
        for r in query(con, "reasons", {"segment_share": segment_share})
    ]


def segment_rows(con: duckdb.DuckDBPyConnection, lang: str) -> list[dict[str, Any]]:
    return query(con, "segments", {"lang": lang})


def phrases(con: duckdb.DuckDBPyConnection, lang: str) -> list[PhraseCount]:
    return [
        PhraseCount(
            r["touchpoint_id"],
            r["touchpoint"],
            r["language"],
            r["phrase_id"],
            r["label"],
            r["alternative"],
            int(r["interactions"]),
        )
        for r in query(con, "phrases", {"lang": lang})
    ]


def quality(con: duckdb.DuckDBPyConnection, with_coverage: bool) -> Quality:
    return Quality(
        sources=[
            SourceQuality(
                r["source"],
                int(r["files"]),
                int(r["rows_read"]),
                int(r["staged"]),
                int(r["quarantined"]),
                int(r["duplicates"]),
                int(r["without_customer"]),
                bool(r["dates_declared"]),
            )
            for r in query(con, "quality_sources")
        ],
        quarantine=[
            QuarantineReason(r["source"], r["reason"], int(r["rows"]))
            for r in query(con, "quality_quarantine")
        ],
        expectations=[
            FailedExpectation(
                r["suite"],
                r["expectation"],
                r["column_name"],
                r["severity"],
                None if r["runs"] is None else int(r["runs"]),  # a batch share: no one run
                None if r["unexpected"] is None else int(r["unexpected"]),
            )
            for r in query(con, "quality_expectations")
        ],
        coverage=(
            [
                Coverage(
                    r["source"],
                    int(r["volume"]),
                    int(r["mapped"]),
                    int(r["unmapped"]),
                    r["coverage_pct"],
                )
                for r in query(con, "coverage")
            ]
            if with_coverage
            else []
        ),
    )


# The retention stage's table and the columns the report reads from it (one row per
# complaint-experience group; rates and interval bounds 0-100).
RETENTION_TABLE = "mart_retention"
RETENTION_COLUMNS = ("experience", "customers", "reordered", "reorder_pct", "ci_low", "ci_high")


CURVES_TABLE = "mart_retention_curves"
AT_RISK_TABLE = "mart_retention_at_risk"


def retention(con: duckdb.DuckDBPyConnection) -> list[RetentionRow] | None:
    """Reorder rates by complaint experience, or None until the retention stage has run; with
    each group's reorder curve and numbers at risk when the stage wrote them."""
    if not table_exists(con, RETENTION_TABLE):
        return None
    cols = ", ".join(RETENTION_COLUMNS)
    rows = con.execute(f"select {cols} from {RETENTION_TABLE} order by experience").fetchall()
    curves: dict[str, list[tuple]] = {}
    at_risk: dict[str, list[tuple[int, int]]] = {}
    if table_exists(con, CURVES_TABLE):
        for g, day, pct, lo, hi in con.execute(
            f"select experience, day, reordered_pct, ci_low, ci_high from {CURVES_TABLE} "
            "order by experience, day"
        ).fetchall():
            curves.setdefault(g, []).append((int(day), pct, lo, hi))
    if table_exists(con, AT_RISK_TABLE):
        for g, day, n in con.execute(
            f"select experience, day, at_risk from {AT_RISK_TABLE} order by experience, day"
        ).fetchall():
            at_risk.setdefault(g, []).append((int(day), int(n)))
    return [
        RetentionRow(
            g,
            int(c or 0),
            int(r or 0),
            pct,
            lo,
            hi,
            curve=tuple(curves.get(g, ())),
            at_risk=tuple(at_risk.get(g, ())),
        )
        for g, c, r, pct, lo, hi in rows
    ]


REPEAT_TABLE = "mart_repeat_purchase"
COHORTS_TABLE = "mart_repeat_cohorts"


def orders_loaded(con: duckdb.DuckDBPyConnection) -> int:
    if not table_exists(con, "orders"):
        return 0
    return int(con.execute("select count(*) from orders").fetchall()[0][0])


def staff_texts(con: duckdb.DuckDBPyConnection, period_from: str, period_to: str) -> int:
    """The period's interactions with a staff text (where discouraged phrases are looked for)."""
    rows = query(con, "staff_texts", {"period_from": period_from, "period_to": period_to})
    return int(rows[0]["interactions"])


def repeat_purchase(
    con: duckdb.DuckDBPyConnection, churn_days: int, months: int
) -> RepeatPurchase | None:
    """Repeat purchases after the first order, per window and for the latest `months` first-order
    months, and churn; None until the retention stage has run, or when no customer ordered."""
    if not (table_exists(con, REPEAT_TABLE) and table_exists(con, COHORTS_TABLE)):
        return None
    windows = [
        RepeatWindow(int(r["window_days"]), bool(r["is_primary"]), int(r["customers"]),
                     int(r["followed"]), int(r["repeated"]), r["repeat_pct"], r["ci_low"],
                     r["ci_high"])
        for r in query(con, "repeat_purchase")
    ]
    if not windows or windows[0].customers == 0:
        return None
    cohorts: dict[Any, RepeatCohort] = {}
    for r in query(con, "repeat_cohorts", {"months": months}):
        c = cohorts.setdefault(r["cohort_month"],
                               RepeatCohort(r["cohort_month"], int(r["customers"]), {}))
        c.windows[int(r["window_days"])] = (int(r["followed"]), int(r["repeated"]),
                                            r["repeat_pct"])
    (churn,) = query(con, "repeat_churn")
    known, churned = int(churn["known"]), int(churn["churned"])
    ci = wilson(churned, known)
    return RepeatPurchase(
        windows=windows,
        cohorts=list(cohorts.values()),
        churn_days=churn_days,
        churn_known=known,
        churned=churned,
        churn_pct=100.0 * churned / known if known else None,
        churn_ci=None if ci is None else (100 * ci[0], 100 * ci[1]),
    )
