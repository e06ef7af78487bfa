"""The single runner: lock and open the warehouse, run the stages in one transaction, commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipeline.config import RunConfig, utc_now
from pipeline.ingest import IngestResult, publish_batch, stage_batch
from pipeline.warehouse import open_warehouse


@dataclass
class RunResult:
    ingest: IngestResult | None = None
    stages: dict[str, Any] = field(default_factory=dict)


Stage = Callable[[duckdb.DuckDBPyConnection, RunConfig], Any]


def _stages() -> list[tuple[str, Stage]]:
    """The stages after ingest, in order; each builds its tables inside the run's transaction."""
    return []


StageObserver = Callable[[str, str], None]  # (stage name, "start" | "end")


def run(cfg: RunConfig, only: tuple[str, ...] | None = None,
        observer: StageObserver | None = None) -> RunResult:
    """Run the stages (all, or `only` these) as one all-or-nothing transaction.

    `observer` hears each stage start and end (the benchmark times them); "commit" is the last.
    """
    notify = observer or (lambda name, event: None)
    result = RunResult()
    with open_warehouse(cfg.warehouse, cfg.memory_limit) as con:
        started = utc_now()
        staged = None
        if not only or "ingest" in only:
            notify("ingest", "start")
            staged = stage_batch(con, cfg)  # temporary tables only: before the transaction
        con.execute("begin transaction")
        try:
            if staged is not None:
                result.ingest = publish_batch(con, cfg, staged)
                notify("ingest", "end")
            for name, stage in _stages():
                if only and name not in only:
                    continue
                notify(name, "start")
                result.stages[name] = stage(con, cfg)
                notify(name, "end")
            _ledger(con, cfg, result, started)
            notify("commit", "start")
            con.execute("commit")
            notify("commit", "end")
        except BaseException:
            con.execute("rollback")
            raise
    return result


def _ledger(con: duckdb.DuckDBPyConnection, cfg: RunConfig, result: RunResult, started) -> None:
    ing = result.ingest
    files = ing.files if ing else []
    con.execute(
        "insert into runs values ($run, $started, $finished, $clock, 'committed', $loaded, "
        "$skipped, $read, $staged, $quarantined, $dups)",
        {
            "run": cfg.run_id,
            "started": started,
            "finished": utc_now(),
            "clock": cfg.now,
            "loaded": sum(f.status == "loaded" for f in files),
            "skipped": sum(f.status == "already_loaded" for f in files),
            "read": sum(f.rows_read for f in files),
            "staged": sum(f.staged for f in files),
            "quarantined": sum(f.quarantined for f in files),
            "dups": sum(f.duplicates for f in files),
        },
    )
