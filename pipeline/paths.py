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
NOTEBOOKS = ROOT / "notebooks"
