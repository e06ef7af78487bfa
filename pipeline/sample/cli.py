"""Command line: `python -m pipeline.sample --out DIR ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pipeline.sample.parameters import DEFAULT_END
from pipeline.sample.write import write_sample


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.sample",
        description="Write the deterministic sample exports (same arguments, same bytes).",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write (e.g. data/sample)"
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers (default: max(5000, interactions / 10))",
    )
    parser.add_argument("--months", type=int, default=12, help="months of interactions (12)")
    parser.add_argument(
        "--interactions",
        type=int,
        default=50_000,
        help="interactions in total across the sources (50000)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--first-id", type=int, default=1,
                        help="number ids from here (for increments on top of earlier data)")
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=DEFAULT_END,
        help="last day of the window, YYYY-MM-DD (2026-10-31)",
    )
    args = parser.parse_args(argv)
    if (
        args.months < 1
        or args.interactions < 0
        or (args.customers is not None and args.customers < 1)
    ):
        parser.error("--months and --customers must be at least 1, --interactions at least 0")
    s = write_sample(
        args.out,
        customers=args.customers,
        months=args.months,
        interactions=args.interactions,
        seed=args.seed,
        end=args.end,
        first_id=args.first_id,
    )
    per_source = ", ".join(f"{k} {v:,}" for k, v in s.lines.items() if k != "surveys")
    print(
        f"wrote {s.interactions:,} interactions ({per_source}, survey answers "
        f"{s.survey_cells:,}) and {s.orders:,} orders for "
        f"{s.customers:,} customers to {args.out} in {s.seconds:.1f}s",
        file=sys.stderr,
    )
    return 0
