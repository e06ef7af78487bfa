"""The whole pipeline on a small generated sample, through the command line, twice."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline import paths
from pipeline.bench import bench, render, render_growth, write_json
from pipeline.cli import COMMANDS, main
from pipeline.sample import write_sample

NOW = "2026-11-22T00:00:00"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    write_sample(root / "data" / "sample", interactions=3000, customers=300)
    return root


def _args(root: Path, *extra: str) -> list[str]:
    return ["--warehouse", str(root / "w.duckdb"), "--data-dir", str(root / "data"),
            "--out", str(root / "reports"), "--now", NOW, *extra]


def _query(root: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _pdf_text(root: Path) -> str:
    (pdf,) = sorted((root / "reports").glob("touchpoint-workplan-*.pdf"))
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_first_run_loads_every_source_and_writes_the_report(project: Path, capsys) -> None:
    assert main(["run", *_args(project)]) == 0
    out = capsys.readouterr().out
    assert "report 2026-Q3" in out and "coverage:" in out
    # Conservation for every file, and every source staged something.
    files = _query(project, "select source, rows_read, staged, quarantined, duplicates "
                            "from run_files where status = 'loaded'")
    assert len(files) >= 40
    assert all(r == s + q + d for _, r, s, q, d in files)
    by_source = {src for src, _, s, _, _ in files if s > 0}
    assert by_source == {"callcentre", "helpdesk", "letters", "stores", "survey", "orders"}
    staged = sum(s for src, _, s, _, _ in files if src != "orders")
    assert _query(project, "select count(*) from interactions") == [(staged,)]
    # Every interaction has exactly one touchpoint and one outcome.
    assert _query(project, "select count(*) from interaction_touchpoints") == [(staged,)]
    assert _query(project, "select count(*), count(distinct (source, interaction_id)) "
                           "from interaction_outcomes") == [(staged, staged)]
    text = _pdf_text(project)
    for heading in ("1. Summary", "2. Touchpoint matrix", "4. Work plan", "8. Data quality"):
        assert heading in text


def test_retention_and_report_read_the_same_segments(project: Path) -> None:
    # one customer_segments per run (the report period's window), read by retention as well
    assert _query(project, "select count(*) from customer_segments")[0][0] > 0
    differ = _query(project, "select count(*) from mart_customer_retention r "
                             "left join customer_segments s using (customer_id) "
                             "where r.segment is distinct from s.segment")
    assert differ == [(0,)]


def test_second_run_changes_nothing_and_writes_the_same_report(project: Path, capsys) -> None:
    before = {t: _query(project, f"select count(*) from {t}")
              for t in ("interactions", "orders", "quarantine", "interaction_outcomes")}
    text = _pdf_text(project)
    assert main(["run", *_args(project)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"0 file\(s\) loaded, \d+ already loaded", out)
    after = {t: _query(project, f"select count(*) from {t}") for t in before}
    assert after == before
    assert _pdf_text(project) == text


def test_explain_says_which_rule_mapped_an_interaction(project: Path, capsys) -> None:
    (iid,) = _query(project, "select interaction_id from interactions "
                             "where channel = 'letter' order by 1 limit 1")[0]
    assert main(["map", "--explain", iid, *_args(project)]) == 0
    out = capsys.readouterr().out
    assert iid in out and "letter_any" in out


def test_every_command_is_in_the_readme() -> None:
    readme = (paths.ROOT / "README.md").read_text()
    for command in COMMANDS:
        assert f"| `{command}` |" in readme, command


def test_benchmark_harness_runs(tmp_path: Path) -> None:
    """A tiny run so the harness cannot rot; no timing is asserted."""
    result = bench(3000, incremental=True, data_root=tmp_path / "data", out=tmp_path / "out",
                   increment_rows=500, profile=True)
    assert [s.stage for s in result.stages] == ["ingest", "map", "score", "marts", "retention",
                                                "report", "commit"]
    assert result.input_rows > 3000 and result.floor_s > 0 and result.end_to_end_s > 0
    assert result.incremental["rows_read"] > 0
    assert "ratio end-to-end / floor" in render(result)
    assert write_json(result, tmp_path / "out").exists()
    assert result.cpu_s > 0 and result.statements
    assert "interaction_outcomes" in {s["statement"] for s in result.statements}
    assert "slowest statements" in render(result)
    smaller = replace(result, rows=1000, input_rows=result.input_rows // 3)
    write_json(smaller, tmp_path / "out")
    assert "growth" in render_growth(tmp_path / "out")
    shutil.rmtree(tmp_path / "data")


# --- incremental runs ---------------------------------------------------------------------------

def _derived(warehouse: Path) -> dict[str, list]:
    """Every model the warehouse keeps (pipeline/models.py), as sorted rows; the stamps of the
    run that mapped or scored a row (mapped_run, scored_run) left out, as they name runs."""
    from pipeline.models import kept_models

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for m in kept_models():
            stamps = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = $t "
                "and column_name in ('mapped_run', 'scored_run')", {"t": m.name}).fetchall()]
            exclude = f" exclude ({', '.join(stamps)})" if stamps else ""
            out[m.name] = con.execute(f"select *{exclude} from {m.name} order by all").fetchall()
        return out
    finally:
        con.close()


def _outputs(reports: Path) -> tuple[str, bytes]:
    (csv,) = sorted(reports.glob("workplan-*.csv"))
    (pdf,) = sorted(reports.glob("touchpoint-workplan-*.pdf"))
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages), csv.read_bytes()


@pytest.mark.parametrize("change", ["new_day", "late_file_in_period", "marts_in_between"])
def test_incremental_runs_equal_a_run_from_scratch(tmp_path: Path, change: str) -> None:
    """A second run over a new day after the report period keeps the period's segments, facts
    and marts as built (retention rebuilds only the customers the day touched); a late file
    inside the period, or a `marts` run for another period in between, has them built again.
    Either way every derived table, the PDF and the CSV equal a single run from scratch."""
    from datetime import date, datetime

    from pipeline.bench import add_increment
    from pipeline.config import RunConfig
    from pipeline.run import run

    data = tmp_path / "data"
    write_sample(data / "sample", interactions=4000, customers=1000)

    def cfg(name: str, **kw) -> RunConfig:
        return RunConfig(warehouse=tmp_path / f"{name}.duckdb", data_dir=data,
                         reports_dir=tmp_path / f"reports-{name}", quiet=True,
                         now=datetime(2026, 11, 22), **kw)

    run(cfg("a"))
    if change == "late_file_in_period":
        late = tmp_path / "late"
        write_sample(late, interactions=300, customers=1000, months=1, end=date(2026, 8, 31),
                     seed=7, first_id=900_000_000)
        shutil.copy(late / "callcentre/calls_2026-08.csv",
                    data / "sample/callcentre/calls_2026-08-late.csv")
    else:
        add_increment(data, 400, tmp_path / "work")
    if change == "marts_in_between":
        run(cfg("a", period_from="2026-04-01", period_to="2026-06-30"), only=("marts",))
    second = run(cfg("a")).stages
    assert second["marts"].kept is (change == "new_day")
    assert second["retention"]["incremental"] is True
    run(cfg("b"))  # everything at once
    assert _derived(tmp_path / "a.duckdb") == _derived(tmp_path / "b.duckdb")
    assert _outputs(tmp_path / "reports-a") == _outputs(tmp_path / "reports-b")
