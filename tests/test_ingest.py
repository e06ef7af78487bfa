"""Ingest: canonical rows for every source shape, quarantine, conservation, idempotence."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.errors import UserError, ValidationFailed
from pipeline.run import run

NOW = datetime(2026, 11, 1)


class Project:
    """A throwaway data folder, mapping folder and warehouse."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.sources = root / "sources"
        self.expectations = root / "expectations"
        self.data.mkdir()
        self.sources.mkdir()
        shutil.copytree(paths.EXPECTATIONS, self.expectations)
        self.warehouse = root / "w.duckdb"

    def file(self, rel: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        p = self.data / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = textwrap.dedent(content).lstrip("\n").encode(encoding)
        p.write_bytes(content)
        return p

    def mapping(self, name: str, text: str) -> Path:
        p = self.sources / f"{name}.yaml"
        p.write_text(textwrap.dedent(text).lstrip("\n"))
        return p

    def config(self, **kw) -> RunConfig:
        return RunConfig(
            warehouse=self.warehouse,
            data_dir=self.data,
            sources_dir=self.sources,
            expectations_dir=self.expectations,
            reports_dir=self.root / "reports",
            now=NOW,
            **kw,
        )

    def run(self, **kw):
        return run(self.config(**kw), only=("ingest",))

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def snapshot(self) -> dict[str, list[tuple]]:
        if not self.warehouse.exists():
            return {}
        tables = ("interactions", "orders", "quarantine", "run_files", "runs", "validations")
        return {t: sorted(map(repr, self.query(f"select * from {t}"))) for t in tables}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


CALLS_MAPPING = """
    source: calls
    files: calls/*.csv
    format: csv
    csv: {delimiter: ";"}
    null_tokens: ["", "N/A"]
    timezone: Asia/Kuala_Lumpur
    timestamp_formats: ["%d/%m/%Y %H:%M"]
    required: [customer_id]
    fields:
      interaction_id: CallID
      customer_id: {column: CustNo, pattern: "C[0-9]{3}"}
      occurred_at: Start
      resolved_at: End
      promised_by: {column: Promise, formats: ["%Y/%m/%d"], date_only: end_of_day}
      channel: {column: Queue, map: {TEL: phone, SMS: sms}}
      kind: {column: Reason, map: {CMP: complaint, INQ: inquiry}}
      status: {column: Result, map: {OK: resolved, OPEN: unresolved}}
      rating: {column: Survey, scale: [0, 10]}
      text: Notes
      language: Lang
"""

CALLS = """
    CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang
    K1;C001;18/03/2026 14:05;18/03/2026 14:35;2026/3/18;TEL;CMP;OK;9;"said ""hi""; ok";EN
    K2;C002;18/03/2026 15:00;N/A;;sms;INQ;OPEN;;"two
    lines";ms
    K3;C003;19/03/2026 09:00;;; Tel ;INQ;OPEN;0;plain;nl
    K4;C004;19/03/2026 10:00;;;TEL;INQ;OPEN;N/A;plain;id
"""


def test_csv_source_lands_typed_in_utc(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    result = project.run()
    assert [(f.rows_read, f.staged, f.quarantined, f.duplicates) for f in result.ingest.files] == [
        (4, 4, 0, 0)
    ]
    rows = project.query("""
        select interaction_id, customer_id, occurred_at, resolved_at, promised_by, channel, kind,
               status, rating, text, language, source, source_file, source_row
        from interactions order by source_row""")
    assert rows == [
        # Kuala Lumpur is UTC+8; a date-only promise means the end of that local day.
        (
            "K1",
            "C001",
            datetime(2026, 3, 18, 6, 5),
            datetime(2026, 3, 18, 6, 35),
            datetime(2026, 3, 18, 15, 59, 59),
            "phone",
            "complaint",
            "resolved",
            5.0,
            'said "hi"; ok',
            "en",
            "calls",
            "calls/calls_2026-03.csv",
            1,
        ),
        (
            "K2",
            "C002",
            datetime(2026, 3, 18, 7, 0),
            None,
            None,
            "sms",
            "inquiry",
            "unresolved",
            None,
            "two\nlines",
            "ms",
            "calls",
            "calls/calls_2026-03.csv",
            2,
        ),
        # " Tel " matches the map case- and space-insensitively; 0 on 0–10 is 1 on 1–5.
        (
            "K3",
            "C003",
            datetime(2026, 3, 19, 1, 0),
            None,
            None,
            "phone",
            "inquiry",
            "unresolved",
            1.0,
            "plain",
            "nl",
            "calls",
            "calls/calls_2026-03.csv",
            3,
        ),
        (
            "K4",
            "C004",
            datetime(2026, 3, 19, 2, 0),
            None,
            None,
            "phone",
            "inquiry",
            "unresolved",
            None,
            "plain",
            "id",
            "calls",
            "calls/calls_2026-03.csv",
            4,
        ),
    ]


def test_bad_rows_are_quarantined_with_reasons_and_counted(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    good = "".join(f"G{i};C{100 + i};20/03/2026 10:00;;;TEL;INQ;OPEN;;ok;en\n" for i in range(20))
    project.file(
        "calls/calls.csv",
        (
            "CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang\n"
            "B1;;18/03/2026 14:05;;;TEL;CMP;OK;;x;en\n"  # 2 missing customer
            "B2;C12x;18/03/2026 14:05;;;TEL;CMP;OK;;x;en\n"  # 3 malformed id
            "B3;C003;32/13/2026 25:00;;;TEL;CMP;OK;;x;en\n"  # 4 unparseable time
            "B4;C004;18/03/2027 14:05;;;TEL;CMP;OK;;x;en\n"  # 5 future
            "B5;C005;18/03/2026 14:05;18/03/2026 13:00;;TEL;CMP;OK;;x;en\n"  # 6 resolved before
            "B6;C006;18/03/2026 14:05;;;FAXX;CMP;OK;11;x;en\n"  # 7 unknown channel + rating
            "B7;C007;18/03/2026 14:05;;;TEL;CMP;OK;;x;en;extra\n"  # 8 too many columns
            "B8;C008;18/03/2026 14:05;;;TEL;CMP;OK;abc;x;en\n"  # 9 rating not a number
            + good
            + "G0;C100;20/03/2026 10:00;;;TEL;INQ;OPEN;;ok;en\n"  # exact duplicate of G0
            "G1;C101;20/03/2026 10:00;;;TEL;INQ;OPEN;;changed;en\n"  # same id, other content
        ),
    )
    result = project.run()
    (f,) = result.ingest.files
    assert (f.rows_read, f.staged, f.quarantined, f.duplicates) == (30, 20, 9, 1)
    assert project.query("select source_row, reasons from quarantine order by source_row") == [
        (1, ["missing_required:customer_id"]),
        (2, ["bad_format:customer_id"]),
        (3, ["bad_timestamp:occurred_at"]),
        (4, ["future_timestamp:occurred_at"]),
        (5, ["resolved_before_opened"]),
        (6, ["unknown_value:channel", "rating_out_of_range"]),
        (7, ["csv_malformed:too_many_columns"]),
        (8, ["bad_number:rating"]),
        (30, ["duplicate_id_conflict"]),
    ]
    raw = project.query("select raw from quarantine where source_row = 7")[0][0]
    assert raw == "B7;C007;18/03/2026 14:05;;;TEL;CMP;OK;;x;en;extra"
    raw = json.loads(project.query("select raw from quarantine where source_row = 6")[0][0])
    assert raw["Queue"] == "FAXX" and raw["Survey"] == "11"
    assert project.query("select rows_read, staged, quarantined, duplicates from runs") == [
        (30, 20, 9, 1)
    ]


def test_reingest_changes_nothing_and_new_content_loads(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    project.run()
    before = project.snapshot()
    again = project.run()
    assert [f.status for f in again.ingest.files] == ["already_loaded"]
    after = project.snapshot()
    for table in ("interactions", "orders", "quarantine", "run_files", "validations"):
        if table == "run_files":
            assert len(after[table]) == len(before[table]) + 1  # the skip is on the ledger
        else:
            assert after[table] == before[table], table
    # The same content under a new name is recognised by its hash.
    shutil.copy(project.data / "calls/calls_2026-03.csv", project.data / "calls/copy.csv")
    third = project.run()
    assert sorted(f.status for f in third.ingest.files) == ["already_loaded", "already_loaded"]
    # A new file repeating known rows: identical rows are duplicates, changed rows conflicts.
    project.file(
        "calls/calls_2026-04.csv",
        """
        CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang
        K1;C001;18/03/2026 14:05;18/03/2026 14:35;2026/3/18;TEL;CMP;OK;9;"said ""hi""; ok";EN
        K3;C003;19/03/2026 09:00;;;TEL;INQ;OK;0;plain;nl
        K9;C009;19/03/2026 09:00;;;TEL;INQ;OK;0;plain;nl
    """,
    )
    fourth = project.run()
    (new,) = [f for f in fourth.ingest.files if f.status == "loaded"]
    assert (new.rows_read, new.staged, new.quarantined, new.duplicates) == (3, 1, 1, 1)
    assert project.query("select count(*) from interactions") == [(5,)]
    assert project.query("select status from interactions where interaction_id = 'K3'") == [
        ("unresolved",)
    ]  # the first loaded row wins


def test_jsonl_nested_fields_and_malformed_lines(project: Project) -> None:
    project.mapping(
        "helpdesk",
        """
        source: helpdesk
        files: tickets/*.jsonl
        format: jsonl
        timestamp_formats: ["%Y-%m-%dT%H:%M:%SZ"]
        fields:
          interaction_id: id
          customer_id: requester.id
          occurred_at: created_at
          resolved_at: solved_at
          promised_by: {column: sla.hours, hours_after: occurred_at}
          channel: {column: via.channel, map: {web_form: web}}
          kind: {column: type, map: {problem: complaint, question: inquiry}}
          rating: {column: satisfaction.score, scale: [1, 5], not_applicable: ["0"]}
          language: requester.locale
          text: comment.public_reply
    """,
    )
    lines = [
        {
            "id": "T1",
            "created_at": "2026-03-18T06:05:00Z",
            "solved_at": "2026-03-18T08:05:00Z",
            "sla": {"hours": 24},
            "via": {"channel": "web_form"},
            "type": "problem",
            "requester": {"id": "C001", "locale": "ms"},
            "satisfaction": {"score": 4},
            "comment": {"public_reply": "Terima kasih <b>Encik</b> 😀"},
        },
        {
            "id": "T2",
            "created_at": "2026-03-19T00:00:00Z",
            "via": {"channel": "email"},
            "type": "question",
            "requester": {"id": "C002"},
            "satisfaction": {"score": 0},
        },
    ]
    body = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
    body += '\n{"id": "T3", "created_at": \n'  # cut mid-object
    body += (
        '{"id": {"nested": 1}, "created_at": "2026-03-19T00:00:00Z", "via": {"channel": "email"}}\n'
    )
    body += "\n[1, 2]\n"
    body += "".join(
        json.dumps(
            {"id": f"T{i}", "created_at": "2026-03-20T00:00:00Z", "via": {"channel": "chat"}}
        )
        + "\n"
        for i in range(10, 15)
    )
    project.file("tickets/t.jsonl", body)
    result = project.run()
    (f,) = result.ingest.files
    assert (f.rows_read, f.staged, f.quarantined, f.duplicates) == (10, 7, 3, 0)
    assert project.query("""
        select interaction_id, customer_id, occurred_at, resolved_at, promised_by, channel, kind,
               rating, language, text from interactions where interaction_id in ('T1', 'T2')
        order by interaction_id""") == [
        (
            "T1",
            "C001",
            datetime(2026, 3, 18, 6, 5),
            datetime(2026, 3, 18, 8, 5),
            datetime(2026, 3, 19, 6, 5),
            "web",
            "complaint",
            4.0,
            "ms",
            "Terima kasih <b>Encik</b> 😀",
        ),
        ("T2", "C002", datetime(2026, 3, 19), None, None, "email", "inquiry", None, None, None),
    ]
    assert project.query("select source_row, reason from quarantine order by source_row") == [
        (3, "json_malformed"),
        (4, "nested_value:interaction_id"),
        (6, "json_malformed"),
    ]


def test_store_export_with_bom_crlf_two_time_columns_and_latin1_letters(project: Project) -> None:
    project.mapping(
        "stores",
        """
        source: stores
        files: stores/*.csv
        format: csv
        timezone: Asia/Kuala_Lumpur
        timestamp_formats: ["%Y-%m-%d %H:%M"]
        fields:
          interaction_id: VisitNo
          customer_id: MemberNo
          occurred_at: {columns: [VisitDate, VisitTime]}
          channel: {value: in_person}
          kind: {column: Purpose, map: {Complaint: complaint, Enquiry: inquiry}}
          promise_kept: {column: HandledSameDay}
          text: Remarks
    """,
    )
    project.file(
        "stores/v.csv",
        "\ufeffVisitNo,MemberNo,VisitDate,VisitTime,Purpose,"
        'HandledSameDay,Remarks\r\nV1,C001,2026-03-18,09:30,Complaint,Y,"a, b"\r\n'
        "V2,,2026-03-18,10:00,Enquiry,N,\r\n",
    )
    project.mapping(
        "letters",
        """
        source: letters
        format: sql
        inputs:
          register: {files: letters/register_*.csv, format: csv,
                     csv: {skip_lines: 2, encoding: latin-1}}
          senders: {files: letters/senders.csv, format: csv}
        query: |
          select r.*, s.customer_no
          from register r left join senders s on s.sender_ref = r."Sender Ref"
        timestamp_formats: ["%Y/%m/%d"]
        fields:
          interaction_id: LetterRef
          customer_id: customer_no
          occurred_at: Received
          promised_by: {column: Reply Due, date_only: end_of_day}
          channel: {value: letter}
          kind: {value: complaint}
          text: Summary
    """,
    )
    project.file(
        "letters/register_2026.csv",
        "Letter Register\nExported by clerk\nLetterRef,Received,Sender Ref,Reply Due,"
        'Summary\nL1,2026/3/8,S1,2026/3/22,"Produit abîmé à la livraison, très déçu"\n'
        "L2,2026/3/9,S9,,Straße\n",
        encoding="latin-1",
    )
    project.file("letters/senders.csv", "sender_ref,customer_no\nS1,C001\n")
    result = project.run()
    got = {
        f.source: (f.rows_read, f.staged, f.quarantined, f.duplicates) for f in result.ingest.files
    }
    assert got == {"stores": (2, 2, 0, 0), "letters": (2, 2, 0, 0)}
    assert project.query("""
        select interaction_id, customer_id, occurred_at, promised_by, channel, kind,
               promise_kept, text from interactions order by interaction_id""") == [
        (
            "L1",
            "C001",
            datetime(2026, 3, 8),
            datetime(2026, 3, 22, 23, 59, 59),
            "letter",
            "complaint",
            None,
            "Produit abîmé à la livraison, très déçu",
        ),
        ("L2", None, datetime(2026, 3, 9), None, "letter", "complaint", None, "Straße"),
        ("V1", "C001", datetime(2026, 3, 18, 1, 30), None, "in_person", "complaint", True, "a, b"),
        ("V2", None, datetime(2026, 3, 18, 2, 0), None, "in_person", "inquiry", False, None),
    ]


def test_wide_survey_unpivots_and_parquet_orders(project: Project) -> None:
    project.mapping(
        "survey",
        """
        source: survey
        files: survey/*.csv
        format: csv
        fields:
          interaction_id: RespondentID
          customer_id: CustomerID
          occurred_at: SubmittedAt
          channel: {value: web}
          kind: {value: feedback}
        unpivot:
          columns: {Q_Delivery: delivery, Q_Website: website}
          value_to: rating
          name_to: topic
          value: {scale: [0, 10]}
    """,
    )
    project.file(
        "survey/s.csv",
        "RespondentID,CustomerID,SubmittedAt,Q_Delivery,Q_Website\n"
        "R1,C001,2026-03-18T10:00:00+01:00,10,5\nR2,C002,2026-03-18 10:00:00,,\n"
        "R3,C003,2026-03-19 10:00:00,,2\n",
    )
    project.mapping(
        "orders",
        """
        source: shop
        target: orders
        files: orders/*.parquet
        format: parquet
        fields: {order_id: order_id, customer_id: customer_id, ordered_at: ordered_at,
                 amount: amount, currency: currency}
    """,
    )
    (project.data / "orders").mkdir()
    pd.DataFrame(
        {
            "order_id": ["O1", "O2", "O3"],
            "customer_id": ["C001", "C002", None],
            "ordered_at": pd.to_datetime(
                ["2026-01-02 10:00", "2026-02-03 00:00", "2026-02-04 00:00"]
            ),
            "amount": [12.5, 99.0, 5.0],
            "currency": ["MYR"] * 3,
        }
    ).to_parquet(project.data / "orders/o.parquet")
    result = project.run()
    got = {
        f.source: (f.rows_read, f.staged, f.quarantined, f.duplicates) for f in result.ingest.files
    }
    # Survey rows read = answered cells + respondents with no answer.
    assert got == {"survey": (4, 3, 1, 0), "shop": (3, 2, 1, 0)}
    assert project.query(
        "select interaction_id, occurred_at, topic, rating, source_row from interactions order by 1"
    ) == [
        ("R1/delivery", datetime(2026, 3, 18, 9, 0), "delivery", 5.0, 1),
        ("R1/website", datetime(2026, 3, 18, 9, 0), "website", 3.0, 1),
        ("R3/website", datetime(2026, 3, 19, 10, 0), "website", 2.0, 3),
    ]
    assert project.query("select source_row, reason from quarantine order by 1") == [
        (2, "no_answers"),
        (3, "missing_required:customer_id"),
    ]
    assert project.query(
        "select order_id, customer_id, ordered_at, amount, currency from orders order by 1"
    ) == [
        ("O1", "C001", datetime(2026, 1, 2, 10), 12.5, "MYR"),
        ("O2", "C002", datetime(2026, 2, 3), 99.0, "MYR"),
    ]


# --- bad input: one line naming the file and the problem; the warehouse is left as it was ---


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "file is empty (0 bytes)"),
        ("CallID;Start\nK1;é\n".encode("utf-16"), "is UTF-16 (byte-order mark)"),
        ("CallID;Start;Queue;Caf\xe9\nK1;x;y;z\n".encode("latin-1"), "not valid utf-8"),
        (b"CallID,Start,Queue\nK1,18/03/2026 14:05,TEL\n", "header has no ';' separator"),
        (b"CallID;Start\nK1;18/03/2026 14:05\n", "column 'Queue' is not in calls_x.csv"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", "not valid utf-8"),  # not text at all
    ],
)
def test_bad_files_stop_the_run_cleanly(project: Project, content: bytes, message: str) -> None:
    project.mapping(
        "calls",
        """
        files: calls/*.csv
        format: csv
        csv: {delimiter: ";"}
        timestamp_formats: ["%d/%m/%Y %H:%M"]
        fields: {interaction_id: CallID, occurred_at: Start, channel: Queue}
    """,
    )
    project.file("calls/calls_a.csv", "CallID;Start;Queue\nA1;18/03/2026 14:05;phone\n")
    project.run()
    before = project.snapshot()
    project.file("calls/calls_x.csv", content)
    with pytest.raises(UserError) as err:
        project.run()
    assert message in str(err.value)
    assert "calls_x.csv" in str(err.value) or "calls.yaml" in str(err.value)
    assert "\n" not in str(err.value)
    assert project.snapshot() == before


@pytest.mark.parametrize(
    "mapping,message",
    [
        ("files: x/*.csv\nformat: csv\nfeilds: {}\n", "calls.yaml: feilds: unknown key"),
        (
            "files: ../outside/*.csv\nformat: csv\nfields: {interaction_id: a}\n",
            "files: '../outside/*.csv' must stay inside the data folder",
        ),
        ("files: x/*.csv\nformat: xls\nfields: {interaction_id: a}\n", "format: 'xls' is not"),
        (
            "files: x/*.csv\nformat: csv\ntimestamp_formats: ['%Q']\n"
            "fields: {interaction_id: a, occurred_at: b, channel: c}\n",
            "timestamp_formats: '%Q' is not a valid time format",
        ),
        (
            "files: x/*.csv\nformat: csv\nfields: {interaction_id: a, occurred_at: b}\n",
            "fields.channel: is required but not mapped",
        ),
        (
            "files: x/*.csv\nformat: csv\nfields: {interaction_id: a, occurred_at: b, "
            "channel: {column: c, map: {T: telephone}}}\n",
            "'telephone' is not a channel",
        ),
        (
            "files: x/*.csv\nformat: csv\ntimezone: Mars/Olympus\n"
            "fields: {interaction_id: a, occurred_at: b, channel: c}\n",
            "timezone: 'Mars/Olympus'",
        ),
        ("files: [x\n", "calls.yaml: not valid YAML: line 2"),
    ],
)
def test_mapping_typos_name_the_file_and_key(project: Project, mapping: str, message: str) -> None:
    (project.sources / "calls.yaml").write_text(mapping)
    with pytest.raises(UserError) as err:
        project.run()
    assert message in str(err.value)
    assert not project.warehouse.exists() or project.snapshot()["runs"] == []


def test_critical_expectation_stops_the_run_and_keeps_evidence(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    project.run()
    before = project.snapshot()
    # A file that is mostly garbage: 3 of 4 rows quarantined trips run_files' critical check.
    project.file(
        "calls/bad.csv",
        """
        CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang
        X1;;18/03/2026 14:05;;;TEL;CMP;OK;;x;en
        X2;;18/03/2026 14:05;;;TEL;CMP;OK;;x;en
        X3;;18/03/2026 14:05;;;TEL;CMP;OK;;x;en
        X4;C004;18/03/2026 14:05;;;TEL;CMP;OK;;x;en
    """,
    )
    cfg = project.config()
    with pytest.raises(ValidationFailed) as err:
        run(cfg, only=("ingest",))
    assert "run_files: expect_column_values_to_be_between(quarantined_share)" in str(err.value)
    assert "0.75" in str(err.value)
    assert project.snapshot() == before
    run_dir = project.root / "reports/validation" / cfg.run_id
    assert (
        "| run_files | expect_column_values_to_be_between | quarantined_share | critical "
        "| FAIL | 1 |" in (run_dir / "validation.md").read_text()
    )
    kept = duckdb.sql(f"select count(*) from '{run_dir}/quarantine_interactions.parquet'")
    assert kept.fetchall() == [(3,)]


def test_gx_suite_fails_on_staged_rows_it_forbids(project: Project) -> None:
    """The suites really run on the staged batch: a stricter suite fails on the sample rows."""
    suite = json.loads((project.expectations / "interactions.json").read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "language", "value_set": ["en"]},
            "severity": "critical",
        }
    )
    (project.expectations / "interactions.json").write_text(json.dumps(suite))
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    with pytest.raises(ValidationFailed) as err:
        project.run()
    assert "interactions: expect_column_values_to_be_in_set(language) — 3 unexpected" in str(
        err.value
    )


def test_warning_expectation_publishes_and_is_recorded(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS.replace(";ms\n", ";fr\n"))
    result = project.run()
    assert any("language" in w for w in result.ingest.validation_warnings)
    assert project.query(
        "select success from validations where expectation = "
        "'expect_column_values_to_be_in_set' and column_name = 'language'"
    ) == [(False,)]


def test_validation_chunks_agree_with_one_batch(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    rows = "".join(f"G{i};C{i:03d};20/03/2026 10:00;;;TEL;INQ;OPEN;;ok;en\n" for i in range(50))
    project.file(
        "calls/c.csv",
        "CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang\n" + rows,
    )
    result = project.run(validation_chunk_rows=7)  # 8 chunks by hash of the key
    assert result.ingest.validation_warnings == []
    assert project.query("select count(*) from validations where not success") == [(0,)]


def test_cli_prints_one_line_and_exits_nonzero(project: Project, capsys) -> None:
    from pipeline.cli import main

    (project.sources / "calls.yaml").write_text("files: x/*.csv\nformat: csv\nbogus: 1\n")
    code = main(
        [
            "ingest",
            "--warehouse",
            str(project.warehouse),
            "--data-dir",
            str(project.data),
            "--sources",
            str(project.sources),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "bogus: unknown key" in err and "Traceback" not in err


def test_great_expectations_sends_no_usage_statistics(project: Project) -> None:
    from pipeline.ingest.validate import _gx

    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
    _, context = _gx()
    assert context.config.analytics_enabled is False
    # A whole run under the offline guard (tests/_offline_guard.py) opens no socket.
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    assert project.run().ingest.total("staged") == 4


def test_files_of_one_source_keep_their_own_row_numbers_and_column_order(
        project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING)
    header = "CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang\n"
    line = "{id};C{n:03d};20/03/2026 10:00;;;TEL;INQ;OPEN;;ok;en\n"
    project.file("calls/a.csv", header + "".join(line.format(id=f"A{i}", n=i) for i in range(3)))
    b = [line.format(id=f"B{i}", n=i) for i in range(6)]
    b[1] = "B1;C001;bad;;;;;;\n"  # a reject in the middle of the second file
    project.file("calls/b.csv", header + "".join(b))
    # A third file with its columns in another order is read by name, never shifted.
    project.file("calls/c.csv", "Lang;Notes;CallID;CustNo;Start;End;Promise;Queue;Reason;Result;"
                 "Survey\nnl;reordered;C0;C900;21/03/2026 10:00;;;SMS;CMP;OK;10\n")
    result = project.run()
    got = {f.file: (f.rows_read, f.staged, f.quarantined) for f in result.ingest.files}
    assert got == {"calls/a.csv": (3, 3, 0), "calls/b.csv": (6, 5, 1), "calls/c.csv": (1, 1, 0)}
    assert project.query("select source_file, source_row, interaction_id from interactions "
                         "where source_file <> 'calls/a.csv' order by 1, 2") == [
        ("calls/b.csv", 1, "B0"), ("calls/b.csv", 3, "B2"), ("calls/b.csv", 4, "B3"),
        ("calls/b.csv", 5, "B4"), ("calls/b.csv", 6, "B5"), ("calls/c.csv", 1, "C0")]
    assert project.query("select source_file, source_row from quarantine") == [
        ("calls/b.csv", 2)]
    assert project.query("select channel, kind, rating, text, language from interactions "
                         "where interaction_id = 'C0'") == [("sms", "complaint", 5.0,
                                                              "reordered", "nl")]


def test_value_map_applies_to_free_text_fields_too(project: Project) -> None:
    project.mapping("calls", CALLS_MAPPING.replace(
        "      text: Notes\n",
        "      text: Notes\n      topic: {column: Notes, map: {'Billing / invoice': billing}}\n"))
    project.file("calls/c.csv", "CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;"
                 "Notes;Lang\nA;C001;20/03/2026 10:00;;;TEL;INQ;OPEN;;billing / INVOICE ;en\n"
                 "B;C002;20/03/2026 10:00;;;TEL;INQ;OPEN;;Delivery;en\n")
    project.run()
    assert project.query("select topic from interactions order by 1") == [
        ("Delivery",), ("billing",)]


def test_repeats_with_empty_fields_are_duplicates_and_any_change_is_a_conflict(
    project: Project,
) -> None:
    # Duplicates are told from conflicts by the values themselves; empty (NULL) fields are equal.
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", """
        CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang
        K5;C005;19/03/2026 10:00;;;TEL;INQ;OPEN;;;
        K5;C005;19/03/2026 10:00;;;TEL;INQ;OPEN;;;
        K5;C005;19/03/2026 10:00;;;TEL;INQ;OPEN;N/A;;
        K5;C005;19/03/2026 10:00;;;TEL;INQ;OPEN;;plain;
    """)
    (f,) = project.run().ingest.files
    assert (f.rows_read, f.staged, f.duplicates, f.quarantined) == (4, 1, 2, 1)
    assert project.query("select source_row, reason from quarantine") == [
        (4, "duplicate_id_conflict")]


def test_a_warehouse_from_before_row_values_were_compared_is_migrated(project: Project) -> None:
    con = duckdb.connect(str(project.warehouse))
    con.execute("""
        create table interactions (interaction_id varchar not null, source varchar not null,
            customer_id varchar, occurred_at timestamp not null, channel varchar not null,
            kind varchar, topic varchar, promised_by timestamp, promise_kept boolean,
            resolved_at timestamp, status varchar, rating double, agent_id varchar,
            text varchar, language varchar, source_file varchar not null,
            source_row bigint not null, file_hash varchar not null, run_id varchar not null,
            row_hash uhugeint not null);
        insert into interactions (interaction_id, source, customer_id, occurred_at, channel,
            kind, status, source_file, source_row, file_hash, run_id, row_hash)
        values ('K4', 'calls', 'C004', timestamp '2026-03-19 02:00', 'phone', 'inquiry',
                'unresolved', 'old.csv', 1, 'h0', 'r0', 42);
    """)
    con.close()
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    files = project.run().ingest.files
    assert sum(f.staged for f in files) == 3 and sum(f.quarantined for f in files) == 1
    assert "row_hash" not in [r[0] for r in project.query("describe interactions")]
    assert project.query("select source_file from interactions where interaction_id = 'K4'") \
        == [("old.csv",)]  # the warehouse's row wins; the new K4 differs, so it is a conflict


def test_a_warehouse_whose_runs_kept_a_status_is_migrated(project: Project) -> None:
    # before 2026-12-06 runs had a status column, always 'committed', between clock and files
    con = duckdb.connect(str(project.warehouse))
    con.execute("""
        create table runs (run_id varchar primary key, started_at timestamp not null,
            finished_at timestamp, clock timestamp not null, status varchar not null,
            files_loaded integer, files_skipped integer, rows_read bigint, staged bigint,
            quarantined bigint, duplicates bigint);
        insert into runs values ('r0', timestamp '2026-03-01 00:00', timestamp '2026-03-01 00:01',
            timestamp '2026-03-01 00:00', 'committed', 0, 0, 0, 0, 0, 0);
    """)
    con.close()
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    project.run()
    assert "status" not in [r[0] for r in project.query("describe runs")]
    assert project.query("select run_id = 'r0', files_loaded, rows_read from runs "
                         "order by started_at") == [(True, 0, 0), (False, 1, 4)]


def test_prefetched_chunks_come_in_order_and_nothing_runs_after_an_error() -> None:
    import time

    from pipeline.ingest.validate import _prefetched

    events: list[str] = []

    def chunks():
        for i in range(3):
            time.sleep(0.05)
            events.append(f"fetched {i}")
            yield pd.DataFrame({"i": [i]})

    with _prefetched(chunks()) as ahead:
        assert [int(f["i"][0]) for f in ahead] == [0, 1, 2]
    events.clear()
    with pytest.raises(ValueError), _prefetched(chunks()) as ahead:
        for _ in ahead:
            raise ValueError("GX failed on the first chunk")
    # the fetch of chunk 1 was cancelled or had finished by the exit: nothing runs after it
    at_exit = list(events)
    time.sleep(0.2)
    assert events == at_exit and at_exit[0] == "fetched 0" and len(at_exit) <= 2


@pytest.mark.parametrize("bucket", [1, 2, 3, 4096])
def test_record_numbers_count_rejected_lines_across_buckets(
    project: Project, monkeypatch: pytest.MonkeyPatch, bucket: int
) -> None:
    from pipeline.ingest import read

    monkeypatch.setattr(read, "NUMBER_BUCKET_ROWS", bucket)
    project.mapping("calls", CALLS_MAPPING)
    bad = {1, 4, 5, 9, 12}  # first, consecutive, later and last records: too many columns
    lines = ["CallID;CustNo;Start;End;Promise;Queue;Reason;Result;Survey;Notes;Lang"]
    for n in range(1, 13):
        extra = ";x;y" if n in bad else ""
        lines.append(f"K{n};C{n:03d};19/03/2026 10:00;;;TEL;INQ;OPEN;;record {n};en{extra}")
    project.file("calls/calls_2026-03.csv", "\n".join(lines) + "\n")
    project.run()
    staged = project.query("select source_row, text from interactions")
    assert sorted(staged) == [(n, f"record {n}") for n in range(1, 13) if n not in bad]
    assert sorted(r[0] for r in project.query("select source_row from quarantine")) == sorted(bad)


def test_a_loaded_file_unchanged_on_disk_is_not_read_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.ingest as ingest_module

    project.mapping("calls", CALLS_MAPPING)
    path = project.file("calls/calls_2026-03.csv", CALLS)
    project.run()
    hashed: list[Path] = []
    real = ingest_module.file_hash
    monkeypatch.setattr(ingest_module, "file_hash", lambda p: hashed.append(p) or real(p))
    assert [f.status for f in project.run().ingest.files] == ["already_loaded"]
    assert hashed == []  # same path, size and modification time: the ledger's hash is used
    # new content (a later modification time): read, hashed and loaded
    project.file("calls/calls_2026-03.csv", CALLS.replace("K4;C004", "K5;C005"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [f.status for f in project.run().ingest.files] == ["loaded"]
    assert hashed == [path]


def test_the_scratch_stage_file_is_gone_after_a_run_and_a_stale_one_is_replaced(
    project: Project,
) -> None:
    stage = project.warehouse.with_name(project.warehouse.name + ".stage")
    stage.parent.mkdir(parents=True, exist_ok=True)
    stage.write_bytes(b"left by a killed run")  # not even a DuckDB file
    project.mapping("calls", CALLS_MAPPING)
    project.file("calls/calls_2026-03.csv", CALLS)
    files = project.run().ingest.files
    assert sum(f.staged for f in files) == 4
    assert not stage.exists() and not Path(str(stage) + ".wal").exists()
