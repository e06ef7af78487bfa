"""Every stage run on its own, after a full run, leaves the warehouse consistent (issue 15).

The report period is settled once per run, by the `marts` stage, which retention and the report
run first: mart_touchpoint holds that period (not all time), and retention's segment column
agrees with customer_segments, whichever stage ran last. The period is computed here from the
raw interactions: the last complete calendar quarter in the data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.config import RunConfig
from pipeline.run import run
from pipeline.sample import write_sample

NOW = datetime(2026, 11, 22)


def _cfg(root: Path) -> RunConfig:
    """A new run (its own run id) over the same data and warehouse."""
    return RunConfig(warehouse=root / "w.duckdb", data_dir=root / "data",
                     reports_dir=root / "reports", quiet=True, now=NOW)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("stages")
    write_sample(root / "data" / "sample", interactions=4000, customers=800)
    run(_cfg(root))
    return root, root / "w.duckdb"


def _quarter(d: date) -> tuple[date, date]:
    start = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    nxt = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def _report_period(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    last = con.execute("select max(occurred_at) from interactions").fetchall()[0][0].date()
    start, end = _quarter(last)
    return (start, end) if last == end else _quarter(start - timedelta(days=1))


def _check(path: Path) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        start, end = _report_period(con)
        in_period = con.execute(
            "select count(*) from interactions where occurred_at >= $a "
            "and occurred_at < $b + interval 1 day", {"a": start, "b": end}).fetchall()[0][0]
        assert in_period > 0
        assert con.execute("select sum(volume) from mart_touchpoint").fetchall()[0][0] \
            == in_period
        differ = con.execute(
            "select count(*) from mart_customer_retention r left join customer_segments s "
            "using (customer_id) where r.segment is distinct from s.segment").fetchall()[0][0]
        assert differ == 0
        # the marts' segment column was built from the same customer_segments
        stale = con.execute(
            "select count(*) from int_interaction_facts f join interactions i "
            "using (source, interaction_id) left join customer_segments s using (customer_id) "
            "where f.in_period and f.segment is distinct from coalesce(s.segment, "
            "'unsegmented')").fetchall()[0][0]
        assert stale == 0
        # the segments cover the window ending with the period (scoring.yaml: 365 days)
        latest = con.execute(
            "select max(i.occurred_at) from customer_segments s join interactions i "
            "using (customer_id)").fetchall()[0][0]
        assert latest is not None
    finally:
        con.close()


def test_after_a_full_run(warehouse) -> None:
    _check(warehouse[1])


@pytest.mark.parametrize("stage", ["map", "score", "marts", "retention", "report"])
def test_each_stage_alone_leaves_segments_and_marts_of_one_period(warehouse, stage) -> None:
    root, path = warehouse
    result = run(_cfg(root), only=(stage,))
    _check(path)
    if stage in ("retention", "report"):
        assert "marts" in result.stages  # run first, for the same period


def test_a_reference_typo_fails_before_anything_is_read(tmp_path) -> None:
    """Every reference file the stages read is checked before the warehouse is opened: a bad
    playbook stops the run before ingest, not after ingest, map, score and retention."""
    import shutil

    from test_ingest import Project

    from pipeline import paths
    from pipeline.errors import UserError

    project = Project(tmp_path)
    project.mapping("desk", """
        source: desk
        files: desk/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: email}
          kind: {value: complaint}
    """)
    project.file("desk/a.csv", "id,opened\n1,2024-03-01\n")
    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref, ignore=shutil.ignore_patterns("sources"))
    playbook = ref / "playbook.yaml"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace(
        "kpi: csat", "kpi: csatt", 1), encoding="utf-8")
    with pytest.raises(UserError, match="playbook.yaml"):
        run(project.config(reference_dir=ref))
    # the warehouse was never opened, so never created
    assert not project.warehouse.exists()


def test_the_period_models_are_rebuilt_when_a_model_they_read_changes(warehouse,
                                                                      monkeypatch) -> None:
    """The kept segments and marts are reused when nothing they are built from changed; the
    SQL of any model upstream of them (the registry's inputs) is part of that."""
    from pipeline import models

    root, _ = warehouse
    run(_cfg(root), only=("marts",))
    assert run(_cfg(root), only=("marts",)).stages["marts"].kept is True
    original = models.Model.select

    def edited(self: models.Model) -> str:
        return original(self) + ("\n-- edited" if self.name == "int_mart_reasons" else "")

    monkeypatch.setattr(models.Model, "select", edited)
    assert run(_cfg(root), only=("marts",)).stages["marts"].kept is False
    assert run(_cfg(root), only=("marts",)).stages["marts"].kept is True
