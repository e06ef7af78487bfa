"""The single runner: lock and open the warehouse, run the stages in one transaction, commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipeline.config import RunConfig, utc_now
from pipeline.ingest import IngestResult, ingest
from pipeline.warehouse import open_warehouse


@dataclass
class RunResult:
    ingest: IngestResult | None = None
    stages: dict[str, Any] = field(default_factory=dict)


Stage = Callable[[duckdb.DuckDBPyConnection, RunConfig], Any]


def _stages() -> list[tuple[str, Stage]]:
    return [("ingest", ingest)]


def run(cfg: RunConfig, only: tuple[str, ...] | None = None) -> RunResult:
    """Run the stages (all, or `only` these) as one all-or-nothing transaction."""
    result = RunResult()
    with open_warehouse(cfg.warehouse, cfg.memory_limit) as con:
        started = utc_now()
        con.execute("begin transaction")
        try:
            for name, stage in _stages():
                if only and name not in only:
                    continue
                out = stage(con, cfg)
                if name == "ingest":
                    result.ingest = out
                else:
                    result.stages[name] = out
            _ledger(con, cfg, result, started)
            con.execute("commit")
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
