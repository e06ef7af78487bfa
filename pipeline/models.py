"""The model registry: every table the pipeline builds from SQL, one line each.

A model is one SQL file holding one select (no DDL), whose header comment states its grain
(`key: ...`). The registry says where the file is, the key, how it is materialized and what it
reads; `build` wraps the select in the one statement its materialization needs:

    table        create or replace table <name> as <select>        (kept in the warehouse)
    temporary    create or replace temp table <name> as <select>   (this connection only)
    incremental  delete the rows whose scope key (default: the key) is in <scope>, insert the
                 select's rows (the select reads <scope> to compute only those); full=True
                 builds the whole table instead

Read-only queries the Python code runs live apart, in each stage's `queries/` folder.
Adding a mart: its SQL file in pipeline/marts/ and one line in MODELS.

Every build records the model's fingerprint in `model_fingerprints`: a hash of its SQL, the
parameters its SQL names (but those that move with the data, `moving`: a clock, a data end) and
its inputs' fingerprints: a kept table's as last built, a temporary model's computed the same
way, a relation the Python code provides (reference rows, a setting) as provided. A stage asks
`is_current` whether a kept table was built from what it would be built from now; no stage lists
its own inputs. Base tables (interactions, orders) have no fingerprint: their new rows are what
the incremental bookkeeping (pipeline.incremental) follows.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import UserError

_ROOT = Path(__file__).parent
MATERIALIZATIONS = ("table", "temporary", "incremental")


@dataclass(frozen=True)
class Model:
    name: str
    stage: str  # the package folder holding <name>.sql
    key: tuple[str, ...]  # the grain: unique and not null
    inputs: tuple[str, ...] = ()  # tables (and ref_ tables) it reads, besides its parameters
    materialized: str = "table"
    scope: str | None = None  # incremental: the temporary table of keys to rebuild
    # incremental: the columns matched against the scope (default: the key), e.g. customer_id
    # when the scope lists customers and the grain is finer
    scope_key: tuple[str, ...] = ()
    # False: a plain table its stage drops once read (written to disk so that it can spill)
    kept: bool = True
    # kept tables it reads as the last run left them (incremental work), built later in a run
    previous: tuple[str, ...] = ()
    # key columns null by design (a grain's unused dimensions); the key is still unique
    nullable: tuple[str, ...] = ()
    # parameters that move with the data (a clock, a data end): not part of the fingerprint;
    # the stage's incremental bookkeeping follows them (model_fingerprints.as_of)
    moving: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return _ROOT / self.stage / f"{self.name}.sql"

    def select(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def parameters(self) -> tuple[str, ...]:
        """The $names its select binds (comments aside), sorted."""
        return _parameters(self.select())


_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def _parameters(sql: str) -> tuple[str, ...]:
    code = re.sub(r"--[^\n]*", "", sql)
    return tuple(sorted(set(_PARAMETER.findall(code))))


def _m(name: str, stage: str, key: str, inputs: str = "", **kw: Any) -> Model:
    """A registry line: key and inputs as comma-separated names."""
    return Model(name, stage, tuple(k.strip() for k in key.split(",")),
                 tuple(i.strip() for i in inputs.split(",") if i.strip()), **kw)


# In build order within each stage; a model's inputs come before it.
MODELS: tuple[Model, ...] = (
    # reference data, loaded from Arrow rows registered as _in_<name>
    _m("ref_touchpoints", "touchpoints", "touchpoint_id", "_in_ref_touchpoints"),
    _m("ref_touchpoint_names", "touchpoints", "touchpoint_id, language",
       "_in_ref_touchpoint_names"),
    _m("ref_touchpoint_rules", "touchpoints", "rule_id", "_in_ref_touchpoint_rules"),
    _m("ref_touchpoint_keywords", "touchpoints", "rule_id, language, keyword",
       "_in_ref_touchpoint_keywords"),
    _m("ref_channel_expectations", "outcomes", "channel", "_in_ref_channel_expectations"),
    _m("ref_phrases", "outcomes", "phrase_id, language, variant", "_in_ref_phrases"),
    _m("ref_phrase_texts", "outcomes", "phrase_id, language", "_in_ref_phrase_texts"),
    _m("ref_cause_words", "outcomes", "cause, language, keyword", "_in_ref_cause_words"),
    _m("ref_cause_topics", "outcomes", "cause, topic", "_in_ref_cause_topics"),
    _m("ref_sentiment_terms", "outcomes", "language, term", "_in_ref_sentiment_terms",
       materialized="temporary"),
    _m("ref_sentiment_modifiers", "outcomes", "language, word, role",
       "_in_ref_sentiment_modifiers", materialized="temporary"),
    _m("ref_segments", "segments", "segment_id, language", "_in_ref_segments"),
    # map: one row per interaction (built whole, or incrementally: the interactions not mapped
    # yet, map_input, are the scope)
    _m("interaction_touchpoints", "touchpoints", "source, interaction_id",
       "map_input, ref_touchpoint_rules, ref_touchpoint_keywords", moving=("run_id",),
       materialized="incremental", scope="map_input"),
    # score: the keys an incremental score recomputes, the customer's words, the outcomes
    # (full build, or the changed rows replaced: score_outcomes)
    _m("score_keys", "outcomes", "source, interaction_id", "interactions",
       materialized="temporary", previous=("interaction_outcomes",)),
    _m("customer_words_sentiment", "outcomes", "source, interaction_id",
       "sentiment_input, ref_sentiment_terms, ref_sentiment_modifiers", materialized="temporary"),
    _m("interaction_outcomes", "outcomes", "source, interaction_id",
       "score_input, customer_words_sentiment, ref_channel_expectations, ref_phrases, "
       "ref_cause_words, ref_cause_topics", moving=("as_of", "run_id")),
    # the interactions the runs since a build loaded, rescored or mapped (pipeline.incremental)
    _m("run_changes", "incremental", "source, interaction_id",
       "interactions, interaction_outcomes, interaction_touchpoints", materialized="temporary"),
    # segments
    _m("int_segment_contacts", "segments", "source, interaction_id",
       "interactions, interaction_outcomes, interaction_touchpoints", kept=False),
    _m("int_customer_windows", "segments", "previous, customer_id", "int_segment_contacts"),
    _m("customer_segments", "segments", "customer_id",
       "int_customer_windows, int_segment_contacts"),
    # marts (helper: marts and report): the report period's facts (and the period before's, for
    # the comparison), every grain's metrics and reasons, then one table per mart
    _m("int_interaction_facts", "marts", "source, interaction_id",
       "interactions, interaction_outcomes, interaction_touchpoints, customer_segments"),
    _m("int_period_metrics", "marts", "in_period, grain, touchpoint_id, channel, segment, month",
       "int_interaction_facts", nullable=("touchpoint_id", "channel", "segment", "month")),
    _m("int_mart_metrics", "marts", "grain, touchpoint_id, channel, segment, month",
       "int_period_metrics",
       nullable=("touchpoint_id", "channel", "segment", "month")),
    _m("int_mart_reasons", "marts", "grain, touchpoint_id, channel, segment, month, reason",
       "int_interaction_facts",
       nullable=("touchpoint_id", "channel", "segment", "month")),
    _m("mart_touchpoint", "marts", "touchpoint_id",
       "ref_touchpoints, int_mart_metrics, int_mart_reasons"),
    _m("mart_channel", "marts", "channel", "int_mart_metrics, int_mart_reasons"),
    _m("mart_segment", "marts", "segment",
       "ref_segments, customer_segments, int_mart_metrics, int_mart_reasons"),
    _m("mart_month", "marts", "month", "int_mart_metrics, int_mart_reasons"),
    _m("mart_touchpoint_month", "marts", "touchpoint_id, month",
       "int_mart_metrics, int_mart_reasons"),
    _m("mart_touchpoint_reasons", "marts", "touchpoint_id, reason",
       "int_mart_reasons, int_interaction_facts, int_mart_metrics"),
    _m("mart_phrases", "marts", "touchpoint_id, language, phrase_id", "int_interaction_facts"),
    _m("mart_coverage", "marts", "source", "int_interaction_facts"),
    # report: the period's median expected hours, read by two of its queries and dropped
    _m("report_expected", "report", "grain, touchpoint_id, channel", "int_interaction_facts",
       materialized="temporary"),
    # retention (helper: retention and ingest): the windows, the customers an incremental run
    # rebuilds, the contacts joined once, the tables kept between runs (replaced per customer in
    # scope), then the marts rebuilt from them on every run. retention_interactions and
    # retention_orders: temp views of interactions and orders, narrowed to the scope when
    # incremental (pipeline/retention/__init__.py)
    _m("ref_retention_windows", "retention", "window_days", "_in_ref_retention_windows"),
    _m("retention_scope", "retention", "customer_id", "run_changes, interactions, orders",
       materialized="temporary", previous=("mart_complaint_orders",)),
    _m("int_retention_contacts", "retention", "source, interaction_id",
       "retention_interactions, interaction_outcomes, interaction_touchpoints",
       materialized="temporary", moving=("data_end",)),
    _m("int_customer_history", "retention", "customer_id",
       "int_retention_contacts, retention_orders",
       materialized="incremental", scope="retention_scope", moving=("data_end",)),
    _m("mart_complaint_orders", "retention", "source, interaction_id",
       "int_retention_contacts, retention_orders", moving=("data_end",),
       materialized="incremental", scope="retention_scope", scope_key=("customer_id",)),
    _m("int_touchpoint_firsts", "retention", "customer_id, touchpoint_id",
       "int_retention_contacts, retention_orders", nullable=("touchpoint_id",),
       materialized="incremental", scope="retention_scope", scope_key=("customer_id",),
       moving=("data_end",)),
    _m("mart_customer_retention", "retention", "customer_id",
       "int_customer_history, customer_segments"),
    _m("mart_customer_reorders", "retention", "customer_id, window_days",
       "mart_customer_retention, ref_retention_windows"),
    _m("mart_retention_windows", "retention", "experience, window_days", "mart_customer_reorders"),
    _m("mart_retention_groups", "retention", "experience",
       "mart_customer_retention, mart_retention_windows, ref_retention_windows"),
    _m("mart_retention", "retention", "experience", "mart_retention_groups"),
    _m("mart_touchpoint_retention", "retention", "touchpoint_id", "int_touchpoint_firsts"),
    _m("mart_retention_claims", "retention", "claim_id", "mart_customer_retention"),
    _m("mart_cohort_retention", "retention", "cohort_month, experience, months_since",
       "mart_customer_retention, orders"),
    # repeat purchases after the first order: from orders alone (a warehouse with no contacts)
    _m("mart_repeat_purchase", "retention", "window_days",
       "mart_customer_retention, ref_retention_windows"),
    _m("mart_repeat_cohorts", "retention", "cohort_month, window_days",
       "mart_customer_retention, ref_retention_windows"),
    _m("mart_retention_curves", "retention", "experience, day", "_in_mart_retention_curves"),
    _m("mart_retention_at_risk", "retention", "experience, day", "_in_mart_retention_at_risk"),
    # ingest: each target's contested batch rows (pipeline/ingest/__init__.py, _classify, sets up
    # batch_records and warehouse_records over that target's batch and table)
    _m("batch_fate", "ingest", "_rid", "batch_records, warehouse_records",
       materialized="temporary"),
)

BY_NAME = {m.name: m for m in MODELS}


def kept_models() -> tuple[Model, ...]:
    """The models a run leaves in the warehouse."""
    return tuple(m for m in MODELS if m.kept and m.materialized != "temporary")


def model(name: str) -> Model:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not in the model registry (pipeline/models.py)") from None


def build(con: duckdb.DuckDBPyConnection, name: str, params: Any = None,
          full: bool = False, as_of: Any = None) -> None:
    """Build model `name` as its registry line says, binding the parameters its select names
    (`params` may hold more: one namespace serves a stage's models), and record its fingerprint.
    `full`: an incremental model built whole (its first build, or a rebuild). `as_of`: the clock
    or data end it was built to, kept with the fingerprint for the next incremental run."""
    m = model(name)
    select = m.select()
    bound = bind(m, params)
    if m.materialized == "table" or (m.materialized == "incremental" and full):
        sql = f"create or replace table {m.name} as\n{select}"
    elif m.materialized == "temporary":
        sql = f"create or replace temp table {m.name} as\n{select}"
    elif m.materialized == "incremental":
        # null-safe: a key column may be null by design
        match = " and ".join(f"s.{k} is not distinct from t.{k}" for k in m.scope_key or m.key)
        con.execute(f"delete from {m.name} as t where exists "
                    f"(select 1 from {m.scope} as s where {match})").fetchall()
        sql = f"insert into {m.name} by name\n{select}"
    else:  # the registry test keeps this unreachable
        raise UserError(f"{m.name}: unknown materialization {m.materialized!r}")
    con.execute(sql, bound).fetchall()
    if m.kept and m.materialized != "temporary":  # the others are built again when read
        record(con, name, params, as_of)


def build_all(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] | list[str],
              params: Any = None) -> None:
    """Build the named models in registry order, each with the parameters it names."""
    wanted = set(names)
    for m in MODELS:
        if m.name in wanted:
            build(con, m.name, params)


def bind(m: Model, params: Any) -> dict[str, Any]:
    """The parameters m's select names, taken from `params`."""
    params = params or {}
    missing = [p for p in m.parameters() if p not in params]
    if missing:  # a programming error: the caller forgot a setting
        raise KeyError(f"model {m.name} needs parameter(s) {', '.join(missing)}")
    return {p: params[p] for p in m.parameters()}


# ---- fingerprints: what each table was built from (model_fingerprints) -----------------------

def set_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The run whose builds record their fingerprints (model_fingerprints.run_id)."""
    con.execute("set variable pipeline_run = ?", [run_id]).fetchall()


def _hash(doc: Any) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """A warehouse keeps model_fingerprints; a scratch connection (the sentiment measurement,
    `explain`) builds models without keeping anything."""
    return bool(con.execute("select count(*) from duckdb_tables() where schema_name = 'main' "
                            "and table_name = 'model_fingerprints'").fetchall()[0][0])


def stored(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, Any, str | None] | None:
    """(fingerprint, as_of, run_id) `name` was last built or provided with, if on record."""
    if not _has_ledger(con):
        return None
    rows = con.execute("select fingerprint, as_of, run_id from model_fingerprints "
                       "where model = ?", [name]).fetchall()
    return rows[0] if rows else None


def fingerprint(con: duckdb.DuckDBPyConnection, name: str, params: Any = None) -> str:
    """What model `name` would be built from now, with `params` (see the module doc)."""
    m = model(name)
    own = {p: v for p, v in bind(m, params).items() if p not in m.moving}
    inputs = []
    for i in sorted(m.inputs):
        up = BY_NAME.get(i)
        if up is not None and (up.materialized == "temporary" or not up.kept):
            inputs.append((i, fingerprint(con, i, params)))  # built again by the same stage
        else:
            on_record = stored(con, i)
            inputs.append((i, on_record[0] if on_record else None))
    return _hash([m.name, m.materialized, m.select(), own, inputs, _macros()])


@cache
def _macros() -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(
        (_ROOT / "macros").glob("*.sql")))).hexdigest()


def record(con: duckdb.DuckDBPyConnection, name: str, params: Any = None,
           as_of: Any = None) -> None:
    """Record that model `name` now holds what `params` (and its inputs) build."""
    _record(con, name, fingerprint(con, name, params), as_of)


def provide(con: duckdb.DuckDBPyConnection, name: str, content: Any) -> None:
    """Record what an input the Python code provides holds (reference rows registered as
    `_in_<model>`, a setting that decides a view's rows): part of its readers' fingerprints."""
    _record(con, name, _hash(content), None)


def _record(con: duckdb.DuckDBPyConnection, name: str, value: str, as_of: Any) -> None:
    if not _has_ledger(con):
        return
    con.execute("insert or replace into model_fingerprints (model, fingerprint, as_of, run_id) "
                "values (?, ?, ?, getvariable('pipeline_run'))", [name, value, as_of]).fetchall()


def is_current(con: duckdb.DuckDBPyConnection, name: str, params: Any = None) -> bool:
    """The kept table `name` exists and was built from what it would be built from now."""
    exists = con.execute("select count(*) from duckdb_tables() where table_name = ? "
                         "and schema_name = 'main' and not temporary", [name]).fetchall()[0][0]
    on_record = stored(con, name)
    return bool(exists) and on_record is not None and on_record[0] == fingerprint(
        con, name, params)


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Every table's next build starts afresh (a source reloaded)."""
    con.execute("delete from model_fingerprints").fetchall()


def upstream(*names: str) -> list[Model]:
    """The named models and every model they read, directly or not (registry order)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in BY_NAME:
            continue
        seen.add(name)
        m = BY_NAME[name]
        todo += [*m.inputs, *m.previous]
    return [m for m in MODELS if m.name in seen]


def is_single_select(sql: str) -> bool:
    """One statement, and it is a select (a with ... select included)."""
    statements = duckdb.extract_statements(sql)
    return len(statements) == 1 and statements[0].type == duckdb.StatementType.SELECT
