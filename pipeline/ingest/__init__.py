"""Ingest: every source mapping's files → typed canonical rows, quarantine, and the run ledger.

Entry point: `ingest(con, cfg)`. Runs inside the caller's transaction; raises UserError on bad
input and ValidationFailed when a critical expectation fails, so the caller rolls back.
Conservation, per file: rows read = staged + quarantined + duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.config import RunConfig
from pipeline.db import quote_ident, rows, scalar, sql_literal
from pipeline.errors import UserError
from pipeline.ingest import read
from pipeline.ingest.sources import (
    KEY_FIELD,
    TARGET_FIELDS,
    SourceMapping,
    load_mappings,
)
from pipeline.ingest.stage import staging_sql
from pipeline.ingest.validate import validate_batch, warm_up
from pipeline.progress import Progress

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
    # (source, file) -> (size in bytes, modification time in ns) when the run looked at it
    file_stats: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

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


def _check_columns(mapping: SourceMapping, raw: read.RawFiles) -> None:
    if mapping.format == "jsonl":
        return  # paths into objects; a missing key is a missing value, caught per row
    # Each file on its own: a column renamed or dropped in one file is schema drift, an error.
    for path, columns in (raw.file_columns or {"": raw.columns}).items():
        present, named = set(columns), Path(path).name or _files_named(raw)
        for spec in mapping.fields.values():
            for col in spec.raw_columns:
                if col.startswith("_unpivot_") or col in present:
                    continue
                raise UserError(
                    f"{mapping.path}: fields.{spec.name}: column '{col}' is not in "
                    f"{named} (columns: {', '.join(columns)})")
        for col in mapping.unpivot.columns if mapping.unpivot else ():
            if col not in present:
                raise UserError(f"{mapping.path}: unpivot.columns: column '{col}' is not in "
                                f"{named} (columns: {', '.join(columns)})")


def _files_named(raw: read.RawFiles) -> str:
    names = [Path(p).name for p in raw.rows_read]
    return names[0] if len(names) == 1 else f"{names[0]} (or another of {len(names)} files)"


def _sql_source(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, primary: Path,
                cfg: RunConfig) -> read.RawFiles:
    """Run the mapping's query over its inputs; the primary input is this one file."""
    first = mapping.inputs[0]
    raw = read.read_files(con, "raw_primary", first.format, [primary], first.csv)
    con.execute(f"create or replace temp view {first.name} as select * from raw_primary")
    for spec in mapping.inputs[1:]:
        files = resolve_files(spec.files, cfg.data_dir, mapping, f"inputs.{spec.name}.files")
        if not files:
            raise UserError(f"{mapping.path}: inputs.{spec.name}.files: no file matches "
                            f"'{spec.files}' under {cfg.data_dir}")
        r = read.read_files(con, f"raw_input_{spec.name}", spec.format, files, spec.csv)
        con.execute(f"create or replace temp view {spec.name} as "
                    f"select * exclude (_path, _row, _raw) from {r.table}")
    try:
        con.execute(f"create or replace temp table raw_query as {mapping.query}")
    except duckdb.Error as exc:
        raise UserError(f"{mapping.path}: query: {str(exc).splitlines()[0]}") from None
    cols = [r[0] for r in rows(con, "describe raw_query")]
    for needed in ("_path", "_row", "_raw"):
        if needed not in cols:
            raise UserError(f"{mapping.path}: query: must return the primary input's "
                            f"`{needed}` (e.g. select {first.name}.* ...)")
    fanout = scalar(con, "select count(*) - count(distinct _row) from raw_query")
    if fanout:
        raise UserError(f"{mapping.path}: query: returns {fanout} extra row(s) for rows of "
                        f"{primary.name}: a join matches more than once")
    # Primary rows the query dropped are quarantined, never lost.
    con.execute(f"""
        create or replace temp table raw_query_rejects as
        select _path, _row, _raw, reason from raw_primary_rejects
        union all
        select p._path, p._row, {raw.raw_text('p._raw')}, 'dropped_by_query' from raw_primary p
        anti join raw_query q on q._row = p._row
    """)
    raw_type = scalar(con, "select column_type from (describe raw_query) "
                           "where column_name = '_raw'")
    return read.RawFiles("raw_query", tuple(c for c in cols if not c.startswith("_")),
                         raw.rows_read, raw_struct=raw_type.upper().startswith("STRUCT"))


def _unpivot(con: duckdb.DuckDBPyConnection, mapping: SourceMapping,
             raw: read.RawFiles) -> read.RawFiles:
    """Wide survey rows → one row per answered column; rows with no answer are quarantined.

    Rows read then count answered cells plus unanswered rows, so conservation still holds."""
    u = mapping.unpivot
    assert u is not None
    tokens = [t.strip() for t in mapping.null_tokens]
    cols = list(u.columns)
    cleaned = ", ".join(
        f"case when list_contains($tokens, trim({quote_ident(c)})) then null "
        f"else {quote_ident(c)} end as {quote_ident(c)}" for c in cols)
    on = ", ".join(quote_ident(c) for c in cols)
    key = mapping.fields[mapping.key_field]
    # One respondent answers several questions: each answer is its own interaction.
    rekey = (f", {quote_ident(key.column)} || '/' || "
             f"map_extract_value(map($cols, $topics), _unpivot_column) as {quote_ident(key.column)}"
             if key.column else "")
    con.execute(f"""
        create or replace temp table raw_unpivot as
        select * exclude (_unpivot_column{', ' + quote_ident(key.column) if key.column else ''}),
               map_extract_value(map($cols, $topics), _unpivot_column) as _unpivot_name
               {rekey}
        from (
            unpivot (select * replace ({cleaned}) from {raw.table})
            on {on} into name _unpivot_column value _unpivot_value
        )
    """, {"tokens": tokens, "cols": cols, "topics": [u.columns[c] for c in cols]})
    con.execute(f"""
        create or replace temp table raw_unpivot_rejects as
        select * from {raw.table}_rejects
        union all
        select _path, _row, {raw.raw_text('_raw')}, 'no_answers' from {raw.table}
        anti join raw_unpivot using (_path, _row)
    """)
    counts = {p: 0 for p in raw.rows_read}
    for path, n in rows(con, "select _path, count(*) from (select _path from raw_unpivot "
                             "union all select _path from raw_unpivot_rejects) group by 1"):
        counts[path] = n
    return read.RawFiles("raw_unpivot", raw.columns, counts, raw_struct=raw.raw_struct)


def _create_batch(con: duckdb.DuckDBPyConnection, target: str) -> None:
    cols = ", ".join(TARGET_FIELDS[target])
    con.execute(f"""
        create or replace table stage.batch_{target} as
        select {cols}, source, source_file, source_row, file_hash,
               0::integer as _file_seq, ''::varchar as _raw, []::varchar[] as _reasons
        from {target} where false
    """)


def _stage(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, raw: read.RawFiles,
           lineage: list[tuple[str, str, str, int]], cfg: RunConfig) -> dict[str, int]:
    """Stage raw rows (several files at once) into batch_<target>; returns rows read per file."""
    _check_columns(mapping, raw)
    if mapping.unpivot:
        raw = _unpivot(con, mapping, raw)
    con.execute("create or replace temp table file_lineage (_path varchar, source_file varchar, "
                "file_hash varchar, file_seq integer)")
    con.executemany("insert into file_lineage values (?, ?, ?, ?)", lineage)
    oldest = cfg.now.replace(year=cfg.now.year - 30)
    sql, params = staging_sql(mapping, raw.table, cfg.now, oldest)
    cols = ", ".join(TARGET_FIELDS[mapping.target])
    try:
        con.execute(f"""
            insert into stage.batch_{mapping.target}
            select {cols}, $src, l.source_file, s._row, l.file_hash, l.file_seq,
                   -- the raw record is kept only where it may be quarantined
                   case when len(s._reasons) > 0 then {raw.raw_text('s._raw')} end, s._reasons
            from ({sql}) s join file_lineage l using (_path)
        """, {**params, "src": mapping.source})
    except duckdb.Error as exc:
        raise UserError(f"{mapping.path}: cannot stage {_files_named(raw)}: "
                        f"{str(exc).splitlines()[0]}") from None
    con.execute(f"""
        insert into stage.batch_{mapping.target} (source, source_file, source_row, file_hash,
                                           _file_seq, _raw, _reasons)
        select $src, l.source_file, r._row, l.file_hash, l.file_seq, r._raw, [r.reason]
        from {raw.table}_rejects r join file_lineage l using (_path)
    """, {"src": mapping.source})
    return raw.rows_read


def _classify(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Mark each batch row staged, duplicate or quarantined; first seen wins, deterministically."""
    key = KEY_FIELD[target]
    cols = ", ".join(TARGET_FIELDS[target])
    fields = TARGET_FIELDS[target]
    sql = (SQL_DIR / "classify_batch.sql").read_text().format(
        target=target, key=key, t_cols=", ".join(f"t.{c}" for c in fields),
        b_cols=", ".join(f"b.{c}" for c in fields))
    con.execute(sql)
    # Every batch row with its fate, without copying the batch: the fate table is tiny.
    con.execute(f"""
        create or replace temp view batch_{target}_classified as
        select b.* replace (
                   case when f._status = 'quarantined' then ['duplicate_id_conflict']
                        else b._reasons end as _reasons,
                   coalesce(b._raw, to_json(struct_pack({cols}))::varchar) as _raw),
               case when len(b._reasons) > 0 then 'quarantined'
                    else coalesce(f._status, 'staged') end as _status
        from stage.batch_{target} b
        left join batch_{target}_fate f on f._rid = b.rowid
    """)


@contextmanager
def staging_area(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> Iterator[None]:
    """A scratch DuckDB file beside the warehouse, attached as `stage`, for the run's typed
    batch. Its tables are stored compressed and paged from disk, where temporary tables would
    hold the whole batch uncompressed in memory (GBs at 10M rows) and spill it. Removed after
    the run; one a killed run left behind is removed before the next (we hold the run lock)."""
    path = ":memory:" if str(cfg.warehouse) == ":memory:" else \
        str(cfg.warehouse.with_name(cfg.warehouse.name + ".stage"))
    _remove_stage_files(path)
    con.execute(f"attach {sql_literal(path)} as stage")
    try:
        yield
    finally:
        con.execute("detach stage")
        _remove_stage_files(path)


def _remove_stage_files(path: str) -> None:
    if path != ":memory:":
        for p in (Path(path), Path(path + ".wal")):
            p.unlink(missing_ok=True)


def stage_batch(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> IngestResult:
    """Read, type, check and classify every new file into temporary batch tables.

    Touches only this connection's temporary tables, so it runs before the run's transaction
    opens: DuckDB 2.0 loses the rows of a large temporary table that a transaction both filled
    and then inserted into again (seen at 1M rows), and a crash here leaves the warehouse as is.
    """
    mappings = load_mappings(cfg.sources_dir)
    result = IngestResult(run_id=cfg.run_id)
    for target in TARGETS:
        _create_batch(con, target)
    loaded = {(r[0], r[1]) for r in rows(
        con, "select source, file_hash from run_files where status = 'loaded'")}
    # A file at the same place with the same size and modification time as one loaded before
    # is taken to be that file, without reading it again (as make and rsync do).
    known = {(r[0], r[1], r[2], r[3]): r[4] for r in rows(con, """
        select source, source_file, file_size, file_mtime_ns, any_value(file_hash)
        from run_files where status = 'loaded' and file_size is not null group by all""")}
    read_counts: dict[tuple[str, str], tuple[str, str, int]] = {}
    skipped: list[FileResult] = []
    seq = 0
    progress = Progress("ingest", len(mappings), cfg.quiet)
    for mapping in mappings:
        files = resolve_files(mapping.primary_files, cfg.data_dir, mapping,
                              "inputs" if mapping.format == "sql" else "files")
        new: list[tuple[Path, str, str, int]] = []
        for path in files:
            rel = _relative(path, cfg.data_dir)
            stat = path.stat()
            result.file_stats[(mapping.source, rel)] = (stat.st_size, stat.st_mtime_ns)
            digest = (known.get((mapping.source, rel, stat.st_size, stat.st_mtime_ns))
                      or file_hash(path))
            if (mapping.source, digest) in loaded:
                # The same content was loaded before (maybe under another name): only counted.
                skipped.append(FileResult(mapping.source, mapping.target, rel, digest,
                                          "already_loaded", 0, 0, 0, 0))
                continue
            loaded.add((mapping.source, digest))
            seq += 1
            new.append((path, rel, digest, seq))
        if not new:
            progress.step(mapping.source)
            continue
        warm_up()  # new rows will need Great Expectations: import it while DuckDB reads
        if mapping.format == "sql":
            batches = [([p], [(p, rel, digest, n)]) for p, rel, digest, n in new]
        else:
            batches = [([p for p, *_ in new], new)]
        for paths, lineage in batches:
            if mapping.format == "sql":
                raw = _sql_source(con, mapping, paths[0], cfg)
            else:
                raw = read.read_files(con, "raw_files", mapping.format, paths, mapping.csv)
            counts = _stage(con, mapping, raw,
                            [(str(p), rel, d, n) for p, rel, d, n in lineage], cfg)
            read.drop_raw(con)  # staged: the raw text copies would only hold memory
            for p, rel, digest, _ in lineage:
                read_counts[(mapping.source, rel)] = (mapping.target, digest, counts[str(p)])
        progress.step(mapping.source, sum(n for t, d, n in read_counts.values()) - progress.rows)
    for target in TARGETS:
        _classify(con, target)
    result.files = _file_results(con, read_counts) + skipped
    _check_conservation(result)
    return result


def publish_batch(con: duckdb.DuckDBPyConnection, cfg: RunConfig,
                  result: IngestResult) -> IngestResult:
    """Validate the staged batch and write it to the warehouse, inside the run's transaction."""
    result.validation_warnings = validate_batch(con, cfg, result)
    _publish(con, cfg, result)
    _check_ledger(con, cfg, result)
    return result


def ingest(con: duckdb.DuckDBPyConnection, cfg: RunConfig) -> IngestResult:
    """Both halves, for a caller that manages no transaction (tests, notebooks)."""
    with staging_area(con, cfg):
        return publish_batch(con, cfg, stage_batch(con, cfg))


def _check_ledger(con: duckdb.DuckDBPyConnection, cfg: RunConfig, result: IngestResult) -> None:
    """What the ledger says was written is what the tables hold for this run."""
    for target in TARGETS:
        want = sum(f.staged for f in result.files if f.target == target)
        got = scalar(con, f"select count(*) from {target} where run_id = ?", [cfg.run_id])
        if got != want:
            raise RuntimeError(f"{target}: run {cfg.run_id} wrote {got} rows, ledger says {want}")
    want = sum(f.quarantined for f in result.files)
    got = scalar(con, "select count(*) from quarantine where run_id = ?", [cfg.run_id])
    if got != want:
        raise RuntimeError(f"quarantine: run {cfg.run_id} wrote {got} rows, ledger says {want}")


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
            insert into {target} ({cols}, source, source_file, source_row, file_hash, run_id)
            select {cols}, source, source_file, source_row, file_hash, $run
            from batch_{target}_classified where _status = 'staged'
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
            "insert into run_files (run_id, source, target, source_file, file_hash, status, "
            "rows_read, staged, quarantined, duplicates, file_size, file_mtime_ns) values "
            "($run, $src, $target, $file, $hash, $status, $read, $staged, $quarantined, $dups, "
            "$size, $mtime)",
            {
                **params,
                "size": result.file_stats.get((f.source, f.file), (None, None))[0],
                "mtime": result.file_stats.get((f.source, f.file), (None, None))[1],
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
