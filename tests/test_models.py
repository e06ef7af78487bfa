"""Tests generated from the model registry (pipeline/models.py), one per model.

Every model is one SQL file holding one select whose header states the registry's key; every
SQL file in the package is a model, a read-only query (a `queries/` folder), a macro file or the
schema; inputs come before the models that read them; and on a run over the sample every model
the warehouse keeps has a unique, never-null key. (A full rebuild equals an incremental one for
every kept model: tests/test_end_to_end.py, `_derived`.)
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import install_macros
from pipeline.models import MATERIALIZATIONS, MODELS, is_single_select, kept_models
from pipeline.run import run
from pipeline.sample import write_sample

PACKAGE = Path(models.__file__).parent
NAMES = [m.name for m in MODELS]


def test_names_are_unique() -> None:
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("model", MODELS, ids=NAMES)
def test_model_file_is_one_select_stating_its_key(model: models.Model) -> None:
    sql = model.select()
    assert is_single_select(sql), f"{model.path}: not a single select"
    assert model.materialized in MATERIALIZATIONS
    assert (model.scope is not None) == (model.materialized == "incremental")
    header = " ".join(line.removeprefix("--").strip() for line in sql.splitlines()
                      if line.startswith("--"))
    stated = re.search(r"\(key: ([a-z_, ]+)[\);,]", header)
    assert stated, f"{model.path}: the header states no (key: ...)"
    assert tuple(k.strip() for k in stated.group(1).split(",")) == model.key, model.path


def test_every_sql_file_is_a_model_a_query_or_a_macro() -> None:
    registered = {m.path for m in MODELS}
    stray = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.sql"))
             if p not in registered and p.parent.name not in ("queries", "macros")
             and p.name != "schema.sql"]
    assert stray == []


@pytest.mark.parametrize("name", [p.relative_to(PACKAGE).as_posix()
                                  for p in sorted(PACKAGE.rglob("queries/*.sql"))])
def test_queries_only_read(name: str) -> None:
    statements = duckdb.extract_statements((PACKAGE / name).read_text(encoding="utf-8"))
    assert [s.type for s in statements] == [duckdb.StatementType.SELECT], name


def test_inputs_come_before_the_models_that_read_them() -> None:
    position = {name: i for i, name in enumerate(NAMES)}
    late = [(m.name, i) for m in MODELS for i in m.inputs
            if i in position and position[i] >= position[m.name] and i != m.name]
    assert late == []


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("models")
    write_sample(root / "data" / "sample", interactions=3000, customers=600)
    cfg = RunConfig(warehouse=root / "w.duckdb", data_dir=root / "data",
                    reports_dir=root / "reports", quiet=True)
    run(cfg)
    con = duckdb.connect(str(root / "w.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("model", kept_models(), ids=[m.name for m in kept_models()])
def test_kept_model_key_is_unique_and_not_null(warehouse, model: models.Model) -> None:
    keys = ", ".join(model.key)
    required = [k for k in model.key if k not in model.nullable] or ["false"]
    rows, distinct, nulls = warehouse.execute(
        f"select count(*), count(distinct ({keys})), "
        f"count(*) filter (where {' or '.join(f'{k} is null' for k in required)}) "
        f"from {model.name}").fetchall()[0]
    assert rows > 0, f"{model.name} is empty on the sample"
    assert (distinct, nulls) == (rows, 0)


def test_the_run_leaves_exactly_the_kept_models(warehouse) -> None:
    tables = {t for (t,) in warehouse.execute(
        "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    kept = {m.name for m in kept_models()}
    assert kept <= tables
    assert not {m.name for m in MODELS if not m.kept or m.materialized == "temporary"} & tables


_CTE = re.compile(r"\b([a-z_][a-z0-9_]*)\s+as\s+(?:not\s+)?(?:materialized\s+)?\(", re.I)
_FROM = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b", re.I)


def _tables_read(sql: str) -> set[str]:
    """The tables a select reads: DuckDB's own parser (parameters read as null, macros
    installed); where its binder cannot follow (a `using` join of two CTEs), every name after
    from/join that is no CTE of the file."""
    con = duckdb.connect()
    install_macros(con)
    try:
        return set(con.get_table_names(re.sub(r"\$[a-z_]+", "null", sql)))
    except duckdb.BinderException:
        body = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
        ctes = {m.lower() for m in _CTE.findall(body)}
        return {m.lower() for m in _FROM.findall(body)} - ctes - {"unnest", "range", "values"}
    finally:
        con.close()


@pytest.mark.parametrize("model", MODELS, ids=NAMES)
def test_declared_inputs_are_what_the_select_reads(model: models.Model) -> None:
    """The registry's inputs are what a fingerprint and the build order rely on: a table read
    but not declared (or declared but not read) fails here."""
    assert _tables_read(model.select()) == set(model.inputs) | set(model.previous)


# every parameter any model binds, with a value (the fingerprint tests need no data)
_PARAMS = {p: 1 for m in MODELS for p in m.parameters()}


@pytest.fixture()
def ledger():
    """A connection holding only model_fingerprints: fingerprints need no data."""
    con = duckdb.connect()
    con.execute("create table model_fingerprints (model varchar primary key, fingerprint "
                "varchar not null, as_of timestamp, run_id varchar)")
    yield con
    con.close()


def _edited(monkeypatch, name: str) -> None:
    original = models.Model.select
    monkeypatch.setattr(models.Model, "select", lambda self: original(self) + (
        "\n-- edited" if self.name == name else ""))


_READS = [(m.name, i) for m in MODELS for i in m.inputs if i in models.BY_NAME]


@pytest.mark.parametrize(("name", "read"), _READS, ids=[f"{n}<-{i}" for n, i in _READS])
def test_a_fingerprint_changes_with_the_sql_of_each_model_it_reads(
        ledger, monkeypatch, name: str, read: str) -> None:
    """Editing an input model's SQL changes the reader's fingerprint: through the input's
    recorded fingerprint once it is rebuilt (a kept table), or directly (a temporary one, built
    again by the same stage). No stage lists what it is built from."""
    for m in models.upstream(name):
        if m.kept and m.materialized != "temporary":
            models.record(ledger, m.name, _PARAMS)
    before = models.fingerprint(ledger, name, _PARAMS)
    _edited(monkeypatch, "mart_channel" if name != "mart_channel" else "mart_month")
    assert models.fingerprint(ledger, name, _PARAMS) == before  # an unrelated model
    _edited(monkeypatch, read)
    models.record(ledger, read, _PARAMS)  # the input rebuilt (a temporary one: no effect)
    assert models.fingerprint(ledger, name, _PARAMS) != before


_BINDS = [(m.name, p) for m in MODELS for p in m.parameters()]


@pytest.mark.parametrize(("name", "param"), _BINDS, ids=[f"{n}:{p}" for n, p in _BINDS])
def test_a_fingerprint_changes_with_each_setting_but_not_with_the_clock(
        ledger, name: str, param: str) -> None:
    """A parameter is part of the fingerprint (a new threshold rebuilds) unless the registry
    says it moves with the data (a clock, a data end, the run's id: the incremental bookkeeping
    follows those)."""
    m = models.model(name)
    before = models.fingerprint(ledger, name, _PARAMS)
    after = models.fingerprint(ledger, name, {**_PARAMS, param: 2})
    assert (after == before) == (param in m.moving)


def test_a_fingerprint_follows_provided_inputs_and_kept_tables_as_built(ledger) -> None:
    """Reference rows and settings the Python code provides are part of their readers'
    fingerprints; so is a kept input as last built (not as it would be built now)."""
    params = {"run_id": "a"}
    before = models.fingerprint(ledger, "ref_touchpoint_keywords")
    models.provide(ledger, "_in_ref_touchpoint_keywords", [{"keyword": "refund"}])
    assert models.fingerprint(ledger, "ref_touchpoint_keywords") != before
    models.record(ledger, "ref_touchpoint_keywords")
    mapped = models.fingerprint(ledger, "interaction_touchpoints", params)
    models.provide(ledger, "_in_ref_touchpoint_keywords", [{"keyword": "refunds"}])
    assert models.fingerprint(ledger, "interaction_touchpoints", params) == mapped
    models.record(ledger, "ref_touchpoint_keywords")  # rebuilt from the new rows
    assert models.fingerprint(ledger, "interaction_touchpoints", params) != mapped
    # the customer's words read in other languages: the outcomes are built from something else
    score = {p: 1 for p in models.model("interaction_outcomes").parameters()}
    models.provide(ledger, "sentiment_input", {"languages": ["ms"]})
    words = models.fingerprint(ledger, "interaction_outcomes", score)
    models.provide(ledger, "sentiment_input", {"languages": ["ms", "en"]})
    assert models.fingerprint(ledger, "interaction_outcomes", score) != words


def test_is_current_needs_the_table_and_the_same_fingerprint(ledger) -> None:
    ledger.execute("create table mart_channel as select 1 as channel")
    assert not models.is_current(ledger, "mart_channel")  # never recorded
    models.record(ledger, "mart_channel")
    assert models.is_current(ledger, "mart_channel")
    models.provide(ledger, "int_mart_metrics", "rebuilt from other rows")
    assert not models.is_current(ledger, "mart_channel")
    models.record(ledger, "mart_channel")
    ledger.execute("drop table mart_channel")
    assert not models.is_current(ledger, "mart_channel")


def test_upstream_follows_the_declared_inputs() -> None:
    # segments are built from contacts, outcomes and touchpoints, and so from what those read
    assert [m.name for m in models.upstream("customer_segments")] == [
        "ref_touchpoint_rules", "ref_touchpoint_keywords", "ref_channel_expectations",
        "ref_phrases", "ref_cause_words", "ref_cause_topics", "ref_sentiment_terms",
        "ref_sentiment_modifiers", "interaction_touchpoints", "customer_words_sentiment",
        "interaction_outcomes", "int_segment_contacts", "int_customer_windows",
        "customer_segments"]
