"""Retention: do customers order again after a complaint, and does how it was handled matter?

Builds, from `interactions`, `interaction_outcomes`, `interaction_touchpoints` and `orders`, with
the settings of data/reference/retention.yaml (loaded as `ref_retention_windows`):

    mart_customer_retention    one row per customer: orders and revenue, the index interaction,
                               experience group, segment, reorders, follow-up, churn
    mart_customer_reorders     one row per customer and reorder window (30 / 90 / 180 days)
    mart_complaint_orders      one row per complaint: orders and revenue in the window around it
    mart_retention_windows     one row per experience group and window: reorder rate, Wilson 95%
    mart_retention_groups      one row per experience group: reorders, spend, churn
    mart_retention             one row per experience group: what the report's section prints
    mart_touchpoint_retention  one row per touchpoint: reorders after delighted / satisfied /
                               dissatisfied contacts, drop and lift, importance, Kano-like class
    mart_retention_claims      one row per claim of the guide, tested: estimate, interval, verdict
    mart_cohort_retention      one row per index month, group and month after: share ordering
    mart_retention_curves      Kaplan-Meier share reordered by day since the index, per group
    mart_retention_at_risk     customers still followed at each tick day, per group

The contacts they read (interactions with their outcome and touchpoint) are joined once into
`int_retention_contacts`, a temporary table dropped at the end of the stage.

Definitions (data/reference/README.md, "Retention"):
- The index interaction, the one a reorder is measured from: a customer's first complaint on
  record. The first, not the last: which complaint is first is known on the day it happens
  (choosing the last would look into the future: a customer who stays tends to complain again,
  so "last complaint long ago" selects those who left), and it leaves the longest follow-up.
  What happens after it, later complaints included, is part of its consequence; `complaints`
  lets an analyst keep to customers with a single one.
- Customers who never complained are measured from a matched pseudo-date: their first
  dissatisfied contact (a problem they kept to themselves: `silent_dissatisfied`), else their
  first contact. Comparing with customers we served but who did not complain, rather than with
  everyone who ever ordered, compares like with like; customers known only from orders
  (`no_contact`) have no index and no reorder rate.
- Experience group: never_complained; complaint_delighted / _satisfied / _dissatisfied (the
  outcome of the index complaint, resolved); unresolved (not resolved by the as-of time);
  complaint_unscored (resolved, no signal to score); no_contact.
- A reorder: an order strictly after the index, within the window (30 / 90 / 180 days).
- Censoring: orders are observed until `data_end`. A customer whose window had not elapsed by
  then is left out of that window's rate (not counted as "did not reorder"); the Kaplan-Meier
  curves use every customer up to their own follow-up.
- Churn: no order in the last `churn_days` before data_end; censored (not churn) when the index,
  or for customers without one the first order, is less than churn_days before data_end.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.outcomes import utc_naive
from pipeline.retention.config import RetentionConfig, load_retention_config
from pipeline.retention.curves import Z95, at_risk_table, curve_rows, fit_curves
from pipeline.segments import build_segments, period_bound
from pipeline.touchpoints import load_table, run_sql

_SQL = Path(__file__).parent

# Complaint-experience groups, in print order (no_contact has no reorder rate).
EXPERIENCES = (
    "never_complained",
    "complaint_delighted",
    "complaint_satisfied",
    "complaint_dissatisfied",
    "unresolved",
    "complaint_unscored",
)

# The tables this stage builds, in build order.
TABLES = (
    "mart_customer_retention",
    "mart_customer_reorders",
    "mart_complaint_orders",
    "mart_retention_windows",
    "mart_retention_groups",
    "mart_retention",
    "mart_touchpoint_retention",
    "mart_retention_claims",
    "mart_cohort_retention",
    "mart_retention_curves",
    "mart_retention_at_risk",
)

# Tables retention needs from earlier stages (ingest, map, score).
_NEEDS = ("interactions", "orders", "interaction_touchpoints", "interaction_outcomes")

_WINDOWS = pa.schema([("window_days", pa.int32()), ("is_primary", pa.bool_())])
_CURVES = pa.schema(
    [
        ("experience", pa.string()),
        ("day", pa.int32()),
        ("at_risk", pa.int64()),
        ("events", pa.int64()),
        ("reordered_pct", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
    ]
)
_AT_RISK = pa.schema([("experience", pa.string()), ("day", pa.int32()), ("at_risk", pa.int64())])


def data_end(con: duckdb.DuckDBPyConnection, cfg: RunConfig, rc: RetentionConfig) -> datetime:
    """The end of the observed orders (naive UTC): retention.yaml's data_end (end of that day),
    else the latest order; never after the run clock or the end of cfg.period_to's day."""
    clock = utc_naive(cfg.now)
    if rc.data_end is not None:
        end = datetime.combine(rc.data_end, time.max)
    else:
        latest = con.execute("select max(ordered_at) from orders").fetchall()[0][0]
        end = latest if latest is not None else clock
    period_to = period_bound("period_to", cfg.period_to, end=True)
    return min(x for x in (end, clock, period_to) if x is not None)


def build_retention(
    con: duckdb.DuckDBPyConnection, cfg: RunConfig, segments: bool = True
) -> dict[str, Any]:
    """Build every retention table (TABLES); return the groups' counts and the dates used.

    Runs after map and score (it reads interaction_outcomes and interaction_touchpoints) and
    builds customer_segments itself, for the segment column, unless `segments` is false (the
    runner has built them for the report's period already)."""
    rc = load_retention_config(cfg.reference_dir)
    for table in _NEEDS:
        found = con.execute(
            "select count(*) from information_schema.tables where table_name = $t", {"t": table}
        ).fetchall()[0][0]
        if not found:
            raise UserError(
                f"retention needs table {table!r}: run every stage (python -m pipeline run)"
            )
    if segments:
        build_segments(con, cfg)
    end = data_end(con, cfg, rc)
    windows = [
        {"window_days": w, "is_primary": w == rc.primary_window_days} for w in rc.windows_days
    ]
    load_table(con, _SQL, "ref_retention_windows", _WINDOWS, windows)

    primary = rc.primary_window_days
    # the contacts every mart below reads, joined once (a temporary table, dropped at the end)
    run_sql(con, _SQL, "int_retention_contacts", {"data_end": end})
    run_sql(
        con,
        _SQL,
        "mart_customer_retention",
        {
            "data_end": end,
            "primary_window_days": primary,
            "churn_from": end - timedelta(days=rc.churn_days),
        },
    )
    run_sql(con, _SQL, "mart_customer_reorders")
    run_sql(con, _SQL, "mart_complaint_orders", {"data_end": end, "window_days": primary})
    run_sql(con, _SQL, "mart_retention_windows", {"z": Z95})
    run_sql(con, _SQL, "mart_retention_groups", {"z": Z95})
    run_sql(con, _SQL, "mart_retention")
    run_sql(
        con,
        _SQL,
        "mart_touchpoint_retention",
        {
            "data_end": end,
            "z": Z95,
            "window_days": primary,
            "min_customers": rc.min_customers,
            "min_effect": rc.min_effect_points,
        },
    )
    con.execute("drop table if exists temp.int_retention_contacts").fetchall()  # read by now
    run_sql(
        con,
        _SQL,
        "mart_retention_claims",
        {
            "z": Z95,
            "window_days": primary,
            "min_customers": rc.min_customers,
            "acquisition": rc.costs.acquisition_per_customer,
            "recovery": rc.costs.recovery_per_complaint,
        },
    )
    run_sql(
        con, _SQL, "mart_cohort_retention", {"data_end": end, "cohort_months": rc.cohort_months}
    )

    durations = run_sql(con, _SQL, "retention_durations")
    ticks = list(range(0, rc.curve_days + 1, rc.at_risk_every_days))
    curves = fit_curves(durations)
    load_table(con, _SQL, "mart_retention_curves", _CURVES, curve_rows(curves, rc.curve_days))
    at_risk = [
        {"experience": g, "day": t, "at_risk": n}
        for g, per in sorted(at_risk_table(durations, ticks).items())
        for t, n in per.items()
    ]
    load_table(con, _SQL, "mart_retention_at_risk", _AT_RISK, at_risk)

    groups = run_sql(con, _SQL, "summary")
    claims = con.execute(
        "select claim_id, verdict from mart_retention_claims order by position"
    ).fetchall()
    return {
        "data_end": end,
        "window_days": primary,
        "customers": sum(int(g["customers"]) for g in groups),
        "groups": {g["experience"]: int(g["customers"]) for g in groups},
        "claims": dict(claims),
    }
