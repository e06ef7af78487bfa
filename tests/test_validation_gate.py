"""The validation gate: an expectation that cannot be evaluated is a configuration error in its
suite file, never "bad data"; a table with nothing new staged has nothing to validate.

(A critical failure stopping the run with its evidence kept, and a warning publishing, are in
test_ingest.py; the warning shown in the report is in test_privacy.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_ingest import CALLS, CALLS_MAPPING, Project

from pipeline.errors import UserError, ValidationFailed
from pipeline.run import run


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path)
    p.mapping("calls", CALLS_MAPPING)
    p.file("calls/calls_2026-03.csv", CALLS)
    return p


def _add(p: Project, suite: str, expectation: dict) -> None:
    path = p.expectations / f"{suite}.json"
    doc = json.loads(path.read_text())
    doc["expectations"].append(expectation)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "suite,expectation,message",
    [
        ("interactions",
         {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nope"}},
         "interactions.json: column 'nope' is not a column of interactions (columns: "
         "interaction_id, customer_id,"),
        ("interactions", {"type": "expect_the_moon", "kwargs": {}},
         "expectations/interactions.json: expectations[12].type: 'expect_the_moon' is not a "
         "Great Expectations expectation"),
        ("interactions",
         {"type": "expect_column_values_to_be_between",
          "kwargs": {"column": "rating", "min_value": "low"}},
         "expectations/interactions.json: 5 validation errors for ExpectColumnValuesToBeBetween"),
        ("interactions",
         {"type": "expect_column_values_to_match_regex",
          "kwargs": {"column": "interaction_id", "regex": "(["}, "severity": "warning"},
         "expectations/interactions.json: expect_column_values_to_match_regex(interaction_id) "
         "could not be evaluated: Invalid regular expression"),
        ("run_files",
         {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nope"}},
         "expectations/run_files.json: expect_column_values_to_not_be_null(nope) could not be "
         "evaluated: Error: The column \"nope\" in BatchData does not exist."),
    ],
    ids=["unknown column", "unknown type", "bad argument", "raises (warning)",
         "raises (critical)"],
)
def test_an_expectation_that_cannot_run_is_a_configuration_error(
        project: Project, suite: str, expectation: dict, message: str) -> None:
    _add(project, suite, {"severity": "critical", **expectation})
    cfg = project.config()
    with pytest.raises(UserError) as err:
        run(cfg, only=("ingest",))
    assert not isinstance(err.value, ValidationFailed)  # not bad data
    assert err.value.exit_code == 2
    text = str(err.value)
    assert text.startswith("configuration error in ") and message in text
    assert "\n" not in text
    assert project.snapshot()["runs"] == []  # nothing committed
    # Not a data problem: no quarantine is kept "for inspection".
    assert not list((project.root / "reports").rglob("quarantine_*.parquet"))


def test_a_header_only_file_publishes_with_a_warning(project: Project) -> None:
    project.file("calls/empty.csv", CALLS.strip().splitlines()[0] + "\n")
    result = project.run().ingest
    counts = {f.file: (f.rows_read, f.staged) for f in result.files}
    assert counts == {"calls/calls_2026-03.csv": (4, 4), "calls/empty.csv": (0, 0)}
    assert result.validation_warnings == [
        "run_files: expect_column_values_to_be_between(rows_read) — 1 unexpected, e.g. 0"]


def test_a_file_of_rows_loaded_before_publishes_quietly(project: Project) -> None:
    """A re-export (new bytes, same rows): every row a duplicate, nothing new to validate."""
    project.run()
    project.file("calls/again.csv", CALLS.replace(";INQ;", ';"INQ";'))  # same values
    result = project.run().ingest
    (f,) = [f for f in result.files if f.status == "loaded"]
    assert (f.rows_read, f.staged, f.quarantined, f.duplicates) == (4, 0, 0, 4)
    assert result.validation_warnings == []
    assert project.query("select count(*) from interactions") == [(4,)]


def test_customer_id_is_expected_only_from_sources_that_map_one(tmp_path: Path) -> None:
    """A source without a customer id (anonymous feedback) does not trip the customer_id
    warning; a source that maps one and leaves it empty does, counting only its own rows."""
    p = Project(tmp_path)
    p.mapping("feedback", """
        source: feedback
        files: feedback/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: at
          channel: {value: web}
    """)
    p.file("feedback/f.csv", "id,at\n" + "".join(f"F{i},2026-03-18 10:00:00\n" for i in range(40)))
    first = run(p.config(), only=("ingest",))
    assert first.ingest.total("staged") == 40
    assert not any("customer_id" in w for w in first.ingest.validation_warnings)
    p.mapping("tickets", """
        source: tickets
        files: tickets/*.csv
        format: csv
        fields:
          interaction_id: id
          customer_id: cust
          occurred_at: at
          channel: {value: email}
    """)
    p.file("tickets/t.csv", "id,cust,at\nT1,C1,2026-03-18 10:00:00\nT2,,2026-03-18 11:00:00\n")
    p.file("feedback/g.csv", "id,at\n" + "".join(f"G{i},2026-03-19 10:00:00\n" for i in range(40)))
    second = run(p.config(), only=("ingest",))
    assert second.ingest.total("staged") == 42
    # 41 of the 42 rows have no customer id, but only one comes from a source that maps it
    assert [w for w in second.ingest.validation_warnings if "customer_id" in w] == [
        "interactions: expect_column_values_to_not_be_null(customer_id) — 1 unexpected, "
        "e.g. <NA>"]
