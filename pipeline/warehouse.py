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
        raise UserError(
            f"{warehouse}: cannot open the warehouse ({text.splitlines()[0]})"
        ) from None
    except duckdb.Error as exc:
        raise UserError(
            f"{warehouse}: not a DuckDB warehouse ({str(exc).splitlines()[0]})"
        ) from None
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{_checked_memory(memory_limit)}'")
    con.execute("set preserve_insertion_order = true")
    # Nothing a run does may fetch or load an extension (the ones it uses are built in).
    con.execute("set autoload_known_extensions = false")
    con.execute("set autoinstall_known_extensions = false")
    if not read_only:
        con.execute(SCHEMA.read_text())
    return con


def _checked_memory(limit: str) -> str:
    import re

    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", limit.strip()):
        raise UserError(f"memory limit '{limit}' is not like 4GB")
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
