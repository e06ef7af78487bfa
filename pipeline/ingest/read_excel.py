"""Read Excel workbooks (.xlsx, .xlsm, .xls, .ods) into DuckDB as text columns, like a CSV.

`python_calamine` (a Rust reader) reads the chosen sheet; each cell becomes the text the staging
SQL parses (dates `YYYY-MM-DD`, date-times `YYYY-MM-DD HH:MM:SS`, times `HH:MM:SS`, whole numbers
without `.0`, booleans true/false, empty cells NULL). The rows go to DuckDB as one Arrow table
per file, never row by row. `_row` is the sheet's own row number, so quarantine points at the row
the user sees; rows above the header row and fully empty rows are not records.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.db import quote_ident
from pipeline.errors import UserError
from pipeline.ingest.read import RawFiles, normalise_header
from pipeline.ingest.sources import ExcelOptions

RESERVED = ("_path", "_row", "_raw", "_json")


def cell_text(v: object) -> str | None:
    """A cell's value as the text staging parses; None for an empty cell."""
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        if v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        return f"{v:.15g}"  # as Excel shows it (15 digits), not 0.30000000000000004
    if isinstance(v, datetime):
        v = _to_ms(v)
        return f"{v.date().isoformat()} {_clock(v.time())}"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return _clock(_to_ms(datetime.combine(date(2000, 1, 1), v)).time())
    if isinstance(v, timedelta):  # a duration cell ([h]:mm:ss): hours may pass 24
        ms = round(v / timedelta(milliseconds=1))
        sign, ms = ("-" if ms < 0 else ""), abs(ms)
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        return f"{sign}{h}:{m:02d}:{s:02d}" + (f".{ms:03d}" if ms else "")
    return None if v is None else str(v)


def _to_ms(v: datetime) -> datetime:
    """Rounded to the millisecond: Excel stores no finer, and a serial just below a whole second
    (14:05:07.9998) is that second."""
    ms = round(v.microsecond / 1000)
    return v.replace(microsecond=0) + timedelta(milliseconds=ms)


def _clock(t: time) -> str:
    """HH:MM:SS, with milliseconds only when the cell has them."""
    text = f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{text}.{t.microsecond // 1000:03d}" if t.microsecond else text


def _column_names(path: Path, header: list[object], first_col: int) -> tuple[str, ...]:
    """Header cells as column names; `first_col` is the sheet's 0-based index of the first one.

    As for CSV (`normalise_header`), and `column<N>` counts the sheet's columns (C = 3)."""
    texts = [cell_text(v) or "" for v in header]
    names = list(normalise_header([""] * first_col + texts)[first_col:])
    reserved = [n for n in names if n in RESERVED]
    if reserved:
        raise UserError(f"{path}: column names _path, _row, _raw and _json are reserved "
                        f"(the header names '{reserved[0]}'); rename that column")
    return tuple(names)


def _sheet(path: Path, workbook: object, opts: ExcelOptions) -> object:
    names: list[str] = workbook.sheet_names  # type: ignore[attr-defined]
    listed = ", ".join(f"'{n}'" for n in names)
    sheet = opts.sheet if opts.sheet is not None else 1
    if isinstance(sheet, int):
        if sheet > len(names):
            hint = (f"; to pick the sheet named '{sheet}', quote it: sheet: '{sheet}'"
                    if str(sheet) in names else "")
            raise UserError(f"{path}: excel.sheet: the workbook has {len(names)} sheet(s) "
                            f"({listed}), no sheet {sheet}{hint}")
        return workbook.get_sheet_by_index(sheet - 1)  # type: ignore[attr-defined]
    if sheet not in names:
        raise UserError(f"{path}: excel.sheet: no sheet named '{sheet}' (sheets: {listed})")
    return workbook.get_sheet_by_name(sheet)  # type: ignore[attr-defined]


def read_sheet(path: Path, opts: ExcelOptions) -> tuple[tuple[str, ...], pa.Table]:
    """One file's records: its column names and an Arrow table of text columns, `_path` and
    `_row` (the sheet's row number)."""
    import python_calamine  # imported on first use: most runs read no workbook

    if path.stat().st_size == 0:
        raise UserError(f"{path}: file is empty (0 bytes)")
    try:
        with python_calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            sheet = _sheet(path, workbook, opts)
            start = sheet.start  # (row, column), 0-based, of the used range's top left cell
            data = sheet.to_python()  # the used range: rows and columns from `start`
            sheet_name = sheet.name
    except UserError:
        raise
    except Exception as exc:  # calamine's errors (zip, XML, password) and Rust panics
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"{path}: cannot be read as an Excel workbook ({detail}); save it as "
                        ".xlsx, .xls or .ods") from None
    if start is None or not data:
        raise UserError(f"{path}: sheet '{sheet_name}' is empty")
    first_row, first_col = start
    h = opts.header_row - 1 - first_row  # the header's index in `data`
    if h >= len(data):
        raise UserError(f"{path}: excel.header_row: sheet '{sheet_name}' ends at row "
                        f"{first_row + len(data)}, above row {opts.header_row}")
    if h < 0 or all(cell_text(v) is None for v in data[h]):
        filled = [first_row + 1 + i for i, r in enumerate(data)
                  if any(cell_text(v) is not None for v in r)]
        near = next((n for n in filled if n > opts.header_row), filled[0] if filled else 1)
        raise UserError(f"{path}: excel.header_row: row {opts.header_row} of sheet "
                        f"'{sheet_name}' is blank; the next row with values is {near} "
                        f"(set excel.header_row: {near} if the column names are there)")
    names = _column_names(path, data[h], first_col)
    columns: list[list[str | None]] = [[] for _ in names]
    row_numbers: list[int] = []
    for i in range(h + 1, len(data)):
        texts = [cell_text(v) for v in data[i]]
        if all(t is None for t in texts):
            continue  # a fully empty row is not a record; the numbering goes on
        for col, t in zip(columns, texts, strict=True):
            col.append(t)
        row_numbers.append(first_row + 1 + i)
    del data
    arrays = {n: pa.array(c, pa.string()) for n, c in zip(names, columns, strict=True)}
    arrays["_path"] = pa.array([str(path)] * len(row_numbers), pa.string())
    arrays["_row"] = pa.array(row_numbers, pa.int64())
    return names, pa.table(arrays)


def read_excel_files(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path],
                     opts: ExcelOptions) -> RawFiles:
    """Leaves the view `<name>` (text columns, `_path`, `_row`, `_raw`) and `<name>_rejects`
    (always empty: every sheet row splits into cells)."""
    groups: dict[tuple[str, ...], str] = {}  # files with the same header share a table
    file_columns: dict[str, tuple[str, ...]] = {}
    counts: dict[str, int] = {}
    for path in paths:
        names, table = read_sheet(path, opts)
        file_columns[str(path)] = names
        counts[str(path)] = table.num_rows
        arrow = f"{name}_arrow"
        con.register(arrow, table)
        try:
            if names in groups:
                con.execute(f"insert into {groups[names]} select * from {arrow}")
            else:
                groups[names] = f"{name}_x{len(groups)}"
                con.execute(f"create or replace temp table {groups[names]} as "
                            f"select * from {arrow}")
        finally:
            con.unregister(arrow)
    views = []
    for names, table in groups.items():
        raw = "struct_pack(" + ", ".join(quote_ident(n) for n in names) + ")"
        # Files with different headers get one text form, as a struct's fields would differ.
        views.append(f"select *, {raw if len(groups) == 1 else f'to_json({raw})::varchar'} "
                     f"as _raw from {table}")
    con.execute(f"create or replace temp view {name} as " + " union all by name ".join(views))
    con.execute(f"create or replace temp table {name}_rejects "
                "(_path varchar, _row bigint, _raw varchar, reason varchar)")
    all_columns = tuple(dict.fromkeys(c for names in groups for c in names))
    return RawFiles(name, all_columns, counts, file_columns, raw_struct=len(groups) == 1)
