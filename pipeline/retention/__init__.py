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
    mart_repeat_purchase       one row per window: share buying again after their first order
    mart_repeat_cohorts        one row per first-order month and window: the same per cohort
    mart_retention_curves      Kaplan-Meier share reordered by day since the index, per group
    mart_retention_at_risk     customers still followed at each tick day, per group

What depends only on a customer's own rows is kept between runs: `int_customer_history` (one
row per customer: contacts, orders, the index contact, orders before and after it),
`mart_complaint_orders` and `int_touchpoint_firsts` (each customer's first scored contact per
touchpoint). A run rebuilds them only for the customers a run since the last build touched
(`retention_scope`: rows loaded, outcomes rescored, interactions mapped, rows up to a later data
end, or a complaint whose window closed since, so that its `followed` moves on); a new catalog,
scoring, SQL or window, or an earlier data end, rebuilds everything.
The other tables are built from those on every run (one row per customer or fewer). The contacts
(interactions with their outcome and touchpoint) are joined once into `int_retention_contacts`, a
temporary table over the customers in scope, dropped within the stage.

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
  (`no_contact`) have no index and no reorder rate; their `reordered` in
  mart_customer_retention is a second order within the primary window after their first.
- Repeat purchase (mart_repeat_purchase, mart_repeat_cohorts; orders alone, so a warehouse with
  no contacts gets it too): a second order strictly after the first, within the window, over
  the customers whose first order is at least the window before data_end.
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

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import install_macros, load_table, run_sql, scalar
from pipeline.errors import UserError
from pipeline.incremental import run_changes, runs_since
from pipeline.outcomes import utc_naive
from pipeline.retention.config import RetentionConfig, load_retention_config
from pipeline.retention.curves import at_risk_table, curve_rows, fit_curves
from pipeline.segments import build_segments, period_bound

_SQL = Path(__file__).parent  # the models (pipeline/models.py lists them)
_QUERIES = _SQL / "queries"  # read-only queries

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
    "mart_repeat_purchase",
    "mart_repeat_cohorts",
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
    con: duckdb.DuckDBPyConnection, cfg: RunConfig, period: Any = None
) -> dict[str, Any]:
    """Build every retention table (TABLES); return the groups' counts and the dates used.

    Runs after map and score (it reads interaction_outcomes and interaction_touchpoints) and
    builds customer_segments itself, for the segment column, unless given `period` (the marts
    stage's pipeline.report.PeriodSegments: the runner built them for the report's period)."""
    rc = load_retention_config(cfg.reference_dir)
    for table in _NEEDS:
        found = con.execute(
            "select count(*) from information_schema.tables where table_name = $t", {"t": table}
        ).fetchall()[0][0]
        if not found:
            raise UserError(
                f"retention needs table {table!r}: run every stage (python -m pipeline run)"
            )
    install_macros(con)  # the marts' Wilson intervals (macros/stats.sql)
    if period is None:
        build_segments(con, cfg)
    end = data_end(con, cfg, rc)
    windows = [
        {"window_days": w, "is_primary": w == rc.primary_window_days} for w in rc.windows_days
    ]
    load_table(con, _SQL, "ref_retention_windows", _WINDOWS, windows)

    primary = rc.primary_window_days
    # one namespace: each model binds the parameters its select names
    params = {
        "data_end": end,
        "window_days": primary,
        "primary_window_days": primary,
        "churn_from": end - timedelta(days=rc.churn_days),
        "min_customers": rc.min_customers,
        "min_effect": rc.min_effect_points,
        "acquisition": rc.costs.acquisition_per_customer,
        "recovery": rc.costs.recovery_per_complaint,
        "cohort_months": rc.cohort_months,
    }
    models.set_run(con, cfg.run_id)
    incremental = _open_scope(con, cfg, params)
    # the contacts the kept tables are built from, joined once (a temporary table); then the
    # kept tables, only the customers in scope on an incremental run
    models.build(con, "int_retention_contacts", params)
    for table in _KEPT:
        models.build(con, table, params, full=not incremental, as_of=end)
    _close_scope(con)
    # the marts, from the kept tables, on every run (and the repeat purchases after the first
    # order: the figures a warehouse with orders only gets)
    models.build_all(con, _MARTS, params)

    durations = run_sql(con, _QUERIES, "retention_durations")
    ticks = list(range(0, rc.curve_days + 1, rc.at_risk_every_days))
    curves = fit_curves(durations)
    load_table(con, _SQL, "mart_retention_curves", _CURVES, curve_rows(curves, rc.curve_days))
    at_risk = [
        {"experience": g, "day": t, "at_risk": n}
        for g, per in sorted(at_risk_table(durations, ticks).items())
        for t, n in per.items()
    ]
    load_table(con, _SQL, "mart_retention_at_risk", _AT_RISK, at_risk)

    groups = run_sql(con, _QUERIES, "summary")
    claims = con.execute(
        "select claim_id, verdict from mart_retention_claims order by position"
    ).fetchall()
    return {
        "data_end": end,
        "window_days": primary,
        "incremental": incremental,
        "customers": sum(int(g["customers"]) for g in groups),
        "groups": {g["experience"]: int(g["customers"]) for g in groups},
        "claims": dict(claims),
    }


# Tables kept between runs, rebuilt per customer (see _open_scope); the marts rebuilt from them
# on every run (those the Python code fills in, curves and at-risk counts, aside).
_KEPT = ("int_customer_history", "mart_complaint_orders", "int_touchpoint_firsts")
_MARTS = tuple(m.name for m in models.MODELS
               if m.stage == "retention" and m.materialized == "table"
               and not any(i.startswith("_in_") for i in m.inputs))


def _open_scope(con: duckdb.DuckDBPyConnection, cfg: RunConfig, params: dict[str, Any]) -> bool:
    """Point `retention_interactions` and `retention_orders` at the customers to (re)build: only
    those a run since the last build touched, or whose complaint's window closed since
    (retention_scope.sql), when the kept tables were built from the same inputs to an earlier or
    equal data end by a run on record, else everyone. True: incremental."""
    scope = None
    end = params["data_end"]
    if all(models.is_current(con, table, params) for table in _KEPT):
        _, previous_end, built_by = models.stored(con, _KEPT[0])  # type: ignore[misc]
        runs = runs_since(con, built_by, cfg.run_id)
        if runs is not None and previous_end is not None and previous_end <= end:
            run_changes(con, runs)
            models.build(con, "retention_scope",
                         {"runs": runs, "previous_end": previous_end, "data_end": end})
            con.execute("drop table run_changes").fetchall()
            scope = "where customer_id in (select customer_id from retention_scope)"
            # more than half the customers: one pass over everything costs less
            if 2 * scalar(con, "select count(*) from retention_scope") > scalar(
                con, "select count(*) from int_customer_history"
            ):
                scope = None
    for view, table in (("retention_interactions", "interactions"), ("retention_orders", "orders")):
        con.execute(
            f"create or replace temp view {view} as select * from {table} {scope or ''}"
        ).fetchall()
    return scope is not None


def _close_scope(con: duckdb.DuckDBPyConnection) -> None:
    for statement in (
        "drop table if exists temp.int_retention_contacts",
        "drop table if exists temp.retention_scope",
        "drop view if exists retention_interactions",
        "drop view if exists retention_orders",
    ):
        con.execute(statement).fetchall()
