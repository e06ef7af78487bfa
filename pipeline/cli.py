"""Thin command line over the stages. User errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.period import parse_day, parse_period

COMMANDS = {
    "run": "every stage: ingest, map, score, retention, report (what `make report` does)",
    "ingest": "load new files from every source mapping into the warehouse",
    "map": "map interactions to touchpoints (--explain ID: which rule mapped it, and why)",
    "score": "score each interaction delighted / satisfied / dissatisfied, with reasons",
    "marts": "build customer segments and the metrics marts for a period",
    "retention": "reorders after complaints by how they went, churn, and the guide's claims tested",
    "report": "write the PDF work plan and its CSV, PNG and Parquet siblings",
}


def _config(args: argparse.Namespace) -> RunConfig:
    kwargs = {"warehouse": Path(args.warehouse), "data_dir": Path(args.data_dir),
              "sources_dir": Path(args.sources), "expectations_dir": Path(args.expectations),
              "reports_dir": Path(args.out), "reference_dir": Path(args.reference),
              "workplan_dir": Path(args.workplan),
              "memory_limit": args.memory_limit, "lang": args.lang,
              "period_from": args.period_from, "period_to": args.period_to,
              "examples": args.examples,
              "reload": tuple(getattr(args, "reload", None) or ())}
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise UserError(f"--now: '{args.now}' is not an ISO date or time") from None
        # the clock is naive UTC: an offset (+08:00, Z) is converted, not dropped
        kwargs["now"] = (now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out: {out} is a file, not a folder; name a folder (created if "
                        "missing) for the report and validation results")
    data_dir = Path(args.data_dir)
    if args.command in ("run", "ingest") and not data_dir.is_dir():
        raise UserError(f"--data-dir: {data_dir}: no such folder; give the folder the source "
                        "mappings' file patterns are relative to")
    for opt, value in (("--from", args.period_from), ("--to", args.period_to)):
        if value:
            parse_day(opt, value)
    if args.period:
        if args.period_from or args.period_to:
            raise UserError("--period and --from/--to both name the report period: give one")
        days = parse_period(args.period)
        if days is None:
            kwargs["period_all"] = True
        else:
            kwargs["period_from"], kwargs["period_to"] = (d.isoformat() for d in days)
    return RunConfig(**kwargs)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--warehouse", default=str(paths.WAREHOUSE),
                        help="DuckDB warehouse file (default: data/warehouse.duckdb)")
    common.add_argument("--data-dir", default=str(paths.DATA),
                        help="folder the source mappings' file patterns are relative to")
    common.add_argument("--sources", default=str(paths.SOURCES), help="source mapping folder")
    common.add_argument("--reference", default=str(paths.REFERENCE),
                        help="reference data folder (catalog, scoring, playbook, labels)")
    common.add_argument("--expectations", default=str(paths.EXPECTATIONS),
                        help="expectation suite folder")
    common.add_argument("--out", "--reports", dest="out", default=str(paths.REPORTS),
                        help="output folder (default: reports/)")
    common.add_argument("--workplan", default=str(paths.WORKPLAN), metavar="FOLDER",
                        help="owners' action statuses: status.csv or edited work-plan CSVs "
                             "(default: data/workplan/; read, never written)")
    common.add_argument("--period", metavar="PERIOD",
                        help="report period: a year (2019), quarter (2019-Q4), month (2019-10) "
                             "or all (default: the last complete quarter with data)")
    common.add_argument("--from", dest="period_from", metavar="YYYY-MM-DD",
                        help="first day of the report period (default: last complete quarter)")
    common.add_argument("--to", dest="period_to", metavar="YYYY-MM-DD",
                        help="last day of the report period")
    common.add_argument("--lang", default="en", help="report language: en, ms, id, nl (default en)")
    common.add_argument("--now", help="the run's clock, ISO time (default: now); time stamps "
                                      "after it are quarantined and it dates the report")
    common.add_argument("--memory-limit", default="2GB",
                        help="DuckDB memory limit (2GB; DuckDB spills to disk beyond it)")
    common.add_argument("--examples", action="store_true",
                        help="quote a few notes per touchpoint in the report (e-mail addresses "
                             "and phone numbers masked); off by default: notes may hold "
                             "personal data")

    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Touchpoint analysis: ingest → map → score → report.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="STAGE")
    for name, text in COMMANDS.items():
        p = sub.add_parser(name, parents=[common], help=text, description=text)
        if name == "map":
            p.add_argument("--explain", metavar="ID",
                           help="say which rule mapped this interaction id; changes nothing")
        if name in ("ingest", "run"):
            p.add_argument("--reload", metavar="SOURCE", action="append",
                           help="replace this source's rows, quarantine and ledger entries by "
                                "reading its files again with its current mapping (repeatable)")
    src = sub.add_parser("sources", help="source mapping helpers: `sources draft FILE` prints a "
                         "draft mapping for an export", description="Source mapping helpers.")
    actions = src.add_subparsers(dest="action", required=True, metavar="ACTION")
    draft = actions.add_parser(
        "draft", help="look at an export and print a draft source mapping (YAML) to edit",
        description="Look at an export (encoding, delimiter, junk lines, header, compression, "
                    "sheet, JSON shape, time formats, rating scales) and print a draft source "
                    "mapping with a comment on each guess.")
    draft.add_argument("file", metavar="FILE", help="the export to look at")
    draft.add_argument("--data-dir", default=str(paths.DATA),
                       help="folder the mapping's `files:` pattern is relative to")
    return parser


def _print_ingest(result) -> None:
    files = result.files
    print(f"run {result.run_id}: {sum(f.status == 'loaded' for f in files)} file(s) loaded, "
          f"{sum(f.status == 'already_loaded' for f in files)} already loaded")
    by_source: dict[str, list[int]] = {}
    for f in files:
        t = by_source.setdefault(f.source, [0, 0, 0, 0])
        for i, v in enumerate((f.rows_read, f.staged, f.quarantined, f.duplicates)):
            t[i] += v
    w = max([14, *(len(s) + 2 for s in by_source)])
    print(f"  {'source':<{w}}{'read':>10}{'staged':>10}{'quarantined':>13}{'duplicates':>12}")
    for src, (r, s, q, d) in sorted(by_source.items()):
        print(f"  {src:<{w}}{r:>10,}{s:>10,}{q:>13,}{d:>12,}")
    for note in [*result.notices, *result.validation_warnings]:
        print(f"  warning: {note}")


def _explain(cfg: RunConfig, interaction_id: str) -> None:
    from pipeline.touchpoints import explain
    from pipeline.warehouse import connect

    if not cfg.warehouse.exists():
        raise UserError(f"{cfg.warehouse}: no warehouse yet; run `python -m pipeline run`")
    con = connect(cfg.warehouse, cfg.memory_limit, read_only=True)
    try:
        print(explain(con, cfg, interaction_id))
    finally:
        con.close()


def _print_tables(cfg: RunConfig, stages: dict) -> None:
    from pipeline.marts import touchpoint_table
    from pipeline.warehouse import connect

    con = connect(cfg.warehouse, cfg.memory_limit, read_only=True)
    try:
        print(touchpoint_table(con, cfg.lang))
    finally:
        con.close()
    report = stages.get("report")
    if report is not None:
        what = "no data in the period" if report.empty else f"{report.actions} action(s)"
        print(f"report {report.period} ({what}): {report.pdf}")
        print(f"  work plan CSV: {report.workplan_csv}")
        if report.followup_csv is not None:
            print(f"  follow-up CSV: {report.followup_csv} ({report.followups} earlier "
                  "action(s))")
        plans = [p for p in report.teams if p.suffix == ".pdf"]
        if plans:
            print(f"  team plans: {len(plans)} in {plans[0].parent}")
        if report.unknown_statuses:
            print(f"  warning: {report.unknown_statuses} status row(s) in {cfg.workplan_dir} "
                  "name an action no report issued: left out (see the work plan's follow-up)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "sources":
            from pipeline.ingest.draft import draft_mapping

            print(draft_mapping(Path(args.file), Path(args.data_dir)), end="")
            return 0
        cfg = _config(args)
        if args.command == "map" and args.explain:
            _explain(cfg, args.explain)
            return 0
        from pipeline.run import ALL_STAGES, run

        only = ALL_STAGES if args.command == "run" else (args.command,)
        result = run(cfg, only=only)
        if result.ingest is not None:
            _print_ingest(result.ingest)
        for name in ("map", "score", "retention"):
            if name in result.stages:
                print(f"{name}: {_summary(result.stages[name])}")
        if {"marts", "report"} & set(result.stages):
            _print_tables(cfg, result.stages)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing committed", file=sys.stderr)
        return 130
    except Exception as exc:  # the machine's errors: one line; anything else stays a traceback
        message = _environment_error(exc, args)
        if message is None:
            raise
        if message == _INTERRUPTED:
            print("interrupted: nothing committed", file=sys.stderr)
            return 130
        print(f"error: {message}", file=sys.stderr)
        return UserError.exit_code
    return 0


def _summary(out: object) -> str:
    if isinstance(out, dict):
        return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                         for k, v in out.items() if not isinstance(v, dict | list))
    return str(out)


_INTERRUPTED = "interrupted"


def _environment_error(exc: Exception, args: argparse.Namespace) -> str | None:
    """One line for an error of the machine rather than of the code: a folder read-only, a disk
    full, a file gone or unreadable, a warehouse DuckDB cannot read, a query interrupted by
    Ctrl-C. None for anything else (a bug keeps its traceback)."""
    import errno

    import duckdb

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    warehouse = getattr(args, "warehouse", "the warehouse")
    after = "; nothing committed" if args.command != "sources" and not getattr(
        args, "explain", None) else ""
    if isinstance(exc, duckdb.InterruptException) or (
            isinstance(exc, RuntimeError) and "interrupted" in text.lower()):
        return _INTERRUPTED
    if isinstance(exc, RuntimeError) and text.startswith("Symlink loop from "):
        where = text.removeprefix("Symlink loop from ").strip("'")
        return f"{where}: a loop of symbolic links; fix or remove the link{after}"
    if isinstance(exc, OSError):
        what = exc.strerror or text
        if exc.filename:
            where = f"{exc.filename}: "
        else:  # a write to an open file: the warehouse's or a report's
            where, what = "", (f"{what} while writing the warehouse ({warehouse}) or the "
                               f"reports ({getattr(args, 'out', 'reports')})")
        data_dir = Path(getattr(args, "data_dir", None) or paths.DATA).resolve()
        source = bool(exc.filename) and Path(str(exc.filename)).resolve().is_relative_to(data_dir)
        access = ("make it readable by this user, or move it out of the data folder" if source
                  else "give this user write access, or point --out / --warehouse elsewhere")
        fix = {
            errno.ENOSPC: "free some space (or point --out / --warehouse elsewhere) and run again",
            errno.EROFS: "make the folder writable, or point --out / --warehouse elsewhere",
            errno.EACCES: access,
            errno.EPERM: access,
            errno.ENOENT: ("it was removed or renamed while the run read it; run again" if source
                           else "check the path and run again"),
            errno.ELOOP: "a loop of symbolic links; fix or remove the link",
            errno.EIO: "the disk reported an error; check it and run again",
        }.get(exc.errno or 0, "check the path and run again")
        return f"{where}{what}; {fix}{after}"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (f"DuckDB ran out of memory ({text}); raise --memory-limit (now "
                f"{getattr(args, 'memory_limit', '?')}) or free memory{after}")
    if isinstance(exc, duckdb.Error) and ("Corrupt database file" in text or (
            "Could not read enough bytes" in text and Path(str(warehouse)).name in text)):
        return (f"{warehouse} is not a readable DuckDB warehouse ({text}); restore a backup, or "
                f"rebuild it from the exports: `make clean`, then `python -m pipeline run`")
    if isinstance(exc, duckdb.IOException):
        fix = ("free some space (or point --out / --warehouse elsewhere) and run again"
               if "No space left" in text else "check the folder's space and permissions")
        return f"{text}; {fix}{after}"
    return None
