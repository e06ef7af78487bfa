"""Follow-up on last period's actions (issue 16, the loop): two reports in a row on a hand-made
call-centre export, owners' statuses in between.

Fixture (phone complaints, one customer each; promise 24 h after the contact):

  quarter  topic     contacts  what happened                      outcome (reason)
  2026-Q1  delivery  30        resolved in 48 h                   dissatisfied (speed_missed)
           delivery  10        resolved in 20 h                   satisfied
           billing   20        resolved in 2 h, rated 1           dissatisfied (rating_low_policy)
           billing   10        resolved in 20 h, rated 5          delighted
           refund    20        resolved in 48 h                   dissatisfied (speed_missed)
           refund    20        resolved in 20 h                   satisfied
  2026-Q2  delivery   4 late,  36 on time
           billing   16 rated 1, 14 rated 5
           refund    35 late,   5 on time

Q1's report (run on 2026-04-10) issues three actions, each due by 2026-07-09 at the latest:
  delivery/speed_missed   acknowledge_and_update, KPI promise kept 10 of 40
  billing/rating_low_policy  review_policy, KPI CSAT 10 of 30 rated 4-5
  refund/speed_missed     acknowledge_and_update, KPI promise kept 20 of 40
Owners then write status.csv (delivery in progress, billing done) and drop an edited copy of
Q1's work-plan CSV (refund dropped). Q2's report (2026-07-10) follows them up; verdicts by hand
(Wilson intervals and the MOVER difference, computed below independently of the pipeline):
  delivery 25% -> 90%     improved (clear), in progress and past due: overdue
  billing  33% -> 47%     the point estimate rises 13 points, the interval [-11, +37] holds 0:
                          no change; done, so "Marked done, but CSAT did not move"
  refund   50% -> 12.5%   worse (clear); dropped: not overdue
Q2 issues billing and refund again (continued, carrying their statuses); delivery's 4 late
contacts are below the playbook's min_reason_n (5): no action.
"""

from __future__ import annotations

import csv
import math
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline import paths
from pipeline.cli import main
from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.report.followup import (
    KpiValue,
    change_interval,
    median_ranks,
    net_delight_interval,
    read_statuses,
    verdict,
)
from pipeline.run import run

MAPPING = """\
source: calls
files: calls/*.csv
format: csv
timestamp_formats: ["%Y-%m-%d %H:%M"]
fields:
  interaction_id: id
  customer_id: customer
  occurred_at: opened
  resolved_at: closed
  promised_by: promise
  channel: {value: phone}
  kind: {value: complaint}
  topic: topic
  status: {value: resolved}
  rating: rating
"""

Q1_NOW, Q2_NOW = datetime(2026, 4, 10, 9), datetime(2026, 7, 10, 9)
Z = 1.959963984540054


def _calls(quarter_start: datetime, groups: list[tuple[str, int, float, int | None]]) -> str:
    """CSV rows: (topic, contacts, hours to resolve, rating) per group, one contact a day."""
    lines = []
    for topic, n, hours, rating in groups:
        for i in range(n):
            at = quarter_start + timedelta(days=i % 80, hours=i % 7)
            key = f"{quarter_start:%m}-{topic}-{hours}-{rating}-{i}"
            lines.append(",".join([
                key, f"C{key}", f"{at:%Y-%m-%d %H:%M}",
                f"{at + timedelta(hours=hours):%Y-%m-%d %H:%M}",
                f"{at + timedelta(hours=24):%Y-%m-%d %H:%M}", topic,
                "" if rating is None else str(rating)]))
    return "id,customer,opened,closed,promise,topic,rating\n" + "\n".join(lines) + "\n"


Q1 = _calls(datetime(2026, 1, 2, 9), [
    ("delivery", 30, 48, None), ("delivery", 10, 20, None),
    ("billing", 20, 2, 1), ("billing", 10, 20, 5),
    ("refund", 20, 48, None), ("refund", 20, 20, None)])
Q2 = _calls(datetime(2026, 4, 2, 9), [
    ("delivery", 4, 48, None), ("delivery", 36, 20, None),
    ("billing", 16, 2, 1), ("billing", 14, 20, 5),
    ("refund", 35, 48, None), ("refund", 5, 20, None)])


class Project:
    def __init__(self, root: Path):
        self.root = root
        self.data, self.sources = root / "data", root / "sources"
        self.workplan, self.out, self.warehouse = root / "workplan", root / "out", root / "w.db"
        (self.data / "calls").mkdir(parents=True)
        self.sources.mkdir()
        (self.sources / "calls.yaml").write_text(MAPPING, encoding="utf-8")

    def config(self, now: datetime, quarter: str, **kw) -> RunConfig:
        start = {"Q1": "2026-01-01", "Q2": "2026-04-01"}[quarter]
        end = {"Q1": "2026-03-31", "Q2": "2026-06-30"}[quarter]
        return RunConfig(warehouse=self.warehouse, data_dir=self.data, sources_dir=self.sources,
                         reports_dir=self.out, workplan_dir=self.workplan, now=now, quiet=True,
                         period_from=start, period_to=end, **kw)

    def cli(self, *extra: str) -> list[str]:
        return ["run", "--warehouse", str(self.warehouse), "--data-dir", str(self.data),
                "--sources", str(self.sources), "--out", str(self.out),
                "--workplan", str(self.workplan), *extra]

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(path).pages)


@pytest.fixture(scope="module")
def two_periods(tmp_path_factory: pytest.TempPathFactory) -> dict:
    p = Project(tmp_path_factory.mktemp("followup") / "p")
    (p.data / "calls" / "q1.csv").write_text(Q1, encoding="utf-8")
    q1 = run(p.config(Q1_NOW, "Q1")).stages["report"]
    # the owners' statuses: a status file, and an edited copy of Q1's work-plan CSV
    p.workplan.mkdir()
    (p.workplan / "status.csv").write_text(
        "plan_id,status,note,date\n"
        "delivery/speed_missed,open,,2026-04-11\n"
        "delivery/speed_missed,In progress,new courier from May,2026-05-02\n"
        "billing/rating_low_policy,done,fee waived for late payers,2026-06-01\n"
        "website/rating_low,done,,\n", encoding="utf-8")
    rows = _csv(q1.workplan_csv)
    for r in rows:
        if r["plan_id"] == "refund/speed_missed":
            r["status"] = "dropped"
    with open(p.workplan / "workplan-2026-Q1.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (p.data / "calls" / "q2.csv").write_text(Q2, encoding="utf-8")
    q2 = run(p.config(Q2_NOW, "Q2")).stages["report"]
    return {"p": p, "q1": q1, "q2": q2}


def test_first_report_has_nothing_to_follow_up(two_periods):
    q1 = two_periods["q1"]
    assert q1.followups == 0 and _csv(q1.followup_csv) == []
    assert "no earlier report issued actions before this period" in pdf_text(q1.pdf)
    plan = {r["plan_id"]: r for r in _csv(q1.workplan_csv)}
    assert set(plan) == {"delivery/speed_missed", "billing/rating_low_policy",
                         "refund/speed_missed"}
    assert {r["status"] for r in plan.values()} == {"open"}


def test_workplan_actions_keep_the_kpi_interval(two_periods):
    """Q1's delivery action: promise kept 10 of 40, its Wilson 95% interval kept beside it."""
    rows = two_periods["p"].query(
        "select kpi, kpi_current, kpi_low, kpi_high, kpi_n from workplan_actions "
        "where period = '2026-Q1' and plan_id = 'delivery/speed_missed'")
    low, high = _wilson(10, 40)
    assert rows == [("promise_kept", pytest.approx(25.0), pytest.approx(100 * low),
                     pytest.approx(100 * high), 40)]


def _wilson(k: int, n: int) -> tuple[float, float]:
    """Written out here, apart from pipeline.report.stats."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def _by_hand(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float, float]:
    """now - then in points with its MOVER interval, from the two Wilson intervals."""
    (l1, u1), (l0, u0) = _wilson(k1, n1), _wilson(k0, n0)
    p1, p0 = k1 / n1, k0 / n0
    d = p1 - p0
    return (100 * d, 100 * (d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)),
            100 * (d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)))


def test_second_report_follows_up_each_action(two_periods):
    q2 = two_periods["q2"]
    got = {r["plan_id"]: r for r in _csv(q2.followup_csv)}
    assert set(got) == {"delivery/speed_missed", "billing/rating_low_policy",
                        "refund/speed_missed"}
    expected = {
        # plan_id: status, note, status date, overdue, continued, (k now, n now, k then, n then)
        "delivery/speed_missed": ("in_progress", "new courier from May", "2026-05-02", "true",
                                  "false", (36, 40, 10, 40)),
        "billing/rating_low_policy": ("done", "fee waived for late payers", "2026-06-01",
                                      "false", "true", (14, 30, 10, 30)),
        "refund/speed_missed": ("dropped", "", "", "false", "true", (5, 40, 20, 40)),
    }
    for plan_id, (status, note, day, overdue, continued, counts) in expected.items():
        r = got[plan_id]
        assert (r["status"], r["status_note"], r["status_date"], r["overdue"],
                r["continued"], r["set_in"]) == (status, note, day, overdue, continued,
                                                 "2026-Q1"), plan_id
        d, lo, hi = _by_hand(*counts)
        assert float(r["change"]) == pytest.approx(d, abs=1e-3)
        assert float(r["change_low"]) == pytest.approx(lo, abs=1e-3)
        assert float(r["change_high"]) == pytest.approx(hi, abs=1e-3)
        assert float(r["kpi_now"]) == pytest.approx(100 * counts[0] / counts[1], abs=1e-3)
        assert int(r["kpi_now_n"]) == counts[1] and int(r["kpi_then_n"]) == counts[3]
    # the verdicts, by the intervals computed by hand above
    assert _by_hand(36, 40, 10, 40)[1] > 0 and got["delivery/speed_missed"]["verdict"] == (
        "improved")
    d, lo, hi = _by_hand(14, 30, 10, 30)
    assert d > 10 and lo < 0 < hi  # the point estimate improved, the interval says no change
    assert got["billing/rating_low_policy"]["verdict"] == "no_change"
    assert _by_hand(5, 40, 20, 40)[2] < 0 and got["refund/speed_missed"]["verdict"] == "worse"
    assert got["delivery/speed_missed"]["due"] == "2026-04-24"  # P1: 14 days after 2026-04-10


def test_a_continued_action_carries_its_status_and_keeps_its_id(two_periods):
    plan = {r["plan_id"]: r for r in _csv(two_periods["q2"].workplan_csv)}
    assert set(plan) == {"billing/rating_low_policy", "refund/speed_missed"}
    assert plan["billing/rating_low_policy"]["status"] == "done"
    assert plan["refund/speed_missed"]["status"] == "dropped"
    ids = two_periods["p"].query("select period, plan_id from workplan_actions order by all")
    assert ("2026-Q1", "billing/rating_low_policy") in ids
    assert ("2026-Q2", "billing/rating_low_policy") in ids


def test_the_pdf_opens_the_work_plan_with_the_follow_up(two_periods):
    text = pdf_text(two_periods["q2"].pdf)
    start = text.index("Follow-up on last period's actions")
    assert start < text.index("This period's actions") < text.index("How priorities are set")
    assert "Marked done, but CSAT did not move: 33% (19% – 51%, n = 30) then, 47% (30% – 64%, " \
           "n = 30) now." in text
    assert text.count("OVERDUE") == 1  # delivery: in progress past its due date
    # the stale id in status.csv is counted, not fatal
    assert "1 status row(s) in data/workplan/ name an action no report issued " \
           "(website/rating_low)" in text
    assert two_periods["q2"].unknown_statuses == 1


def test_the_report_reads_the_statuses_and_never_writes_them(two_periods):
    p = two_periods["p"]
    assert sorted(f.name for f in p.workplan.iterdir()) == ["status.csv",
                                                            "workplan-2026-Q1.csv"]


# --- status files ------------------------------------------------------------------------------


def test_later_date_wins_then_later_file(tmp_path):
    (tmp_path / "a.csv").write_text("plan_id,status,note,date\n"
                                    "x/y,done,,2026-05-01\nx/z,done,,\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("plan_id;status\nx/y;open\nx/z;in progress\n",
                                    encoding="utf-8")
    got = read_statuses(tmp_path)
    assert (got["x/y"].status, got["x/y"].date) == ("done", date(2026, 5, 1))
    assert (got["x/z"].status, got["x/z"].file) == ("in_progress", "b.csv")


def test_a_missing_folder_is_no_statuses(tmp_path):
    assert read_statuses(tmp_path / "nothing") == {}


@pytest.mark.parametrize(("text", "message"), [
    ("plan_id,status\nx/y,finished\n",
     r"s\.csv: row 2: status: 'finished' is not a status; write one of open, in_progress, "
     r"done, dropped"),
    ("plan_id,status,note,date\nx/y,done,,03/04/2026\n",
     r"s\.csv: row 2: date: '03/04/2026' is not a date yyyy-mm-dd; write it like 2026-04-03"),
    ("plan_id,status\nx/y,done\n,open\n", r"s\.csv: row 3: plan_id: missing"),
    ("plan_id,status,owner\nx/y,done,Ana\n", r"s\.csv: row 1: unknown column 'owner'"),
    ("id,state\nx/y,done\n", r"s\.csv: row 1: columns id,state: not a status file"),
    ("rank,plan_id,action_id,status,comment\n1,x/y,a,done,ok\n",
     r"s\.csv: row 1: unknown column 'comment' in a copy of a work-plan CSV"),
    ("plan_id,status\nx/y,done,extra\n", r"s\.csv: row 2: 3 cells but 2 columns"),
    ("plan_id,status\nDelivery speed,done\n", r"s\.csv: row 2: plan_id: 'Delivery speed' is "
     r"not an action id"),
])  # fmt: skip
def test_a_bad_status_row_is_one_line(tmp_path, text, message):
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message) as err:
        read_statuses(tmp_path)
    assert "\n" not in str(err.value)


def test_a_bad_status_row_stops_the_command_line_in_one_line(tmp_path, capsys):
    p = Project(tmp_path / "p")
    (p.data / "calls" / "q1.csv").write_text(Q1, encoding="utf-8")
    p.workplan.mkdir()
    (p.workplan / "status.csv").write_text("plan_id,status\ndelivery/speed_missed,finished\n",
                                           encoding="utf-8")
    code = main(p.cli("--period", "2026-Q1", "--now", "2026-04-10"))
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "status.csv: row 2: status: 'finished' is not a status" in err


# --- the arithmetic ----------------------------------------------------------------------------


def test_verdict_reads_the_interval_and_the_kpi_direction():
    up = (10.0, 2.0, 18.0)
    assert verdict(up, lower_is_better=False) == "improved"
    assert verdict(up, lower_is_better=True) == "worse"  # e.g. median time to resolve
    assert verdict((-10.0, -18.0, -2.0), lower_is_better=True) == "improved"
    assert verdict((10.0, -1.0, 21.0), lower_is_better=False) == "no_change"
    assert verdict(None, lower_is_better=False) == "unknown"
    assert change_interval(KpiValue(None, None, None, 0), KpiValue(1.0, 0.5, 1.5, 9)) is None


def test_net_delight_interval_is_one_multinomial_sample():
    # 30 delighted, 10 dissatisfied of 100: 20 points, var = (.3 + .1 - .2²) / 100 = .0036
    low, high = net_delight_interval(30, 10, 100)
    assert (low, high) == pytest.approx((20 - 100 * Z * 0.06, 20 + 100 * Z * 0.06))


@pytest.mark.parametrize(("n", "ranks"), [(5, None), (6, (1, 6)), (9, (2, 8)), (10, (2, 9)),
                                          (20, (6, 15)), (100, (40, 61))])
def test_median_interval_ranks(n, ranks):
    """The largest l with P(Binomial(n, 1/2) <= l - 1) <= 2.5%, and n + 1 - l."""
    def cdf(k: int) -> float:
        return sum(math.comb(n, i) for i in range(k + 1)) / 2**n

    assert median_ranks(n) == ranks
    if ranks is not None:
        low = ranks[0]
        assert cdf(low - 1) <= 0.025 < cdf(low)


def test_median_ttr_interval_from_the_period_facts():
    """Order statistics 2 and 8 of nine resolution times at one touchpoint."""
    from pipeline.report.followup import median_ttr_intervals

    con = duckdb.connect()
    hours = [5, 1, 9, 3, 7, 2, 8, 4, 6]
    con.execute("create table int_interaction_facts as select 'tp' as touchpoint_id, true as "
                "in_period, unnest($h)::double as ttr_hours", {"h": hours})
    con.execute("insert into int_interaction_facts values ('tp', false, 0.5), ('tp', true, null)")
    assert median_ttr_intervals(con, {"tp": 9}) == {"tp": (2.0, 8.0)}


def test_without_a_status_folder_every_action_is_open(two_periods, tmp_path):
    p = two_periods["p"]
    cfg = p.config(Q2_NOW, "Q2")
    q2 = run(replace(cfg, workplan_dir=tmp_path / "none", reports_dir=tmp_path / "out")
             ).stages["report"]
    got = {r["plan_id"]: (r["status"], r["overdue"]) for r in _csv(q2.followup_csv)}
    assert got == {"delivery/speed_missed": ("open", "true"),
                   "billing/rating_low_policy": ("open", "true"),
                   "refund/speed_missed": ("open", "true")}
    assert q2.unknown_statuses == 0


def test_an_older_warehouse_gains_the_interval_columns(tmp_path):
    from pipeline.warehouse import connect

    old = duckdb.connect(str(tmp_path / "old.db"))
    # workplan_actions as the first version of the loop created it (no interval)
    old.execute("""create table workplan_actions (period varchar not null, period_start date not
        null, period_end date not null, plan_id varchar not null, touchpoint_id varchar not null,
        reason varchar not null, action_id varchar not null, priority varchar not null,
        owner varchar, kpi varchar, kpi_current double, kpi_target double, kpi_n bigint,
        due date, run_id varchar not null, primary key (period, plan_id))""")
    old.execute("insert into workplan_actions values ('2026-Q1', '2026-01-01', '2026-03-31', "
                "'x/y', 'x', 'y', 'a', 'P1', 'o', 'csat', 25.0, 80.0, 40, '2026-04-24', 'r')")
    old.close()
    con = connect(tmp_path / "old.db")
    try:
        rows = con.execute("select period, plan_id, kpi_current, kpi_low, kpi_high "
                           "from workplan_actions").fetchall()
    finally:
        con.close()
    assert rows == [("2026-Q1", "x/y", 25.0, None, None)]


def test_median_time_to_resolve_is_followed_up_by_order_statistics(tmp_path):
    """The playbook's speed action measured by the median time to resolve (lower is better).
    40 timed contacts: the interval is x(14) .. x(27) (P(Binomial(40, 1/2) <= 13) <= 2.5%).
      delivery Q1 10 x 20 h, 30 x 48 h: median 48 [48, 48]; Q2 36 x 20 h, 4 x 48 h: 20 [20, 20]
               -> -28 h [-28, -28]: improved
      refund   Q1 20 x 20 h, 20 x 48 h: median 34 [20, 48]; Q2 5 x 20 h, 35 x 48 h: 48 [48, 48]
               -> +14 h, MOVER [14 - 14, 14 + 14] = [0, 28]: holds 0, no change."""
    reference = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, reference, ignore=shutil.ignore_patterns("sources"))
    playbook = reference / "playbook.yaml"
    text = playbook.read_text(encoding="utf-8")
    old = "  - id: acknowledge_and_update\n    reasons: [speed_missed, unresolved_past_promise]\n" \
          "    kpi: promise_kept\n"
    assert old in text
    playbook.write_text(text.replace(old, old.replace("promise_kept", "median_ttr")),
                        encoding="utf-8")
    assert median_ranks(40) == (14, 27)
    p = Project(tmp_path / "p")
    (p.data / "calls" / "q1.csv").write_text(Q1, encoding="utf-8")
    run(p.config(Q1_NOW, "Q1", reference_dir=reference))
    (p.data / "calls" / "q2.csv").write_text(Q2, encoding="utf-8")
    q2 = run(p.config(Q2_NOW, "Q2", reference_dir=reference)).stages["report"]
    got = {r["plan_id"]: r for r in _csv(q2.followup_csv)}

    def values(r: dict, *cols: str) -> tuple:
        return tuple(round(float(r[c]), 4) for c in cols)

    then = ("kpi_then", "kpi_then_low", "kpi_then_high")
    now = ("kpi_now", "kpi_now_low", "kpi_now_high")
    change = ("change", "change_low", "change_high")
    d, r = got["delivery/speed_missed"], got["refund/speed_missed"]
    assert (d["kpi"], d["kpi_lower_is_better"]) == ("median_ttr", "true")
    assert values(d, *then, *now, *change) == (48, 48, 48, 20, 20, 20, -28, -28, -28)
    assert d["verdict"] == "improved" and d["kpi_now_n"] == "40"
    assert values(r, *then, *now, *change) == (34, 20, 48, 48, 48, 48, 14, 0, 28)
    assert r["verdict"] == "no_change"


@pytest.mark.parametrize(("change", "low", "high", "shown"), [
    (-5.67, -11.11, -0.14, "−5.7 pts [−11.1, −0.1]"),  # excludes zero: no bound shown as 0
    (3.63, -1.09, 8.34, "+4 pts [−1, +8]"),
    (0.3, 0.02, 0.58, "+0.30 pts [+0.02, +0.58]"),
])
def test_a_change_interval_never_prints_a_bound_as_zero_when_it_is_not(change, low, high, shown):
    from pipeline import paths
    from pipeline.report.document import _Doc
    from pipeline.report.labels import load_labels

    doc = _Doc.__new__(_Doc)
    doc.f = load_labels(paths.REFERENCE, "en").fmt
    assert doc._kpi_change("promise_kept", change, low, high) == shown
