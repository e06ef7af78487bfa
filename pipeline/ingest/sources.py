"""Source mappings: the YAML files in data/reference/sources/ that say how an export becomes rows.

Loaded and checked once; every mistake is a UserError naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pipeline.errors import UserError

INTERACTION_FIELDS = (
    "interaction_id",
    "customer_id",
    "occurred_at",
    "channel",
    "kind",
    "topic",
    "promised_by",
    "promise_kept",
    "resolved_at",
    "status",
    "rating",
    "agent_id",
    "text",
    "language",
)
ORDER_FIELDS = ("order_id", "customer_id", "ordered_at", "amount", "currency")
TARGET_FIELDS = {"interactions": INTERACTION_FIELDS, "orders": ORDER_FIELDS}
# Fields without which a row means nothing; a mapping may add more with `required:`.
ALWAYS_REQUIRED = {
    "interactions": ("interaction_id", "occurred_at", "channel"),
    "orders": ("order_id", "customer_id", "ordered_at"),
}
KEY_FIELD = {"interactions": "interaction_id", "orders": "order_id"}

TIMESTAMP_FIELDS = {"occurred_at", "promised_by", "resolved_at", "ordered_at"}
# Time stamps that cannot lie in the future (a promise can).
PAST_FIELDS = {"occurred_at", "resolved_at", "ordered_at"}
NUMBER_FIELDS = {"rating", "amount"}
BOOLEAN_FIELDS = {"promise_kept"}
ENUMS: dict[str, tuple[str, ...]] = {
    "channel": (
        "phone",
        "email",
        "sms",
        "chat",
        "web",
        "social",
        "in_person",
        "letter",
        "fax",
        "app",
    ),
    "kind": ("complaint", "inquiry", "compliment", "feedback", "request"),
    "status": ("resolved", "unresolved", "escalated", "reopened", "in_progress"),
}
# Codes compared case- and space-insensitively.
CODE_FIELDS = set(ENUMS) | {"language"} | BOOLEAN_FIELDS

FORMATS = ("csv", "jsonl", "parquet", "sql")
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
    "utf16": "utf-16",
}
# Most common first: every failed attempt costs time on every row.
DEFAULT_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d",
)

TOP_KEYS = {
    "source",
    "target",
    "files",
    "format",
    "csv",
    "null_tokens",
    "timezone",
    "timestamp_formats",
    "required",
    "fields",
    "unpivot",
    "inputs",
    "query",
    "description",
}
CSV_KEYS = {"delimiter", "quote", "escape", "header", "skip_lines", "encoding"}
FIELD_KEYS = {
    "column",
    "columns",
    "value",
    "map",
    "formats",
    "date_only",
    "scale",
    "not_applicable",
    "hours_after",
    "pattern",
}
UNPIVOT_KEYS = {"columns", "value_to", "name_to", "value"}
INPUT_KEYS = {"files", "format", "csv", "null_tokens"}


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    header: bool = True
    skip_lines: int = 0
    encoding: str = "utf-8"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    value: Any = None
    value_map: dict[str, Any] | None = None
    formats: tuple[str, ...] = ()
    date_only: str = "start_of_day"
    scale: tuple[float, float] | None = None
    not_applicable: tuple[str, ...] = ()
    hours_after: str | None = None
    pattern: str | None = None

    @property
    def raw_columns(self) -> tuple[str, ...]:
        if self.column is not None:
            return (self.column,)
        return self.columns


@dataclass(frozen=True)
class Unpivot:
    columns: dict[str, str]
    value_to: str
    name_to: str


@dataclass(frozen=True)
class InputSpec:
    name: str
    files: str
    format: str
    csv: CsvOptions
    null_tokens: tuple[str, ...]


@dataclass(frozen=True)
class SourceMapping:
    path: Path
    source: str
    target: str
    files: str
    format: str
    csv: CsvOptions
    null_tokens: tuple[str, ...]
    timezone: str
    timestamp_formats: tuple[str, ...]
    required: tuple[str, ...]
    fields: dict[str, FieldSpec]
    unpivot: Unpivot | None = None
    inputs: tuple[InputSpec, ...] = ()
    query: str | None = None
    description: str = ""

    @property
    def key_field(self) -> str:
        return KEY_FIELD[self.target]

    @property
    def primary_files(self) -> str:
        return self.inputs[0].files if self.format == "sql" else self.files


def _fail(path: Path, key: str, problem: str) -> UserError:
    return UserError(f"{path}: {key}: {problem}")


def _unknown_keys(path: Path, where: str, given: dict, allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        prefix = f"{where}." if where else ""
        raise _fail(
            path, prefix + unknown[0], f"unknown key (allowed: {', '.join(sorted(allowed))})"
        )


def _check_glob(path: Path, key: str, pattern: Any) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise _fail(path, key, "must be a file pattern relative to the data folder")
    # Patterns may not reach outside the configured data folder.
    if (
        pattern.startswith(("/", "\\", "~"))
        or re.match(r"^[A-Za-z]:", pattern)
        or ".." in Path(pattern).parts
    ):
        raise _fail(
            path, key, f"'{pattern}' must stay inside the data folder (no '..' or absolute paths)"
        )
    return pattern


def _csv_options(path: Path, key: str, raw: Any) -> CsvOptions:
    if raw is None:
        return CsvOptions()
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a mapping")
    _unknown_keys(path, key, raw, CSV_KEYS)
    opts = CsvOptions()
    values: dict[str, Any] = {}
    for name in ("delimiter", "quote", "escape"):
        if name in raw:
            v = raw[name]
            if not isinstance(v, str) or len(v.encode()) > 4 or (name == "delimiter" and not v):
                raise _fail(path, f"{key}.{name}", "must be a short string (1–4 bytes)")
            values[name] = v
    if "header" in raw:
        if not isinstance(raw["header"], bool):
            raise _fail(path, f"{key}.header", "must be true or false")
        values["header"] = raw["header"]
    if "skip_lines" in raw:
        v = raw["skip_lines"]
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise _fail(path, f"{key}.skip_lines", "must be a whole number ≥ 0")
        values["skip_lines"] = v
    if "encoding" in raw:
        enc = str(raw["encoding"]).lower()
        if enc not in ENCODINGS:
            raise _fail(
                path,
                f"{key}.encoding",
                f"'{raw['encoding']}' is not supported (use utf-8, latin-1 or utf-16)",
            )
        values["encoding"] = ENCODINGS[enc]
    return CsvOptions(**{**opts.__dict__, **values})


def _formats(path: Path, key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(f, str) for f in raw):
        raise _fail(path, key, "must be a list of strptime formats")
    for f in raw:
        if "%" not in f or re.search(r"%[^aAbBcdfHIjmMpSUwWxXyYzZ%-]", f):
            raise _fail(path, key, f"'{f}' is not a valid time format (e.g. '%d/%m/%Y %H:%M')")
    return tuple(raw)


def _field(path: Path, target: str, name: str, raw: Any) -> FieldSpec:
    key = f"fields.{name}"
    if name not in TARGET_FIELDS[target]:
        raise _fail(
            path,
            key,
            f"'{name}' is not a canonical {target} field (allowed: "
            f"{', '.join(TARGET_FIELDS[target])})",
        )
    if isinstance(raw, str):
        return FieldSpec(name=name, column=raw)
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a column name or a mapping")
    _unknown_keys(path, key, raw, FIELD_KEYS)
    sources = [k for k in ("column", "columns", "value") if k in raw]
    if len(sources) != 1:
        raise _fail(path, key, "needs exactly one of column, columns, value")
    spec: dict[str, Any] = {"name": name}
    if "column" in raw:
        if not isinstance(raw["column"], str) or not raw["column"]:
            raise _fail(path, f"{key}.column", "must be a column name")
        spec["column"] = raw["column"]
    if "columns" in raw:
        cols = raw["columns"]
        if (
            not isinstance(cols, list)
            or len(cols) < 2
            or not all(isinstance(c, str) and c for c in cols)
        ):
            raise _fail(path, f"{key}.columns", "must be a list of two or more column names")
        spec["columns"] = tuple(cols)
    if "value" in raw:
        spec["value"] = raw["value"]
    if "map" in raw:
        m = raw["map"]
        if not isinstance(m, dict) or not m:
            raise _fail(path, f"{key}.map", "must be a mapping of raw value to canonical value")
        spec["value_map"] = {str(k).strip().lower(): v for k, v in m.items()}
        if name in ENUMS:
            bad = [v for v in m.values() if v not in ENUMS[name]]
            if bad:
                raise _fail(
                    path,
                    f"{key}.map",
                    f"'{bad[0]}' is not a {name} (allowed: {', '.join(ENUMS[name])})",
                )
    if "formats" in raw:
        if name not in TIMESTAMP_FIELDS:
            raise _fail(path, f"{key}.formats", "only time-stamp fields take formats")
        spec["formats"] = _formats(path, f"{key}.formats", raw["formats"])
    if "date_only" in raw:
        if raw["date_only"] not in ("start_of_day", "end_of_day"):
            raise _fail(path, f"{key}.date_only", "must be start_of_day or end_of_day")
        spec["date_only"] = raw["date_only"]
    if "scale" in raw:
        sc = raw["scale"]
        if (
            name != "rating"
            or not isinstance(sc, list)
            or len(sc) != 2
            or not all(isinstance(x, int | float) for x in sc)
            or sc[0] >= sc[1]
        ):
            raise _fail(path, f"{key}.scale", "must be [min, max] of a rating scale")
        spec["scale"] = (float(sc[0]), float(sc[1]))
    if "not_applicable" in raw:
        na = raw["not_applicable"]
        if not isinstance(na, list):
            raise _fail(path, f"{key}.not_applicable", "must be a list of raw values")
        spec["not_applicable"] = tuple(str(x) for x in na)
    if "hours_after" in raw:
        ref = raw["hours_after"]
        if name not in TIMESTAMP_FIELDS or ref not in TIMESTAMP_FIELDS or ref == name:
            raise _fail(path, f"{key}.hours_after", "must name another time-stamp field")
        spec["hours_after"] = ref
    if "pattern" in raw:
        try:
            re.compile(raw["pattern"])
        except (re.error, TypeError) as exc:
            raise _fail(path, f"{key}.pattern", f"not a valid regular expression ({exc})") from None
        spec["pattern"] = raw["pattern"]
    if "value" in raw and name in ENUMS and raw["value"] not in ENUMS[name]:
        raise _fail(
            path,
            f"{key}.value",
            f"'{raw['value']}' is not a {name} (allowed: {', '.join(ENUMS[name])})",
        )
    return FieldSpec(**spec)


def load_mapping(path: Path) -> SourceMapping:
    """Read and check one source mapping file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "yaml"
        raise _fail(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({exc})") from None
    if not isinstance(doc, dict):
        raise UserError(f"{path}: must be a YAML mapping")
    _unknown_keys(path, "", doc, TOP_KEYS)

    source = doc.get("source", path.stem)
    if not isinstance(source, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", source):
        raise _fail(path, "source", "must be a short name (letters, digits, _ and -)")
    target = doc.get("target", "interactions")
    if target not in TARGET_FIELDS:
        raise _fail(path, "target", f"'{target}' is not interactions or orders")
    fmt = doc.get("format")
    if fmt not in FORMATS:
        raise _fail(path, "format", f"'{fmt}' is not one of {', '.join(FORMATS)}")

    inputs: list[InputSpec] = []
    query = None
    files = ""
    if fmt == "sql":
        raw_inputs = doc.get("inputs")
        if not isinstance(raw_inputs, dict) or not raw_inputs:
            raise _fail(path, "inputs", "a sql source needs inputs: {name: {files, format}}")
        for name, spec in raw_inputs.items():
            key = f"inputs.{name}"
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(name)):
                raise _fail(path, key, "input names must be lower-case identifiers")
            if not isinstance(spec, dict):
                raise _fail(path, key, "must be a mapping with files and format")
            _unknown_keys(path, key, spec, INPUT_KEYS)
            in_fmt = spec.get("format")
            if in_fmt not in ("csv", "jsonl", "parquet"):
                raise _fail(path, f"{key}.format", f"'{in_fmt}' is not csv, jsonl or parquet")
            inputs.append(
                InputSpec(
                    name=str(name),
                    files=_check_glob(path, f"{key}.files", spec.get("files")),
                    format=in_fmt,
                    csv=_csv_options(path, f"{key}.csv", spec.get("csv")),
                    null_tokens=tuple(
                        str(t) for t in spec.get("null_tokens", doc.get("null_tokens", [""]))
                    ),
                )
            )
        query = doc.get("query")
        if not isinstance(query, str) or not query.strip():
            raise _fail(path, "query", "a sql source needs a query")
    else:
        files = _check_glob(path, "files", doc.get("files"))
        for k in ("inputs", "query"):
            if k in doc:
                raise _fail(path, k, "only a sql source takes inputs and query")

    null_tokens = doc.get("null_tokens", [""])
    if not isinstance(null_tokens, list):
        raise _fail(path, "null_tokens", "must be a list of strings")
    tz = doc.get("timezone", "UTC")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(
            path, "timezone", f"'{tz}' is not a known time zone (e.g. Asia/Kuala_Lumpur)"
        ) from None
    ts_formats = _formats(
        path, "timestamp_formats", doc.get("timestamp_formats", list(DEFAULT_TIMESTAMP_FORMATS))
    )

    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, dict) or not raw_fields:
        raise _fail(path, "fields", "must map canonical fields to columns")
    fields = {name: _field(path, target, name, spec) for name, spec in raw_fields.items()}

    unpivot = None
    if "unpivot" in doc:
        u = doc["unpivot"]
        if not isinstance(u, dict):
            raise _fail(path, "unpivot", "must be a mapping")
        _unknown_keys(path, "unpivot", u, UNPIVOT_KEYS)
        cols = u.get("columns")
        if not isinstance(cols, dict) or not cols:
            raise _fail(path, "unpivot.columns", "must map each column to its topic value")
        for k in ("value_to", "name_to"):
            if u.get(k) not in TARGET_FIELDS[target]:
                raise _fail(path, f"unpivot.{k}", f"'{u.get(k)}' is not a canonical field")
            if u[k] in fields:
                raise _fail(path, f"fields.{u[k]}", f"is filled by unpivot.{k}; remove it")
        unpivot = Unpivot(
            columns={str(k): str(v) for k, v in cols.items()},
            value_to=u["value_to"],
            name_to=u["name_to"],
        )
        value_opts = u.get("value") or {}
        if not isinstance(value_opts, dict) or {"column", "columns", "value"} & set(value_opts):
            raise _fail(path, "unpivot.value", "must be field options (e.g. scale, not_applicable)")
        fields[unpivot.value_to] = _field(
            path, target, unpivot.value_to, {"column": "_unpivot_value", **value_opts}
        )
        fields[unpivot.name_to] = FieldSpec(name=unpivot.name_to, column="_unpivot_name")

    required = doc.get("required", [])
    if not isinstance(required, list):
        raise _fail(path, "required", "must be a list of canonical fields")
    for r in required:
        if r not in TARGET_FIELDS[target]:
            raise _fail(path, "required", f"'{r}' is not a canonical {target} field")
    required_all = tuple(dict.fromkeys([*ALWAYS_REQUIRED[target], *required]))
    for r in required_all:
        if r not in fields:
            raise _fail(path, f"fields.{r}", "is required but not mapped")
    for f in fields.values():
        if f.hours_after and f.hours_after not in fields:
            raise _fail(
                path,
                f"fields.{f.name}.hours_after",
                f"'{f.hours_after}' is not mapped in this source",
            )

    csv = _csv_options(path, "csv", doc.get("csv"))
    if fmt != "csv" and "csv" in doc:
        raise _fail(path, "csv", f"a {fmt} source takes no csv options")
    return SourceMapping(
        path=path,
        source=source,
        target=target,
        files=files,
        format=fmt,
        csv=csv,
        null_tokens=tuple(str(t) for t in null_tokens),
        timezone=str(tz),
        timestamp_formats=ts_formats,
        required=required_all,
        fields=fields,
        unpivot=unpivot,
        inputs=tuple(inputs),
        query=query,
        description=str(doc.get("description", "")),
    )


def load_mappings(sources_dir: Path) -> list[SourceMapping]:
    """Every mapping in the folder, in name order; source names must be unique."""
    if not sources_dir.is_dir():
        raise UserError(f"{sources_dir}: source mapping folder not found")
    mappings = [load_mapping(p) for p in sorted(sources_dir.glob("*.y*ml"))]
    seen: dict[str, Path] = {}
    for m in mappings:
        if m.source in seen:
            raise _fail(m.path, "source", f"'{m.source}' is also used by {seen[m.source]}")
        seen[m.source] = m.path
    if not mappings:
        raise UserError(f"{sources_dir}: no source mappings (*.yaml) found")
    return mappings
