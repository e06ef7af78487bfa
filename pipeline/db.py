"""Small query helpers. DuckDB 2 wants every result fully fetched before the next statement."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

# The shared SQL macros: statistics (Wilson interval, counted percentile) and text normalisation.
MACRO_FILES = (
    Path(__file__).parent / "macros" / "stats.sql",
    Path(__file__).parent / "touchpoints" / "macros.sql",
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
