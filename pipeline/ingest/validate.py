"""Validate each run's staged batch with the Great Expectations suites in expectations/.

GX Core 1.x has no DuckDB engine, and its SQLAlchemy route on duckdb_engine cannot see rows of
an open transaction. So GX runs its pandas engine on what is cheap: only the columns the suite
names, fetched from DuckDB in bounded chunks partitioned by a hash of the row key (so uniqueness
within a chunk is uniqueness overall). Row-level problems were quarantined in SQL before this;
these suites are the batch-level contract. A failed `critical` expectation stops the run.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.db import quote_ident, scalar, sql_literal
from pipeline.errors import UserError, ValidationFailed
from pipeline.progress import Progress

if TYPE_CHECKING:
    from pipeline.config import RunConfig
    from pipeline.ingest import IngestResult
    from pipeline.ingest.sources import SourceMapping

# No usage statistics leave the machine (set before GX is imported anywhere).
os.environ["GX_ANALYTICS_ENABLED"] = "false"

BATCH_KEYS = {"interactions": ("source", "interaction_id"), "orders": ("source", "order_id")}
COLUMN_KWARGS = ("column", "column_A", "column_B")
# `<field>_mapped`, usable in a row_condition: whether the row's source maps that field at all
# (a source without a customer id is not expected to fill one).
MAPPED = re.compile(r"\b([a-z_]+)_mapped\b")


@dataclass(frozen=True)
class Outcome:
    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    observed: str
    raised: str | None = None
    # A batch-share expectation (`mostly`): the rows it judged (GX's element count less the
    # missing values it skips) and its `mostly`, so that chunks and runs can be summed and the
    # same rows get the same verdict however they were delivered (see _mostly_success).
    evaluated: int | None = None
    mostly: float | None = None


_warm: Future | None = None


def warm_up() -> None:
    """Import GX and build its context in a thread while DuckDB reads files (about 2 s saved:
    DuckDB releases the GIL while it works)."""
    global _warm
    if _warm is None:
        _warm = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-import").submit(_gx)


def _context():
    global _warm
    if _warm is not None:
        future, _warm = _warm, None
        return future.result()
    return _gx()


def _gx():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx, gx.get_context(mode="ephemeral", project_config=config)


def load_suite_file(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a readable expectation suite ({exc})") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                        f"{exc.start}); save the suite as UTF-8") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        raise UserError(f"{path}: expectations: must be a list of expectations")
    for i, e in enumerate(doc["expectations"]):
        if not isinstance(e, dict) or not isinstance(e.get("type"), str):
            raise UserError(f"{path}: expectations[{i}].type: missing")
        sev = e.get("severity", "critical")
        if sev not in ("critical", "warning", "info"):
            raise UserError(
                f"{path}: expectations[{i}].severity: '{sev}' is not critical, warning or info"
            )
    doc.setdefault("name", path.stem)
    return doc


def _columns(suite: dict[str, Any]) -> list[str]:
    cols: list[str] = []
    for e in suite["expectations"]:
        kw = e.get("kwargs", {})
        cols += [kw[k] for k in COLUMN_KWARGS if isinstance(kw.get(k), str)]
        if isinstance(kw.get("row_condition"), str):
            cols += [m.group(0) for m in MAPPED.finditer(kw["row_condition"])]
        cols += [c for c in kw.get("column_list", []) if isinstance(c, str)]
    return list(dict.fromkeys(cols))


def run_suite(suite_doc: dict[str, Any], frames, gx_context=None) -> list[Outcome]:
    """Run one suite on each frame (chunk) and merge: an expectation passes if every chunk does."""
    gx, ctx = gx_context or _gx()
    from great_expectations.expectations.registry import get_expectation_impl

    for i, e in enumerate(suite_doc["expectations"]):
        try:  # GX would log an unknown type and drop the expectation silently
            get_expectation_impl(e["type"])
        except Exception:
            raise UserError(f"configuration error in expectations/{suite_doc['name']}.json: "
                            f"expectations[{i}].type: '{e['type']}' is not a Great "
                            "Expectations expectation") from None
    try:
        suite = ctx.suites.add(
            gx.ExpectationSuite(
                name=suite_doc["name"],
                expectations=[
                    {**e, "severity": e.get("severity", "critical")}
                    for e in suite_doc["expectations"]
                ],
            )
        )
    except Exception as exc:  # GX raises many types for a malformed expectation
        raise UserError(f"configuration error in expectations/{suite_doc['name']}.json: {exc}"
                        .splitlines()[0]) from None
    asset = ctx.data_sources.add_pandas(f"staged_{suite_doc['name']}").add_dataframe_asset(
        suite_doc["name"])
    definition = ctx.validation_definitions.add(
        gx.ValidationDefinition(
            name=suite_doc["name"],
            data=asset.add_batch_definition_whole_dataframe("batch"),
            suite=suite,
        )
    )
    merged: dict[int, Outcome] = {}
    for frame in frames:
        result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        for i, r in enumerate(result.results):
            cfg = r.expectation_config
            kw = cfg.kwargs
            column = kw.get("column") or kw.get("column_A") or ",".join(kw.get("column_list", []))
            raised = _raised(r.exception_info)
            res = r.result or {}
            examples = res.get("partial_unexpected_list") or []
            observed = (
                ", ".join(repr(x) for x in examples[:5])
                if examples
                else str(res.get("observed_value", ""))
            )
            sev = getattr(cfg.severity, "value", None) or str(cfg.meta.get("severity", "critical"))
            mostly = kw.get("mostly")
            evaluated = (res["element_count"] - (res.get("missing_count") or 0)
                         if mostly is not None and res.get("element_count") is not None
                         else None)
            out = Outcome(
                suite_doc["name"],
                cfg.type,
                column or None,
                sev,
                bool(r.success),
                res.get("unexpected_count"),
                observed,
                raised,
                evaluated,
                None if mostly is None else float(mostly),
            )
            prev = merged.get(i)
            if prev is None:
                merged[i] = out
            else:
                unexpected = (None
                              if prev.unexpected_count is None and out.unexpected_count is None
                              else (prev.unexpected_count or 0) + (out.unexpected_count or 0))
                evaluated = (None if prev.evaluated is None or out.evaluated is None
                             else prev.evaluated + out.evaluated)
                success = prev.success and out.success
                if (prev.mostly is not None and evaluated is not None and unexpected is not None
                        and not (prev.raised or out.raised)):
                    # the share over the whole batch, as one frame would judge it
                    success = _mostly_success(unexpected, evaluated, prev.mostly)
                merged[i] = Outcome(
                    prev.suite,
                    prev.expectation,
                    prev.column,
                    prev.severity,
                    success,
                    unexpected,
                    prev.observed if not prev.success or out.success else out.observed,
                    prev.raised or out.raised,
                    evaluated,
                    prev.mostly,
                )
    return [merged[i] for i in sorted(merged)]


def _mostly_success(unexpected: int, evaluated: int, mostly: float) -> bool:
    """GX's rule for `mostly`: the share of judged rows that pass is at least `mostly` (no rows
    judged: a pass). quality_expectations.sql applies the same rule to the sums over runs."""
    return evaluated == 0 or (evaluated - unexpected) / evaluated >= mostly


def _raised(info: dict[str, Any] | None) -> str | None:
    """The first line of the exception an expectation raised, if any. GX 1.x gives either one
    {raised_exception, exception_message} or one such dict per metric that failed to compute."""
    if not info:
        return None
    for entry in [info, *(v for v in info.values() if isinstance(v, dict))]:
        if entry.get("raised_exception"):
            return (str(entry.get("exception_message") or "") or "exception").splitlines()[0]
    return None


def _frame(table: pa.Table) -> pd.DataFrame:
    """A pandas frame with every text column categorical. GX filters the whole frame once per
    expectation: taking rows of a categorical moves integer codes, not strings (about 3x faster
    on a million rows). The categories stay Arrow strings, so no Python string is made."""
    return pd.DataFrame({name: _categorical(col) if _is_text(col.type) else col.to_pandas()
                         for name, col in zip(table.column_names, table.columns, strict=True)})


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _categorical(col: pa.ChunkedArray) -> pd.Categorical:
    encoded = pc.dictionary_encode(col.combine_chunks())  # one array: one dictionary
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    categories = pd.Index(pd.array(encoded.dictionary.cast(pa.string()),
                                   dtype=pd.ArrowDtype(pa.string())))
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))


def _mapped_columns(result: IngestResult, target: str, columns: list[str]) -> dict[str, str]:
    """SQL for each `<field>_mapped` column a suite names: the sources mapping that field."""
    out = {}
    for c in columns:
        if m := MAPPED.fullmatch(c):
            sources = sorted(s for s, mp in result.mappings.items()
                             if mp.target == target and m.group(1) in mp.fields)
            out[c] = ("source in (" + ", ".join(sql_literal(s) for s in sources) + ")"
                      if sources else "false")
    return out


def _batch_frames(con: duckdb.DuckDBPyConnection, target: str, columns: list[str], chunk_rows: int,
                  computed: dict[str, str] | None = None):
    where = "_status = 'staged'"
    n = scalar(con, f"select count(*) from batch_{target}_classified where {where}")
    chunks = max(1, math.ceil(n / chunk_rows))
    select = ", ".join(f"{(computed or {}).get(c, quote_ident(c))} as {quote_ident(c)}"
                       for c in columns) or "1 as _"
    key = ", ".join(BATCH_KEYS[target])
    if chunks == 1:
        # Through Arrow: ten times faster than .df() for text columns.
        yield _frame(con.sql(f"select {select} from batch_{target}_classified where {where}"
                             ).to_arrow_table())
        return
    # One scan into a narrow table sorted by chunk; each chunk then reads only its own row
    # groups (zone maps), instead of every chunk scanning the whole batch again.
    con.execute(f"""
        create or replace temp table validation_chunks as
        select {select}, hash({key}) % {chunks} as _chunk
        from batch_{target}_classified where {where}
        order by _chunk
    """)
    for i in range(chunks):
        yield _frame(con.sql(f"select * exclude (_chunk) from validation_chunks where _chunk = {i}"
                             ).to_arrow_table())
    con.execute("drop table validation_chunks")


def _counted(frames: Iterable[pd.DataFrame], progress: Progress, name: str
             ) -> Iterator[pd.DataFrame]:
    for frame in frames:
        yield frame
        if name in BATCH_KEYS:
            progress.step(name, len(frame))


@contextmanager
def _prefetched(frames: Iterable[pd.DataFrame]) -> Iterator[Iterator[pd.DataFrame]]:
    """The next chunk is fetched and converted (DuckDB and Arrow, which release the GIL) while
    GX, pure Python, checks the current one. On exit nothing is left running on the connection."""
    source = iter(frames)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-prefetch")
    pending: Future | None = None

    def ahead() -> Iterator[pd.DataFrame]:
        nonlocal pending
        pending = pool.submit(next, source, None)
        while (frame := pending.result()) is not None:
            pending = pool.submit(next, source, None)
            yield frame
        pending = None

    try:
        yield ahead()
    finally:
        if pending is not None:
            pending.cancel()
            try:
                pending.result()  # a query still running must finish before the caller goes on
            except BaseException:  # noqa: BLE001 -- the caller's own error is the one to report
                pass
        pool.shutdown(wait=True)


def validate_batch(
    con: duckdb.DuckDBPyConnection, cfg: RunConfig, result: IngestResult
) -> list[str]:
    """Validate this run's batches; returns warnings, raises ValidationFailed on a critical."""
    suites = sorted(cfg.expectations_dir.glob("*.json"))
    if not suites:
        raise UserError(f"{cfg.expectations_dir}: no expectation suites (*.json) found")
    loaded_targets = {f.target for f in result.files if f.status == "loaded"}
    if not loaded_targets:
        return []  # nothing new: nothing to validate
    staged_targets = {f.target for f in result.files if f.staged}
    gx_context = _context()  # one context for all suites: creating one costs about a second
    outcomes: list[Outcome] = []
    staged = {t: sum(f.staged for f in result.files if f.target == t) for t in BATCH_KEYS}
    progress = Progress("validate", sum(max(1, math.ceil(n / cfg.validation_chunk_rows))
                                        for n in staged.values() if n), cfg.quiet)
    share_limit = 0.0  # the critical bound of a file's quarantined share
    for path in suites:
        doc = load_suite_file(path)
        name = doc["name"]
        if name in BATCH_KEYS:
            if name not in staged_targets:
                continue  # nothing new for this table in this run
            cols = _columns(doc)
            _check_suite_columns(con, path, name, cols)
            frames = _batch_frames(con, name, cols, cfg.validation_chunk_rows,
                                   _mapped_columns(result, name, cols))
        elif name == "run_files":
            frames = [_run_files_frame(result)]
            if frames[0].empty:
                continue
            share_limit = _share_limit(doc)
        else:
            raise UserError(f"{path}: suite name '{name}' is not interactions, orders or run_files")
        with _prefetched(frames) as ahead:
            outcomes += run_suite(doc, _counted(ahead, progress, name), gx_context)
    _release_memory()
    _record(con, cfg, outcomes)
    errors = [o for o in outcomes if o.raised]
    if errors:
        e = errors[0]
        raise UserError(
            f"configuration error in expectations/{e.suite}.json: {e.expectation}"
            f"({e.column or ''}) could not be evaluated: {e.raised}"
        )
    critical = [o for o in outcomes if not o.success and o.severity == "critical"]
    if critical:
        _keep_for_inspection(con, cfg)
        first = critical[0]
        more = f" (+{len(critical) - 1} more)" if len(critical) > 1 else ""
        share = any(o.suite == "run_files" and o.column == "quarantined_share" for o in critical)
        raise ValidationFailed(
            f"validation failed, nothing committed: {first.suite}: {first.expectation}"
            f"({first.column or ''}) — {_describe(first)}{more}; "
            f"see {_run_dir(cfg)}"
            + (_quarantine_reasons(con, result, share_limit) if share else "")
        )
    return [
        f"{o.suite}: {o.expectation}({o.column or ''}) — {_describe(o)}"
        for o in outcomes
        if not o.success
    ]


def _share_limit(doc: dict[str, Any]) -> float:
    """The lowest critical max_value on run_files' quarantined_share (0 if none)."""
    limits = [e.get("kwargs", {}).get("max_value") for e in doc["expectations"]
              if e.get("kwargs", {}).get("column") == "quarantined_share"
              and e.get("severity", "critical") == "critical"]
    numbers = [x for x in limits if isinstance(x, int | float)]
    return float(min(numbers)) if numbers else 0.0


# A stopped run's message: this many files, and per file this many reasons, two examples each.
NOTE_FILES, NOTE_REASONS, NOTE_EXAMPLES = 3, 3, 2


def _quarantine_reasons(con: duckdb.DuckDBPyConnection, result: IngestResult,
                        limit: float) -> str:
    """Indented lines under a stop for the quarantined share: per file over the limit (most
    quarantined first) its top reasons, each with its share of the file's rows and two example
    values (the field's raw value, else the record), masked and cut short."""
    over = sorted((f for f in result.files if f.status == "loaded" and f.rows_read
                   and f.quarantined / f.rows_read > limit),
                  key=lambda f: (-f.quarantined / f.rows_read, f.source, f.file))
    lines = []
    for f in over[:NOTE_FILES]:
        lines.append(f"  {f.file} ({f.source}): {f.quarantined:,} of {f.rows_read:,} rows "
                     "quarantined")
        mapping = result.mappings.get(f.source)
        for reason, n, row_numbers, raws in con.execute(f"""
            select reason, count(*), list(source_row order by source_row)[1:$k],
                   list(_raw order by source_row)[1:$k]
            from (select source_row, _raw, unnest(_reasons) as reason
                  from batch_{f.target}_classified
                  where _status = 'quarantined' and source = $source and source_file = $file)
            group by reason order by count(*) desc, reason limit $reasons
        """, {"k": NOTE_EXAMPLES, "reasons": NOTE_REASONS, "source": f.source,
              "file": f.file}).fetchall():
            pct = 100 * n / f.rows_read
            share = f"{pct:.0f}%" if pct >= 1 else "<1%"
            lines.append(f"    {reason}: {share}, e.g. "
                         f"{_examples(mapping, reason, list(zip(row_numbers, raws, strict=True)))}")
    if len(over) > NOTE_FILES:
        lines.append(f"  (+{len(over) - NOTE_FILES} more files)")
    return "".join("\n" + line for line in lines)


def _examples(mapping: SourceMapping | None, reason: str, examples: list[tuple]) -> str:
    """`'03/18/2020' (row 1), '03/19/2020' (row 2) do not match %Y-%m-%d`, or `row 1, row 3
    (empty)` when the field is empty in both."""
    from pipeline.report.privacy import mask_pii

    field = reason.partition(":")[2]
    spec = mapping.fields.get(field) if mapping else None
    columns = spec.raw_columns if spec else ()
    values = [_field_value(mapping, columns, raw) if columns else raw for _, raw in examples]
    if columns and not any(values):
        return ", ".join(f"row {row}" for row, _ in examples) + " (empty)"
    text = ", ".join(f"'{_cut(mask_pii(str(v or '')))}' (row {row})"
                     for (row, _), v in zip(examples, values, strict=True))
    if reason.startswith("bad_timestamp:") and mapping and spec:
        formats = list(spec.formats or mapping.timestamp_formats)
        shown = ", ".join(formats[:3]) + (f", … ({len(formats)} formats)"
                                          if len(formats) > 3 else "")
        text += f" {'does' if len(examples) == 1 else 'do'} not match {shown}"
    return text


def _field_value(mapping: SourceMapping, columns: tuple[str, ...], raw: str | None
                 ) -> str | None:
    """The field's raw value in a quarantined record (its JSON text), if it can be found; else
    the record itself."""
    try:
        record = json.loads(raw or "")
    except ValueError:
        return raw
    if not isinstance(record, dict):
        return raw
    parts = []
    for column in columns:
        if mapping.format in ("jsonl", "json"):  # a dotted path into the object
            value: Any = record
            for part in column.split("."):
                if isinstance(value, dict):
                    value = value.get(part)
                elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    value = None
        elif column in record:
            value = record[column]
        else:
            return raw  # not in the record (a column a SQL source's query added)
        if value not in (None, ""):
            parts.append(value if isinstance(value, str) else json.dumps(value))
    return " ".join(parts)


def _cut(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _release_memory() -> None:
    """Give the chunks' memory back to the system: Arrow's allocator keeps freed blocks for
    reuse, which would otherwise stay in the process for the rest of the run."""
    gc.collect()
    pa.default_memory_pool().release_unused()


def _check_suite_columns(con: duckdb.DuckDBPyConnection, path: Path, name: str,
                         cols: list[str]) -> None:
    have = [r[0] for r in con.execute(f"describe batch_{name}_classified").fetchall()
            if not r[0].startswith("_")]
    for c in cols:
        if c not in have and not (MAPPED.fullmatch(c) and MAPPED.fullmatch(c).group(1) in have):
            raise UserError(f"configuration error in {path}: column '{c}' is not a column of "
                            f"{name} (columns: {', '.join(have)})")


def _describe(o: Outcome) -> str:
    if o.unexpected_count:
        return f"{o.unexpected_count} unexpected, e.g. {o.observed}"
    return f"observed {o.observed}"


def _run_files_frame(result: IngestResult) -> pd.DataFrame:
    rows = [
        {
            "source": f.source,
            "file": f.file,
            "rows_read": f.rows_read,
            "staged": f.staged,
            "quarantined": f.quarantined,
            "duplicates": f.duplicates,
            "quarantined_share": (f.quarantined / f.rows_read) if f.rows_read else 0.0,
        }
        for f in result.files
        if f.status == "loaded"
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "source",
            "file",
            "rows_read",
            "staged",
            "quarantined",
            "duplicates",
            "quarantined_share",
        ],
    )


def _run_dir(cfg: RunConfig) -> Path:
    return cfg.reports_dir / "validation" / cfg.run_id


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _record(con: duckdb.DuckDBPyConnection, cfg: RunConfig, outcomes: list[Outcome]) -> None:
    """Results where people read them (Markdown + JSON), and in the warehouse's validations."""
    for o in outcomes:
        con.execute(
            "insert into validations (run_id, suite, expectation, column_name, severity, "
            "success, unexpected_count, observed, evaluated, mostly) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cfg.run_id,
                o.suite,
                o.expectation,
                o.column,
                o.severity,
                o.success,
                o.unexpected_count,
                o.observed[:500],
                o.evaluated,
                o.mostly,
            ],
        )
    from pipeline.report.export import write_bytes

    # A run that stops here (a critical failure, an expectation that could not run) keeps its
    # evidence in its own folder at once, on purpose: nothing else of it survives. Every other
    # run's evidence is held with the report's files, moved into place only once the warehouse
    # commits, so no file describes a run that was rolled back.
    stops = any(o.raised or (not o.success and o.severity == "critical") for o in outcomes)

    def put(path: Path, text: str) -> None:
        if stops:
            _write(path, text)
        else:
            write_bytes(path, text.encode("utf-8"))

    run_dir = _run_dir(cfg)
    put(
        run_dir / "validation.json",
        json.dumps([o.__dict__ for o in outcomes], indent=2, default=str),
    )
    lines = [
        f"# Validation of run {cfg.run_id}",
        "",
        "| suite | expectation | column | severity | result | unexpected | observed |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        verdict = "error" if o.raised else ("pass" if o.success else "FAIL")
        observed = o.observed.replace("|", "\\|").replace("\n", " ")[:120]
        lines.append(
            f"| {o.suite} | {o.expectation} | {o.column or ''} | {o.severity} | "
            f"{verdict} | {o.unexpected_count if o.unexpected_count is not None else ''}"
            f" | {observed} |"
        )
    text = "\n".join(lines) + "\n"
    put(run_dir / "validation.md", text)
    # always held: latest.md describes the last run that committed
    write_bytes(cfg.reports_dir / "validation" / "latest.md", text.encode("utf-8"))


# Rows per step when the quarantine of a stopped run is masked and written out.
INSPECTION_BATCH_ROWS = 10_000


def _keep_for_inspection(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> None:
    """The run is rolled back; its quarantine is kept beside the validation result, each raw
    record masked as the report's examples are (e-mail addresses and phone numbers become
    [e-mail] and [phone]; dates, codes, ids and the reasons stay as evidence). The raw record
    itself stays in the warehouse's quarantine table only, when a run commits."""
    import pyarrow.parquet as pq

    from pipeline.report.privacy import mask_pii

    run_dir = _run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    for target in BATCH_KEYS:
        out = run_dir / f"quarantine_{target}.parquet"
        tmp = out.with_name(out.name + ".tmp")  # never a half-written file under the real name
        reader = con.sql(
            f"select source, source_file, source_row, _reasons, _raw "
            f"from batch_{target}_classified where _status = 'quarantined' "
            f"order by source, source_file, source_row"
        ).to_arrow_reader(INSPECTION_BATCH_ROWS)
        raw_at = reader.schema.get_field_index("_raw")
        raw_type = reader.schema.field(raw_at).type
        with pq.ParquetWriter(tmp, reader.schema) as writer:
            for batch in reader:
                masked = pa.array([None if v is None else _masked_record(v, mask_pii)
                                   for v in batch.column(raw_at).to_pylist()], raw_type)
                writer.write_batch(batch.set_column(raw_at, "_raw", masked))
        tmp.replace(out)


def _masked_record(raw: str, mask) -> str:
    """A raw record with personal data masked: a JSON record value by value (so that a phone
    number written with a tab, "\\t" in JSON, is still found), anything else as text."""
    try:
        record = json.loads(raw)
    except ValueError:
        return mask(raw)
    if not isinstance(record, dict | list):
        return mask(raw)

    def each(value: Any) -> Any:
        if isinstance(value, str):
            return mask(value)
        if isinstance(value, dict):
            return {k: each(v) for k, v in value.items()}
        if isinstance(value, list):
            return [each(v) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool):  # 60123456789
            text = json.dumps(value)
            return value if mask(text) == text else mask(text)
        return value

    return json.dumps(each(record), ensure_ascii=False, separators=(",", ":"))
