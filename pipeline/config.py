"""The one typed object that carries a run's parameters through the stages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline import paths


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class RunConfig:
    warehouse: Path = paths.WAREHOUSE
    data_dir: Path = paths.DATA
    sources_dir: Path = paths.SOURCES
    reference_dir: Path = paths.REFERENCE
    expectations_dir: Path = paths.EXPECTATIONS
    reports_dir: Path = paths.REPORTS
    # status.csv / edited work-plan CSVs (pipeline.report.followup); read, never written
    workplan_dir: Path = paths.WORKPLAN
    # The clock is injected: "future" time stamps are judged against this, never SQL's now().
    now: datetime = field(default_factory=utc_now)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    lang: str = "en"
    period_from: str | None = None
    period_to: str | None = None
    # --period all: every day with data (a year, quarter or month is given as period_from/to)
    period_all: bool = False
    quiet: bool = False
    # GX validates staged rows in chunks of this size (bounded memory).
    validation_chunk_rows: int = 1_000_000
    memory_limit: str = "2GB"  # DuckDB spills beyond it; the process stays under 4 GiB at 10M
    # The report quotes a few notes per touchpoint (e-mail addresses and phone numbers masked);
    # off by default: notes and transcripts may hold personal data.
    examples: bool = False
    # Sources whose rows, quarantine and ledger entries ingest replaces by reading their files
    # again with the current mapping (`--reload SOURCE`).
    reload: tuple[str, ...] = ()
