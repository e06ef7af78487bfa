"""Small query helpers. DuckDB 2 wants every result fully fetched before the next statement."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

# The shared SQL macros: statistics (Wilson interval, counted percentile) and text normalisation.
MACRO_FILES = (
    Path(__file__).parent / "macros" / "stats.sql",
    Path(__file__).parent / "macros" / "text.sql",
)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Every shared macro (MACRO_FILES): temporary, so each connection needs them (idempotent)."""
    for path in MACRO_FILES:
        # several statements, no parameters
        con.execute(path.read_text(encoding="utf-8")).fetchall()


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | dict | None = None) -> Any:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | dict | None = None
) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def quote_ident(name: str) -> str:
    """Quote a name from a mapping or a file header as an SQL identifier, never as code."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object) -> str:
    """A string literal where DuckDB takes no parameter (reader options, COPY paths)."""
    return "'" + str(value).replace("'", "''") + "'"


def run_sql(
    con: duckdb.DuckDBPyConnection, folder: Path, name: str, params: Any = None
) -> list[dict[str, Any]]:
    """Execute folder/name.sql (one statement) with bound parameters; return every row as a dict.

    Results are always fetched in full: DuckDB 2 refuses new work while one is pending.
    """
    cur = con.execute((folder / f"{name}.sql").read_text(encoding="utf-8"), params or {})
    if cur.description is None:
        return []
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def load_table(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    table: str,
    schema: pa.Schema,
    rows: list[dict[str, Any]],
) -> None:
    """Build reference model `table` (pipeline/models.py) over the rows, registered as
    `_in_<table>`. `folder`: where the model lives (kept for the callers; the registry knows)."""
    from pipeline import models

    name = f"_in_{table}"
    models.provide(con, name, [str(schema), rows])
    con.register(name, pa.Table.from_pylist(rows, schema=schema))
    try:
        models.build(con, table)
    finally:
        con.unregister(name)
