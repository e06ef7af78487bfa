"""Writing report outputs: atomically (temp file in the same folder, then os.replace), and CSV that
a spreadsheet cannot run as a formula. During a run the files wait under their temporary names
until the warehouse commits (`hold_writes`), so a report never describes data that was rolled back.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow.parquet as pq

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class HeldWrites:
    """Files written (complete, under their temporary names) while a run's transaction is open.

    Their names carry the run's owner tag (`.<name>.~pipeline-<run>-<token>.<random>.tmp`) and
    each folder holding one also holds the run's lock file (`.~pipeline-<run>-<token>.lock.tmp`,
    flock'ed until release or discard), so another run's sweep, even one on another warehouse
    sharing the folder, leaves them alone while this process lives."""

    def __init__(self, owner: str | None = None) -> None:
        self.files: list[tuple[str, Path]] = []
        self.owner = owner or _new_owner("run")
        self.locks: dict[Path, int] = {}  # folder -> its lock file's descriptor
        self.made: list[Path] = []  # folders made for the held files: gone again on discard
        self.retired: list[Path] = []  # earlier reports' files to remove on release

    def release(self) -> None:
        """After the commit: move every file into place (each move is atomic)."""
        global _held
        _held = None
        try:
            for tmp, path in self.files:
                os.replace(tmp, path)
            self.files.clear()
            for path in self.retired:
                path.unlink(missing_ok=True)
            self.retired.clear()
        finally:
            self._unlock()

    def discard(self) -> None:
        """After a rollback: delete them."""
        global _held
        _held = None
        try:
            for tmp, _ in self.files:
                Path(tmp).unlink(missing_ok=True)
            self.files.clear()
            self.retired.clear()
        finally:
            self._unlock()
        # a rolled-back run leaves no empty folder named after it (deepest first; one holding
        # anything else stays)
        for folder in sorted(self.made, key=lambda f: len(f.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass
        self.made.clear()

    def _unlock(self) -> None:
        for folder, fd in self.locks.items():
            (folder / _lock_name(self.owner)).unlink(missing_ok=True)
            os.close(fd)
        self.locks.clear()


_held: HeldWrites | None = None
_OWNER_TAG = ".~pipeline-"
# `.<name>.~pipeline-<owner>.<random>.tmp`, where <owner> is `<run id>-<token>` (see _new_owner)
_OURS = re.compile(r"^\..+\.~pipeline-([A-Za-z0-9_-]+)\.[^.]+\.tmp$")
_OUR_LOCK = re.compile(r"^\.~pipeline-([A-Za-z0-9_-]+)\.lock\.tmp$")


def _new_owner(run_id: str) -> str:
    """The run id (letters, digits, _ and - kept) and a random token: unique per holder."""
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', run_id)[:40]}-{uuid.uuid4().hex[:8]}"


def _lock_name(owner: str) -> str:
    return f"{_OWNER_TAG}{owner}.lock.tmp"


def _lock_folder(folder: Path, owner: str) -> int:
    """Create and flock `folder`'s lock file for `owner`; the OS drops the lock if we die."""
    path = folder / _lock_name(owner)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)  # new and unique to us: only a sweep may hold it briefly
        try:  # a sweep may have unlinked it between our open and our lock: then again
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def hold_writes(run_id: str = "run") -> HeldWrites:
    """From now on atomic_write leaves files under their temporary names until release()."""
    global _held
    _held = HeldWrites(_new_owner(run_id))
    return _held


def _is_live(lock: Path) -> bool:
    """Whether a live process holds this lock file (a missing one: no)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops our lock, if we got it
    return False


def remove_stale_temp_files(folder: Path) -> None:
    """Temporary files a killed run of this pipeline left behind under `folder`.

    Only our own names (`.<name>.~pipeline-<owner>.<random>.tmp` and the owner's lock file):
    other programs' temporary files may live under the folder too (an editor's
    `.budget.xlsx.tmp`, DuckDB's spill files). And only a dead owner's: a file whose owner's lock
    file is still locked belongs to a live run (another warehouse may share the folder)."""
    if not Path(folder).is_dir():
        return
    dead: dict[Path, bool] = {}
    locks = []
    for tmp in Path(folder).rglob(f"*{_OWNER_TAG}*.tmp"):
        if not tmp.is_file():
            continue
        if _OUR_LOCK.match(tmp.name):
            locks.append(tmp)
            continue
        m = _OURS.match(tmp.name)
        if m is None:
            continue
        lock = tmp.parent / _lock_name(m.group(1))
        if lock not in dead:
            dead[lock] = not _is_live(lock)
        if dead[lock]:
            tmp.unlink(missing_ok=True)
    for lock in locks:  # after its files: a dead owner's lock file goes last
        if dead.get(lock, not _is_live(lock)):
            lock.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call write(f) on a temp file beside `path`, then move it into place in one step.

    The temp file is named for its owner (the run holding writes, else this one write), whose
    lock file beside it stays locked while the file may still be needed."""
    path = Path(path)
    held = _held
    if held is not None:
        missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
        held.made += [d.resolve() for d in missing]
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = held.owner if held is not None else _new_owner("write")
    folder = path.parent.resolve()
    if held is not None:
        if folder not in held.locks:
            held.locks[folder] = _lock_folder(folder, owner)
        lock_fd = None
    else:
        lock_fd = _lock_folder(folder, owner)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{_OWNER_TAG}{owner}.", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if held is not None:
            held.files.append((tmp, path))
            return path
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if lock_fd is not None:
            (folder / _lock_name(owner)).unlink(missing_ok=True)
            os.close(lock_fd)
    return path


def retire(path: Path) -> None:
    """An earlier report's file this report has nothing for (a team with no action now): removed
    when the run commits (kept on a rollback), at once outside a run."""
    if _held is not None:
        _held.retired.append(Path(path))
    else:
        Path(path).unlink(missing_ok=True)


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
