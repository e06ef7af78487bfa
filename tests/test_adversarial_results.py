"""Issue 13, items 7 and 9-13: results that depended on luck (a shared output folder, an offset
on the clock, a nested Parquet value, an ambiguous date, delivery history, one huge number).

Cases that fit the bad-input table live in tests/test_bad_input.py; these need more than one
ingest, another process, or the command line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from test_bad_input import MAPPING, ORDERS, csv, line
from test_ingest import Project

from pipeline.cli import _config, _parser
from pipeline.report import export
from pipeline.run import run

ROOT = Path(__file__).resolve().parent.parent

# --- item 7: the temp-file sweep -------------------------------------------------------------

_HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pipeline.report.export import atomic_write, hold_writes
    out = Path(sys.argv[1])
    try:
        held = hold_writes("paused")
    except TypeError:  # the code before issue 13 took no run id
        held = hold_writes()
    atomic_write(out / "2026-Q3" / "workplan.csv", lambda f: f.write(b"held"))
    print("ready", flush=True)
    if sys.stdin.readline().strip() == "release":
        held.release()
        print("released", flush=True)
""")


def _holder(out: Path) -> subprocess.Popen:
    """Another process, a run paused with a report file held under its temporary name."""
    child = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def _ingest_project(root: Path, out: Path) -> Project:
    root.mkdir()
    p = Project(root)
    p.mapping("calls", MAPPING)
    p.file("calls/x.csv", csv(line(1)))
    return p


def test_sweep_spares_other_programs_files_and_a_live_runs_held_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    other = out / "drafts" / ".budget-2026.xlsx.tmp"  # an editor's, not ours
    other.parent.mkdir(parents=True)
    other.write_text("budget")
    paused = _holder(out)  # a run of another warehouse, paused before its commit
    try:
        held = [f for f in (out / "2026-Q3").iterdir() if f.name.startswith(".workplan.csv.")]
        assert len(held) == 1
        p = _ingest_project(tmp_path / "second", out)
        run(replace(p.config(), reports_dir=out), only=("ingest",))  # sweeps `out` first
        assert other.read_text() == "budget"
        assert held[0].read_text() == "held"
        assert paused.stdin is not None and paused.stdout is not None
        paused.stdin.write("release\n")
        paused.stdin.flush()
        assert paused.stdout.readline().strip() == "released"
        assert paused.wait(timeout=30) == 0
    finally:
        paused.kill()
    assert (out / "2026-Q3" / "workplan.csv").read_text() == "held"
    assert not [f for f in out.rglob("*") if f.name.endswith(".tmp") and f != other]


def test_sweep_removes_a_killed_runs_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    killed = _holder(out)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert [f for f in out.rglob("*.tmp")]  # the held file (and its run's lock file)
    p = _ingest_project(tmp_path / "next", out)
    run(replace(p.config(), reports_dir=out), only=("ingest",))
    assert [f for f in out.rglob("*.tmp")] == []
    assert not (out / "2026-Q3" / "workplan.csv").exists()  # never committed: never published


def test_sweep_names_carry_the_run_id(tmp_path: Path) -> None:
    held = export.hold_writes("run-42")
    try:
        export.write_bytes(tmp_path / "a.csv", b"x")
        names = sorted(f.name for f in tmp_path.iterdir())
        assert len(names) == 2
        assert names[0].startswith(".a.csv.~pipeline-run-42-") and names[0].endswith(".tmp")
        assert names[1].startswith(".~pipeline-run-42-") and names[1].endswith(".lock.tmp")
        export.remove_stale_temp_files(tmp_path)  # this run is alive: nothing goes
        assert len(list(tmp_path.iterdir())) == 2
    finally:
        held.release()
    assert [f.name for f in tmp_path.iterdir()] == ["a.csv"]


# --- item 9: --now with an offset ------------------------------------------------------------


def test_now_with_an_offset_is_converted_to_utc() -> None:
    def now(value: str) -> datetime:
        return _config(_parser().parse_args(["ingest", "--now", value])).now

    assert now("2026-11-01T02:00:00+08:00") == datetime(2026, 10, 31, 18, 0)
    assert now("2026-11-01T02:00:00Z") == datetime(2026, 11, 1, 2, 0)
    assert now("2026-11-01T02:00:00-05:30") == datetime(2026, 11, 1, 7, 30)
    assert now("2026-11-01T02:00:00") == datetime(2026, 11, 1, 2, 0)  # no offset: UTC


# --- item 10: a nested Parquet value mapped to a scalar field ---------------------------------


def test_parquet_list_and_map_values_are_quarantined_as_nested(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Project(tmp_path)
    p.mapping("orders", ORDERS)
    table = pa.table({
        "order_id": [f"O{i}" for i in range(1, 6)],
        "customer_id": [f"C{i}" for i in range(1, 6)],
        "ordered_at": pa.array([datetime(2026, 1, i) for i in range(1, 6)], pa.timestamp("us")),
        "amount": pa.array([[1.0], None, None, None, None], pa.list_(pa.float64())),
        "currency": pa.array([None, [("code", "MYR")], None, None, None],
                             pa.map_(pa.string(), pa.string())),
    })
    path = p.data / "orders" / "o.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    (f,) = p.run().ingest.files
    assert (f.rows_read, f.staged, f.quarantined, f.duplicates) == (5, 3, 2, 0)
    assert p.query("select source_row, reasons from quarantine order by 1") == [
        (1, ["nested_value:amount", "bad_number:amount"]), (2, ["nested_value:currency"])]
    assert p.query("select order_id, amount, currency from orders order by 1") == [
        ("O3", None, None), ("O4", None, None), ("O5", None, None)]


# --- item 11: day-first and month-first formats both declared ----------------------------------

BOTH_ORDERS = MAPPING.replace('"%d/%m/%Y %H:%M",', '"%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M",')


def test_a_date_both_formats_read_is_read_as_the_file_proves(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.mapping("calls", BOTH_ORDERS)
    p.file("calls/a.csv", csv(line(1, opened="03/04/2026 10:00"), line(2)))  # no proof
    p.file("calls/b.csv", csv(line(3, opened="03/04/2026 10:00"),  # 04/13 proves month-first
                              line(4, opened="04/13/2026 10:00"), line(5)))
    p.file("calls/c.csv", csv(line(6, opened="03/04/2026 10:00"),  # both proven: quarantined
                              line(7, opened="13/04/2026 10:00"),
                              line(8, opened="04/13/2026 10:00"), line(9), line(10)))
    p.file("calls/d.csv", csv(line(11, opened="13/04/2026 10:00"), line(12)))  # one reading
    result = p.run().ingest
    got = {f.file: (f.rows_read, f.staged, f.quarantined) for f in result.files}
    assert got == {"calls/a.csv": (2, 2, 0), "calls/b.csv": (3, 3, 0),
                   "calls/c.csv": (5, 4, 1), "calls/d.csv": (2, 2, 0)}
    assert p.query("select interaction_id, occurred_at from interactions "
                   "where interaction_id in ('R1', 'R3', 'R4', 'R7', 'R8', 'R11') order by 1") == [
        ("R1", datetime(2026, 4, 3, 8, 0)),  # 3 April (day-first, declared first), CEST
        ("R11", datetime(2026, 4, 13, 8, 0)),
        ("R3", datetime(2026, 3, 4, 9, 0)),  # 4 March: the file holds 04/13/2026, CET
        ("R4", datetime(2026, 4, 13, 8, 0)),
        ("R7", datetime(2026, 4, 13, 8, 0)),
        ("R8", datetime(2026, 4, 13, 8, 0))]
    assert p.query("select source_file, source_row, reasons from quarantine") == [
        ("calls/c.csv", 1, ["ambiguous_timestamp:occurred_at"])]
    formats = "'%d/%m/%Y %H:%M', '%m/%d/%Y %H:%M'"
    head = f"{p.sources / 'calls.yaml'}: fields.occurred_at:"
    assert sorted(result.notices) == [
        f"{head} calls/a.csv: 1 value(s) such as '03/04/2026 10:00' (row 1) fit more than one "
        f"of the formats {formats}; read as '%d/%m/%Y %H:%M' (declared first): no value in the "
        "file only another format reads",
        f"{head} calls/b.csv: 1 value(s) such as '03/04/2026 10:00' (row 1) fit more than one "
        f"of the formats {formats}; read as '%m/%d/%Y %H:%M' throughout the file, as "
        "'04/13/2026 10:00' (row 2) only that format reads",
        f"{head} calls/c.csv: 1 value(s) such as '03/04/2026 10:00' (row 1) fit more than one "
        f"of the formats {formats}, and the file proves more than one reading "
        "('13/04/2026 10:00' only '%d/%m/%Y %H:%M' reads; '04/13/2026 10:00' only "
        "'%m/%d/%Y %H:%M' reads): those rows are quarantined (ambiguous_timestamp:occurred_at)"]


def test_the_ambiguity_warning_is_printed_once(tmp_path: Path, capsys) -> None:
    from pipeline.cli import main

    p = Project(tmp_path)
    p.mapping("calls", BOTH_ORDERS)
    p.file("calls/a.csv", csv(*(line(i, opened="03/04/2026 10:00") for i in range(1, 4))))
    assert main(["ingest", "--warehouse", str(p.warehouse), "--data-dir", str(p.data),
                 "--sources", str(p.sources), "--expectations", str(p.expectations),
                 "--out", str(tmp_path / "reports"), "--now", "2026-11-01T00:00:00"]) == 0
    warnings = [x for x in capsys.readouterr().out.splitlines() if "fit more than one" in x]
    assert len(warnings) == 1
    assert warnings[0].startswith("  warning: ") and "fields.occurred_at: calls/a.csv: 3 value(s)" \
        " such as '03/04/2026 10:00' (row 1)" in warnings[0]


# --- item 12: batch-share expectations judge the same data the same way -------------------------

NO_REQUIRED = (MAPPING.replace("required: [customer_id]\n", "")
               .replace("  text: notes\n", "  text: notes\n  kind: {value: complaint}\n"))


def _quality(tmp_path: Path, name: str, files: dict[str, bytes], one_run: bool):
    """The report's data-quality section after loading `files` in one run or one run each."""
    import duckdb

    from pipeline.report import gather

    (tmp_path / name).mkdir()
    p = Project(tmp_path / name)
    p.mapping("calls", NO_REQUIRED)
    for i, (rel, content) in enumerate(files.items()):
        p.file(rel, content)
        if not one_run:
            p.run(run_id=f"small{i}")
    if one_run:
        p.run(run_id="big")
    con = duckdb.connect(str(p.warehouse), read_only=True)
    try:
        return gather.quality(con, with_coverage=False)
    finally:
        con.close()


def _calls(first: int, n: int, without_customer: int) -> bytes:
    """n records from id `first`; the first `without_customer` of them have no customer id."""
    return csv(*(line(i, customer="" if i < first + without_customer else f"C{i}")
                 for i in range(first, first + n)))


def test_many_small_runs_and_one_run_give_the_same_quality_section(tmp_path: Path) -> None:
    # 2 of 10 without a customer in the first file (20%: that run alone fails `mostly: 0.95`),
    # 2 of 50 over all (4%: the data passes)
    files = {"calls/a.csv": _calls(1, 10, 2), "calls/b.csv": _calls(100, 20, 0),
             "calls/c.csv": _calls(200, 20, 0)}
    small = _quality(tmp_path, "small", files, one_run=False)
    big = _quality(tmp_path, "big", files, one_run=True)
    assert small.expectations == big.expectations == []  # "Every expectation passed."
    assert small == big


def test_a_share_failing_over_all_runs_is_listed_once_with_every_runs_rows(
        tmp_path: Path) -> None:
    from pipeline.report.model import FailedExpectation

    # 2 + 2 + 0 of 10 + 10 + 20 without a customer: 10% over all, more than 5%
    files = {"calls/a.csv": _calls(1, 10, 2), "calls/b.csv": _calls(100, 10, 2),
             "calls/c.csv": _calls(200, 20, 0)}
    small = _quality(tmp_path, "small", files, one_run=False)
    big = _quality(tmp_path, "big", files, one_run=True)
    expected = [FailedExpectation("interactions", "expect_column_values_to_not_be_null",
                                  "customer_id", "warning", None, 4)]
    assert small.expectations == big.expectations == expected
    assert small == big


def test_a_share_is_judged_over_every_chunk_of_a_run() -> None:
    """Validation chunks (validation_chunk_rows) are summed the same way: 1 of 10 rows is 10%
    in the first chunk, 1 of 40 over the batch passes `mostly: 0.95`."""
    import pandas as pd

    from pipeline.ingest.validate import run_suite

    suite = {"name": "chunks", "expectations": [
        {"type": "expect_column_values_to_not_be_null",
         "kwargs": {"column": "a", "mostly": 0.95}, "severity": "warning"}]}
    frames = [pd.DataFrame({"a": [None] + ["x"] * 9}), pd.DataFrame({"a": ["x"] * 30})]
    (outcome,) = run_suite(suite, frames)
    assert outcome.success  # before issue 13: failed, as its first chunk did
    assert (outcome.unexpected_count, outcome.evaluated, outcome.mostly) == (1, 40, 0.95)
    (outcome,) = run_suite({**suite, "name": "chunks2"}, [frames[0], frames[0]])
    assert (outcome.success, outcome.unexpected_count, outcome.evaluated) == (False, 2, 20)


def test_a_sql_sources_struct_column_is_quarantined_as_nested(tmp_path: Path) -> None:
    p = Project(tmp_path)
    p.mapping("letters", """
        source: letters
        format: sql
        inputs:
          l: {files: letters/register.csv, format: csv}
        query: "select l.*, case when l.ref = 'L1' then {'code': l.cust} end as who from l"
        timestamp_formats: ["%Y-%m-%d"]
        fields:
          interaction_id: ref
          customer_id: {columns: [cust, who]}
          occurred_at: received
          channel: {value: letter}
    """)
    p.file("letters/register.csv", "ref,cust,received\n" + "".join(
        f"L{i},C{i},2026-03-0{i}\n" for i in range(1, 5)))
    (f,) = p.run().ingest.files
    assert (f.rows_read, f.staged, f.quarantined) == (4, 3, 1)
    assert p.query("select source_row, reasons from quarantine") == [
        (1, ["nested_value:customer_id"])]
    assert p.query("select customer_id from interactions order by 1") == [
        ("C2",), ("C3",), ("C4",)]
