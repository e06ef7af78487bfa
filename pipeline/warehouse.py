"""Open the DuckDB warehouse for one run: an OS lock first, then the schema, UTC, a memory cap."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipeline.errors import UserError, WarehouseBusy

SCHEMA = Path(__file__).with_name("schema.sql")


@contextmanager
def run_lock(warehouse: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the warehouse; the OS drops it when the process dies."""
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "an unknown time"
            raise WarehouseBusy(
                f"another run holds {warehouse} since {holder}; wait for it to finish"
            ) from None
        stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC (pid {os.getpid()})"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def connect(
    warehouse: Path | str, memory_limit: str = "2GB", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection with the schema in place, UTC session time and a memory cap (DuckDB spills)."""
    path = str(warehouse)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise WarehouseBusy(
                f"{warehouse} is open in another program (a notebook or "
                "another run?); close it and retry"
            ) from None
        if "Could not read enough bytes" in text or "Corrupt database file" in text:
            raise UserError(_unreadable(warehouse, text)) from None
        raise UserError(
            f"{warehouse}: cannot open the warehouse ({text.splitlines()[0]})"
        ) from None
    except duckdb.Error as exc:
        raise UserError(_unreadable(warehouse, str(exc))) from None
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{_checked_memory(memory_limit)}'")
    con.execute("set preserve_insertion_order = true")
    # Nothing a run does may fetch or load an extension (the ones it uses are built in).
    con.execute("set autoload_known_extensions = false")
    con.execute("set autoinstall_known_extensions = false")
    if not read_only:
        _migrate(con, warehouse)  # first: it refuses before anything is changed
        con.execute(SCHEMA.read_text(encoding="utf-8"))
    return con


def _unreadable(warehouse: Path | str, text: str) -> str:
    return (f"{warehouse} is not a readable DuckDB warehouse ({text.splitlines()[0]}); restore a "
            "backup, or rebuild it from the exports: `make clean`, then `python -m pipeline run`")


def _migrate(con: duckdb.DuckDBPyConnection, warehouse: Path | str) -> None:
    """Give a warehouse built by an older version the nullable columns schema.sql has since
    added to its tables (as its `add column if not exists` lines do); a missing column that
    cannot be added empty (not null) is an error naming the table and the column."""
    ref = duckdb.connect(":memory:")
    try:
        ref.execute(SCHEMA.read_text(encoding="utf-8"))
        wanted = ref.execute("select table_name, column_name, data_type, is_nullable "
                             "from information_schema.columns order by table_name, "
                             "ordinal_position").fetchall()
    finally:
        ref.close()
    have = {(t, c) for t, c in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'main'").fetchall()}
    tables = {t for t, _ in have}
    missing = [(t, c, typ, nullable) for t, c, typ, nullable in wanted
               if t in tables and (t, c) not in have]
    for t, c, _, nullable in missing:
        if nullable != "YES":
            raise UserError(
                f"{warehouse}: table {t} has no column {c}: built by an older version of the "
                "pipeline, and it cannot be added empty; rebuild the warehouse from the exports "
                "(`make clean`, then `python -m pipeline run`) or use the version that built it")
    for t, c, typ, _ in missing:
        con.execute(f'alter table "{t}" add column if not exists "{c}" {typ}')


def _checked_memory(limit: str) -> str:
    import re

    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit.strip())
    if not m:
        raise UserError(f"memory limit '{limit}' is not like 4GB")
    unit = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}.get(m[2]) or 1024.0 ** (
        "KMGT".index(m[2][0]) + 1)
    if float(m[1]) * unit < 100e6:  # DuckDB cannot run a stage's queries in less
        raise UserError(f"--memory-limit: '{limit}' is too small; give at least 100MB "
                        "(default 2GB)")
    return limit.strip()


@contextmanager
def open_warehouse(
    warehouse: Path, memory_limit: str = "2GB"
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Lock, connect, and close; the caller runs its stages in one transaction."""
    with run_lock(warehouse):
        con = connect(warehouse, memory_limit)
        try:
            yield con
        finally:
            con.close()
