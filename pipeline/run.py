"""The single runner: lock and open the warehouse, run the stages in one transaction, commit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipeline.config import RunConfig, utc_now
from pipeline.errors import UserError
from pipeline.ingest import IngestResult, publish_batch, stage_batch, staging_area
from pipeline.outcomes import score_outcomes
from pipeline.outcomes.sentiment import load_sentiment_reference
from pipeline.progress import Progress
from pipeline.reference import load_reference
from pipeline.report import build_period_models, build_report
from pipeline.report.export import hold_writes, remove_stale_temp_files
from pipeline.report.followup import load_statuses
from pipeline.report.labels import load_labels
from pipeline.report.playbook import load_playbook
from pipeline.retention import build_retention
from pipeline.retention.config import load_retention_config
from pipeline.touchpoints import map_touchpoints
from pipeline.warehouse import open_warehouse


@dataclass
class RunResult:
    ingest: IngestResult | None = None
    stages: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stage:
    """A stage after ingest: the function that builds its models inside the run's transaction."""

    name: str
    build: Callable[..., Any]
    # given the marts stage's result: the report period, settled once, with its segments and
    # marts built (retention's segment column and the report read them)
    in_period: bool = False


# In build order. `marts` settles the report period and builds customer segments and the marts
# for it (and the previous period's comparison figures); whenever retention or the report runs,
# `marts` runs first, so every stage, run alone or together, leaves one period's segments and
# marts, and retention's segment column agrees with customer_segments.
STAGES = (
    Stage("map", map_touchpoints),
    Stage("score", score_outcomes),
    Stage("marts", build_period_models),
    Stage("retention", build_retention, in_period=True),
    Stage("report", build_report, in_period=True),
)


def _stages(only: tuple[str, ...]) -> list[Stage]:
    """The stages after ingest that `only` asks for, and `marts` before any that reads it."""
    wanted = set(only)
    if any(s.in_period and s.name in wanted for s in STAGES):
        wanted.add("marts")
    return [s for s in STAGES if s.name in wanted]


ALL_STAGES = ("ingest", "map", "score", "retention", "report")


StageObserver = Callable[[str, str], None]  # (stage name, "start" | "end")


def run(cfg: RunConfig, only: tuple[str, ...] | None = None,
        observer: StageObserver | None = None,
        wrap: Callable[[duckdb.DuckDBPyConnection], Any] | None = None) -> RunResult:
    """Run the stages (`only` these, default ALL_STAGES) as one all-or-nothing transaction.

    `observer` hears each stage start and end (the benchmark times them); "commit" is the last.
    `wrap` may stand in for the connection (the benchmark's statement profile).
    """
    notify = observer or (lambda name, event: None)
    only = only or ALL_STAGES
    check_reference(cfg, only)
    result = RunResult()
    with (open_warehouse(cfg.warehouse, cfg.memory_limit) as opened,
          _staging(opened, cfg, "ingest" in only)):
        con = wrap(opened) if wrap else opened
        remove_stale_temp_files(cfg.reports_dir)  # dead runs' only: another warehouse may share it
        started = utc_now()
        staged = None
        if "ingest" in only:
            notify("ingest", "start")
            staged = stage_batch(con, cfg)  # temporary tables only: before the transaction
        # Record numbers needed file order while reading; the later stages order explicitly,
        # and keeping insertion order makes large joins hold memory instead of spilling.
        con.execute("set preserve_insertion_order = false")
        held = hold_writes(cfg.run_id)  # report files are moved into place after the commit
        con.execute("begin transaction")
        try:
            if staged is not None:
                result.ingest = publish_batch(con, cfg, staged)
                notify("ingest", "end")
            todo = _stages(only)
            progress = Progress("run", len(todo), cfg.quiet)
            for stage in todo:
                notify(stage.name, "start")
                period = (result.stages["marts"],) if stage.in_period else ()
                result.stages[stage.name] = stage.build(con, cfg, *period)
                notify(stage.name, "end")
                progress.step(stage.name)
            _ledger(con, cfg, result, started)
            notify("commit", "start")
            con.execute("commit")
            notify("commit", "end")
        except BaseException:
            held.discard()
            try:
                con.execute("rollback")
            except duckdb.Error:
                pass  # a failed commit (a full disk) has ended the transaction: report its error
            raise
        try:
            held.release()
        except OSError as exc:  # committed: only the report files' move failed
            raise UserError(
                f"the run committed, but its report files could not be moved into place "
                f"({exc}); run `python -m pipeline report` again") from None
    return result


def check_reference(cfg: RunConfig, only: tuple[str, ...]) -> None:
    """Read and check every reference file the asked-for stages will read, before the warehouse
    is opened: a typo in the playbook fails in a second, not after ingest, map and score."""
    after_ingest = set(only) - {"ingest"}
    if not after_ingest:
        return
    ref = load_reference(cfg.reference_dir)
    load_sentiment_reference(cfg.reference_dir)
    if after_ingest & {"retention", "report"}:
        load_retention_config(cfg.reference_dir)
    if "report" in after_ingest:
        load_labels(cfg.reference_dir, cfg.lang)
        load_playbook(cfg.reference_dir, tuple(t.id for t in ref.catalog.touchpoints))
        load_statuses(cfg)  # owners' progress on earlier actions (data/workplan/)


def _staging(con: duckdb.DuckDBPyConnection, cfg: RunConfig, ingesting: bool):
    return staging_area(con, cfg) if ingesting else nullcontext()


def _ledger(con: duckdb.DuckDBPyConnection, cfg: RunConfig, result: RunResult, started) -> None:
    ing = result.ingest
    files = ing.files if ing else []
    con.execute(
        "insert into runs (run_id, started_at, finished_at, clock, files_loaded, files_skipped, "
        "rows_read, staged, quarantined, duplicates) values ($run, $started, $finished, $clock, "
        "$loaded, $skipped, $read, $staged, $quarantined, $dups)",
        {
            "run": cfg.run_id,
            "started": started,
            "finished": utc_now(),
            "clock": cfg.now,
            "loaded": sum(f.status == "loaded" for f in files),
            "skipped": sum(f.status == "already_loaded" for f in files),
            "read": sum(f.rows_read for f in files),
            "staged": sum(f.staged for f in files),
            "quarantined": sum(f.quarantined for f in files),
            "dups": sum(f.duplicates for f in files),
        },
    )
