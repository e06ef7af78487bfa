"""Turn a raw text table into canonical, typed rows with the reasons each row cannot be staged.

The mapping becomes one SELECT: raw values (after null tokens) → typed values → a list of
reason codes. Every value from the mapping is a bound parameter; column names are quoted
identifiers. A row with no reason is clean; the others go to quarantine with their raw content.
"""

from __future__ import annotations

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


def _strptime(r: str, formats: list[str], params: _Params, seen: dict[str, int]) -> str:
    """The first of the formats that reads the value, each tried only on values of its shape
    (neighbours of one shape, as %d/%m/%Y and %m/%d/%Y, in one call under one test)."""
    runs: list[tuple[str, list[str]]] = []
    for f in formats:
        shape = _format_shape(f)
        if runs and runs[-1][0] == shape:
            runs[-1][1].append(f)
        else:
            runs.append((shape, [f]))
    tries = []
    for shape, fs in runs:
        # DuckDB computes an expression that occurs twice once, for every row, before the
        # coalesce: a shape used again (another field, another kind) is written differently
        seen[shape] = seen.get(shape, 0) + 1
        test = f"regexp_full_match({r}, {params.add(shape + '(?:)' * (seen[shape] - 1))})"
        tries.append(f"case when {test} then try_strptime({r}, "
                     f"{params.add(fs[0] if len(fs) == 1 else fs)}) end")
    return f"coalesce({', '.join(tries)})" if len(tries) > 1 else tries[0]


def _end_of_day(wall: str) -> str:
    """A wall time at 00:00:00 (a date, or a time of midnight) → 23:59:59 that day. The wall
    time is named once (a lambda): written twice, DuckDB would compute it for every row before
    the coalesce that tries it only for the rows the kinds before it did not read."""
    return (f"list_transform([{wall}], lambda w: case when cast(w as time) = time '00:00:00' "
            "then w + interval 86399 second else w end)[1]")


def _timestamp(mapping: SourceMapping, spec: FieldSpec, r: str, params: _Params) -> str:
    """Parse with the field's formats: those of one kind (local, "Z", offset) together, the kinds
    in the order they first appear; a failed attempt is the costly part. Under
    date_only end_of_day a local midnight is the end of that local day, before the change to
    UTC."""
    formats = list(spec.formats or mapping.timestamp_formats)
    if spec.value is not None and not spec.formats:  # a constant may be written in ISO 8601
        formats += [f for f in DEFAULT_TIMESTAMP_FORMATS if f not in formats]
    if mapping.format in _TYPED_READERS:
        formats += [f for f in _NATIVE_TEXT_FORMATS if f not in formats]
    utc = mapping.timezone == "UTC"
    eod = spec.date_only == "end_of_day"
    groups: dict[str, list[str]] = {}
    for f in formats:
        groups.setdefault(_format_kind(f, utc), []).append(f)
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
        parsed = _strptime(r, group, params, shapes)
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


def staging_sql(
    mapping: SourceMapping, raw_table: str, now: datetime, oldest: datetime
) -> tuple[str, dict[str, Any]]:
    """SELECT over `raw_table` giving canonical columns, `_row`, `_raw` and `_reasons`."""
    params = _Params()
    target_fields = TARGET_FIELDS[mapping.target]
    raw_cols, typed_cols, reasons = [], [], []
    numbers: list[str] = []
    json_nested: list[str] = []
    json_paths: list[str] = []
    for name in target_fields:
        spec = mapping.fields.get(name)
        r = f"r_{name}"
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
        if name in TIMESTAMP_FIELDS and spec.hours_after:
            hours = f"try_cast(trim({r}) as double)"
            typed = f"(t_{spec.hours_after} + to_seconds({hours} * 3600))"
            typed_cols.append(f"{typed} as {name}")
            reasons.append(
                f"case when {r} is not null and {hours} is null then 'bad_number:{name}' end"
            )
        elif name in TIMESTAMP_FIELDS:
            typed_cols.append(f"{_timestamp(mapping, spec, r, params)} as {name}")
            reasons.append(
                f"case when {r} is not null and {name} is null then 'bad_timestamp:{name}' end"
            )
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
        f"{_timestamp(mapping, mapping.fields[n], f'r_{n}', params)} as t_{n}"
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
