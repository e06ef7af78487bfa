"""Progress lines for long stages: on a terminal only, silent in CI and logs."""

from __future__ import annotations

import os
import sys
import time


class Progress:
    """`step(label, rows)` prints rows done, rate and elapsed time when stderr is a terminal."""

    def __init__(self, stage: str, total_steps: int, quiet: bool = False) -> None:
        self.stage = stage
        self.total = total_steps
        self.done = 0
        self.rows = 0
        self.began = time.perf_counter()
        self.enabled = (not quiet and sys.stderr.isatty()
                        and os.environ.get("CI", "").lower() not in ("1", "true"))

    def step(self, label: str, rows: int = 0) -> None:
        self.done += 1
        self.rows += rows
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.began
        rate = self.rows / elapsed if elapsed else 0.0
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        counted = f"{self.rows:>12,} rows  {rate:>10,.0f} rows/s  " if self.rows else ""
        sys.stderr.write(f"\r{self.stage}: {self.done}/{self.total} {label:<12} {counted}"
                         f"{elapsed:6.0f} s, ~{left:4.0f} s left ")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()
