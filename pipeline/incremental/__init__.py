"""What changed since a table was built: the incremental bookkeeping every stage shares.

Each build records its model's fingerprint and run in `model_fingerprints` (pipeline/models.py);
a stage whose tables are current (same fingerprint) revisits only the interactions the runs since
loaded, rescored or mapped (`runs_since`, `run_changes`), and otherwise builds them whole.
"""

from __future__ import annotations

import duckdb

from pipeline.db import scalar


def runs_since(con: duckdb.DuckDBPyConnection, built_by: str | None, current: str
               ) -> list[str] | None:
    """The runs after `built_by` (in `runs`), and `current`: those whose rows a stage built by
    `built_by` has not seen. None when built_by is not on record (build everything)."""
    if built_by is None or not scalar(con, "select count(*) from runs where run_id = ?",
                                      [built_by]):
        return None
    later = con.execute("select run_id from runs where started_at > (select started_at from runs "
                        "where run_id = ?) order by run_id", [built_by]).fetchall()
    return [r for (r,) in later] + [current]


def run_changes(con: duckdb.DuckDBPyConnection, runs: list[str]) -> None:
    """Build the temporary `run_changes`: the interactions `runs` loaded, rescored or mapped."""
    from pipeline import models

    models.build(con, "run_changes", {"runs": runs})
