"""Report: the touchpoint work plan as PDF, with CSV, PNG and Parquet siblings for analysts.

`build_report(con, cfg)` runs last. It settles the period (cfg.period_from / period_to, else the
last complete calendar quarter in the data) and the previous one (the quarter before, or as many
days just before), builds segments and marts for the report period (left in the warehouse, so the
Parquet export and the PDF show the same numbers), the previous period's comparison figures coming
from the same passes (one join, one aggregation for both), reads them into a ReportData, computes
the work plan from the playbook, and writes everything atomically into cfg.reports_dir:

    touchpoint-workplan-<period>.pdf     the document ops teams read
    workplan-<period>.csv                the work plan, one row per action, spreadsheet-safe
    followup-<period>.csv                last period's actions followed up (report.followup)
    <period>/charts/<chart>.png|.csv     each chart and the table it was drawn from
    <period>/marts/<mart>.parquet        every mart (pipeline.marts.MARTS, retention's TABLES)
    <period>/teams/<owner>.pdf|.csv      one plan per owner with actions (pipeline.report.teams)
A language other than English adds its code: touchpoint-workplan-2026-Q3-ms.pdf,
workplan-2026-Q3-ms.csv, 2026-Q3/charts-ms/, 2026-Q3/teams-ms/ (the marts are the same in every
language).

The only clock in the document is cfg.now (the report date): same data, same cfg.now, same PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import install_macros
from pipeline.errors import UserError
from pipeline.incremental import run_changes, runs_since
from pipeline.marts import MARTS, marts_params
from pipeline.period import parse_day
from pipeline.reference import load_reference
from pipeline.report import gather, privacy
from pipeline.report.charts import Chart, build_charts
from pipeline.report.document import render_pdf
from pipeline.report.export import write_bytes, write_csv, write_parquet
from pipeline.report.followup import followup_table, load_statuses, with_followups
from pipeline.report.labels import Labels, load_labels
from pipeline.report.model import Period, RepeatPurchase, ReportData, SegmentCount, quarter_end
from pipeline.report.playbook import Playbook, load_playbook
from pipeline.report.teams import write_team_plans
from pipeline.report.workplan import with_quadrants, work_plan, workplan_table
from pipeline.retention import TABLES as RETENTION_TABLES
from pipeline.retention.config import load_retention_config
from pipeline.segments import (
    analysis_window,
    build_segments,
    install_segments_reference,
    previous_segments,
    segment_contacts,
    segment_params,
    segments_from_contacts,
)

NO_DATA_LABEL = "no-data"
# Tables the report needs from earlier stages (map, score).
_NEEDS = ("interactions", "interaction_touchpoints", "interaction_outcomes")


@dataclass(frozen=True)
class ReportResult:
    period: str  # 2026-Q3, 2026-07-01_2026-08-15, or no-data
    lang: str
    pdf: Path
    workplan_csv: Path
    charts: list[Path] = field(default_factory=list)  # PNG and CSV per chart
    marts: list[Path] = field(default_factory=list)
    actions: int = 0
    empty: bool = False
    teams: list[Path] = field(default_factory=list)  # PDF and CSV per owner with actions
    followup_csv: Path | None = None  # last period's actions followed up
    followups: int = 0
    unknown_statuses: int = 0  # status rows naming a plan_id no report issued

    @property
    def paths(self) -> list[Path]:
        followup = [self.followup_csv] if self.followup_csv else []
        return [self.pdf, self.workplan_csv, *followup, *self.charts, *self.marts,
                *self.teams]


@dataclass(frozen=True)
class PeriodSegments:
    """customer_segments as built (or kept) for a report period (see period_segments)."""

    period: Period | None
    previous: Period | None
    previous_segments: dict[str, int] | None  # customers per segment over previous's window
    kept: bool = False  # the segments, facts and marts of the period stand as an earlier run built


# What the report builds before it reads (kept between runs): the segments, the facts and every
# mart of the period, each a model whose fingerprint says what it was built from.
_KEPT = ("int_customer_windows", "customer_segments", "int_interaction_facts",
         "int_period_metrics", "int_mart_metrics", "int_mart_reasons", *MARTS)


def period_segments(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> PeriodSegments:
    """Settle the report period and build customer_segments over its window (and count the
    previous period's in the same pass), then the facts and every mart for the period and the
    one before: one namespace of parameters for all of them.

    When every one of these tables was built from what it would be built from now (its
    fingerprint: SQL, parameters, inputs) and no run since loaded, rescored or mapped an
    interaction inside the windows they cover, they are kept as they are (a new day after the
    period changes none of them)."""
    period, previous = resolve_period(con, cfg)
    models.set_run(con, cfg.run_id)
    if period is None:  # an empty warehouse: segments over the default window (none)
        build_segments(con, cfg)
        return PeriodSegments(None, None, None)
    periods = [p for p in (previous, period) if p is not None]
    seg_cfgs = [_segments_cfg(cfg, p) for p in periods]
    prev_cfg = seg_cfgs[0] if previous is not None else None
    scoring = load_reference(cfg.reference_dir).scoring
    windows = [analysis_window(con, c, scoring) for c in seg_cfgs]
    span = (min([w[0] for w in windows] + [datetime.combine(periods[0].start, time.min)]),
            max([w[1] for w in windows] + [datetime.combine(period.end, time.max)]))
    period_cfg = replace(cfg, period_from=period.start.isoformat(),
                         period_to=period.end.isoformat())
    params = {
        **segment_params(con, seg_cfgs[-1], prev_cfg),
        **marts_params(period_cfg, None if previous is None
                       else (previous.start.isoformat(), previous.end.isoformat())),
    }
    install_segments_reference(con, load_reference(cfg.reference_dir))
    if _kept(con, cfg, params, span):
        prev = previous_segments(con) if previous is not None else None
        return PeriodSegments(period, previous, prev, kept=True)
    # one join of interactions and outcomes for both periods' segment windows
    with segment_contacts(con, seg_cfgs):
        segs = segments_from_contacts(con, seg_cfgs[-1], prev_cfg)
    install_macros(con)  # int_period_metrics' counted_percentile (macros/stats.sql)
    models.build_all(con, _KEPT[2:], params)
    return PeriodSegments(period, previous, segs.get("previous_segments"))


def _kept(con: duckdb.DuckDBPyConnection, cfg: RunConfig, params: dict,
          span: tuple[datetime, datetime]) -> bool:
    """Every kept table is current, and no run since it was built changed an interaction
    inside `span`."""
    if not all(models.is_current(con, t, params) for t in _KEPT):
        return False
    runs = runs_since(con, models.stored(con, "customer_segments")[2], cfg.run_id)  # type: ignore[index]
    if runs is None:
        return False
    run_changes(con, runs)
    (row,) = gather.query(con, "inputs_changed", {"span_from": span[0], "span_to": span[1]})
    con.execute("drop table run_changes").fetchall()
    return row["changed"] == 0


def build_period_models(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> PeriodSegments:
    """Settle the report period once and build what retention and the report read for it:
    customer_segments over its window (the previous window counted in the same pass), the facts
    and every mart, for the period and the one before (period_segments). The `marts` stage; the
    report and retention run it first, so every stage leaves segments and marts of one period."""
    return period_segments(con, cfg)


def build_report(
    con: duckdb.DuckDBPyConnection, cfg: RunConfig, segments: PeriodSegments | None = None
) -> ReportResult:
    """Write the PDF and its siblings (see module doc) from the period's segments and marts.

    `segments`: what build_period_models returned earlier in the same transaction; without it
    the report builds them first."""
    labels = load_labels(cfg.reference_dir, cfg.lang)
    statuses = load_statuses(cfg)  # owners' progress (data/workplan/), read only
    ref = load_reference(cfg.reference_dir)
    playbook = load_playbook(cfg.reference_dir, tuple(t.id for t in ref.catalog.touchpoints))
    for table in _NEEDS:
        if not gather.table_exists(con, table):
            raise UserError(
                f"the report needs table {table!r}: run every stage (python -m pipeline run)"
            )
    if segments is None:
        segments = build_period_models(con, cfg)
    data = report_data(con, cfg, labels, playbook, segments)
    # before record_actions: the follow-up reads the earlier periods' actions as they stand
    data = with_followups(con, data, statuses, playbook, labels)
    record_actions(con, data, cfg.run_id)
    return write_report(con, data, labels, cfg.reports_dir)


def record_actions(con: duckdb.DuckDBPyConnection, data: ReportData, run_id: str) -> None:
    """Keep the actions this report issues in workplan_actions (one row per period and plan_id),
    replacing the period's earlier ones: the history a follow-up and a notebook read."""
    if data.period is None:
        return
    period = data.period.label
    con.execute("delete from workplan_actions where period = ?", [period]).fetchall()
    rows = [(period, data.period.start, data.period.end, r.plan_id, r.touchpoint_id, r.reason,
             r.action_id, r.priority, r.owner, r.kpi, r.kpi_current, r.kpi_target, r.kpi_n,
             r.due, run_id, r.kpi_low, r.kpi_high) for r in data.workplan]
    if rows:  # columns named: a migrated warehouse has the later ones last
        con.executemany("insert into workplan_actions (period, period_start, period_end, "
                        "plan_id, touchpoint_id, reason, action_id, priority, owner, kpi, "
                        "kpi_current, kpi_target, kpi_n, due, run_id, kpi_low, kpi_high) values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


# Data that ended this long before the run is a historic export: its last quarter is the period.
HISTORIC_DAYS = 92


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def resolve_period(
    con: duckdb.DuckDBPyConnection, cfg: RunConfig
) -> tuple[Period | None, Period | None]:
    """(period, previous). The period is cfg's (--period, --from/--to), or by default the last
    complete quarter in the data (the quarter holding the latest data when no earlier quarter has
    any, or when the data ended more than HISTORIC_DAYS before the run: a historic export, whose
    last quarter will get no more data); previous is None when it holds no interactions.
    (None, None): the warehouse has no interactions and no period was set.
    """
    span = gather.query(con, "data_span")[0]
    last = span["last_at"].date() if span["last_at"] else None
    if cfg.period_all:
        if last is None:
            return None, None
        period = Period(span["first_at"].date(), last)
    elif cfg.period_from or cfg.period_to:
        end = parse_day("--to", cfg.period_to) if cfg.period_to else None
        start = parse_day("--from", cfg.period_from) if cfg.period_from else None
        if start is None:
            start = quarter_start(end)  # type: ignore[arg-type]
        if end is None:
            end = max(last, start) if last else start
        if start > end:
            raise UserError(f"--from {start} is after --to {end}")
        period = Period(start, end)
    elif last is None:
        return None, None
    else:
        q = quarter_start(last)
        if last == quarter_end(q) or (cfg.now.date() - last).days > HISTORIC_DAYS:
            period = Period(q, quarter_end(q))
        else:
            prev_q = quarter_start(q - timedelta(days=1))
            if span["first_at"].date() <= quarter_end(prev_q):
                period = Period(prev_q, quarter_end(prev_q))
            else:  # all the data is in the quarter still running
                period = Period(q, quarter_end(q), partial=True)
    previous = period.previous()
    if _count(con, previous) == 0:
        previous = None
    return period, previous


def _count(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    rows = gather.query(
        con,
        "period_count",
        {"period_from": period.start.isoformat(), "period_to": period.end.isoformat()},
    )
    return int(rows[0]["interactions"])


def _segments_cfg(cfg: RunConfig, period: Period) -> RunConfig:
    """The segments' window: back from the period's end, unless the user set a start."""
    seg_from = period.start.isoformat() if cfg.period_from else None
    return replace(cfg, period_from=seg_from, period_to=period.end.isoformat())


def report_data(
    con: duckdb.DuckDBPyConnection,
    cfg: RunConfig,
    labels: Labels,
    playbook: Playbook,
    segments: PeriodSegments,
) -> ReportData:
    """Everything the document shows, read from the marts build_period_models built for the
    period of `segments` (and the previous one)."""
    period, previous, prev_segs = segments.period, segments.previous, segments.previous_segments
    report_date = cfg.now.date()
    rule = rule_numbers(playbook)
    if period is None:
        return ReportData(
            lang=labels.lang,
            report_date=report_date,
            period=None,
            previous=None,
            sources=[],
            overall=None,
            touchpoints=[],
            reasons=[],
            months=[],
            channels=[],
            workplan=[],
            segments=None,
            retention=gather.retention(con),
            phrases=[],
            quality=gather.quality(con, with_coverage=False),
            rule=rule,
            orders=gather.orders_loaded(con),
            repeat=repeat_purchase(con, cfg),
        )
    prev_tps = None
    prev_months: list = []
    if previous is not None:
        prev_tps, prev_months = gather.previous_snapshot(con)

    gather.expected_hours(con)  # one join for the touchpoint and channel tables
    tps = gather.touchpoints(con, labels.lang, prev_tps)
    channels = gather.channels(con)
    gather.drop_expected_hours(con)
    overall = gather.overall(tps)
    tps = with_quadrants(tps, overall.net_delight)
    reasons = gather.reasons(con, playbook.selection.segment_share)
    quality = gather.quality(con, with_coverage=True)
    segments = [
        SegmentCount(
            r["segment"],
            r["label"],
            r["handling"],
            int(r["customers"]),
            None if prev_segs is None else prev_segs.get(r["segment"], 0),
        )
        for r in gather.segment_rows(con, labels.lang)
    ]
    data = ReportData(
        lang=labels.lang,
        report_date=report_date,
        period=period,
        previous=previous,
        sources=[c.source for c in quality.coverage if c.source != "(all)" and c.volume],
        overall=overall,
        touchpoints=tps,
        reasons=reasons,
        months=prev_months + gather.months(con),
        channels=channels,
        workplan=work_plan(tps, reasons, playbook, labels, report_date, overall.net_delight),
        segments=segments,
        retention=gather.retention(con),
        phrases=gather.phrases(con, labels.lang),
        quality=quality,
        rule=rule,
        examples=privacy.examples(con, labels.lang) if cfg.examples else [],
        loaded=int(gather.query(con, "data_span")[0]["interactions"]),
        orders=gather.orders_loaded(con),
        repeat=repeat_purchase(con, cfg),
        staff_texts=gather.staff_texts(con, period.start.isoformat(), period.end.isoformat()),
    )
    return data


def repeat_purchase(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> RepeatPurchase | None:
    """The retention stage's repeat-purchase figures, with retention.yaml's churn days and
    cohort months; None until the stage has run."""
    if not gather.table_exists(con, gather.REPEAT_TABLE):
        return None
    rc = load_retention_config(cfg.reference_dir)
    return gather.repeat_purchase(con, rc.churn_days, rc.cohort_months)


def rule_numbers(playbook: Playbook) -> dict[str, float]:
    p, s = playbook.priority, playbook.selection
    return {
        "p1_dissatisfied": p.p1_dissatisfied,
        "p1_volume": p.p1_volume,
        "p1_reorder": p.p1_reorder_drop,
        "p1_below_overall": float(p.p1_below_overall),
        "p2_dissatisfied": p.p2_dissatisfied,
        "p2_volume": p.p2_volume,
        "small_n": p.small_n,
        "p1_days": playbook.due_days["P1"],
        "p2_days": playbook.due_days["P2"],
        "p3_days": playbook.due_days["P3"],
        "min_scored": s.min_scored,
        "min_reason_share": s.min_reason_share,
        "min_reason_n": s.min_reason_n,
        "max_actions": s.max_actions_per_touchpoint,
        "act_first": s.act_first,
    }


def write_report(
    con: duckdb.DuckDBPyConnection | None, data: ReportData, labels: Labels, out_dir: Path
) -> ReportResult:
    """Render and write every output; marts are exported when a connection is given."""
    out_dir = Path(out_dir)
    label = data.period.label if data.period else NO_DATA_LABEL
    # English keeps the plain names; another language adds its code, so both can sit side by side
    suffix = "" if labels.lang == "en" else f"-{labels.lang}"
    charts: list[Chart] = [] if data.empty else build_charts(data, labels)
    chart_dir = out_dir / label / f"charts{suffix}"
    pdf = render_pdf(data, labels, charts, chart_folder=f"{label}/charts{suffix}/")
    pdf_path = write_bytes(out_dir / f"touchpoint-workplan-{label}{suffix}.pdf", pdf)
    header, rows = workplan_table(data.workplan, labels)
    csv_path = write_csv(out_dir / f"workplan-{label}{suffix}.csv", header, rows)
    header, rows = followup_table(data.followups)
    followup_path = write_csv(out_dir / f"followup-{label}{suffix}.csv", header, rows)
    # one plan per owner: <period>/teams[-<lang>]/<owner>.pdf|.csv (pipeline.report.teams)
    team_paths = write_team_plans(data, labels, out_dir, pdf_path.name)
    chart_paths: list[Path] = []
    for c in charts:
        if c.png is not None:
            chart_paths.append(write_bytes(chart_dir / f"{c.name}.png", c.png))
        chart_paths.append(write_csv(chart_dir / f"{c.name}.csv", c.header, c.rows))
    mart_paths: list[Path] = []
    if con is not None and data.period is not None:
        for table in (*MARTS, *RETENTION_TABLES):
            if gather.table_exists(con, table):
                mart_paths.append(
                    write_parquet(con, table, out_dir / label / "marts" / f"{table}.parquet")
                )
    return ReportResult(
        period=label,
        lang=labels.lang,
        pdf=pdf_path,
        workplan_csv=csv_path,
        charts=chart_paths,
        marts=mart_paths,
        actions=len(data.workplan),
        empty=data.empty,
        teams=team_paths,
        followup_csv=followup_path,
        followups=len(data.followups),
        unknown_statuses=len(data.followup_unknown),
    )
