"""Turn a raw text table into canonical, typed rows with the reasons each row cannot be staged.

The mapping becomes one SELECT: raw values (after null tokens) → typed values → a list of
reason codes. Every value from the mapping is a bound parameter; column names are quoted
identifiers. A row with no reason is clean; the others go to quarantine with their raw content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.db import quote_ident
from pipeline.ingest.sources import (
    BOOLEAN_FIELDS,
    CODE_FIELDS,
    DEFAULT_TIMESTAMP_FORMATS,
    ENUMS,
    NUMBER_FIELDS,
    PAST_FIELDS,
    TARGET_FIELDS,
    TIME_FORMAT_NAMES,
    TIMESTAMP_FIELDS,
    FieldSpec,
    SignalSpec,
    SourceMapping,
)

_BOOLEAN_WORDS = {
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "0": False,
}
_TRIMMED = {"interaction_id", "customer_id", "order_id", "agent_id", "topic", "currency"}
_SQL_TYPES = {
    **dict.fromkeys(TIMESTAMP_FIELDS, "timestamp"),
    "rating": "double",
    "amount": "double",
    "promise_kept": "boolean",
}


@dataclass
class _Params:
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def json_path(column: str) -> str:
    """`comments.0.body` → `$."comments"[0]."body"`: a numeric part indexes an array."""
    return "$" + "".join(f"[{int(part)}]" if part.isascii() and part.isdigit()
                         else f'."{part}"' for part in column.split("."))


def _raw_ref(mapping: SourceMapping, column: str, params: _Params,
             json_paths: list[str] | None = None) -> str:
    if mapping.format in ("jsonl", "json"):
        # One parse per row: every path is extracted at once into _vals (1-based list).
        assert json_paths is not None
        path = json_path(column)
        if path not in json_paths:
            json_paths.append(path)
        return f"_vals[{json_paths.index(path) + 1}]"
    return quote_ident(column)


def _null_tokens(expr: str, mapping: SourceMapping, params: _Params) -> str:
    tokens = [t.strip() for t in mapping.null_tokens]
    return (
        f"(case when list_contains({params.add(tokens)}, trim({expr})) then null else {expr} end)"
    )


def _raw_value(mapping: SourceMapping, spec: FieldSpec, params: _Params,
               json_paths: list[str]) -> str:
    if spec.value is not None:
        return f"cast({params.add(str(spec.value))} as varchar)"
    if spec.from_file_name is not None:
        # the first group of the regex, searched in the file's base name
        name = r"regexp_extract(_path, '[^/\\]*$')"
        return f"nullif(regexp_extract({name}, {params.add(spec.from_file_name)}, 1), '')"
    if spec.column is not None:
        return _null_tokens(_raw_ref(mapping, spec.column, params, json_paths), mapping, params)
    # Several columns: the non-blank parts joined (concat_ws skips NULLs); NULL when all are.
    parts = []
    for c in spec.columns:
        part = _null_tokens(_raw_ref(mapping, c, params, json_paths), mapping, params)
        parts.append(f"case when trim({part}) <> '' then {part} end")
    sep = f"cast({params.add(spec.separator)} as varchar)"
    return f"nullif(concat_ws({sep}, {', '.join(parts)}), '')"


# Readers whose columns may be typed (read as text here): a native TIMESTAMP, TIMESTAMP_NS,
# TIMESTAMPTZ or DATE becomes one of these texts, always parsed, whatever the declared formats.
_TYPED_READERS = {"parquet", "excel", "sql"}
_NATIVE_TEXT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S.%n",
)
# The wall-clock time in a text with an offset is midnight ("...T00:00:00+08:00", "... 00:00Z").
_MIDNIGHT_WITH_OFFSET = (r"(^|[^0-9:])00:00(:00(\.0+)?)?\s*"
                         r"([+-][0-9]{2}(:?[0-9]{2})?|[A-Za-z][A-Za-z_/+-]*)$")


def _format_kind(fmt: str, utc: bool) -> str:
    """local | zulu ("...Z": a UTC wall time) | offset, + "_ns" for %n; or a numeric name."""
    if fmt in TIME_FORMAT_NAMES:
        return fmt
    if "%z" in fmt or "%Z" in fmt:
        kind = "offset"
    elif fmt.endswith("Z") and not utc:
        kind = "zulu"
    else:
        kind = "local"
    # %n parses to TIMESTAMP_NS (years 1678-2261 only): its own call, so the others keep the range
    return kind + "_ns" if "%n" in fmt else kind


def _re2_char(c: str) -> str:
    return "\\" + c if c in ".^$*+?()[]{}|\\" else c


# A failed try_strptime costs about 1 µs a row, ten times a success or a regular expression: each
# format is tried only on values of its shape, a generous regex (never stricter than strptime).
_GUARD_NUMBER = r"\s*[+-]?[0-9]+"
_GUARD_PARTS = {
    **dict.fromkeys("dmHIMSyYjUWwuVG", _GUARD_NUMBER),
    **dict.fromkeys("fgn", "[0-9]+"),
    **dict.fromkeys("aAbBhp", r"[^\s0-9]+"),
    "z": "[+-][0-9:]+",
    **dict.fromkeys("ZcxXT", ".+?"),
    "%": "%",
}


def _format_shape(fmt: str) -> str:
    """A regular expression every value try_strptime(value, fmt) reads matches."""
    out, i = [r"\s*"], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            spec = fmt[i + 2] if fmt[i + 1] == "-" and i + 2 < len(fmt) else fmt[i + 1]
            i += 3 if fmt[i + 1] == "-" else 2
            out.append(_GUARD_PARTS.get(spec, ".*?"))
            continue
        out.append(r"\s*" if c.isspace() else f"(?i:{_re2_char(c)})")
        i += 1
    return "".join(out) + r"\s*"


def _shape_runs(formats: list[str]) -> list[tuple[str, list[str]]]:
    """Neighbouring formats of one shape (as %d/%m/%Y and %m/%d/%Y) grouped: (shape, formats)."""
    runs: list[tuple[str, list[str]]] = []
    for f in formats:
        shape = _format_shape(f)
        if runs and runs[-1][0] == shape:
            runs[-1][1].append(f)
        else:
            runs.append((shape, [f]))
    return runs


@dataclass
class FormatChoice:
    """How each file reads values that two formats of one shape read differently (see
    choose_formats): per (field, the run's formats as declared), the files that try them in
    another order, and the files whose such values are quarantined ambiguous_timestamp:<field>."""

    order: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], list[str]]] = field(
        default_factory=dict)
    conflict: dict[tuple[str, tuple[str, ...]], list[str]] = field(default_factory=dict)


def _strptime(r: str, formats: list[str], params: _Params, seen: dict[str, int],
              choice: FormatChoice | None = None, name: str = "") -> str:
    """The first of the formats that reads the value, each tried only on values of its shape
    (neighbours of one shape, as %d/%m/%Y and %m/%d/%Y, in one call under one test; in the
    order `choice` settled for the value's file, else as declared)."""
    tries = []
    for shape, fs in _shape_runs(formats):
        # DuckDB computes an expression that occurs twice once, for every row, before the
        # coalesce: a shape used again (another field, another kind) is written differently
        seen[shape] = seen.get(shape, 0) + 1
        test = f"regexp_full_match({r}, {params.add(shape + '(?:)' * (seen[shape] - 1))})"
        call = f"try_strptime({r}, {params.add(fs[0] if len(fs) == 1 else fs)})"
        orders = (choice.order.get((name, tuple(fs))) if choice else None) or {}
        if orders:  # the files whose values prove another reading try that format first
            alts = " ".join(f"when list_contains({params.add(paths)}, _path) then "
                            f"try_strptime({r}, {params.add(list(order))})"
                            for order, paths in orders.items())
            call = f"(case {alts} else {call} end)"
        tries.append(f"case when {test} then {call} end")
    return f"coalesce({', '.join(tries)})" if len(tries) > 1 else tries[0]


def _end_of_day(wall: str) -> str:
    """A wall time at 00:00:00 (a date, or a time of midnight) → 23:59:59 that day. The wall
    time is named once (a lambda): written twice, DuckDB would compute it for every row before
    the coalesce that tries it only for the rows the kinds before it did not read."""
    return (f"list_transform([{wall}], lambda w: case when cast(w as time) = time '00:00:00' "
            "then w + interval 86399 second else w end)[1]")


def _field_formats(mapping: SourceMapping, spec: FieldSpec) -> dict[str, list[str]]:
    """The field's formats by kind (see _format_kind), kinds in the order they first appear."""
    formats = list(spec.formats or mapping.timestamp_formats)
    if spec.value is not None and not spec.formats:  # a constant may be written in ISO 8601
        formats += [f for f in DEFAULT_TIMESTAMP_FORMATS if f not in formats]
    if mapping.format in _TYPED_READERS:
        formats += [f for f in _NATIVE_TEXT_FORMATS if f not in formats]
    groups: dict[str, list[str]] = {}
    for f in formats:
        groups.setdefault(_format_kind(f, mapping.timezone == "UTC"), []).append(f)
    return groups


def _timestamp(mapping: SourceMapping, spec: FieldSpec, r: str, params: _Params,
               choice: FormatChoice | None = None) -> str:
    """Parse with the field's formats: those of one kind (local, "Z", offset) together, the kinds
    in the order they first appear; a failed attempt is the costly part. Under
    date_only end_of_day a local midnight is the end of that local day, before the change to
    UTC. `choice`: the order of same-shape formats per file (see choose_formats)."""
    utc = mapping.timezone == "UTC"
    eod = spec.date_only == "end_of_day"
    groups = _field_formats(mapping, spec)
    shapes: dict[str, int] = {}

    def local(expr: str) -> str:
        return expr if utc else f"timezone('UTC', timezone({params.add(mapping.timezone)}, {expr}))"

    options = []
    for kind, group in groups.items():
        if kind in TIME_FORMAT_NAMES:
            x = f"try_cast(trim({r}) as double)"
            if kind == "excel_serial":  # days since 1899-12-30 (25569 days before 1970), local
                wall = (f"(case when {x} between 1 and 2958466 then make_timestamp("
                        f"cast(round(({x} - 25569) * 86400000) as bigint) * 1000) end)")
                options.append(local(_end_of_day(wall) if eod else wall))
            else:  # an instant; out of range (e.g. milliseconds read as seconds): no time
                unit, limit = (1e6, 1e11) if kind == "epoch" else (1e3, 1e14)
                options.append(f"(case when abs({x}) < {limit} then make_timestamp("
                               f"cast(round({x} * {unit}) as bigint)) end)")
            continue
        parsed = _strptime(r, group, params, shapes, choice, spec.name)
        if kind.startswith("offset"):
            instant = f"timezone('UTC', {parsed})"
            if eod:  # midnight where the text says it (the offset is fixed: + 23:59:59)
                instant = (f"({instant} + case when regexp_matches(trim({r}), "
                           f"{params.add(_MIDNIGHT_WITH_OFFSET)}) then interval 86399 second "
                           "else interval 0 second end)")
            options.append(instant)
            continue
        wall = f"cast({parsed} as timestamp)" if kind.endswith("_ns") else parsed
        if eod:
            wall = _end_of_day(wall)
        options.append(wall if kind.startswith("zulu") else local(wall))
    return "coalesce(" + ", ".join(options) + ")" if len(options) > 1 else options[0]


def _code(spec: FieldSpec, r: str, params: _Params) -> str:
    key = f"lower(trim({r}))"
    value_map = dict(spec.value_map or {})
    if spec.name in BOOLEAN_FIELDS:
        value_map = {**_BOOLEAN_WORDS, **value_map}
        value_map = {
            k: str(bool(v)).lower() if isinstance(v, bool) else str(v).lower()
            for k, v in value_map.items()
        }
    if spec.default is not None:
        # a canonical value or a mapped one; anything else (not missing) becomes the default
        value_map = {**{v: v for v in ENUMS[spec.name]}, **value_map}
        keys = params.add(list(value_map))
        vals = params.add([str(v) for v in value_map.values()])
        return (f"coalesce(map_extract_value(map({keys}, {vals}), {key}), "
                f"case when {key} is not null then {params.add(spec.default)} end)")
    if not value_map:
        return key
    keys = params.add(list(value_map))
    vals = params.add([str(v) for v in value_map.values()])
    return f"coalesce(map_extract_value(map({keys}, {vals}), {key}), {key})"


# Ignored around a number: spaces (also no-break and thin ones), and a currency sign or code
# before (after a sign) or after it: "RM 1,234.50", "-$5", "5 €", "IDR 150.000", "US$12".
_NUMBER_SPACES = r"[\s\x{00A0}\x{2007}\x{202F}]+"
_CURRENCY = r"(?:[A-Z]{3}|RM|Rp|[A-Z]{1,2}\$|\p{Sc})"
_NUMBER_AROUND = rf"^([+-]?){_CURRENCY}|{_CURRENCY}$"


def _number(spec: FieldSpec, r: str, params: _Params) -> tuple[str, str]:
    """(typed value from the column n_<field>, the parsed number before scale conversion).

    A number as plain DuckDB reads it ("1234.5", "-3", "1e3") is cast at once; only the others
    are cleaned: spaces and currency dropped, then digits grouped by the thousands separator in
    threes, the decimal mark, and nothing else ("1,5" is no number unless decimal is ",")."""
    dec, thou = _re2_char(spec.decimal), _re2_char(spec.thousands)
    cleaned = (f"regexp_replace(regexp_replace({r}, {params.add(_NUMBER_SPACES)}, '', 'g'), "
               f"{params.add(_NUMBER_AROUND)}, '\\1', 'g')")
    shape = rf"[+-]?(?:[0-9]{{1,3}}(?:{thou}[0-9]{{3}})+|[0-9]+)(?:{dec}[0-9]*)?|[+-]?{dec}[0-9]+"
    # the cleaned text named once (a lambda), so that it is computed only where needed
    parsed = (f"list_transform([{cleaned}], lambda c: case when regexp_full_match(c, "
              f"{params.add(shape)}) then try_cast(replace(replace(c, "
              f"{params.add(spec.thousands)}, ''), {params.add(spec.decimal)}, '.') as double) "
              "end)[1]")
    if spec.decimal == ".":  # the common case first: no regular expression for "1234.5"
        parsed = f"coalesce(try_cast(trim({r}) as double), {parsed})"
    if spec.not_applicable:
        na = params.add([x.strip() for x in spec.not_applicable])
        parsed = f"(case when list_contains({na}, trim({r})) then null else {parsed} end)"
    n = f"n_{spec.name}"
    if spec.name != "rating":
        return n, parsed
    lo, hi = spec.scale or (1.0, 5.0)
    typed = (
        f"(case when {n} between {params.add(lo)} and {params.add(hi)} then "
        f"round(1 + ({n} - {params.add(lo)}) * 4 / ({params.add(hi - lo)})) end)"
    )
    return typed, parsed


# The stored type of interactions.signals (schema.sql).
SIGNALS_TYPE = "struct(name varchar, effect varchar, customer boolean)[]"
# Built-in signal scales: the effect of each value (see sources.SIGNAL_SCALES).
_SIGNAL_SCALES = {
    "nps": {**dict.fromkeys(range(9, 11), "exceeds"), **dict.fromkeys(range(7, 9), "meets"),
            **dict.fromkeys(range(0, 7), "falls_short")},
    "ces": {**dict.fromkeys((1, 2), "exceeds"), **dict.fromkeys((3, 4), "meets"),
            **dict.fromkeys((5, 6, 7), "falls_short")},
}


def _signal_effect(sig: SignalSpec, r: str, params: _Params) -> str:
    """exceeds | meets | falls_short from the raw value; NULL when missing or not known (and no
    default)."""
    key = f"lower(trim({r}))"
    if sig.value_map is not None:
        known = (f"map_extract_value(map({params.add(list(sig.value_map))}, "
                 f"{params.add(list(sig.value_map.values()))}), {key})")
    elif sig.scale == "flag":
        words = {k: ("meets" if v else "falls_short") for k, v in _BOOLEAN_WORDS.items()}
        known = (f"map_extract_value(map({params.add(list(words))}, "
                 f"{params.add(list(words.values()))}), {key})")
    else:
        scale = _SIGNAL_SCALES[sig.scale or ""]
        known = (f"map_extract_value(map({params.add([float(k) for k in scale])}, "
                 f"{params.add(list(scale.values()))}), try_cast(trim({r}) as double))")
    if sig.default is None:
        return known
    return f"coalesce({known}, case when {r} is not null then {params.add(sig.default)} end)"


def _signals(mapping: SourceMapping, params: _Params, json_paths: list[str]
             ) -> tuple[list[str], str, list[str]]:
    """Raw columns (s_<i>), the typed `signals` list (NULL when no signal has a value) and the
    quarantine reasons (unknown_value:signals.<name>) of the declared signals."""
    raw_cols, items, reasons = [], [], []
    for i, sig in enumerate(mapping.signals):
        r = f"s_{i}"
        raw = _null_tokens(_raw_ref(mapping, sig.column, params, json_paths), mapping, params)
        raw_cols.append(f"nullif(trim({raw}), '') as {r}")
        effect = _signal_effect(sig, r, params)
        items.append(f"{{'name': {params.add(sig.name)}, 'effect': {effect}, "
                     f"'customer': {'true' if sig.customer else 'false'}}}")
        reasons.append(f"case when {r} is not null and ({effect}) is null "
                       f"then {params.add(f'unknown_value:signals.{sig.name}')} end")
    if not items:
        return raw_cols, f"null::{SIGNALS_TYPE}", reasons
    found = f"list_filter([{', '.join(items)}], lambda s: s.effect is not null)"
    typed = (f"list_transform([{found}], lambda l: case when len(l) > 0 then l end)[1]"
             f"::{SIGNALS_TYPE}")
    return raw_cols, typed, reasons


# hours_after: at most 100 years (876,600 hours) before or after the time stamp it counts from.
_MAX_HOURS_AFTER = 876_600


def staging_sql(
    mapping: SourceMapping, raw_table: str, now: datetime, oldest: datetime,
    nested_columns: tuple[str, ...] = (), choice: FormatChoice | None = None,
    probe: list[tuple[str, tuple[str, ...]]] | None = None,
) -> tuple[str, dict[str, Any]]:
    """SELECT over `raw_table` giving canonical columns, `_row`, `_raw` and `_reasons`.

    `choice`: per file, the order of time formats of one shape (see choose_formats). With
    `probe` (a list to fill with the (field, formats) runs it looks at) the SELECT is instead
    choose_formats' look at the values: per file and run, how many values each format alone
    reads and how many two of them read differently, with examples (empty: nothing to look at).

    `nested_columns`: columns of a typed reader (Parquet, a SQL query) holding a struct, list or
    map; a field read from one is quarantined `nested_value:<field>` where it holds a value, as a
    JSON object or array is (never staged as the text `{'code': MYR}`)."""
    params = _Params()
    target_fields = TARGET_FIELDS[mapping.target]
    raw_cols, typed_cols, reasons = [], [], []
    numbers: list[str] = []
    json_nested: list[str] = []
    json_paths: list[str] = []
    for name in target_fields:
        spec = mapping.fields.get(name)
        r = f"r_{name}"
        if name == "signals":  # declared signals (the top-level signals: block)
            sig_raw, sig_typed, sig_reasons = _signals(mapping, params, json_paths)
            raw_cols += sig_raw
            typed_cols.append(f"{sig_typed} as signals")
            reasons += sig_reasons
            continue
        if spec is None:
            raw_cols.append(f"null::varchar as {r}")
            typed_cols.append(f"null::{_SQL_TYPES.get(name, 'varchar')} as {name}")
            continue
        raw = _raw_value(mapping, spec, params, json_paths)
        if name in NUMBER_FIELDS and spec.value_map:
            # words standing for numbers (a rating "good" = 5): mapped, then read as a number
            keys = params.add(list(spec.value_map))
            vals = params.add([str(v) for v in spec.value_map.values()])
            raw = f"coalesce(map_extract_value(map({keys}, {vals}), lower(trim({raw}))), {raw})"
        raw_cols.append(f"{raw} as {r}")
        if (mapping.format in ("jsonl", "json") and spec.column is not None
                and spec.value is None):
            ref = _raw_ref(mapping, spec.column, params, json_paths).replace("_vals", "_types")
            raw_cols.append(f"{ref} as j_{name}")
            json_nested.append(
                f"case when j_{name} in ('OBJECT', 'ARRAY') then 'nested_value:{name}' end"
            )
        elif spec.value is None and set(spec.raw_columns) & set(nested_columns):
            held = " or ".join(f"{quote_ident(c)} is not null" for c in spec.raw_columns
                               if c in nested_columns)
            raw_cols.append(f"({held}) as k_{name}")
            json_nested.append(f"case when k_{name} then 'nested_value:{name}' end")
        if name in TIMESTAMP_FIELDS and spec.hours_after:
            # Hours after another time stamp. Not a finite number: bad_number; more than
            # _MAX_HOURS_AFTER either way (1e20 would overflow the interval and stop the whole
            # source): out_of_range. Either way that row alone is quarantined.
            hours = f"try_cast(trim({r}) as double)"
            fits = f"(isfinite({hours}) and abs({hours}) <= {_MAX_HOURS_AFTER})"
            typed = (f"(case when {fits} then t_{spec.hours_after} + to_seconds({hours} * 3600) "
                     "end)")
            typed_cols.append(f"{typed} as {name}")
            reasons.append(
                f"case when {r} is not null and ({hours} is null or not isfinite({hours})) "
                f"then 'bad_number:{name}' when {r} is not null and not {fits} "
                f"then 'out_of_range:{name}' end"
            )
        elif name in TIMESTAMP_FIELDS:
            typed_cols.append(f"{_timestamp(mapping, spec, r, params, choice)} as {name}")
            reasons.append(
                f"case when {r} is not null and {name} is null then 'bad_timestamp:{name}' end"
            )
            for (of, fs), paths in (choice.conflict.items() if choice else ()):
                if of == name:  # files proving two readings: the values both fit, quarantined
                    reasons.append(
                        f"case when list_contains({params.add(paths)}, _path) and "
                        f"regexp_full_match({r}, {params.add(_format_shape(fs[0]))}) and "
                        f"{_readings(r, fs, params)} > 1 then 'ambiguous_timestamp:{name}' end")
            if name in PAST_FIELDS:
                reasons.append(
                    f"case when {name} > {params.add(now)} then 'future_timestamp:{name}' end"
                )
            reasons.append(
                f"case when {name} < {params.add(oldest)} then 'too_old_timestamp:{name}' end"
            )
        elif name in NUMBER_FIELDS:
            typed, parsed = _number(spec, r, params)
            typed_cols.append(f"{typed} as {name}")
            numbers.append(f"{parsed} as n_{name}")  # parsed once, read by the typed value
            reasons.append(
                f"case when {r} is not null and n_{name} is null and not "
                f"list_contains({params.add([x.strip() for x in spec.not_applicable])},"
                f" trim({r})) then 'bad_number:{name}' "
                f"when n_{name} is not null and not isfinite(n_{name}) then "
                f"'bad_number:{name}' end"
            )
            if name == "rating":
                reasons.append(
                    f"case when isfinite(n_{name}) and {name} is null then "
                    f"'rating_out_of_range' end"
                )
        elif name in CODE_FIELDS:
            code = _code(spec, r, params)
            if name in BOOLEAN_FIELDS:
                typed_cols.append(f"try_cast({code} as boolean) as {name}")
                reasons.append(
                    f"case when {r} is not null and {name} is null then 'unknown_value:{name}' end"
                )
            else:
                typed_cols.append(f"{code} as {name}")
                if name in ENUMS:
                    reasons.append(
                        f"case when {name} is not null and not list_contains("
                        f"{params.add(list(ENUMS[name]))}, {name}) then "
                        f"'unknown_value:{name}' end"
                    )
        else:
            typed = f"trim({r})" if name in _TRIMMED else r
            if spec.value_map:
                # Free values (e.g. a topic label) map case-insensitively; others pass as they are.
                keys = params.add(list(spec.value_map))
                vals = params.add([str(v) for v in spec.value_map.values()])
                found = f"map_extract_value(map({keys}, {vals}), lower(trim({r})))"
                typed = f"coalesce({found}, {typed})"
            typed_cols.append(f"{typed} as {name}")
        if spec.pattern:
            reasons.append(
                f"case when {r} is not null and not regexp_full_match(trim({r}), "
                f"{params.add(spec.pattern)}) then 'bad_format:{name}' end"
            )
        if spec.from_file_name:
            reasons.append(f"case when {r} is null then 'file_name_mismatch:{name}' end")
    for name in mapping.required:
        if not mapping.fields[name].from_file_name:  # a name that does not match says so above
            reasons.append(f"case when r_{name} is null then 'missing_required:{name}' end")
    if mapping.target == "interactions":
        reasons.append("case when resolved_at < occurred_at then 'resolved_before_opened' end")
        reasons.append("case when promised_by < occurred_at then 'promised_before_opened' end")

    # Typed columns may refer to other typed time stamps (hours_after): expose them as t_<name>;
    # numbers are parsed there too, once (n_<name>).
    ts_aliases = [
        f"{_timestamp(mapping, mapping.fields[n], f'r_{n}', params, choice)} as t_{n}"
        for n in TIMESTAMP_FIELDS
        if n in mapping.fields
        and not mapping.fields[n].hours_after
        and any(s.hours_after == n for s in mapping.fields.values())
    ] + numbers
    select_typed = ", ".join(typed_cols)
    out_cols = ", ".join(target_fields)
    reason_list = ", ".join(json_nested + reasons)
    source = raw_table
    if json_paths:
        paths = params.add(json_paths)
        source = (f"(select *, json_extract_string(_json, {paths}) as _vals, "
                  f"json_type(_json, {paths}) as _types from {raw_table})")
    if probe is not None:
        return _probe_sql(mapping, f"select _path, _row, {', '.join(raw_cols)} from {source}",
                          params, probe)
    sql = f"""
        with src as (
            select _path, _row, _raw, {", ".join(raw_cols)} from {source}
        ),
        timed as (
            select *{", " if ts_aliases else ""}{", ".join(ts_aliases)} from src
        ),
        typed as (
            select src_cols.*, {select_typed}
            from timed as src_cols
        ),
        final as (
            select {out_cols}, _path, _row, _raw,
                   -- most rows have no reason: build the list only for those that do
                   case when coalesce({reason_list}) is not null
                        then list_filter([{reason_list}], lambda x: x is not null)
                        else []::varchar[] end as _reasons
            from typed
        )
        select * from final
    """
    return sql, params.values


def _readings(r: str, fs: list[str] | tuple[str, ...], params: _Params) -> str:
    """How many different time stamps the formats read from the value."""
    tried = ", ".join(f"try_strptime({r}, {params.add(f)})" for f in fs)
    return f"len(list_distinct(list_filter([{tried}], lambda x: x is not null)))"


def _probe_sql(mapping: SourceMapping, src: str, params: _Params,
               probe: list[tuple[str, tuple[str, ...]]]) -> tuple[str, dict[str, Any]]:
    """See staging_sql(probe=...): one row per file; per run i, `amb{i}` (values two formats
    read differently), `amb{i}_ex` (the first of them, [value, row]), and per format j of the
    run `only{i}_{j}` and `only{i}_{j}_ex` (values only that format reads)."""
    for name, spec in mapping.fields.items():
        if name not in TIMESTAMP_FIELDS or spec.hours_after or spec.value is not None:
            continue
        for kind, group in _field_formats(mapping, spec).items():
            if kind not in TIME_FORMAT_NAMES:
                probe += [(name, tuple(fs)) for _, fs in _shape_runs(group) if len(fs) > 1]
    if not probe:
        return "", {}
    tried, aggs = [], []
    for i, (name, fs) in enumerate(probe):
        r = f"r_{name}"
        parts = ", ".join(f"try_strptime({r}, {params.add(f)})" for f in fs)
        tried.append(f"{r} as v{i}, case when regexp_full_match({r}, "
                     f"{params.add(_format_shape(fs[0]))}) then [{parts}] end as p{i}")
        read = f"list_filter(p{i}, lambda x: x is not null)"
        amb = f"len(list_distinct({read})) > 1"
        aggs += [f"count(*) filter (where {amb}) as amb{i}",
                 f"arg_min([v{i}, _row::varchar], _row) filter (where {amb}) as amb{i}_ex"]
        for j in range(len(fs)):
            only = f"p{i}[{j + 1}] is not null and len({read}) = 1"
            aggs += [f"count(*) filter (where {only}) as only{i}_{j}",
                     f"arg_min([v{i}, _row::varchar], _row) filter (where {only}) "
                     f"as only{i}_{j}_ex"]
    sql = (f"select _path, {', '.join(aggs)} from (select _path, _row, {', '.join(tried)} "
           f"from ({src})) group by _path")
    used = set(re.findall(r"\$(p[0-9]+)\b", sql))  # the typed columns' parameters are not
    return sql, {k: v for k, v in params.values.items() if k in used}


def choose_formats(con: Any, mapping: SourceMapping, raw_table: str,
                   files: dict[str, str], nested_columns: tuple[str, ...] = ()
                   ) -> tuple[FormatChoice, list[str]]:
    """Two declared formats of one shape (day-first `%d/%m/%Y` and month-first `%m/%d/%Y`) may
    both read a value (`03/04/2026`) differently. Per file (`files`: path as read -> name):

    - no value of the file reads two ways: nothing to say;
    - some do, and only one format reads values the others cannot (`13/04/2026` proves
      day-first): that format reads the whole file, ambiguous values included;
    - some do, and no value proves a reading: the first declared format reads them;
    - some do, and two formats each have such proof: the ambiguous rows are quarantined
      (`ambiguous_timestamp:<field>`), the others read as usual.

    In every case one warning line per file and field names the mapping, the field, the file
    and an example value. The look is one SQL aggregate over the raw rows, and only for a field
    declaring neighbouring formats of one shape (the default ISO 8601 list has none)."""
    probe: list[tuple[str, tuple[str, ...]]] = []
    sql, params = staging_sql(mapping, raw_table, datetime.min, datetime.min, nested_columns,
                              probe=probe)
    choice, notices = FormatChoice(), []
    if not sql:
        return choice, notices
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    for row in cur.fetchall():
        got = dict(zip(cols, row, strict=True))
        path = got["_path"]
        name_of_file = files.get(path, path)
        for i, (name, fs) in enumerate(probe):
            if not got[f"amb{i}"]:
                continue
            value, at = got[f"amb{i}_ex"]
            proven = [j for j in range(len(fs)) if got[f"only{i}_{j}"]]
            head = (f"{mapping.path}: fields.{name}: {name_of_file}: {got[f'amb{i}']} value(s) "
                    f"such as '{value}' (row {at}) fit more than one of the formats "
                    f"{', '.join(repr(f) for f in fs)}")
            if len(proven) == 1:
                j = proven[0]
                proof, prow = got[f"only{i}_{j}_ex"]
                order = (fs[j], *(f for f in fs if f != fs[j]))
                if j > 0:
                    choice.order.setdefault((name, fs), {}).setdefault(order, []).append(path)
                notices.append(f"{head}; read as '{fs[j]}' throughout the file, as '{proof}' "
                               f"(row {prow}) only that format reads")
            elif not proven:
                notices.append(f"{head}; read as '{fs[0]}' (declared first): no value in the "
                               "file only another format reads")
            else:
                choice.conflict.setdefault((name, fs), []).append(path)
                proofs = "; ".join(f"'{got[f'only{i}_{j}_ex'][0]}' only '{fs[j]}' reads"
                                   for j in proven)
                notices.append(f"{head}, and the file proves more than one reading ({proofs}): "
                               f"those rows are quarantined (ambiguous_timestamp:{name})")
    return choice, notices
