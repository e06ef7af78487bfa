"""Every path the pipeline uses, from the project root. Nothing else builds paths."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
REFERENCE = DATA / "reference"
SOURCES = REFERENCE / "sources"
WAREHOUSE = DATA / "warehouse.duckdb"
EXPECTATIONS = ROOT / "expectations"
REPORTS = ROOT / "reports"
# owners' statuses of the work plan's actions: read by the report, never written
WORKPLAN = DATA / "workplan"
NOTEBOOKS = ROOT / "notebooks"
