"""Shared fixtures: a real in-memory DuckDB with the warehouse schema, and a row writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import duckdb
import pytest

from pipeline import paths

# The bookkeeping columns ingest fills; tests only care about the canonical fields.
_BOOKKEEPING = {"source_file": "test.csv", "file_hash": "h", "run_id": "test"}


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute((paths.ROOT / "pipeline" / "schema.sql").read_text(encoding="utf-8")).fetchall()
    yield c
    c.close()


AddInteractions = Callable[..., None]


@pytest.fixture
def add_interactions(con: duckdb.DuckDBPyConnection) -> AddInteractions:
    """add_interactions(dict, ...): insert interactions; source defaults to 'callcentre',
    channel to 'phone', kind to 'complaint'; time stamps may be given as ISO text."""
    counter = iter(range(1, 1_000_000))

    def add(*rows: dict[str, Any]) -> None:
        for row in rows:
            values = {
                "source": "callcentre",
                "channel": "phone",
                "kind": "complaint",
                **_BOOKKEEPING,
                "source_row": next(counter),
                **row,
            }
            for k in ("occurred_at", "promised_by", "resolved_at"):
                if isinstance(values.get(k), str):
                    values[k] = datetime.fromisoformat(values[k])
            cols = ", ".join(values)
            marks = ", ".join(f"${k}" for k in values)
            con.execute(f"insert into interactions ({cols}) values ({marks})", values).fetchall()

    return add


@pytest.fixture
def project(tmp_path):
    """A throwaway data folder, mapping folder and warehouse (test_ingest.Project)."""
    from test_ingest import Project

    return Project(tmp_path)
