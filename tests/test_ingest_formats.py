"""Excel workbooks and JSON documents as sources, compressed JSON lines, array indexes in JSON
paths.

Workbooks are written by `xlsx_bytes` below (a minimal SpreadsheetML package built with zipfile:
inline strings, numbers, booleans, and date / date-time / time / duration styles), so the tests
need no spreadsheet library. Expected values are worked out by hand from each fixture; the
real call-centre workbook's are computed independently with python_calamine from the raw file.
"""

from __future__ import annotations

import gzip
import io
import json
import time as clock
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import zstandard
from test_ingest import Project

from pipeline.errors import UserError
from pipeline.ingest.stage import json_path

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
CALL_CENTRE = REALDATA / "call_centre_pwc" / "Call-Center-Dataset.xlsx"

# --- a minimal .xlsx writer ------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (1900 date system)
# cell styles (cellXfs index): 1 date, 2 date-time, 3 time of day, 4 duration
_STYLES = (f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
           'formatCode="[h]:mm:ss"/></numFmts><fonts count="1"><font/></fonts><fills count="1">'
           '<fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/>'
           '</cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/>'
           '<xf numFmtId="22"/><xf numFmtId="21"/><xf numFmtId="164"/></cellXfs></styleSheet>')


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell(ref: str, v: object) -> str:
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float):
        return f'<c r="{ref}"><v>{v!r}</v></c>'
    if isinstance(v, datetime):
        return f'<c r="{ref}" s="2"><v>{(v - _EPOCH) / timedelta(days=1)!r}</v></c>'
    if isinstance(v, date):
        return f'<c r="{ref}" s="1"><v>{(v - _EPOCH.date()).days}</v></c>'
    if isinstance(v, time):
        seconds = v.hour * 3600 + v.minute * 60 + v.second
        return f'<c r="{ref}" s="3"><v>{seconds / 86400!r}</v></c>'
    if isinstance(v, timedelta):
        return f'<c r="{ref}" s="4"><v>{v / timedelta(days=1)!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(v))}</t></is></c>'


def xlsx_bytes(sheets: dict[str, list[list] | tuple[int, int, list[list]]]) -> bytes:
    """A workbook: sheet name -> rows from A1, or (first row, first column, rows) for data that
    starts lower or further right (1-based, as the sheet numbers them). None = an empty cell."""
    names = list(sheets)
    n = range(1, len(names) + 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", (
            f'<Types xmlns="{_PKG}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                      f'ContentType="{_CT}.worksheet+xml"/>' for i in n)
            + "</Types>"))
        z.writestr("_rels/.rels", (
            f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, name in zip(n, names, strict=True))
            + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", (
            f'<Relationships xmlns="{_PKG}/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in n)
            + f'<Relationship Id="rIdS" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        z.writestr("xl/styles.xml", _STYLES)
        for i, name in zip(n, names, strict=True):
            spec = sheets[name]
            first_row, first_col, rows = spec if isinstance(spec, tuple) else (1, 1, spec)
            xml_rows = []
            for r, row in enumerate(rows, first_row):
                cells = "".join(_cell(f"{_column_letter(c)}{r}", v)
                                for c, v in enumerate(row, first_col) if v is not None)
                if cells:
                    xml_rows.append(f'<row r="{r}">{cells}</row>')
            z.writestr(f"xl/worksheets/sheet{i}.xml",
                       f'<worksheet xmlns="{_MAIN}"><sheetData>{"".join(xml_rows)}'
                       "</sheetData></worksheet>")
    return buf.getvalue()


def counts(result) -> list[tuple]:
    return [(f.file, f.rows_read, f.staged, f.quarantined, f.duplicates)
            for f in result.ingest.files]


def compress(kind: str, data: bytes) -> bytes:
    if kind == "gz":
        return gzip.compress(data)
    return zstandard.ZstdCompressor().compress(data) if kind == "zst" else data


# --- Excel -----------------------------------------------------------------------------------

CALLS_SHEET = [  # placed at B4: column B is the sheet's 2nd column, row 4 its 4th row
    ["Call log, March 2026"],                                            # row 4: a title
    [],                                                                  # row 5
    [" Call ID ", "Date", "Time", "Queue", "Score", "Kept", "", "Note", "NOTE", "Closed"],  # 6
    ["K1", "2026-03-18", time(9, 12, 58), "TEL", 4.0, True, "x", "a", "first", date(2026, 3, 19)],
    [None] * 10,                                                         # row 8: empty
    ["K2", "2026-03-18", time(15, 0, 0), "SMS", None, False, None, "b", None, None],   # row 9
    ["K3", "2026-03-19", time(8, 30, 5), "FAX?", 2.0, None, None, None, "third", None],  # 10
    ["K4", "2026-03-20", time(11, 45, 30), "TEL", 5.0, None, None, None, None,
     datetime(2026, 3, 20, 16, 0, 0)],                                   # row 11: date-time
]

EXCEL_MAPPING = """
    source: calls
    files: calls/*.xlsx
    format: excel
    excel: {sheet: Calls, header_row: 6}
    fields:
      interaction_id: Call ID
      occurred_at: {columns: [Date, Time]}
      channel: {column: Queue, map: {TEL: phone, SMS: sms}}
      rating: Score
      promise_kept: Kept
      text: NOTE_2
      resolved_at: Closed
"""


def test_excel_sheet_lands_typed_with_the_sheets_own_row_numbers(project: Project) -> None:
    project.mapping("calls", EXCEL_MAPPING)
    project.file("calls/march.xlsx", xlsx_bytes({
        "Notes": [["nothing here"]],
        "Calls": (4, 2, CALLS_SHEET),
    }))
    result = project.run()
    # rows 7, 9, 10, 11 are records (8 is empty, 4-6 are above and at the header)
    assert counts(result) == [("calls/march.xlsx", 4, 3, 1, 0)]
    assert project.query("""
        select interaction_id, occurred_at, channel, rating, promise_kept, text, resolved_at,
               source_row
        from interactions order by source_row""") == [
        ("K1", datetime(2026, 3, 18, 9, 12, 58), "phone", 4.0, True, "first",
         datetime(2026, 3, 19), 7),
        ("K2", datetime(2026, 3, 18, 15, 0, 0), "sms", None, False, None, None, 9),
        ("K4", datetime(2026, 3, 20, 11, 45, 30), "phone", 5.0, None, None,
         datetime(2026, 3, 20, 16), 11),
    ]
    (reason, row, raw), = project.query("select reason, source_row, raw from quarantine")
    assert (reason, row) == ("unknown_value:channel", 10)
    # the raw record is the row's cells as text, under the names the mapping uses
    assert json.loads(raw) == {
        "Call ID": "K3", "Date": "2026-03-19", "Time": "08:30:05", "Queue": "FAX?", "Score": "2",
        "Kept": None, "column8": None, "Note": None, "NOTE_2": "third", "Closed": None}


def test_excel_cells_become_the_text_staging_parses() -> None:
    from pipeline.ingest.read_excel import cell_text

    assert [cell_text(v) for v in (
        "", "  x ", True, False, 3.0, 2.5, 0.1 + 0.2, 12345678901234.0, 7,
        datetime(2026, 3, 18, 0, 0), datetime(2026, 3, 18, 14, 5, 7, 999_800),
        date(2026, 3, 18), time(9, 12, 58), time(0, 0, 1, 250_000),
        timedelta(hours=26, minutes=3), None,
    )] == [
        None, "  x ", "true", "false", "3", "2.5", "0.3", "12345678901234", "7",
        "2026-03-18 00:00:00", "2026-03-18 14:05:08",
        "2026-03-18", "09:12:58", "00:00:01.250",
        "26:03:00", None,
    ]


def test_excel_sheet_by_position_with_files_of_different_headers(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*.xlsx
        format: excel
        excel: {sheet: 2}
        fields: {interaction_id: id, occurred_at: opened, channel: channel, agent_id: agent}
    """)
    project.file("calls/a.xlsx", xlsx_bytes({
        "Cover": [["export of 2026-03-21"]],
        "Data": [["id", "opened", "channel", "agent"],
                 ["A1", datetime(2026, 3, 18, 10), "phone", "ann"],
                 ["A2", datetime(2026, 3, 18, 11), "pigeon", "bob"]],
    }))
    project.file("calls/b.xlsx", xlsx_bytes({
        "Cover": [[]],
        "Data": [["agent", "id", "extra", "channel", "opened"],
                 ["cy", "B1", 1, "email", datetime(2026, 3, 19, 9)]],
    }))
    result = project.run()
    assert counts(result) == [("calls/a.xlsx", 2, 1, 1, 0), ("calls/b.xlsx", 1, 1, 0, 0)]
    assert project.query("select interaction_id, occurred_at, channel, agent_id, source_row "
                         "from interactions order by 1") == [
        ("A1", datetime(2026, 3, 18, 10), "phone", "ann", 2),
        ("B1", datetime(2026, 3, 19, 9), "email", "cy", 2),
    ]
    (raw,), = project.query("select raw from quarantine")
    assert json.loads(raw) == {"id": "A2", "opened": "2026-03-18 11:00:00", "channel": "pigeon",
                               "agent": "bob"}


@pytest.mark.parametrize("excel_block, content, fragment", [
    ("{sheet: Calls}", {"Sheet1": [["a"]], "Other": [["b"]]},
     "a.xlsx: excel.sheet: no sheet named 'Calls' (sheets: 'Sheet1', 'Other')"),
    ("{sheet: 3}", {"Sheet1": [["a"]], "Other": [["b"]]},
     "a.xlsx: excel.sheet: the workbook has 2 sheet(s) ('Sheet1', 'Other'), no sheet 3"),
    ("{header_row: 1}", {"S": (3, 1, [["title"], [], ["id", "opened", "channel"]])},
     "a.xlsx: excel.header_row: row 1 of sheet 'S' is blank; the next row with values is 3"),
    ("{header_row: 9}", {"S": [["id", "opened", "channel"]]},
     "a.xlsx: excel.header_row: sheet 'S' ends at row 1, above row 9"),
    ("{}", {"S": [["id", "when", "channel"], ["A1", "2026-03-18", "phone"]]},
     "fields.occurred_at: column 'opened' is not in a.xlsx (columns: id, when, channel)"),
    ("{}", {"S": [["id", "opened", "channel", "_row"]]},
     "a.xlsx: column names _path, _row, _raw and _json are reserved"),
    ("{}", b"id,opened,channel\nA1,2026-03-18,phone\n",
     "a.xlsx: cannot be read as an Excel workbook (invalid Zip archive"),
    ("{sheet: 0}", {"S": [["a"]]}, "calls.yaml: excel.sheet: must be a sheet's name"),
    ("{header: 2}", {"S": [["a"]]}, "calls.yaml: excel.header: unknown key"),
])
def test_excel_mistakes_are_one_line_naming_the_fix(
        project: Project, excel_block: str, content: dict | bytes, fragment: str) -> None:
    project.mapping("calls", f"""
        source: calls
        files: calls/*.xlsx
        format: excel
        excel: {excel_block}
        fields: {{interaction_id: id, occurred_at: opened, channel: channel}}
    """)
    project.file("calls/a.xlsx", content if isinstance(content, bytes) else xlsx_bytes(content))
    with pytest.raises(UserError) as err:
        project.run()
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_excel_or_json_options_only_on_their_format(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        files: calls/*.csv
        format: csv
        json: {records: data}
        fields: {interaction_id: id, occurred_at: opened, channel: channel}
    """)
    with pytest.raises(UserError, match="calls.yaml: json: a csv source takes no json options"):
        project.run()


@pytest.mark.skipif(not CALL_CENTRE.exists(),
                    reason=f"real call-centre workbook not present at {CALL_CENTRE}")
def test_the_real_call_centre_workbook_loads(project: Project) -> None:
    from python_calamine import CalamineWorkbook

    # expected values, from the raw file by calamine directly (not through the pipeline)
    sheet = CalamineWorkbook.from_path(str(CALL_CENTRE)).get_sheet_by_name("Sheet1").to_python()
    header, body = sheet[0], sheet[1:]
    first, last = dict(zip(header, body[0], strict=True)), dict(zip(header, body[-1], strict=True))
    blank_ratings = sum(1 for r in body if r[header.index("Satisfaction rating")] == "")
    unresolved = sum(1 for r in body if r[header.index("Resolved")] == "N")
    assert (len(body), blank_ratings) == (5000, 946)  # as the realdata README describes it

    project.file(f"pwc/{CALL_CENTRE.name}", CALL_CENTRE.read_bytes())
    project.mapping("pwc", """
        source: pwc
        files: pwc/*.xlsx
        format: excel
        fields:
          interaction_id: Call Id
          occurred_at: {columns: [Date, Time]}
          channel: {value: phone}
          status: {column: Resolved, map: {Y: resolved, N: unresolved}}
          rating: {column: Satisfaction rating, scale: [1, 5]}
          agent_id: Agent
          topic: Topic
    """)
    started = clock.perf_counter()
    result = project.run()
    elapsed = clock.perf_counter() - started
    assert counts(result) == [(f"pwc/{CALL_CENTRE.name}", 5000, 5000, 0, 0)]
    assert project.query("select count(*) filter (where rating is null), "
                         "count(*) filter (where status = 'unresolved') from interactions") == [
        (blank_ratings, unresolved)]
    rows = project.query("""
        select interaction_id, occurred_at, agent_id, topic, rating, source_row
        from interactions where source_row in (2, 5001) order by source_row""")
    assert rows == [
        (first["Call Id"], datetime.combine(date.fromisoformat(first["Date"]), first["Time"]),
         first["Agent"], first["Topic"], first["Satisfaction rating"] or None, 2),
        (last["Call Id"], datetime.combine(date.fromisoformat(last["Date"]), last["Time"]),
         last["Agent"], last["Topic"], last["Satisfaction rating"] or None, 5001),
    ]
    assert rows[0][:2] == ("ID0001", datetime(2021, 1, 1, 9, 12, 58))
    print(f"call-centre workbook: 5000 rows read, ingest run {elapsed:.2f} s")


# --- JSON documents --------------------------------------------------------------------------

JSON_FIELDS = """
        fields:
          interaction_id: id
          customer_id: requester.id
          occurred_at: created_at
          channel: via.channel
          text: comments.0.body
          agent_id: comments.1.author
          language: tags
"""  # indented as the mappings the tests write (Project.mapping dedents the whole text)

TICKETS = [
    {"id": "T1", "created_at": "2026-03-18T06:05:00Z", "requester": {"id": "C1"},
     "via": {"channel": "email"},
     "comments": [{"body": "printer on fire"}, {"body": "on it", "author": "ag7"}]},
    ["not", "a", "ticket"],
    {"id": "T3", "created_at": "2026-03-19T00:00:00Z", "requester": {"id": "C2"},
     "via": {"channel": "web"}, "comments": []},
    "T4",
    {"id": "T5", "created_at": "2026-03-20T09:30:00Z", "via": {"channel": "chat"},
     "tags": ["vip", "billing"], "comments": [{"body": "hello"}]},
    # clean ones, so that the quarantined share stays under the critical threshold
    *({"id": f"T{i}", "created_at": "2026-03-21T00:00:00Z", "via": {"channel": "sms"}}
      for i in range(6, 11)),
]


@pytest.mark.parametrize("kind", ["", "gz", "zst"])
def test_json_document_with_records_under_a_key(project: Project, kind: str) -> None:
    project.mapping("helpdesk", """
        source: helpdesk
        files: tickets/*
        format: json
        json: {records: data.tickets}
        timestamp_formats: ["%Y-%m-%dT%H:%M:%SZ"]
    """ + JSON_FIELDS)
    document = {"count": 5, "data": {"next_page": None, "tickets": TICKETS}}
    name = "tickets/export.json" + (f".{kind}" if kind else "")
    project.file(name, compress(kind, json.dumps(document, indent=2).encode()))
    result = project.run()
    assert counts(result) == [(name, 10, 7, 3, 0)]
    assert project.query("""
        select interaction_id, customer_id, occurred_at, channel, text, agent_id, source_row
        from interactions where source_row <= 6 order by source_row""") == [
        ("T1", "C1", datetime(2026, 3, 18, 6, 5), "email", "printer on fire", "ag7", 1),
        ("T3", "C2", datetime(2026, 3, 19), "web", None, None, 3),
        ("T6", None, datetime(2026, 3, 21), "sms", None, None, 6),
    ]
    assert project.query("select source_row, reason, raw from quarantine order by 1") == [
        (2, "json_malformed", '["not","a","ticket"]'),
        (4, "json_malformed", '"T4"'),
        (5, "nested_value:language", json.dumps(TICKETS[4], separators=(",", ":"))),
    ]


def test_json_document_that_is_an_array(project: Project) -> None:
    project.mapping("helpdesk", """
        source: helpdesk
        files: tickets/*.json
        format: json
        fields: {interaction_id: id, occurred_at: at, channel: ch, text: notes.1}
    """)
    project.file("tickets/a.json", """
        [
          {"id": "A1", "at": "2026-03-18 10:00:00", "ch": "phone", "notes": ["x", "second"]},
          {"id": "A2", "at": "2026-03-18 11:00:00", "ch": "sms", "notes": ["only one"]}
        ]
    """)
    project.file("tickets/b.json", "[]")
    result = project.run()
    assert counts(result) == [("tickets/a.json", 2, 2, 0, 0), ("tickets/b.json", 0, 0, 0, 0)]
    assert project.query("select interaction_id, text, source_row from interactions "
                         "order by 1") == [("A1", "second", 1), ("A2", None, 2)]


@pytest.mark.parametrize("records, content, fragment", [
    (None, '{"count": 1, "data": {"tickets": [{"id": 1}]}}',
     "a.json: json.records: the document is an object with keys count, data (data.tickets "
     "holds an array); set json.records to the key that holds the records"),
    ("data.ticket", '{"data": {"tickets": []}}',
     "a.json: json.records: 'data.ticket' is not in the document (no 'ticket': 'data' is an "
     "object with keys tickets (data.tickets holds an array))"),
    ("data.count", '{"data": {"count": 3}}',
     "a.json: json.records: 'data.count' is a number, not an array of records"),
    ("tickets", '[{"id": 1}]',
     "a.json: json.records: the document is itself the array of records (it has no key "
     "'tickets'); remove json.records"),
    (None, '[{"id": 1}, {"id": 2',
     "a.json: not valid JSON (byte"),
    (None, '{"id": 1}\n{"id": 2}\n',
     "a.json: holds 2 JSON values one after another, not one document; for one record per "
     "line use format: jsonl"),
    ("data..tickets", "[]",
     "helpdesk.yaml: json.records: must be the dotted path of keys"),
])
def test_json_document_mistakes_are_one_line_naming_the_fix(
        project: Project, records: str | None, content: str, fragment: str) -> None:
    block = f"json: {{records: '{records}'}}" if records else ""
    project.mapping("helpdesk", f"""
        source: helpdesk
        files: tickets/*.json
        format: json
        {block}
        fields: {{interaction_id: id, occurred_at: at, channel: ch}}
    """)
    project.file("tickets/a.json", content)
    with pytest.raises(UserError) as err:
        project.run()
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


# --- JSON lines, compressed; array indexes in paths ------------------------------------------

@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_compressed_json_lines_with_array_indexes(project: Project, kind: str) -> None:
    project.mapping("helpdesk", """
        source: helpdesk
        files: tickets/*
        format: jsonl
        timestamp_formats: ["%Y-%m-%dT%H:%M:%SZ"]
    """ + JSON_FIELDS)
    body = "\n".join(json.dumps(t) for t in TICKETS) + "\n"
    project.file(f"tickets/t.jsonl.{kind}", compress(kind, body.encode()))
    result = project.run()
    assert counts(result) == [(f"tickets/t.jsonl.{kind}", 10, 7, 3, 0)]
    assert project.query("select interaction_id, text, agent_id, source_row from interactions "
                         "where source_row <= 6 order by source_row") == [
        ("T1", "printer on fire", "ag7", 1), ("T3", None, None, 3), ("T6", None, None, 6)]
    assert project.query("select source_row, reason from quarantine order by 1") == [
        (2, "json_malformed"), (4, "json_malformed"), (5, "nested_value:language")]


def test_numeric_path_parts_index_arrays() -> None:
    assert json_path("comments.0.body") == '$."comments"[0]."body"'
    assert json_path("requester.id") == '$."requester"."id"'


# --- a SQL source over a workbook and a JSON document ----------------------------------------

def test_sql_source_reads_excel_and_json_inputs(project: Project) -> None:
    project.mapping("calls", """
        source: calls
        format: sql
        inputs:
          calls: {files: calls/*.xlsx, format: excel, excel: {sheet: Log, header_row: 2}}
          agents: {files: ref/agents.json, format: json, json: {records: agents}}
        query: >
          select calls.*, a.team from calls
          left join (select _json->>'name' as name, _json->>'team' as team from agents) a
            on a.name = calls.agent
        fields: {interaction_id: id, occurred_at: opened, channel: {value: phone}, agent_id: team}
    """)
    project.file("calls/a.xlsx", xlsx_bytes({"Log": [
        ["exported by PBX"],
        ["id", "opened", "agent"],
        ["K1", datetime(2026, 3, 18, 10), "ann"],
        ["K2", datetime(2026, 3, 18, 11), "zed"],
    ]}))
    project.file("ref/agents.json", '{"agents": [{"name": "ann", "team": "north"}]}')
    result = project.run()
    assert counts(result) == [("calls/a.xlsx", 2, 2, 0, 0)]
    assert project.query("select interaction_id, agent_id, source_row from interactions "
                         "order by 1") == [("K1", "north", 3), ("K2", None, 4)]
