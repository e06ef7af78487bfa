"""The vocabularies (pipeline/vocabulary.py) against every place that cannot import them.

The expectation suites, the report's labels, the reference YAML, the warehouse schema's comments
and the SQL models spell the values out; each check here fails when a value is added, dropped or
misspelt in one place only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from pipeline import paths
from pipeline import vocabulary as V

ROOT = paths.ROOT
SQL_FILES = sorted((ROOT / "pipeline").rglob("*.sql"))
SCORED = tuple(V.OUTCOME_OF_EFFECT[e] for e in V.EFFECTS)  # delighted, satisfied, dissatisfied
# Values a column may hold besides its vocabulary's: a customer without any contact, a contact in
# the period whose customer has no segment.
EXPERIENCE_VALUES = (*V.EXPERIENCE_GROUPS, V.NO_CONTACT)
SEGMENT_VALUES = (*V.SEGMENTS, "unsegmented")

# SQL columns holding a vocabulary's values (a column of another domain needs another name).
COLUMNS: dict[str, tuple[str, ...]] = {
    "outcome": V.OUTCOMES,
    "index_outcome": V.OUTCOMES,
    "last_outcome": V.OUTCOMES,
    "channel": V.CHANNELS,
    "kind": V.INTERACTION_KINDS,
    "index_kind": V.INTERACTION_KINDS,
    "status": V.STATUSES,
    "effect": V.EFFECTS,
    "decided_by": V.EFFECTS,
    "dissatisfied_cause": V.DISSATISFIED_CAUSES,
    "kept_cause": V.DISSATISFIED_CAUSES,
    "cause": V.KEPT_PROMISE_CAUSES,
    "experience": EXPERIENCE_VALUES,
    "segment": SEGMENT_VALUES,
}
# *_effect columns (rating_effect, speed_effect, ...) hold effects too.
_COL = r"(?:\b\w+\.)?\b(?P<col>\w+)"
_LIT = r"'(?P<lit>[^']*)'"
_LIST = r"\((?P<list>\s*'[^)]*)\)"
_COMPARISONS = (
    re.compile(rf"{_COL}\s*(?:=|<>|!=)\s*{_LIT}"),  # outcome = 'x'
    re.compile(rf"{_COL}\s+(?:not\s+)?in\s*{_LIST}", re.I),  # outcome in ('x', 'y')
    re.compile(rf"\bcase\s+{_COL}\s+when\s+{_LIT}", re.I),  # case churn_status when 'x'
)
_IN_COLUMNS = re.compile(rf"{_LIT}\s+in\s*\((?P<cols>[\w\s.,]+)\)", re.I)  # 'x' in (a, b)


def _domain(col: str) -> tuple[str, ...] | None:
    if col in COLUMNS:
        return COLUMNS[col]
    return V.EFFECTS if col.endswith("_effect") else None


def _literals(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _sql(path: Path) -> str:
    """The file without its comments (they name values in prose)."""
    return re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))


def _file_domain(path: Path, col: str) -> tuple[str, ...] | None:
    # run_files.status (loaded | already_loaded) is the ledger's, not an interaction's
    if col == "status" and "run_files" in _sql(path):
        return None
    return _domain(col)


def compared_values(path: Path) -> list[tuple[str, str]]:
    """(column, literal) for each comparison of a vocabulary column with a quoted value."""
    sql, found = _sql(path), []
    for pattern in _COMPARISONS:
        for m in pattern.finditer(sql):
            lits = _literals(m["list"]) if "list" in m.groupdict() else [m["lit"]]
            found += [(m["col"], lit) for lit in lits if _file_domain(path, m["col"])]
    for m in _IN_COLUMNS.finditer(sql):
        for col in re.findall(r"\w+", m["cols"]):
            if _file_domain(path, col.split(".")[-1]):
                found.append((col, m["lit"]))
    return found


def expression_as(sql: str, col: str) -> str:
    """The expression before `as <col>`: a `case ... end` or a call `f(...)` (nesting allowed)."""
    m = re.search(rf"\)\s+as\s+{col}\b|\bend\s+as\s+{col}\b", sql)
    assert m, f"no `... as {col}`"
    stop = m.start() + (1 if sql[m.start()] == ")" else 3)
    if sql[m.start()] == ")":
        opening, closing = r"\(", r"\)"
    else:
        opening, closing = r"\bcase\b", r"\bend\b"
    tokens = [(t.start(), t.group().lower() in ("(", "case")) for t in
              re.finditer(rf"{opening}|{closing}", sql[:stop], re.I)]
    depth = 0
    for pos, opens in reversed(tokens):
        depth += -1 if opens else 1
        if depth == 0:
            return sql[pos:stop]
    raise AssertionError(f"unbalanced expression before `as {col}`")


def case_results(sql: str, col: str) -> set[str]:
    """The quoted values a `case ... end as <col>` (or `coalesce(..., 'x') as <col>`) yields."""
    expr = expression_as(sql, col)
    # a value that is only a prefix (`then 'complaint_' || outcome`) is checked by the caller
    results = set(re.findall(r"\b(?:then|else)\s+'([^']*)'(?!\s*\|\|)", expr, re.I))
    if not expr.lower().startswith("case"):
        results |= set(_literals(expr))
    return results


# --- (a) the Great Expectations suites ---------------------------------------------------------

SUITE_SETS = {
    ("interactions", "channel"): V.CHANNELS,
    ("interactions", "kind"): V.INTERACTION_KINDS,
    ("interactions", "status"): V.STATUSES,
    ("interactions", "language"): V.LEXICON_LANGUAGES,
}


def test_suites_value_sets_are_the_vocabularies():
    found = {}
    for path in sorted((ROOT / "expectations").glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for e in suite["expectations"]:
            if "value_set" in e["kwargs"]:
                found[(suite["name"], e["kwargs"]["column"])] = tuple(e["kwargs"]["value_set"])
    # every value set is one the vocabulary module knows, and each is listed exactly
    assert set(found) == set(SUITE_SETS)
    for key, values in found.items():
        assert sorted(values) == sorted(SUITE_SETS[key]), key


# --- (b) the report's labels -------------------------------------------------------------------

LABEL_KEYS = {
    ("outcomes",): V.OUTCOMES,
    ("channels",): V.CHANNELS,
    ("kinds",): (*V.TOUCHPOINT_KINDS, "none"),  # none: the unmapped touchpoint
    ("quadrants",): V.QUADRANTS,
    ("languages",): V.REPORT_LANGUAGES,
    ("retention", "groups"): V.EXPERIENCE_GROUPS,
}


def _section(doc: dict, keys: tuple[str, ...]) -> dict | None:
    for k in keys:
        doc = doc.get(k) if isinstance(doc, dict) else None
    return doc


@pytest.mark.parametrize("lang", V.REPORT_LANGUAGES)
def test_labels_name_every_value_and_no_other(lang):
    doc = yaml.safe_load((ROOT / "data/reference/labels" / f"{lang}.yaml").read_text("utf-8"))
    for keys, values in LABEL_KEYS.items():
        section = _section(doc, keys)
        if lang == "en":  # the reference language names every value ...
            assert section is not None and set(section) == set(values), keys
        elif section is not None:  # ... the others fall back to it, but name no other value
            assert set(section) <= set(values), (lang, keys)
    matrix = set(_section(doc, ("matrix",)) or {})
    assert lang != "en" or set(SCORED) <= matrix


# --- (c) SQL and the warehouse schema ----------------------------------------------------------


def test_schema_comments_list_the_interaction_vocabularies():
    schema = (ROOT / "pipeline/schema.sql").read_text(encoding="utf-8")
    table = schema[schema.index("create table if not exists interactions"):]
    table = table[: table.index(");")]
    # a comment may go on over the next line (channel's list is long)
    comments = re.findall(r"^\s*(\w+)\s+\w+[^-\n]*--\s*([\w|]+)[ \t]*(?:\n\s*--\s*([\w|]+))?",
                          table, re.M)
    listed = {col: tuple(filter(None, (a + (b or "")).split("|"))) for col, a, b in comments}
    assert listed["channel"] == V.CHANNELS
    assert listed["kind"] == V.INTERACTION_KINDS
    assert listed["status"] == V.STATUSES


def test_sql_compares_vocabulary_columns_only_with_members():
    wrong = [
        f"{p.relative_to(ROOT)}: {col} = '{lit}'"
        for p in SQL_FILES
        for col, lit in compared_values(p)
        if lit not in (_file_domain(p, col.split(".")[-1]) or ())
    ]
    assert not wrong
    # the checks above look at something: every vocabulary column is compared somewhere
    compared = {col.split(".")[-1] for p in SQL_FILES for col, _ in compared_values(p)}
    assert {"outcome", "kind", "status", "dissatisfied_cause", "experience", "segment"} <= compared


def _model(rel: str) -> str:
    return _sql(ROOT / "pipeline" / rel)


def test_scoring_sql_yields_exactly_the_outcomes_and_causes():
    sql = _model("outcomes/interaction_outcomes.sql")
    # case decided_by when '<effect>' then '<outcome>' ... else 'unscored' end as outcome
    expr = expression_as(sql, "outcome")
    pairs = dict(re.findall(r"when\s+'([^']*)'\s+then\s+'([^']*)'", expr))
    assert pairs == V.OUTCOME_OF_EFFECT
    assert case_results(sql, "outcome") == set(V.OUTCOMES)
    assert re.search(rf"else\s+'{V.UNSCORED}'", expr)
    assert case_results(sql, "decided_by") == set(V.EFFECTS)
    # a cause is set in the case, or is the promise-kept cause (reference words/topics, else
    # 'expectation': the coalesce before `as kept_cause`)
    causes = case_results(sql, "dissatisfied_cause") | case_results(sql, "kept_cause")
    assert causes | set(V.KEPT_PROMISE_CAUSES) == set(V.DISSATISFIED_CAUSES)


@pytest.mark.parametrize(
    "rel, column, values",
    [
        ("outcomes/queries/summary.sql", "outcome", V.OUTCOMES),
        ("marts/int_period_metrics.sql", "outcome", V.OUTCOMES),
        ("retention/mart_touchpoint_retention.sql", "outcome", SCORED),
        ("segments/int_customer_windows.sql", "outcome", V.OUTCOMES),
    ],
)
def test_sql_counting_each_value_counts_them_all(rel, column, values):
    """Models with a column per value (delighted, satisfied, ...) count every one of them."""
    found = {lit for col, lit in compared_values(ROOT / "pipeline" / rel)
             if col.split(".")[-1] == column}
    assert found == set(values)


def test_sql_experience_groups_and_segments_are_the_vocabularies():
    # 'complaint_' || outcome, for the scored outcomes the case lists
    sql = _model("retention/mart_customer_retention.sql")
    expr = expression_as(sql, "experience")
    scored = _literals(re.search(r"index_outcome\s+in\s*\(([^)]*)\)", expr)[1])
    assert tuple(scored) == SCORED
    groups = case_results(sql, "experience") | {f"complaint_{o}" for o in scored}
    assert groups == set(EXPERIENCE_VALUES)
    claims = _model("retention/mart_retention_claims.sql")
    assert case_results(claims, "verdict") == set(V.CLAIM_VERDICTS)
    complaints = _model("retention/mart_complaint_orders.sql")
    assert case_results(complaints, "experience") <= set(V.EXPERIENCE_GROUPS)
    assert case_results(_model("segments/int_customer_windows.sql"), "segment") == set(V.SEGMENTS)


# --- (d) the reference YAML --------------------------------------------------------------------


def _ref(name: str) -> dict:
    return yaml.safe_load((ROOT / "data/reference" / name).read_text(encoding="utf-8"))


def _as_list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def test_reference_yaml_uses_only_vocabulary_values():
    tp = _ref("touchpoints.yaml")
    assert {t["kind"] for t in tp["touchpoints"] if "kind" in t} == set(V.TOUCHPOINT_KINDS)
    assert set(tp["channels"]) <= set(V.CHANNELS)
    for rule in tp["rules"]:
        assert set(_as_list(rule.get("channel"))) <= set(V.CHANNELS), rule["id"]
        assert set(_as_list(rule.get("kind"))) <= set(V.INTERACTION_KINDS), rule["id"]
    scoring = _ref("scoring.yaml")
    assert set(scoring["segments"]) == set(V.SEGMENTS)
    assert set(scoring["causes"]) <= set(V.KEPT_PROMISE_CAUSES)
    assert set(scoring["kind_signals"]) <= set(V.INTERACTION_KINDS)
    assert set(scoring["kind_signals"].values()) <= set(V.EFFECTS)
    kinds = scoring["speed"]["channel_expectation_kinds"] + scoring["resolution"]["kinds"]
    assert set(kinds) <= set(V.INTERACTION_KINDS)
    playbook = _ref("playbook.yaml")
    assert set(playbook["segment_notes"]) <= set(V.SEGMENTS)
    for action in playbook["actions"]:
        assert set(_as_list(action.get("kinds"))) <= set(V.TOUCHPOINT_KINDS), action["id"]
        assert set(_as_list(action.get("segments"))) <= set(V.SEGMENTS), action["id"]


# --- Python tables keyed by a vocabulary (one entry per value) ---------------------------------


def test_python_tables_keyed_by_a_vocabulary_cover_it():
    from pipeline import explore
    from pipeline.outcomes import REASON_CODES
    from pipeline.report import charts
    from pipeline.retention.claims import _VERDICT_WORDS, GROUP_NAMES
    from pipeline.segments import _PARAM_PREFIX

    assert set(charts.STYLE) == set(V.OUTCOMES)
    assert set(explore.OUTCOME_COLORS) == set(V.OUTCOMES)
    assert set(charts.KIND_MARKERS) == set(V.TOUCHPOINT_KINDS)
    assert set(V.EXPERIENCE_GROUPS) <= set(GROUP_NAMES)
    assert set(_VERDICT_WORDS) == set(V.CLAIM_VERDICTS)
    assert set(_PARAM_PREFIX) == set(V.SEGMENTS)
    assert {effect for effect, _ in REASON_CODES.values()} == set(V.EFFECTS)
    assert {c for _, c in REASON_CODES.values() if c} == set(V.DISSATISFIED_CAUSES)
    assert {V.OUTCOME_OF_EFFECT[e] for e in V.EFFECTS} | {V.UNSCORED} == set(V.OUTCOMES)


def test_sample_generator_writes_vocabulary_values():
    from pipeline import sample

    assert set(sample.CHANNELS) <= set(V.CHANNELS)
    assert set(sample.DEFAULT_PROMISE_HOURS) <= set(V.CHANNELS)
    assert set(sample.LANGS) <= set(V.LEXICON_LANGUAGES)


def test_the_sample_writes_only_the_lexicons_phrases_and_every_one_of_them() -> None:
    """The sample's staff texts (pipeline.sample.texts) hold the discouraged phrases the
    scoring lexicon looks for: each one a variant the lexicon lists in that language, and every
    phrase of the lexicon written in every language, so the two cannot drift apart."""
    from pipeline.reference import load_reference
    from pipeline.sample.texts import DISCOURAGED_PHRASES

    lexicon = load_reference(paths.REFERENCE).lexicon
    for lang, written in DISCOURAGED_PHRASES.items():
        variants = {v.text.lower(): p.id for p in lexicon.phrases for v in p.variants
                    if v.language == lang}
        assert {w.lower() for w in written} <= set(variants), lang
        assert {variants[w.lower()] for w in written} == {p.id for p in lexicon.phrases}, lang


def test_every_quarantine_reason_the_readme_lists_is_expected_by_a_test() -> None:
    """README's quarantine-reason table is the user's contract: each code in it (the part before
    `:<field>`) is an expected value in a test that reads the quarantine table, so a reason
    no code path produces any more (or a new one nobody tests) is noticed."""
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Quarantine reasons", 1)[1].split("\n## ", 1)[0]
    codes = {c.split(":")[0] for row in table.splitlines() if row.startswith("| `")
             for c in re.findall(r"`([a-z_]+(?::<[a-z]+>)?)`", row.split("|")[1])}
    assert len(codes) >= 19, codes
    tests = [f.read_text(encoding="utf-8") for f in (paths.ROOT / "tests").glob("test_*.py")
             if f.name != Path(__file__).name]
    readers = [t for t in tests if "quarantine" in t]
    missing = sorted(c for c in codes if not any(re.search(rf"['\"]{c}[:'\"]", t)
                                                  for t in readers))
    assert not missing, f"quarantine reasons no test expects: {missing}"
