"""Follow-up on last period's actions (issue 16, the loop): what their owners say about them and
whether the KPI each was meant to move did move.

Owners record progress in data/workplan/ (RunConfig.workplan_dir; the pipeline reads it, never
writes it): every *.csv there, in file-name order, is either a status file with the columns
`plan_id,status,note,date` (note and date optional), or a copy of a work-plan CSV
(workplan-<period>.csv) with its `status` column edited. status is one of STATUSES, date
yyyy-mm-dd. The same plan_id given twice: the later date wins (a row without a date is older than
any dated one), then the later file, then the later row. A bad row stops the run before any
stage with one line naming the file, row and field (load_statuses). A plan_id no report issued
is left out with a warning the report prints: a stale id should not stop a run.

The actions followed up are the rows of workplan_actions of the latest earlier report period
(whose end is before this period's start). Each gets its KPI then (as recorded, with its 95%
interval and n) and now (the same touchpoint and KPI in this period), and a verdict decided by
the interval of the change, not by its point estimate (verdict):

  shares (csat, promise_kept, ...)  Wilson score interval of k of n
  net_delight                       Wald interval, var = (pD + pS - (pD - pS)²) / n (one
                                    multinomial sample: delighted and dissatisfied of the same n)
  median_ttr                        distribution-free: the order statistics x(l), x(n+1-l) with
                                    P(Binomial(n, ½) <= l - 1) <= 2.5% (no interval below n = 6)
  change now - then                 MOVER (Newcombe / Zou & Donner) from the two intervals:
      L = d - sqrt((now - now_low)² + (then_high - then)²)
      U = d + sqrt((now_high - now)² + (then - then_low)²)
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.reference_schema import show
from pipeline.report import gather
from pipeline.report.labels import Labels
from pipeline.report.model import FollowUp, ReportData, TouchpointStats, WorkPlanRow
from pipeline.report.playbook import Playbook
from pipeline.report.stats import Z95, wilson
from pipeline.report.workplan import WORKPLAN_COLUMNS, kpi_current, kpi_n

STATUSES = ("open", "in_progress", "done", "dropped")
STATUS_COLUMNS = ("plan_id", "status", "note", "date")
CLOSED = ("done", "dropped")  # never overdue
VERDICTS = ("improved", "no_change", "worse", "unknown")
# KPIs whose lower values are better, when the playbook no longer names the KPI
_LOWER_IS_BETTER = ("dissatisfied_share", "median_ttr")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAN_ID = re.compile(r"^[^/\s]+/[^/\s]+$")


# --- status files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What an owner says about an action: the winning row of the status files."""

    plan_id: str
    status: str
    note: str | None
    date: date | None
    file: str
    row: int


def load_statuses(cfg: RunConfig) -> dict[str, Status]:
    """plan_id -> Status from every *.csv in cfg.workplan_dir (none when the folder is missing).
    Raises UserError on the first bad row; the runner calls it before the warehouse opens."""
    return read_statuses(Path(cfg.workplan_dir))


def read_statuses(folder: Path) -> dict[str, Status]:
    if not folder.exists():
        return {}
    if not folder.is_dir():
        raise UserError(f"{show(folder)}: is a file; the work-plan status folder must be a "
                        "folder of CSV files (status.csv, or edited work-plan CSVs)")
    best: dict[str, tuple[tuple, Status]] = {}
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith((".", "~$")))
    for order, file in enumerate(files):
        suffix = file.suffix.lower()
        if suffix in (".xlsx", ".xls", ".ods"):
            raise UserError(f"{show(file)}: a spreadsheet; the pipeline reads only CSV here: "
                            "save it as CSV (UTF-8) and remove the spreadsheet")
        if suffix != ".csv":
            continue
        for st in _read_file(file):
            key = (st.date or date.min, order, st.row)
            if st.plan_id not in best or key > best[st.plan_id][0]:
                best[st.plan_id] = (key, st)
    return {k: v for k, (_, v) in sorted(best.items())}


def _read_file(file: Path) -> list[Status]:
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{show(file)}: not UTF-8 text; save it as CSV UTF-8 "
                        "(a spreadsheet's 'CSV UTF-8' format)") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)  # spreadsheets in nl, id save with ';'
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows or not any(c.strip() for c in rows[0]):
        return []
    header = [c.strip().lower() for c in rows[0]]
    _check_header(file, header)
    col = {name: i for i, name in enumerate(header)}
    out = []
    for n, cells in enumerate(rows[1:], start=2):  # row 1 is the header, as a spreadsheet counts
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            raise UserError(f"{show(file)}: row {n}: {len(cells)} cells but {len(header)} "
                            "columns in the header; quote a note holding the delimiter")

        def cell(name: str, cells: list[str] = cells) -> str:
            i = col.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        out.append(_status_row(file, n, cell("plan_id"), cell("status"), cell("note"),
                               cell("date")))
    return out


def _check_header(file: Path, header: list[str]) -> None:
    expected = ",".join(STATUS_COLUMNS)
    dup = sorted({h for h in header if header.count(h) > 1 and h})
    if dup:
        raise UserError(f"{show(file)}: row 1: column {dup[0]!r} twice; keep one")
    names = set(header) - {""}
    if not {"plan_id", "status"} <= names:
        raise UserError(f"{show(file)}: row 1: columns {','.join(header)}: not a status file; "
                        f"give the columns {expected} (note and date may stay empty), or drop an "
                        "edited copy of a work-plan CSV here")
    if {"rank", "action_id"} <= names:  # a copy of a work-plan CSV: its columns, note, date
        unknown = sorted(names - set(WORKPLAN_COLUMNS) - {"note", "date"})
        if unknown:
            raise UserError(f"{show(file)}: row 1: unknown column {unknown[0]!r} in a copy of a "
                            "work-plan CSV; edit its status column, and add only note and date "
                            "columns")
        return
    unknown = sorted(names - set(STATUS_COLUMNS))
    if unknown:
        raise UserError(f"{show(file)}: row 1: unknown column {unknown[0]!r}; a status file has "
                        f"the columns {expected} (or is a copy of a work-plan CSV)")


def _status_row(file: Path, n: int, plan_id: str, status: str, note: str,
                day: str) -> Status:
    where = f"{show(file)}: row {n}"
    if not plan_id:
        raise UserError(f"{where}: plan_id: missing; give the action's id as the work-plan CSV "
                        "has it (touchpoint/cause, e.g. delivery/speed_missed)")
    if not _PLAN_ID.match(plan_id):
        raise UserError(f"{where}: plan_id: {plan_id!r} is not an action id; copy it from the "
                        "work-plan CSV's plan_id column (touchpoint/cause, e.g. "
                        "delivery/speed_missed)")
    code = re.sub(r"[\s-]+", "_", status.lower())
    if code not in STATUSES:
        said = f"{status!r} is not a status" if status else "missing"
        raise UserError(f"{where}: status: {said}; write one of {', '.join(STATUSES)}")
    when = None
    if day:
        try:
            when = date.fromisoformat(day) if _ISO_DAY.match(day) else None
        except ValueError:
            when = None
        if when is None:
            raise UserError(f"{where}: date: {day!r} is not a date yyyy-mm-dd; write it like "
                            "2026-04-03, or leave it empty")
    return Status(plan_id, code, note or None, when, file.name, n)


# --- KPI intervals -----------------------------------------------------------------------------


def median_ranks(n: int, z: float = Z95) -> tuple[int, int] | None:
    """The ranks (1-based, ascending) of the distribution-free 95% interval of a median of n
    values: the largest l with P(Binomial(n, ½) <= l - 1) <= 2.5%, and n + 1 - l. None when even
    (x(1), x(n)) covers less than 95% (n < 6). Exact up to n = 1000, the normal
    approximation above."""
    alpha = 2 * (1 - 0.5 * (1 + math.erf(z / math.sqrt(2))))  # 0.05
    if n <= 1000:
        pmf = 0.5**n
        cdf, k = pmf, 0  # cdf = P(B <= k)
        if cdf > alpha / 2:
            return None
        while True:
            pmf *= (n - k) / (k + 1)  # P(B = k + 1)
            if cdf + pmf > alpha / 2:
                break
            cdf += pmf
            k += 1
        low = k + 1
    else:
        low = max(1, math.floor(n / 2 - z * math.sqrt(n) / 2))
    return low, n + 1 - low


def median_ttr_intervals(con: duckdb.DuckDBPyConnection,
                         counts: dict[str, int]) -> dict[str, tuple[float, float]]:
    """touchpoint -> the median resolution time's 95% interval (hours) in the report period,
    from int_interaction_facts; `counts`: the touchpoint's timed contacts (resolved_timed)."""
    asked = [(tp, *r) for tp, n in sorted(counts.items()) if (r := median_ranks(n)) is not None]
    if not asked or not gather.table_exists(con, "int_interaction_facts"):
        return {}
    rows = gather.query(con, "followup_ttr", {
        "touchpoints": [a[0] for a in asked], "lo_ranks": [a[1] for a in asked],
        "hi_ranks": [a[2] for a in asked]})
    return {r["touchpoint_id"]: (float(r["ttr_low"]), float(r["ttr_high"])) for r in rows
            if r["ttr_low"] is not None and r["ttr_high"] is not None}


def share_interval(pct: float | None, n: int | None) -> tuple[float, float] | None:
    """The Wilson 95% interval of a share given in % of n, in %."""
    if pct is None or not n:
        return None
    w = wilson(round(pct * n / 100), n)
    return None if w is None else (100 * w[0], 100 * w[1])


def net_delight_interval(delighted: int, dissatisfied: int,
                         n: int, z: float = Z95) -> tuple[float, float] | None:
    """Net delight's 95% Wald interval in points: delighted and dissatisfied shares of one
    multinomial sample, var = (pD + pS - (pD - pS)²) / n."""
    if n <= 0:
        return None
    pd, ps = delighted / n, dissatisfied / n
    value, half = pd - ps, z * math.sqrt((pd + ps - (pd - ps) ** 2) / n)
    return 100 * max(value - half, -1.0), 100 * min(value + half, 1.0)


@dataclass(frozen=True)
class KpiValue:
    value: float | None
    low: float | None
    high: float | None
    n: int | None


def kpi_value_now(t: TouchpointStats | None, kpi: str,
                  ttr: dict[str, tuple[float, float]]) -> KpiValue:
    """The KPI of a touchpoint in the report period with its 95% interval and n."""
    if t is None or t.metrics.volume == 0:
        return KpiValue(None, None, None, None)
    value = kpi_current(t, kpi)
    if kpi == "median_ttr":
        n = t.metrics.resolved_timed
        ci = ttr.get(t.touchpoint_id)
    elif kpi == "net_delight":
        n = t.metrics.volume
        mix = t.metrics.mix
        ci = net_delight_interval(mix.delighted, mix.dissatisfied, n)
    else:
        n = kpi_n(t, kpi)
        ci = share_interval(value, n)
    if value is None:
        return KpiValue(None, None, None, n)
    return KpiValue(value, *(ci or (None, None)), n)


# --- the verdict -------------------------------------------------------------------------------


def change_interval(now: KpiValue, then: KpiValue) -> tuple[float, float, float] | None:
    """now - then and its MOVER 95% interval; None when either side lacks a value or interval."""
    values = (now.value, now.low, now.high, then.value, then.low, then.high)
    if any(v is None for v in values):
        return None
    n, nl, nh, t, tl, th = values  # type: ignore[misc]
    d = n - t
    return (d, d - math.sqrt((n - nl) ** 2 + (th - t) ** 2),
            d + math.sqrt((nh - n) ** 2 + (t - tl) ** 2))


def verdict(change: tuple[float, float, float] | None, lower_is_better: bool) -> str:
    """improved / worse when the change's interval excludes zero on that side, else no_change;
    unknown without an interval. Never the point estimate alone."""
    if change is None:
        return "unknown"
    _, low, high = change
    if low > 0:
        return "worse" if lower_is_better else "improved"
    if high < 0:
        return "improved" if lower_is_better else "worse"
    return "no_change"


# --- the follow-up -----------------------------------------------------------------------------


def with_followups(con: duckdb.DuckDBPyConnection, data: ReportData, statuses: dict[str, Status],
                   playbook: Playbook, labels: Labels) -> ReportData:
    """`data` with its work-plan rows' KPI intervals and owners' statuses set, and the earlier
    report's actions followed up (ReportData.followups), before record_actions keeps this
    report's actions."""
    if data.period is None:
        return data
    known = {r[0] for r in con.execute("select distinct plan_id from workplan_actions")
             .fetchall()} | {r.plan_id for r in data.workplan}
    earlier = gather.query(con, "followup_actions", {"period_start": data.period.start})
    by_tp = {t.touchpoint_id: t for t in data.touchpoints}
    ttr_tps = {r.touchpoint_id for r in data.workplan if r.kpi == "median_ttr"}
    ttr_tps |= {r["touchpoint_id"] for r in earlier if r["kpi"] == "median_ttr"}
    ttr = median_ttr_intervals(con, {tp: by_tp[tp].metrics.resolved_timed
                                     for tp in ttr_tps if tp in by_tp})
    plan = [_with_status(_with_interval(r, by_tp, ttr), statuses) for r in data.workplan]
    this_plan = {r.plan_id for r in plan}
    followups = [_follow_up(row, by_tp, ttr, statuses, playbook, labels, data.report_date,
                            this_plan) for row in earlier]
    unknown = sorted(set(statuses) - known)
    return replace(data, workplan=plan, followups=followups, followup_unknown=unknown)


def _with_interval(r: WorkPlanRow, by_tp: dict[str, TouchpointStats],
                   ttr: dict[str, tuple[float, float]]) -> WorkPlanRow:
    now = kpi_value_now(by_tp.get(r.touchpoint_id), r.kpi, ttr)
    return replace(r, kpi_low=now.low, kpi_high=now.high)


def _with_status(r: WorkPlanRow, statuses: dict[str, Status]) -> WorkPlanRow:
    st = statuses.get(r.plan_id)
    return r if st is None else replace(r, status=st.status)


def _follow_up(row: dict[str, Any], by_tp: dict[str, TouchpointStats],
               ttr: dict[str, tuple[float, float]], statuses: dict[str, Status],
               playbook: Playbook, labels: Labels, report_date: date,
               this_plan: set[str]) -> FollowUp:
    kpi = row["kpi"]
    spec = playbook.kpis.get(kpi)
    lower = spec.lower_is_better if spec is not None else kpi in _LOWER_IS_BETTER
    then_low, then_high = row["kpi_low"], row["kpi_high"]
    if then_low is None and kpi not in ("median_ttr", "net_delight"):
        # recorded before intervals were kept: a share's interval follows from its value and n
        then_low, then_high = share_interval(row["kpi_current"], row["kpi_n"]) or (None, None)
    then = KpiValue(row["kpi_current"], then_low, then_high, row["kpi_n"])
    t = by_tp.get(row["touchpoint_id"])
    now = kpi_value_now(t, kpi, ttr)
    change = change_interval(now, then)
    st = statuses.get(row["plan_id"])
    status = st.status if st is not None else "open"
    action = next((a for a in playbook.actions if a.id == row["action_id"]), None)
    return FollowUp(
        plan_id=row["plan_id"],
        touchpoint_id=row["touchpoint_id"],
        touchpoint=t.name if t is not None else row["touchpoint_id"],
        reason=row["reason"],
        action_id=row["action_id"],
        action=action.text(labels.lang) if action is not None else row["action_id"],
        owner=row["owner"],
        priority=row["priority"],
        set_in=row["period"],
        due=row["due"],
        status=status,
        status_note=st.note if st is not None else None,
        status_date=st.date if st is not None else None,
        kpi=kpi,
        kpi_lower_is_better=lower,
        kpi_then=then.value,
        kpi_then_low=then.low,
        kpi_then_high=then.high,
        kpi_then_n=then.n,
        kpi_now=now.value,
        kpi_now_low=now.low,
        kpi_now_high=now.high,
        kpi_now_n=now.n,
        verdict=verdict(change, lower),
        overdue=row["due"] is not None and row["due"] < report_date and status not in CLOSED,
        continued=row["plan_id"] in this_plan,
        change=None if change is None else change[0],
        change_low=None if change is None else change[1],
        change_high=None if change is None else change[2],
    )


FOLLOWUP_COLUMNS = (
    "plan_id", "set_in", "priority", "touchpoint_id", "touchpoint", "owner", "reason",
    "action_id", "action", "due", "overdue", "status", "status_note", "status_date", "kpi",
    "kpi_lower_is_better", "kpi_then", "kpi_then_low", "kpi_then_high", "kpi_then_n", "kpi_now",
    "kpi_now_low", "kpi_now_high", "kpi_now_n", "change", "change_low", "change_high", "verdict",
    "continued",
)


def followup_table(rows: list[FollowUp]) -> tuple[list[str], list[list]]:
    """The follow-up for analysts: raw numbers (dot decimals, ISO dates), codes not labels."""
    return list(FOLLOWUP_COLUMNS), [[getattr(f, c) for c in FOLLOWUP_COLUMNS] for f in rows]
