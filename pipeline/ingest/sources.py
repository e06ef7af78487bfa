"""Source mappings: the YAML files in data/reference/sources/ that say how an export becomes rows.

Loaded and checked once; every mistake is a UserError naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml

from pipeline.errors import UserError
from pipeline.vocabulary import CHANNELS, EFFECTS, INTERACTION_KINDS, STATUSES

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
    "text",  # words whose author is unknown
    "agent_text",  # staff's own words (a reply, an agent's note)
    "customer_text",  # the customer's own words (a subject line, a survey comment)
    "language",
    "signals",  # filled from the top-level `signals:` declarations, never from fields:
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
    "channel": CHANNELS,
    "kind": INTERACTION_KINDS,
    "status": STATUSES,
}
# Codes compared case- and space-insensitively.
CODE_FIELDS = set(ENUMS) | {"language"} | BOOLEAN_FIELDS

FORMATS = ("csv", "jsonl", "json", "parquet", "excel", "fixed_width", "sql")
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "utf-16": "utf-16",
    "utf16": "utf-16",
}
# ISO 8601 in its common forms. Most common first: every attempt costs time on every row it is
# tried on (staging tries a format only on values of its shape, and the kinds in the order they
# first appear: local times, "...Z" in UTC, "+08:00"-style offsets; %f reads 1 to 6 fractional
# digits, %n up to 9). A DuckDB/Parquet TIMESTAMP, TIMESTAMP_NS, TIMESTAMPTZ or DATE read as text
# matches one of these.
DEFAULT_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S%z",  # %z reads +08:00, +0800 and +08 (not Z)
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%n",
    "%Y-%m-%dT%H:%M:%S.%nZ",
    "%Y-%m-%dT%H:%M:%S.%n",
    "%Y-%m-%dT%H:%M:%S.%n%z",
)
# Time formats given by name: numbers, not text. epoch: seconds since 1970-01-01 UTC; epoch_ms:
# milliseconds; excel_serial: days since 1899-12-30, the fraction the time of day (local time).
TIME_FORMAT_NAMES = ("epoch", "epoch_ms", "excel_serial")
# The end of the local day is the default for a promise given as a date (or at 00:00:00).
DATE_ONLY_DEFAULT = {"promised_by": "end_of_day"}

TOP_KEYS = {
    "source",
    "target",
    "files",
    "format",
    "csv",
    "fixed_width",
    "excel",
    "json",
    "null_tokens",
    "timezone",
    "timestamp_formats",
    "required",
    "fields",
    "unpivot",
    "inputs",
    "query",
    "description",
    "signals",
}
CSV_KEYS = {"delimiter", "quote", "escape", "header", "columns", "skip_lines", "encoding"}
FIXED_WIDTH_KEYS = {"columns", "widths", "skip_lines", "encoding"}
EXCEL_KEYS = {"sheet", "header_row"}
JSON_KEYS = {"records"}
# `delimiter: whitespace`: fields separated by runs of spaces or tabs (aligned text reports).
WHITESPACE = "whitespace"
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
    "separator",
    "default",
    "decimal",
    "thousands",
    "from_file_name",
}
UNPIVOT_KEYS = {"columns", "value_to", "name_to", "value"}
# Declared signals (`signals: {name: {column, map | scale, default, verdict}}`): a column's values
# as exceeds / meets / falls_short, scored like the built-in signals (reason codes
# <name>_exceeded, <name>_met, <name>_fell_short). Built-in scales: nps (0-10: 9-10 exceeds, 7-8
# meets, 0-6 falls short), ces (1-7 effort, 1 = very low: 1-2 exceeds, 3-4 meets, 5-7 falls
# short), flag (1/true/yes meets, like a first-contact resolution; 0/false/no falls short).
SIGNAL_KEYS = {"column", "map", "scale", "default", "verdict"}
SIGNAL_SCALES = ("nps", "ces", "flag")
# nps and ces are the customer's own answer: their verdict (see interaction_outcomes.sql)
SIGNAL_VERDICTS = ("customer", "handling")
# names whose codes would be the built-in signals' (speed_met, rating_exceeded, kind_...)
RESERVED_SIGNALS = ("speed", "rating", "kind", "discouraged_phrase", "first_contact",
                    "repeat", "reopened", "unresolved")
INPUT_KEYS = {"files", "format", "csv", "fixed_width", "excel", "json", "null_tokens"}


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    header: bool = True
    skip_lines: int = 0
    encoding: str = "utf-8"
    columns: tuple[str, ...] = ()  # the names, by position, of a file without a header


@dataclass(frozen=True)
class FixedWidthOptions:
    # (name, first character, last character), 1-based and inclusive
    columns: tuple[tuple[str, int, int], ...]
    skip_lines: int = 0
    encoding: str = "utf-8"


@dataclass(frozen=True)
class ExcelOptions:
    sheet: str | int | None = None  # a sheet's name, or its 1-based position; None: the first
    header_row: int = 1  # the row holding the column names, as the sheet numbers it


@dataclass(frozen=True)
class JsonOptions:
    records: str = ""  # dotted path to the array of records; "": the document is that array


@dataclass(frozen=True)
class FieldSpec:
    name: str
    column: str | None = None
    columns: tuple[str, ...] = ()
    value: Any = None
    value_map: dict[str, Any] | None = None
    formats: tuple[str, ...] = ()
    date_only: str = ""  # start_of_day | end_of_day; "": the field's default (DATE_ONLY_DEFAULT)
    scale: tuple[float, float] | None = None
    not_applicable: tuple[str, ...] = ()
    hours_after: str | None = None
    pattern: str | None = None
    separator: str = " "  # joins the parts of `columns` (empty parts are skipped)
    default: str | None = None  # channel/kind/status: what an unknown value becomes
    decimal: str = "."  # number fields: the decimal mark and the thousands separator
    thousands: str = ","
    from_file_name: str | None = None  # regex: the value is its first group in the file's name

    def __post_init__(self) -> None:
        if not self.date_only:
            object.__setattr__(
                self, "date_only", DATE_ONLY_DEFAULT.get(self.name, "start_of_day"))

    @property
    def raw_columns(self) -> tuple[str, ...]:
        if self.column is not None:
            return (self.column,)
        return self.columns


@dataclass(frozen=True)
class SignalSpec:
    name: str
    column: str
    value_map: dict[str, str] | None = None  # raw value (lower case, trimmed) -> effect
    scale: str | None = None  # nps | ces | flag
    default: str | None = None  # the effect of a value neither the map nor the scale knows
    customer: bool = False  # the customer's own verdict (verdict: customer)


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
    fixed_width: FixedWidthOptions | None = None
    excel: ExcelOptions = ExcelOptions()
    json: JsonOptions = JsonOptions()


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
    fixed_width: FixedWidthOptions | None = None
    excel: ExcelOptions = ExcelOptions()
    json: JsonOptions = JsonOptions()
    signals: tuple[SignalSpec, ...] = ()

    @property
    def key_field(self) -> str:
        return KEY_FIELD[self.target]

    @property
    def primary_files(self) -> str:
        return self.inputs[0].files if self.format == "sql" else self.files

    @property
    def dates_declared(self) -> bool:
        """The export carries no time stamp: the mapping gives it (a constant or the file's
        name), so the report says the dates are declared, not observed."""
        spec = self.fields.get("occurred_at" if self.target == "interactions" else "ordered_at")
        return spec is not None and (spec.value is not None or spec.from_file_name is not None)


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
            if name == "delimiter" and v == WHITESPACE:
                values[name] = v
                continue
            if not isinstance(v, str) or len(v.encode()) > 4 or (name == "delimiter" and not v):
                raise _fail(path, f"{key}.{name}", "must be a short string (1–4 bytes), or "
                            "whitespace for columns separated by runs of spaces or tabs"
                            if name == "delimiter" else "must be a short string (1–4 bytes)")
            values[name] = v
    if "header" in raw:
        if not isinstance(raw["header"], bool):
            raise _fail(path, f"{key}.header", "must be true or false")
        values["header"] = raw["header"]
    if "columns" in raw:
        cols = raw["columns"]
        if raw.get("header", True) is not False:
            raise _fail(path, f"{key}.columns", "names the columns of a file without a header: "
                        "add header: false (a header's own names are used as they are)")
        if (not isinstance(cols, list) or not cols
                or not all(isinstance(c, str) and c.strip() for c in cols)):
            raise _fail(path, f"{key}.columns", "must be a list of column names, in file order")
        names = [c.strip() for c in cols]
        if len(set(names)) < len(names):
            dupe = next(n for n in names if names.count(n) > 1)
            raise _fail(path, f"{key}.columns", f"names '{dupe}' more than once")
        values["columns"] = tuple(names)
    elif raw.get("header") is False:
        raise _fail(path, f"{key}.header", "a file without a header needs csv.columns: the "
                    "column names in file order (e.g. columns: [id, opened, channel])")
    values.update(_lines_options(path, key, raw))
    return CsvOptions(**{**opts.__dict__, **values})


def _lines_options(path: Path, key: str, raw: dict) -> dict[str, Any]:
    """skip_lines and encoding, shared by the text readers."""
    values: dict[str, Any] = {}
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
    return values


def _fixed_width_options(path: Path, key: str, raw: Any) -> FixedWidthOptions:
    """`columns: {name: [first, last]}` (1-based, inclusive) or `widths: {name: width}` in
    file order."""
    if not isinstance(raw, dict):
        raise _fail(path, key, "a fixed_width source needs fixed_width: {columns: {name: "
                    "[first, last]}} or {widths: {name: width}}")
    _unknown_keys(path, key, raw, FIXED_WIDTH_KEYS)
    if ("columns" in raw) == ("widths" in raw):
        raise _fail(path, key, "needs exactly one of columns ({name: [first, last]}) and "
                    "widths ({name: width})")
    spans: list[tuple[str, int, int]] = []
    if "columns" in raw:
        cols = raw["columns"]
        if not isinstance(cols, dict) or not cols:
            raise _fail(path, f"{key}.columns", "must map each column name to [first, last]")
        for name, span in cols.items():
            ok = (isinstance(span, list) and len(span) == 2
                  and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
                  and 1 <= span[0] <= span[1])
            if not ok:
                raise _fail(path, f"{key}.columns.{name}", "must be [first, last]: 1-based "
                            "character positions, first ≤ last (e.g. [1, 8])")
            spans.append((str(name), span[0], span[1]))
    else:
        widths = raw["widths"]
        if not isinstance(widths, dict) or not widths:
            raise _fail(path, f"{key}.widths", "must map each column name to its width, in "
                        "file order")
        start = 1
        for name, width in widths.items():
            if not isinstance(width, int) or isinstance(width, bool) or width < 1:
                raise _fail(path, f"{key}.widths.{name}", "must be a whole number ≥ 1")
            spans.append((str(name), start, start + width - 1))
            start += width
    return FixedWidthOptions(columns=tuple(spans), **_lines_options(path, key, raw))


def _excel_options(path: Path, key: str, fmt: str, raw: Any) -> ExcelOptions:
    if raw is None:
        return ExcelOptions()
    if fmt != "excel":
        raise _fail(path, key, f"a {fmt} source takes no excel options")
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a mapping (sheet, header_row)")
    _unknown_keys(path, key, raw, EXCEL_KEYS)
    values: dict[str, Any] = {}
    if "sheet" in raw:
        v = raw["sheet"]
        if (isinstance(v, bool) or not isinstance(v, str | int)
                or (isinstance(v, int) and v < 1) or (isinstance(v, str) and not v.strip())):
            raise _fail(path, f"{key}.sheet", "must be a sheet's name, or its position "
                        "(1 = the first sheet)")
        values["sheet"] = v
    if "header_row" in raw:
        v = raw["header_row"]
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise _fail(path, f"{key}.header_row", "must be the number of the row holding the "
                        "column names, as the sheet shows it (1 = the first row)")
        values["header_row"] = v
    return ExcelOptions(**values)


def _json_options(path: Path, key: str, fmt: str, raw: Any) -> JsonOptions:
    if raw is None:
        return JsonOptions()
    if fmt != "json":
        raise _fail(path, key, f"a {fmt} source takes no json options")
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a mapping (records)")
    _unknown_keys(path, key, raw, JSON_KEYS)
    records = raw.get("records", "")
    if not isinstance(records, str) or any(not p.strip() for p in records.split(".")):
        raise _fail(path, f"{key}.records", "must be the dotted path of keys to the array of "
                    "records (e.g. data.tickets)")
    return JsonOptions(records=records.strip())


# The strptime specifiers DuckDB knows (%-d: no leading zero; %g ms, %f µs, %n ns; %z +08:00).
_SPECIFIER = re.compile(r"%(-[dmHIMSyj]|[aAbBcdfgHIjmMnpSUwWxXyYzZ%])")


def _formats(path: Path, key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(f, str) for f in raw):
        raise _fail(path, key, "must be a list of strptime formats")
    for f in raw:
        if f not in TIME_FORMAT_NAMES and ("%" not in f or "%" in _SPECIFIER.sub("", f)):
            raise _fail(path, key, f"'{f}' is not a valid time format (e.g. '%d/%m/%Y %H:%M', "
                        f"or one of {', '.join(TIME_FORMAT_NAMES)})")
    numeric = [f for f in raw if f in TIME_FORMAT_NAMES]
    if len(numeric) > 1:
        raise _fail(path, key, f"'{numeric[0]}' and '{numeric[1]}' both read numbers: keep the "
                    "one this export uses")
    return tuple(raw)


def _file_name_regex(path: Path, key: str, pattern: Any) -> str:
    """A regular expression (DuckDB's RE2 syntax) with a group: the value is its first group."""
    problem = None
    try:
        if not isinstance(pattern, str) or re.compile(pattern).groups < 1:
            problem = "needs a group in parentheses: the part of the name that is the value"
    except re.error as exc:
        problem = f"not a valid regular expression ({exc})"
    if problem is None:
        with duckdb.connect() as con:  # the regex runs in DuckDB (RE2: no look-arounds)
            try:
                con.execute("select regexp_extract('', ?, 1)", [pattern]).fetchall()
            except duckdb.Error as exc:
                problem = f"not a valid regular expression ({str(exc).splitlines()[0]})"
    if problem:
        raise _fail(path, key, f"{problem}; e.g. 'survey_(\\d{{8}})' for survey_20191001.csv")
    return pattern


_THOUSANDS = (",", ".", " ", "'", "’", "_")


def _value_options(path: Path, key: str, name: str, raw: dict) -> dict[str, Any]:
    """separator (with columns), default (codes), decimal and thousands (numbers)."""
    spec: dict[str, Any] = {}
    if "separator" in raw:
        if "columns" not in raw:
            raise _fail(path, f"{key}.separator", "only a field read from columns: [...] takes a "
                        "separator")
        if not isinstance(raw["separator"], str):
            raise _fail(path, f"{key}.separator", "must be a string (e.g. \" \" or \" | \")")
        spec["separator"] = raw["separator"]
    if "default" in raw:
        if name not in ENUMS:
            raise _fail(path, f"{key}.default", f"only {', '.join(ENUMS)} take a default")
        if raw["default"] not in ENUMS[name]:
            raise _fail(path, f"{key}.default", f"'{raw['default']}' is not a {name} "
                        f"(allowed: {', '.join(ENUMS[name])})")
        spec["default"] = raw["default"]
    for opt, allowed in (("decimal", (".", ",")), ("thousands", _THOUSANDS)):
        if opt not in raw:
            continue
        if name not in NUMBER_FIELDS:
            raise _fail(path, f"{key}.{opt}", "only rating and amount take decimal and thousands")
        if raw[opt] not in allowed:
            raise _fail(path, f"{key}.{opt}", "must be one of "
                        + ", ".join(f'"{a}"' for a in allowed))
    if "decimal" in raw or "thousands" in raw:
        decimal = raw.get("decimal") or ("," if raw.get("thousands") == "." else ".")
        thousands = raw.get("thousands") or ("." if decimal == "," else ",")
        if decimal == thousands:
            raise _fail(path, f"{key}.thousands", f'"{thousands}" is also the decimal mark; '
                        "give the other one")
        spec.update(decimal=decimal, thousands=thousands)
    return spec


def _signals(path: Path, target: str, raw: Any) -> tuple[SignalSpec, ...]:
    """The top-level `signals:` block (see SIGNAL_KEYS)."""
    if raw is None:
        return ()
    if target != "interactions":
        raise _fail(path, "signals", "only an interactions source declares signals")
    if not isinstance(raw, dict) or not raw:
        raise _fail(path, "signals", "must map each signal's name to {column, map or scale}")
    out = []
    for name, spec in raw.items():
        key = f"signals.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise _fail(path, key, "a signal's name is lower-case letters, digits and _ "
                        "(e.g. relief): its reason codes are <name>_exceeded, <name>_met, "
                        "<name>_fell_short")
        if name in RESERVED_SIGNALS:
            raise _fail(path, key, f"'{name}' is a built-in signal's name; choose another")
        if not isinstance(spec, dict):
            raise _fail(path, key, "must be a mapping: {column, map or scale}")
        _unknown_keys(path, key, spec, SIGNAL_KEYS)
        if not isinstance(spec.get("column"), str) or not spec["column"]:
            raise _fail(path, f"{key}.column", "must be a column name")
        if ("map" in spec) == ("scale" in spec):
            raise _fail(path, key, "needs exactly one of map (value -> exceeds, meets or "
                        f"falls_short) and scale ({', '.join(SIGNAL_SCALES)})")
        value_map = None
        if "map" in spec:
            m = spec["map"]
            if not isinstance(m, dict) or not m:
                raise _fail(path, f"{key}.map", "must map raw values to exceeds, meets or "
                            "falls_short")
            bad = [v for v in m.values() if v not in EFFECTS]
            if bad:
                raise _fail(path, f"{key}.map", f"'{bad[0]}' is not one of "
                            f"{', '.join(EFFECTS)}")
            value_map = {str(k).strip().lower(): str(v) for k, v in m.items()}
        scale = spec.get("scale")
        if "scale" in spec and scale not in SIGNAL_SCALES:
            raise _fail(path, f"{key}.scale", f"'{scale}' is not one of "
                        f"{', '.join(SIGNAL_SCALES)} (or give a map)")
        default = spec.get("default")
        if default is not None and default not in EFFECTS:
            raise _fail(path, f"{key}.default", f"'{default}' is not one of "
                        f"{', '.join(EFFECTS)}")
        verdict = spec.get("verdict", "customer" if scale in ("nps", "ces") else "handling")
        if verdict not in SIGNAL_VERDICTS:
            raise _fail(path, f"{key}.verdict", f"'{verdict}' is not one of "
                        f"{', '.join(SIGNAL_VERDICTS)}")
        out.append(SignalSpec(name=name, column=spec["column"], value_map=value_map,
                              scale=scale, default=default, customer=verdict == "customer"))
    return tuple(out)


def _field(path: Path, target: str, name: str, raw: Any) -> FieldSpec:
    key = f"fields.{name}"
    if name == "signals":
        raise _fail(path, key, "signals are declared in the top-level signals: block "
                    "(signals: {relief: {column: ..., map: {...}}})")
    if name not in TARGET_FIELDS[target]:
        raise _fail(
            path,
            key,
            f"'{name}' is not a canonical {target} field (allowed: "
            f"{', '.join(f for f in TARGET_FIELDS[target] if f != 'signals')})",
        )
    if isinstance(raw, str):
        return FieldSpec(name=name, column=raw)
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a column name or a mapping")
    _unknown_keys(path, key, raw, FIELD_KEYS)
    sources = [k for k in ("column", "columns", "value", "from_file_name") if k in raw]
    if len(sources) != 1:
        raise _fail(path, key, "needs exactly one of column, columns, value, from_file_name")
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
        if raw["value"] is None or isinstance(raw["value"], dict | list):
            raise _fail(path, f"{key}.value", "must be one value, the same for every row "
                        "(e.g. value: complaint, or value: \"2019-10-01\")")
        spec["value"] = raw["value"]
    if "from_file_name" in raw:
        spec["from_file_name"] = _file_name_regex(path, f"{key}.from_file_name",
                                                  raw["from_file_name"])
    spec.update(_value_options(path, key, name, raw))
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
        if name in NUMBER_FIELDS:  # words for numbers: {good: 5, bad: 1}
            bad = [v for v in m.values() if isinstance(v, bool) or not isinstance(v, int | float)]
            if bad:
                raise _fail(path, f"{key}.map", f"'{bad[0]}' is not a number; map each raw "
                            "value to the number it stands for (e.g. {good: 5, bad: 1})")
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
            if in_fmt not in FORMATS or in_fmt == "sql":
                raise _fail(path, f"{key}.format", f"'{in_fmt}' is not one of "
                            f"{', '.join(f for f in FORMATS if f != 'sql')}")
            inputs.append(
                InputSpec(
                    name=str(name),
                    files=_check_glob(path, f"{key}.files", spec.get("files")),
                    format=in_fmt,
                    csv=_csv_options(path, f"{key}.csv", spec.get("csv")),
                    null_tokens=tuple(
                        str(t) for t in spec.get("null_tokens", doc.get("null_tokens", [""]))
                    ),
                    fixed_width=(_fixed_width_options(path, f"{key}.fixed_width",
                                                      spec.get("fixed_width"))
                                 if in_fmt == "fixed_width" else None),
                    excel=_excel_options(path, f"{key}.excel", in_fmt, spec.get("excel")),
                    json=_json_options(path, f"{key}.json", in_fmt, spec.get("json")),
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
        if not isinstance(value_opts, dict) or (
            {"column", "columns", "value", "from_file_name"} & set(value_opts)):
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
    if fmt != "fixed_width" and "fixed_width" in doc:
        raise _fail(path, "fixed_width", f"a {fmt} source takes no fixed_width options")
    fixed_width = (_fixed_width_options(path, "fixed_width", doc.get("fixed_width"))
                   if fmt == "fixed_width" else None)
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
        fixed_width=fixed_width,
        excel=_excel_options(path, "excel", fmt, doc.get("excel")),
        json=_json_options(path, "json", fmt, doc.get("json")),
        signals=_signals(path, target, doc.get("signals")),
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
