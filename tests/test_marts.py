"""Marts against figures computed by hand for eight interactions.

The fixture (phone: 24 h to resolve, e-mail 48 h; as-of = the latest time stamp, 2024-02-20 10:00):

  id  source      channel  topic     cust  when        what happened                   outcome
  d1  callcentre  phone    delivery  A     01-05 10:00 resolved in 4 h, rated 5        delighted
  d2  callcentre  phone    delivery  B     01-10 10:00 resolved in 22 h, rated 4       satisfied
  b1  callcentre  phone    billing   A     01-20 10:00 resolved in 48 h, rated 2;      dissatisfied
                                                       A writes again 5 days later
  b2  helpdesk    email    billing   A     01-25 10:00 resolved in 24 h, "I don't know" dissatisfied
  d3  callcentre  phone    delivery  A     02-10 10:00 still open past its 24 h        dissatisfied
  w1  survey      web      website   C     02-15 10:00 feedback rated 2                dissatisfied
  d4  callcentre  phone    delivery  B     02-18 10:00 resolved in 2 h, then reopened  dissatisfied
  x1  social      social   (none)    -     02-20 10:00 an open inquiry, not yet due    unscored

x1 maps to no touchpoint (unmapped). Every customer is `other` (too few contacts for a pattern).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from pipeline.config import RunConfig
from pipeline.marts import MARTS, build_marts, touchpoint_table
from pipeline.outcomes import score_outcomes
from pipeline.segments import build_segments
from pipeline.touchpoints import map_touchpoints

ROWS = [
    {"interaction_id": "d1", "customer_id": "A", "topic": "delivery",
     "occurred_at": "2024-01-05 10:00", "resolved_at": "2024-01-05 14:00", "rating": 5},
    {"interaction_id": "d2", "customer_id": "B", "topic": "delivery",
     "occurred_at": "2024-01-10 10:00", "resolved_at": "2024-01-11 08:00", "rating": 4},
    {"interaction_id": "b1", "customer_id": "A", "topic": "billing",
     "occurred_at": "2024-01-20 10:00", "resolved_at": "2024-01-22 10:00", "rating": 2},
    {"interaction_id": "b2", "customer_id": "A", "topic": "billing", "source": "helpdesk",
     "channel": "email", "occurred_at": "2024-01-25 10:00", "resolved_at": "2024-01-26 10:00",
     "text": "Sorry, I don't know.", "language": "en", "agent_id": "A7"},
    {"interaction_id": "d3", "customer_id": "A", "topic": "delivery",
     "occurred_at": "2024-02-10 10:00", "status": "in_progress"},
    {"interaction_id": "w1", "customer_id": "C", "topic": "website", "source": "survey",
     "channel": "web", "kind": "feedback", "occurred_at": "2024-02-15 10:00", "rating": 2},
    {"interaction_id": "d4", "customer_id": "B", "topic": "delivery", "status": "reopened",
     "occurred_at": "2024-02-18 10:00", "resolved_at": "2024-02-18 12:00"},
    {"interaction_id": "x1", "source": "social", "channel": "social", "kind": "inquiry",
     "occurred_at": "2024-02-20 10:00"},
]  # fmt: skip

METRICS = (
    "volume delighted satisfied dissatisfied unscored pct_delighted pct_satisfied "
    "pct_dissatisfied pct_unscored net_delight rated csat_pct promises promise_kept_pct "
    "resolved_timed median_ttr_hours p90_ttr_hours fcr_known fcr_pct repeat_known "
    "repeat_contact_pct solved reopen_pct phrase_interactions top_reasons"
).split()


def _metrics(*values: Any) -> dict[str, Any]:
    return dict(zip(METRICS, values, strict=True))


def _build(con: duckdb.DuckDBPyConnection, add_interactions, **period: str) -> dict[str, int]:
    add_interactions(*ROWS)
    cfg = RunConfig(now=datetime(2024, 3, 1), **period)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    build_segments(con, cfg)
    return build_marts(con, cfg)


def _table(con: duckdb.DuckDBPyConnection, name: str, key: tuple[str, ...]) -> dict[Any, dict]:
    cur = con.execute(f"select * from {name}")
    cols = [d[0] for d in cur.description]
    out = {}
    for r in cur.fetchall():
        row = dict(zip(cols, r, strict=True))
        k = tuple(row.pop(c) for c in key)
        out[k[0] if len(k) == 1 else k] = row
    return out


def _approx(row: dict[str, Any]) -> dict[str, Any]:
    return {k: pytest.approx(v) if isinstance(v, float) else v for k, v in row.items()}


@pytest.fixture
def built(con, add_interactions):
    counts = _build(con, add_interactions)
    return con, counts


def test_every_mart_is_built(built):
    con, counts = built
    assert set(counts) == set(MARTS)
    assert counts["mart_touchpoint"] == 19  # 18 catalog touchpoints + unmapped, volume or not
    assert counts["mart_segment"] == 6  # five segments + unsegmented


def test_touchpoint_mart_by_hand(built):
    con, _ = built
    mart = _table(con, "mart_touchpoint", ("touchpoint_id",))
    pick = {k: {m: v[m] for m in METRICS} for k, v in mart.items()}
    assert pick["delivery"] == _approx(_metrics(
        4, 1, 1, 2, 0, 25.0, 25.0, 50.0, 0.0, -25.0,
        2, 100.0,  # rated: d1 5, d2 4
        4, 75.0,  # d1, d2, d4 kept; d3 open past the promise
        3, 4.0, 18.4,  # 2, 4, 22 h: p90 = 4 + 0.8 * 18
        4, 50.0,  # d1, d2 resolved at first contact; d3 open, d4 reopened
        3, 0.0,  # d4's 7 days are not over at as-of
        3, 100.0 / 3,  # solved d1, d2, d4; d4 reopened
        0, ["first_contact_resolution", "rating_exceeded", "rating_met"],
    ))  # fmt: skip
    assert pick["billing"] == _approx(_metrics(
        2, 0, 0, 2, 0, 0.0, 0.0, 100.0, 0.0, -100.0,
        1, 0.0, 2, 50.0, 2, 36.0, 45.6, 2, 50.0, 2, 50.0, 2, 0.0,
        1, ["discouraged_phrase:dont_know", "rating_low", "repeat_contact"],
    ))  # fmt: skip
    assert pick["website"] == _approx(_metrics(
        1, 0, 0, 1, 0, 0.0, 0.0, 100.0, 0.0, -100.0,
        1, 0.0, 0, None, 0, None, None, 0, None, 0, None, 0, None, 0, ["rating_low"],
    ))  # fmt: skip
    assert pick["unmapped"] == _approx(_metrics(
        1, 0, 0, 0, 1, 0.0, 0.0, 0.0, 100.0, 0.0,
        0, None, 0, None, 0, None, None, 0, None, 0, None, 0, None, 0, [],
    ))  # fmt: skip
    assert pick["refund"] == _metrics(
        0, 0, 0, 0, 0, None, None, None, None, None,
        0, None, 0, None, 0, None, None, 0, None, 0, None, 0, None, 0, [],
    )  # fmt: skip
    assert mart["delivery"]["kind"] == "physical"
    assert mart["delivery"]["owner"] == "Logistics"
    assert [k for k, v in sorted(mart.items(), key=lambda kv: kv[1]["position"])][-1] == "unmapped"


def test_channel_and_month_marts_by_hand(built):
    con, _ = built
    channel = _table(con, "mart_channel", ("channel",))
    phone = {m: channel["phone"][m] for m in METRICS[:-1]}
    assert phone == _approx(dict(zip(METRICS[:-1], (
        5, 1, 1, 3, 0, 20.0, 20.0, 60.0, 0.0, -40.0,
        3, 200.0 / 3, 5, 60.0,
        4, 13.0, 40.2,  # 2, 4, 22, 48 h: p90 = 22 + 0.7 * 26
        5, 40.0, 4, 25.0, 4, 25.0, 0,
    ), strict=True)))  # fmt: skip
    assert channel["email"]["promise_kept_pct"] == 100.0
    assert channel["email"]["csat_pct"] is None
    assert sorted(channel) == ["email", "phone", "social", "web"]

    month = _table(con, "mart_month", ("month",))
    assert sorted(month) == [date(2024, 1, 1), date(2024, 2, 1)]
    jan = {m: month[date(2024, 1, 1)][m] for m in METRICS[:-1]}
    assert jan == _approx(dict(zip(METRICS[:-1], (
        4, 1, 1, 2, 0, 25.0, 25.0, 50.0, 0.0, -25.0,
        3, 200.0 / 3, 4, 75.0, 4, 23.0, 40.8, 4, 75.0, 4, 25.0, 4, 0.0, 1,
    ), strict=True)))  # fmt: skip
    feb = {m: month[date(2024, 2, 1)][m] for m in METRICS[:-1]}
    assert feb == _approx(dict(zip(METRICS[:-1], (
        4, 0, 0, 3, 1, 0.0, 0.0, 75.0, 25.0, -75.0,
        1, 0.0, 2, 50.0, 1, 2.0, 2.0, 2, 0.0, 1, 0.0, 1, 100.0, 0,
    ), strict=True)))  # fmt: skip


def test_touchpoint_month_segment_phrase_and_coverage_marts(built):
    con, _ = built
    tm = _table(con, "mart_touchpoint_month", ("touchpoint_id", "month"))
    assert {k: (v["volume"], v["dissatisfied"]) for k, v in tm.items()} == {
        ("billing", date(2024, 1, 1)): (2, 2),
        ("delivery", date(2024, 1, 1)): (2, 0),
        ("delivery", date(2024, 2, 1)): (2, 2),
        ("unmapped", date(2024, 2, 1)): (1, 0),
        ("website", date(2024, 2, 1)): (1, 1),
    }
    seg = _table(con, "mart_segment", ("segment",))
    assert {k: (v["customers"], v["volume"], v["dissatisfied"]) for k, v in seg.items()} == {
        "active_hater": (0, 0, 0),
        "once_loyal_now_upset": (0, 0, 0),
        "extreme_critic": (0, 0, 0),
        "still_passionate": (0, 0, 0),
        "other": (3, 7, 5),
        "unsegmented": (0, 1, 0),
    }
    assert con.execute("select * from mart_phrases").fetchall() == [
        ("billing", "en", "dont_know", 1, 1, 50.0)
    ]
    assert con.execute("select * from mart_coverage").fetchall() == [
        ("callcentre", 5, 5, 0, 100.0),
        ("helpdesk", 1, 1, 0, 100.0),
        ("social", 1, 0, 1, 0.0),
        ("survey", 1, 1, 0, 100.0),
        ("(all)", 8, 7, 1, 87.5),
    ]
    reasons = con.execute(
        "select reason, outcome, interactions, pct_of_touchpoint, rank "
        "from mart_touchpoint_reasons where touchpoint_id = 'delivery' order by rank"
    ).fetchall()
    assert reasons == [
        ("first_contact_resolution", "satisfied", 1, 25.0, 1),
        ("rating_exceeded", "delighted", 1, 25.0, 2),
        ("rating_met", "satisfied", 1, 25.0, 3),
        ("reopened", "dissatisfied", 1, 25.0, 4),
        ("speed_exceeded", "delighted", 1, 25.0, 5),
        ("speed_met", "satisfied", 1, 25.0, 6),
        ("unresolved_past_promise", "dissatisfied", 1, 25.0, 7),
    ]


def test_shares_add_up_and_net_delight_is_their_difference(built):
    con, _ = built
    for mart in ("mart_touchpoint", "mart_channel", "mart_segment", "mart_month"):
        bad = con.execute(
            f"select count(*) from {mart} where volume > 0 and ("
            "abs(pct_delighted + pct_satisfied + pct_dissatisfied + pct_unscored - 100) > 1e-9 "
            "or abs(net_delight - (pct_delighted - pct_dissatisfied)) > 1e-9 "
            "or delighted + satisfied + dissatisfied + unscored <> volume)"
        ).fetchall()[0][0]
        assert bad == 0, mart
        total = con.execute(f"select sum(volume) from {mart}").fetchall()[0][0]
        assert total == len(ROWS), mart


def test_report_period_limits_the_marts(con, add_interactions):
    _build(con, add_interactions, period_from="2024-02-01", period_to="2024-02-29")
    assert con.execute("select month, volume from mart_month").fetchall() == [(date(2024, 2, 1), 4)]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_one_pass_for_two_periods_equals_two_separate_builds(con, add_interactions):
    """build_marts with the period before: the marts are the period's alone, and the previous
    period's metrics (int_period_metrics, in_period false) are what a build for it gives."""
    feb = RunConfig(now=datetime(2024, 3, 1), period_from="2024-02-01", period_to="2024-02-29")
    _build(con, add_interactions, period_from="2024-01-01", period_to="2024-01-31")
    jan_metrics = _rows(con, "select * from int_mart_metrics where grain <> 'segment'")
    build_marts(con, feb)
    alone = {t: _rows(con, f"select * from {t}") for t in (*MARTS, "int_mart_metrics")}
    build_marts(con, feb, ("2024-01-01", "2024-01-31"))
    assert {t: _rows(con, f"select * from {t}") for t in alone} == alone
    before = _rows(
        con,
        "select * exclude (in_period) from int_period_metrics "
        "where not in_period and grain <> 'segment' order by grain, touchpoint_id, channel, month",
    )
    assert before == jan_metrics and len(before) > 0
    # previous rows carry no segment: the report reads only their touchpoints and months
    assert _rows(con, "select distinct segment from int_interaction_facts where not in_period") == [
        (None,)
    ]
    # kept in the warehouse, not temporary: the report reads them, and may reuse them
    assert _rows(
        con, "select count(*) from duckdb_tables() where table_name like 'int_%' and temporary"
    ) == [(0,)]


def test_touchpoint_table_for_the_terminal(built):
    con, _ = built
    text = touchpoint_table(con)
    lines = text.splitlines()
    assert lines[0].split() == [
        "touchpoint", "kind", "volume", "delighted%", "satisfied%", "dissatisfied%", "net",
        "delight", "CSAT%", "promise", "kept%",
    ]  # fmt: skip
    delivery = next(line for line in lines if line.startswith("Delivery "))
    assert delivery.split() == ["Delivery", "physical", "4", "25.0", "25.0", "50.0", "-25.0",
                                "100.0", "75.0"]  # fmt: skip
    assert next(line for line in lines if line.startswith("Unmapped ")).split()[1:3] == ["1", "0.0"]
    assert lines[-1] == "coverage: 7 of 8 interactions mapped (87.5%), 1 unmapped"
    assert "Penghantaran" in touchpoint_table(con, lang="ms")


def test_every_stage_runs_on_an_empty_warehouse(con):
    cfg = RunConfig(now=datetime(2024, 3, 1))
    assert map_touchpoints(con, cfg)["coverage_pct"] is None
    assert score_outcomes(con, cfg)["as_of"] == datetime(2024, 3, 1)
    assert build_segments(con, cfg)["customers"] == 0
    counts = build_marts(con, cfg)
    assert counts["mart_touchpoint"] == 19 and counts["mart_month"] == 0
    assert (
        touchpoint_table(con).splitlines()[-1]
        == "coverage: 0 of 0 interactions mapped (–%), 0 unmapped"
    )
