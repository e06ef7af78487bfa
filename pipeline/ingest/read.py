"""Read a source's raw files into DuckDB as text columns, numbered by record within each file.

`read_files` leaves a view `<name>` with the files' columns as VARCHAR plus `_path` (the file),
`_row` (1-based data record number in that file) and `_raw` (the record as read), and a table
`<name>_rejects` (`_path`, `_row`, `_raw`, `reason`) of records the reader could not split into
columns. All files of one call are scanned by one DuckDB reader; nothing is read row by row.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.db import quote_ident, rows, sql_literal
from pipeline.errors import UserError
from pipeline.ingest.sources import CsvOptions

# JSON text never holds a raw control character, so one of them as "delimiter" reads whole lines.
_LINE_DELIMITER = "\x1f"
# A record may be this long (a 5 MB note loads). DuckDB sizes its read buffer from it (16x by
# default), so the buffer is set explicitly to keep each scan's memory small.
MAX_LINE_BYTES = 8 * 1024 * 1024
BUFFER_BYTES = 2 * MAX_LINE_BYTES


@dataclass(frozen=True)
class RawFiles:
    table: str
    columns: tuple[str, ...]
    rows_read: dict[str, int]  # per file path as given
    # each file's own columns (`columns` is their union): a mapped column missing from one
    # file is an error, never NULLs for that file
    file_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # `_raw` is a struct of the columns as read (turned into JSON text only for the rows that
    # are quarantined: formatting every row's JSON cost a fifth of ingest), else the text itself
    raw_struct: bool = False

    def raw_text(self, expr: str) -> str:
        """SQL for the raw record as text, given `expr` referring to this table's `_raw`."""
        return f"to_json({expr})::varchar" if self.raw_struct else expr


def _path_list(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"


def decode_header(path: Path, opts: CsvOptions) -> tuple[str, ...]:
    """The header's column names, read with Python's csv module under the declared encoding."""
    encoding = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(opts.encoding, opts.encoding)
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if not head:
        raise UserError(f"{path}: file is empty (0 bytes)")
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and opts.encoding != "utf-16":
        raise UserError(f"{path}: is UTF-16 (byte-order mark) but the mapping says "
                        f"{opts.encoding}; declare csv.encoding: utf-16")
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not valid {opts.encoding} (byte {head[exc.start]:#04x} at offset "
            f"{exc.start}); declare csv.encoding in the source mapping") from None
    lines = text.splitlines(keepends=True)
    if len(lines) <= opts.skip_lines:
        raise UserError(f"{path}: has only {len(lines)} line(s), fewer than skip_lines + header")
    header_text = "".join(lines[opts.skip_lines:opts.skip_lines + 1])
    if "\x00" in header_text:
        raise UserError(f"{path}: header holds NUL bytes; is it UTF-16? declare csv.encoding")
    reader = csv.reader(io.StringIO(header_text), delimiter=opts.delimiter,
                        quotechar=opts.quote or None)
    try:
        names = [n.strip() for n in next(reader)]
    except StopIteration:
        raise UserError(f"{path}: no header line") from None
    if not any(names):
        raise UserError(f"{path}: header line {opts.skip_lines + 1} is blank")
    if len(names) == 1 and opts.delimiter not in header_text:
        # A one-column header is almost always a wrong delimiter.
        raise UserError(f"{path}: header has no '{opts.delimiter}' separator; "
                        "check csv.delimiter in the source mapping")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"{path}: header names column '{dupes[0]}' more than once")
    if any(n.startswith("_") and n in ("_path", "_row", "_raw", "_json") for n in names):
        raise UserError(f"{path}: column names _path, _row, _raw and _json are reserved")
    return tuple(names)


def _csv_options(opts: CsvOptions, header: bool) -> str:
    return (
        f"header={'true' if header else 'false'}, delim={sql_literal(opts.delimiter)}, "
        f"quote={sql_literal(opts.quote)}, escape={sql_literal(opts.escape)}, "
        f"encoding={sql_literal(opts.encoding)}, max_line_size={MAX_LINE_BYTES}, "
        f"buffer_size={BUFFER_BYTES}, "
        "auto_detect=false, strict_mode=true, null_padding=false, filename='_path', "
        "store_rejects=true"
    )


def _line_endings(path: Path) -> list[str]:
    """The kinds of line ending in a file (CR, CRLF, LF); read only when a scan failed."""
    kinds: set[str] = set()
    with path.open("rb") as fh:
        if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return []
        fh.seek(0)
        tail = b""
        while block := fh.read(1 << 22):
            data = tail + block
            # a final CR waits for the next block, which may start with its LF
            data, tail = (data[:-1], b"\r") if data.endswith(b"\r") else (data, b"")
            crlf = data.count(b"\r\n")
            kinds |= {k for k, n in (("CRLF", crlf), ("LF", data.count(b"\n") - crlf),
                                     ("CR", data.count(b"\r") - crlf)) if n}
        kinds |= {"CR"} if tail else set()
    return sorted(kinds)


def _scan(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path], columns: str,
          options: str, what: str) -> str:
    """Scan files into `table`; returns the name of the table of reader rejects."""
    rejects, scans = f"{table}_errors", f"{table}_scans"
    con.execute(f"drop table if exists {rejects}")
    con.execute(f"drop table if exists {scans}")
    try:
        con.execute(
            f"create or replace temp table {table} as select * from read_csv("
            f"{_path_list(paths)}, columns={columns}, {options}, "
            f"rejects_table='{rejects}', rejects_scan='{scans}')")
    except duckdb.Error as exc:
        text = str(exc).strip().splitlines()
        where = paths[0] if len(paths) == 1 else f"{paths[0].parent}/ ({len(paths)} files)"
        for p in paths:  # DuckDB's strict reader refuses a file that mixes line endings
            if len(kinds := _line_endings(p)) > 1:
                raise UserError(f"{p}: mixed line endings ({' and '.join(kinds)}); save it with "
                                "one kind of line ending") from None
        raise UserError(f"{where}: cannot be read as {what} "
                        f"({text[0] if text else exc.__class__.__name__})") from None
    con.execute(f"""
        create or replace temp table {table}_rejected as
        select s.file_path as _path, e.line, any_value(e.csv_line) as csv_line,
               any_value(e.error_type) as error_type
        from {rejects} e join {scans} s using (scan_id, file_id)
        group by all
    """)
    con.execute(f"drop table {rejects}")
    con.execute(f"drop table {scans}")
    return f"{table}_rejected"


# Rows per step of the record-number table (see _numbered_view).
NUMBER_BUCKET_ROWS = 4096


def _numbered_view(con: duckdb.DuckDBPyConnection, view: str, table: str, rejected: str,
                   first_record: int, select: str, where: str = "") -> None:
    """Give accepted rows their record number within their file, counting rejected records.

    Rows keep file order (DuckDB preserves insertion order; rowid follows it, though inside a
    transaction it does not start at 0), so accepted row k of a file (1-based) is record
    k + (rejected records before it). Rejected record r_j of a file (sorted, j = 1..m) has
    a_j = r_j - j accepted rows before it, so it precedes row k when a_j < k.

    Rejects are few, rows many: a small table gives, per file and bucket of B accepted rows,
    the rejects before the bucket and the list of those inside it; each row finds its bucket by
    an equality join (no sort of the rows, as an as-of join would need).
    """
    b = NUMBER_BUCKET_ROWS
    con.execute(f"""
        create or replace temp table {table}_base as
        select _path, min(rowid) as base, count(*) as n from {table} group by _path
    """)
    con.execute(f"""
        create or replace temp table {table}_steps as
        with gaps as (
            select _path,
                   -- bigint: the reject table's unsigned line would make this 128-bit
                   cast(line as bigint) - {first_record} + 1
                   - row_number() over (partition by _path order by line) as accepted_before
            from {rejected}
        ),
        -- the bucket of rows k = a + 1 .. that a reject precedes first; -1: before every row
        per_bucket as (
            select _path, case when accepted_before = 0 then -1
                               else (accepted_before - 1) // {b} end as bucket,
                   count(*) as n, list(accepted_before) as inside
            from gaps group by all
        ),
        buckets as (
            select _path, unnest(range(-1, (n - 1) // {b} + 1)) as bucket from {table}_base
        )
        select k._path, k.bucket,
               coalesce(sum(g.n) over (partition by k._path order by k.bucket
                                       rows between unbounded preceding and 1 preceding), 0)
                   as rejects_before,
               coalesce(g.inside, []) as inside
        from buckets k
        left join per_bucket g on g._path = k._path and g.bucket = k.bucket
    """)
    con.execute(f"""
        create or replace temp view {view} as
        select {select}
        from (
            select t.* exclude (_k),
                   _k + s.rejects_before
                   + len(list_filter(s.inside, lambda x: x < _k)) as _row
            from (
                select t.*, t.rowid - b.base + 1 as _k
                from {table} t
                join {table}_base b on b._path = t._path
            ) t
            join {table}_steps s on s._path = t._path and s.bucket = (t._k - 1) // {b}
        ) numbered
        {where}
    """)


def read_csv_files(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path],
                   opts: CsvOptions) -> RawFiles:
    if not opts.header:
        raise UserError(f"{paths[0]}: csv.header false is not supported; the mapping names "
                        "columns by header")
    headers = {p: decode_header(p, opts) for p in paths}
    # Files with the same header are scanned together; a different header gets its own scan.
    groups: dict[tuple[str, ...], list[Path]] = {}
    for p in paths:
        groups.setdefault(headers[p], []).append(p)
    first_record = opts.skip_lines + 2  # `line` counts from the top: skipped lines and header
    views, all_columns = [], list(dict.fromkeys(c for h in groups for c in h))
    con.execute(f"create or replace temp table {name}_rejects "
                "(_path varchar, _row bigint, _raw varchar, reason varchar)")
    for i, (names, group) in enumerate(groups.items()):
        table = f"{name}_g{i}"
        columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
        options = _csv_options(opts, header=True) + f", skip={opts.skip_lines}"
        rejected = _scan(con, table, group, columns, options, "CSV")
        raw_cols = ", ".join(quote_ident(n) for n in names)
        # Files with different headers get one text form, as a struct's fields would differ.
        raw = (f"struct_pack({raw_cols})" if len(groups) == 1
               else f"to_json(struct_pack({raw_cols}))::varchar")
        _numbered_view(con, f"{table}_v", table, rejected, first_record, f"*, {raw} as _raw")
        con.execute(f"""
            insert into {name}_rejects
            select _path, line - {first_record} + 1, csv_line,
                   'csv_malformed:' || lower(replace(error_type, ' ', '_'))
            from {rejected}
        """)
        views.append(f"select * from {table}_v")
    con.execute(f"create or replace temp view {name} as "
                + " union all by name ".join(views))
    return RawFiles(name, tuple(all_columns), _counts(con, name, paths),
                    {str(p): headers[p] for p in paths}, raw_struct=len(groups) == 1)


def read_jsonl_files(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path]) -> RawFiles:
    """Each line is one record; lines that are not a JSON object are rejected with their text."""
    for p in paths:
        if p.stat().st_size == 0:
            raise UserError(f"{p}: file is empty (0 bytes)")
    table = f"{name}_lines"
    options = (f"header=false, delim={sql_literal(_LINE_DELIMITER)}, quote='', escape='', "
               f"auto_detect=false, max_line_size={MAX_LINE_BYTES}, buffer_size={BUFFER_BYTES}, "
               "strict_mode=true, "
               "filename='_path', store_rejects=true")
    rejected = _scan(con, table, paths, "{'line': 'VARCHAR'}", options, "JSON lines")
    _numbered_view(con, f"{name}_numbered", table, rejected, 1,
                   "_path, _row, line as _raw, try(json_type(line)) = 'OBJECT' as _object",
                   "where trim(line) <> ''")  # blank lines are not records
    # Numbered and parsed once: the rejects, the counts and staging all read this table.
    con.execute(f"create or replace temp table {name}_all as select * from {name}_numbered")
    con.execute(f"drop view {name}_numbered")
    con.execute(f"drop table {table}")
    con.execute(f"""
        create or replace temp table {name}_rejects as
        select _path, line as _row, csv_line as _raw, 'json_malformed' as reason
        from {rejected}
        union all
        select _path, _row, _raw, 'json_malformed'
        from {name}_all where not coalesce(_object, false)
    """)
    con.execute(f"create or replace temp view {name} as "
                f"select _path, _row, _raw, _raw as _json from {name}_all where _object")
    return RawFiles(name, ("_json",), _counts(con, name, paths))


def read_parquet_files(con: duckdb.DuckDBPyConnection, name: str,
                       paths: list[Path]) -> RawFiles:
    try:
        con.execute(f"create or replace temp table {name}_pq as select * from read_parquet("
                    f"{_path_list(paths)}, filename='_path', file_row_number=true, "
                    "union_by_name=true)")
    except duckdb.Error as exc:
        where = paths[0] if len(paths) == 1 else f"{paths[0].parent}/ ({len(paths)} files)"
        text = str(exc).strip().splitlines()
        raise UserError(f"{where}: cannot be read as Parquet ({text[0] if text else exc})") \
            from None
    names = [r[0] for r in rows(con, f"describe {name}_pq")
             if r[0] not in ("_path", "file_row_number")]
    select = ", ".join(f"cast({quote_ident(n)} as varchar) as {quote_ident(n)}" for n in names)
    raw_cols = ", ".join(quote_ident(n) for n in names)
    con.execute(f"""
        create or replace temp view {name} as
        select {select}, _path, file_row_number + 1 as _row,
               struct_pack({raw_cols}) as _raw
        from {name}_pq
    """)
    con.execute(f"create or replace temp table {name}_rejects "
                "(_path varchar, _row bigint, _raw varchar, reason varchar)")
    per_file = {}  # union_by_name fills a column one file lacks with NULLs: note each schema
    for p in paths if len(paths) > 1 else ():
        describe = f"describe select * from read_parquet({sql_literal(str(p))})"
        per_file[str(p)] = tuple(r[0] for r in rows(con, describe))
    return RawFiles(name, tuple(names), _counts(con, name, paths), per_file, raw_struct=True)


def read_files(con: duckdb.DuckDBPyConnection, name: str, fmt: str, paths: list[Path],
               opts: CsvOptions) -> RawFiles:
    if fmt == "csv":
        return read_csv_files(con, name, paths, opts)
    if fmt == "jsonl":
        return read_jsonl_files(con, name, paths)
    return read_parquet_files(con, name, paths)


def _counts(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path]) -> dict[str, int]:
    counts = {str(p): 0 for p in paths}
    for path, n in rows(con, f"""
        select _path, count(*) from (
            select _path from {name} union all select _path from {name}_rejects
        ) group by _path
    """):
        counts[path] = counts.get(path, 0) + n
    return counts


def drop_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every temporary table and view the readers made (all named raw_*)."""
    for kind, function in (("view", "duckdb_views"), ("table", "duckdb_tables")):
        for (name,) in rows(con, f"select {'view_name' if kind == 'view' else 'table_name'} "
                                 f"from {function}() where temporary and "
                                 f"starts_with({'view_name' if kind == 'view' else 'table_name'}, "
                                 "'raw_')"):
            con.execute(f"drop {kind} if exists {quote_ident(name)}")
