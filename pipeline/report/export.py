"""Writing report outputs: atomically (temp file in the same folder, then os.replace), and CSV that
a spreadsheet cannot run as a formula. During a run the files wait under their temporary names
until the warehouse commits (`hold_writes`), so a report never describes data that was rolled back.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow.parquet as pq

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class HeldWrites:
    """Files written (complete, under their temporary names) while a run's transaction is open."""

    def __init__(self) -> None:
        self.files: list[tuple[str, Path]] = []

    def release(self) -> None:
        """After the commit: move every file into place (each move is atomic)."""
        global _held
        _held = None
        for tmp, path in self.files:
            os.replace(tmp, path)
        self.files.clear()

    def discard(self) -> None:
        """After a rollback: delete them."""
        global _held
        _held = None
        for tmp, _ in self.files:
            Path(tmp).unlink(missing_ok=True)
        self.files.clear()


_held: HeldWrites | None = None


def hold_writes() -> HeldWrites:
    """From now on atomic_write leaves files under their temporary names until release()."""
    global _held
    _held = HeldWrites()
    return _held


def remove_stale_temp_files(folder: Path) -> None:
    """Temporary files a killed run left behind; call only while holding the run lock."""
    # Only our own names (atomic_write's ".<name>.<random>.tmp"): other programs' temporary
    # files may live under the folder too (DuckDB spills to "<warehouse>.tmp/duckdb_temp_*.tmp").
    if Path(folder).is_dir():
        for tmp in Path(folder).rglob(".*.tmp"):
            if tmp.is_file() and not any(p.name.endswith(".duckdb.tmp") for p in tmp.parents):
                tmp.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call write(f) on a temp file beside `path`, then move it into place in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if _held is not None:
            _held.files.append((tmp, path))
            return path
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, int):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheets read accents right), every cell made safe."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([safe_cell(h) for h in header])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    return write_bytes(path, csv_bytes(header, rows))


def write_parquet(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> Path:
    """Export one warehouse table; `table` comes from a fixed list (pipeline.marts.MARTS)."""
    quoted = '"' + table.replace('"', '""') + '"'
    # rows in a fixed order: tables are sets, built in parallel, and the files must not vary.
    # Streamed in batches of _PARQUET_BATCH rows (one row group each): a retention mart has a
    # row per customer, and holding it whole in Python took the run to 5.9 GB at 50M rows.
    def write(f: BinaryIO) -> None:
        reader = con.sql(f"select * from {quoted} order by all").fetch_record_batch(
            _PARQUET_BATCH
        )
        with pq.ParquetWriter(f, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)

    return atomic_write(path, write)


_PARQUET_BATCH = 1_000_000
