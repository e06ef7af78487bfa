"""Thin command line over the stages. User errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.errors import UserError


def _config(args: argparse.Namespace) -> RunConfig:
    kwargs = {
        "warehouse": Path(args.warehouse),
        "data_dir": Path(args.data_dir),
        "sources_dir": Path(args.sources),
        "expectations_dir": Path(args.expectations),
        "reports_dir": Path(args.reports),
        "memory_limit": args.memory_limit,
    }
    if args.now:
        try:
            kwargs["now"] = datetime.fromisoformat(args.now).replace(tzinfo=None)
        except ValueError:
            raise UserError(f"--now: '{args.now}' is not an ISO date or time") from None
    for opt in ("lang",):
        if getattr(args, opt, None):
            kwargs[opt] = getattr(args, opt)
    return RunConfig(**kwargs)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--warehouse",
        default=str(paths.WAREHOUSE),
        help="DuckDB warehouse file (default: %(default)s)",
    )
    common.add_argument(
        "--data-dir",
        default=str(paths.DATA),
        help="folder the source mappings' file patterns are relative to",
    )
    common.add_argument("--sources", default=str(paths.SOURCES), help="source mapping folder")
    common.add_argument(
        "--expectations", default=str(paths.EXPECTATIONS), help="expectation suite folder"
    )
    common.add_argument("--reports", default=str(paths.REPORTS), help="output folder")
    common.add_argument("--now", help="the clock for 'future' checks (ISO time; default: now)")
    common.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit")

    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description="Touchpoint analysis: ingest → map → score → report."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="STAGE")
    sub.add_parser(
        "ingest",
        parents=[common],
        help="load new files from every source mapping into the warehouse",
    )
    run = sub.add_parser("run", parents=[common], help="run every stage (what `make report` does)")
    run.add_argument("--lang", default="en", help="report language (en, ms)")
    return parser


def _print_ingest(result) -> None:
    files = result.files
    print(
        f"run {result.run_id}: {sum(f.status == 'loaded' for f in files)} file(s) loaded, "
        f"{sum(f.status == 'already_loaded' for f in files)} already loaded"
    )
    by_source: dict[str, list[int]] = {}
    for f in files:
        t = by_source.setdefault(f.source, [0, 0, 0, 0])
        for i, v in enumerate((f.rows_read, f.staged, f.quarantined, f.duplicates)):
            t[i] += v
    print(f"  {'source':<14}{'read':>10}{'staged':>10}{'quarantined':>13}{'duplicates':>12}")
    for src, (r, s, q, d) in sorted(by_source.items()):
        print(f"  {src:<14}{r:>10,}{s:>10,}{q:>13,}{d:>12,}")
    for w in result.validation_warnings:
        print(f"  warning: {w}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        cfg = _config(args)
        from pipeline.run import run

        if args.command == "ingest":
            result = run(cfg, only=("ingest",))
            _print_ingest(result.ingest)
        elif args.command == "run":
            result = run(cfg)
            _print_ingest(result.ingest)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing committed", file=sys.stderr)
        return 130
    return 0
