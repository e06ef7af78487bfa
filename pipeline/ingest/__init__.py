"""Ingest: every source mapping's files → typed canonical rows, quarantine, and the run ledger.

Entry point: `ingest(con, cfg)`. Runs inside the caller's transaction; raises UserError on bad
input and ValidationFailed when a critical expectation fails, so the caller rolls back.
Conservation, per file: rows read = staged + quarantined + duplicates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.config import RunConfig
from pipeline.db import quote_ident, rows, scalar
from pipeline.errors import UserError
from pipeline.ingest import read
from pipeline.ingest.sources import (
    KEY_FIELD,
    TARGET_FIELDS,
    InputSpec,
    SourceMapping,
    load_mappings,
)
from pipeline.ingest.stage import staging_sql
from pipeline.ingest.validate import validate_batch

SQL_DIR = Path(__file__).parent
TARGETS = ("interactions", "orders")


@dataclass(frozen=True)
class FileResult:
    source: str
    target: str
    file: str
    file_hash: str
    status: str  # loaded | already_loaded
    rows_read: int
    staged: int
    quarantined: int
    duplicates: int


@dataclass
class IngestResult:
    run_id: str
    files: list[FileResult] = field(default_factory=list)
    validation_warnings: list[str] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)


def file_hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def resolve_files(pattern: str, data_dir: Path, mapping: SourceMapping, key: str) -> list[Path]:
    """Files matching a mapping's pattern, sorted, all inside the data folder."""
    root = data_dir.resolve()
    found = []
    for p in sorted(data_dir.glob(pattern)):
        real = p.resolve()
        if not real.is_relative_to(root):
            raise UserError(f"{mapping.path}: {key}: '{p}' lies outside the data folder {root}")
        if real.is_file():
            found.append(p)
    return found


def _relative(path: Path, data_dir: Path) -> str:
    return path.resolve().relative_to(data_dir.resolve()).as_posix()


def _read_raw(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, fmt: str, spec: SourceMapping | InputSpec
) -> read.RawFile:
    if fmt == "csv":
        return read.read_csv(con, name, path, spec.csv)
    if fmt == "jsonl":
        return read.read_jsonl(con, name, path)
    return read.read_parquet(con, name, path)


def _check_columns(mapping: SourceMapping, raw: read.RawFile, path: Path) -> None:
    if mapping.format == "jsonl":
        return  # paths into objects; a missing key is a missing value, caught per row
    present = set(raw.columns)
    for spec in mapping.fields.values():
        for col in spec.raw_columns:
            if col.startswith("_unpivot_"):
                continue
            if col not in present:
                raise UserError(
                    f"{mapping.path}: fields.{spec.name}: column '{col}' is not in {path.name} "
                    f"(columns: {', '.join(raw.columns)})"
                )
    if mapping.unpivot:
        for col in mapping.unpivot.columns:
            if col not in present:
                raise UserError(
                    f"{mapping.path}: unpivot.columns: column '{col}' is not in "
                    f"{path.name} (columns: {', '.join(raw.columns)})"
                )


def _sql_source(
    con: duckdb.DuckDBPyConnection, mapping: SourceMapping, primary: Path, cfg: RunConfig
) -> read.RawFile:
    """Run the mapping's query over its inputs; the primary input is this one file."""
    first = mapping.inputs[0]
    raw = _read_raw(con, "raw_primary", primary, first.format, first)
    con.execute(
        f"create or replace temp view {first.name} as "
        f"select *, {read_literal(_relative(primary, cfg.data_dir))} as _file "
        "from raw_primary"
    )
    for spec in mapping.inputs[1:]:
        files = resolve_files(spec.files, cfg.data_dir, mapping, f"inputs.{spec.name}.files")
        if not files:
            raise UserError(
                f"{mapping.path}: inputs.{spec.name}.files: no file matches "
                f"'{spec.files}' under {cfg.data_dir}"
            )
        parts = []
        for i, p in enumerate(files):
            r = _read_raw(con, f"raw_{spec.name}_{i}", p, spec.format, spec)
            parts.append(
                f"select *, {read_literal(_relative(p, cfg.data_dir))} as _file from {r.table}"
            )
        con.execute(
            f"create or replace temp view {spec.name} as " + " union all by name ".join(parts)
        )
    try:
        con.execute(f"create or replace temp table raw_query as {mapping.query}")
    except duckdb.Error as exc:
        raise UserError(f"{mapping.path}: query: {str(exc).splitlines()[0]}") from None
    cols = [r[0] for r in rows(con, "describe raw_query")]
    for needed in ("_row", "_raw"):
        if needed not in cols:
            raise UserError(
                f"{mapping.path}: query: must return the primary input's `{needed}` "
                f"(e.g. select {first.name}.* ...)"
            )
    fanout = scalar(con, "select count(*) - count(distinct _row) from raw_query")
    if fanout:
        raise UserError(
            f"{mapping.path}: query: returns {fanout} extra row(s) for rows of "
            f"{primary.name}: a join matches more than once"
        )
    # Primary rows the query dropped are quarantined, never lost.
    con.execute("""
        create or replace temp table raw_query_rejects as
        select _row, _raw, reason from raw_primary_rejects
        union all
        select p._row, p._raw, 'dropped_by_query' from raw_primary p
        anti join raw_query q on q._row = p._row
    """)
    con.execute("create or replace temp table raw_query as select * from raw_query order by _row")
    return read.RawFile(
        table="raw_query",
        columns=tuple(cols),
        rows_read=raw.rows_read,
        rejected=scalar(con, "select count(*) from raw_query_rejects"),
    )


def read_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unpivot(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, raw: read.RawFile) -> int:
    """Wide survey rows → one row per answered column; rows with no answer are quarantined."""
    u = mapping.unpivot
    assert u is not None
    tokens = [t.strip() for t in mapping.null_tokens]
    cols = list(u.columns)
    cleaned = ", ".join(
        f"case when list_contains($tokens, trim({quote_ident(c)})) then null "
        f"else {quote_ident(c)} end as {quote_ident(c)}"
        for c in cols
    )
    on = ", ".join(quote_ident(c) for c in cols)
    con.execute(
        f"""
        create or replace temp table raw_unpivot as
        select * exclude (_unpivot_column),
               map_extract_value(map($cols, $topics), _unpivot_column) as _unpivot_name
        from (
            unpivot (select * replace ({cleaned}) from {raw.table})
            on {on} into name _unpivot_column value _unpivot_value
        )
        order by _row, _unpivot_name
    """,
        {"tokens": tokens, "cols": cols, "topics": [u.columns[c] for c in cols]},
    )
    con.execute(f"""
        insert into {raw.table}_rejects
        select _row, _raw, 'no_answers' from {raw.table}
        anti join raw_unpivot using (_row)
    """)
    key = mapping.key_field
    spec = mapping.fields[key]
    if spec.column:
        # One respondent answers several questions: each answer is its own interaction.
        con.execute(
            f"update raw_unpivot set {quote_ident(spec.column)} = "
            f"{quote_ident(spec.column)} || '/' || _unpivot_name"
        )
    return scalar(con, "select count(*) from raw_unpivot") + scalar(
        con, f"select count(*) from {raw.table}_rejects"
    )


def _create_batch(con: duckdb.DuckDBPyConnection, target: str) -> None:
    cols = ", ".join(TARGET_FIELDS[target])
    con.execute(f"""
        create or replace temp table batch_{target} as
        select {cols}, source, source_file, source_row, file_hash,
               0::integer as _file_seq, ''::varchar as _raw, []::varchar[] as _reasons
        from {target} where false
    """)


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    path: Path,
    rel: str,
    digest: str,
    seq: int,
    cfg: RunConfig,
) -> int:
    """Read one file into batch_<target>; returns the rows read from it."""
    if mapping.format == "sql":
        raw = _sql_source(con, mapping, path, cfg)
    else:
        raw = _read_raw(con, "raw_file", path, mapping.format, mapping)
    _check_columns(mapping, raw, path)
    table = raw.table
    rows_read = raw.rows_read
    if mapping.unpivot:
        rows_read = _unpivot(con, mapping, raw)
        rejects = f"{raw.table}_rejects"
        table = "raw_unpivot"
    else:
        rejects = f"{raw.table}_rejects"
    oldest = cfg.now.replace(year=cfg.now.year - 30)
    sql, params = staging_sql(mapping, table, cfg.now, oldest)
    cols = ", ".join(TARGET_FIELDS[mapping.target])
    lineage = {"src": mapping.source, "file": rel, "hash": digest, "seq": seq}
    try:
        con.execute(
            f"""
            insert into batch_{mapping.target}
            select {cols}, $src, $file, _row, $hash, $seq, _raw, _reasons
            from ({sql}) staged
        """,
            {**params, **lineage},
        )
    except duckdb.Error as exc:
        raise UserError(
            f"{mapping.path}: cannot stage {path.name}: {str(exc).splitlines()[0]}"
        ) from None
    con.execute(
        f"""
        insert into batch_{mapping.target} ({
            ", ".join(
                [
                    "source",
                    "source_file",
                    "source_row",
                    "file_hash",
                    "_file_seq",
                    "_raw",
                    "_reasons",
                ]
            )
        })
        select $src, $file, _row, $hash, $seq, _raw, [reason] from {rejects}
    """,
        lineage,
    )
    return rows_read


def _classify(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Mark each batch row staged, duplicate or quarantined; first seen wins, deterministically."""
    key = KEY_FIELD[target]
    cols = ", ".join(TARGET_FIELDS[target])
    sql = (SQL_DIR / "classify_batch.sql").read_text().format(target=target, key=key, cols=cols)
    con.execute(sql)


def ingest(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> IngestResult:
    mappings = load_mappings(cfg.sources_dir)
    result = IngestResult(run_id=cfg.run_id)
    for target in TARGETS:
        _create_batch(con, target)
    loaded = {
        (r[0], r[1])
        for r in rows(con, "select source, file_hash from run_files where status = 'loaded'")
    }
    read_counts: dict[tuple[str, str], tuple[str, str, int]] = {}
    skipped: list[FileResult] = []
    seq = 0
    for mapping in mappings:
        files = resolve_files(
            mapping.primary_files,
            cfg.data_dir,
            mapping,
            "inputs" if mapping.format == "sql" else "files",
        )
        for path in files:
            rel = _relative(path, cfg.data_dir)
            digest = file_hash(path)
            if (mapping.source, digest) in loaded:
                # The same content was loaded before (maybe under another name): only counted.
                skipped.append(
                    FileResult(
                        mapping.source, mapping.target, rel, digest, "already_loaded", 0, 0, 0, 0
                    )
                )
                continue
            loaded.add((mapping.source, digest))
            seq += 1
            n = _stage_file(con, mapping, path, rel, digest, seq, cfg)
            read_counts[(mapping.source, rel)] = (mapping.target, digest, n)
    for target in TARGETS:
        _classify(con, target)
    result.files = _file_results(con, read_counts) + skipped
    _check_conservation(result)
    result.validation_warnings = validate_batch(con, cfg, result)
    _publish(con, cfg, result)
    return result


def _file_results(
    con: duckdb.DuckDBPyConnection, read_counts: dict[tuple[str, str], tuple[str, str, int]]
) -> list[FileResult]:
    out = []
    for target in TARGETS:
        for src, file, digest, staged, quarantined, dups in rows(
            con,
            f"""
            select source, source_file, any_value(file_hash),
                   count(*) filter (where _status = 'staged'),
                   count(*) filter (where _status = 'quarantined'),
                   count(*) filter (where _status = 'duplicate')
            from batch_{target}_classified group by source, source_file
            order by source, source_file
        """,
        ):
            out.append(
                FileResult(
                    src,
                    target,
                    file,
                    digest,
                    "loaded",
                    read_counts[(src, file)][2],
                    staged,
                    quarantined,
                    dups,
                )
            )
    seen = {(f.source, f.file) for f in out}
    for (src, file), (target, digest, n) in read_counts.items():
        if (src, file) not in seen:  # a header-only file: read, nothing in it
            out.append(FileResult(src, target, file, digest, "loaded", n, 0, 0, 0))
    return sorted(out, key=lambda f: (f.source, f.file))


def _check_conservation(result: IngestResult) -> None:
    for f in result.files:
        if f.rows_read != f.staged + f.quarantined + f.duplicates:
            raise RuntimeError(
                f"conservation broken for {f.file}: read {f.rows_read} != staged {f.staged} + "
                f"quarantined {f.quarantined} + duplicates {f.duplicates}"
            )


def _publish(con: duckdb.DuckDBPyConnection, cfg: RunConfig, result: IngestResult) -> None:
    params = {"run": cfg.run_id}
    for target in TARGETS:
        cols = ", ".join(TARGET_FIELDS[target])
        con.execute(
            f"""
            insert into {target} ({cols}, source, source_file, source_row, file_hash, run_id,
                                  row_hash)
            select {cols}, source, source_file, source_row, file_hash, $run, row_hash
            from batch_{target}_classified where _status = 'staged'
            order by source, source_file, source_row
        """,
            params,
        )
        con.execute(
            f"""
            insert into quarantine
            select $run, source, '{target}', source_file, source_row, file_hash,
                   _reasons[1], _reasons, _raw
            from batch_{target}_classified where _status = 'quarantined'
            order by source, source_file, source_row
        """,
            params,
        )
    for f in result.files:
        con.execute(
            "insert into run_files values ($run, $src, $target, $file, $hash, $status, "
            "$read, $staged, $quarantined, $dups)",
            {
                **params,
                "src": f.source,
                "target": f.target,
                "file": f.file,
                "hash": f.file_hash,
                "status": f.status,
                "read": f.rows_read,
                "staged": f.staged,
                "quarantined": f.quarantined,
                "dups": f.duplicates,
            },
        )
