"""The report against a warehouse of hand-made interactions: read the PDF back and compare.

The fixture (all phone complaints unless said; promise = 24 h after the contact):

  quarter  touchpoint  contacts  what happened                                 outcome
  2024-Q2  delivery    10        resolved in 2 h                               delighted
           delivery    10        resolved in 20 h                              satisfied
           billing     10        resolved in 20 h, rated 4                     satisfied
  2024-Q3  delivery    24        resolved in 48 h                              dissatisfied (late)
           delivery     8        resolved in 2 h                               delighted
           delivery     8        resolved in 20 h                              satisfied
           billing     20        resolved in 2 h but rated 1                   dissatisfied
                                                          (rating_low_policy: the billing topic)
           billing     10        resolved in 20 h, rated 5                     delighted
           website     10        web feedback rated 4 (source "<b>survey</b>") satisfied
  2024-Q4  delivery     1        one contact on 15 Oct: Q3 is the last complete quarter

By hand, Q3: 80 contacts, 18 delighted, 18 satisfied, 44 dissatisfied, net delight −32.5.
Delivery 40 contacts: 20% / 20% / 60%, net −40 (Q2: +50, so −90 pts); billing 30: 33% / 0% / 67%.
Both are P1 (dissatisfied ≥ 30%, ≥ 5% of contacts, net delight below −32.5).
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.marts import MARTS, build_marts
from pipeline.outcomes import score_outcomes
from pipeline.report import build_report, gather, resolve_period
from pipeline.report.export import FORMULA_STARTS, csv_bytes, safe_cell
from pipeline.report.labels import load_labels
from pipeline.report.model import Metrics, Mix, Period, TouchpointStats
from pipeline.report.playbook import load_playbook
from pipeline.touchpoints import map_touchpoints

NOW = datetime(2024, 11, 4, 9, 30)
SCHEMA = paths.ROOT / "pipeline" / "schema.sql"
SURVEY = "<b>survey</b> & <script>x</script>"  # a source name with markup, printed literally


def _rows() -> list[dict]:
    rows: list[dict] = []

    def add(n: int, start: datetime, topic: str, hours: float | None, **extra) -> None:
        for i in range(n):
            at = start + timedelta(days=i, hours=i % 5)
            row = {
                "interaction_id": f"{topic}-{start:%m%d}-{hours}-{i}",
                "customer_id": f"C{len(rows):05d}",  # one contact each: no repeat contacts
                "topic": topic,
                "occurred_at": at,
                "promised_by": at + timedelta(hours=24),
                "resolved_at": at + timedelta(hours=hours) if hours is not None else None,
                "status": "resolved",
                **extra,
            }
            rows.append(row)

    q2, q3 = datetime(2024, 4, 2, 9), datetime(2024, 7, 2, 9)
    add(10, q2, "delivery", 2)
    add(10, q2 + timedelta(days=30), "delivery", 20)
    add(10, q2, "billing", 20, rating=4)
    add(24, q3, "delivery", 48)
    add(8, q3 + timedelta(days=40), "delivery", 2)
    add(8, q3 + timedelta(days=60), "delivery", 20)
    add(20, q3, "billing", 2, rating=1)
    add(10, q3 + timedelta(days=50), "billing", 20, rating=5)
    web = {"source": SURVEY, "channel": "web", "kind": "feedback", "promised_by": None}
    add(10, q3 + timedelta(days=5), "website", None, rating=4, **web)
    add(1, datetime(2024, 10, 15, 9), "delivery", 2)
    return rows


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    for n, row in enumerate(rows, start=1):
        values = {
            "source": "callcentre",
            "channel": "phone",
            "kind": "complaint",
            "source_file": "test.csv",
            "file_hash": "h",
            "run_id": "r1",
            "source_row": n,
            **row,
        }
        cols = ", ".join(values)
        marks = ", ".join(f"${k}" for k in values)
        con.execute(f"insert into interactions ({cols}) values ({marks})", values).fetchall()


def _ledger(con: duckdb.DuckDBPyConnection) -> None:
    """What ingest would have written about the files, with one quarantined row."""
    con.execute(
        "insert into run_files (run_id, source, target, source_file, file_hash, status, "
        "rows_read, staged, quarantined, duplicates) "
        "values ('r1', 'callcentre', 'interactions', 'calls.csv', 'h', "
        "'loaded', 132, 130, 1, 1)"
    ).fetchall()
    con.execute(
        "insert into quarantine values ('r1', 'callcentre', 'interactions', 'calls.csv', 7, 'h', "
        "'missing_required:customer_id', ['missing_required:customer_id'], '{}')"
    ).fetchall()


@pytest.fixture(scope="module")
def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    _insert(con, _rows())
    _ledger(con)
    cfg = RunConfig(now=NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    yield con
    con.close()


@pytest.fixture(scope="module")
def reports(warehouse, tmp_path_factory) -> dict:
    """The English and the Malay report of the fixture, built once."""
    out = tmp_path_factory.mktemp("reports")
    en = build_report(warehouse, RunConfig(now=NOW, reports_dir=out))
    ms = build_report(warehouse, RunConfig(now=NOW, reports_dir=out, lang="ms"))
    return {"en": en, "ms": ms, "out": out}


def pdf_text(path: Path) -> str:
    """Every page's text, whitespace collapsed to single spaces (table cells come one a line)."""
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(path).pages)


def _mart(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    cur = con.execute(sql, params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


# --- the period ------------------------------------------------------------------------------


def test_default_period_is_the_last_complete_quarter(warehouse):
    period, previous = resolve_period(warehouse, RunConfig(now=NOW))
    assert period == Period(datetime(2024, 7, 1).date(), datetime(2024, 9, 30).date())
    assert period.label == "2024-Q3"
    assert previous == Period(datetime(2024, 4, 1).date(), datetime(2024, 6, 30).date())


def test_given_period_and_same_length_previous(warehouse):
    cfg = RunConfig(now=NOW, period_from="2024-07-01", period_to="2024-08-31")
    period, previous = resolve_period(warehouse, cfg)
    assert period.label == "2024-07-01_2024-08-31"
    assert (previous.start.isoformat(), previous.end.isoformat()) == ("2024-04-30", "2024-06-30")
    # no data in the 30 days before April: no previous period
    cfg = RunConfig(now=NOW, period_from="2024-04-01", period_to="2024-04-30")
    assert resolve_period(warehouse, cfg)[1] is None


def test_bad_period_names_the_option(warehouse):
    with pytest.raises(UserError, match="--from: 'July' is not a date"):
        resolve_period(warehouse, RunConfig(now=NOW, period_from="July"))
    with pytest.raises(UserError, match="--from 2024-09-01 is after --to 2024-08-01"):
        resolve_period(
            warehouse, RunConfig(now=NOW, period_from="2024-09-01", period_to="2024-08-01")
        )


def test_only_quarter_in_the_data_is_used_and_marked_partial():
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    _insert(con, [r for r in _rows() if r["occurred_at"].month in (7, 8)])
    period, previous = resolve_period(con, RunConfig(now=NOW))
    assert period.label == "2024-Q3" and period.partial and previous is None


# --- outputs ---------------------------------------------------------------------------------


def test_outputs_are_written(reports, warehouse):
    out, en, ms = reports["out"], reports["en"], reports["ms"]
    assert en.pdf == out / "touchpoint-workplan-2024-Q3.pdf"
    assert ms.pdf == out / "touchpoint-workplan-2024-Q3-ms.pdf"
    assert en.workplan_csv == out / "workplan-2024-Q3.csv"
    charts = {p.name for p in en.charts}
    for name in ("outcome_mix", "priority_map", "monthly_trend", "resolution_by_channel"):
        assert {f"{name}.png", f"{name}.csv"} <= charts
    assert {p.name for p in en.marts} == {f"{m}.parquet" for m in MARTS}
    assert all(p.exists() and p.stat().st_size > 0 for p in en.paths + ms.paths)
    # no temp files left behind
    assert not [p for p in out.rglob(".*.tmp")]


def test_marts_parquet_equals_the_warehouse(reports, warehouse):
    path = reports["out"] / "2024-Q3" / "marts" / "mart_touchpoint.parquet"
    exported = warehouse.execute(
        "select touchpoint_id, volume, net_delight from read_parquet($p) order by touchpoint_id",
        {"p": str(path)},
    ).fetchall()
    live = warehouse.execute(
        "select touchpoint_id, volume, net_delight from mart_touchpoint order by touchpoint_id"
    ).fetchall()
    assert exported == live


def test_chart_tables_hold_the_mart_figures(reports, warehouse):
    path = reports["out"] / "2024-Q3" / "charts" / "outcome_mix.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = {r["touchpoint_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"delivery", "billing", "website"}
    assert rows["delivery"]["volume"] == "40" and rows["delivery"]["dissatisfied"] == "24"
    assert float(rows["billing"]["pct_dissatisfied"]) == pytest.approx(200 / 3, abs=1e-3)
    trend = (reports["out"] / "2024-Q3" / "charts" / "monthly_trend.csv").read_text("utf-8-sig")
    # the previous quarter's months come first, marked as outside the period
    assert trend.splitlines()[1].startswith("2024-04-01,false,")


def test_expected_hours_are_the_medians_of_the_period_contacts(reports, warehouse):
    """report_expected, from the period's facts, gives touchpoints and channels the medians of
    their contacts (computed here from the stage tables, not from the facts)."""
    direct = """
        select {key} as key, median(o.expected_hours) as hours
        from interactions as i
        inner join interaction_outcomes as o
            on o.source = i.source and o.interaction_id = i.interaction_id
        inner join interaction_touchpoints as t
            on t.source = i.source and t.interaction_id = i.interaction_id
        where i.occurred_at >= '2024-07-01' and i.occurred_at < '2024-10-01'
        group by {key}
    """
    by_tp = {r["key"]: r["hours"] for r in _mart(warehouse, direct.format(key="t.touchpoint_id"))}
    by_channel = {
        r["key"]: r["hours"] for r in _mart(warehouse, direct.format(key="lower(trim(i.channel))"))
    }
    assert by_tp["delivery"] == 24 and set(by_channel) == {"phone", "web"}
    # the facts for the period (and the one before), as the report builds them
    build_marts(
        warehouse,
        RunConfig(now=NOW, period_from="2024-07-01", period_to="2024-09-30"),
        ("2024-04-01", "2024-06-30"),
    )
    gather.expected_hours(warehouse)
    tps = {
        t.touchpoint_id: t.median_expected_hours for t in gather.touchpoints(warehouse, "en", None)
    }
    channels = _mart(
        warehouse,
        "select channel, median_expected_hours from report_expected where grain = 'channel'",
    )
    gather.drop_expected_hours(warehouse)
    assert {k: tps[k] for k in by_tp} == by_tp  # touchpoints without contacts: None
    assert {r["channel"]: r["median_expected_hours"] for r in channels} == by_channel
    assert not _mart(
        warehouse, "select * from duckdb_tables() where table_name = 'report_expected'"
    )


# --- the document ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ms"])
def test_every_section_is_there(reports, lang):
    labels = load_labels(paths.REFERENCE, lang)
    text = pdf_text(reports[lang].pdf)
    assert labels("title") in text
    keys = ("summary", "matrix", "charts", "workplan", "customers", "retention", "language")
    for n, key in enumerate((*keys, "quality"), start=1):
        assert f"{n}. {labels(f'sections.{key}')}" in text, key
    # the retention stage has not run: the section says so
    assert " ".join(labels("retention.not_computed").split()) in text


def test_malay_report_is_in_malay(reports):
    text = pdf_text(reports["ms"].pdf)
    assert "Pelan Kerja Analisis Titik Sentuh" in text
    assert "Penghantaran" in text  # the delivery touchpoint's Malay name
    assert "Touchpoint matrix" not in text


def test_matrix_prints_the_mart_figures(reports, warehouse):
    labels = load_labels(paths.REFERENCE, "en")
    f = labels.fmt
    text = pdf_text(reports["en"].pdf)
    marts = _mart(
        warehouse,
        "select t.*, n.name from mart_touchpoint as t join ref_touchpoint_names as n "
        "on n.touchpoint_id = t.touchpoint_id and n.language = 'en' where volume > 0",
    )
    assert len(marts) == 3
    def share_n(pct, n):  # issue 14 item 6: every share with its n
        return f.pct(pct) if pct is None else f"{f.pct(pct)} of {f.int(n)}"

    for m in marts:
        scored = m["delighted"] + m["satisfied"] + m["dissatisfied"]
        row = " ".join(
            [
                m["name"] + (" (small n)" if scored < 30 else ""),
                f.int(m["volume"]),
                *(f.pct(m[f"pct_{o}"]) for o in ("delighted", "satisfied", "dissatisfied")),
                f.pct(m["pct_unscored"]),
                f.signed(m["net_delight"]),
                share_n(m["csat_pct"], m["rated"]),
                share_n(m["promise_kept_pct"], m["promises"]),
                f.hours(m["median_ttr_hours"]),
            ]
        )
        assert row in text, row
    # and by hand: delivery 40 contacts, 20/20/60 %, net −40, 90 points down on Q2's +50 (a
    # change its 95% interval tells from none: marked ▼)
    assert "Delivery 40 20% 20% 60% 0% −40" in text
    assert "▼ −90 pts" in text
    # 22.5% rounds up; CSAT of 40 rated, promise kept of 70 promises
    assert "All touchpoints 80 23% 23% 55% 0% −33 50% of 40 66% of 70" in text


def test_matrix_tells_the_customers_verdict_from_what_was_inferred(reports, warehouse):
    """issue 14: per touchpoint, scored outcomes a rating decided / inferred from the handling.
    Q3 by hand: delivery's 40 contacts nobody rated (0 / 40); billing's 30 and the website's 10
    were all rated (30 / 0, 10 / 0); all touchpoints 40 / 40."""
    mart = {m["touchpoint_id"]: m for m in _mart(warehouse, "select * from mart_touchpoint")}
    got = {k: (m["from_customer"], m["from_handling"]) for k, m in mart.items() if m["volume"]}
    assert got == {"delivery": (0, 40), "billing": (30, 0), "website": (10, 0)}
    text = pdf_text(reports["en"].pdf)
    assert "Rated / inferred" in text
    assert re.search(r"Delivery 40 20% 20% 60% 0% −40 .*? 0 / 40 ", text)
    assert re.search(r"Invoices and billing 30 .*? 30 / 0 ", text)
    assert re.search(r"All touchpoints 80 .*? 40 / 40", text)
    assert "Dinilai / disimpulkan" in pdf_text(reports["ms"].pdf)


def test_matrix_and_charts_leave_out_touchpoints_without_contacts(reports, warehouse):
    """issue 14: of the 18 catalog touchpoints only delivery, billing (Q2 and Q3) and the website
    (Q3) had contacts: the other 15 are left out of the matrix and the charts, with one line."""
    catalog = _mart(warehouse, "select touchpoint_id from ref_touchpoints "
                               "where touchpoint_id <> 'unmapped'")  # fmt: skip
    assert len(catalog) == 18
    text = pdf_text(reports["en"].pdf)
    matrix = text[text.index("2. Touchpoint matrix"):text.index("3. Charts")]
    # (a name may carry the small-n mark before its contacts)
    found = re.findall(
        r" (\d+) (Invoices and billing|Website content|Delivery) (?:\(small n\) )?\d", matrix
    )
    assert found == [
        ("1", "Website content"), ("2", "Invoices and billing"), ("3", "Delivery"),
    ]  # fmt: skip
    for name in ("Store staff", "Chat agent", "Formal letters", "Packaging", "Refunds"):
        assert name not in matrix
    assert ("Catalog touchpoints left out, with no contacts in this period or the previous "
            "one: 15.") in matrix  # fmt: skip
    charts = text[text.index("3. Charts"):text.index("4. Work plan")]
    assert "Store staff" not in charts and "Formal letters" not in charts
    assert "Titik sentuh katalog yang ditinggalkan" in pdf_text(reports["ms"].pdf)


def test_work_plan_prints_the_mart_figures(reports, warehouse):
    text = pdf_text(reports["en"].pdf)
    # delivery first (24 late contacts), then billing (20): both P1, due report date + 14 days
    assert re.search(r"P1 #1 Delivery Delivery .*P1 #2 Billing Invoices and billing", text)
    assert "60% dissatisfied (24 of 40 contacts); 100% of them resolved after the promised" in text
    assert (
        "67% dissatisfied (20 of 30 contacts); 100% of them rated low although the promise" in text
    )
    assert "18 Nov 2024" in text
    reasons = _mart(
        warehouse, "select * from mart_touchpoint_reasons where outcome = 'dissatisfied'"
    )
    assert {(r["touchpoint_id"], r["reason"], r["interactions"]) for r in reasons} == {
        ("delivery", "speed_missed", 24),
        ("billing", "rating_low_policy", 20),
    }
    with open(reports["en"].workplan_csv, encoding="utf-8-sig", newline="") as f:
        plan = list(csv.DictReader(f))
    assert [(r["rank"], r["priority"], r["touchpoint_id"], r["reason"]) for r in plan] == [
        ("1", "P1", "delivery", "speed_missed"),
        ("2", "P1", "billing", "rating_low_policy"),
    ]
    mart = {m["touchpoint_id"]: m for m in _mart(warehouse, "select * from mart_touchpoint")}
    for r in plan:
        m = mart[r["touchpoint_id"]]
        assert int(r["dissatisfied"]) == m["dissatisfied"]
        assert int(r["volume"]) == m["volume"]
        assert float(r["dissatisfied_pct"]) == pytest.approx(m["pct_dissatisfied"], abs=1e-4)
    # a low rating although the promise was kept, on billing: the price or policy is reviewed
    # (issue 14: the cause follows the topic; only `expectation` is told to set expectations)
    assert plan[1]["action_id"] == "review_policy"
    assert plan[0]["action_id"] == "acknowledge_and_update"
    assert plan[0]["kpi"] == "promise_kept" and float(plan[0]["kpi_current"]) == 40.0
    assert plan[0]["due"] == "2024-11-18" and plan[0]["status"] == "open"


def test_summary_names_the_touchpoints_to_act_on_first(reports):
    text = pdf_text(reports["en"].pdf)
    assert "1. Delivery: 60% of 40 contacts dissatisfied (net delight −40)" in text
    assert "2. Invoices and billing: 67% of 30 contacts dissatisfied" in text
    assert "Interactions analysed 80" in text
    assert "1; top reasons: missing_required:customer_id (1)" in text


def test_markup_in_data_prints_literally(reports):
    text = pdf_text(reports["en"].pdf)
    assert SURVEY in text  # the source name, in the summary and the appendix


def test_same_data_same_report(warehouse, tmp_path, reports):
    again = build_report(warehouse, RunConfig(now=NOW, reports_dir=tmp_path))
    assert again.pdf.read_bytes() == reports["en"].pdf.read_bytes()
    assert again.workplan_csv.read_bytes() == reports["en"].workplan_csv.read_bytes()


def test_another_report_date_changes_only_the_dates(warehouse, tmp_path, reports):
    later = build_report(warehouse, RunConfig(now=NOW + timedelta(days=1), reports_dir=tmp_path))
    before = pdf_text(reports["en"].pdf).replace("4 Nov 2024", "X").replace("18 Nov 2024", "Y")
    after = pdf_text(later.pdf).replace("5 Nov 2024", "X").replace("19 Nov 2024", "Y")
    assert before == after


def test_empty_period_gives_a_short_report(warehouse, tmp_path):
    cfg = RunConfig(now=NOW, reports_dir=tmp_path, period_from="2023-01-01", period_to="2023-03-31")
    result = build_report(warehouse, cfg)
    assert result.empty and result.actions == 0
    reader = PdfReader(result.pdf)
    text = pdf_text(result.pdf)
    assert "No interactions fall in this period" in text
    assert "2. Data quality" in text and "Touchpoint matrix" not in text
    assert len(reader.pages) <= 4


def test_empty_warehouse_gives_a_short_report(tmp_path):
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    cfg = RunConfig(now=NOW, reports_dir=tmp_path)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    result = build_report(con, cfg)
    assert result.period == "no-data"
    assert "The warehouse holds no interactions yet" in pdf_text(result.pdf)


def test_report_needs_the_earlier_stages(tmp_path):
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    with pytest.raises(UserError, match="interaction_touchpoints"):
        build_report(con, RunConfig(now=NOW, reports_dir=tmp_path))


# --- CSV safety ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", " =1"])
def test_formula_cells_are_neutralised(value):
    assert safe_cell(value) == "'" + value
    line = csv_bytes(["a"], [[value]]).decode("utf-8-sig").splitlines()[1]
    assert line.lstrip('"').startswith("'")


def test_numbers_and_plain_text_stay_as_they_are():
    assert safe_cell(-5) == -5 and safe_cell(2.5) == 2.5 and safe_cell("Delivery") == "Delivery"
    assert safe_cell(None) == "" and set(FORMULA_STARTS) >= {"=", "+", "-", "@", "\t", "\r"}


def test_work_plan_csv_neutralises_names_from_the_catalog(warehouse, tmp_path):
    """A touchpoint named like a formula reaches the CSV as text."""
    ref = tmp_path / "reference"
    import shutil

    shutil.copytree(paths.REFERENCE, ref)
    tp = ref / "touchpoints.yaml"
    text = tp.read_text(encoding="utf-8")
    assert text.count("name: {en: Delivery,") == 1
    tp.write_text(
        text.replace("name: {en: Delivery,", "name: {en: \"=HYPERLINK('http://x')\","),
        encoding="utf-8",
    )
    cfg = RunConfig(now=NOW, reports_dir=tmp_path / "out", reference_dir=ref)
    map_touchpoints(warehouse, cfg)
    try:
        result = build_report(warehouse, cfg)
        with open(result.workplan_csv, encoding="utf-8-sig", newline="") as f:
            plan = list(csv.DictReader(f))
        assert plan[0]["touchpoint"] == "'=HYPERLINK('http://x')"
    finally:
        map_touchpoints(warehouse, RunConfig(now=NOW))  # put the catalog back for other tests


# --- reference files -------------------------------------------------------------------------


def test_playbook_maps_a_kept_promise_to_communication_never_to_staff():
    pb = load_playbook(paths.REFERENCE)
    from pipeline.reference import SEGMENTS, TOUCHPOINT_KINDS, load_reference

    for t in load_reference(paths.REFERENCE).catalog.touchpoints:
        for kind in (*TOUCHPOINT_KINDS, None):
            for segment in SEGMENTS:
                action = pb.action_for("rating_low_promise_kept", t.id, kind, segment)
                assert action.id == "set_expectations"
                assert "expectation" in action.text("en").lower()


def test_the_action_follows_the_cause_of_a_low_rating_with_every_promise_kept():
    """issue 14: product and policy causes get their own actions, only `expectation` (the code
    rating_low_promise_kept) is told to set expectations, and none of the three is staff's."""
    pb = load_playbook(paths.REFERENCE)
    from pipeline.reference import SEGMENTS, TOUCHPOINT_KINDS, load_reference

    expected = {
        "rating_low_product": "improve_product",
        "rating_low_policy": "review_policy",
        "rating_low_promise_kept": "set_expectations",
    }
    staff_actions = {"replace_phrases", "train_and_equip", "recover_on_the_spot",
                     "acknowledge_and_update", "resolve_first_time"}  # fmt: skip
    for t in load_reference(paths.REFERENCE).catalog.touchpoints:
        for kind in (*TOUCHPOINT_KINDS, None):
            for segment in SEGMENTS:
                got = {code: pb.action_for(code, t.id, kind, segment).id for code in expected}
                assert got == expected
                assert not staff_actions & set(got.values())
    for code in ("rating_low_product", "rating_low_policy"):
        text = pb.action_for(code, "delivery", "physical", "other").text("en").lower()
        assert "set expectations" not in text
        assert "service team" in text


def _stats(**metrics) -> TouchpointStats:
    """A touchpoint of 100 contacts with the given Metrics fields (hand-made)."""
    fields = {"mix": Mix(delighted=40, satisfied=40, dissatisfied=20),
              "pct": {"delighted": 40.0, "satisfied": 40.0, "dissatisfied": 20.0,
                      "unscored": 0.0},
              "net_delight": 20.0, **metrics}  # fmt: skip
    return TouchpointStats("delivery", "Delivery", "physical", "delivery", "Ops", 1,
                           Metrics(**fields), volume_share=10.0, median_expected_hours=24.0)


@pytest.mark.parametrize(
    ("kpi", "metrics", "target"),
    [
        # short of the goal: the goal
        ("promise_kept", {"promise_kept_pct": 70.0}, 90.0),
        # at or above the goal: one step (5 points) better, never the goal below today
        ("promise_kept", {"promise_kept_pct": 90.0}, 95.0),
        ("promise_kept", {"promise_kept_pct": 97.0}, 100.0),  # capped at 100%
        ("promise_kept", {"promise_kept_pct": 100.0}, 100.0),
        ("csat", {"csat_pct": 85.0}, 90.0),
        ("net_delight", {"net_delight": 35.0}, 40.0),
        ("net_delight", {"net_delight": -10.0}, 30.0),
        ("first_contact", {"fcr_pct": 80.0}, 85.0),
        ("phrase_free", {"phrase_interactions": 0}, 100.0),
        # lower is better: below the goal already, one step lower, not below 0
        ("dissatisfied_share", {}, 10.0),  # 20% dissatisfied: the goal of 10%
        ("dissatisfied_share", {"pct": {"dissatisfied": 8.0}}, 3.0),
        ("dissatisfied_share", {"pct": {"dissatisfied": 2.0}}, 0.0),
        # median_ttr against the channel's 24 h: quicker than that already, 10% quicker still
        ("median_ttr", {"median_ttr_hours": 30.0}, 24.0),
        ("median_ttr", {"median_ttr_hours": 10.0}, 9.0),
        ("promise_kept", {}, 90.0),  # no current value: the goal
    ],
)
def test_a_kpi_target_is_always_better_than_today(kpi, metrics, target):
    from pipeline.report.workplan import kpi_current, kpi_target

    pb = load_playbook(paths.REFERENCE)
    t = _stats(**metrics)
    assert kpi_target(t, pb.kpis[kpi]) == pytest.approx(target)
    current = kpi_current(t, kpi)
    if current is not None and current not in (0.0, 100.0):
        better = kpi_target(t, pb.kpis[kpi]) < current if pb.kpis[kpi].lower_is_better else (
            kpi_target(t, pb.kpis[kpi]) > current
        )
        assert better


def test_the_target_step_is_configurable(tmp_path):
    from pipeline.report.workplan import kpi_target

    ref = _copy_reference(tmp_path)
    text = (ref / "playbook.yaml").read_text(encoding="utf-8")
    text = text.replace("promise_kept: {target: 0.90}", "promise_kept: {target: 0.90, step: 0.02}")
    (ref / "playbook.yaml").write_text(text, encoding="utf-8")
    pb = load_playbook(ref)
    assert kpi_target(_stats(promise_kept_pct=92.0), pb.kpis["promise_kept"]) == 94.0
    (ref / "playbook.yaml").write_text(text.replace("step: 0.02", "step: 2"), encoding="utf-8")
    with pytest.raises(UserError, match=r"playbook.yaml: kpis.promise_kept.step: 2 out of range"):
        load_playbook(ref)


def test_formal_letters_get_a_meeting():
    pb = load_playbook(paths.REFERENCE)
    assert pb.action_for("speed_missed", "formal_letters", "communication", "other").id == (
        "meet_in_person"
    )
    assert pb.action_for("discouraged_phrase", "call_centre", "human_contact", "other").id == (
        "replace_phrases"
    )


def _copy_reference(tmp_path: Path) -> Path:
    import shutil

    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref)
    return ref


def test_missing_label_names_file_and_key(tmp_path):
    ref = _copy_reference(tmp_path)
    ms = ref / "labels" / "ms.yaml"
    ms.write_text(ms.read_text(encoding="utf-8").replace("  gap: Jurang\n", ""), "utf-8")
    with pytest.raises(UserError, match=r"labels/ms.yaml: workplan.gap: missing key"):
        load_labels(ref, "ms")


def test_unknown_placeholder_and_unknown_language(tmp_path):
    ref = _copy_reference(tmp_path)
    ms = ref / "labels" / "ms.yaml"
    ms.write_text(ms.read_text(encoding="utf-8").replace("{reason_share}", "{share}"), "utf-8")
    with pytest.raises(UserError, match=r"ms.yaml: summary.act_first_sentence: unknown placeh"):
        load_labels(ref, "ms")
    with pytest.raises(UserError,
                       match=r"no labels for language 'xx' \(available: en, id, ms, nl\)"):
        load_labels(ref, "xx")


def test_bad_playbook_names_file_and_key(tmp_path):
    ref = _copy_reference(tmp_path)
    pb = ref / "playbook.yaml"
    pb.write_text(pb.read_text(encoding="utf-8").replace("kpi: csat", "kpi: nps", 1), "utf-8")
    with pytest.raises(UserError, match=r"playbook.yaml: actions.set_expectations.kpi: 'nps'"):
        load_playbook(ref)
    pb.write_text(
        (paths.REFERENCE / "playbook.yaml")
        .read_text(encoding="utf-8")
        .replace("touchpoints: [formal_letters]", "touchpoints: [letters]"),
        "utf-8",
    )
    with pytest.raises(UserError, match=r"meet_in_person.touchpoints: unknown touchpoint"):
        load_playbook(ref, ("formal_letters", "delivery"))


def test_a_new_language_is_one_labels_file(warehouse, tmp_path):
    """de.yaml: German words and number format; catalog texts fall back to English."""
    ref = _copy_reference(tmp_path)
    en = (ref / "labels" / "en.yaml").read_text(encoding="utf-8")
    de = en.replace("lang: en", "lang: de").replace('decimal: "."', 'decimal: ","')
    de = de.replace('thousands: ","', 'thousands: "."').replace(
        "title: Touchpoint analysis", "title: Kontaktpunktanalyse"
    )
    (ref / "labels" / "de.yaml").write_text(de, encoding="utf-8")
    labels = load_labels(ref, "de")
    assert labels.fmt.number(1234.5, 1) == "1.234,5"
    assert labels.fmt.pct(12.5, 1) == "12,5%"
    cfg = RunConfig(now=NOW, reports_dir=tmp_path / "out", reference_dir=ref, lang="de")
    result = build_report(warehouse, replace(cfg))
    text = pdf_text(result.pdf)
    assert result.pdf.name == "touchpoint-workplan-2024-Q3-de.pdf"
    assert "Kontaktpunktanalyse work plan" in text
    assert "Invoices and billing 30 33% 0% 67%" in text  # English catalog names, German numbers


def test_retention_section_reads_the_retention_mart_once_it_exists(warehouse, tmp_path):
    """The contract for the retention stage: mart_retention, one row per complaint experience."""
    warehouse.execute(
        "create table mart_retention as select * from (values "
        "('never_complained', 100, 60, 60.0, 50.2, 69.1), "
        "('complaint_delighted', 20, 15, 75.0, 53.1, 88.8), "
        "('unresolved', 10, 2, 20.0, 5.7, 51.0)"
        ") as t(experience, customers, reordered, reorder_pct, ci_low, ci_high)"
    ).fetchall()
    # an order loaded (with none the section says so in one line: test_report_any_data.py)
    warehouse.execute("insert into orders values ('O1', 'shop', 'C1', timestamp '2024-07-01', "
                      "10, 'MYR', 'o.csv', 1, 'h', 'r')").fetchall()
    try:
        result = build_report(warehouse, RunConfig(now=NOW, reports_dir=tmp_path))
        text = pdf_text(result.pdf)
        assert "Not computed yet" not in text
        assert "Never complained 100 60 60% 50% – 69%" in text
        assert "Complaint unresolved 10 2 20% 6% – 51%" in text
    finally:
        warehouse.execute("drop table mart_retention").fetchall()
        warehouse.execute("delete from orders where order_id = 'O1'").fetchall()


def test_parquet_export_streams_in_row_groups_and_keeps_order(tmp_path, monkeypatch):
    """A mart is written batch by batch (bounded memory), sorted, every row once."""
    import pyarrow.parquet as pq

    from pipeline.report import export

    monkeypatch.setattr(export, "_PARQUET_BATCH", 1000)
    con = duckdb.connect()
    con.execute("create table t as "
                "select (i * 7919) % 2500 as k, 'x' || i as v from range(2500) r(i)")
    path = export.write_parquet(con, "t", tmp_path / "t.parquet")
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 2500 and meta.num_row_groups == 3
    assert pq.read_table(path).to_pylist() == [
        {"k": k, "v": v} for k, v in con.execute("select * from t order by all").fetchall()
    ]


def test_contacts_without_a_customer_and_declared_dates_are_told(tmp_path):
    """Anonymous contacts are scored but followed by neither segments nor retention, and a
    source whose dates the mapping declares is named: the report says both, in numbers."""
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    rows = _rows()
    anonymous = [r for r in rows if r["topic"] == "billing"][:7]
    for r in anonymous:
        r["customer_id"] = None
    _insert(con, rows)
    _ledger(con)
    con.execute("insert into run_files (run_id, source, target, source_file, file_hash, status, "
                "rows_read, staged, quarantined, duplicates, dates_declared) values ('r1', "
                "'survey2019', 'interactions', 's.csv', 'h2', 'loaded', 3, 3, 0, 0, true)")
    cfg = RunConfig(now=NOW, reports_dir=tmp_path)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    text = pdf_text(build_report(con, cfg).pdf)
    assert ("7 interactions carry no customer id (callcentre 7): they are mapped and scored, and "
            "left out of customer segments and retention") in text
    assert "Contacts without a customer id 7 (all loaded files)" in text
    assert "not observed in the export: survey2019." in text
    con.close()


# --- small numbers told honestly (issue 14, item 6) ------------------------------------------


def _touchpoint(delighted: int, satisfied: int, dissatisfied: int, share: float = 50.0,
                prev: tuple[int, int, int] | None = None) -> TouchpointStats:
    """A hand-made touchpoint with the given outcome counts; `prev`: (volume, delighted,
    dissatisfied) of the period before."""
    mix = Mix(delighted=delighted, satisfied=satisfied, dissatisfied=dissatisfied)
    n = mix.volume
    pct = {"delighted": 100 * delighted / n, "satisfied": 100 * satisfied / n,
           "dissatisfied": 100 * dissatisfied / n, "unscored": 0.0}
    net = pct["delighted"] - pct["dissatisfied"]
    t = TouchpointStats("delivery", "Delivery", "physical", "delivery", "Ops", 1,
                        Metrics(mix=mix, pct=pct, net_delight=net), volume_share=share)
    if prev is not None:
        v, d, s = prev
        t = replace(t, prev_volume=v, prev_delighted=d, prev_dissatisfied=s,
                    prev_net_delight=100 * (d - s) / v)
    return t  # fmt: skip


def test_a_touchpoint_with_few_scored_contacts_is_marked_and_never_p1():
    """12 contacts, 10 dissatisfied (83%), half of all contacts: on the point estimate a P1, but
    under the playbook's 30 scored contacts it is `small n` and P2 at most; the same shares on
    120 contacts are P1."""
    from pipeline.report.workplan import is_small, priority, work_plan

    pb = load_playbook(paths.REFERENCE)
    assert pb.priority.small_n == 30
    small = _touchpoint(0, 2, 10)
    assert is_small(small, pb.priority)
    assert priority(small, pb.priority, None) == "P2"
    big = _touchpoint(0, 20, 100)
    assert not is_small(big, pb.priority)
    assert priority(big, pb.priority, None) == "P1"
    # in the work plan (selection needs 20 scored: lowered here to reach the 12-contact one)
    pb = replace(pb, selection=replace(pb.selection, min_scored=1, min_reason_n=1))
    labels = load_labels(paths.REFERENCE, "en")
    rows = work_plan([small], [gather.ReasonCount("delivery", "speed_missed", 10, "other", 0)],
                     pb, labels, NOW.date(), None)  # fmt: skip
    assert [(r.priority, r.small_n) for r in rows] == [("P2", True)]


def test_p1_reads_the_lower_bound_of_the_dissatisfied_share():
    """35% dissatisfied is above the 30% P1 threshold, but on 100 contacts the Wilson interval
    starts at 26.4% (not sure enough: P2); on 2,000 contacts it starts at 32.9% (P1)."""
    from pipeline.report.workplan import priority

    pb = load_playbook(paths.REFERENCE)
    t100 = _touchpoint(10, 55, 35)
    assert t100.dissatisfied_interval[0] == pytest.approx(0.2636, abs=1e-4)
    assert priority(t100, pb.priority, None) == "P2"
    t2000 = _touchpoint(200, 1100, 700)
    assert t2000.dissatisfied_interval[0] == pytest.approx(0.3294, abs=1e-4)
    assert priority(t2000, pb.priority, None) == "P1"


def test_intervals_match_a_hand_computation():
    """Wilson 8/20: p = .4, z² = 3.8415, centre .4 + z²/40 = .49604, half
    1.96·sqrt(.24/20 + z²/1600) = .23521, over 1 + z²/20 = 1.19207: [.21880, .61342].
    Wilson 11/20: [.34209, .74180]. Newcombe 11/20 - 8/20 = .15, lower .15 - sqrt((.55 - .34209)²
    + (.61342 - .4)²) = -.14795, upper .15 + sqrt((.74180 - .55)² + (.4 - .21880)²) = .41385.
    Net delight 55 (11 of 20 delighted) against 40 (8 of 20), no dissatisfied: variances
    .55·.45/20 + .4·.6/20 = .024375, 1.96·sqrt = 30.60 points: [-15.60, +45.60]."""
    from pipeline.report.stats import net_delight_change, newcombe, wilson

    assert wilson(8, 20) == pytest.approx((0.21880, 0.61342), abs=1e-5)
    assert wilson(11, 20) == pytest.approx((0.34209, 0.74180), abs=1e-5)
    assert newcombe(11, 20, 8, 20) == pytest.approx((0.15, -0.14795, 0.41385), abs=2e-5)
    assert net_delight_change(11, 0, 20, 8, 0, 20) == pytest.approx((15.0, -15.60, 45.60),
                                                                    abs=1e-2)  # fmt: skip
    assert wilson(0, 0) is None and newcombe(1, 2, 0, 0) is None


@pytest.mark.parametrize(("n", "mark"), [(20, None), (2000, "up")])
def test_a_change_is_marked_only_when_its_interval_excludes_zero(n, mark):
    """40% -> 55% on 20 contacts each could be chance; on 2,000 each it is not. Both for a share
    (Newcombe) and for the matrix's net delight change (delighted 40% -> 55%, none dissatisfied),
    and the other way round it is a fall."""
    from pipeline.report.stats import change_mark, newcombe

    before, now = round(0.40 * n), round(0.55 * n)
    assert change_mark(newcombe(now, n, before, n)) == mark
    assert change_mark(newcombe(before, n, now, n)) == (mark and "down")
    t = _touchpoint(now, n - now, 0, prev=(n, before, 0))
    assert t.change == pytest.approx(15.0)
    assert change_mark(t.change_interval) == mark


def test_shares_changes_and_the_rule_are_told_with_their_certainty(reports):
    """In the report: the small-n mark and its footnote, a change told from chance or not, the n
    beside CSAT and promise kept, and a rule text that says P1 reads the interval's lower bound
    (English and Malay)."""
    en = pdf_text(reports["en"].pdf)
    matrix = en[en.index("2. Touchpoint matrix"):en.index("3. Charts")]
    # the website: 10 scored contacts
    assert "Website content (small n) 10" in matrix
    assert "small n: fewer than 30 scored contacts in the period" in matrix
    # billing: net delight −33 against −0 ... its interval holds zero; delivery: ▼ −90 pts
    assert re.search(r"Invoices and billing .* no clear change \[−\d+, [+−]?\d+\] ", matrix)
    assert "▼ −90 pts" in matrix
    assert "CSAT 50% of 40" in en and "Promise kept 66% of 70" in en
    assert ("the lower bound of the 95% interval of the dissatisfied share is ≥ 30% of "
            "contacts") in en
    assert "fewer than 30 scored contacts is marked “small n” and is never P1" in en
    assert "≥ 30% of contacts (not just the share itself)" in en
    ms = pdf_text(reports["ms"].pdf)
    assert "batas bawah selang 95% bahagian tidak berpuas hati ≥ 30%" in ms
    assert "“n kecil” dan tidak pernah P1" in ms


def test_the_small_n_threshold_is_configurable_and_checked(tmp_path):
    ref = _copy_reference(tmp_path)
    pb = ref / "playbook.yaml"
    text = pb.read_text(encoding="utf-8")
    pb.write_text(text.replace("  small_n: 30\n", "  small_n: 10\n"), "utf-8")
    assert load_playbook(ref).priority.small_n == 10
    pb.write_text(text.replace("  small_n: 30\n", ""), "utf-8")
    assert load_playbook(ref).priority.small_n == 30  # the default
    pb.write_text(text.replace("  small_n: 30\n", "  small_n: 0\n"), "utf-8")
    with pytest.raises(UserError, match=r"playbook.yaml: priority.small_n: 0 out of range"):
        load_playbook(ref)
    pb.write_text(text.replace("  small_n: 30\n", "  small_n: many\n"), "utf-8")
    with pytest.raises(UserError, match=r"priority.small_n: expected a whole number, got 'many'"):
        load_playbook(ref)


def test_long_label_paragraphs_are_printed_whole(reports):
    """A label's intro runs past the 400-character cut of table cells (Malay): printed whole."""
    text = pdf_text(reports["ms"].pdf)
    assert "penyelesaian, bahasa kakitangan)." in text
