"""Outcomes: score every interaction delighted / satisfied / dissatisfied / unscored.

Builds `interaction_outcomes` (one row per interaction) from `interactions`, with the reason codes
that decided it, the speed and promise fields and the discouraged phrases found. Thresholds come
from data/reference/scoring.yaml, channel handling times from touchpoints.yaml, phrases from
lexicon.yaml (loaded as `ref_channel_expectations`, `ref_phrases`, `ref_phrase_texts`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import install_macros, load_table, run_sql
from pipeline.outcomes.sentiment import install_sentiment_reference, load_sentiment_reference
from pipeline.reference import Reference, Scoring, load_reference
from pipeline.vocabulary import EFFECTS

_SQL = Path(__file__).parent
_QUERIES = _SQL / "queries"  # read-only queries; the models are pipeline/models.py's

# Every reason code: its effect on the outcome with the shipped scoring.yaml, and where a
# shortfall lies (`dissatisfied_cause`): `service` (the process failed), `staff_language`, or, for
# a low rating although every promise was kept (beyond the handling, never a staff failure),
# `product` or `policy` (the customer's words or the topic say so: scoring.yaml `causes`) and else
# `expectation` (the customer expected more: set expectations, explain); `rating`: a low rating
# with nothing else to go on. With `precedence: customer_first` a rating decides the outcome
# whenever there is one, and the other signals stay on the row as reasons. scoring.yaml sets the
# effect of first_contact_resolution (resolution.first_contact) and rating_neutral (rating.three),
# and which kinds are signals of their own (kind_signals -> kind_<kind>).
REASON_CODES: dict[str, tuple[str, str | None]] = {
    "speed_exceeded": ("exceeds", None),
    "speed_met": ("meets", None),
    "speed_missed": ("falls_short", "service"),
    "unresolved_past_promise": ("falls_short", "service"),
    "first_contact_resolution": ("meets", None),
    "repeat_contact": ("falls_short", "service"),
    "reopened": ("falls_short", "service"),
    "rating_exceeded": ("exceeds", None),
    "rating_met": ("meets", None),
    "rating_neutral": ("meets", None),
    "rating_low": ("falls_short", "rating"),
    "rating_low_promise_kept": ("falls_short", "expectation"),
    "rating_low_product": ("falls_short", "product"),
    "rating_low_policy": ("falls_short", "policy"),
    "discouraged_phrase:<id>": ("falls_short", "staff_language"),
    "kind_compliment": ("exceeds", None),
    # the customer's own words (customer_text, no rating): scoring.yaml customer_words
    "words_positive": ("exceeds", None),
    "words_negative": ("falls_short", "customer_words"),
    "words_negative_promise_kept": ("falls_short", "expectation"),
    "words_negative_product": ("falls_short", "product"),
    "words_negative_policy": ("falls_short", "policy"),
}

# A source mapping's declared signals (its `signals:` block) give <name>_exceeded (exceeds),
# <name>_met (meets) and <name>_fell_short (falls short); one that is not the customer's verdict
# (verdict: handling) and fell short is a `service` shortfall, a customer's verdict that fell short
# is read as a low rating (`rating`).
DECLARED_SUFFIXES = {"_exceeded": "exceeds", "_met": "meets", "_fell_short": "falls_short"}


def declared_code(code: str) -> bool:
    """Whether `code` is a declared signal's reason code (a name the mappings may declare)."""
    from pipeline.ingest.sources import RESERVED_SIGNALS

    for suffix in DECLARED_SUFFIXES:
        name = code.removesuffix(suffix)
        if name != code and re.fullmatch(r"[a-z][a-z0-9_]*", name):
            return name not in RESERVED_SIGNALS
    return False


_REF_TABLES: dict[str, pa.Schema] = {
    "ref_channel_expectations": pa.schema(
        [("channel", pa.string()), ("hours", pa.float64()), ("same_day", pa.bool_())]
    ),
    "ref_phrases": pa.schema(
        [("phrase_id", pa.string()), ("language", pa.string()), ("variant", pa.string())]
    ),
    "ref_cause_words": pa.schema(
        [
            ("cause", pa.string()),
            ("position", pa.int32()),
            ("language", pa.string()),
            ("keyword", pa.string()),
            ("prefix", pa.bool_()),
        ]
    ),
    "ref_cause_topics": pa.schema(
        [("cause", pa.string()), ("position", pa.int32()), ("topic", pa.string())]
    ),
    "ref_phrase_texts": pa.schema(
        [
            ("phrase_id", pa.string()),
            ("language", pa.string()),
            ("label", pa.string()),
            ("alternative", pa.string()),
        ]
    ),
}


def install_scoring_reference(con: duckdb.DuckDBPyConnection, ref: Reference) -> None:
    """Load channel expectations and the lexicon into their ref_ tables (replacing them)."""
    install_macros(con)
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in _REF_TABLES}
    for c in ref.catalog.channels:
        rows["ref_channel_expectations"].append(
            {"channel": c.channel, "hours": c.hours, "same_day": c.same_day}
        )
    for p in ref.lexicon.phrases:
        for v in p.variants:
            rows["ref_phrases"].append(
                {"phrase_id": p.id, "language": v.language, "variant": v.text}
            )
        for lang in sorted(set(p.labels) | set(p.alternatives)):
            rows["ref_phrase_texts"].append(
                {
                    "phrase_id": p.id,
                    "language": lang,
                    "label": p.labels.get(lang),
                    "alternative": p.alternatives.get(lang),
                }
            )
    for position, cause in enumerate(ref.scoring.causes, start=1):
        for k in cause.keywords:
            rows["ref_cause_words"].append(
                {"cause": cause.id, "position": position, "language": k.language,
                 "keyword": k.text, "prefix": k.prefix}
            )
        for topic in cause.topics:
            rows["ref_cause_topics"].append(
                {"cause": cause.id, "position": position, "topic": topic}
            )
    for table, schema in _REF_TABLES.items():
        load_table(con, _SQL, table, schema, rows[table])


def as_of(con: duckdb.DuckDBPyConnection, cfg: RunConfig, scoring: Scoring) -> datetime:
    """The time open tickets and repeat windows are judged at (naive UTC).

    `clock`: the run clock. `data`: the latest time stamp in the interactions, never later than the
    clock, so re-scoring the same export gives the same rows whatever day it runs.
    """
    now = utc_naive(cfg.now)
    if scoring.as_of == "clock":
        return now
    latest = run_sql(con, _QUERIES, "as_of")[0]["data_as_of"]
    return now if latest is None else min(latest, now)


def utc_naive(t: datetime) -> datetime:
    """A clock value as the warehouse stores time: naive UTC."""
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo is not None else t


def score_outcomes(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> dict[str, Any]:
    """Build `interaction_outcomes`; return counts per outcome and the as-of time used."""
    ref = load_reference(cfg.reference_dir)
    install_scoring_reference(con, ref)
    s = ref.scoring
    words = s.customer_words
    sentiment_ref = load_sentiment_reference(cfg.reference_dir) if words else None
    if sentiment_ref is not None:
        install_sentiment_reference(con, sentiment_ref)
    at = as_of(con, cfg, s)
    (patterns,) = run_sql(con, _QUERIES, "phrase_pattern")
    kinds_by_effect = {
        e: [k for k, v in s.kind_signals.items() if v == e]
        for e in EFFECTS
    }
    params = {
            "as_of": at,
            "well_inside_fraction": s.speed.well_inside_fraction,
            "channel_kinds": list(s.speed.channel_expectation_kinds),
            "midnight_is_date": s.speed.midnight_promise_is_date,
            "business_timezone": s.speed.business_timezone,
            "repeat_window_days": s.resolution.repeat_window_days,
            "resolution_kinds": list(s.resolution.kinds),
            "first_contact": s.resolution.first_contact,
            "rating_three": s.rating_three,
            "customer_first": s.precedence == "customer_first",
            "kind_exceeds": kinds_by_effect["exceeds"],
            "kind_meets": kinds_by_effect["meets"],
            "kind_falls_short": kinds_by_effect["falls_short"],
            "skip_kinds": list(s.skip_kinds),
            "phrase_pattern": patterns["phrase_pattern"],
            "text_pattern": patterns["text_pattern"],
            # no customer_words block: no sentiment is read, and these never match
            "words_positive_at": words.positive_at if words else 2.0,
            "words_negative_at": words.negative_at if words else -2.0,
    }
    # which words are read, and in which languages (a fingerprint input, not a SQL parameter)
    words_setting = {
        # the languages asked for that have a lexicon
        "languages": [lang for lang in words.languages if lang in sentiment_ref.languages]
        if words and sentiment_ref else [],
        "detect": bool(words and words.detect_language),
    }
    params["run_id"] = cfg.run_id
    models.set_run(con, cfg.run_id)
    # which contacts' words are read (sentiment_input's rows): part of the outcomes' fingerprint
    models.provide(con, "sentiment_input", words_setting)
    previous = _previous_as_of(con, params)
    if previous is not None and previous <= at:
        incremental = _rescore(con, params, previous, words_setting)
    else:
        incremental = False
        _score_all(con, params, words_setting)
    (counts,) = run_sql(con, _QUERIES, "summary")
    return {**counts, "as_of": at, "incremental": incremental}


def _previous_as_of(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> datetime | None:
    """The as-of time of the last score, when it was built from the same inputs and is whole."""
    if not models.is_current(con, "interaction_outcomes", params):
        return None
    return models.stored(con, "interaction_outcomes")[1]  # type: ignore[index]


def _score_all(con: duckdb.DuckDBPyConnection, params: dict[str, Any],
               words_setting: dict[str, Any]) -> None:
    """Build interaction_outcomes from every interaction; `scored_run`: this run on every row."""
    con.execute("create or replace temp view score_input as select * from interactions")
    _words_sentiment(con, words_setting)
    models.build(con, "interaction_outcomes", params, as_of=params["as_of"])
    con.execute("drop table customer_words_sentiment")


def _words_sentiment(con: duckdb.DuckDBPyConnection, words_setting: dict[str, Any]) -> None:
    """`customer_words_sentiment`: the sentiment of the customer's own words, for the contacts in
    score_input with customer_text and no rating, in the languages scoring.yaml lists (a missing
    language detected among them when customer_words.detect_language)."""
    languages = words_setting["languages"]
    if not languages:
        con.execute("create or replace temp table customer_words_sentiment as select '' as source, "
                    "'' as interaction_id, 0.0 as sentiment where false")
        return
    con.execute("""
        create or replace temp table words_input as
        select source, interaction_id, language, text
        from (
            -- 'id-ID', 'nl_BE', 'EN': the language's own code
            select source, interaction_id,
                nullif(regexp_extract(lower(trim(language)), '^[a-z]+'), '') as language,
                customer_text as text
            from score_input
            where customer_text is not null and rating is null and len(trim(customer_text)) > 0
        )
        where language is null or list_contains(cast($languages as varchar[]), language)
    """, {"languages": languages})
    if words_setting["detect"]:
        _detect_languages(con, languages)
    con.execute("delete from words_input where language is null "
                "or not list_contains(cast($languages as varchar[]), language)",
                {"languages": languages})
    con.execute("create or replace temp view sentiment_input as select * from words_input")
    models.build(con, "customer_words_sentiment")
    con.execute("drop view sentiment_input")
    con.execute("drop table words_input")


def _detect_languages(con: duckdb.DuckDBPyConnection, languages: list[str]) -> None:
    """Fill in words_input.language where the export gave none (py3langid, in batches),
    among every language the model knows; the caller keeps only those in `languages`."""
    from pipeline.outcomes.sentiment import detect_languages, model_languages

    reader = con.sql(
        "select source, interaction_id, text from words_input where language is null "
        "order by source, interaction_id"
    ).to_arrow_reader(50_000)
    found = []
    for batch in reader:
        texts = batch.column("text").to_pylist()
        found.append(pa.table({
            "source": batch.column("source"),
            "interaction_id": batch.column("interaction_id"),
            "language": pa.array(detect_languages(texts, model_languages()), pa.string()),
        }))
    if not found:
        return
    con.register("_detected", pa.concat_tables(found))
    try:
        con.execute("""
            update words_input w set language = d.language
            from _detected d
            where w.source = d.source and w.interaction_id = d.interaction_id
        """)
    finally:
        con.unregister("_detected")


def _rescore(con: duckdb.DuckDBPyConnection, params: dict[str, Any], previous: datetime,
             words_setting: dict[str, Any]) -> bool:
    """Recompute only the rows a new day or a later clock can change, and replace those whose
    outcome did change (stamped with this run in `scored_run`, so that later stages can tell
    which customers to revisit); False if it rebuilt everything."""
    models.build(con, "score_keys", {"previous_as_of": previous,
                                     "repeat_window_days": params["repeat_window_days"],
                                     "resolution_kinds": params["resolution_kinds"]})
    con.execute("""
        create or replace temp view score_input as
        select i.* from interactions i semi join score_keys k using (source, interaction_id)
    """)
    _words_sentiment(con, words_setting)
    m = models.model("interaction_outcomes")
    con.execute(f"create or replace temp table rescored as {m.select()}", models.bind(m, params))
    con.execute("drop table customer_words_sentiment")
    # the targets that differ from what is stored (new rows included): set difference, NULLs
    # equal; the context rows were scored without their own next contact, and are not kept
    con.execute("""
        create or replace temp table changed as
        select r.* exclude (scored_run) from rescored r
        semi join (select * from score_keys where target) k using (source, interaction_id)
        except
        select * exclude (scored_run)
        from interaction_outcomes semi join score_keys using (source, interaction_id)
    """)
    con.execute("""
        delete from interaction_outcomes o
        where exists (select 1 from changed c
                      where c.source = o.source and c.interaction_id = o.interaction_id)
    """)
    con.execute("insert into interaction_outcomes select *, cast($run_id as varchar) from changed",
                {"run_id": params["run_id"]})
    for table in ("changed", "rescored", "score_keys"):
        con.execute(f"drop table {table}")
    # every interaction has its one row; equal counts mean no row outlived its interaction
    counts = con.execute("select (select count(*) from interaction_outcomes), "
                         "(select count(*) from interactions)").fetchall()[0]
    if counts[0] != counts[1]:
        _score_all(con, params, words_setting)
        return False
    models.record(con, "interaction_outcomes", params, as_of=params["as_of"])
    return True
