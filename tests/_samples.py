"""A generated sample run through every stage, for tests that need a real warehouse."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.run import run
from pipeline.sample import write_sample


def sample_warehouse(root: Path, interactions: int, customers: int) -> Path:
    """Write the sample under root/data/sample and run the whole pipeline into root/w.duckdb."""
    write_sample(root / "data" / "sample", interactions=interactions, customers=customers)
    cfg = RunConfig(warehouse=root / "w.duckdb", data_dir=root / "data",
                    reports_dir=root / "reports", now=datetime(2026, 11, 22), quiet=True)
    run(cfg)
    return cfg.warehouse
