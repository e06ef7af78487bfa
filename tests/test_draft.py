"""`python -m pipeline sources draft FILE`: a draft mapping from a look at the export.

Small exports are written here and the guesses asserted exactly; every file in
../shared/realdata (when present) must give a draft that parses and that load_mapping accepts,
with the key guesses checked against that folder's README.
"""

from __future__ import annotations

import gzip
import json
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
import zstandard
from test_ingest import Project

from pipeline import paths
from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.ingest import sources
from pipeline.ingest.draft import Column, _whose_words, _words, draft_mapping
from pipeline.ingest.sources import load_mapping

REALDATA = paths.ROOT.parent / "shared" / "realdata"


def draft(project: Project, rel: str) -> dict:
    text = draft_mapping(project.data / rel, project.data)
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict), text
    return doc


def said(text: str) -> str:
    """The draft's comments as one line (long comments wrap over several)."""
    return " ".join(ln.strip().lstrip("# ") for ln in text.splitlines() if "#" in ln)


def loads(project: Project, name: str, doc_or_text: dict | str):
    """load_mapping on the draft; a feature the format does not offer yet skips, visibly."""
    text = doc_or_text if isinstance(doc_or_text, str) else yaml.safe_dump(doc_or_text)
    path = project.sources / f"{name}.yaml"
    path.write_text(text)
    missing = _not_offered(yaml.safe_load(text))
    try:
        return load_mapping(path)
    except UserError:
        if missing:
            pytest.skip(f"load_mapping does not take {', '.join(missing)} yet")
        raise


def _not_offered(doc: dict) -> list[str]:
    """Design features (issue12-design.md) the draft uses that sources.py lacks today."""
    out = []
    if doc.get("format") not in sources.FORMATS:
        out.append(f"format: {doc.get('format')}")
    for block in ("excel", "json", "fixed_width"):
        if block in doc and block not in sources.TOP_KEYS:
            out.append(f"{block}:")
    csv_opts = doc.get("csv") or {}
    out += [f"csv.{k}" for k in csv_opts if k not in sources.CSV_KEYS]
    if csv_opts.get("delimiter") == "whitespace" and not hasattr(sources, "WHITESPACE"):
        out.append("csv.delimiter: whitespace")
    for name, spec in (doc.get("fields") or {}).items():
        if isinstance(spec, dict):
            out += [f"fields.{name}.{k}" for k in spec if k not in sources.FIELD_KEYS]
            if name in sources.ENUMS and spec.get("default") not in (None, *sources.ENUMS[name]):
                out.append(f"{name} {spec['default']}")
    names = getattr(sources, "TIME_FORMAT_NAMES", ())
    for f in doc.get("timestamp_formats") or []:
        if f in ("epoch", "epoch_ms", "excel_serial") and f not in names:
            out.append(f"format name {f}")
    return out


# ---------------------------------------------------------------------------------------------
# CSV shapes

CALLS = (
    b"Call centre export;;;\n"
    b"Exported by Siti, 2026-03-31\n"
    b"\n"
    b"CallID;CustNo;Start;End;CallbackBy;Queue;Reason;Result;Survey score;Agent;Notes\n"
    b"K1;C001;18/03/2026 14:05;18/03/2026 14:35;19/03/2026 12:00;TEL;Complaint;Solved;9;Aina;"
    b"Customer said the parcel arrived damaged and wants a refund\n"
    b"K2;C002;18/03/2026 15:00;;;Email;Enquiry;Open;;Ben;"
    b"Asked about delivery times to Penang for a large order\n"
    b"K3;C003;19/03/2026 09:00;19/03/2026 09:20;;Chat;Complaint;Escalated;0;Aina;"
    b"Caf\xe9 order missing two items, refund requested by phone\n"
    b"K4;C001;21/03/2026 10:00;;;Kiosk;Request;Pending;10;Chong;"
    b"Requested a copy of the invoice sent to the office address\n"
)


def test_semicolon_latin1_junk_lines_and_every_field(project: Project) -> None:
    project.file("calls/calls_2026-03.csv", CALLS)
    doc = draft(project, "calls/calls_2026-03.csv")
    assert doc["files"] == "calls/calls_*.csv"  # the date in the name: later exports match too
    assert doc["format"] == "csv"
    assert doc["csv"] == {"delimiter": ";", "skip_lines": 3, "encoding": "latin-1"}
    assert doc["timestamp_formats"] == ["%d/%m/%Y %H:%M"]  # 18/03: day first
    assert doc["fields"] == {
        "interaction_id": "CallID",
        "customer_id": "CustNo",
        "occurred_at": "Start",
        "channel": {"column": "Queue", "map": {"TEL": "phone", "Email": "email", "Chat": "chat"},
                    "default": "other"},
        "kind": {"column": "Reason",
                 "map": {"Complaint": "complaint", "Enquiry": "inquiry", "Request": "request"}},
        "promised_by": "CallbackBy",
        "resolved_at": "End",
        "status": {"column": "Result", "map": {"Solved": "resolved", "Open": "unresolved",
                                               "Escalated": "escalated",
                                               "Pending": "in_progress"}},
        "rating": {"column": "Survey score", "scale": [0, 10]},
        "agent_id": "Agent",
        "text": "Notes",
        "language": {"value": "en"},
    }
    text = draft_mapping(project.data / "calls/calls_2026-03.csv", project.data)
    assert "# Kiosk: ?" in text  # the unknown channel value, commented
    assert "# topic: not found" in text and "# promise_kept: not found" in text
    loads(project, "calls", text)


def test_draft_of_a_plain_csv_ingests_as_drafted(project: Project) -> None:
    """The draft is a working mapping: every row of the export is staged, values typed."""
    project.file("calls/calls_2026-03.csv", CALLS)
    project.mapping("calls", draft_mapping(project.data / "calls/calls_2026-03.csv",
                                           project.data))
    result = project.run()
    assert [(f.rows_read, f.staged, f.quarantined) for f in result.ingest.files] == [(4, 4, 0)]
    rows = project.query("select interaction_id, channel, kind, status, rating, "
                         "strftime(occurred_at, '%Y-%m-%d %H:%M') from interactions "
                         "order by interaction_id")
    assert rows == [
        ("K1", "phone", "complaint", "resolved", 5.0, "2026-03-18 14:05"),  # 9 of 0–10
        ("K2", "email", "inquiry", "unresolved", None, "2026-03-18 15:00"),
        ("K3", "chat", "complaint", "escalated", 1.0, "2026-03-19 09:00"),
        ("K4", "other", "request", "in_progress", 5.0, "2026-03-21 10:00"),
    ]


CITY = """
    ,case_id,opened,closed,channel,status,description
    0,A-1,03/18/2026 02:05:00 PM,03/19/2026 09:00:00 AM,Phone,Closed,Resident reports a broken street light on Main St
    1,A-2,03/19/2026 10:15:00 AM,NA,Self Service,Open,Pothole in front of the school entrance is getting bigger
    2,A-3,04/02/2026 08:00:00 AM,NA,Twitter,Open,Trash was not collected on Tuesday again this week
"""  # noqa: E501


def test_us_12_hour_times_empty_header_cell_and_na(project: Project) -> None:
    project.file("city/cases.csv", CITY)
    doc = draft(project, "city/cases.csv")
    assert doc["files"] == "city/cases.csv"
    assert doc["csv"] == {"delimiter": ","}
    assert doc["null_tokens"] == ["", "NA"]  # 'NA' where the other values are dates
    assert doc["timestamp_formats"] == ["%m/%d/%Y %I:%M:%S %p"]  # 03/18: month first
    assert doc["fields"] == {
        "interaction_id": "case_id",  # not column1, the unnamed leftover index
        "occurred_at": "opened",
        "channel": {"column": "channel",
                    "map": {"Phone": "phone", "Self Service": "web", "Twitter": "social"}},
        "resolved_at": "closed",
        "status": {"column": "status", "map": {"Open": "unresolved", "Closed": "resolved"}},
        "text": "description",
        "language": {"value": "en"},
    }
    text = draft_mapping(project.data / "city/cases.csv", project.data)
    assert "header cell 1 is empty: that column is named column1" in text
    assert "# customer_id: not found" in text
    loads(project, "city", text)


def test_headerless_file_names_columns_by_position(project: Project) -> None:
    project.file("tickets/t.csv", """
        T1,2026-03-18 14:05:00,email,The invoice total is wrong and I was charged twice
        T2,2026-03-18 15:10:00,phone,Could you tell me when the store opens on Sunday
        T3,2026-03-19 09:00:00,chat,My order arrived late and the box was crushed
    """)
    doc = draft(project, "tickets/t.csv")
    assert doc["csv"] == {"delimiter": ",", "header": False,
                          "columns": ["column1", "column2", "column3", "column4"]}
    assert doc["timestamp_formats"] == ["%Y-%m-%d %H:%M:%S"]
    assert doc["fields"] == {
        "interaction_id": "column1",
        "occurred_at": "column2",
        "channel": {"column": "column3",
                    "map": {"email": "email", "phone": "phone", "chat": "chat"}},
        "text": "column4",
        "language": {"value": "en"},
    }
    loads(project, "tickets", doc)


def test_space_aligned_columns_compact_dates_and_a_rating(project: Project) -> None:
    project.file("calls/report.txt", """
        REPORT: CALLS
          ID    Opened        Channel   Rating
          101   20260318      phone     4
          102   20260319      email     5
          103   20260320      chat      2
    """)
    doc = draft(project, "calls/report.txt")
    assert doc["csv"] == {"delimiter": "whitespace", "skip_lines": 1}
    assert doc["timestamp_formats"] == ["%Y%m%d"]
    assert doc["fields"] == {
        "interaction_id": "ID",
        "occurred_at": "Opened",
        "channel": {"column": "Channel",
                    "map": {"phone": "phone", "email": "email", "chat": "chat"}},
        "rating": {"column": "Rating", "scale": [1, 5]},
    }
    loads(project, "report", doc)


def test_spaces_inside_values_read_as_fixed_width(project: Project) -> None:
    project.file("calls/fixed.txt", """
        ID   Opened            Notes
        K1   2026-03-18 14:05  parcel arrived damaged
        K2   2026-03-19 09:30  asked about delivery
        K3   2026-03-20 16:45  wants a refund now
    """)
    doc = draft(project, "calls/fixed.txt")
    assert doc["format"] == "fixed_width"
    assert doc["fixed_width"] == {"columns": {"ID": [1, 5], "Opened": [6, 23],
                                              "Notes": [24, 45]},
                                  "skip_lines": 1}
    assert doc["timestamp_formats"] == ["%Y-%m-%d %H:%M"]
    assert doc["fields"]["interaction_id"] == "ID"
    assert doc["fields"]["occurred_at"] == "Opened"
    loads(project, "fixed", {**doc, "fields": {**doc["fields"], "channel": {"value": "phone"}}})


# ---------------------------------------------------------------------------------------------
# Encodings and compression

SIMPLE = "id,created,channel\nA1,2026-03-18 10:00,Email\nA2,2026-03-18 11:00,Phone\n"


@pytest.mark.parametrize(("name", "content", "encoding", "comment"), [
    ("bom.csv", b"\xef\xbb\xbf" + SIMPLE.encode(), "utf-8", "byte-order mark"),
    ("u16.csv", SIMPLE.encode("utf-16"), "utf-16", "UTF-16"),
    ("plain.csv.gz", gzip.compress(SIMPLE.encode(), mtime=0), None, "gzip-compressed"),
    ("plain.csv.zst", zstandard.ZstdCompressor().compress(SIMPLE.encode()), None,
     "zstd-compressed"),
])
def test_encodings_and_compression(project: Project, name: str, content: bytes,
                                   encoding: str | None, comment: str) -> None:
    project.file(f"x/{name}", content)
    text = draft_mapping(project.data / "x" / name, project.data)
    doc = yaml.safe_load(text)
    assert doc["files"] == f"x/{name}"
    assert doc["format"] == "csv"
    assert doc["csv"].get("encoding") == encoding  # utf-8 without a BOM is not written
    assert comment in text
    assert doc["fields"] == {
        "interaction_id": "id", "occurred_at": "created",
        "channel": {"column": "channel", "map": {"Email": "email", "Phone": "phone"}}}
    loads(project, name.replace(".", "_"), doc)


def test_gzip_without_gz_in_its_name_is_said(project: Project) -> None:
    project.file("x/export.csv", gzip.compress(SIMPLE.encode()))
    text = draft_mapping(project.data / "x/export.csv", project.data)
    assert "gzip-compressed but not named .gz: rename it to export.csv.gz" in text
    assert yaml.safe_load(text)["fields"]["interaction_id"] == "id"


def test_bare_carriage_return_inside_a_line_is_reported(project: Project) -> None:
    project.file("x/tw.csv", b",tweet_id,author_id,created_at,text\n"
                             b"0,1,115712,Tue Oct 31 22:10:47 +0000 2017,hello there\r\rworld\n"
                             b"1,2,sprintcare,Tue Oct 31 22:11:45 +0000 2017,how can we help\n")
    text = draft_mapping(project.data / "x/tw.csv", project.data)
    doc = yaml.safe_load(text)
    assert "bare carriage return (CR) inside the line (first at line 2)" in text
    assert doc["timezone"] == "UTC"
    assert doc["timestamp_formats"] == ["%a %b %d %H:%M:%S %z %Y"]
    assert doc["fields"]["interaction_id"] == "tweet_id"
    assert doc["fields"]["customer_id"] == "author_id"
    assert doc["fields"]["channel"] == {"value": "social"}  # 'tweet' in a column name


# ---------------------------------------------------------------------------------------------
# JSON

TICKETS = {"meta": {"count": 3}, "data": {"tickets": [
    {"id": 1, "created_at": 1773842700, "requester": {"email": "ann@example.com"},
     "via": {"channel": "web_form"}, "type": "question", "status": "solved", "tags": ["a"],
     "comments": [{"body": "Where is my parcel? It was due last week and nothing came"}]},
    {"id": 2, "created_at": 1773846300, "requester": {"email": "bob@example.com"},
     "via": {"channel": "email"}, "type": "problem", "status": "open", "tags": [],
     "comments": [{"body": "The blender stopped working after two days of use at home"}]},
    {"id": 3, "created_at": 1773932700, "requester": {"email": "ann@example.com"},
     "via": {"channel": "email"}, "type": "problem", "status": "pending", "tags": ["b"],
     "comments": [{"body": "Still waiting for the refund you promised me on the phone"}]},
]}}


def test_json_document_with_records_under_a_key(project: Project) -> None:
    project.file("hd/tickets.json", json.dumps(TICKETS, indent=2))
    text = draft_mapping(project.data / "hd/tickets.json", project.data)
    doc = yaml.safe_load(text)
    assert doc["format"] == "json"
    assert doc["json"] == {"records": "data.tickets"}
    assert doc["timestamp_formats"] == ["epoch"]  # 1773842700: seconds since 1970
    assert doc["fields"] == {
        "interaction_id": "id",
        "customer_id": "requester.email",
        "occurred_at": "created_at",
        "channel": {"column": "via.channel", "map": {"email": "email", "web_form": "web"}},
        "kind": {"column": "type", "map": {"problem": "complaint", "question": "inquiry"}},
        "status": {"column": "status", "map": {"solved": "resolved", "open": "unresolved",
                                               "pending": "in_progress"}},
        "text": "comments.0.body",
        "language": {"value": "en"},
    }
    assert "array value(s), not mapped" in text and "tags" in text
    loads(project, "hd", doc)


def test_json_array_and_json_lines_gz(project: Project) -> None:
    records = TICKETS["data"]["tickets"]
    for r in records:
        r["created_at"] *= 1000  # milliseconds
    project.file("hd/array.json", json.dumps(records))
    project.file("hd/lines.jsonl.gz",
                 gzip.compress("\n".join(json.dumps(r) for r in records).encode()))
    arr = draft(project, "hd/array.json")
    assert arr["format"] == "json" and "json" not in arr  # the document is the array
    assert arr["timestamp_formats"] == ["epoch_ms"]
    lines = draft(project, "hd/lines.jsonl.gz")
    assert lines["format"] == "jsonl"
    assert lines["files"] == "hd/lines.jsonl.gz"
    assert lines["fields"] == arr["fields"]
    assert lines["fields"]["occurred_at"] == "created_at"
    loads(project, "arr", arr)
    loads(project, "lines", lines)


def test_parquet_time_stamps_need_no_format(project: Project) -> None:
    import duckdb

    path = project.data / "pq" / "visits.parquet"
    path.parent.mkdir()
    duckdb.sql("select * from (values ('V1', timestamp '2026-03-18 10:00:00', 'Store', 5), "
               "('V2', timestamp '2026-03-19 11:30:00', 'Store', 3)) "
               "t(visit_no, visited_at, channel, rating)").write_parquet(str(path))
    doc = draft(project, "pq/visits.parquet")
    assert doc["format"] == "parquet" and "csv" not in doc
    assert doc["timestamp_formats"] == ["%Y-%m-%d %H:%M:%S"]  # the reader's text for them
    assert doc["fields"] == {
        "interaction_id": "visit_no", "occurred_at": "visited_at",
        "channel": {"column": "channel", "map": {"Store": "in_person"}},
        "rating": {"column": "rating", "scale": [1, 5]}}
    loads(project, "visits", doc)


# ---------------------------------------------------------------------------------------------
# Excel


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    """A minimal workbook: str cells inline, numbers as numbers, ("date", serial) a number in a
    date format (read back as a datetime)."""
    def col(i: int) -> str:
        s = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(65 + r) + s
        return s

    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    types = [f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
             f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
             for n in range(1, len(sheets) + 1)]
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>' + "".join(types) + "</Types>"))
        z.writestr("_rels/.rels", f'<Relationships xmlns="{ns}/package/2006/relationships">'
                   f'<Relationship Id="r1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
                   f'xmlns:r="{rel}"><sheets>' + "".join(
                       f'<sheet name="{escape(name)}" sheetId="{n}" r:id="s{n}"/>'
                       for n, name in enumerate(sheets, start=1)) + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{ns}/package/2006/relationships">' + "".join(
                f'<Relationship Id="s{n}" Type="{rel}/worksheet" '
                f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(sheets) + 1))
            + f'<Relationship Id="st" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        z.writestr("xl/styles.xml", f'<styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
                   '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22" '
                   'applyNumberFormat="1"/></cellXfs></styleSheet>')
        for n, rows in enumerate(sheets.values(), start=1):
            xml = []
            for r, row in enumerate(rows, start=1):
                cells = []
                for c, v in enumerate(row):
                    ref = f"{col(c)}{r}"
                    if isinstance(v, tuple):
                        cells.append(f'<c r="{ref}" s="1"><v>{v[1]}</v></c>')
                    elif isinstance(v, int | float):
                        cells.append(f'<c r="{ref}"><v>{v}</v></c>')
                    elif v is not None:
                        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is>'
                                     "</c>")
                xml.append(f'<row r="{r}">{"".join(cells)}</row>')
            z.writestr(f"xl/worksheets/sheet{n}.xml",
                       f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>'
                       + "".join(xml) + "</sheetData></worksheet>")


def test_excel_sheet_header_row_and_date_cells(project: Project) -> None:
    path = project.data / "cc/calls.xlsx"
    path.parent.mkdir()
    write_xlsx(path, {
        "Notes": [["read me first"]],
        "Calls": [["Call log, March"], [],
                  ["Call Id", "Opened", "Agent", "Satisfaction rating", "Resolved"],
                  ["C-1", ("date", 46099.5), "Aina", 4, "Y"],
                  ["C-2", ("date", 46100.25), "Ben", 5, "N"],
                  ["C-3", ("date", 46101.75), "Aina", 1, "Y"]],
    })
    text = draft_mapping(path, project.data)
    doc = yaml.safe_load(text)
    assert doc["format"] == "excel"
    assert doc["excel"] == {"sheet": "Calls", "header_row": 3}
    assert "sheets: Notes, Calls; drafted from 'Calls'" in text
    assert doc["fields"] == {
        "interaction_id": "Call Id",
        "occurred_at": "Opened",  # date cells: no format of their own
        "channel": {"value": "phone"},  # 'call' in the names
        "status": {"column": "Resolved", "map": {"Y": "resolved", "N": "unresolved"}},
        "rating": {"column": "Satisfaction rating", "scale": [1, 5]},
        "agent_id": "Agent",
    }
    loads(project, "calls", doc)


# ---------------------------------------------------------------------------------------------
# Surveys, literal zones, dates from the file name, orders

SURVEY = """
    Timestamp,How would you rate the food?,How would you rate the service?,Comments
    2019/10/01 12:38:43 PM GMT+8,4,5,Great food and friendly staff at the counter today
    2019/10/01 01:05:10 PM GMT+8,2,3,Waited too long for my order and the table was dirty
    2019/10/02 09:15:00 AM GMT+8,5,5,Everything was fine and the coffee was very good
"""


def test_wide_survey_with_a_literal_gmt_offset(project: Project) -> None:
    project.file("survey/survey_201910.csv", SURVEY)
    text = draft_mapping(project.data / "survey/survey_201910.csv", project.data)
    doc = yaml.safe_load(text)
    assert doc["files"] == "survey/survey_*.csv"
    assert doc["timezone"] == "Etc/GMT-8"  # UTC+8 (the Etc sign is inverted)
    assert "Asia/Kuala_Lumpur" in text  # a city zone suggested in the comment
    assert doc["timestamp_formats"] == ["%Y/%m/%d %I:%M:%S %p GMT+8"]
    assert doc["fields"] == {
        "interaction_id": "Timestamp",  # the only unique column
        "occurred_at": "Timestamp",
        "channel": {"value": "web"},  # 'survey' in the file name
        "kind": {"value": "feedback"},
        "customer_text": "Comments",  # a survey's comments are the customer's own words
        "language": {"value": "en"},
    }
    assert doc["unpivot"] == {
        "columns": {"How would you rate the food?": "food",
                    "How would you rate the service?": "service"},
        "value_to": "rating", "name_to": "topic", "value": {"scale": [1, 5]}}
    loads(project, "survey", doc)


def test_no_time_column_takes_the_date_in_the_file_name(project: Project) -> None:
    project.file("fb/feedback_20260318.csv", """
        ref,channel,comment
        F1,App,Love the new checkout page it is much faster now
        F2,Web,The delivery slot I picked was not honoured at all
    """)
    doc = draft(project, "fb/feedback_20260318.csv")
    assert doc["files"] == "fb/feedback_*.csv"
    assert doc["fields"]["occurred_at"] == {"from_file_name": r"feedback_(\d{4}\d{2}\d{2})",
                                            "formats": ["%Y%m%d"]}
    assert doc["fields"]["kind"] == {"value": "feedback"}
    assert doc["fields"]["channel"] == {"column": "channel",
                                        "map": {"App": "app", "Web": "web"}}
    mapping = loads(project, "fb", doc)
    assert mapping.fields["occurred_at"].from_file_name == r"feedback_(\d{4}\d{2}\d{2})"


def test_orders_export(project: Project) -> None:
    project.file("orders/orders.csv", """
        "InvoiceNo","CustomerID","InvoiceDate","Quantity","UnitPrice","Currency"
        "536365","17850","2010-12-01 08:26:00",6,2.55,"GBP"
        "536365","17850","2010-12-01 08:26:00",8,3.39,"GBP"
        "536366",NA,"2010-12-01 08:28:00",6,1.85,"GBP"
    """)
    text = draft_mapping(project.data / "orders/orders.csv", project.data)
    doc = yaml.safe_load(text)
    assert doc["target"] == "orders"
    assert doc["null_tokens"] == ["", "NA"]
    assert doc["fields"] == {"order_id": "InvoiceNo", "customer_id": "CustomerID",
                             "ordered_at": "InvoiceDate", "amount": "UnitPrice",
                             "currency": "Currency"}
    assert "one row per order line" in text and "needs a sql source" in text
    loads(project, "orders", doc)


# ---------------------------------------------------------------------------------------------
# The command


def test_command_prints_the_draft(project: Project, capsys) -> None:
    project.file("city/cases.csv", CITY)
    code = main(["sources", "draft", str(project.data / "city/cases.csv"),
                 "--data-dir", str(project.data)])
    out = capsys.readouterr()
    assert code == 0 and out.err == ""
    assert yaml.safe_load(out.out)["fields"]["interaction_id"] == "case_id"


def test_file_outside_the_data_folder_is_drafted_with_a_note(project: Project, tmp_path,
                                                               capsys) -> None:
    outside = tmp_path / "Downloads" / "Export 2026.csv"
    outside.parent.mkdir()
    outside.write_text(SIMPLE)
    assert main(["sources", "draft", str(outside), "--data-dir", str(project.data)]) == 0
    text = capsys.readouterr().out
    doc = yaml.safe_load(text)
    assert doc["files"] == "export_2026/Export 2026.csv"
    assert f"{outside} is outside the data folder {project.data}: copy it to" in said(text)
    loads(project, "outside", doc)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.csv", None, "no such file"),
    ("empty.csv", b"", "file is empty (0 bytes)"),
    ("blank.csv", b"\n \n\n", "holds only blank lines"),
    ("header_only.csv", b"id,created,channel\n", "no data rows"),
    ("binary.bin", bytes(range(256)) * 8, "binary"),
    ("bad.csv.gz", b"this is not gzip at all", "named .gz but not gzip-compressed"),
    ("cut.csv.gz", gzip.compress(SIMPLE.encode() * 50, mtime=0)[:12], "cannot be decompressed"),
    ("bad.json", b'{"a": [1, 2', "not valid JSON"),
    ("numbers.json", b"[1, 2, 3]", "not of objects"),
    ("archive.zip", None, "a zip archive, not a workbook"),
    ("broken.xlsx", b"PK\x03\x04 not really a workbook", "cannot be read as a workbook"),
])
def test_unreadable_input_is_one_line_and_exit_2(project: Project, capsys, name: str,
                                                 content: bytes | None, message: str) -> None:
    path = project.data / name
    if name == "archive.zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("inside.csv", SIMPLE)
    elif content is not None:
        path.write_bytes(content)
    code = main(["sources", "draft", str(path), "--data-dir", str(project.data)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err


def test_odd_but_readable_input_still_drafts(project: Project) -> None:
    """A one-column file, a folder of its own, a single record: a draft, never a traceback."""
    for rel, content in (("one/col.csv", "comment\nslow delivery again\nnice staff\n"),
                         ("one/single.json", '{"id": 1, "at": "2026-03-18T10:00:00Z"}'),
                         ("one/ragged.csv", "a,b,c\n1,2\n3,4,5,6\n7,8,9\n")):
        project.file(rel, content)
        doc = draft(project, rel)
        assert doc["source"] and doc["format"] in ("csv", "jsonl")
    with pytest.raises(UserError, match="not a file"):
        draft_mapping(project.data / "one", project.data)


def test_mangled_exports_never_crash(project: Project) -> None:
    """Bytes cut, doubled and sprinkled with NULs, quotes and delimiters: a draft that parses
    as YAML, or a one-line UserError that is not an internal failure."""
    rng = random.Random(12)
    seeds = [CALLS, CITY.encode(), json.dumps(TICKETS).encode(), SURVEY.encode()]
    for i in range(60):
        b = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            pos, op = rng.randrange(len(b) + 1), rng.random()
            if op < 0.3:
                del b[pos:pos + rng.randint(1, 40)]
            elif op < 0.6:
                b[pos:pos] = bytes(rng.choice(b'\n\r,;"\t |{}[]:09aZ\x00\xff\xe9')
                                   for _ in range(rng.randint(1, 5)))
            elif op < 0.8:
                b = b[:pos]
            else:
                b[pos:pos] = b[rng.randrange(len(b) or 1):][:50]
        path = project.file(f"fuzz/f{i}.csv", bytes(b))
        try:
            assert isinstance(yaml.safe_load(draft_mapping(path, project.data)), dict)
        except UserError as exc:
            assert "\n" not in str(exc) and "cannot draft a mapping (" not in str(exc), exc


# ---------------------------------------------------------------------------------------------
# Real exports (../shared/realdata)

# file → the key guesses (README.md there says what each column holds)
REAL = {
    "helpdesk_tickets_suraj520/customer_support_tickets.csv": {
        "format": "csv",
        "fields.interaction_id": "Ticket ID",
        "fields.customer_id": "Customer Email",
        "fields.occurred_at": "First Response Time",  # not Date of Purchase
        "fields.resolved_at": "Time to Resolution",
        "fields.channel.column": "Ticket Channel",
        "fields.channel.map": {"Email": "email", "Phone": "phone", "Chat": "chat",
                               "Social media": "social"},
        "fields.kind.column": "Ticket Type",
        "fields.status.column": "Ticket Status",
        "fields.rating": {"column": "Customer Satisfaction Rating", "scale": [1, 5]},
        "fields.customer_text": "Ticket Description",  # a ticket's description: the customer's
        "fields.agent_text": "Resolution",
        "timestamp_formats": ["%Y-%m-%d %H:%M:%S"],
    },
    "city_311_boston_2015/General Comments For a Program or Policy.csv": {
        "fields.interaction_id": "CASE_ENQUIRY_ID",  # not the unnamed pandas index
        "fields.occurred_at": "OPEN_DT",
        "fields.promised_by": "TARGET_DT",
        "fields.resolved_at": "CLOSED_DT",
        "fields.status.map": {"Open": "unresolved", "Closed": "resolved"},
        "fields.promise_kept.map": {"ONTIME": True, "OVERDUE": False},
        "fields.channel.column": "Source",
        "fields.channel.map": {"Constituent Call": "phone", "Twitter": "social"},
        "fields.channel.default": "other",
        "timestamp_formats": ["%m/%d/%Y %I:%M:%S %p"],
        "-fields.customer_id": None,
        "fields.text": "CASE_TITLE",  # author unknown (as in examples/boston_311.yaml)
        "fields.agent_text": "CLOSURE_REASON",  # the city's words on closing the case
    },
    "city_311_boston_2015/Maintenance Complaint - Residential.csv": {
        "fields.interaction_id": "CASE_ENQUIRY_ID",
        "fields.kind.map": {"Maintenance Complaint - Residential": "complaint"},
        "fields.channel.map": {"Constituent Call": "phone", "Self Service": "web"},
        "timestamp_formats": ["%m/%d/%Y %I:%M:%S %p"],
    },
    "call_centre_pwc/Call-Center-Dataset.xlsx": {
        "format": "excel",
        "excel": {"sheet": "Sheet1", "header_row": 1},
        "fields.interaction_id": "Call Id",
        "fields.occurred_at": {"columns": ["Date", "Time"]},
        "timestamp_formats": ["%Y-%m-%d %H:%M:%S"],
        "fields.channel": {"value": "phone"},
        "fields.topic": "Topic",
        "fields.status": {"column": "Resolved", "map": {"Y": "resolved", "N": "unresolved"}},
        "fields.rating": {"column": "Satisfaction rating", "scale": [1, 5]},
        "fields.agent_id": "Agent",
    },
    "twitter_support_twcs/sample.csv": {
        "fields.interaction_id": "tweet_id",
        "fields.customer_id": "author_id",
        "fields.occurred_at": "created_at",
        "fields.channel": {"value": "social"},
        "fields.text": "text",
        "timestamp_formats": ["%a %b %d %H:%M:%S %z %Y"],
    },
    "twitter_support_twcs/twcs_first5000.csv": {
        "fields.interaction_id": "tweet_id",  # not column1, the unnamed pandas index
        "fields.customer_id": "author_id",
        "fields.occurred_at": "created_at",
        "timestamp_formats": ["%a %b %d %H:%M:%S %z %Y"],
    },
    "survey_starbucks_malaysia/Starbucks satisfactory survey.csv": {
        "timezone": "Etc/GMT-8",
        "timestamp_formats": ["%Y/%m/%d %I:%M:%S %p GMT+8"],
        "fields.interaction_id": "Timestamp",
        "fields.occurred_at": "Timestamp",
        "fields.kind": {"value": "feedback"},
        "unpivot.value": {"scale": [1, 5]},
        "unpivot.columns#": 5,  # questions 12, 13, 15, 16, 17 (not 14 and 18: not ratings)
    },
    "orders_uci_online_retail/online_retail_sample.csv": {
        "target": "orders",
        "null_tokens": ["", "NA"],
        "fields.order_id": "InvoiceNo",
        "fields.customer_id": "CustomerID",
        "fields.ordered_at": "InvoiceDate",
    },
    "reviews_prdect_id_indonesian/PRDECT-ID Dataset.csv": {
        "fields.rating": {"column": "Customer Rating", "scale": [1, 5]},
        "fields.customer_text": "Customer Review",
        "fields.topic": "Category",
        "fields.language": {"value": "id"},
        "-fields.interaction_id": None,  # no id and no date in the export: said, not invented
        "-fields.occurred_at": None,
    },
}
# What the export lacks, so load_mapping must refuse the draft until the user adds it.
REAL_MISSING = {"reviews_prdect_id_indonesian/PRDECT-ID Dataset.csv": "interaction_id"}


def _get(doc: dict, dotted: str):
    node = doc
    for part in dotted.split("."):
        node = node[part]
    return node


@pytest.mark.parametrize("rel", sorted(REAL))
def test_real_exports(project: Project, rel: str) -> None:
    path = REALDATA / rel
    if not path.exists():
        pytest.skip(f"{REALDATA} not present: real exports not checked")
    text = draft_mapping(path, REALDATA)
    doc = yaml.safe_load(text)
    assert doc["files"] == rel
    for key, want in REAL[rel].items():
        if key.startswith("-"):
            parent, _, leaf = key[1:].rpartition(".")
            assert leaf not in _get(doc, parent), key
            assert f"# {leaf}: not found" in text
        elif key.endswith("#"):
            assert len(_get(doc, key[:-1])) == want, key
        else:
            assert _get(doc, key) == want, key
    if rel in REAL_MISSING:
        with pytest.raises(UserError, match=f"fields.{REAL_MISSING[rel]}: is required"):
            loads(project, "real", text)
        assert f"TO DO before it loads: {REAL_MISSING[rel]}" in text
    else:
        loads(project, "real", text)


def test_channel_kind_and_status_words_in_malay_indonesian_and_dutch(project: Project) -> None:
    """The guide's languages: an export from a Malay, Indonesian or Dutch system is drafted with
    its channel, kind and status values mapped."""
    project.file("calls/x.csv", "id,saluran,jenis,status,tarikh\n"
                 "1,Telefon,Aduan,Selesai,2026-03-18 10:00\n"
                 "2,Emel,Pertanyaan,Terbuka,2026-03-18 11:00\n"
                 "3,Kaunter,Maklum balas,Dalam proses,2026-03-18 12:00\n"
                 "4,Telepon,Keluhan,Ditutup,2026-03-18 13:00\n"
                 "5,Telefoon,Klacht,Opgelost,2026-03-18 14:00\n")
    doc = draft(project, "calls/x.csv")
    fields = doc["fields"]
    assert fields["channel"]["map"] == {"Telefon": "phone", "Emel": "email",
                                        "Kaunter": "in_person", "Telepon": "phone",
                                        "Telefoon": "phone"}
    assert fields["kind"]["map"] == {"Aduan": "complaint", "Pertanyaan": "inquiry",
                                     "Maklum balas": "feedback", "Keluhan": "complaint",
                                     "Klacht": "complaint"}
    assert fields["status"]["map"] == {"Selesai": "resolved", "Terbuka": "unresolved",
                                       "Dalam proses": "in_progress", "Ditutup": "resolved",
                                       "Opgelost": "resolved"}


# ---------------------------------------------------------------------------------------------
# Whose words (customer_text / agent_text / text) and declared signals


def test_ticket_subject_and_description_are_the_customers_the_reply_staffs(
        project: Project) -> None:
    project.file("hd/tickets.csv", """
        Ticket ID,Created,Channel,Customer Email,Subject,Description,Agent Reply
        T1,2026-03-18 10:00,Email,ann@example.com,Refund not received after return,I sent the shoes back two weeks ago and still no refund,Sorry for the wait: the refund was sent today
        T2,2026-03-18 11:00,Web,bob@example.com,Parcel arrived damaged at my door,The box was crushed and the glass inside was broken,We are sending a new one by courier tomorrow
        T3,2026-03-19 09:00,Email,cat@example.com,Cannot log in to my account page,The reset link in the e-mail says it has expired already,Please clear the cache and request a new link
    """)  # noqa: E501
    text = draft_mapping(project.data / "hd/tickets.csv", project.data)
    doc = yaml.safe_load(text)
    fields = doc["fields"]
    assert fields["customer_text"] == {"columns": ["Subject", "Description"]}
    assert fields["agent_text"] == "Agent Reply"
    assert "text" not in fields and "signals" not in doc
    assert "a ticket's subject: the customer's words" in said(text)
    assert "its name says staff wrote it (agent)" in said(text)
    mapping = loads(project, "hd", doc)
    assert mapping.fields["customer_text"].columns == ("Subject", "Description")
    assert mapping.fields["agent_text"].column == "Agent Reply"


def test_survey_recommend_question_is_an_nps_signal_not_the_rating(project: Project) -> None:
    project.file("fb/survey.csv", """
        Response ID,Submitted,How likely are you to recommend us (0-10),Any other comments?
        R1,2026-03-18 10:00,9,
        R2,2026-03-18 11:00,3,Delivery was late twice and nobody called me back
        R3,2026-03-19 09:00,10,Great service from the shop in Bangsar as always
        R4,2026-03-19 10:00,7,The app keeps logging me out when I pay by card
    """)
    text = draft_mapping(project.data / "fb/survey.csv", project.data)
    doc = yaml.safe_load(text)
    assert doc["signals"] == {"nps": {"column": "How likely are you to recommend us (0-10)",
                                      "scale": "nps"}}
    assert "rating" not in doc["fields"]  # the NPS column is the signal, never also the rating
    assert "# rating: not found" in text and "declared signals below decide" in said(text)
    assert doc["fields"]["customer_text"] == "Any other comments?"
    mapping = loads(project, "fb", doc)
    assert [(s.name, s.column, s.scale, s.customer) for s in mapping.signals] == [
        ("nps", "How likely are you to recommend us (0-10)", "nps", True)]


def test_effort_and_first_contact_resolution_are_signals(project: Project) -> None:
    project.file("calls/calls.csv", """
        Call ID,Start,Customer Effort (1-7),Resolved first time,FCR
        C1,2026-03-18 10:00,2,Yes,1
        C2,2026-03-18 11:00,6,No,0
        C3,2026-03-19 09:00,4,Yes,1
    """)
    text = draft_mapping(project.data / "calls/calls.csv", project.data)
    doc = yaml.safe_load(text)
    assert doc["signals"] == {
        "effort": {"column": "Customer Effort (1-7)", "scale": "ces"},
        "fcr": {"column": "Resolved first time", "scale": "flag", "verdict": "handling"},
    }  # one flag: FCR, a second one, stays unmapped
    assert "7 is good" in said(text) and "replace scale with a map" in said(text)
    assert "status" not in doc["fields"] and "rating" not in doc["fields"]
    assert "# not mapped: FCR" in text
    mapping = loads(project, "calls", doc)
    assert [(s.name, s.scale, s.customer) for s in mapping.signals] == [
        ("effort", "ces", True), ("fcr", "flag", False)]


def test_yes_no_words_a_flag_does_not_read_become_a_map(project: Project) -> None:
    project.file("calls/calls.csv", """
        id,mula,Selesai pada panggilan pertama
        1,2026-03-18 10:00,Ya
        2,2026-03-18 11:00,Tidak
    """)
    doc = draft(project, "calls/calls.csv")
    assert doc["signals"] == {"fcr": {"column": "Selesai pada panggilan pertama",
                                      "map": {"Ya": "meets", "Tidak": "falls_short"},
                                      "verdict": "handling"}}
    loads(project, "calls", doc)


def test_notes_of_unknown_author_stay_text_with_a_hint_to_move_them(project: Project) -> None:
    project.file("calls/call_log.csv", """
        id,opened,Notes
        1,2026-03-18 10:00,Customer said the parcel arrived damaged and wants a refund
        2,2026-03-18 11:00,Asked about delivery times to Penang for a large order
    """)
    text = draft_mapping(project.data / "calls/call_log.csv", project.data)
    doc = yaml.safe_load(text)
    assert doc["fields"]["text"] == "Notes"
    assert "customer_text" not in doc["fields"] and "agent_text" not in doc["fields"]
    hint = said(text)
    assert "move it to customer_text if the customer wrote them" in hint
    assert "or to agent_text if staff did (discouraged phrases" in hint
    loads(project, "log", doc)


def test_whose_words_in_indonesian_malay_and_dutch(project: Project) -> None:
    project.file("cs/export.csv", """
        id,tanggal,Ulasan,Balasan,Opmerking klant,Antwoord medewerker
        1,2026-03-18 10:00,Barang sampai rusak dan kotak penyok sekali,Mohon maaf kak kami kirim ulang hari ini,Het pakket kwam beschadigd aan bij mij thuis,Excuses: we sturen vandaag een nieuw pakket
        2,2026-03-18 11:00,Pengiriman lama sekali tidak sesuai janji,Terima kasih sudah menunggu pesanan kakak,De bezorger belde niet aan en liep weer weg,We hebben de bezorgdienst hierop aangesproken
    """)  # noqa: E501
    fields = draft(project, "cs/export.csv")["fields"]
    assert fields["customer_text"] == {"columns": ["Ulasan", "Opmerking klant"]}
    assert fields["agent_text"] == {"columns": ["Balasan", "Antwoord medewerker"]}
    assert "text" not in fields


@pytest.mark.parametrize(("name", "ticket", "survey", "role"), [
    ("Reply to customer", False, False, "agent_text"),  # the customer is who it is written to
    ("Customer reply", False, False, "customer_text"),
    ("Complaint resolution", False, False, "agent_text"),  # staff's words about the complaint
    ("Internal note", False, False, "agent_text"),
    ("Anything else you would like to tell us?", False, False, "customer_text"),
    ("Keluhan", False, False, "customer_text"),
    ("Jawapan", False, False, "agent_text"),
    ("Answer", False, True, "customer_text"),  # a survey's answer is the respondent's
    ("Description", True, False, "customer_text"),
    ("Description", False, False, "text"),  # a call log's description: anyone's
    ("comments.0.body", False, False, "text"),  # one entry of a thread
])
def test_whose_words_by_name(name: str, ticket: bool, survey: bool, role: str) -> None:
    col = Column(name, [])
    col.words = _words(name)
    assert _whose_words(col, ticket, survey)[0] == role
