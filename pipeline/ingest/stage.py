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
    ENUMS,
    NUMBER_FIELDS,
    PAST_FIELDS,
    TARGET_FIELDS,
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
    return "$." + ".".join(f'"{part}"' for part in column.split("."))


def _raw_ref(mapping: SourceMapping, column: str, params: _Params,
             json_paths: list[str] | None = None) -> str:
    if mapping.format == "jsonl":
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
    if spec.column is not None:
        return _null_tokens(_raw_ref(mapping, spec.column, params, json_paths), mapping, params)
    parts = [_null_tokens(_raw_ref(mapping, c, params, json_paths), mapping, params)
             for c in spec.columns]
    return "(" + " || ' ' || ".join(parts) + ")"


def _split_formats(formats: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """(with an offset, local with a time, date only)."""
    offset = [f for f in formats if "%z" in f or "%Z" in f]
    timed = [f for f in formats if f not in offset and any(d in f for d in ("%H", "%I", "%M"))]
    dated = [f for f in formats if f not in offset and f not in timed]
    return offset, timed, dated


def _timestamp(mapping: SourceMapping, spec: FieldSpec, r: str, params: _Params) -> str:
    """Parse with the declared formats, local ones first; a failed attempt is the costly part."""
    formats = spec.formats or mapping.timestamp_formats
    offset, timed, dated = _split_formats(formats)
    utc = mapping.timezone == "UTC"
    tz = None if utc else params.add(mapping.timezone)
    # A literal Z ("...%SZ") says UTC whatever the mapping's zone (%Z formats are in `offset`).
    zulu = [] if utc else [f for f in timed if f.endswith("Z")]
    timed = [f for f in timed if f not in zulu]

    def local(expr: str) -> str:
        return expr if utc else f"timezone('UTC', timezone({tz}, {expr}))"

    options = []
    if timed:
        options.append(local(f"try_strptime({r}, {params.add(timed)})"))
    if zulu:
        options.append(f"try_strptime({r}, {params.add(zulu)})")
    if offset:
        options.append(f"timezone('UTC', try_strptime({r}, {params.add(offset)}))")
    if dated:
        day = f"try_strptime({r}, {params.add(dated)})"
        if spec.date_only == "end_of_day":
            day = f"({day} + interval 1 day - interval 1 second)"
        options.append(local(day))
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
    if not value_map:
        return key
    keys = params.add(list(value_map))
    vals = params.add([str(v) for v in value_map.values()])
    return f"coalesce(map_extract_value(map({keys}, {vals}), {key}), {key})"


def _number(spec: FieldSpec, r: str, params: _Params) -> tuple[str, str]:
    """(typed value, the parsed number before scale conversion)."""
    parsed = f"try_cast(trim({r}) as double)"
    if spec.not_applicable:
        na = params.add([x.strip() for x in spec.not_applicable])
        parsed = f"(case when list_contains({na}, trim({r})) then null else {parsed} end)"
    if spec.name != "rating":
        return parsed, parsed
    lo, hi = spec.scale or (1.0, 5.0)
    typed = (
        f"(case when {parsed} between {params.add(lo)} and {params.add(hi)} then "
        f"round(1 + ({parsed} - {params.add(lo)}) * 4 / ({params.add(hi - lo)})) end)"
    )
    return typed, parsed


def staging_sql(
    mapping: SourceMapping, raw_table: str, now: datetime, oldest: datetime
) -> tuple[str, dict[str, Any]]:
    """SELECT over `raw_table` giving canonical columns, `_row`, `_raw` and `_reasons`."""
    params = _Params()
    target_fields = TARGET_FIELDS[mapping.target]
    raw_cols, typed_cols, reasons = [], [], []
    json_nested: list[str] = []
    json_paths: list[str] = []
    for name in target_fields:
        spec = mapping.fields.get(name)
        r = f"r_{name}"
        if spec is None:
            raw_cols.append(f"null::varchar as {r}")
            typed_cols.append(f"null::{_SQL_TYPES.get(name, 'varchar')} as {name}")
            continue
        raw_cols.append(f"{_raw_value(mapping, spec, params, json_paths)} as {r}")
        if mapping.format == "jsonl" and spec.column is not None and spec.value is None:
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
            typed_cols.append(f"{parsed} as n_{name}")
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
    for name in mapping.required:
        reasons.append(f"case when r_{name} is null then 'missing_required:{name}' end")
    if mapping.target == "interactions":
        reasons.append("case when resolved_at < occurred_at then 'resolved_before_opened' end")
        reasons.append("case when promised_by < occurred_at then 'promised_before_opened' end")

    # Typed columns may refer to other typed time stamps (hours_after): expose them as t_<name>.
    ts_aliases = [
        f"{_timestamp(mapping, mapping.fields[n], f'r_{n}', params)} as t_{n}"
        for n in TIMESTAMP_FIELDS
        if n in mapping.fields
        and not mapping.fields[n].hours_after
        and any(s.hours_after == n for s in mapping.fields.values())
    ]
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
