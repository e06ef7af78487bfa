"""What a stage last built its tables from, and what changed since: the incremental bookkeeping
every stage shares.

A stage records a fingerprint (a hash of what its tables are built from) in
`stage_fingerprints` after building them; the next run rebuilds only when the fingerprint
differs, and otherwise revisits only what the runs since changed (`run_changes`).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.db import scalar


def stored_fingerprint(con: duckdb.DuckDBPyConnection, stage: str, table: str
                       ) -> tuple[str, datetime | None] | None:
    """(fingerprint, as-of time) the stage's table was last built from, if the table exists."""
    exists = con.execute("select count(*) from duckdb_tables() where table_name = ? "
                         "and schema_name = 'main' and not temporary", [table]).fetchall()[0][0]
    stored = con.execute("select fingerprint, as_of from stage_fingerprints where stage = ?",
                         [stage]).fetchall()
    return stored[0] if stored and exists else None


def record_fingerprint(con: duckdb.DuckDBPyConnection, stage: str, fingerprint: str,
                       as_of: datetime | None = None, run_id: str | None = None) -> None:
    con.execute("insert or replace into stage_fingerprints (stage, fingerprint, as_of, run_id) "
                "values (?, ?, ?, ?)", [stage, fingerprint, as_of, run_id])


def forget_fingerprint(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    """The stage's tables are being rebuilt some other way: its next run starts afresh."""
    con.execute("delete from stage_fingerprints where stage = ?", [stage]).fetchall()


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


def upstream_fingerprints(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """What map and score were last built from: part of what a later stage is built from."""
    return con.execute("select stage, fingerprint from stage_fingerprints "
                       "where stage in ('map', 'score') order by stage").fetchall()
