"""The work plan: which touchpoints need action, what to do, who owns it, how urgent, by when.

Quadrants (importance-performance analysis, Martilla & James 1977), over mapped touchpoints with
contacts in the period:
    important   = importance >= the mean importance of those touchpoints, where importance is
                  derived from behaviour once the retention stage has run (the reorder swing:
                  reorder rate after a delighted contact there minus after a dissatisfied one,
                  points; at least two touchpoints must have it, those without it are left off
                  the map), else the share of the period's contacts
    performing  = net delight >= the overall net delight of the period
    concentrate_here = important, not performing    keep_up = important, performing
    low_priority = unimportant, not performing       possible_overkill = unimportant, performing

Priority rule (thresholds in data/reference/playbook.yaml, `priority`; shares of all contacts):
    P1  at least priority.small_n scored contacts (fewer: marked `small n`, never P1), and
        the lower bound of the dissatisfied share's Wilson 95% interval >= p1.min_dissatisfied_share
        and contact share >= p1.min_volume_share (and, with p1.below_overall_net_delight, net
        delight not above the period's overall), or a reorder drop after a dissatisfying contact
        >= p1.min_reorder_drop whose 95% interval lies above zero (once retention runs)
    P2  dissatisfied share >= p2.min_dissatisfied_share and contact share >= p2.min_volume_share
    P3  otherwise
Due date = report date + due_days[priority]. Rows: see the playbook's `selection` comment.
KPI targets are always better than today (kpi_target): the playbook's goal, or one `step` better
than the current value where the goal is already met.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from pipeline.report.labels import Labels
from pipeline.report.model import ReasonCount, TouchpointStats, WorkPlanRow
from pipeline.report.playbook import Kpi, Playbook, PriorityRule


def importance_basis(touchpoints: list[TouchpointStats]) -> str:
    """`reorder` when at least two touchpoints on the map have a behaviour-derived importance
    (one point cannot be above or below an average), else `volume`."""
    known = [t for t in touchpoints if _in_map(t) and t.reorder_importance is not None]
    return "reorder" if len(known) >= 2 else "volume"


def importance(t: TouchpointStats, basis: str) -> float | None:
    """The touchpoint's importance on the map: points of reorder swing, or % of contacts."""
    return t.reorder_importance if basis == "reorder" else t.volume_share


def with_quadrants(
    touchpoints: list[TouchpointStats], overall_net_delight: float | None
) -> list[TouchpointStats]:
    """The touchpoints with `quadrant` set (None for unmapped or silent ones); a new list."""
    basis = importance_basis(touchpoints)
    cut = importance_cut(touchpoints)
    if cut is None or overall_net_delight is None:
        return [replace(t, quadrant=None) for t in touchpoints]
    out = []
    for t in touchpoints:
        q = None
        value = importance(t, basis)
        if _in_map(t) and value is not None:
            important = value >= cut
            performing = t.metrics.net_delight >= overall_net_delight
            q = {
                (True, False): "concentrate_here",
                (True, True): "keep_up",
                (False, False): "low_priority",
                (False, True): "possible_overkill",
            }[(important, performing)]
        out.append(replace(t, quadrant=q))
    return out


def importance_cut(touchpoints: list[TouchpointStats]) -> float | None:
    """The mean importance of the touchpoints on the priority map (its vertical line)."""
    basis = importance_basis(touchpoints)
    values = [importance(t, basis) for t in touchpoints if _in_map(t)]
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _in_map(t: TouchpointStats) -> bool:
    return t.kind is not None and t.metrics.volume > 0 and t.metrics.net_delight is not None


def priority(t: TouchpointStats, rule: PriorityRule, overall_net_delight: float | None) -> str:
    """P1, P2 or P3 by the documented rule (module docstring). P1 asks for certainty: the lower
    bound of the dissatisfied share's Wilson 95% interval at the threshold, at least
    `rule.small_n` scored contacts, and a reorder drop whose interval lies above zero (gather);
    P2 reads the point estimate."""
    dissatisfied = (t.metrics.pct.get("dissatisfied") or 0.0) / 100
    interval = t.dissatisfied_interval
    dissatisfied_low = interval[0] if interval is not None else 0.0
    share = t.volume_share / 100
    small = is_small(t, rule)
    worse = (
        not rule.p1_below_overall
        or overall_net_delight is None
        or (t.metrics.net_delight is not None and t.metrics.net_delight <= overall_net_delight)
    )
    if not small and dissatisfied_low >= rule.p1_dissatisfied and share >= rule.p1_volume and worse:
        return "P1"
    if not small and t.reorder_drop is not None and t.reorder_drop / 100 >= rule.p1_reorder_drop:
        return "P1"
    if dissatisfied >= rule.p2_dissatisfied and share >= rule.p2_volume:
        return "P2"
    return "P3"


def is_small(t: TouchpointStats, rule: PriorityRule) -> bool:
    """Fewer scored contacts than the playbook's `priority.small_n`: marked, never P1."""
    return t.metrics.mix.scored < rule.small_n


def kpi_current(t: TouchpointStats, kpi: str) -> float | None:
    """The KPI's value now: % (0-100), net delight in points, median_ttr in hours."""
    m = t.metrics
    if kpi == "promise_kept":
        return m.promise_kept_pct
    if kpi == "csat":
        return m.csat_pct
    if kpi == "net_delight":
        return m.net_delight
    if kpi == "dissatisfied_share":
        return m.pct.get("dissatisfied")
    if kpi == "first_contact":
        return m.fcr_pct
    if kpi == "phrase_free":
        return 100.0 - 100.0 * m.phrase_interactions / m.volume if m.volume else None
    if kpi == "median_ttr":
        return m.median_ttr_hours
    raise ValueError(f"unknown KPI {kpi!r}")


def kpi_n(t: TouchpointStats, kpi: str) -> int | None:
    """The contacts the KPI's share is of (rated for CSAT, promises for promise kept, ...); None
    for median_ttr, which is not a share."""
    m = t.metrics
    return {
        "promise_kept": m.promises,
        "csat": m.rated,
        "net_delight": m.volume,
        "dissatisfied_share": m.volume,
        "first_contact": m.fcr_known,
        "phrase_free": m.volume,
    }.get(kpi)


def kpi_target(t: TouchpointStats, kpi: Kpi) -> float | None:
    """The next target, always better than today: the playbook's goal while the touchpoint falls
    short of it, else the current value one `step` better (shares and net delight: step x 100
    points, capped at 100, or at 0 for lower-is-better shares; median_ttr: step x the hours)."""
    if kpi.from_channel:
        goal = t.median_expected_hours
    else:
        goal = None if kpi.target is None else 100.0 * kpi.target
    current = kpi_current(t, kpi.id)
    if current is None or goal is None:
        return goal
    if kpi.lower_is_better:
        if current > goal:
            return goal
        if kpi.id == "median_ttr":
            return current * (1.0 - kpi.step)
        return max(current - 100.0 * kpi.step, 0.0)
    if current < goal:
        return goal
    return min(current + 100.0 * kpi.step, 100.0)


def work_plan(
    touchpoints: list[TouchpointStats],
    reasons: list[ReasonCount],
    playbook: Playbook,
    labels: Labels,
    report_date: date,
    overall_net_delight: float | None,
) -> list[WorkPlanRow]:
    """One row per action, sorted by priority, then by the dissatisfied contacts it addresses."""
    sel = playbook.selection
    by_touchpoint: dict[str, list[ReasonCount]] = {}
    for r in reasons:
        by_touchpoint.setdefault(r.touchpoint_id, []).append(r)

    rows: list[tuple[tuple, dict]] = []
    for t in touchpoints:
        m = t.metrics
        if t.kind is None or m.mix.scored < sel.min_scored or m.mix.dissatisfied == 0:
            continue
        pri = priority(t, playbook.priority, overall_net_delight)
        candidates = sorted(
            by_touchpoint.get(t.touchpoint_id, []), key=lambda r: (-r.interactions, r.reason)
        )
        used_actions: set[str] = set()
        for r in candidates:
            if len(used_actions) >= sel.max_actions_per_touchpoint:
                break
            if r.interactions < sel.min_reason_n:
                continue
            if r.interactions < sel.min_reason_share * m.mix.dissatisfied:
                continue
            action = playbook.action_for(r.reason, t.touchpoint_id, t.kind, r.segment)
            # a second reason answered by the same action adds no second row
            if action.id in used_actions:
                continue
            used_actions.add(action.id)
            kpi = playbook.kpis[action.kpi]
            fields = dict(
                priority=pri,
                touchpoint_id=t.touchpoint_id,
                touchpoint=t.name,
                stage=t.stage,
                owner=t.owner or "",
                reason=r.reason,
                reason_interactions=r.interactions,
                dissatisfied=m.mix.dissatisfied,
                delighted=m.mix.delighted,
                satisfied=m.mix.satisfied,
                volume=m.volume,
                dissatisfied_pct=m.pct.get("dissatisfied") or 0.0,
                volume_share=t.volume_share,
                quadrant=t.quadrant,
                segment=r.segment,
                action_id=action.id,
                action=action.text(labels.lang),
                segment_note=playbook.segment_note(r.segment, labels.lang),
                kpi=kpi.id,
                kpi_lower_is_better=kpi.lower_is_better,
                kpi_current=kpi_current(t, kpi.id),  # kpi_target reads it too
                kpi_target=kpi_target(t, kpi),
                kpi_n=kpi_n(t, kpi.id),
                expected_hours=t.median_expected_hours,
                reorder_drop=t.reorder_drop,
                due=report_date + timedelta(days=playbook.due_days[pri]),
                small_n=is_small(t, playbook.priority),
            )
            key = (pri, -r.interactions, t.position, t.touchpoint_id, r.reason)
            rows.append((key, fields))
    rows.sort(key=lambda kv: kv[0])
    return [WorkPlanRow(rank=i, **f) for i, (_, f) in enumerate(rows, start=1)]


def finding(row: WorkPlanRow, labels: Labels) -> str:
    """The evidence in numbers: '38% dissatisfied (412 of 1,084 contacts); 61% of them ...'."""
    f = labels.fmt
    text = labels(
        "workplan.finding_text",
        dissatisfied_share=f.pct(row.dissatisfied_pct),
        dissatisfied=f.int(row.dissatisfied),
        volume=f.int(row.volume),
        reason_share=f.pct(row.reason_share),
        reason=labels.reason(row.reason),
    )
    if row.reorder_drop is not None:
        text += " " + labels("workplan.finding_reorder", drop=f.points(row.reorder_drop, False))
    return text


def expectation(row: WorkPlanRow, labels: Labels) -> str:
    """The standard the customer holds the touchpoint to, with the target."""
    promised = (
        labels.fmt.hours(row.expected_hours)
        if row.expected_hours is not None
        else labels("expectations.no_promise")
    )
    return labels(f"expectations.{row.kpi}", promised=promised)


def kpi_value(kpi: str, value: float | None, labels: Labels) -> str:
    f = labels.fmt
    if kpi == "median_ttr":
        return f.hours(value)
    if kpi == "net_delight":
        return f.signed(value)
    return f.pct(value)


def kpi_gap(row: WorkPlanRow, labels: Labels) -> str:
    """Current against target; negative means short of it (hours for median_ttr, else points)."""
    gap = row.kpi_gap
    if gap is None:
        return labels.fmt.spec["missing"]
    if row.kpi == "median_ttr":
        sign = labels.fmt.spec["minus"] if gap < 0 else "+"
        return sign + labels.fmt.hours(abs(gap))
    return labels.fmt.points(gap)


WORKPLAN_COLUMNS = (
    "rank",
    "plan_id",
    "priority",
    "stage",
    "touchpoint_id",
    "touchpoint",
    "owner",
    "reason",
    "reason_interactions",
    "volume",
    "delighted",
    "satisfied",
    "dissatisfied",
    "dissatisfied_pct",
    "volume_share_pct",
    "quadrant",
    "segment",
    "expectation",
    "kpi",
    "kpi_current",
    "kpi_target",
    "kpi_gap",
    "finding",
    "action_id",
    "action",
    "due",
    "status",
)


def workplan_table(rows: list[WorkPlanRow], labels: Labels) -> tuple[list[str], list[list]]:
    """The work plan for analysts: raw numbers (dot decimals, ISO dates) beside the texts."""
    out = []
    for r in rows:
        action = r.action + (" " + r.segment_note if r.segment_note else "")
        out.append(
            [
                r.rank,
                r.plan_id,
                r.priority,
                r.stage,
                r.touchpoint_id,
                r.touchpoint,
                r.owner,
                r.reason,
                r.reason_interactions,
                r.volume,
                r.delighted,
                r.satisfied,
                r.dissatisfied,
                r.dissatisfied_pct,
                r.volume_share,
                r.quadrant,
                r.segment,
                expectation(r, labels),
                r.kpi,
                r.kpi_current,
                r.kpi_target,
                r.kpi_gap,
                finding(r, labels),
                r.action_id,
                action,
                r.due,
                r.status,
            ]
        )
    return list(WORKPLAN_COLUMNS), out
