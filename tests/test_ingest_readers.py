"""Text readers for exports as they come: no header, whitespace-aligned and fixed-width columns,
odd headers, compressed files, bare carriage returns and long delimiters.

Each test writes a tiny export, loads it through a mapping and compares the landed rows (and
their record numbers) or the quarantine with values worked out by hand from the fixture."""

from __future__ import annotations

import gzip
from datetime import datetime

import pytest
import zstandard
from test_ingest import Project

from pipeline.errors import UserError

# indented as the mappings the tests write (Project.mapping dedents the whole text)
FIELDS = """
        fields:
          interaction_id: id
          customer_id: cust
          occurred_at: opened
          channel: channel
          text: notes
"""


def counts(result) -> list[tuple]:
    return [(f.file, f.rows_read, f.staged, f.quarantined, f.duplicates)
            for f in result.ingest.files]


def landed(project: Project) -> list[tuple]:
    return project.query("select interaction_id, customer_id, occurred_at, channel, text, "
                         "source_row from interactions order by source_file, source_row")


def test_headerless_csv_names_columns_by_position(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
        csv: {header: false, columns: [id, cust, opened, channel, notes], skip_lines: 1}
    """ + FIELDS)
    project.file("calls/a.csv", """
        exported 2026-03-20
        R1,C1,2026-03-18 10:00:00,phone,first
        R2,C2,2026-03-18 11:00:00,email,
        R3,C3,2026-03-18 12:00:00,chat,third,extra
        R4,C4,2026-03-18 13:00:00,sms,fourth
    """)
    result = project.run()
    assert counts(result) == [("calls/a.csv", 4, 3, 1, 0)]
    assert landed(project) == [
        ("R1", "C1", datetime(2026, 3, 18, 10), "phone", "first", 1),
        ("R2", "C2", datetime(2026, 3, 18, 11), "email", None, 2),
        ("R4", "C4", datetime(2026, 3, 18, 13), "sms", "fourth", 4),
    ]
    assert project.query("select source_row, reason from quarantine") == [
        (3, "csv_malformed:too_many_columns")]


@pytest.mark.parametrize("csv_block, fragment", [
    ("{header: false}", "csv.header: a file without a header needs csv.columns"),
    ("{columns: [a, b]}", "csv.columns: names the columns of a file without a header"),
    ("{header: false, columns: [a, a]}", "csv.columns: names 'a' more than once"),
    ("{delimiter: ''}", "csv.delimiter: must be a short string"),
])
def test_csv_options_are_checked(project: Project, csv_block: str, fragment: str) -> None:
    project.mapping("calls", f"""
        source: calls
        files: calls/*.csv
        format: csv
        csv: {csv_block}
    """ + FIELDS)
    project.file("calls/a.csv", "id,cust,opened,channel,notes\n")
    with pytest.raises(UserError, match=fragment.replace("(", r"\(")):
        project.run()


def test_headerless_csv_with_another_number_of_fields_names_the_line(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
        csv: {header: false, columns: [id, cust, opened, channel, notes, extra]}
    """ + FIELDS)
    project.file("calls/a.csv", "R1,C1,2026-03-18 10:00:00,phone,first\n")
    with pytest.raises(UserError, match=r"a.csv: line 1 has 5 field\(s\) but csv.columns "
                                        r"names 6"):
        project.run()


def test_whitespace_separated_columns(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*.txt
        format: csv
        csv: {delimiter: whitespace}
        timestamp_formats: ["%Y-%m-%d"]
    """ + FIELDS)
    # leading spaces, runs of spaces, a tab, a quoted field holding spaces, a blank line, and a
    # line with a field too few
    project.file("calls/a.txt", (  # bytes: Project.file would dedent text
                 b"   id   cust  opened      channel  notes\n"
                 b"   R1   C1    2026-03-18  phone    short\n"
                 b"   R2   C2    2026-03-19\temail    \"two words\"\n"
                 b"\n"
                 b"   R3   C3    2026-03-20  chat\n"
                 b"   R4   C4    2026-03-21  sms      \"say \"\"hi\"\"\"\n"))
    result = project.run()
    assert counts(result) == [("calls/a.txt", 4, 3, 1, 0)]
    assert landed(project) == [
        ("R1", "C1", datetime(2026, 3, 18), "phone", "short", 1),
        ("R2", "C2", datetime(2026, 3, 19), "email", "two words", 2),
        ("R4", "C4", datetime(2026, 3, 21), "sms", 'say "hi"', 5),
    ]
    assert project.query("select source_row, reason, raw from quarantine") == [
        (4, "csv_malformed:missing_columns", "   R3   C3    2026-03-20  chat")]


@pytest.mark.parametrize("layout", [
    "columns: {id: [1, 4], cust: [5, 8], opened: [9, 18], channel: [19, 25], notes: [26, 60]}",
    "widths: {id: 4, cust: 4, opened: 10, channel: 7, notes: 35}",
])
def test_fixed_width_columns(project: Project, layout: str) -> None:
    project.mapping("calls", f"""
        source: calls
        files: calls/*.txt
        format: fixed_width
        fixed_width:
          {layout}
          skip_lines: 2
        timestamp_formats: ["%Y-%m-%d"]
    """ + FIELDS)
    project.file("calls/a.txt",
                 "CALL LOG MARCH\n"
                 "ID  CUS DATE      CHANNELNOTES\n"
                 "R1  C1  2026-03-18phone  a note with spaces\n"
                 "R2  C2  2026-03-19email  \n"
                 "R3      2026-03-20chat   x\n")
    result = project.run()
    assert counts(result) == [("calls/a.txt", 3, 3, 0, 0)]
    assert landed(project) == [
        ("R1", "C1", datetime(2026, 3, 18), "phone", "a note with spaces", 1),
        ("R2", "C2", datetime(2026, 3, 19), "email", None, 2),
        ("R3", None, datetime(2026, 3, 20), "chat", "x", 3),
    ]


@pytest.mark.parametrize("block, fragment", [
    ("fixed_width: {columns: {id: [4, 1]}}", r"fixed_width.columns.id: must be \[first, last\]"),
    ("fixed_width: {widths: {id: 0}}", "fixed_width.widths.id: must be a whole number"),
    ("fixed_width: {widths: {id: 2}, columns: {id: [1, 2]}}", "needs exactly one of columns"),
    ("", "a fixed_width source needs fixed_width"),
])
def test_fixed_width_options_are_checked(project: Project, block: str, fragment: str) -> None:
    project.mapping("calls", f"""
        source: calls
        files: calls/*.txt
        format: fixed_width
        {block}
    """ + FIELDS)
    project.file("calls/a.txt", "R1\n")
    with pytest.raises(UserError, match=fragment):
        project.run()


def test_odd_header_names_are_addressable(project: Project) -> None:
    # an empty first cell (a pandas index), a name with stray spaces, a repeated name
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
        fields:
          interaction_id: column1
          customer_id: cust
          occurred_at: opened
          channel: channel
          text: note_2
    """)
    project.file("calls/a.csv", """
        ,  cust ,opened,channel,note,note
        0,C1,2026-03-18 10:00:00,phone,first,second
        1,C2,2026-03-18 11:00:00,email,,other
    """)
    result = project.run()
    assert counts(result) == [("calls/a.csv", 2, 2, 0, 0)]
    assert landed(project) == [
        ("0", "C1", datetime(2026, 3, 18, 10), "phone", "second", 1),
        ("1", "C2", datetime(2026, 3, 18, 11), "email", "other", 2),
    ]


def _compress(kind: str, data: bytes) -> bytes:
    return gzip.compress(data) if kind == "gz" else zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_compressed_csv_is_read_transparently(project: Project, kind: str) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*
        format: csv
        csv: {delimiter: ";", skip_lines: 1}
    """ + FIELDS)
    text = ("junk line\nid;cust;opened;channel;notes\n"
            "R1;C1;2026-03-18 10:00:00;phone;ok\nR2;C2;2026-03-18 11:00:00;fax;ok\n"
            "R3;C3;not a time;chat;ok\n")
    project.file(f"calls/a.csv.{kind}", _compress(kind, text.encode()))
    result = project.run()
    assert counts(result) == [(f"calls/a.csv.{kind}", 3, 2, 1, 0)]
    assert [r[0] for r in landed(project)] == ["R1", "R2"]
    assert project.query("select source_row, reason from quarantine") == [
        (3, "bad_timestamp:occurred_at")]


def test_a_file_that_is_not_really_compressed_is_one_clear_error(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*
        format: csv
    """ + FIELDS)
    project.file("calls/a.csv.gz", "id,cust,opened,channel,notes\n")
    with pytest.raises(UserError, match=r"a.csv.gz: cannot be decompressed"):
        project.run()


def test_bare_carriage_returns_inside_an_unquoted_field_are_read_right(project: Project) -> None:
    """As tweet 3399 of twcs: `\\r\\r` in an unquoted text of an LF file. The record keeps its
    CRs, and the records after it keep their numbers."""
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
    """ + FIELDS)
    project.file("calls/a.csv", (
        b"id,cust,opened,channel,notes\n"
        b"R1,C1,2026-03-18 10:00:00,social,before\n"
        b"R2,C2,2026-03-18 11:00:00,social,@brand \r\rI just love it\n"
        b'R3,C3,2026-03-18 12:00:00,social,"quoted\nnewline"\n'
        b"R4,C4,2026-03-18 13:00:00,social,after\n"))
    result = project.run()
    assert counts(result) == [("calls/a.csv", 4, 4, 0, 0)]
    assert [(r[0], r[4], r[5]) for r in landed(project)] == [
        ("R1", "before", 1), ("R2", "@brand \r\rI just love it", 2),
        ("R3", "quoted\nnewline", 3), ("R4", "after", 4)]


@pytest.mark.parametrize("delimiter", ["||", "  "])
def test_a_delimiter_of_several_characters(project: Project, delimiter: str) -> None:
    project.mapping("calls", f"""
        source: calls
        files: calls/*.csv
        format: csv
        csv: {{delimiter: "{delimiter}"}}
    """ + FIELDS)
    rows = [["id", "cust", "opened", "channel", "notes"],
            ["R1", "C1", "2026-03-18 10:00:00", "phone", "ok"]]
    project.file("calls/a.csv", "".join(delimiter.join(r) + "\n" for r in rows))
    result = project.run()
    assert counts(result) == [("calls/a.csv", 1, 1, 0, 0)]
    assert landed(project) == [("R1", "C1", datetime(2026, 3, 18, 10), "phone", "ok", 1)]


def test_names_that_differ_only_in_case_get_a_suffix(project: Project) -> None:
    # DuckDB's column names ignore case: `Id` and `ID` must not both reach it
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
        fields:
          interaction_id: Id
          customer_id: ID_2
          occurred_at: opened
          channel: channel
    """)
    project.file("calls/a.csv", """
        Id,ID,opened,channel
        R1,C1,2026-03-18 10:00:00,phone
    """)
    result = project.run()
    assert counts(result) == [("calls/a.csv", 1, 1, 0, 0)]
    assert project.query("select interaction_id, customer_id from interactions") == [("R1", "C1")]


def test_dates_given_by_the_mapping_are_recorded_as_declared(project: Project) -> None:
    """A survey with no time stamp: the mapping declares the date, and the ledger says so for
    the report (which then says the dates are declared, not observed)."""
    project.mapping("survey", """
        source: survey
        files: survey/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: {value: "2019-10-01"}
          channel: {value: web}
          rating: score
    """)
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
    """ + FIELDS)
    project.file("survey/s.csv", "id,score\n1,5\n2,3\n")
    project.file("calls/a.csv", "id,cust,opened,channel,notes\nR1,C1,2026-03-18 10:00:00,phone,x\n")
    project.run()
    assert project.query("select source, dates_declared from run_files order by source") == [
        ("calls", False), ("survey", True)]
    assert project.query("select distinct occurred_at from interactions where source = 'survey'"
                         ) == [(datetime(2019, 10, 1),)]
