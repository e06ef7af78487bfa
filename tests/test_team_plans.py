"""One plan per team (pipeline.report.teams): safe file names, and each team's PDF and CSV hold
exactly the actions of its owner.

The hand-made report (figures by hand; shares are of all contacts):

  touchpoint        owner             delighted satisfied dissatisfied  reasons (contacts)
  Parcel delivery   Logistics         20        20        60            speed_missed 40,
                                                                        discouraged_phrase 12,
                                                                        rating_low 2 (< 5: none)
  Returns desk      Logistics         10        10        20            speed_missed 15
  Hotline           Customer Service  35        30        35            rating_low 20
  Invoices          Finance           50        45         5            rating_low 3 (< 5: none)
  Newsletter        Marketing          0         0         0            (no contacts)

340 contacts, 115 delighted, 120 dissatisfied: 35% dissatisfied, net delight −1. Logistics: 140
contacts (41%), 80 dissatisfied (57%), net delight (30 − 80) / 140 = −36; three actions, all P1
(Wilson lower bounds 50% and 35% ≥ 30%, ≥ 5% of contacts, net below −1). Customer Service: one
action, P2 (35%: its Wilson lower bound 26% < 30%). Finance and Marketing: no action, no file.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.outcomes import score_outcomes
from pipeline.report import build_report, rule_numbers, write_report
from pipeline.report.export import hold_writes
from pipeline.report.gather import overall
from pipeline.report.labels import load_labels
from pipeline.report.model import (
    FollowUp,
    Metrics,
    Mix,
    Period,
    Quality,
    ReasonCount,
    ReportData,
    TouchpointStats,
)
from pipeline.report.playbook import load_playbook
from pipeline.report.teams import SLUG_MAX, owner_slugs, slug, team_data
from pipeline.report.workplan import with_quadrants, work_plan
from pipeline.touchpoints import map_touchpoints
from pipeline.vocabulary import OUTCOMES

# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("Logistics", "logistics"),
        ("After-Sales Service", "after-sales-service"),
        ("Équipe Café Ñandú", "equipe-cafe-nandu"),
        ("ﬁnance", "finance"),  # a ligature decomposes (NFKD)
        ("Ops & Support!!", "ops-support"),
        ("../../etc/passwd", "etc-passwd"),
        ("/etc", "etc"),
        ("a/b", "a-b"),
        ("a\\b", "a-b"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("a\x00b", "a-b"),
        (".", "owner"),
        ("..", "owner"),
        ("", "owner"),
        ("   ", "owner"),
        ("客服", "owner"),
        ("CON", "con-team"),
        ("nul", "nul-team"),
        ("Com1", "com1-team"),
        ("LPT9", "lpt9-team"),
        ("x" * 100, "x" * 60),
        ("ab " * 30, "-".join(["ab"] * 20)),  # cut at 60, the trailing hyphen trimmed
        ("-Ops-", "ops"),
    ],
)
def test_slug(owner, expected):
    assert slug(owner) == expected


HOSTILE = ["../x", "/etc", "a/b", ".", "..", "\x00", "con", "CON.pdf", "aux.", " . ", "~root",
           "$(rm -rf /)", "<b>x</b>", "a" * 500, "é" * 80, "\n", "..\\..\\boot.ini"]


@pytest.mark.parametrize("owner", HOSTILE)
def test_slug_is_always_a_plain_name(owner, tmp_path):
    s = slug(owner)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s)
    assert len(s) <= SLUG_MAX + len("-team")
    assert s not in {"con", "prn", "aux", "nul"} and not re.fullmatch(r"(com|lpt)\d", s)
    assert (tmp_path / s).parent == tmp_path


def test_owners_that_share_a_slug_get_numbered_in_sorted_order():
    owners = ["ops-team", "Ops Team", "OPS TEAM", "ops-team-2", "Finance"]
    # sorted: "Finance" < "OPS TEAM" < "Ops Team" < "ops-team" < "ops-team-2"
    expected = {
        "Finance": "finance",
        "OPS TEAM": "ops-team",
        "Ops Team": "ops-team-2",
        "ops-team": "ops-team-3",
        "ops-team-2": "ops-team-2-2",  # its own slug is taken already
    }
    assert owner_slugs(owners) == expected
    assert owner_slugs(reversed(owners)) == expected  # the order given does not matter
    assert owner_slugs(["客服", "営業", ".."]) == {"..": "owner", "営業": "owner-2",
                                                   "客服": "owner-3"}


# --- a hand-made report ----------------------------------------------------------------------

REPORT_DATE = date(2026, 11, 3)
TOUCHPOINTS = [  # id, name, owner, kind, (delighted, satisfied, dissatisfied)
    ("delivery", "Parcel delivery", "Logistics", "physical", (20, 20, 60)),
    ("returns", "Returns desk", "Logistics", "physical", (10, 10, 20)),
    ("hotline", "Hotline", "Customer Service", "human_contact", (35, 30, 35)),
    ("billing", "Invoices", "Finance", "communication", (50, 45, 5)),
    ("newsletter", "Newsletter", "Marketing", "communication", (0, 0, 0)),
]
REASONS = [("delivery", "speed_missed", 40), ("delivery", "discouraged_phrase", 12),
           ("delivery", "rating_low", 2), ("returns", "speed_missed", 15),
           ("hotline", "rating_low", 20), ("billing", "rating_low", 3)]


def _metrics(d: int, s: int, x: int) -> Metrics:
    v = d + s + x
    pct = {o: 100.0 * n / v if v else None for o, n in zip(OUTCOMES, (d, s, x, 0), strict=True)}
    return Metrics(Mix(d, s, x, 0), pct, 100.0 * (d - x) / v if v else None)


def _follow_up(plan_id: str, owner: str, overdue: bool) -> FollowUp:
    tp, reason = plan_id.split("/")
    return FollowUp(
        plan_id=plan_id, touchpoint_id=tp, touchpoint=tp.title(), reason=reason,
        action_id="a", action=f"Earlier action for {owner}", owner=owner, priority="P1",
        set_in="2026-Q2", due=date(2026, 8, 1), status="open", status_note=None,
        status_date=None, kpi="dissatisfied_share", kpi_lower_is_better=True,
        kpi_then=50.0, kpi_then_low=40.0, kpi_then_high=60.0, kpi_then_n=100,
        kpi_now=45.0, kpi_now_low=35.0, kpi_now_high=55.0, kpi_now_n=100,
        verdict="no_change", overdue=overdue, continued=False,
    )


FOLLOWUPS = [_follow_up("delivery/speed_missed", "Logistics", True),
             _follow_up("hotline/rating_low", "Customer Service", False),
             _follow_up("billing/rating_low", "Finance", True)]


def report(lang: str = "en", owners: dict[str, str] | None = None) -> ReportData:
    """The report above; `owners` renames owners (touchpoint id -> owner)."""
    labels = load_labels(paths.REFERENCE, lang)
    playbook = load_playbook(paths.REFERENCE)
    total = sum(sum(mix) for *_, mix in TOUCHPOINTS)
    tps = [
        TouchpointStats(tid, name, kind, "delivery", (owners or {}).get(tid, owner), i,
                        _metrics(*mix), 100.0 * sum(mix) / total)
        for i, (tid, name, owner, kind, mix) in enumerate(TOUCHPOINTS)
    ]
    ov = overall(tps)
    tps = with_quadrants(tps, ov.net_delight)
    reasons = [ReasonCount(t, r, n, "other", 0) for t, r, n in REASONS]
    return ReportData(
        lang=lang, report_date=REPORT_DATE,
        period=Period(date(2026, 7, 1), date(2026, 9, 30)), previous=None,
        sources=["callcentre"], overall=ov, touchpoints=tps, reasons=reasons, months=[],
        channels=[], workplan=work_plan(tps, reasons, playbook, labels, REPORT_DATE,
                                        ov.net_delight),
        segments=None, retention=None, phrases=[], quality=Quality(),
        rule=rule_numbers(playbook), followups=FOLLOWUPS,
    )


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(path).pages)


def csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    data = report()
    result = write_report(None, data, load_labels(paths.REFERENCE, "en"), out)
    return result, out


def test_one_pdf_and_csv_per_owner_with_actions(written):
    """Logistics and Customer Service have actions; Finance only an earlier action followed up
    (overdue), which is theirs to read too; Marketing nothing."""
    result, out = written
    teams = out / "2026-Q3" / "teams"
    assert sorted(p.name for p in teams.iterdir()) == [
        "customer-service.csv", "customer-service.pdf", "finance.csv", "finance.pdf",
        "logistics.csv", "logistics.pdf"]
    assert sorted(result.teams) == sorted(teams.iterdir())
    assert set(result.teams) <= set(result.paths)  # written like every other output
    assert not list(out.rglob(".*.tmp"))


def test_team_csv_holds_exactly_its_owners_actions(written):
    result, out = written
    full = csv_rows(result.workplan_csv)
    logistics = csv_rows(out / "2026-Q3" / "teams" / "logistics.csv")
    service = csv_rows(out / "2026-Q3" / "teams" / "customer-service.csv")
    assert {r["plan_id"] for r in logistics} == {
        "delivery/speed_missed", "delivery/discouraged_phrase", "returns/speed_missed"}
    assert [r["priority"] for r in logistics] == ["P1", "P1", "P1"]
    assert [(r["plan_id"], r["priority"]) for r in service] == [("hotline/rating_low", "P2")]
    # the full CSV's rows, unchanged (rank and all), the same columns
    assert logistics + service == sorted(full, key=lambda r: r["owner"] != "Logistics")
    assert list(logistics[0]) == list(full[0])


def test_team_pdf_shows_its_figures_actions_and_follow_ups(written):
    _, out = written
    text = pdf_text(out / "2026-Q3" / "teams" / "logistics.pdf")
    assert "Work plan: Logistics" in text
    assert "140 of the period's 340 contacts (41%)" in text
    assert "57% (80 of 140 contacts); all touchpoints: 35%" in text
    assert "−36; all touchpoints: −1" in text
    assert "3: 3 P1, 0 P2, 0 P3" in text
    assert "1, of which 1 overdue" in text and "Earlier action for Logistics" in text
    assert "Parcel delivery" in text and "Returns desk" in text
    assert "Reasons for dissatisfaction" in text
    # reasons: contacts, share of the touchpoint's dissatisfied, the plan's row (rank: P1 rows by
    # contacts, 40 > 15 > 12); 2 of 60 (3%) is under 5%, in the one line for the rest
    assert "resolved after the promised time 40 67% of 60 #1 P1" in text
    assert "heard a discouraged phrase 12 20% of 60 #3 P1" in text
    assert "resolved after the promised time 15 75% of 20 #2 P1" in text
    assert "1 more, each behind less than 5% of the dissatisfied contacts" in text
    assert "gave a low rating" not in text
    assert "touchpoint-workplan-2026-Q3.pdf" in text  # names the full report
    for other in ("Hotline", "Invoices", "Customer Service", "Finance", "Earlier action for"
                  " Customer Service"):
        assert other not in text
    text = pdf_text(out / "2026-Q3" / "teams" / "customer-service.pdf")
    assert "1: 0 P1, 1 P2, 0 P3" in text and "1, of which 0 overdue" in text
    assert "Hotline" in text and "Parcel delivery" not in text


def test_team_data_is_cut_to_the_owner():
    data = team_data(report(), "Logistics")
    assert [t.touchpoint_id for t in data.touchpoints] == ["delivery", "returns"]
    assert {r.touchpoint_id for r in data.reasons} == {"delivery", "returns"}
    assert [f.plan_id for f in data.followups] == ["delivery/speed_missed"]
    assert data.overall == report().overall  # the period's figures stay, as the comparison


def test_other_languages_write_beside_english(tmp_path):
    result = write_report(None, report("ms"), load_labels(paths.REFERENCE, "ms"), tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in result.teams) == [
        "2026-Q3/teams-ms/customer-service.csv", "2026-Q3/teams-ms/customer-service.pdf",
        "2026-Q3/teams-ms/finance.csv", "2026-Q3/teams-ms/finance.pdf",
        "2026-Q3/teams-ms/logistics.csv", "2026-Q3/teams-ms/logistics.pdf"]
    assert "Pelan kerja: Logistics" in pdf_text(tmp_path / "2026-Q3/teams-ms/logistics.pdf")


def test_owners_sharing_a_slug_get_their_own_files(tmp_path):
    data = report(owners={"delivery": "Ops Team", "returns": "ops-team", "hotline": "Ops/Support"})
    data = replace(data, followups=[])  # the follow-ups name the old owners
    result = write_report(None, data, load_labels(paths.REFERENCE, "en"), tmp_path)
    teams = tmp_path / "2026-Q3" / "teams"
    assert sorted(p.name for p in result.teams if p.suffix == ".csv") == [
        "ops-support.csv", "ops-team-2.csv", "ops-team.csv"]
    # sorted by name: "Ops Team" < "ops-team"
    assert {r["touchpoint_id"] for r in csv_rows(teams / "ops-team.csv")} == {"delivery"}
    assert {r["touchpoint_id"] for r in csv_rows(teams / "ops-team-2.csv")} == {"returns"}
    assert {r["owner"] for r in csv_rows(teams / "ops-support.csv")} == {"Ops/Support"}


# --- through the warehouse, with a hostile catalog -------------------------------------------


@pytest.mark.parametrize("owners", [("../../etc/passwd", "Ops/Support"),
                                    ("Ops Team", "ops-team")])
def test_hostile_owner_names_stay_in_the_teams_folder(owners, tmp_path):
    """test_report's fixture (delivery and billing both get actions), its catalog's owners
    replaced: every team file lands in reports/2024-Q3/teams/, one per owner."""
    from test_report import NOW, SCHEMA, _insert, _ledger, _rows

    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref)
    tp = ref / "touchpoints.yaml"
    lines = tp.read_text(encoding="utf-8").splitlines(keepends=True)
    ids = [i for i, line in enumerate(lines) if line.strip().startswith("- id:")]
    for tid, owner in zip(("delivery", "billing"), owners, strict=True):
        start = next(i for i in ids if lines[i].split(":", 1)[1].strip() == tid)
        at = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("owner:"))
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        lines[at] = f'{indent}owner: "{owner}"\n'
    tp.write_text("".join(lines), encoding="utf-8")

    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    _insert(con, _rows())
    _ledger(con)
    out = tmp_path / "out"
    cfg = RunConfig(now=NOW, reports_dir=out, reference_dir=ref)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    result = build_report(con, cfg)
    con.close()

    teams = (out / "2024-Q3" / "teams").resolve()
    assert len(result.teams) == 4 and all(p.resolve().parent == teams for p in result.teams)
    assert sorted(p.name for p in teams.iterdir()) == sorted(p.name for p in result.teams)
    by_owner = {}
    for p in result.teams:
        if p.suffix == ".csv":
            rows = csv_rows(p)
            assert len({r["owner"] for r in rows}) == 1
            by_owner[rows[0]["owner"]] = {r["touchpoint_id"] for r in rows}
    assert by_owner == {owners[0]: {"delivery"}, owners[1]: {"billing"}}
    # nothing anywhere else: every file under out/ is one the report lists, none outside it
    assert not (out / "etc").exists() and not (tmp_path / "etc").exists()
    assert {p for p in out.rglob("*") if p.is_file()} == set(result.paths)
    assert {p.name for p in tmp_path.iterdir()} == {"reference", "out"}


def test_a_team_with_nothing_to_do_now_loses_its_earlier_plan_on_commit(tmp_path):
    """The same period written again after Logistics' actions and follow-ups went: its plan
    from the first run is removed once the run commits, and stays when the run rolls back."""
    labels = load_labels(paths.REFERENCE, "en")
    first = report()
    write_report(None, first, labels, tmp_path)
    teams = tmp_path / "2026-Q3" / "teams"
    assert (teams / "logistics.pdf").exists()
    later = replace(first, workplan=[r for r in first.workplan if r.owner != "Logistics"],
                    followups=[f for f in first.followups if f.owner != "Logistics"])
    held = hold_writes("rolled-back")
    write_report(None, later, labels, tmp_path)
    held.discard()
    assert (teams / "logistics.pdf").exists() and (teams / "logistics.csv").exists()
    held = hold_writes("committed")
    write_report(None, later, labels, tmp_path)
    assert (teams / "logistics.pdf").exists()  # until the commit
    held.release()
    assert sorted(p.name for p in teams.iterdir()) == [
        "customer-service.csv", "customer-service.pdf", "finance.csv", "finance.pdf"]
