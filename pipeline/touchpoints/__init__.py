"""Touchpoints: map every interaction to the touchpoint of the first catalog rule it matches.

Builds `interaction_touchpoints` (one row per interaction) from `interactions` and the catalog in
data/reference/touchpoints.yaml, loaded as `ref_touchpoints`, `ref_touchpoint_names`,
`ref_touchpoint_rules` and `ref_touchpoint_keywords`. The first match is found set-wise in SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline import models
from pipeline.config import RunConfig
from pipeline.db import install_macros, load_table, run_sql, scalar
from pipeline.errors import UserError
from pipeline.reference import UNMAPPED, Catalog, Reference, load_reference

_SQL = Path(__file__).parent
_QUERIES = _SQL / "queries"  # read-only queries; the models are pipeline/models.py's

_LIST = pa.list_(pa.string())
_REF_TABLES: dict[str, pa.Schema] = {
    "ref_touchpoints": pa.schema(
        [
            ("touchpoint_id", pa.string()),
            ("position", pa.int32()),
            ("kind", pa.string()),
            ("stage", pa.string()),
            ("owner", pa.string()),
        ]
    ),
    "ref_touchpoint_names": pa.schema(
        [("touchpoint_id", pa.string()), ("language", pa.string()), ("name", pa.string())]
    ),
    "ref_touchpoint_rules": pa.schema(
        [
            ("rule_id", pa.string()),
            ("position", pa.int32()),
            ("touchpoint_id", pa.string()),
            ("sources", _LIST),
            ("channels", _LIST),
            ("kinds", _LIST),
            ("topics", _LIST),
            ("has_keywords", pa.bool_()),
        ]
    ),
    "ref_touchpoint_keywords": pa.schema(
        [
            ("rule_id", pa.string()),
            ("language", pa.string()),
            ("keyword", pa.string()),
            ("prefix", pa.bool_()),
        ]
    ),
}


def install_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """Load the catalog into the ref_touchpoint* tables (replacing them)."""
    install_macros(con)
    rows = _catalog_rows(catalog)
    for table, schema in _REF_TABLES.items():
        load_table(con, _SQL, table, schema, rows[table])


def _catalog_rows(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in _REF_TABLES}
    for pos, t in enumerate(catalog.touchpoints, start=1):
        rows["ref_touchpoints"].append(
            {
                "touchpoint_id": t.id,
                "position": pos,
                "kind": t.kind,
                "stage": t.stage,
                "owner": t.owner,
            }
        )
        for lang, name in t.names.items():
            rows["ref_touchpoint_names"].append(
                {"touchpoint_id": t.id, "language": lang, "name": name}
            )
    for r in catalog.rules:
        rows["ref_touchpoint_rules"].append(
            {
                "rule_id": r.id,
                "position": r.position,
                "touchpoint_id": r.touchpoint,
                "sources": _lower(r.sources),
                "channels": _lower(r.channels),
                "kinds": _lower(r.kinds),
                "topics": _lower(r.topics),
                "has_keywords": r.keywords is not None,
            }
        )
        for k in r.keywords or ():
            rows["ref_touchpoint_keywords"].append(
                {"rule_id": r.id, "language": k.language, "keyword": k.text, "prefix": k.prefix}
            )
    return rows


def _lower(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else [v.strip().lower() for v in values]


def map_touchpoints(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> dict[str, Any]:
    """Build `interaction_touchpoints`; return counts including `unmapped` and coverage (%).

    When the catalog and the mapping SQL are what the table was built from (its fingerprint),
    only interactions not mapped yet are mapped (a new day costs its own rows); else every
    interaction is."""
    ref = load_reference(cfg.reference_dir)
    models.set_run(con, cfg.run_id)
    install_catalog(con, ref.catalog)
    params = {"run_id": cfg.run_id}
    incremental = models.is_current(con, "interaction_touchpoints", params)
    if incremental:
        # the interactions not mapped yet: a new day's, few (a table: read twice by the build)
        con.execute("""
            create or replace temp table map_input as
            select i.* from interactions i
            anti join interaction_touchpoints t using (source, interaction_id)
        """)
        models.build(con, "interaction_touchpoints", params)
        con.execute("drop table map_input")
        # every interaction now has its row; equal counts mean no row outlived its interaction
        incremental = (scalar(con, "select count(*) from interaction_touchpoints")
                       == scalar(con, "select count(*) from interactions"))
    if not incremental:
        con.execute("create or replace temp view map_input as select * from interactions")
        models.build(con, "interaction_touchpoints", params, full=True)
        con.execute("drop view map_input")
    (counts,) = run_sql(con, _QUERIES, "summary")
    n = counts["interactions"]
    return {**counts, "coverage_pct": round(100.0 * counts["mapped"] / n, 2) if n else None}


def explain(con: duckdb.DuckDBPyConnection, cfg: RunConfig, interaction_id: str) -> str:
    """Which rule maps the interaction(s) with this id, and why each earlier rule did not."""
    ref = load_reference(cfg.reference_dir)
    install_macros(con)
    # the catalog as read now, as relations: explaining writes nothing to the warehouse
    catalog = _catalog_rows(ref.catalog)
    inputs = ("ref_touchpoint_rules", "ref_touchpoint_keywords")
    for table in inputs:
        con.register(
            f"_in_{table}", pa.Table.from_pylist(catalog[table], schema=_REF_TABLES[table])
        )
    try:
        rows = run_sql(con, _QUERIES, "explain", {"interaction_id": interaction_id})
    finally:
        for table in inputs:
            con.unregister(f"_in_{table}")
    if not rows:
        raise UserError(f"interactions: no interaction with id {interaction_id!r}")
    stored = _stored_mapping(con, interaction_id)
    blocks = []
    for source in dict.fromkeys(r["source"] for r in rows):
        blocks.append(_explain_one(ref, [r for r in rows if r["source"] == source], stored))
    return "\n\n".join(blocks)


def _explain_one(ref: Reference, rules: list[dict[str, Any]], stored: dict[str, tuple]) -> str:
    first = rules[0]
    text = " ".join((first["text"] or "").split())
    lines = [
        f"interaction {first['interaction_id']} (source {first['source']}): "
        f"channel={first['channel']} kind={first['kind']} topic={first['topic']} "
        f"language={first['language']}",
        f"  text: {text[:160] + '…' if len(text) > 160 else text!r}",
    ]
    winner = None
    for r in rules:
        failed = _failed_conditions(r)
        head = f"  rule {r['position']:>2} {r['rule_id']} -> {r['touchpoint_id']}: "
        if failed:
            lines.append(head + "no, " + "; ".join(failed))
            continue
        why = "matched"
        if r["has_keywords"]:
            why += " on keywords " + ", ".join(r["keywords_found"])
        lines.append(head + why)
        winner = r
        break
    if winner is None:
        lines.append(f"  => {UNMAPPED}: no rule matched")
    else:
        name = ref.catalog.touchpoint(winner["touchpoint_id"]).names.get("en", "")
        lines.append(
            f"  => {winner['touchpoint_id']} ({name}) by rule {winner['rule_id']} "
            f"(#{winner['position']}, first match wins)"
        )
    expected = (winner["touchpoint_id"], winner["rule_id"]) if winner else (UNMAPPED, None)
    last = stored.get(first["source"])
    if last is not None and last != expected:
        lines.append(
            f"  note: the last run stored {last[0]} (rule {last[1]}); the catalog changed since"
        )
    return "\n".join(lines)


def _failed_conditions(r: dict[str, Any]) -> list[str]:
    out = []
    for field, values in (
        ("source", "sources"),
        ("channel", "channels"),
        ("kind", "kinds"),
        ("topic", "topics"),
    ):
        if not r[f"{field}_ok"]:
            out.append(f"{field} {r[field]!r} not in {list(r[values])}")
    if not r["keywords_ok"]:
        out.append("no keyword in the text")
    return out


def _stored_mapping(con: duckdb.DuckDBPyConnection, interaction_id: str) -> dict[str, tuple]:
    try:
        rows = run_sql(con, _QUERIES, "stored_mapping", {"interaction_id": interaction_id})
    except duckdb.CatalogException:  # map has not run yet on this warehouse
        return {}
    return {r["source"]: (r["touchpoint_id"], r["rule_id"]) for r in rows}
