"""Ingest: every source mapping's files → typed canonical rows, quarantine, and the run ledger.

Entry points: `stage_batch(con, cfg)` inside `staging_area`, then `publish_batch` (pipeline/run.py).
Both run inside the caller's transaction; they raise UserError on bad input and ValidationFailed
when a critical expectation fails, so the caller rolls back.
Conservation, per file: rows read = staged + quarantined + duplicates.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import yaml

from pipeline import models
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
from pipeline.ingest.stage import choose_formats, staging_sql
from pipeline.ingest.validate import validate_batch, warm_up
from pipeline.progress import Progress

TARGETS = ("interactions", "orders")
UNPIVOT_KEY = "_unpivot_key"  # an unpivoted row's key: the raw key column, '/', the topic


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
    # sources whose mapping changed since some of their loaded files were read (one line each)
    notices: list[str] = field(default_factory=list)
    reloaded: tuple[str, ...] = ()  # sources this run replaces (--reload)
    mappings: dict[str, SourceMapping] = field(default_factory=dict)  # by source
    mapping_hashes: dict[str, str] = field(default_factory=dict)  # by source, see mapping_hash

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)


def file_hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def mapping_hash(mapping: SourceMapping) -> str:
    """What a file was read with: a hash of its source's mapping as parsed YAML. Comments,
    spacing, quoting, key order and `description` do not count; any other edit does (writing
    out a default, too). Kept in run_files.mapping_hash."""
    try:
        doc = yaml.safe_load(mapping.path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserError(f"{mapping.path}: cannot read ({exc})".splitlines()[0]) from None

    def canonical(value: object) -> object:
        if isinstance(value, dict):
            return {str(k): canonical(v) for k, v in value.items()}
        if isinstance(value, list):
            return [canonical(v) for v in value]
        return value

    if isinstance(doc, dict):
        doc.pop("description", None)
    text = json.dumps(canonical(doc), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _changed_mappings(con: duckdb.DuckDBPyConnection, result: IngestResult) -> list[str]:
    """A line per source whose loaded files were read with another mapping than its current
    one (files loaded before hashes were kept are not judged)."""
    older: dict[str, int] = {}
    for source, digest, n in rows(con, """
        select source, mapping_hash, count(*) from run_files
        where status = 'loaded' and mapping_hash is not null group by all"""):
        if source in result.mapping_hashes and source not in result.reloaded \
                and digest != result.mapping_hashes[source]:
            older[source] = older.get(source, 0) + n
    return [f"source '{source}': {result.mappings[source].path} changed since {n} loaded "
            f"file(s) were read; they keep the old reading until you run "
            f"`python -m pipeline ingest --reload {source}`"
            for source, n in sorted(older.items())]


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


def _primary_files(mappings: list[SourceMapping], cfg: RunConfig) -> dict[str, list[Path]]:
    """Each source's files (a SQL source's primary input). Two sources of one target that read
    the same file would load its rows twice under two names: refused, naming both mappings.
    (A file read for both targets is fine, as is a lookup file several SQL sources join.)"""
    out: dict[str, list[Path]] = {}
    owner: dict[tuple[str, Path], SourceMapping] = {}
    for m in mappings:
        key = "inputs" if m.format == "sql" else "files"
        out[m.source] = resolve_files(m.primary_files, cfg.data_dir, m, key)
        for path in out[m.source]:
            other = owner.setdefault((m.target, path.resolve()), m)
            if other is not m:
                raise UserError(
                    f"{m.path}: {key}: '{_relative(path, cfg.data_dir)}' is also read by "
                    f"{other.path} (source '{other.source}'); its rows would load twice as "
                    f"{m.target} of two sources: remove one mapping or narrow its {key}")
    return out


def _check_unchanged(paths: list[Path], hashed: dict[Path, os.stat_result]) -> None:
    """A file written to while the run hashed and read it is refused: its rows would be
    recorded under the hash of other content (and that content later skipped as loaded)."""
    for path in paths:
        before = hashed[path]
        try:
            after = path.stat()
        except OSError:
            after = None
        if after is None or (after.st_size, after.st_mtime_ns, after.st_ino, after.st_ctime_ns) \
                != (before.st_size, before.st_mtime_ns, before.st_ino, before.st_ctime_ns):
            raise UserError(f"{path}: changed while this run read it; nothing was loaded: "
                            "run again once the file is completely written")


def _relative(path: Path, data_dir: Path) -> str:
    return path.resolve().relative_to(data_dir.resolve()).as_posix()


def _check_columns(mapping: SourceMapping, raw: read.RawFiles) -> None:
    if mapping.format in ("jsonl", "json"):
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
        for sig in mapping.signals:
            if sig.column not in present:
                raise UserError(f"{mapping.path}: signals.{sig.name}.column: column "
                                f"'{sig.column}' is not in {named} (columns: "
                                f"{', '.join(columns)})")
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
    query = _one_select(mapping)
    raw = read.read_files(con, "raw_primary", first.format, [primary], first.csv, first)
    inputs = {first.name: "select * from raw_primary"}  # the query's tables, as it names them
    for spec in mapping.inputs[1:]:
        files = resolve_files(spec.files, cfg.data_dir, mapping, f"inputs.{spec.name}.files")
        if not files:
            raise UserError(f"{mapping.path}: inputs.{spec.name}.files: no file matches "
                            f"'{spec.files}' under {cfg.data_dir}")
        r = read.read_files(con, f"raw_input_{spec.name}", spec.format, files, spec.csv,
                             spec)
        inputs[spec.name] = f"select * exclude (_path, _row, _raw) from {r.table}"
    nested = _run_query(con, mapping, query, inputs, cfg)
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
                         raw.rows_read, raw_struct=raw_type.upper().startswith("STRUCT"),
                         nested_columns=nested)


def _one_select(mapping: SourceMapping) -> str:
    """The mapping's query, if it is exactly one SELECT statement (parsed, never run)."""
    parser = duckdb.connect(":memory:")
    try:
        statements = parser.extract_statements(mapping.query or "")
    except duckdb.Error as exc:
        raise UserError(f"{mapping.path}: query: {str(exc).splitlines()[0]}") from None
    finally:
        parser.close()
    found = (f"{len(statements)} statements" if len(statements) != 1
             else statements[0].type.name)
    if found != "SELECT":
        raise UserError(f"{mapping.path}: query: must be one SELECT statement over the inputs "
                        f"(found {found})")
    return statements[0].query


def sandbox(memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An empty in-memory DuckDB that can reach no file, database, network or extension, its
    configuration locked: where a mapping's query runs."""
    box = duckdb.connect(":memory:", config={
        "enable_external_access": False, "autoload_known_extensions": False,
        "autoinstall_known_extensions": False, "memory_limit": memory_limit})
    box.execute("set TimeZone = 'UTC'")  # an ICU setting: not accepted by connect's config
    box.execute("set lock_configuration = true")
    return box


def _run_query(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, query: str,
               inputs: dict[str, str], cfg: RunConfig) -> tuple[str, ...]:
    """`raw_query` (temporary, on `con`): the query's result, every column but _path, _row and
    _raw as text. The query runs in a sandbox holding only the inputs (streamed over as Arrow,
    the result streamed back), so it cannot touch the warehouse, whatever its input names.
    Returns the columns that held a struct, list or map (quarantined as nested_value)."""
    box = sandbox(cfg.memory_limit)
    try:
        for name, select in inputs.items():
            box.register("pipeline input", con.sql(select).to_arrow_reader())
            box.execute(f'create table {quote_ident(name)} as select * from "pipeline input"')
            box.unregister("pipeline input")
        try:
            box.execute(f'create table "pipeline query" as {query}')
        except duckdb.Error as exc:
            hint = (f"; a query reads only its inputs ({', '.join(inputs)})"
                    if isinstance(exc, duckdb.PermissionException) else "")
            raise UserError(f"{mapping.path}: query: {str(exc).splitlines()[0]}{hint}") from None
        # Numbers, booleans and dates the query computes are read as their text, as from a file.
        described = rows(box, 'select column_name, column_type from (describe "pipeline query")')
        nested = tuple(c for c, t in described
                       if not c.startswith("_") and read.is_nested_type(t))
        select = ", ".join(
            quote_ident(c) if c.startswith("_") else
            f"cast({quote_ident(c)} as varchar) as {quote_ident(c)}"
            for c, _ in described)
        con.register("pipeline_query_result",
                     box.sql(f'select {select} from "pipeline query"').to_arrow_reader())
        try:
            con.execute("create or replace temp table raw_query as "
                        "select * from pipeline_query_result")
        finally:
            con.unregister("pipeline_query_result")
    finally:
        box.close()
    return nested


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
    # One respondent answers several questions: each answer is its own interaction. Only the
    # key gets the topic (as _unpivot_key, see UNPIVOT_KEY); another field read from the same
    # column (the customer) keeps the value as it is.
    if key.column:
        key_value = quote_ident(key.column)
    elif key.columns:  # parts joined as staging joins them: empty parts skipped
        key_value = (f"nullif(concat_ws($separator, "
                     f"{', '.join(quote_ident(c) for c in key.columns)}), '')")
    rekey = (f", {key_value} || '/' || "
             f"map_extract_value(map($cols, $topics), _unpivot_column) as {UNPIVOT_KEY}"
             if key.raw_columns else "")
    con.execute(f"""
        create or replace temp table raw_unpivot as
        select * exclude (_unpivot_column),
               map_extract_value(map($cols, $topics), _unpivot_column) as _unpivot_name
               {rekey}
        from (
            unpivot (select * replace ({cleaned}) from {raw.table})
            on {on} into name _unpivot_column value _unpivot_value
        )
    """, {"tokens": tokens, "cols": cols, "topics": [u.columns[c] for c in cols],
          **({"separator": key.separator} if key.columns and not key.column else {})})
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
           lineage: list[tuple[str, str, str, int]], cfg: RunConfig,
           notices: list[str] | None = None) -> dict[str, int]:
    """Stage raw rows (several files at once) into batch_<target>; returns rows read per file.
    Warnings for the run (time stamps two declared formats read differently) go to `notices`."""
    _check_columns(mapping, raw)
    if mapping.unpivot:
        raw = _unpivot(con, mapping, raw)
        key = mapping.fields[mapping.key_field]
        if key.raw_columns:
            mapping = replace(mapping, fields={
                **mapping.fields, key.name: replace(key, column=UNPIVOT_KEY, columns=())})
    con.execute("create or replace temp table file_lineage (_path varchar, source_file varchar, "
                "file_hash varchar, file_seq integer)")
    con.executemany("insert into file_lineage values (?, ?, ?, ?)", lineage)
    oldest = cfg.now.replace(year=cfg.now.year - 30)
    choice, said = choose_formats(con, mapping, raw.table, {p: rel for p, rel, *_ in lineage},
                                  raw.nested_columns)
    if notices is not None:
        notices += said
    sql, params = staging_sql(mapping, raw.table, cfg.now, oldest, raw.nested_columns, choice)
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


def _classify(con: duckdb.DuckDBPyConnection, target: str, reloaded: tuple[str, ...] = ()
              ) -> None:
    """Mark each batch row staged, duplicate or quarantined; first seen wins, deterministically.
    The warehouse rows of `reloaded` sources are left out: the run replaces them."""
    key = KEY_FIELD[target]
    cols = ", ".join(TARGET_FIELDS[target])
    # the model batch_fate reads the target's batch and table under the same names for every
    # target: the key field as record_id, the canonical fields as one row value
    con.execute(f"""
        create or replace temp view batch_records as
        select rowid as _rid, source, {key} as record_id, _file_seq, source_row, _reasons,
               row({cols}) as record_values
        from stage.batch_{target}
    """)
    con.execute(f"""
        create or replace temp view warehouse_records as
        select source, {key} as record_id, row({cols}) as record_values from {target}
    """)
    models.build(con, "batch_fate", {"reloaded": list(reloaded)})
    # each target keeps its own (the classified view below reads it later in the run)
    con.execute(f"drop table if exists batch_{target}_fate")
    con.execute(f"alter table batch_fate rename to batch_{target}_fate")
    con.execute("drop view batch_records")
    con.execute("drop view warehouse_records")
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
    result = IngestResult(run_id=cfg.run_id, mappings={m.source: m for m in mappings})
    for name in cfg.reload:
        if name not in result.mappings:
            raise UserError(f"--reload: '{name}' is not a source "
                            f"(sources: {', '.join(sorted(result.mappings))})")
    result.reloaded = tuple(dict.fromkeys(cfg.reload))
    for m in mappings:  # a query that is not one SELECT is refused before anything is read
        if m.format == "sql":
            _one_select(m)
    result.mapping_hashes = {m.source: mapping_hash(m) for m in mappings}
    result.notices = _changed_mappings(con, result)
    for target in TARGETS:
        _create_batch(con, target)
    # A reloaded source's files are all read again: what it loaded before is replaced.
    loaded = {(r[0], r[1]) for r in rows(
        con, "select source, file_hash from run_files where status = 'loaded'")
        if r[0] not in result.reloaded}
    # A file at the same place with the same size and modification time as one loaded before
    # is taken to be that file, without reading it again (as make and rsync do).
    known = {(r[0], r[1], r[2], r[3]): r[4] for r in rows(con, """
        select source, source_file, file_size, file_mtime_ns, any_value(file_hash)
        from run_files where status = 'loaded' and file_size is not null group by all""")
        if r[0] not in result.reloaded}
    read_counts: dict[tuple[str, str], tuple[str, str, int]] = {}
    skipped: list[FileResult] = []
    seq = 0
    progress = Progress("ingest", len(mappings), cfg.quiet)
    primary = _primary_files(mappings, cfg)
    hashed: dict[Path, os.stat_result] = {}  # each new file as it was when it was hashed
    for mapping in mappings:
        files = primary[mapping.source]
        new: list[tuple[Path, str, str, int]] = []
        for path in files:
            rel = _relative(path, cfg.data_dir)
            stat = path.stat()
            hashed[path] = stat
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
                raw = read.read_files(con, "raw_files", mapping.format, paths, mapping.csv,
                                     mapping)
            _check_unchanged(paths, hashed)  # what was read is what was hashed
            counts = _stage(con, mapping, raw,
                            [(str(p), rel, d, n) for p, rel, d, n in lineage], cfg,
                            result.notices)
            read.drop_raw(con)  # staged: the raw text copies would only hold memory
            for p, rel, digest, _ in lineage:
                read_counts[(mapping.source, rel)] = (mapping.target, digest, counts[str(p)])
        progress.step(mapping.source, sum(n for t, d, n in read_counts.values()) - progress.rows)
    for target in TARGETS:
        _classify(con, target, result.reloaded)
    result.files = _file_results(con, read_counts) + skipped
    _check_conservation(result)
    return result


def publish_batch(con: duckdb.DuckDBPyConnection, cfg: RunConfig,
                  result: IngestResult) -> IngestResult:
    """Validate the staged batch and write it to the warehouse, inside the run's transaction."""
    result.validation_warnings = validate_batch(con, cfg, result)
    _forget_sources(con, result.reloaded)
    _publish(con, cfg, result)
    _check_ledger(con, cfg, result)
    return result


def _forget_sources(con: duckdb.DuckDBPyConnection, sources: tuple[str, ...]) -> None:
    """Remove what earlier runs loaded from `sources` (rows, quarantine, run_files entries, and
    their counts in `runs`, so that each run's ledger still adds up), inside the run's
    transaction; this run then loads their files again. Every stage after ingest rebuilds in
    full next time: their kept tables hold rows of the removed interactions."""
    if not sources:
        return
    params = {"sources": list(sources)}
    for table in (*TARGETS, "quarantine"):
        con.execute(f"delete from {table} where list_contains($sources, source)", params)
    con.execute("""
        update runs set files_loaded = runs.files_loaded - f.loaded,
                        files_skipped = runs.files_skipped - f.skipped,
                        rows_read = runs.rows_read - f.rows_read,
                        staged = runs.staged - f.staged,
                        quarantined = runs.quarantined - f.quarantined,
                        duplicates = runs.duplicates - f.duplicates
        from (select run_id,
                     count(*) filter (where status = 'loaded') as loaded,
                     count(*) filter (where status = 'already_loaded') as skipped,
                     sum(rows_read) as rows_read, sum(staged) as staged,
                     sum(quarantined) as quarantined, sum(duplicates) as duplicates
              from run_files where list_contains($sources, source) group by run_id) f
        where runs.run_id = f.run_id
    """, params)
    con.execute("delete from run_files where list_contains($sources, source)", params)
    models.forget(con)  # every table is built afresh from the reloaded rows


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
            "rows_read, staged, quarantined, duplicates, file_size, file_mtime_ns, "
            "mapping_hash, dates_declared) values "
            "($run, $src, $target, $file, $hash, $status, $read, $staged, $quarantined, $dups, "
            "$size, $mtime, $mapping, $declared)",
            {
                **params,
                "declared": f.source in result.mappings
                and result.mappings[f.source].dates_declared,
                # the mapping this run read the file with (none when it did not read it)
                "mapping": result.mapping_hashes.get(f.source) if f.status == "loaded" else None,
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
