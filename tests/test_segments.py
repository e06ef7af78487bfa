"""Customer segments on hand-made histories (shipped thresholds, window 365 days, recent 90).

Each history is built from contacts whose outcome is known: a phone complaint resolved inside
its 24 h promise with a rating of 1 (dissatisfied although the promise was kept), one resolved
late (dissatisfied, the service failed), one resolved in time without rating (satisfied), and
web feedback rated 4 (satisfied) or 5 (delighted).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.outcomes import score_outcomes
from pipeline.segments import build_segments, segment_contacts, segments_from_contacts
from pipeline.touchpoints import map_touchpoints

NOW = datetime(2024, 12, 31)  # the data ends on 2024-12-10: recent from 2024-09-11
TOPICS = ("delivery", "billing", "website", "refund", "packaging", "warranty")


def _complaint(cid: str, n: int, day: str, topic: str, hours: int, rating: int | None = None):
    at = datetime.fromisoformat(day).replace(hour=10)
    return {
        "interaction_id": f"{cid}-{n}",
        "customer_id": cid,
        "topic": topic,
        "occurred_at": at,
        "promised_by": at + timedelta(hours=24),
        "resolved_at": at + timedelta(hours=hours),
        "status": "resolved",
        "rating": rating,
    }


def kept_low(cid: str, n: int, day: str, topic: str = "delivery") -> dict[str, Any]:
    return _complaint(cid, n, day, topic, hours=20, rating=1)


def late(cid: str, n: int, day: str, topic: str = "delivery") -> dict[str, Any]:
    return _complaint(cid, n, day, topic, hours=30)


def in_time(cid: str, n: int, day: str, topic: str = "delivery") -> dict[str, Any]:
    return _complaint(cid, n, day, topic, hours=20)


def feedback(cid: str, n: int, day: str, rating: int) -> dict[str, Any]:
    return {
        "interaction_id": f"{cid}-{n}",
        "customer_id": cid,
        "kind": "feedback",
        "channel": "web",
        "topic": "website",
        "occurred_at": datetime.fromisoformat(day),
        "rating": rating,
    }


HISTORIES = {
    # dissatisfied again and again although every promise was kept
    "hater": [kept_low("hater", i, f"2024-0{i + 2}-01") for i in range(4)],
    # 6 complaints about 6 touchpoints, half of them rated low though kept: fits the critic too,
    # but the hater is tried first
    "hater_and_critic": [
        kept_low("hater_and_critic", 0, "2024-02-01", "delivery"),
        kept_low("hater_and_critic", 1, "2024-03-01", "billing"),
        kept_low("hater_and_critic", 2, "2024-04-01", "website"),
        in_time("hater_and_critic", 3, "2024-05-01", "refund"),
        in_time("hater_and_critic", 4, "2024-06-01", "packaging"),
        in_time("hater_and_critic", 5, "2024-07-01", "warranty"),
    ],
    # rated low twice though kept, but content the three other times they rated a kept promise
    "fair": [kept_low("fair", i, f"2024-0{i + 2}-01", TOPICS[i]) for i in range(2)]
    + [{**in_time("fair", i, f"2024-0{i + 2}-01", TOPICS[i]), "rating": 4} for i in range(2, 5)],
    # 6 complaints about 6 touchpoints, 2 of 6 dissatisfied (the service was late)
    "critic": [
        late("critic", 0, "2024-02-01", "delivery"),
        in_time("critic", 1, "2024-03-01", "billing"),
        late("critic", 2, "2024-04-01", "website"),
        in_time("critic", 3, "2024-05-01", "refund"),
        in_time("critic", 4, "2024-06-01", "packaging"),
        in_time("critic", 5, "2024-07-01", "warranty"),
    ],
    # happy for months, then three recent late complaints
    "upset": [feedback("upset", i, f"2024-0{i + 2}-01", 4) for i in range(4)]
    + [late("upset", 4 + i, f"2024-1{i}-01", TOPICS[i]) for i in range(3)],
    # a happy history, then three recent low ratings though kept: upset first, not a hater
    "upset_not_hater": [feedback("upset_not_hater", i, f"2024-0{i + 2}-01", 5) for i in range(4)]
    + [kept_low("upset_not_hater", 4 + i, f"2024-1{i}-01", TOPICS[i]) for i in range(3)],
    # as upset, but most recent contacts went well: not upset, and too mixed to be passionate
    "recent_mixed": [feedback("recent_mixed", i, f"2024-0{i + 2}-01", 4) for i in range(4)]
    + [late("recent_mixed", 4 + i, f"2024-1{i}-01", TOPICS[i]) for i in range(3)]
    + [feedback("recent_mixed", 7 + i, f"2024-1{i}-05", 5) for i in range(3)]
    + [feedback("recent_mixed", 10, "2024-12-06", 5)],
    # one recent slip after a happy history is not enough to be upset
    "one_slip": [feedback("one_slip", i, f"2024-0{i + 2}-01", 4) for i in range(4)]
    + [late("one_slip", 4, "2024-12-01")],
    "passionate": [feedback("passionate", i, f"2024-0{i + 2}-01", 4 + i % 2) for i in range(4)],
    # 3 of 4 positive = 0.75, under the 0.8 needed
    "mostly_happy": [feedback("mostly_happy", i, f"2024-0{i + 2}-01", 4) for i in range(3)]
    + [late("mostly_happy", 3, "2024-06-01")],
    # the latest time stamp in the data: the as-of time
    "newcomer": [feedback("newcomer", 0, "2024-12-10", 5)],
    # only unscored contacts: counted as other
    "silent": [{**feedback("silent", 0, "2024-06-01", 4), "rating": None}],
    # every contact before the window: not segmented at all
    "gone": [kept_low("gone", i, f"2023-0{i + 2}-01") for i in range(4)],
}


@pytest.fixture
def segmented(con, add_interactions):
    for rows in HISTORIES.values():
        add_interactions(*rows)
    cfg = RunConfig(now=NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    summary = build_segments(con, cfg)
    cur = con.execute("select * from customer_segments")
    cols = [d[0] for d in cur.description]
    return summary, {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def test_each_history_lands_in_its_segment(segmented):
    summary, rows = segmented
    assert {cid: r["segment"] for cid, r in rows.items()} == {
        "hater": "active_hater",
        "hater_and_critic": "active_hater",
        "fair": "other",
        "critic": "extreme_critic",
        "upset": "once_loyal_now_upset",
        "upset_not_hater": "once_loyal_now_upset",
        "recent_mixed": "other",
        "one_slip": "still_passionate",
        "passionate": "still_passionate",
        "mostly_happy": "other",
        "newcomer": "other",
        "silent": "other",
    }
    assert summary["customers"] == 12
    assert summary["segments"] == {
        "active_hater": 2,
        "extreme_critic": 1,
        "once_loyal_now_upset": 2,
        "still_passionate": 2,
        "other": 5,
    }
    # as-of: the latest time stamp in the data (the newcomer's feedback), 365 days back
    assert summary["window_to"] == datetime(2024, 12, 10)
    assert summary["window_from"] == datetime(2023, 12, 11)


def test_the_counts_behind_a_segment(segmented):
    _, rows = segmented
    counts = (
        "contacts scored delighted satisfied dissatisfied rated_promise_kept "
        "dissatisfied_promise_kept complaints complaint_touchpoints prior_positive prior_scored "
        "recent_scored recent_dissatisfied last_outcome"
    ).split()
    assert {k: rows["hater"][k] for k in counts} == {
        "contacts": 4, "scored": 4, "delighted": 0, "satisfied": 0, "dissatisfied": 4,
        "rated_promise_kept": 4, "dissatisfied_promise_kept": 4, "complaints": 4,
        "complaint_touchpoints": 1, "prior_positive": 0, "prior_scored": 4, "recent_scored": 0,
        "recent_dissatisfied": 0, "last_outcome": "dissatisfied",
    }  # fmt: skip
    assert {k: rows["fair"][k] for k in counts} == {
        "contacts": 5, "scored": 5, "delighted": 0, "satisfied": 3, "dissatisfied": 2,
        "rated_promise_kept": 5, "dissatisfied_promise_kept": 2, "complaints": 5,
        "complaint_touchpoints": 5, "prior_positive": 3, "prior_scored": 5, "recent_scored": 0,
        "recent_dissatisfied": 0, "last_outcome": "satisfied",
    }  # fmt: skip
    assert {k: rows["critic"][k] for k in counts} == {
        "contacts": 6, "scored": 6, "delighted": 0, "satisfied": 4, "dissatisfied": 2,
        "rated_promise_kept": 0, "dissatisfied_promise_kept": 0, "complaints": 6,
        "complaint_touchpoints": 6, "prior_positive": 4, "prior_scored": 6, "recent_scored": 0,
        "recent_dissatisfied": 0, "last_outcome": "satisfied",
    }  # fmt: skip
    assert {k: rows["upset"][k] for k in counts} == {
        "contacts": 7, "scored": 7, "delighted": 0, "satisfied": 4, "dissatisfied": 3,
        "rated_promise_kept": 0, "dissatisfied_promise_kept": 0, "complaints": 3,
        "complaint_touchpoints": 3, "prior_positive": 4, "prior_scored": 4, "recent_scored": 3,
        "recent_dissatisfied": 3, "last_outcome": "dissatisfied",
    }  # fmt: skip
    assert rows["recent_mixed"]["recent_scored"] == 7
    assert rows["recent_mixed"]["recent_dissatisfied"] == 3
    assert rows["silent"]["scored"] == 0 and rows["silent"]["last_outcome"] is None
    assert rows["passionate"]["first_contact_at"] == datetime(2024, 2, 1)
    assert rows["passionate"]["last_contact_at"] == datetime(2024, 5, 1)


def test_the_window_follows_the_run_period(con, add_interactions):
    add_interactions(*HISTORIES["upset"])
    cfg = RunConfig(now=NOW, period_from="2024-01-01", period_to="2024-06-30")
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    summary = build_segments(con, cfg)
    assert summary["window_from"] == datetime(2024, 1, 1)
    assert summary["window_to"] == datetime(2024, 6, 30, 23, 59, 59, 999999)
    # before the trouble started, the customer was still passionate
    assert con.execute("select segment, contacts from customer_segments").fetchall() == [
        ("still_passionate", 4)
    ]


def _segments(con) -> list[tuple]:
    return con.execute("select * from customer_segments order by customer_id").fetchall()


def test_one_join_shared_by_two_windows_gives_each_window_its_segments(con, add_interactions):
    for rows in HISTORIES.values():
        add_interactions(*rows)
    cfg = RunConfig(now=NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    windows = [
        RunConfig(now=NOW, period_to="2024-06-30"),
        RunConfig(now=NOW, period_from="2024-03-01", period_to="2024-12-31"),
    ]
    alone = []
    for w in windows:
        build_segments(con, w)
        alone.append(_segments(con))
    shared = []
    with segment_contacts(con, windows):  # the span of both windows, joined once
        for w in windows:
            segments_from_contacts(con, w)
            shared.append(_segments(con))
    assert shared == alone
    assert alone[0] != alone[1]
    # the shared join is a temporary table, gone after the block
    assert con.execute(
        "select count(*) from duckdb_tables() where table_name = 'int_segment_contacts'"
    ).fetchall() == [(0,)]


def test_latest_outcome_at_the_same_time_goes_to_the_greatest_source_then_id(con, add_interactions):
    # two scored contacts at the same minute: the later source, then the greater id, decides
    add_interactions(
        {**feedback("tie_id", 0, "2024-06-01", 5), "interaction_id": "tie-b"},
        {
            **late("tie_id", 1, "2024-06-01"),
            "interaction_id": "tie-a",
            "occurred_at": datetime(2024, 6, 1),
        },
        {**feedback("tie_src", 0, "2024-06-01", 5), "source": "helpdesk"},
        {
            **late("tie_src", 1, "2024-06-01"),
            "interaction_id": "zz",
            "occurred_at": datetime(2024, 6, 1),
        },
        # an unscored contact later still does not count as the latest outcome
        {**feedback("tie_src", 2, "2024-06-02", 4), "rating": None},
    )
    cfg = RunConfig(now=NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    build_segments(con, cfg)
    assert con.execute(
        "select customer_id, last_outcome from customer_segments order by customer_id"
    ).fetchall() == [("tie_id", "delighted"), ("tie_src", "delighted")]


@pytest.mark.parametrize(
    ("period_from", "period_to", "message"),
    [
        ("yesterday", None, "period_from: 'yesterday' is not an ISO date or time"),
        ("2024-07-01", "2024-06-30", "period_from: 2024-07-01 is after the window's end"),
        (None, "2024-06-30T00:00+08:00", "period_to: '2024-06-30T00:00+08:00': give the time in"),
    ],
)
def test_a_bad_period_is_a_user_error(con, add_interactions, period_from, period_to, message):
    add_interactions(*HISTORIES["newcomer"])
    cfg = RunConfig(now=NOW, period_from=period_from, period_to=period_to)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    with pytest.raises(UserError, match=re.escape(message)):
        build_segments(con, cfg)


def test_one_pass_for_two_windows_equals_two_separate_builds(con, add_interactions):
    """segments_from_contacts with a previous window: customer_segments is the window's alone, and
    the previous window's customers per segment are what a build for that window counts."""
    for rows in HISTORIES.values():
        add_interactions(*rows)
    cfg = RunConfig(now=NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    current = RunConfig(now=NOW, period_from="2024-03-01", period_to="2024-12-31")
    previous = RunConfig(now=NOW, period_to="2024-06-30")
    before = build_segments(con, previous)["segments"]
    alone = build_segments(con, current)
    alone_rows = _segments(con)
    with segment_contacts(con, [previous, current]):
        both = segments_from_contacts(con, current, previous)
    assert _segments(con) == alone_rows
    assert both["segments"] == alone["segments"]
    assert both["previous_segments"] == before
    assert before != alone["segments"]
    assert "previous_segments" not in alone
    # the windows are kept (not temporary): the report reuses them when nothing changed
    assert con.execute(
        "select temporary from duckdb_tables() where table_name = 'int_customer_windows'"
    ).fetchall() == [(False,)]
