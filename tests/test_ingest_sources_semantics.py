"""Mapping semantics that were wrong on real exports (issue 12) and the SQL source's sandbox
(issue 13, item 1): the unpivot key, SQL sources, a changed mapping and `--reload`, and errors
that point at the fix."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from test_ingest import CALLS, CALLS_MAPPING, Project

from pipeline.cli import main
from pipeline.errors import UserError, ValidationFailed
from pipeline.run import run
from pipeline.warehouse import connect

# --- wide survey unpivot ----------------------------------------------------------------------


def test_unpivot_suffixes_only_the_interaction_id(project: Project) -> None:
    """The respondent column is both the customer and the key: only the key gets /<topic>."""
    project.mapping(
        "survey",
        """
        source: survey
        files: survey/*.csv
        format: csv
        fields:
          interaction_id: Respondent
          customer_id: Respondent
          agent_id: Respondent
          occurred_at: SubmittedAt
          channel: {value: web}
          kind: {value: feedback}
        unpivot:
          columns: {Q_Delivery: delivery, Q_Website: website}
          value_to: rating
          name_to: topic
    """,
    )
    project.file(
        "survey/s.csv",
        "Respondent,SubmittedAt,Q_Delivery,Q_Website\n"
        "C001,2026-03-18 10:00:00,5,4\nC002,2026-03-19 10:00:00,,2\n",
    )
    result = project.run()
    assert [(f.rows_read, f.staged, f.quarantined, f.duplicates)
            for f in result.ingest.files] == [(3, 3, 0, 0)]
    assert project.query("select interaction_id, customer_id, agent_id, topic, rating "
                         "from interactions order by 1") == [
        ("C001/delivery", "C001", "C001", "delivery", 5.0),
        ("C001/website", "C001", "C001", "website", 4.0),
        ("C002/website", "C002", "C002", "website", 2.0),
    ]
    assert project.query("select count(distinct customer_id) from interactions") == [(2,)]


def test_unpivot_key_from_several_columns_gets_the_topic(project: Project) -> None:
    """A response key built from two columns still gets /<topic> for each answer."""
    project.mapping(
        "survey",
        """
        source: survey
        files: survey/*.csv
        format: csv
        fields:
          interaction_id: {columns: [Form, Stamp], separator: "@"}
          occurred_at: Stamp
          channel: {value: web}
        unpivot:
          columns: {Q1: delivery, Q2: website}
          value_to: rating
          name_to: topic
    """,
    )
    project.file("survey/s.csv", "Form,Stamp,Q1,Q2\nF,2026-03-18 10:00:00,5,4\n"
                                 ",2026-03-19 10:00:00,3,\n")
    result = project.run()
    assert [(f.rows_read, f.staged, f.quarantined, f.duplicates)
            for f in result.ingest.files] == [(3, 3, 0, 0)]
    assert project.query("select interaction_id, topic, rating from interactions order by 1") == [
        ("2026-03-19 10:00:00/delivery", "delivery", 3.0),
        ("F@2026-03-18 10:00:00/delivery", "delivery", 5.0),
        ("F@2026-03-18 10:00:00/website", "website", 4.0),
    ]


# --- SQL sources ------------------------------------------------------------------------------

LETTERS = "ref,received,sender\nL1,2026-03-08,S1\nL2,2026-03-09,S9\n"


def _letters(project: Project, query: str, extra_inputs: str = "") -> Path:
    project.file("letters/register_2026.csv", LETTERS)
    project.file("letters/senders.csv", "sender_ref,customer_no\nS1,C001\n")
    return project.mapping(
        "letters",
        f"""
        source: letters
        format: sql
        inputs:
          l: {{files: letters/register_*.csv, format: csv}}
          s: {{files: letters/senders.csv, format: csv}}
          {extra_inputs}
        query: "{query}"
        fields:
          interaction_id: ref
          customer_id: cust
          occurred_at: received
          channel: {{value: letter}}
    """,
    )


def test_sql_input_names_may_be_warehouse_table_names(project: Project) -> None:
    """Inputs called interactions, orders and quarantine: the query sees the inputs, and the
    warehouse tables of those names are untouched (today: a Catalog Error traceback)."""
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    project.file("letters/register_2026.csv", LETTERS)
    project.file("letters/senders.csv", "sender_ref,customer_no\nS1,C001\n")
    project.file("letters/notes.csv", "ref,note\nL1,Box arrived crushed\n")
    project.mapping(
        "letters",
        """
        source: letters
        format: sql
        inputs:
          interactions: {files: letters/register_*.csv, format: csv}
          orders: {files: letters/senders.csv, format: csv}
          quarantine: {files: letters/notes.csv, format: csv}
        query: |
          select i.*, o.customer_no, q.note
          from interactions i
          left join orders o on o.sender_ref = i.sender
          left join quarantine q on q.ref = i.ref
        fields:
          interaction_id: ref
          customer_id: customer_no
          occurred_at: received
          channel: {value: letter}
          text: note
    """,
    )
    result = project.run()
    got = {f.source: (f.rows_read, f.staged, f.quarantined, f.duplicates)
           for f in result.ingest.files}
    assert got == {"calls": (4, 4, 0, 0), "letters": (2, 2, 0, 0)}
    assert project.query("select interaction_id, customer_id, occurred_at, text "
                         "from interactions where source = 'letters' order by 1") == [
        ("L1", "C001", datetime(2026, 3, 8), "Box arrived crushed"),
        ("L2", None, datetime(2026, 3, 9), None),
    ]
    assert project.query("select count(*) from interactions where source = 'calls'") == [(4,)]


@pytest.mark.parametrize(
    "query,message",
    [
        ("drop table quarantine", "found DROP"),
        ("select l.*, 1 as _path from l; drop table quarantine; select 1 as _path",
         "found 3 statements"),
        ("select l.*, t.content as cust from l, read_text('{secret}') t",
         "file system operations are disabled"),
        ("copy (select * from l) to '{leak}'", "found COPY"),
        ("attach '{other}' as other", "found ATTACH"),
        ("load httpfs", "found LOAD"),
    ],
)
def test_sql_query_reaches_nothing_but_its_inputs(project: Project, query: str,
                                                  message: str) -> None:
    """Refused with one line naming the mapping and `query`; the warehouse is as it was and no
    file outside was read, written or attached."""
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    project.run()
    before = project.snapshot()
    secret = project.root / "secret.txt"
    secret.write_text("C-SECRET\n")
    leak, other = project.root / "leak.csv", project.root / "other.duckdb"
    mapping = _letters(project, query.format(secret=secret, leak=leak, other=other))
    with pytest.raises(UserError) as err:
        project.run()
    text = str(err.value)
    assert text.startswith(f"{mapping}: query: ") and message in text, text
    assert "\n" not in text
    assert project.snapshot() == before
    assert project.query("select count(*) from quarantine") == [(0,)]  # the table is there
    assert not leak.exists() and not other.exists()


def test_sql_query_runs_sandboxed(project: Project) -> None:
    """The query's own connection holds only the inputs: no external access, no extension
    autoloading or installing, and its configuration locked."""
    settings = ("autoinstall_known_extensions", "autoload_known_extensions",
                "enable_external_access", "lock_configuration")
    _letters(project, "select l.*, (select string_agg(name || '=' || value, ';' order by name) "
                      "from duckdb_settings() where name in ("
             + ", ".join(f"'{s}'" for s in settings) + ")) as cust, "
             "(select count(*) from duckdb_tables()) as tables from l")
    project.run()
    assert project.query("select distinct customer_id from interactions") == [
        ("autoinstall_known_extensions=false;autoload_known_extensions=false;"
         "enable_external_access=false;lock_configuration=true",)]


def test_run_connection_never_autoloads_an_extension(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    try:
        assert con.execute("select name, value from duckdb_settings() where name in "
                           "('autoload_known_extensions', 'autoinstall_known_extensions') "
                           "order by 1").fetchall() == [
            ("autoinstall_known_extensions", "false"), ("autoload_known_extensions", "false")]
    finally:
        con.close()


def test_sql_query_may_return_numbers_booleans_and_dates(project: Project) -> None:
    """Typed columns the query computes are taken as text after the query (today: a binder
    error on trim(DOUBLE))."""
    project.file("letters/register_2026.csv",
                 "ref,received,score,vip\nL1,2026/03/08,7,Y\nL2,2026/03/09,2,N\n")
    project.mapping(
        "letters",
        """
        source: letters
        format: sql
        inputs:
          l: {files: letters/register_*.csv, format: csv}
        query: |
          select l.*, strptime(l.received, '%Y/%m/%d')::date as received_on,
                 cast(l.score as integer) * 1.0 as rating10, l.vip = 'Y' as kept,
                 strptime(l.received, '%Y/%m/%d') + interval 14 day + interval 9 hour as due
          from l
        fields:
          interaction_id: ref
          occurred_at: received_on
          promised_by: due
          rating: {column: rating10, scale: [0, 10]}
          promise_kept: kept
          channel: {value: letter}
    """,
    )
    result = project.run()
    assert [(f.rows_read, f.staged, f.quarantined) for f in result.ingest.files] == [(2, 2, 0)]
    # 7 on 0-10: 1 + 7 * 4 / 10 = 3.8 -> 4; 2 -> 1.8 -> 2
    assert project.query("select interaction_id, occurred_at, promised_by, rating, promise_kept "
                         "from interactions order by 1") == [
        ("L1", datetime(2026, 3, 8), datetime(2026, 3, 22, 9), 4.0, True),
        ("L2", datetime(2026, 3, 9), datetime(2026, 3, 23, 9), 2.0, False),
    ]


# --- a changed mapping and --reload -----------------------------------------------------------

CHANGED = CALLS_MAPPING.replace("map: {TEL: phone, SMS: sms}", "map: {TEL: email, SMS: sms}")


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _notice(mapping: Path, files: int) -> str:
    return (f"source 'calls': {mapping} changed since {files} loaded file(s) were read; they "
            "keep the old reading until you run `python -m pipeline ingest --reload calls`")


def _ledger_is_whole(project: Project) -> None:
    """runs = the sum of its run_files; each file's rows are what the tables hold for it."""
    per_run = dict(project.query(
        "select run_id, (files_loaded, rows_read, staged, quarantined, duplicates) from runs"))
    files = dict(project.query(
        "select run_id, (count(*) filter (where status = 'loaded'), sum(rows_read), "
        "sum(staged), sum(quarantined), sum(duplicates)) from run_files group by 1"))
    assert files == {k: v for k, v in per_run.items() if k in files}
    for r, (_, read, staged, quarantined, dups) in per_run.items():
        assert read == staged + quarantined + dups, r
    held = dict(project.query("select run_id, count(*) from interactions group by 1"))
    assert held == {k: v[2] for k, v in files.items() if v[2]}
    held = dict(project.query("select run_id, count(*) from quarantine group by 1"))
    assert held == {k: v[3] for k, v in files.items() if v[3]}


def test_changed_mapping_is_noticed_and_reload_replaces_the_source(project: Project) -> None:
    mapping = project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    # a bad row, quarantined under either mapping (PIGEON is no channel)
    project.file("calls/calls_2026-04.csv", CALLS.splitlines()[1].strip() + "\n"
                 "K9;C009;18/04/2026 14:05;;;PIGEON;CMP;OK;;x;en\n"
                 "K8;C008;18/04/2026 15:05;;;TEL;CMP;OK;;x;en\n")
    first = project.run()
    assert first.ingest.notices == []
    (old_hash,) = project.query("select distinct mapping_hash from run_files")[0]
    assert old_hash

    # a comment and a blank line are not a change
    mapping.write_text("# reviewed\n\n" + mapping.read_text())
    assert project.run().ingest.notices == []

    mapping.write_text(_dedent(CHANGED))
    second = project.run()
    assert second.ingest.notices == [_notice(mapping, 2)]
    assert project.query("select distinct channel from interactions order by 1") == [
        ("phone",), ("sms",)]  # nothing changed without --reload

    reloaded = project.run(reload=("calls",))
    run_id = reloaded.ingest.run_id
    assert reloaded.ingest.notices == []
    assert [(f.file, f.status, f.rows_read, f.staged, f.quarantined, f.duplicates)
            for f in reloaded.ingest.files] == [
        ("calls/calls_2026-03.csv", "loaded", 4, 4, 0, 0),
        ("calls/calls_2026-04.csv", "loaded", 2, 1, 1, 0),
    ]
    assert project.query("select interaction_id, channel, run_id from interactions "
                         "order by 1") == [
        ("K1", "email", run_id), ("K2", "sms", run_id), ("K3", "email", run_id),
        ("K4", "email", run_id), ("K8", "email", run_id)]
    assert project.query("select source_file, source_row, reason, run_id from quarantine") == [
        ("calls/calls_2026-04.csv", 1, "unknown_value:channel", run_id)]
    ledger = project.query("select run_id, status, mapping_hash from run_files")
    assert [r[:2] for r in ledger] == [(run_id, "loaded")] * 2
    assert ledger[0][2] == ledger[1][2] != old_hash
    _ledger_is_whole(project)
    # nothing new and nothing changed: the next run is quiet and loads nothing
    after = project.run()
    assert after.ingest.notices == []
    assert {f.status for f in after.ingest.files} == {"already_loaded"}


def test_reload_of_an_unknown_source_lists_the_sources(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    project.mapping("shop", "source: shop\ntarget: orders\nfiles: o/*.csv\nformat: csv\n"
                            "fields: {order_id: id, customer_id: c, ordered_at: t}\n")
    with pytest.raises(UserError) as err:
        project.run(reload=("nope",))
    assert str(err.value) == "--reload: 'nope' is not a source (sources: calls, shop)"


def test_cli_warns_of_a_changed_mapping_and_reloads(project: Project, capsys) -> None:
    mapping = project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    common = ["--warehouse", str(project.warehouse), "--data-dir", str(project.data),
              "--sources", str(project.sources), "--expectations", str(project.expectations),
              "--out", str(project.root / "reports"), "--now", "2026-11-01"]
    assert main(["ingest", *common]) == 0
    mapping.write_text(_dedent(CHANGED))
    capsys.readouterr()
    assert main(["ingest", *common]) == 0
    out = capsys.readouterr().out
    assert f"  warning: {_notice(mapping, 1)}" in out.splitlines()
    assert main(["ingest", "--reload", "calls", *common]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out and "calls" in out
    assert project.query("select distinct channel from interactions order by 1") == [
        ("email",), ("sms",)]
    assert main(["ingest", "--reload", "nope", *common]) == 2
    assert capsys.readouterr().err == "error: --reload: 'nope' is not a source (sources: calls)\n"


def test_reload_rebuilds_touchpoints_and_outcomes_as_from_scratch(tmp_path: Path) -> None:
    """After a reload that changes values, map and score hold what a run from scratch gives:
    no row of a replaced interaction survives."""
    stages = ("ingest", "map", "score")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    reloaded, scratch = Project(tmp_path / "a"), Project(tmp_path / "b")
    for p in (reloaded, scratch):
        p.file("calls/calls_2026-03.csv", CALLS)
    first = reloaded.mapping("calls", CALLS_MAPPING)
    run(reloaded.config(), only=stages)
    tables = ("interaction_touchpoints", "interaction_outcomes")
    before = {t: _table(reloaded, t) for t in tables}
    first.write_text(_dedent(CHANGED))
    run(reloaded.config(reload=("calls",)), only=stages)
    scratch.mapping("calls", CHANGED)
    run(scratch.config(), only=stages)
    for t in tables:
        got = _table(reloaded, t)
        assert got == _table(scratch, t), t
        assert got != before[t], t  # the change reached this table


def _table(project: Project, table: str) -> list[tuple]:
    stamp = "mapped_run" if table == "interaction_touchpoints" else "scored_run"
    return sorted(project.query(f"select * exclude ({stamp}) from {table}"), key=repr)


# --- errors that point at the fix --------------------------------------------------------------


def test_critical_quarantine_share_names_the_top_reasons(project: Project, capsys) -> None:
    project.mapping(
        "calls",
        """
        source: calls
        files: calls/*.csv
        format: csv
        timestamp_formats: ["%Y-%m-%d"]
        fields: {interaction_id: id, occurred_at: opened, channel: {value: phone}}
    """,
    )
    project.file("calls/c.csv", "id,opened\nA1,03/18/2020\nA2,03/19/2020\nA3,03/20/2020\n"
                 "A4,03/21/2020\n")
    cfg = project.config()
    with pytest.raises(ValidationFailed) as err:
        run(cfg, only=("ingest",))
    lines = str(err.value).splitlines()
    assert lines[0].startswith("validation failed, nothing committed: run_files: "
                               "expect_column_values_to_be_between(quarantined_share)")
    assert lines[1:] == [
        "  calls/c.csv (calls): 4 of 4 rows quarantined",
        "    bad_timestamp:occurred_at: 100%, e.g. '03/18/2020' (row 1), '03/19/2020' (row 2) "
        "do not match %Y-%m-%d",
    ]


def test_critical_quarantine_share_with_several_reasons(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    project.file(
        "calls/bad.csv",
        "CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang\n"
        "X1;;18/03/2026 14:05;;;TEL;CMP;OK;;x;en\n"
        "X2;C2;18/03/2026 14:05;;;TEL;CMP;OK;;x;en\n"
        "X3;;2026-03-18;;;TEL;CMP;OK;;x;en\n"
        "X4;C004;18/03/2026 14:05;;;TEL;CMP;OK;;x;en\n",
    )
    with pytest.raises(ValidationFailed) as err:
        project.run()
    assert str(err.value).splitlines()[1:] == [
        "  calls/bad.csv (calls): 3 of 4 rows quarantined",
        "    missing_required:customer_id: 50%, e.g. row 1, row 3 (empty)",
        "    bad_format:customer_id: 25%, e.g. 'C2' (row 2)",
        "    bad_timestamp:occurred_at: 25%, e.g. '2026-03-18' (row 3) does not match "
        "%d/%m/%Y %H:%M",
    ]


# --- junk lines above the header ---------------------------------------------------------------


@pytest.mark.parametrize("skip", [0, 1])
def test_junk_lines_above_the_header_suggest_skip_lines(project: Project, skip: int) -> None:
    mapping = CALLS_MAPPING if not skip else CALLS_MAPPING.replace(
        'csv: {delimiter: ";"}', 'csv: {delimiter: ";", skip_lines: 1}')
    project.mapping("calls", mapping)
    path = project.file("calls/calls_x.csv",
                        "Call report\nExported 20/03/2026 by clerk\n\n" + _dedent(CALLS))
    with pytest.raises(UserError) as err:
        project.run()
    assert str(err.value) == (
        f"{path}: line {skip + 1} has no ';' separator, but line 4 has 11 columns: if the "
        "lines above it are not data, use csv.skip_lines: 3")
