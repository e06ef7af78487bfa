"""Two runs at once: one proceeds, the other stops at once with a clear message, never DuckDB's
raw lock error; the lock dies with the process that held it (kill -9 included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ingest import CALLS, CALLS_MAPPING, Project

from pipeline import paths
from pipeline.cli import main
from pipeline.warehouse import run_lock

ENV = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(paths.ROOT)}

# A run that stops inside its transaction (after publishing) and waits there to be killed.
HOLDER = """
import sys, time
from datetime import datetime
from pathlib import Path
from pipeline.config import RunConfig
from pipeline.run import run
warehouse, data, sources, expectations = map(Path, sys.argv[1:5])
cfg = RunConfig(warehouse=warehouse, data_dir=data, sources_dir=sources,
                expectations_dir=expectations, reports_dir=warehouse.parent / "reports",
                now=datetime(2026, 11, 1))

def observe(name, event):
    print(name, event, flush=True)
    if (name, event) == ("ingest", "end"):
        time.sleep(120)

run(cfg, only=("ingest",), observer=observe)
"""

# Another program (a notebook) with the warehouse open.
NOTEBOOK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only")
print("open", flush=True)
time.sleep(120)
"""


def _args(p: Project, command: str = "ingest") -> list[str]:
    return [command, "--warehouse", str(p.warehouse), "--data-dir", str(p.data), "--sources",
            str(p.sources), "--expectations", str(p.expectations), "--out",
            str(p.root / "reports"), "--now", "2026-11-01T00:00:00"]


def _start(script: str, *args: str, until: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=ENV, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == until:
            return proc
    proc.kill()
    raise AssertionError(f"the helper process ended before printing {until!r}")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path)
    p.mapping("calls", CALLS_MAPPING)
    p.file("calls/calls_2026-03.csv", CALLS)
    return p


def test_second_run_stops_at_once_and_the_lock_dies_with_its_holder(
        project: Project, capsys) -> None:
    holder = _start(HOLDER, str(project.warehouse), str(project.data), str(project.sources),
                    str(project.expectations), until="ingest end")
    try:
        started = time.monotonic()
        code = main(_args(project))
        waited = time.monotonic() - started
        err = capsys.readouterr().err
        assert code == 4
        assert waited < 2.0  # at once: no waiting for the other run
        assert err.startswith(f"error: another run holds {project.warehouse} since 20")
        assert f"UTC (pid {holder.pid}); wait for it to finish" in err
        assert err.count("\n") == 1
        for raw in ("IO Error", "IOException", "Could not set lock", "Conflicting lock"):
            assert raw not in err
    finally:
        _kill(holder)  # kill -9 inside its transaction, lock held
    # No stale lock: the next run starts at once, and finds nothing of the killed run.
    assert (project.warehouse.parent / "w.duckdb.lock").exists()  # the file stays: harmless
    with run_lock(project.warehouse):
        pass
    assert main(_args(project)) == 0
    assert "1 file(s) loaded" in capsys.readouterr().out
    assert project.query("select count(*), count(distinct run_id) from interactions") == [(4, 1)]
    assert project.query("select count(*) from runs") == [(1,)]


@pytest.mark.parametrize("mode", ["read_write", "read_only"])
def test_a_notebook_holding_the_warehouse_gets_a_clear_message(
        project: Project, capsys, mode: str) -> None:
    assert main(_args(project)) == 0
    capsys.readouterr()
    notebook = _start(NOTEBOOK, str(project.warehouse), mode, until="open")
    try:
        assert main(_args(project, "run")) == 4
        err = capsys.readouterr().err
        assert err == (f"error: {project.warehouse} is open in another program (a notebook or "
                       "another run?); close it and retry\n")
    finally:
        _kill(notebook)
    assert main(_args(project)) == 0  # closed (even by kill -9): the warehouse is free again


def test_run_lock_held_in_this_process_refuses_a_second_holder(tmp_path: Path) -> None:
    from pipeline.errors import WarehouseBusy

    warehouse = tmp_path / "w.duckdb"
    with run_lock(warehouse):
        with pytest.raises(WarehouseBusy) as err:
            with run_lock(warehouse):
                pass
        assert f"(pid {os.getpid()})" in str(err.value)
    with run_lock(warehouse):  # released on exit
        pass
