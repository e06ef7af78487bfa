"""Read JSON documents (not JSON lines): one array of records per file, or an object holding the
array under a key path (`json.records: data.tickets`, the shape helpdesk APIs export).

Each record becomes one row shaped as the JSON-lines reader gives it (`_path`, `_row` = the
record's 1-based position in its array, `_raw` = `_json` = the record's JSON text), so staging is
the same for both. DuckDB reads and splits the documents (`.gz` and `.zst` transparently); an
element that is not an object is rejected as `json_malformed`.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipeline.db import rows
from pipeline.errors import UserError
from pipeline.ingest.read import COMPRESSIONS, RawFiles, literal_path, open_binary
from pipeline.ingest.sources import JsonOptions
from pipeline.ingest.stage import json_path

# A whole document is one JSON value to DuckDB, whose maximum_object_size (a UINTEGER) must hold
# it. The reader allocates a buffer of twice that limit up front (a 4 GB limit failed on a 40-byte
# file under a 1.8 GiB memory limit), so the limit is sized from the documents themselves.
MAX_DOCUMENT_BYTES = 4_000_000_000
MIN_OBJECT_BYTES = 16 * 1024 * 1024  # DuckDB's default
_KINDS = {"OBJECT": "an object", "ARRAY": "an array", "VARCHAR": "a string", "BIGINT": "a number",
          "UBIGINT": "a number", "DOUBLE": "a number", "BOOLEAN": "true or false", "NULL": "null"}
_MALFORMED = re.compile(r'Malformed JSON in file "(?P<file>.*?)", at byte (?P<byte>\d+)'
                        r'[^:]*: (?P<what>.*)')


def _document_bytes(path: Path) -> int:
    """The document's size as DuckDB parses it: decompressed (streamed, not held)."""
    if path.suffix.lower() not in COMPRESSIONS:
        return path.stat().st_size
    n = 0
    try:
        with open_binary(path) as fh:
            while chunk := fh.read(1 << 22):
                n += len(chunk)
    except Exception as exc:  # gzip: OSError/EOFError; zstandard.ZstdError
        raise UserError(f"{path}: cannot be decompressed ({exc}); is it really "
                        f"{COMPRESSIONS[path.suffix.lower()]}?") from None
    return n


def _parse_error(exc: duckdb.Error, paths: list[Path]) -> UserError:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if m := _MALFORMED.search(text):
        return UserError(f"{m['file']}: not valid JSON (byte {m['byte']}: "
                         f"{m['what'].rstrip('. ')}); is the export complete?")
    where = paths[0] if len(paths) == 1 else f"{paths[0].parent}/ ({len(paths)} files)"
    text = text.removeprefix("Invalid Input Error: ")
    hint = ("; a document this large is read whole: export JSON lines (format: jsonl) instead"
            if "Out of Memory" in text else "")
    return UserError(f"{where}: cannot be read as JSON ({text}){hint}")


def _type_at(con: duckdb.DuckDBPyConnection, docs: str, file: str, dotted: str) -> str | None:
    return rows(con, f"select json_type(_doc, $p) from {docs} where _path = $f",
                {"p": json_path(dotted) if dotted else "$", "f": file})[0][0]


def _children(con: duckdb.DuckDBPyConnection, docs: str, file: str,
              parents: list[str]) -> list[tuple[str, str]]:
    """(dotted path, JSON type) of every key of the objects at the dotted `parents` ("" = the
    document); keys a dotted path cannot name (with a dot or a quote) are left out."""
    keys = rows(con, f"select json_keys(_doc, $p) from {docs} where _path = $f",
                {"p": [json_path(p) if p else "$" for p in parents], "f": file})[0][0]
    below = [f"{p}.{k}" if p else k for p, ks in zip(parents, keys, strict=True)
             for k in ks or [] if "." not in k and '"' not in k]
    if not below:
        return []
    kinds = rows(con, f"select json_type(_doc, $p) from {docs} where _path = $f",
                 {"p": [json_path(b) for b in below], "f": file})[0][0]
    return list(zip(below, kinds, strict=True))


def _describe(con: duckdb.DuckDBPyConnection, docs: str, file: str, dotted: str) -> str:
    """What `file`'s document holds at `dotted` ("" = the document itself), naming the arrays
    up to two keys below it as hints."""
    at = f"'{dotted}'" if dotted else "the document"
    kind = _type_at(con, docs, file, dotted)
    if kind != "OBJECT":
        return f"{at} is {_KINDS.get(kind, kind)}, not an array of records"
    keys = rows(con, f"select json_keys(_doc, $p) from {docs} where _path = $f",
                {"p": json_path(dotted) if dotted else "$", "f": file})[0][0]
    text = f"{at} is an object with keys {', '.join(keys[:12])}{', …' if len(keys) > 12 else ''}"
    level1 = _children(con, docs, file, [dotted])
    level2 = _children(con, docs, file, [p for p, t in level1 if t == "OBJECT"])
    arrays = [p for p, t in level1 + level2 if t == "ARRAY"]
    if arrays:
        verb = "holds an array" if len(arrays) == 1 else "hold arrays"
        return f"{text} ({', '.join(arrays[:3])} {verb})"
    return text


def _not_records(con: duckdb.DuckDBPyConnection, docs: str, file: str,
                 opts: JsonOptions) -> UserError:
    """Why the records path of `file` does not lead to an array, and what to set instead."""
    fix = "set json.records to the key that holds the records"
    parts = opts.records.split(".") if opts.records else []
    for i in range(1, len(parts) + 1):
        if _type_at(con, docs, file, ".".join(parts[:i])) is None:
            parent = ".".join(parts[:i - 1])
            if _type_at(con, docs, file, parent) == "ARRAY":
                at, fix = ((f"'{parent}'", f"set json.records: {parent}") if parent
                           else ("the document", "remove json.records"))
                return UserError(f"{file}: json.records: {at} is itself the array of records "
                                 f"(it has no key '{parts[i - 1]}'); {fix}")
            where = _describe(con, docs, file, parent)
            return UserError(f"{file}: json.records: '{opts.records}' is not in the document "
                             f"(no '{parts[i - 1]}': {where}); {fix}")
    return UserError(f"{file}: json.records: {_describe(con, docs, file, opts.records)}; {fix}")


def read_json_files(con: duckdb.DuckDBPyConnection, name: str, paths: list[Path],
                    opts: JsonOptions) -> RawFiles:
    """Leaves the view `<name>` (`_path`, `_row`, `_raw`, `_json`) and `<name>_rejects`."""
    largest = 0
    for p in paths:
        if p.stat().st_size == 0:
            raise UserError(f"{p}: file is empty (0 bytes)")
        size = _document_bytes(p)
        if size > MAX_DOCUMENT_BYTES:
            raise UserError(f"{p}: a JSON document of {size / 1e9:.1f} GB is more than DuckDB "
                            "reads as one value (4 GB); export JSON lines (format: jsonl)")
        largest = max(largest, size)
    docs = f"{name}_docs"
    try:
        con.execute(f"""
            create or replace temp table {docs} as
            select filename as _path, json as _doc
            from read_json_objects($files, format='unstructured', filename=true,
                                   maximum_object_size=$limit)
        """, {"files": [literal_path(p) for p in paths],
              "limit": max(MIN_OBJECT_BYTES, largest + 1024 * 1024)})
    except duckdb.Error as exc:
        raise _parse_error(exc, paths) from None
    records = json_path(opts.records) if opts.records else "$"
    found = {p: (n, kind) for p, n, kind in rows(con, f"""
        select _path, count(*), any_value(json_type(_doc, $p)) from {docs} group by _path
    """, {"p": records})}
    for p in paths:
        n, kind = found.get(str(p), (0, None))
        if n == 0:
            raise UserError(f"{p}: holds no JSON document")
        if n > 1:
            raise UserError(f"{p}: holds {n} JSON values one after another, not one document; "
                            "for one record per line use format: jsonl")
        if kind != "ARRAY":
            raise _not_records(con, docs, str(p), opts)
    con.execute(f"""
        create or replace temp table {name}_all as
        select _path, _row, _raw, coalesce(json_type(_raw) = 'OBJECT', false) as _object
        from (
            select _path, generate_subscripts(items, 1) as _row, unnest(items)::varchar as _raw
            from (select _path, json_extract(_doc, $items) as items from {docs})
        )
    """, {"items": records + "[*]"})
    con.execute(f"drop table {docs}")
    con.execute(f"""
        create or replace temp table {name}_rejects as
        select _path, _row, _raw, 'json_malformed' as reason from {name}_all where not _object
    """)
    con.execute(f"create or replace temp view {name} as "
                f"select _path, _row, _raw, _raw as _json from {name}_all where _object")
    counts = {str(p): 0 for p in paths}
    for path, n in rows(con, f"select _path, count(*) from {name}_all group by _path"):
        counts[path] = n
    return RawFiles(name, ("_json",), counts)
