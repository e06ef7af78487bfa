"""The report period (issue 16): --period for a year, quarter, month or all, parsed in one place;
a historic export's default period is its last quarter with data; the summary says how much of
the loaded data the period holds."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pypdf import PdfReader
from test_ingest import Project

from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.period import parse_period
from pipeline.run import run


@pytest.mark.parametrize(("text", "days"), [
    ("2019", (date(2019, 1, 1), date(2019, 12, 31))),
    ("2019-Q4", (date(2019, 10, 1), date(2019, 12, 31))),
    ("2019-q1", (date(2019, 1, 1), date(2019, 3, 31))),
    ("2019-10", (date(2019, 10, 1), date(2019, 10, 31))),
    ("2020-02", (date(2020, 2, 1), date(2020, 2, 29))),
    ("2019-2", (date(2019, 2, 1), date(2019, 2, 28))),
    (" all ", None),
])  # fmt: skip
def test_parse_period(text, days) -> None:
    assert parse_period(text) == days


@pytest.mark.parametrize("text", ["2019-Q5", "2019-13", "19", "last year", "2019-10-01"])
def test_a_period_that_is_none_of_them_is_one_line(text) -> None:
    with pytest.raises(UserError, match=r"--period: .* is not a year \(2019\), a quarter"):
        parse_period(text)


# One complaint per month: on the 15th, January to mid-December 2019 (12 rows), so a quarter
# holds 3, a month 1, the year 12.
MAPPING = """
    source: letters
    files: letters/*.csv
    format: csv
    fields:
      interaction_id: id
      occurred_at: received
      channel: {value: letter}
      kind: {value: complaint}
"""
ROWS = "id,received\n" + "".join(f"{m},2019-{m:02d}-15\n" for m in range(1, 13))


@pytest.fixture
def project(tmp_path) -> Project:
    p = Project(tmp_path)
    p.mapping("letters", MAPPING)
    p.file("letters/2019.csv", ROWS)
    return p


def _report(project: Project, **kw):
    result = run(project.config(**kw))
    report = result.stages["report"]
    volume = project.query("select sum(volume) from mart_touchpoint")[0][0]
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(report.pdf).pages)
    return report, volume, text


@pytest.mark.parametrize(("kw", "label", "volume"), [
    ({"period_from": "2019-01-01", "period_to": "2019-12-31"}, "2019", 12),
    ({"period_from": "2019-04-01", "period_to": "2019-06-30"}, "2019-Q2", 3),
    ({"period_from": "2019-10-01", "period_to": "2019-10-31"}, "2019-10", 1),
    ({"period_all": True}, "2019-01-15_2019-12-15", 12),
])  # fmt: skip
def test_the_period_decides_what_the_report_holds(project, kw, label, volume) -> None:
    report, got, text = _report(project, **kw)
    assert (report.period, got) == (label, volume)
    assert f"{volume} of 12 interactions loaded" in text


def test_a_historic_export_reports_its_last_quarter_with_data(project) -> None:
    """The data ends 2019-12-15, years before the run (2026): Q4 will get no more data, so it is
    the period, not Q3 (the last quarter complete in the data)."""
    report, volume, text = _report(project)
    assert (report.period, volume) == ("2019-Q4", 3)
    assert "3 of 12 interactions loaded (25%)" in text


def test_recent_data_keeps_the_last_complete_quarter(project, monkeypatch) -> None:
    """Data ending a fortnight before the run: its quarter may still grow, Q3 is reported."""
    import test_ingest

    monkeypatch.setattr(test_ingest, "NOW", datetime(2019, 12, 31))
    report, volume, _ = _report(project)
    assert (report.period, volume) == ("2019-Q3", 3)


def test_period_and_from_to_together_are_one_line(project, capsys) -> None:
    code = main(["report", "--period", "2019", "--from", "2019-01-01",
                 "--warehouse", str(project.warehouse)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "--period and --from/--to both name the report period" in err


@pytest.mark.parametrize(("period", "label"), [("2019-Q2", "2019-Q2"), ("2019-10", "2019-10"),
                                               ("all", "2019-01-15_2019-12-15")])
def test_the_command_line_period(project, period, label) -> None:
    args = ["run", "--period", period, "--warehouse", str(project.warehouse),
            "--data-dir", str(project.data), "--sources", str(project.sources),
            "--expectations", str(project.expectations), "--out", str(project.root / "reports"),
            "--now", "2026-11-22"]
    assert main(args) == 0
    assert (project.root / "reports" / f"touchpoint-workplan-{label}.pdf").exists()


def test_every_report_keeps_its_actions_under_a_stable_plan_id(tmp_path) -> None:
    """workplan_actions: one row per period and action, named by touchpoint and cause, so the
    same problem in the next period continues the same plan id; a report run again for a period
    replaces that period's rows; the work-plan CSV carries the id."""
    import csv

    from pipeline.sample import write_sample

    root = tmp_path
    write_sample(root / "data" / "sample", interactions=4000, customers=800)

    def report(**kw):
        from pipeline.config import RunConfig
        cfg = RunConfig(warehouse=root / "w.duckdb", data_dir=root / "data",
                        reports_dir=root / "reports", quiet=True, now=datetime(2026, 11, 22),
                        **kw)
        return run(cfg).stages["report"]

    q2 = report(period_from="2026-04-01", period_to="2026-06-30")
    q3 = report(period_from="2026-07-01", period_to="2026-09-30")
    report(period_from="2026-07-01", period_to="2026-09-30")  # again: replaces, never adds
    import duckdb
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    rows = con.execute("select period, plan_id, touchpoint_id, reason, action_id "
                       "from workplan_actions order by all").fetchall()
    con.close()
    by_period: dict[str, set[str]] = {}
    for period, plan_id, touchpoint, reason, _ in rows:
        assert plan_id == f"{touchpoint}/{reason}"
        by_period.setdefault(period, set()).add(plan_id)
    assert set(by_period) == {"2026-Q2", "2026-Q3"}
    assert len(rows) == q2.actions + q3.actions  # the second Q3 report replaced the first
    assert by_period["2026-Q2"] & by_period["2026-Q3"]  # a problem in both keeps its id
    with open(q3.workplan_csv, encoding="utf-8-sig", newline="") as f:
        assert {r["plan_id"] for r in csv.DictReader(f)} == by_period["2026-Q3"]
