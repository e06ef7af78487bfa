"""Read one raw file into a temporary DuckDB table of text columns, numbered by record.

Each reader makes `<name>` with the file's columns as VARCHAR plus `_row` (1-based data record
number in the file) and `_raw` (the record as read), and `<name>_rejects` with records the reader
could not split into columns: (`_row`, `_raw`, `reason`). Nothing is read row by row in Python.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.db import quote_ident, rows, scalar
from pipeline.errors import UserError
from pipeline.ingest.sources import CsvOptions

# JSON text never holds a raw control character, so one of them as "delimiter" reads whole lines.
_LINE_DELIMITER = "\x1f"
MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RawFile:
    table: str
    columns: tuple[str, ...]
    rows_read: int
    rejected: int


def _sql_string(value: str) -> str:
    # Only for reader options DuckDB does not accept as parameters (checked, short strings).
    return "'" + value.replace("'", "''") + "'"


def _decode_header(path: Path, opts: CsvOptions) -> list[str]:
    """The header's column names, read with Python's csv module under the declared encoding."""
    encoding = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(opts.encoding, opts.encoding)
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if not head:
        raise UserError(f"{path}: file is empty (0 bytes)")
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and opts.encoding != "utf-16":
        raise UserError(
            f"{path}: is UTF-16 (byte-order mark) but the mapping says "
            f"{opts.encoding}; declare csv.encoding: utf-16"
        )
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not valid {opts.encoding} (byte {head[exc.start]:#04x} at offset "
            f"{exc.start}); declare csv.encoding in the source mapping"
        ) from None
    lines = text.splitlines(keepends=True)
    if len(lines) <= opts.skip_lines:
        raise UserError(f"{path}: has only {len(lines)} line(s), fewer than skip_lines + header")
    header_text = "".join(lines[opts.skip_lines : opts.skip_lines + 1])
    if "\x00" in header_text and opts.encoding != "utf-16":
        raise UserError(f"{path}: header holds NUL bytes; is it UTF-16? declare csv.encoding")
    reader = csv.reader(
        io.StringIO(header_text), delimiter=opts.delimiter, quotechar=opts.quote or None
    )
    try:
        names = [n.strip() for n in next(reader)]
    except StopIteration:
        raise UserError(f"{path}: no header line") from None
    if not any(names):
        raise UserError(f"{path}: header line {opts.skip_lines + 1} is blank")
    if len(names) == 1 and opts.delimiter not in header_text:
        # A one-column header is almost always a wrong delimiter.
        raise UserError(
            f"{path}: header has no '{opts.delimiter}' separator; "
            "check csv.delimiter in the source mapping"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"{path}: header names column '{dupes[0]}' more than once")
    return names


def _number_rows(
    con: duckdb.DuckDBPyConnection, name: str, data_sql: str, rejects_table: str, first_record: int
) -> None:
    """Give accepted rows their record number in the file, counting the rejected records too.

    Rows keep file order (DuckDB preserves insertion order; rowid follows it, though inside a
    transaction it does not start at 0), so accepted row k (1-based) is
    record k + (number of rejected records before it). Rejected record r_j (sorted, j = 1..m)
    has r_j - j accepted rows before it: an as-of join finds how many rejects precede row k.
    """
    con.execute(f"create or replace temp table {name}_in as {data_sql}")
    con.execute(f"""
        create or replace temp table {name}_gaps as
        select line - {first_record} + 1 - row_number() over (order by line) as accepted_before,
               row_number() over (order by line) as rejects_so_far
        from {rejects_table}
    """)
    con.execute(f"""
        create or replace temp table {name} as
        select r.*, r._k + coalesce(g.rejects_so_far, 0) as _row
        from (select *, row_number() over (order by rowid) as _k from {name}_in) r
        asof left join {name}_gaps g on r._k > g.accepted_before
        order by r._k
    """)
    con.execute(f"alter table {name} drop column _k")
    con.execute(f"drop table {name}_in")
    con.execute(f"drop table {name}_gaps")


def _csv_reader_options(opts: CsvOptions) -> str:
    return (
        f"delim={_sql_string(opts.delimiter)}, quote={_sql_string(opts.quote)}, "
        f"escape={_sql_string(opts.escape)}, encoding={_sql_string(opts.encoding)}, "
        f"max_line_size={MAX_LINE_BYTES}, auto_detect=false, strict_mode=true, "
        "null_padding=false, store_rejects=true"
    )


def read_csv(con: duckdb.DuckDBPyConnection, name: str, path: Path, opts: CsvOptions) -> RawFile:
    names = _decode_header(path, opts) if opts.header else None
    if names is None:
        raise UserError(
            f"{path}: csv.header false is not supported yet; the mapping names columns by header"
        )
    columns = "{" + ", ".join(f"{_sql_string(n)}: 'VARCHAR'" for n in names) + "}"
    rejects = f"{name}_reject_errors"
    scan = f"{name}_reject_scans"
    skip = opts.skip_lines
    data_sql = (
        f"select * from read_csv(?, header=true, skip={skip}, columns={columns}, "
        f"{_csv_reader_options(opts)}, rejects_table='{rejects}', rejects_scan='{scan}')"
    )
    con.execute(f"drop table if exists {rejects}")
    con.execute(f"drop table if exists {scan}")
    try:
        con.execute(f"create or replace temp table {name}_csv as {data_sql}", [str(path)])
    except duckdb.Error as exc:
        raise UserError(f"{path}: cannot be read as CSV ({_first_line(exc)})") from None
    # `line` counts records from the top of the file, skipped lines and header included.
    first_record = skip + 2
    con.execute(f"""
        create or replace temp table {name}_rejects as
        select min(line) - {first_record} + 1 as _row, any_value(csv_line) as _raw,
               'csv_malformed:' || lower(replace(any_value(error_type), ' ', '_')) as reason
        from {rejects} group by line
    """)
    con.execute(f"""
        create or replace temp table {name}_rejlines as
        select distinct line from {rejects}
    """)
    raw_cols = ", ".join(quote_ident(n) for n in names)
    _number_rows(
        con,
        name,
        f"select *, to_json(struct_pack({raw_cols}))::varchar as _raw from {name}_csv",
        f"{name}_rejlines",
        first_record,
    )
    con.execute(f"drop table {name}_csv")
    con.execute(f"drop table {name}_rejlines")
    con.execute(f"drop table if exists {rejects}")
    con.execute(f"drop table if exists {scan}")
    return _summary(con, name, tuple(names))


def read_jsonl(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> RawFile:
    """Each line is one record; malformed JSON lines are rejected with their text."""
    if path.stat().st_size == 0:
        raise UserError(f"{path}: file is empty (0 bytes)")
    rejects = f"{name}_reject_errors"
    scan = f"{name}_reject_scans"
    con.execute(f"drop table if exists {rejects}")
    con.execute(f"drop table if exists {scan}")
    try:
        con.execute(
            f"create or replace temp table {name}_lines as "
            f"select line from read_csv(?, header=false, columns={{'line': 'VARCHAR'}}, "
            f"delim={_sql_string(_LINE_DELIMITER)}, quote='', escape='', auto_detect=false, "
            f"max_line_size={MAX_LINE_BYTES}, strict_mode=true, store_rejects=true, "
            f"rejects_table='{rejects}', rejects_scan='{scan}')",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise UserError(f"{path}: cannot be read as JSON lines ({_first_line(exc)})") from None
    con.execute(
        f"create or replace temp table {name}_rejlines as select distinct line from {rejects}"
    )
    _number_rows(
        con, f"{name}_numbered", f"select line as _raw from {name}_lines", f"{name}_rejlines", 1
    )
    # Blank lines are not records; a line that is not a JSON object is rejected.
    con.execute(f"""
        create or replace temp table {name}_rejects as
        select min(line) as _row, any_value(csv_line) as _raw, 'json_malformed' as reason
        from {rejects} group by line
        union all
        select _row, _raw, 'json_malformed'
        from {name}_numbered
        where trim(_raw) <> '' and coalesce(try(json_type(_raw)) <> 'OBJECT', true)
    """)
    con.execute(f"""
        create or replace temp table {name} as
        select _raw::json as _json, _raw, _row from {name}_numbered
        where trim(_raw) <> '' and coalesce(try(json_type(_raw)) = 'OBJECT', false)
        order by _row
    """)
    for t in (f"{name}_lines", f"{name}_numbered", f"{name}_rejlines", rejects, scan):
        con.execute(f"drop table if exists {t}")
    return _summary(con, name, ("_json",))


def read_parquet(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> RawFile:
    try:
        con.execute(
            f"create or replace temp table {name}_in as "
            f"select * from read_parquet(?, file_row_number=true)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise UserError(f"{path}: cannot be read as Parquet ({_first_line(exc)})") from None
    described = [r[0] for r in rows(con, f"describe {name}_in")]
    names = [c for c in described if c != "file_row_number"]
    select = ", ".join(f"cast({quote_ident(n)} as varchar) as {quote_ident(n)}" for n in names)
    raw_cols = ", ".join(quote_ident(n) for n in names)
    con.execute(f"""
        create or replace temp table {name} as
        select {select}, to_json(struct_pack({raw_cols}))::varchar as _raw,
               file_row_number + 1 as _row
        from {name}_in order by file_row_number
    """)
    con.execute(f"drop table {name}_in")
    con.execute(
        f"create or replace temp table {name}_rejects (_row bigint, _raw varchar, reason varchar)"
    )
    return _summary(con, name, tuple(names))


def _summary(con: duckdb.DuckDBPyConnection, name: str, columns: tuple[str, ...]) -> RawFile:
    accepted = scalar(con, f"select count(*) from {name}")
    rejected = scalar(con, f"select count(*) from {name}_rejects")
    return RawFile(table=name, columns=columns, rows_read=accepted + rejected, rejected=rejected)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__
