"""One line, never a traceback (issue 13): what the machine, the warehouse or a reference file can
get wrong, each through the real command line.

Every case copies a project whose warehouse holds one committed run, spoils something, runs the
CLI and expects: exactly one line on stderr holding the case's fragment (what is wrong, and how
to fix it), the documented exit code (2 for an error a user fixes, 130 when interrupted), no
"Traceback", and the warehouse exactly as it was (every table, every row; its bytes when it
cannot be opened at all).

Cases that need a read-only or a full file system run the CLI in a subprocess inside a private
mount namespace (`unshare -m`, a read-only bind mount or a small tmpfs); they are skipped where
that is not allowed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pipeline import paths
from pipeline.cli import main

NOW = "2026-11-01T00:00:00"
PY = sys.executable
ROOT = paths.ROOT

MAPPING = """
source: calls
files: calls/*.csv
format: csv
timezone: Europe/Amsterdam
timestamp_formats: ["%Y-%m-%d %H:%M"]
required: [customer_id]
fields:
  interaction_id: id
  customer_id: customer
  occurred_at: opened
  channel: {column: channel, map: {TEL: phone}}
  kind: kind
  text: notes
"""


def calls(start: int, n: int) -> bytes:
    rows = ["id,customer,opened,channel,kind,notes"]
    for i in range(start, start + n):
        rows.append(f"R{i},C{i % 7},2026-0{1 + i % 9}-1{i % 9} 10:00,phone,complaint,"
                    "late delivery — refund please")
    return ("\n".join(rows) + "\n").encode()


class P:
    """A project folder: data, sources, expectations, reference, reports and the warehouse."""

    def __init__(self, root: Path):
        self.root = root
        self.data, self.sources = root / "data", root / "sources"
        self.expectations, self.reference = root / "expectations", root / "reference"
        self.out, self.warehouse = root / "reports", root / "wh" / "w.duckdb"

    def args(self, command: str = "run", *extra: str, **over: str) -> list[str]:
        opts = {"--warehouse": self.warehouse, "--data-dir": self.data, "--sources": self.sources,
                "--expectations": self.expectations, "--reference": self.reference,
                "--out": self.out, "--now": NOW, **{k: v for k, v in over.items()}}
        return [command, *(x for k, v in opts.items() for x in (k, str(v))), *extra]

    def snapshot(self) -> object:
        """Every table's rows; the file's bytes when DuckDB cannot open it."""
        try:
            con = duckdb.connect(str(self.warehouse), read_only=True)
        except duckdb.Error:
            return hashlib.sha256(self.warehouse.read_bytes()).hexdigest()
        try:
            names = [r[0] for r in con.execute(
                "select table_name from information_schema.tables order by 1").fetchall()]
            return {t: sorted(map(repr, con.execute(f'select * from "{t}"').fetchall()))
                    for t in names}
        except duckdb.Error:
            return hashlib.sha256(self.warehouse.read_bytes()).hexdigest()
        finally:
            con.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> P:
    p = P(tmp_path_factory.mktemp("base") / "p")
    (p.data / "calls").mkdir(parents=True)
    p.sources.mkdir()
    (p.sources / "calls.yaml").write_text(MAPPING, encoding="utf-8")
    (p.data / "calls" / "a.csv").write_bytes(calls(1, 40))
    shutil.copytree(paths.EXPECTATIONS, p.expectations)
    shutil.copytree(paths.REFERENCE, p.reference, ignore=shutil.ignore_patterns("sources"))
    assert main(p.args()) == 0
    return p


@pytest.fixture
def p(base: P, tmp_path: Path) -> P:
    shutil.copytree(base.root, tmp_path / "p", symlinks=True)
    copy = P(tmp_path / "p")
    (copy.data / "calls" / "b.csv").write_bytes(calls(100, 10))  # something new to load
    return copy


# --- how a case is run --------------------------------------------------------------------


def in_process(p: P, argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def _unshare_ok() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


UNSHARE = _unshare_ok()


def in_namespace(mounts: list[str], argv: list[str], env: dict | None = None) -> tuple[int, str]:
    """The CLI in a private mount namespace after the given mount commands."""
    script = " && ".join([*mounts, "exec \"$@\""])
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", PY, "-m", "pipeline",
                           *argv], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=300)
    return proc.returncode, proc.stderr


@dataclass
class Case:
    id: str
    fragment: str  # in the one line ({p}: the project folder)
    setup: Callable[[P, pytest.MonkeyPatch], None] = lambda p, mp: None
    argv: Callable[[P], list[str]] = lambda p: p.args()
    code: int = 2
    mounts: Callable[[P], list[str]] | None = None  # run in a mount namespace after these
    fragments: tuple[str, ...] = ()  # further fragments of the same line
    changes_warehouse: bool = False
    env: dict = field(default_factory=dict)


# --- the cases -----------------------------------------------------------------------------


def _ro(folder: Callable[[P], Path]) -> Callable[[P], list[str]]:
    return lambda p: [f"mount --bind -o ro {folder(p)} {folder(p)}"]


def _small_tmpfs(p: P) -> list[str]:
    return [f"mount -t tmpfs -o size=64k tmpfs {p.out}"]


def _failing_commit(exc: BaseException) -> Callable[[P, pytest.MonkeyPatch], None]:
    """The commit fails as on a full disk: DuckDB ends the transaction, then raises."""
    def setup(p: P, mp: pytest.MonkeyPatch) -> None:
        import pipeline.run as run_module

        real = run_module.open_warehouse

        class Con:
            def __init__(self, con):
                self._con = con

            def execute(self, sql, *args, **kw):
                if sql == "commit":
                    self._con.execute("rollback")
                    raise exc
                return self._con.execute(sql, *args, **kw)

            def __getattr__(self, name):
                return getattr(self._con, name)

        from contextlib import contextmanager

        @contextmanager
        def opened(*a, **kw):
            with real(*a, **kw) as con:
                yield Con(con)

        mp.setattr(run_module, "open_warehouse", opened)
    return setup


def _full_reports(p: P, mp: pytest.MonkeyPatch) -> None:
    import pipeline.report.export as export

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    mp.setattr(export.os, "fsync", fsync)


def _truncate(p: P, mp: pytest.MonkeyPatch) -> None:
    data = p.warehouse.read_bytes()
    p.warehouse.write_bytes(data[: len(data) // 3])


def _corrupt(p: P, mp: pytest.MonkeyPatch) -> None:
    data = bytearray(p.warehouse.read_bytes())
    data[4096:12288] = os.urandom(8192)  # the database headers
    p.warehouse.write_bytes(bytes(data))


def _drop_label(p: P, mp: pytest.MonkeyPatch) -> None:
    import yaml

    for lang in ("en", "ms"):
        f = p.reference / "labels" / f"{lang}.yaml"
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        del doc["charts"]["mix"]["title"]
        f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def _latin1_suite(p: P, mp: pytest.MonkeyPatch) -> None:
    f = p.expectations / "interactions.json"
    f.write_bytes(f.read_bytes().replace(b'"interactions"', b'"interactions", "note": "caf\xe9"',
                                         1))


def _symlink_loop(p: P, mp: pytest.MonkeyPatch) -> None:
    os.symlink("loop.csv", p.data / "calls" / "loop.csv")


def _deleted_after_listing(p: P, mp: pytest.MonkeyPatch) -> None:
    import pipeline.ingest as ingest

    real = ingest.resolve_files

    def listed(*a, **kw):
        files = real(*a, **kw)
        (p.data / "calls" / "b.csv").unlink()  # gone between the listing and the reading
        return files

    mp.setattr(ingest, "resolve_files", listed)


def _unreadable(p: P, mp: pytest.MonkeyPatch) -> None:
    import pipeline.ingest as ingest

    real = Path.open

    def open_(self, mode="r", *a, **kw):
        if self.name == "b.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, mode, *a, **kw)

    mp.setattr(ingest.Path, "open", open_)


def _one_long_line(p: P, mp: pytest.MonkeyPatch) -> None:
    with (p.data / "calls" / "b.csv").open("wb") as f:
        f.write(b"id,customer," + b"x" * (100 << 20))


def _long_header_field(p: P, mp: pytest.MonkeyPatch) -> None:
    (p.data / "calls" / "b.csv").write_bytes(b"id,customer," + b"x" * (200 << 10) + b"\nR1,C1\n")


def _unknown_reason(p: P, mp: pytest.MonkeyPatch) -> None:
    """A first action for a misspelt reason (it would never match: silently no action)."""
    f = p.reference / "playbook.yaml"
    typo = ("actions:\n  - id: typo\n    reasons: [rating_low_promise_kep]\n    kpi: csat\n"
            "    text: {en: Call back., ms: Hubungi semula.}\n")
    text = f.read_text(encoding="utf-8")
    assert text.count("\nactions:\n") == 1
    f.write_text(text.replace("\nactions:\n", "\n" + typo, 1), encoding="utf-8")


def _a_file(p: P, mp: pytest.MonkeyPatch) -> None:
    (p.root / "a-file").write_text("not a folder\n")


CASES = [
    Case("reports folder read-only", "Read-only file system", mounts=_ro(lambda p: p.out),
         fragments=(" nothing committed",)),
    Case("warehouse folder read-only", "Read-only file system",
         mounts=_ro(lambda p: p.warehouse.parent), fragments=("wh",)),
    Case("disk full at commit (DuckDB)", "No space left on device",
         _failing_commit(duckdb.IOException(
             'Could not write file "w.duckdb.wal": No space left on device')),
         fragments=("nothing committed", "free some space")),
    Case("disk full at commit (OSError)", "No space left on device",
         _failing_commit(OSError(errno.ENOSPC, "No space left on device")),
         fragments=("nothing committed", "free some space")),
    Case("reports folder full (held files)", "No space left on device", _full_reports,
         fragments=("nothing committed", "free some space")),
    Case("reports folder full (a small file system)", "No space left on device",
         mounts=_small_tmpfs, fragments=("nothing committed",)),
    Case("truncated warehouse", "is not a readable DuckDB warehouse", _truncate,
         fragments=("backup", "make clean")),
    Case("corrupted warehouse", "is not a readable DuckDB warehouse", _corrupt,
         fragments=("backup", "make clean")),
    Case("a label missing in en.yaml", "labels/en.yaml: charts.mix.title: missing", _drop_label),
    Case("an expectation suite not in UTF-8", "interactions.json: not UTF-8 text",
         _latin1_suite),
    Case("a symlink loop on the pattern", "loop.csv", _symlink_loop,
         fragments=("symbolic links",)),
    Case("a file deleted after listing", "b.csv: No such file or directory",
         _deleted_after_listing, fragments=("nothing committed",)),
    Case("a file not readable", "b.csv: Permission denied", _unreadable,
         fragments=("nothing committed",)),
    Case("a 100 MB single line", "b.csv: line 1 has no line break", _one_long_line),
    Case("a 200 KB field in the header", "b.csv: line 1 is no header: a field of over 131,072 "
         "characters", _long_header_field, fragments=("csv.delimiter",)),
    Case("--memory-limit 0GB", "--memory-limit: '0GB' is too small",
         argv=lambda p: p.args("run", **{"--memory-limit": "0GB"})),
    Case("--out naming a file", "--out", _a_file,
         argv=lambda p: p.args("run", **{"--out": p.root / "a-file"}),
         fragments=("a-file", "not a folder")),
    Case("--data-dir that does not exist", "--data-dir",
         argv=lambda p: p.args("run", **{"--data-dir": p.root / "nonexistent"}),
         fragments=("nonexistent", "no such folder")),
    Case("a playbook action for an unknown reason",
         "playbook.yaml: actions.typo.reasons: 'rating_low_promise_kep' is not "
         "a reason code", _unknown_reason),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_line(p: P, case: Case, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    if case.mounts and not UNSHARE:
        pytest.skip("needs a private mount namespace (unshare -m)")
    before = p.snapshot()
    runs = len(p.snapshot()["runs"])
    case.setup(p, monkeypatch)
    if not isinstance(before, str) and case.setup in (_truncate, _corrupt):
        before = p.snapshot()  # the spoiled file's bytes
    argv = case.argv(p)
    if case.mounts:
        code, err = in_namespace(case.mounts(p), argv, case.env)
    else:
        code, err = in_process(p, argv, capsys)
    assert "Traceback" not in err, err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for fragment in (case.fragment, *case.fragments):
        assert fragment.replace("{p}", str(p.root)) in lines[0], lines[0]
    assert code == case.code, err
    monkeypatch.undo()
    assert p.snapshot() == before
    if isinstance(before, dict):
        assert len(before["runs"]) == runs  # nothing recorded


# --- cases with another outcome -------------------------------------------------------------


def test_sigint_during_the_report(p: P) -> None:
    """SIGINT while DuckDB runs a report query: `interrupted: nothing committed`, exit 130."""
    script = textwrap.dedent(f"""
        import dataclasses, os, signal, sys, threading
        import pipeline.run as run_module
        from pipeline.cli import main
        real = run_module.build_report
        def slow(con, cfg, *a):
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
            con.execute("select count(*) from range(100000000000) a").fetchall()
            return real(con, cfg, *a)
        run_module.STAGES = tuple(dataclasses.replace(s, build=slow) if s.name == "report"
                                  else s for s in run_module.STAGES)
        sys.exit(main({p.args()!r}))
    """)
    before = p.snapshot()
    proc = subprocess.run([PY, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == "interrupted: nothing committed"
    assert proc.returncode == 130
    assert p.snapshot() == before


def test_older_warehouse_is_migrated(p: P, capsys) -> None:
    """A warehouse whose interactions lack a nullable column schema.sql now has: the column is
    added (the data kept) and the run goes on."""
    con = duckdb.connect(str(p.warehouse))
    con.execute("alter table interactions drop column language")
    con.close()
    assert main(p.args()) == 0, capsys.readouterr().err
    con = duckdb.connect(str(p.warehouse), read_only=True)
    try:
        assert con.execute("select count(*), count(language) from interactions").fetchall() \
            == [(50, 0)]
    finally:
        con.close()


def test_older_warehouse_without_a_required_column_is_named(p: P, capsys) -> None:
    """A column schema.sql cannot add (not null): one line naming the table and the column."""
    con = duckdb.connect(str(p.warehouse))
    con.execute("alter table run_files drop column target")
    con.close()
    before = p.snapshot()
    assert main(p.args()) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "run_files has no column target" in err and "older version" in err, err
    assert "make clean" in err
    assert p.snapshot() == before


def test_c_locale(p: P) -> None:
    """LC_ALL=C PYTHONUTF8=0: every text file the package reads is read as UTF-8."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
           "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([PY, "-m", "pipeline", *p.args()], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_text_is_opened_without_an_encoding() -> None:
    """Every read_text/write_text/open in text mode under pipeline/ names its encoding (the call
    and the line after it are looked at)."""
    import re

    bad = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, text in enumerate(lines):
            for m in re.finditer(r"\.(?:read_text|write_text)\(|(?<![\w.])(?:\w+\.)?open\(",
                                 text):
                call = text[m.start():] + " " + (lines[n + 1] if n + 1 < len(lines) else "")
                if call.startswith(("os.open", "gzip.open", "fdopen")):
                    continue
                if "encoding" not in call and not re.search(r"[\"'][rwax+]*b[+]?[\"']", call):
                    bad.append(f"{path.relative_to(ROOT)}:{n + 1}: {text.strip()}")
    assert bad == []


def test_latest_md_waits_for_the_commit(p: P, capsys, monkeypatch) -> None:
    """validation/latest.md describes the last committed run, never one rolled back."""
    latest = p.out / "validation" / "latest.md"
    committed = latest.read_text(encoding="utf-8")

    def run_folders() -> set[str]:
        return {d.name for d in (p.out / "validation").iterdir() if d.is_dir()}

    before = run_folders()
    _failing_commit(duckdb.IOException("Could not write: No space left on device"))(
        p, monkeypatch)
    assert main(p.args()) == 2
    assert latest.read_text(encoding="utf-8") == committed
    # nor does the rolled-back run leave a folder of evidence (a critical failure would)
    assert run_folders() == before
    assert not list((p.out / "validation").glob(".*.tmp"))
    monkeypatch.undo()
    assert main(p.args(*(), **{})) == 0
    assert latest.read_text(encoding="utf-8") != committed  # the new run's, once committed
    assert len(run_folders() - before) == 1

