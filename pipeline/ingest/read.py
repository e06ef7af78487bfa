"""Read a source's raw files into DuckDB as text columns, numbered by record within each file.

`read_files` leaves a view `<name>` with the files' columns as VARCHAR plus `_path` (the file),
`_row` (1-based data record number in that file) and `_raw` (the record as read), and a table
`<name>_rejects` (`_path`, `_row`, `_raw`, `reason`) of records the reader could not split into
columns. All files of one call are scanned by one DuckDB reader; nothing is read row by row.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import duckdb

from pipeline.db import quote_ident, rows, sql_literal
from pipeline.errors import UserError
from pipeline.ingest.sources import (
    WHITESPACE,
    CsvOptions,
    ExcelOptions,
    FixedWidthOptions,
    JsonOptions,
)

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
    # columns read as a struct, list, map or union (Parquet): text of such a value is no scalar,
    # so staging quarantines a row whose mapped column holds one (nested_value:<field>)
    nested_columns: tuple[str, ...] = ()

    def raw_text(self, expr: str) -> str:
        """SQL for the raw record as text, given `expr` referring to this table's `_raw`."""
        return f"to_json({expr})::varchar" if self.raw_struct else expr


# DuckDB's readers expand glob characters in every path they are given; a file found by a
# mapping's pattern is read as that exact file (`x[1].csv` is not `x1.csv`).
_GLOB_CHARS = re.compile(r"([\[*?])")


def literal_path(path: Path | str) -> str:
    """The path as DuckDB's readers take it literally: each glob character in a bracket of its
    own (`x[1].csv` -> `x[[]1].csv`), which DuckDB's glob matches only to that character."""
    return _GLOB_CHARS.sub(r"[\1]", str(path))


def _path_list(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_literal(literal_path(p)) for p in paths) + "]"


COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
# Quoted fields or bare words, for `delimiter: whitespace`.
WHITESPACE_FIELD = r'"(?:[^"]|"")*"|[^\s"]+'
HEAD_BYTES = 1 << 20


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when its name ends in .gz or .zst (as DuckDB reads it)."""
    kind = COMPRESSIONS.get(path.suffix.lower())
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    return path.open("rb")


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first `size` bytes of the (decompressed) file."""
    try:
        with open_binary(path) as fh:
            chunks, n = [], 0
            while n < size and (chunk := fh.read(size - n)):
                chunks.append(chunk)
                n += len(chunk)
    except (OSError, EOFError, ValueError) as exc:  # gzip/zstd errors derive from these
        raise UserError(f"{path}: cannot be decompressed ({exc}); is it really "
                        f"{COMPRESSIONS.get(path.suffix.lower(), 'compressed')}?") from None
    except Exception as exc:  # zstandard.ZstdError
        raise UserError(f"{path}: cannot be decompressed ({exc})") from None
    return b"".join(chunks)


def normalise_header(names: list[str]) -> tuple[str, ...]:
    """Header names a mapping can address: trimmed; an empty cell becomes `column<N>` (its
    1-based position: the unnamed index column pandas writes); a repeated name gets `_2`, `_3`,
    … on its later occurrences."""
    out: list[str] = []
    # DuckDB ignores case in column names: `Id` and `ID` are one name to it
    used: set[str] = set()
    taken = {n.strip().lower() for n in names}
    for i, raw in enumerate(names, start=1):
        name = raw.strip() or f"column{i}"
        if name.lower() in used:
            k = 2
            while f"{name}_{k}".lower() in used | taken:
                k += 1
            name = f"{name}_{k}"
        out.append(name)
        used.add(name.lower())
    return tuple(out)


def split_whitespace(line: str) -> list[str]:
    """Fields of a whitespace-separated line; a quoted field may hold spaces."""
    return [f[1:-1].replace('""', '"') if f.startswith('"') else f
            for f in re.findall(WHITESPACE_FIELD, line)]


def head_lines(path: Path, encoding: str) -> list[str]:
    """The first lines of a text file (up to 1 MiB), decoded; a line ends at LF, CRLF or CR."""
    encoding = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding)
    head = read_head(path)
    if not head:
        raise UserError(f"{path}: file is empty (0 bytes)")
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and encoding != "utf-16":
        raise UserError(f"{path}: is UTF-16 (byte-order mark) but the mapping says "
                        f"{encoding.removesuffix('-sig')}; declare csv.encoding: utf-16")
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not valid {encoding.removesuffix('-sig')} (byte {head[exc.start]:#04x} at "
            f"offset {exc.start}); declare csv.encoding in the source mapping") from None
    lines = re.split(r"\r\n|\n|\r", text)
    if len(head) >= HEAD_BYTES:
        lines = lines[:-1]  # the last one may be cut off
    return lines


def decode_header(path: Path, opts: CsvOptions) -> tuple[str, ...]:
    """The column names: the header's (normalised), or the mapping's for a file without one."""
    try:
        return _decode_header(path, opts)
    except csv.Error as exc:  # "field larger than field limit": no header holds such a field
        raise UserError(
            f"{path}: line {opts.skip_lines + 1} is no header: a field of over "
            f"{csv.field_size_limit():,} characters ({exc}); check csv.delimiter and "
            "csv.quote in the source mapping, or whether the file is CSV at all") from None


def _decode_header(path: Path, opts: CsvOptions) -> tuple[str, ...]:
    lines = head_lines(path, opts.encoding)
    if not opts.header:
        first = next((ln for ln in lines[opts.skip_lines:] if ln.strip()), None)
        if first is not None:
            n = len(_split_line(first, opts))
            if n != len(opts.columns):
                raise UserError(
                    f"{path}: line {opts.skip_lines + 1} has {n} field(s) but csv.columns "
                    f"names {len(opts.columns)}; name every column, in file order")
        return opts.columns
    if len(lines) <= opts.skip_lines:
        if len(read_head(path)) >= HEAD_BYTES:  # a whole MiB without a line break
            raise UserError(f"{path}: line {len(lines) + 1} has no line break in its first "
                            f"{HEAD_BYTES >> 20} MiB: no header is that long; is the file CSV, "
                            "with this line ending?")
        raise UserError(f"{path}: has only {len(lines)} line(s), fewer than skip_lines + header")
    header_text = lines[opts.skip_lines]
    if "\x00" in header_text:
        raise UserError(f"{path}: header holds NUL bytes; is it UTF-16? declare csv.encoding")
    names = [n.strip() for n in _split_line(header_text, opts)]
    if not any(names):
        below = _header_below(lines, opts)  # junk lines above the header: a title, a date
        raise UserError(f"{path}: header line {opts.skip_lines + 1} is blank" + (
            f"; line {below[0] + 1} has {below[1]} columns: if the lines above it are not "
            f"data, use csv.skip_lines: {below[0]}" if below else ""))
    if len(names) == 1 and opts.delimiter != WHITESPACE and opts.delimiter not in header_text:
        if below := _header_below(lines, opts):
            raise UserError(f"{path}: line {opts.skip_lines + 1} has no '{opts.delimiter}' "
                            f"separator, but line {below[0] + 1} has {below[1]} columns: if "
                            f"the lines above it are not data, use csv.skip_lines: {below[0]}")
        # A one-column header is almost always a wrong delimiter.
        raise UserError(f"{path}: header has no '{opts.delimiter}' separator; "
                        "check csv.delimiter in the source mapping")
    names = list(normalise_header(names))
    if any(n in ("_path", "_row", "_raw", "_json") for n in names):
        raise UserError(f"{path}: column names _path, _row, _raw and _json are reserved")
    return tuple(names)


# How far down junk lines above a header are looked for.
HEADER_SEARCH_LINES = 30


def _header_below(lines: list[str], opts: CsvOptions) -> tuple[int, int] | None:
    """(0-based line, columns) of the first line below the expected header, among the first
    HEADER_SEARCH_LINES, that splits into two or more fields, as the line after it does."""
    try:
        for i in range(opts.skip_lines + 1, min(len(lines) - 1, HEADER_SEARCH_LINES)):
            n = len(_split_line(lines[i], opts))
            if n >= 2 and len(_split_line(lines[i + 1], opts)) == n:
                return i, n
    except csv.Error:  # a line Python's csv module cannot split (a NUL): no suggestion
        pass
    return None


def _split_line(line: str, opts: CsvOptions) -> list[str]:
    if opts.delimiter == WHITESPACE:
        return split_whitespace(line)
    if len(opts.delimiter) == 1:
        return next(csv.reader([line], delimiter=opts.delimiter, quotechar=opts.quote or None),
                    [])
    # Python's csv module takes one-character delimiters only; a longer one splits plainly.
    parts = line.split(opts.delimiter)
    q = opts.quote
    return [p[1:-1] if q and len(p) >= 2 and p.startswith(q) and p.endswith(q) else p
            for p in parts]


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
    """The kinds of line ending in a file (CR, CRLF, LF); read only when a scan failed.
    CR counts carriage returns not followed by a line feed."""
    kinds: set[str] = set()
    with open_binary(path) as fh:
        if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return []
    with open_binary(path) as fh:
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


# Stands in for a bare carriage return while DuckDB reads a repaired copy (see _repaired).
_CR_STAND_IN = "\x1e"


class _MixedLineEndings(Exception):
    def __init__(self, path: Path, kinds: list[str]):
        self.path, self.kinds = path, kinds


def _repaired(path: Path, folder: Path) -> Path | None:
    """A copy DuckDB can read of a file that mixes line endings: CRLF becomes LF and a bare CR
    (one inside an unquoted field, as in a tweet) becomes a stand-in character that the reader
    turns back into CR. None when the file already holds the stand-in."""
    copy = folder / f"{len(list(folder.iterdir()))}.csv"
    cr, stand_in = b"\r", _CR_STAND_IN.encode()
    with open_binary(path) as src, copy.open("wb") as out:
        tail = b""
        while block := src.read(1 << 22):
            data = tail + block
            data, tail = (data[:-1], cr) if data.endswith(cr) else (data, b"")
            if stand_in in data:
                return None
            out.write(data.replace(b"\r\n", b"\n").replace(cr, stand_in))
        out.write(tail.replace(cr, stand_in))
    return copy


# DuckDB 2.0's reader drops a record longer than its read buffer without a word (no row, no
# reject, and the records after it lose their numbers), where a longer buffer reports it as too
# long. A scan's buffer therefore holds its files' longest line twice over; lines longer than
# this are not read at all (the file is refused).
MAX_READ_LINE_BYTES = 128 * 1024 * 1024
# The most a compressed file's bytes can grow when decompressed (deflate: 1032; zstd can
# store a repeated byte run in a few bytes).
_MAX_RATIO = {"gzip": 1032, "zstd": 1 << 17}
_SCAN_BLOCK = 1 << 24
_SAMPLE_BYTES = 1 << 20


def _gaps(ends, size: int, run: int) -> tuple[int, int]:
    """The longest stretch between the sorted positions `ends` of a block of `size` bytes, the
    first one continuing `run` bytes from the block before; and the bytes after the last end."""
    import numpy as np

    if not ends.size:
        return run + size, run + size
    longest = max(run + int(ends[0]), int(np.diff(ends).max()) - 1 if ends.size > 1 else 0)
    run = size - int(ends[-1]) - 1
    return max(longest, run), run


def _read_block(fh: BinaryIO, path: Path) -> bytes:
    try:
        return fh.read(_SCAN_BLOCK)
    except (OSError, EOFError, ValueError) as exc:  # gzip/zstd errors derive from these
        raise UserError(f"{path}: cannot be decompressed ({exc}); is it really "
                        f"{COMPRESSIONS.get(path.suffix.lower(), 'compressed')}?") from None
    except Exception as exc:  # zstandard.ZstdError
        raise UserError(f"{path}: cannot be decompressed ({exc})") from None


def _longest_line(path: Path, quote: str = "") -> tuple[int, int]:
    """The length in bytes of the file's longest line (LF, CRLF or CR ending) and of its longest
    record if every `quote` character opens or closes a quoted field (a stray quote in a value
    only makes this an over-estimate), decompressed; (0, 0) when the file is too small to hold
    a line as long as the read buffer."""
    kind = COMPRESSIONS.get(path.suffix.lower())
    if path.stat().st_size * _MAX_RATIO.get(kind, 1) < BUFFER_BYTES:
        return 0, 0
    import numpy as np

    line = record = line_run = record_run = inside = 0
    with open_binary(path) as fh:
        while block := _read_block(fh, path):
            data = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero((data == 10) | (data == 13))
            n, line_run = _gaps(ends, len(data), line_run)
            line = max(line, n)
            if quote:  # judged at the last line end of each MiB: enough to find a long record
                is_quote = data == ord(quote[0])
                at = np.unique(np.searchsorted(
                    ends, np.arange(_SAMPLE_BYTES, len(data) + _SAMPLE_BYTES, _SAMPLE_BYTES)) - 1)
                sample = ends[at[at >= 0]]
                starts = np.r_[0, sample[:-1]] if sample.size else sample
                counts = np.cumsum([np.count_nonzero(is_quote[a:b]) for a, b in
                                    zip(starts, sample, strict=True)], dtype=int)
                outside = (counts + inside) % 2 == 0
                n, record_run = _gaps(sample[outside], len(data), record_run)
                record = max(record, n)
                inside = (inside + int(np.count_nonzero(is_quote))) % 2
    return line, max(line, record)


def _buffer_for(paths: list[Path], options: str, quote: str = "") -> str:
    """`options` with a read buffer that holds the longest record of `paths` twice over."""
    longest = 0
    for p in paths:
        line, record = _longest_line(p, quote)
        if line > MAX_READ_LINE_BYTES:
            raise UserError(f"{p}: holds a line of {line / 2**20:,.0f} MiB; a record of over "
                            f"{MAX_LINE_BYTES // 2**20} MiB is quarantined, but a line of over "
                            f"{MAX_READ_LINE_BYTES // 2**20} MiB is not read: split the file "
                            "or remove that line")
        # a longer "record" is stray quotes in values, not a record
        longest = max(longest, record if record <= MAX_READ_LINE_BYTES else line)
    if 2 * longest < BUFFER_BYTES:
        return options
    buffer = -(-2 * longest // 2**20) * 2**20 + 2**20  # whole MiB, above twice the record
    return options.replace(f"buffer_size={BUFFER_BYTES}", f"buffer_size={buffer}")


def _scan(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path], names: tuple[str, ...],
          options: str, what: str, quote: str = "") -> str:
    """Scan files into `table` (every column VARCHAR); returns the name of the table of reader
    rejects. DuckDB's strict reader refuses a file that mixes line endings: such a file is read
    from a repaired copy (a record with a bare CR in an unquoted field is then read right).
    `quote`: the quote character of a CSV file, whose records may span lines."""
    options = _buffer_for(paths, options, quote)
    try:
        return _scan_files(con, table, paths, names, options, what)
    except _MixedLineEndings as exc:
        folder = Path(tempfile.mkdtemp(prefix="tp-repair-"))
        try:
            copies = {p: _repaired(p, folder) if _line_endings(p)[1:] else p for p in paths}
            if any(c is None for c in copies.values()):
                raise UserError(f"{exc.path}: mixed line endings ({' and '.join(exc.kinds)}); "
                                "save it with one kind of line ending") from None
            rejected = _scan_files(con, table, list(copies.values()), names, options, what)
            for original, copy in copies.items():
                if copy == original:
                    continue
                restore = ", ".join(f"{quote_ident(n)} = replace({quote_ident(n)}, "
                                    f"'{_CR_STAND_IN}', chr(13))" for n in names)
                con.execute(f"update {table} set _path = $orig, {restore} where _path = $copy",
                            {"orig": str(original), "copy": str(copy)})
                con.execute(f"update {rejected} set _path = $orig, csv_line = replace("
                            f"csv_line, '{_CR_STAND_IN}', chr(13)) where _path = $copy",
                            {"orig": str(original), "copy": str(copy)})
            return rejected
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _scan_files(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path],
                names: tuple[str, ...], options: str, what: str) -> str:
    rejects, scans = f"{table}_errors", f"{table}_scans"
    columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
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
        for p in paths:
            if len(kinds := _line_endings(p)) > 1:
                raise _MixedLineEndings(p, kinds) from None
        raise UserError(f"{where}: cannot be read as {what} "
                        f"({text[0] if text else exc.__class__.__name__})") from None
    con.execute(f"""
        create or replace temp table {table}_rejected as
        select s.file_path as _path, e.line, any_value(e.csv_line) as csv_line,
               -- a record over max_line_size can also be reported as another error
               case when bool_or(e.error_type = 'LINE SIZE OVER MAXIMUM')
                    then 'RECORD TOO LARGE' else any_value(e.error_type) end as error_type
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
    if opts.delimiter == WHITESPACE:
        return read_whitespace_files(con, name, paths, opts)
    headers = {p: decode_header(p, opts) for p in paths}
    # Files with the same header are scanned together; a different header gets its own scan.
    groups: dict[tuple[str, ...], list[Path]] = {}
    for p in paths:
        groups.setdefault(headers[p], []).append(p)
    # `line` counts from the top: skipped lines and the header
    first_record = opts.skip_lines + 1 + opts.header
    views, all_columns = [], list(dict.fromkeys(c for h in groups for c in h))
    con.execute(f"create or replace temp table {name}_rejects "
                "(_path varchar, _row bigint, _raw varchar, reason varchar)")
    for i, (names, group) in enumerate(groups.items()):
        table = f"{name}_g{i}"
        # The header's own names are replaced by their normalised form (header=true skips it).
        options = _csv_options(opts, header=opts.header) + f", skip={opts.skip_lines}"
        rejected = _scan(con, table, group, names, options, "CSV", opts.quote)
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


def _read_lines(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path], skip: int,
                encoding: str, what: str, rejects: str) -> None:
    """Every line after the first `skip` as one text column `line`, numbered (`_row`) by line
    after the skipped ones; blank lines are not records. Leaves `<table>_all`, and creates
    the table `rejects` with the lines the reader could not take."""
    for p in paths:
        if p.stat().st_size == 0:
            raise UserError(f"{p}: file is empty (0 bytes)")
    options = (f"header=false, delim={sql_literal(_LINE_DELIMITER)}, quote='', escape='', "
               f"encoding={sql_literal(encoding)}, skip={skip}, auto_detect=false, "
               f"max_line_size={MAX_LINE_BYTES}, buffer_size={BUFFER_BYTES}, strict_mode=true, "
               "filename='_path', store_rejects=true")
    rejected = _scan(con, table, paths, ("line",), options, what)
    _numbered_view(con, f"{table}_numbered", table, rejected, skip + 1,
                   "_path, _row, line", "where trim(line) <> ''")
    con.execute(f"create or replace temp table {table}_all as select * from {table}_numbered")
    con.execute(f"drop view {table}_numbered")
    con.execute(f"drop table {table}")
    con.execute(f"""
        create or replace temp table {rejects} as
        select _path, line - {skip} as _row, csv_line as _raw,
               'csv_malformed:' || lower(replace(error_type, ' ', '_')) as reason
        from {rejected}
    """)


def read_whitespace_files(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path],
                          opts: CsvOptions) -> RawFiles:
    """Columns separated by runs of spaces or tabs (leading ones ignored; "quoted fields" may
    hold spaces). A line with another number of fields than the header is rejected."""
    headers = {p: decode_header(p, opts) for p in paths}
    names = next(iter(headers.values()))
    for p, h in headers.items():
        if h != names:
            raise UserError(f"{p}: header {', '.join(h)} differs from {paths[0].name}'s "
                            f"({', '.join(names)}); give each layout its own source mapping")
    table = f"{name}_lines"
    _read_lines(con, table, paths, opts.skip_lines + opts.header, opts.encoding,
                "whitespace-separated text", f"{name}_rejects")
    con.execute(f"""
        create or replace temp table {name}_split as
        select _path, _row, line as _raw,
               list_transform(regexp_extract_all(line, $field),
                              lambda f: case when starts_with(f, '"')
                                             then replace(f[2:-2], '""', '"') else f end) as _f
        from {table}_all
    """, {"field": WHITESPACE_FIELD})
    con.execute(f"drop table {table}_all")
    n = len(names)
    con.execute(f"""
        insert into {name}_rejects
        select _path, _row, _raw,
               case when len(_f) > {n} then 'csv_malformed:too_many_columns'
                    else 'csv_malformed:missing_columns' end as reason
        from {name}_split where len(_f) <> {n}
    """)
    cols = ", ".join(f"_f[{i}] as {quote_ident(c)}" for i, c in enumerate(names, start=1))
    con.execute(f"create or replace temp view {name} as select {cols}, _path, _row, _raw "
                f"from {name}_split where len(_f) = {n}")
    return RawFiles(name, names, _counts(con, name, paths), {str(p): names for p in paths})


def read_fixed_width_files(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path],
                           opts: FixedWidthOptions) -> RawFiles:
    """Columns at fixed character positions; values are trimmed, blank ones are missing.
    Characters outside the declared columns are not read."""
    table = f"{name}_lines"
    _read_lines(con, table, paths, opts.skip_lines, opts.encoding, "fixed-width text",
                f"{name}_rejects")
    cols = ", ".join(
        f"nullif(trim(substring(line, {first}, {last - first + 1})), '') as {quote_ident(c)}"
        for c, first, last in opts.columns)
    con.execute(f"create or replace temp view {name} as select {cols}, _path, _row, "
                f"line as _raw from {table}_all")
    names = tuple(c for c, _, _ in opts.columns)
    return RawFiles(name, names, _counts(con, name, paths))


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
    rejected = _scan(con, table, paths, ("line",), options, "JSON lines")
    _numbered_view(con, f"{name}_numbered", table, rejected, 1,
                   "_path, _row, line as _raw, try(json_type(line)) = 'OBJECT' as _object",
                   "where trim(line) <> ''")  # blank lines are not records
    # Numbered and parsed once: the rejects, the counts and staging all read this table.
    con.execute(f"create or replace temp table {name}_all as select * from {name}_numbered")
    con.execute(f"drop view {name}_numbered")
    con.execute(f"drop table {table}")
    con.execute(f"""
        create or replace temp table {name}_rejects as
        select _path, line as _row, csv_line as _raw,
               case when error_type = 'RECORD TOO LARGE' then 'json_malformed:record_too_large'
                    else 'json_malformed' end as reason
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
    described = [r for r in rows(con, f"describe {name}_pq")
                 if r[0] not in ("_path", "file_row_number")]
    names = [r[0] for r in described]
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
        describe = f"describe select * from read_parquet({sql_literal(literal_path(p))})"
        per_file[str(p)] = tuple(r[0] for r in rows(con, describe))
    return RawFiles(name, tuple(names), _counts(con, name, paths), per_file, raw_struct=True,
                    nested_columns=tuple(r[0] for r in described if is_nested_type(r[1])))


def is_nested_type(duckdb_type: str) -> bool:
    """STRUCT(...), MAP(...), UNION(...), a list (`X[]`) or an array (`X[3]`)."""
    t = duckdb_type.strip().upper()
    return t.startswith(("STRUCT", "MAP", "UNION")) or t.endswith("]")


def read_files(con: duckdb.DuckDBPyConnection, name: str, fmt: str, paths: list[Path],
               opts: CsvOptions, spec: object | None = None) -> RawFiles:
    """`spec` is the mapping or SQL input being read: readers take their own block from it
    (`spec.fixed_width`, `spec.excel`, `spec.json`)."""
    if fmt == "csv":
        return read_csv_files(con, name, paths, opts)
    if fmt == "jsonl":
        return read_jsonl_files(con, name, paths)
    if fmt == "fixed_width":
        return read_fixed_width_files(con, name, paths, spec.fixed_width)  # type: ignore
    if fmt == "excel":  # imported here: these modules import this one (and calamine is big)
        from pipeline.ingest.read_excel import read_excel_files

        return read_excel_files(con, name, paths, getattr(spec, "excel", None) or ExcelOptions())
    if fmt == "json":
        from pipeline.ingest.read_json import read_json_files

        return read_json_files(con, name, paths, getattr(spec, "json", None) or JsonOptions())
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
