"""Rules at their edges: each threshold exactly met, and one step on either side (issue 15).

Each test guards one rule against a one-character change that the rest of the suite let through
(its docstring names the rule and the change). Inputs are tiny and hand-made; expected values
are worked out by hand in the comments.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb
import pytest
from test_ingest import Project
from test_segments import NOW as SEGMENTS_NOW
from test_segments import in_time, late

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.marts import build_marts
from pipeline.outcomes import score_outcomes
from pipeline.report import gather
from pipeline.report.model import Metrics, Mix, TouchpointStats
from pipeline.report.playbook import load_playbook
from pipeline.report.workplan import priority
from pipeline.segments import build_segments
from pipeline.touchpoints import map_touchpoints

# --- CSAT: the share of rated contacts rated 4 or 5 -------------------------------------------


def test_csat_counts_ratings_of_4_and_5_not_3(con, add_interactions):
    """CSAT (int_period_metrics: `rating >= 4`) guards the cut against `rating >= 3`. Web
    feedback rated 3 (just under), 4 (at the cut) and 5: 2 of 3 rated 4 or 5, CSAT 66.67%
    (with the cut at 3 it would read 100%)."""
    add_interactions(*(
        {"interaction_id": f"w{r}", "customer_id": f"C{r}", "source": "survey", "channel": "web",
         "kind": "feedback", "topic": "website", "occurred_at": f"2024-02-1{r} 10:00", "rating": r}
        for r in (3, 4, 5)
    ))  # fmt: skip
    cfg = RunConfig(now=datetime(2024, 3, 1))
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    build_segments(con, cfg)
    build_marts(con, cfg)
    assert con.execute(
        "select rated, csat_pct from mart_touchpoint where touchpoint_id = 'website'"
    ).fetchall() == [(3, pytest.approx(200.0 / 3))]
    assert con.execute(
        "select rated, csat_pct from mart_channel where channel = 'web'"
    ).fetchall() == [(3, pytest.approx(200.0 / 3))]


# --- ingest: rows quarantined with their reason ----------------------------------------------

PROMISE_MAPPING = """
    source: calls
    files: calls/*.csv
    format: csv
    timestamp_formats: ["%Y-%m-%d %H:%M"]
    fields:
      interaction_id: id
      customer_id: cust
      occurred_at: opened
      promised_by: promised
      channel: {value: phone}
      kind: {value: complaint}
"""


def test_a_promise_before_the_contact_opened_is_quarantined(project: Project):
    """Quarantine reason `promised_before_opened` (ingest/stage.py: promised_by < occurred_at)
    guards against the reason being dropped. Promised one minute before opening: quarantined
    with that reason alone; at the opening minute, or one minute after: loaded."""
    project.mapping("calls", PROMISE_MAPPING)
    project.file("calls/c.csv", """
        id,cust,opened,promised
        P1,C1,2026-03-18 10:00,2026-03-18 09:59
        P2,C2,2026-03-18 10:00,2026-03-18 10:00
        P3,C3,2026-03-18 10:00,2026-03-18 10:01
    """)
    (f,) = project.run().ingest.files
    assert (f.rows_read, f.staged, f.quarantined, f.duplicates) == (3, 2, 1, 0)
    assert project.query("select source_row, reasons from quarantine") == [
        (1, ["promised_before_opened"])
    ]
    assert project.query("select interaction_id from interactions order by 1") == [
        ("P2",), ("P3",)
    ]


def test_a_row_the_query_leaves_out_is_quarantined_not_lost(project: Project):
    """Quarantine reason `dropped_by_query` (ingest/__init__.py: primary rows missing from a SQL
    source's result) guards against the reason being dropped. Of three letters the query keeps
    those received on 2026-03-08 or later: L1 (the day before) is quarantined as dropped, L2 (that
    day) and L3 (the day after) load; read 3 = loaded 2 + quarantined 1."""
    project.file("letters/register.csv",
                 "ref,received,cust\nL1,2026-03-07,C1\nL2,2026-03-08,C2\nL3,2026-03-09,C3\n")
    project.mapping("letters", """
        source: letters
        format: sql
        inputs:
          l: {files: letters/register.csv, format: csv}
        query: "select l.* from l where l.received >= '2026-03-08'"
        fields:
          interaction_id: ref
          customer_id: cust
          occurred_at: received
          channel: {value: letter}
    """)
    (f,) = project.run().ingest.files
    assert (f.rows_read, f.staged, f.quarantined, f.duplicates) == (3, 2, 1, 0)
    assert project.query("select source_row, reasons from quarantine") == [
        (1, ["dropped_by_query"])
    ]
    assert project.query("select interaction_id from interactions order by 1") == [
        ("L2",), ("L3",)
    ]


# --- segments: the extreme critic's distinct touchpoints --------------------------------------


def test_an_extreme_critic_complains_about_at_least_five_touchpoints(con, add_interactions):
    """Extreme critic (int_customer_windows: complaint touchpoints >= min_touchpoints, shipped 5)
    guards against `>=` becoming `>`. Three customers, each with 6 complaints (2 late =
    dissatisfied, 4 in time = satisfied: 1/3 dissatisfied, inside 0.2-0.8) spread over 4, 5 and
    6 touchpoints: other, extreme_critic, extreme_critic."""
    topics = ("delivery", "billing", "website", "refund", "packaging", "warranty")
    for cid, spread in (("four", 4), ("five", 5), ("six", 6)):
        on = [topics[i % spread] for i in range(6)]
        add_interactions(
            late(cid, 0, "2024-02-01", on[0]),
            in_time(cid, 1, "2024-03-01", on[1]),
            late(cid, 2, "2024-04-01", on[2]),
            *(in_time(cid, i, f"2024-0{i + 2}-01", on[i]) for i in range(3, 6)),
        )
    cfg = RunConfig(now=SEGMENTS_NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    build_segments(con, cfg)
    assert con.execute(
        "select customer_id, complaints, complaint_touchpoints, dissatisfied, scored, segment "
        "from customer_segments order by complaint_touchpoints"
    ).fetchall() == [
        ("four", 6, 4, 2, 6, "other"),
        ("five", 6, 5, 2, 6, "extreme_critic"),
        ("six", 6, 6, 2, 6, "extreme_critic"),
    ]


# --- report: the P1 rule's reorder drop ------------------------------------------------------


def _touchpoint(reorder_drop: float | None) -> TouchpointStats:
    """100 scored contacts, 20 dissatisfied (Wilson lower bound 13.3%, under P1's 30%), 10% of
    all contacts: P2 on its shares alone (20% >= 15%, 10% >= 2%)."""
    mix = Mix(delighted=40, satisfied=40, dissatisfied=20)
    pct = {"delighted": 40.0, "satisfied": 40.0, "dissatisfied": 20.0, "unscored": 0.0}
    return TouchpointStats("delivery", "Delivery", "physical", "delivery", "Ops", 1,
                           Metrics(mix=mix, pct=pct, net_delight=20.0), volume_share=10.0,
                           reorder_drop=reorder_drop)  # fmt: skip


@pytest.mark.parametrize(("drop", "expected"), [
    (None, "P2"), (9.99, "P2"), (10.0, "P1"), (10.01, "P1"),
])  # fmt: skip
def test_a_reorder_drop_at_the_p1_threshold_is_p1(drop, expected):
    """P1 by reorder drop (workplan.priority: drop / 100 >= p1.min_reorder_drop, shipped 0.10)
    guards against `>=` becoming `>`. A drop of exactly 10 points is P1; 9.99 points is P2 (the
    touchpoint's shares alone); 10.01 is P1."""
    rule = load_playbook(paths.REFERENCE).priority
    assert rule.p1_reorder_drop == 0.10 and rule.small_n <= 100
    assert priority(_touchpoint(drop), rule, None) == expected
    # the same drop on a touchpoint under small_n is never P1
    assert priority(_touchpoint(drop), replace(rule, small_n=101), None) == "P2"


# --- report: the segment behind a reason -----------------------------------------------------


def _facts(con: duckdb.DuckDBPyConnection, segments: list[str]) -> None:
    """int_interaction_facts with one dissatisfied contact per segment given, each with one
    reason, speed_missed, at delivery (only the columns report/queries/reasons.sql reads)."""
    con.execute("""
        create table int_interaction_facts (touchpoint_id varchar, source varchar,
            interaction_id varchar, segment varchar, deciding_reasons varchar[],
            in_period boolean, outcome varchar)""")
    for i, segment in enumerate(segments):
        con.execute(
            "insert into int_interaction_facts values "
            "('delivery', 'callcentre', $id, $segment, ['speed_missed'], true, 'dissatisfied')",
            {"id": f"i{i}", "segment": segment},
        )


@pytest.mark.parametrize(("segments", "expected"), [
    # 2 of 6 = 0.33 < 0.4: other
    (["active_hater"] * 2 + ["extreme_critic", "still_passionate", "other", "other"],
     ("other", 0)),
    # 2 of 5 = 0.4, exactly the share: active_hater
    (["active_hater"] * 2 + ["extreme_critic", "still_passionate", "other"],
     ("active_hater", 2)),
    # 3 of 5 = 0.6: active_hater
    (["active_hater"] * 3 + ["extreme_critic", "other"], ("active_hater", 3)),
])  # fmt: skip
def test_a_reasons_segment_holds_at_least_the_playbook_share(segments, expected):
    """The segment behind a reason (report/queries/reasons.sql: top segment's contacts >=
    segment_share x the reason's, shipped 0.4; both the segment and its count) guards against `>=`
    becoming `>` in either comparison. 2 of 5 contacts is exactly 0.4: the segment and its 2
    contacts."""
    share = load_playbook(paths.REFERENCE).selection.segment_share
    assert share == 0.4
    con = duckdb.connect()
    try:
        _facts(con, segments)
        (r,) = gather.reasons(con, share)
    finally:
        con.close()
    assert (r.touchpoint_id, r.reason, r.interactions) == ("delivery", "speed_missed",
                                                           len(segments))
    assert (r.segment, r.segment_interactions) == expected
