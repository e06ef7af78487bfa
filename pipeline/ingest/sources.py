"""Source mappings: the YAML files in data/reference/sources/ that say how an export becomes rows.

Loaded and checked once, through the validator every reference file uses
(pipeline.reference_schema): `MappingFile` is the file's shape, its validators the checks across
keys; `load_mapping` turns it into the `SourceMapping` the rest of ingest reads. Every mistake is
one UserError line naming the file and the key (FORMAT.md documents the keys).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo

from pipeline.errors import UserError
from pipeline.reference_schema import (
    OneOf,
    Schema,
    fail,
    load_model,
    model_validator,
    problem,
    show,
)
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
# `delimiter: whitespace`: fields separated by runs of spaces or tabs (aligned text reports).
WHITESPACE = "whitespace"
# Declared signals (`signals: {name: {column, map | scale, default, verdict}}`): a column's values
# as exceeds / meets / falls_short, scored like the built-in signals (reason codes
# <name>_exceeded, <name>_met, <name>_fell_short). Built-in scales: nps (0-10: 9-10 exceeds, 7-8
# meets, 0-6 falls short), ces (1-7 effort, 1 = very low: 1-2 exceeds, 3-4 meets, 5-7 falls
# short), flag (1/true/yes meets, like a first-contact resolution; 0/false/no falls short).
SIGNAL_SCALES = ("nps", "ces", "flag")
# nps and ces are the customer's own answer: their verdict (see interaction_outcomes.sql)
SIGNAL_VERDICTS = ("customer", "handling")
# names whose codes would be the built-in signals' (speed_met, rating_exceeded, kind_...)
RESERVED_SIGNALS = ("speed", "rating", "kind", "discouraged_phrase", "first_contact",
                    "repeat", "reopened", "unresolved")
# the keys that say where a field's value comes from: a field has exactly one
VALUE_SOURCES = ("column", "columns", "value", "from_file_name")


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


# --- the file's shape (pipeline.reference_schema: unknown keys, types, missing keys) ----------


def _must(ok: Callable[[Any], bool], message: str) -> AfterValidator:
    """A check of one value; `message` says what is wrong and how to write it."""

    def run(v: Any) -> Any:
        if not ok(v):
            raise problem((), message)
        return v

    return AfterValidator(run)


def _mapping(message: str) -> BeforeValidator:
    """A mapping that must not be empty; anything else gets `message`, which says what the
    mapping holds (more use than "expected a mapping")."""

    def run(v: Any) -> Any:
        if not isinstance(v, dict) or not v:
            raise problem((), message)
        return v

    return BeforeValidator(run)


def _one_value(v: Any) -> bool:
    return v is not None and not isinstance(v, dict | list)


def _inside_data_folder(pattern: str) -> str:
    if not pattern.strip():
        raise problem((), "must be a file pattern relative to the data folder")
    # Patterns may not reach outside the configured data folder.
    if (
        pattern.startswith(("/", "\\", "~"))
        or re.match(r"^[A-Za-z]:", pattern)
        or ".." in Path(pattern).parts
    ):
        raise problem(
            (), f"'{pattern}' must stay inside the data folder (no '..' or absolute paths)"
        )
    return pattern


def _encoding(v: str) -> str:
    if v.lower() not in ENCODINGS:
        raise problem((), f"'{v}' is not supported (use utf-8, latin-1 or utf-16)")
    return ENCODINGS[v.lower()]


def _time_zone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem((), f"'{v}' is not a known time zone (e.g. Asia/Kuala_Lumpur)") from None
    return v


def _column_names(names: list[str]) -> tuple[str, ...]:
    names = [c.strip() for c in names]
    if not names or not all(names):
        raise problem((), "must be a list of column names, in file order")
    dupe = next((n for n in names if names.count(n) > 1), None)
    if dupe is not None:
        raise problem((), f"names '{dupe}' more than once")
    return tuple(names)


# The strptime specifiers DuckDB knows (%-d: no leading zero; %g ms, %f µs, %n ns; %z +08:00).
_SPECIFIER = re.compile(r"%(-[dmHIMSyj]|[aAbBcdfgHIjmMnpSUwWxXyYzZ%])")


def _time_formats(formats: list[str]) -> tuple[str, ...]:
    for f in formats:
        if f not in TIME_FORMAT_NAMES and ("%" not in f or "%" in _SPECIFIER.sub("", f)):
            raise problem((), f"'{f}' is not a valid time format (e.g. '%d/%m/%Y %H:%M', "
                          f"or one of {', '.join(TIME_FORMAT_NAMES)})")
    numeric = [f for f in formats if f in TIME_FORMAT_NAMES]
    if len(numeric) > 1:
        raise problem((), f"'{numeric[0]}' and '{numeric[1]}' both read numbers: keep the "
                      "one this export uses")
    return tuple(formats)


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise problem((), f"not a valid regular expression ({exc})") from None
    return pattern


def _file_name_regex(pattern: str) -> str:
    """A regular expression (DuckDB's RE2 syntax) with a group: the value is its first group."""
    message = None
    try:
        if re.compile(pattern).groups < 1:
            message = "needs a group in parentheses: the part of the name that is the value"
    except re.error as exc:
        message = f"not a valid regular expression ({exc})"
    if message is None:
        with duckdb.connect() as con:  # the regex runs in DuckDB (RE2: no look-arounds)
            try:
                con.execute("select regexp_extract('', ?, 1)", [pattern]).fetchall()
            except duckdb.Error as exc:
                message = f"not a valid regular expression ({str(exc).splitlines()[0]})"
    if message:
        raise problem((), f"{message}; e.g. 'survey_(\\d{{8}})' for survey_20191001.csv")
    return pattern


def _signal_names(signals: dict[str, Any]) -> dict[str, Any]:
    for name in signals:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise problem(name, "a signal's name is lower-case letters, digits and _ "
                          "(e.g. relief): its reason codes are <name>_exceeded, <name>_met, "
                          "<name>_fell_short")
        if name in RESERVED_SIGNALS:
            raise problem(name, f"'{name}' is a built-in signal's name; choose another")
    return signals


def _input_names(inputs: dict[str, Any]) -> dict[str, Any]:
    for name in inputs:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise problem(name, "input names must be lower-case identifiers")
    return inputs


def _effects(value_map: dict[Any, Any]) -> dict[Any, Any]:
    if not value_map:
        raise problem((), "must map raw values to exceeds, meets or falls_short")
    bad = [v for v in value_map.values() if v not in EFFECTS]
    if bad:
        raise problem((), f"'{bad[0]}' is not one of {', '.join(EFFECTS)}")
    return value_map


_THOUSANDS = (",", ".", " ", "'", "’", "_")

Column = Annotated[str, _must(bool, "must be a column name")]
Glob = Annotated[str, AfterValidator(_inside_data_folder)]
# a raw value as the export writes it (YAML reads some words as other things: quote them)
RawValue = Annotated[Any, _must(_one_value, "expected a text or a number; quote words YAML "
                                "reads as something else (e.g. \"NULL\", \"yes\")")]
SkipLines = Annotated[int, _must(lambda v: v >= 0, "must be a whole number ≥ 0")]
Encoding = Annotated[str, AfterValidator(_encoding)]
ShortText = Annotated[str, _must(lambda v: len(v.encode()) <= 4,
                                "must be a short string (1–4 bytes)")]
# a fixed-width column: 1-based first and last character
Span = Annotated[list[int], _must(
    lambda s: len(s) == 2 and 1 <= s[0] <= s[1],
    "must be [first, last]: 1-based character positions, first ≤ last (e.g. [1, 8])")]
Width = Annotated[int, _must(lambda w: w >= 1, "must be a whole number ≥ 1")]
TimeFormats = Annotated[
    list[str],
    BeforeValidator(lambda v: [v] if isinstance(v, str) else v),  # one format needs no list
    Field(min_length=1),
    AfterValidator(_time_formats),
]


class CsvBlock(Schema):
    delimiter: Annotated[str, _must(
        lambda v: v == WHITESPACE or 0 < len(v.encode()) <= 4,
        "must be a short string (1–4 bytes), or whitespace for columns separated by runs of "
        "spaces or tabs")] = ","
    quote: ShortText = '"'
    escape: ShortText = '"'
    header: bool = True
    # the names, by position, of a file without a header
    columns: Annotated[list[str], AfterValidator(_column_names)] = ()
    skip_lines: SkipLines = 0
    encoding: Encoding = "utf-8"

    @model_validator(mode="after")
    def _header_or_columns(self) -> CsvBlock:
        if "columns" in self.model_fields_set and self.header:
            raise problem("columns", "names the columns of a file without a header: add "
                          "header: false (a header's own names are used as they are)")
        if not self.header and "columns" not in self.model_fields_set:
            raise problem("header", "a file without a header needs csv.columns: the column "
                          "names in file order (e.g. columns: [id, opened, channel])")
        return self

    def options(self) -> CsvOptions:
        return CsvOptions(delimiter=self.delimiter, quote=self.quote, escape=self.escape,
                          header=self.header, skip_lines=self.skip_lines,
                          encoding=self.encoding, columns=self.columns)


class FixedWidthBlock(Schema):
    """`columns: {name: [first, last]}` (1-based, inclusive) or `widths: {name: width}` in
    file order."""

    columns: Annotated[dict[str, Span],
                       _mapping("must map each column name to [first, last]")] = None
    widths: Annotated[dict[str, Width],
                      _mapping("must map each column name to its width, in file order")] = None
    skip_lines: SkipLines = 0
    encoding: Encoding = "utf-8"

    @model_validator(mode="after")
    def _columns_or_widths(self) -> FixedWidthBlock:
        if (self.columns is None) == (self.widths is None):
            raise problem((), "needs exactly one of columns ({name: [first, last]}) and "
                          "widths ({name: width})")
        return self

    def options(self) -> FixedWidthOptions:
        if self.columns is not None:
            spans = tuple((name, first, last) for name, (first, last) in self.columns.items())
        else:
            ends = list(accumulate(self.widths.values()))
            spans = tuple((name, end - width + 1, end)
                          for (name, width), end in zip(self.widths.items(), ends, strict=True))
        return FixedWidthOptions(columns=spans, skip_lines=self.skip_lines,
                                 encoding=self.encoding)


class ExcelBlock(Schema):
    # a sheet's name, or its 1-based position
    sheet: Annotated[Any, _must(
        lambda v: (isinstance(v, str) and bool(v.strip()))
        or (isinstance(v, int) and not isinstance(v, bool) and v >= 1),
        "must be a sheet's name, or its position (1 = the first sheet)")] = None
    header_row: Annotated[int, _must(
        lambda v: v >= 1, "must be the number of the row holding the column names, as the "
        "sheet shows it (1 = the first row)")] = 1

    def options(self) -> ExcelOptions:
        return ExcelOptions(sheet=self.sheet, header_row=self.header_row)


class JsonBlock(Schema):
    records: Annotated[str, _must(
        lambda v: all(p.strip() for p in v.split(".")),
        "must be the dotted path of keys to the array of records (e.g. data.tickets)")] = ""

    def options(self) -> JsonOptions:
        return JsonOptions(records=self.records.strip())


class FieldBlock(Schema):
    """A canonical field's options (the short form `name: Column` is `{column: Column}`)."""

    column: Column = None
    columns: Annotated[list[Column], _must(
        lambda v: len(v) >= 2, "must be a list of two or more column names")] = ()
    value: Annotated[Any, _must(_one_value, "must be one value, the same for every row "
                                "(e.g. value: complaint, or value: \"2019-10-01\")")] = None
    value_map: Annotated[dict[Any, Any], _must(
        bool, "must be a mapping of raw value to canonical value")] = Field(None, alias="map")
    formats: TimeFormats = ()
    date_only: OneOf(("start_of_day", "end_of_day")) = ""
    scale: Annotated[list[float], _must(
        lambda s: len(s) == 2 and s[0] < s[1], "must be [min, max] of a rating scale")] = None
    not_applicable: list[RawValue] = ()
    hours_after: str = None
    pattern: Annotated[str, AfterValidator(_regex)] = None
    separator: str = " "
    default: str = None
    decimal: Annotated[str, _must(lambda v: v in (".", ","), 'must be one of ".", ","')] = None
    thousands: Annotated[str, _must(
        lambda v: v in _THOUSANDS, "must be one of " + ", ".join(f'"{a}"' for a in _THOUSANDS)
    )] = None
    from_file_name: Annotated[str, AfterValidator(_file_name_regex)] = None

    def number_marks(self) -> tuple[str, str] | None:
        """(decimal mark, thousands separator) when either is given: the other follows."""
        if self.decimal is None and self.thousands is None:
            return None
        decimal = self.decimal or ("," if self.thousands == "." else ".")
        return decimal, self.thousands or ("." if decimal == "," else ",")

    def spec(self, name: str, column: str | None = None) -> FieldSpec:
        decimal, thousands = self.number_marks() or (".", ",")
        return FieldSpec(
            name=name,
            column=column or self.column,
            columns=tuple(self.columns),
            value=self.value,
            value_map=(None if self.value_map is None
                       else {str(k).strip().lower(): v for k, v in self.value_map.items()}),
            formats=tuple(self.formats),
            date_only=self.date_only,
            scale=tuple(self.scale) if self.scale is not None else None,
            not_applicable=tuple(str(x) for x in self.not_applicable),
            hours_after=self.hours_after,
            pattern=self.pattern,
            separator=self.separator,
            default=self.default,
            decimal=decimal,
            thousands=thousands,
            from_file_name=self.from_file_name,
        )


def _short_form(v: Any) -> Any:
    if isinstance(v, str):
        return {"column": v}
    if not isinstance(v, dict):  # `interaction_id: 1`: a number is no column name
        raise problem((), f"must be a column name or a mapping, got {v!r} (quote a column "
                          "named like a number: \"2023\")")
    return v


class SignalBlock(Schema):
    column: Column
    value_map: Annotated[dict[Any, Any], AfterValidator(_effects)] = Field(None, alias="map")
    scale: OneOf(SIGNAL_SCALES) = None
    default: OneOf(EFFECTS) = None  # the effect of a value neither the map nor the scale knows
    verdict: OneOf(SIGNAL_VERDICTS) = None  # default: customer for nps and ces, else handling

    @model_validator(mode="after")
    def _map_or_scale(self) -> SignalBlock:
        if (self.value_map is None) == (self.scale is None):
            raise problem((), "needs exactly one of map (value -> exceeds, meets or "
                          f"falls_short) and scale ({', '.join(SIGNAL_SCALES)})")
        return self

    def spec(self, name: str) -> SignalSpec:
        verdict = self.verdict or ("customer" if self.scale in ("nps", "ces") else "handling")
        value_map = (None if self.value_map is None
                     else {str(k).strip().lower(): str(v) for k, v in self.value_map.items()})
        return SignalSpec(name=name, column=self.column, value_map=value_map, scale=self.scale,
                          default=self.default, customer=verdict == "customer")


class UnpivotBlock(Schema):
    columns: Annotated[dict[str, str], _mapping("must map each column to its topic value")]
    value_to: str
    name_to: str
    value: FieldBlock = FieldBlock()  # options for the unpivoted value (scale, not_applicable)


class _Reading(Schema):
    """How one export is read: the keys a mapping and a sql source's input share."""

    files: Glob = None
    format: OneOf(FORMATS)
    csv: CsvBlock = None
    fixed_width: FixedWidthBlock = None
    excel: ExcelBlock = None
    json_options: JsonBlock = Field(None, alias="json")
    null_tokens: list[RawValue] = None

    @model_validator(mode="after")
    def _options_fit_the_format(self) -> _Reading:
        for key, name in (("csv", "csv"), ("fixed_width", "fixed_width"), ("excel", "excel"),
                          ("json", "json_options")):
            if self.format != key and getattr(self, name) is not None:
                raise problem(key, f"a {self.format} source takes no {key} options")
        if self.format == "fixed_width" and self.fixed_width is None:
            raise problem("fixed_width", "a fixed_width source needs fixed_width: {columns: "
                          "{name: [first, last]}} or {widths: {name: width}}")
        return self

    def reading(self) -> dict[str, Any]:
        """The reader's options, as InputSpec and SourceMapping hold them."""
        return dict(
            csv=self.csv.options() if self.csv else CsvOptions(),
            fixed_width=self.fixed_width.options() if self.fixed_width else None,
            excel=self.excel.options() if self.excel else ExcelOptions(),
            json=self.json_options.options() if self.json_options else JsonOptions(),
        )


class InputBlock(_Reading):
    files: Glob
    format: OneOf(f for f in FORMATS if f != "sql")


class MappingFile(_Reading):
    """A source mapping as written (FORMAT.md)."""

    source: Annotated[str, _must(lambda v: re.fullmatch(r"[A-Za-z0-9_\-]+", v) is not None,
                                 "must be a short name (letters, digits, _ and -)")]
    target: OneOf(TARGET_FIELDS) = "interactions"
    timezone: Annotated[str, AfterValidator(_time_zone)] = "UTC"
    timestamp_formats: TimeFormats = DEFAULT_TIMESTAMP_FORMATS
    required: list[str] = ()
    fields: Annotated[dict[str, Annotated[FieldBlock, BeforeValidator(_short_form)]],
                      _must(bool, "must map canonical fields to columns")]
    unpivot: UnpivotBlock = None
    inputs: Annotated[dict[str, InputBlock],
                      _must(bool, "a sql source needs inputs: {name: {files, format}}"),
                      AfterValidator(_input_names)] = None
    query: str = None
    description: str = ""
    signals: Annotated[dict[str, SignalBlock],
                       _must(bool, "must map each signal's name to {column, map or scale}"),
                       AfterValidator(_signal_names)] = None

    @model_validator(mode="before")
    @classmethod
    def _source_from_file_name(cls, data: Any, info: ValidationInfo) -> Any:
        # `source` defaults to the file's stem, which must then be a short name too
        if isinstance(data, dict) and "source" not in data and info.context:
            return {"source": info.context["stem"], **data}
        return data

    @model_validator(mode="after")
    def _fits_together(self) -> MappingFile:
        given = self.model_fields_set
        if self.format == "sql":
            if self.inputs is None:
                raise problem("inputs", "a sql source needs inputs: {name: {files, format}}")
            if not (self.query or "").strip():
                raise problem("query", "a sql source needs a query")
        else:
            if self.files is None:
                raise problem("files", "must be a file pattern relative to the data folder")
            for key in ("inputs", "query"):
                if key in given:
                    raise problem(key, "only a sql source takes inputs and query")
        canonical = TARGET_FIELDS[self.target]
        for name, f in self.fields.items():
            if name == "signals":
                raise problem(("fields", name), "signals are declared in the top-level "
                              "signals: block (signals: {relief: {column: ..., map: {...}}})")
            if name not in canonical:
                allowed = ", ".join(c for c in canonical if c != "signals")
                raise problem(("fields", name), f"'{name}' is not a canonical {self.target} "
                              f"field (allowed: {allowed})")
            if len(set(VALUE_SOURCES) & f.model_fields_set) != 1:
                raise problem(("fields", name),
                              f"needs exactly one of {', '.join(VALUE_SOURCES)}")
            _field_fits(name, f, ("fields", name))
        mapped = set(self.fields)
        if self.unpivot is not None:
            u = self.unpivot
            for key in ("value_to", "name_to"):
                to = getattr(u, key)
                if to not in canonical:
                    raise problem(("unpivot", key), f"'{to}' is not a canonical field")
                if to in self.fields:
                    raise problem(("fields", to), f"is filled by unpivot.{key}; remove it")
            if set(VALUE_SOURCES) & u.value.model_fields_set:
                raise problem(("unpivot", "value"),
                              "must be field options (e.g. scale, not_applicable)")
            _field_fits(u.value_to, u.value, ("unpivot", "value"))
            mapped |= {u.value_to, u.name_to}
        for r in self.required:
            if r not in canonical:
                raise problem("required", f"'{r}' is not a canonical {self.target} field")
        for r in _required(self.target, self.required):
            if r not in mapped:
                raise problem(("fields", r), "is required but not mapped")
        for name, f in self.fields.items():
            if f.hours_after is not None and f.hours_after not in mapped:
                raise problem(("fields", name, "hours_after"),
                              f"'{f.hours_after}' is not mapped in this source")
        if self.signals is not None and self.target != "interactions":
            raise problem("signals", "only an interactions source declares signals")
        return self


def _required(target: str, required: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*ALWAYS_REQUIRED[target], *required]))


def _field_fits(name: str, f: FieldBlock, at: tuple[str, ...]) -> None:
    """The options that depend on which canonical field `f` fills."""
    given = f.model_fields_set
    if "separator" in given and "columns" not in given:
        raise problem((*at, "separator"), "only a field read from columns: [...] takes a "
                      "separator")
    if f.default is not None:
        if name not in ENUMS:
            raise problem((*at, "default"), f"only {', '.join(ENUMS)} take a default")
        if f.default not in ENUMS[name]:
            raise problem((*at, "default"), f"'{f.default}' is not a {name} "
                          f"(allowed: {', '.join(ENUMS[name])})")
    for key in ("decimal", "thousands"):
        if key in given and name not in NUMBER_FIELDS:
            raise problem((*at, key), "only rating and amount take decimal and thousands")
    marks = f.number_marks()
    if marks and marks[0] == marks[1]:
        raise problem((*at, "thousands"), f'"{marks[1]}" is also the decimal mark; give the '
                      "other one")
    if f.value_map is not None and name in ENUMS:
        bad = [v for v in f.value_map.values() if v not in ENUMS[name]]
        if bad:
            raise problem((*at, "map"),
                          f"'{bad[0]}' is not a {name} (allowed: {', '.join(ENUMS[name])})")
    if f.value_map is not None and name in NUMBER_FIELDS:  # words for numbers: {good: 5, bad: 1}
        bad = [v for v in f.value_map.values()
               if isinstance(v, bool) or not isinstance(v, int | float)]
        if bad:
            raise problem((*at, "map"), f"'{bad[0]}' is not a number; map each raw value to "
                          "the number it stands for (e.g. {good: 5, bad: 1})")
    if "formats" in given and name not in TIMESTAMP_FIELDS:
        raise problem((*at, "formats"), "only time-stamp fields take formats")
    if "scale" in given and name != "rating":
        raise problem((*at, "scale"), "only rating takes a scale ([min, max] of a rating scale)")
    ref = f.hours_after
    if ref is not None and (name not in TIMESTAMP_FIELDS or ref not in TIMESTAMP_FIELDS
                            or ref == name):
        raise problem((*at, "hours_after"), "must name another time-stamp field")
    if "value" in given and name in ENUMS and f.value not in ENUMS[name]:
        raise problem((*at, "value"),
                      f"'{f.value}' is not a {name} (allowed: {', '.join(ENUMS[name])})")


# --- the loaded mapping ----------------------------------------------------------------------


def load_mapping(path: Path) -> SourceMapping:
    """Read and check one source mapping file."""
    try:
        m = load_model(path, MappingFile, context={"stem": path.stem})
    except OSError as exc:  # a folder named like a mapping, a file without read permission
        raise UserError(f"{show(path)}: cannot read ({exc.strerror}); fix or remove it") from None
    null_tokens = tuple(str(t) for t in (m.null_tokens if m.null_tokens is not None else [""]))
    fields = {name: f.spec(name) for name, f in m.fields.items()}
    unpivot = None
    if m.unpivot is not None:
        u = m.unpivot
        unpivot = Unpivot(columns=dict(u.columns), value_to=u.value_to, name_to=u.name_to)
        fields[u.value_to] = u.value.spec(u.value_to, column="_unpivot_value")
        fields[u.name_to] = FieldSpec(name=u.name_to, column="_unpivot_name")
    inputs = tuple(
        InputSpec(
            name=name,
            files=i.files,
            format=i.format,
            null_tokens=(tuple(str(t) for t in i.null_tokens) if i.null_tokens is not None
                         else null_tokens),
            **i.reading(),
        )
        for name, i in (m.inputs or {}).items()
    )
    return SourceMapping(
        path=path,
        source=m.source,
        target=m.target,
        files=m.files or "",
        format=m.format,
        null_tokens=null_tokens,
        timezone=m.timezone,
        timestamp_formats=tuple(m.timestamp_formats),
        required=_required(m.target, m.required),
        fields=fields,
        unpivot=unpivot,
        inputs=inputs,
        query=m.query,
        description=m.description,
        signals=tuple(s.spec(name) for name, s in (m.signals or {}).items()),
        **m.reading(),
    )


def load_mappings(sources_dir: Path) -> list[SourceMapping]:
    """Every mapping in the folder, in name order; source names must be unique."""
    if not sources_dir.is_dir():
        raise UserError(f"{sources_dir}: source mapping folder not found")
    mappings = [load_mapping(p) for p in sorted(sources_dir.glob("*.y*ml"))]
    seen: dict[str, Path] = {}
    for m in mappings:
        if m.source in seen:
            raise fail(m.path, "source", f"'{m.source}' is also used by {show(seen[m.source])}")
        seen[m.source] = m.path
    if not mappings:
        raise UserError(f"{sources_dir}: no source mappings (*.yaml) found")
    return mappings


# The keys a mapping may use (the draft's tests compare against them).
TOP_KEYS = frozenset(f.alias or n for n, f in MappingFile.model_fields.items())
CSV_KEYS = frozenset(CsvBlock.model_fields)
FIELD_KEYS = frozenset(f.alias or n for n, f in FieldBlock.model_fields.items())
