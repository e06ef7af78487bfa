"""Source mappings through the shared validator (pipeline.reference_schema).

Every shipped mapping, and a few written here to reach each option, loads into exactly the
`SourceMapping` objects the hand-written checker gave: their `repr()` was written to
tests/fixtures/sources_loaded.txt by that checker, before the mappings moved onto pydantic.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.errors import UserError
from pipeline.ingest.sources import load_mapping

SOURCES = paths.ROOT / "data" / "reference" / "sources"
FIXTURE = Path(__file__).parent / "fixtures" / "sources_loaded.txt"

# Options no shipped mapping uses (each block a whole mapping file).
COVERAGE = {
    "cover_csv.yaml": """
        source: cover-csv_1
        files: c/**/*.txt
        format: csv
        csv: {delimiter: "||", quote: "'", escape: "\\\\", header: false,
              columns: [" id ", at, ch, r, amt, who, t1, t2, sla, code], skip_lines: 2,
              encoding: LATIN1}
        null_tokens: ["", -, 0, "NULL"]
        timezone: Asia/Kuala_Lumpur
        timestamp_formats: "%d/%m/%Y %H:%M"
        required: [customer_id, customer_id, rating]
        description: every csv option
        fields:
          interaction_id: {column: id, pattern: "^R[0-9]+$"}
          customer_id: {column: who}
          occurred_at: {column: at, formats: [epoch, "%Y%m%d"], date_only: end_of_day}
          promised_by: {column: sla, hours_after: occurred_at}
          resolved_at: {columns: [t1, t2], separator: "T"}
          channel: {column: ch, map: {" TEL ": phone, 2: sms, true: email}, default: other}
          kind: {value: complaint}
          status: {column: code, default: resolved}
          rating: {column: r, scale: [0, 10], not_applicable: [0, n/a, 99.5],
                   decimal: ",", thousands: " "}
          text: {columns: [t1, t2]}
          topic: {value: 2019}
          language: {value: en}
          promise_kept: {column: code, map: {y: true, n: false}}
        signals:
          relief: {column: amt, map: {" Closed ": exceeds, 0: falls_short}, default: meets}
          nps: {column: r, scale: nps}
          effort: {column: r, scale: ces, verdict: handling}
          ftf: {column: code, scale: flag, verdict: customer}
    """,
    "cover_orders.yaml": """
        target: orders
        files: o/*.tsv
        format: csv
        csv: {delimiter: whitespace, encoding: utf16}
        fields:
          order_id: id
          customer_id: cust
          ordered_at: {from_file_name: 'orders_(\\d{8})', formats: ["%Y%m%d"]}
          amount: {column: amt, decimal: ","}
          currency: {value: MYR}
    """,
    "cover_fixed.yaml": """
        files: f/*.txt
        format: fixed_width
        fixed_width: {widths: {id: 4, at: 10, ch: 7}, skip_lines: 1, encoding: iso-8859-1}
        fields: {interaction_id: id, occurred_at: {value: 2019-10-01}, channel: ch}
    """,
    "cover_fixed_columns.yaml": """
        files: f/*.txt
        format: fixed_width
        fixed_width: {columns: {id: [1, 4], at: [5, 14], ch: [15, 15]}}
        fields: {interaction_id: id, occurred_at: at, channel: {column: ch, map: {P: phone}}}
        unpivot:
          columns: {Q1: delivery, Q2: checkout}
          value_to: rating
          name_to: topic
          value: {scale: [1, 7], not_applicable: ["0"], thousands: "."}
    """,
    "cover_excel.yaml": """
        files: x/*.xlsx
        format: excel
        excel: {sheet: 2, header_row: 6}
        fields: {interaction_id: id, occurred_at: {columns: [d, t]}, channel: {value: phone}}
    """,
    "cover_excel_name.yaml": """
        files: x/*.xlsx
        format: excel
        excel: {sheet: Calls}
        fields: {interaction_id: id, occurred_at: at, channel: {value: phone}}
    """,
    "cover_json.yaml": """
        files: j/*.json
        format: json
        json: {records: " data.tickets "}
        fields: {interaction_id: id, occurred_at: at, channel: via.channel, text: notes.0}
    """,
    "cover_sql.yaml": """
        format: sql
        null_tokens: [NA]
        inputs:
          letters: {files: l/*.csv, format: csv, csv: {skip_lines: 3, encoding: latin-1}}
          senders: {files: s/*.txt, format: fixed_width, null_tokens: ["-"],
                    fixed_width: {columns: {ref: [1, 6], cust: [7, 12]}}}
          books: {files: b/*.xlsx, format: excel, excel: {sheet: 1}}
          feed: {files: j/*.json, format: json, json: {records: items}}
          extra: {files: p/*.parquet, format: parquet}
        query: |
          select l.*, s.cust from letters l left join senders s on s.ref = l.ref
        fields: {interaction_id: id, occurred_at: at, channel: {value: letter}}
    """,
}


def _mapping_files(tmp: Path) -> list[tuple[str, Path]]:
    shipped = sorted(SOURCES.glob("*.yaml")) + sorted(
        p for p in (SOURCES / "examples").glob("*.yaml") if not p.name.endswith(".touchpoints.yaml")
    )
    out = [(str(p.relative_to(paths.ROOT)), p) for p in shipped]
    for name, text in COVERAGE.items():
        file = tmp / name
        file.write_text(textwrap.dedent(text), encoding="utf-8")
        out.append((name, file))
    return out


def loaded_text(tmp: Path) -> str:
    """repr() of every mapping as loaded, its path written as the name above it."""
    parts = []
    for name, file in _mapping_files(tmp):
        text = repr(load_mapping(file)).replace(repr(file), "<path>")
        parts.append(f"### {name}\n{text}\n")
    return "".join(parts)


def test_every_mapping_loads_as_before(tmp_path: Path) -> None:
    assert loaded_text(tmp_path) == FIXTURE.read_text(encoding="utf-8")


BASE = "files: x/*.csv\nformat: csv\n"
FIELDS = "fields: {interaction_id: a, occurred_at: b, channel: c}\n"
SQL = "format: sql\nquery: select * from a\n" + FIELDS


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        # the shared layer: unknown keys at every level, wrong types, missing keys
        (BASE + FIELDS + "feilds: {}\n",
         "feilds: unknown key (allowed: files, format, csv, fixed_width, excel, json, "
         "null_tokens, source, target, timezone, timestamp_formats, required, fields, unpivot, "
         "inputs, query, description, signals)"),
        (BASE + "csv: {delimter: ';'}\n" + FIELDS,
         "csv.delimter: unknown key (allowed: delimiter, quote, escape, header, columns, "
         "skip_lines, encoding)"),
        ("files: x\nformat: fixed_width\nfixed_width: {widths: {a: 1}, skip: 1}\n" + FIELDS,
         "fixed_width.skip: unknown key (allowed: columns, widths, skip_lines, encoding)"),
        ("files: x\nformat: excel\nexcel: {header: 2}\n" + FIELDS,
         "excel.header: unknown key (allowed: sheet, header_row)"),
        ("files: x\nformat: json\njson: {record: a}\n" + FIELDS,
         "json.record: unknown key (allowed: records)"),
        (BASE + "fields: {interaction_id: a, occurred_at: {column: b, format: x}, channel: c}\n",
         "fields.occurred_at.format: unknown key (allowed: column, columns, value, map, formats, "
         "date_only, scale, not_applicable, hours_after, pattern, separator, default, decimal, "
         "thousands, from_file_name)"),
        (BASE + FIELDS + "unpivot: {columns: {Q: q}, value_to: rating, name_to: topic, to: x}\n",
         "unpivot.to: unknown key (allowed: columns, value_to, name_to, value)"),
        ("inputs: {a: {files: x, format: csv, sheet: 1}}\n" + SQL,
         "inputs.a.sheet: unknown key (allowed: files, format, csv, fixed_width, excel, json, "
         "null_tokens)"),
        (BASE + FIELDS + "signals: {nps: {column: a, scale: nps, colour: red}}\n",
         "signals.nps.colour: unknown key (allowed: column, map, scale, default, verdict)"),
        ("", "(top level): expected a mapping, got nothing"),
        (BASE, "fields: missing key"),
        ("files: x\n" + FIELDS, "format: missing key"),
        ("inputs: {a: {files: x}}\n" + SQL, "inputs.a.format: missing key"),
        (BASE + FIELDS + "signals: {nps: {scale: nps}}\n", "signals.nps.column: missing key"),
        (BASE + FIELDS + "unpivot: {columns: {Q: q}, value_to: rating}\n",
         "unpivot.name_to: missing key"),
        (BASE + "csv: {header: 'no'}\n" + FIELDS, "csv.header: expected true or false, got 'no'"),
        (BASE + "csv: {skip_lines: '1'}\n" + FIELDS,
         "csv.skip_lines: expected a whole number, got '1'"),
        (BASE + "timezone: 8\n" + FIELDS, "timezone: expected a non-empty text, got int"),
        (BASE + "required: customer_id\n" + FIELDS,
         "required: expected a list, got 'customer_id'"),
        (BASE + FIELDS + "unpivot: {columns: 'Q*', name_to: topic, value_to: rating}\n",
         "unpivot.columns: must map each column to its topic value"),
        ("files: x\nformat: fixed_width\nfixed_width: {columns: [id, opened]}\n" + FIELDS,
         "fixed_width.columns: must map each column name to [first, last]"),
        (BASE + "fields: {interaction_id: a, occurred_at: b, channel: 5}\n",
         "fields.channel: must be a column name or a mapping, got 5 (quote a column named "
         "like a number: \"2023\")"),
        (BASE + "fields: {interaction_id: a, occurred_at: {columns: [b, 3]}, channel: c}\n",
         "fields.occurred_at.columns[1]: expected a non-empty text, got int"),
        ("files: x\nformat: fixed_width\nfixed_width: {widths: {a: x}}\n" + FIELDS,
         "fixed_width.widths.a: expected a whole number, got 'x'"),
        (BASE + "null_tokens: [NULL]\n" + FIELDS,
         'null_tokens[0]: expected a text or a number; quote words YAML reads as something '
         'else (e.g. "NULL", "yes")'),
        (BASE + FIELDS + "fields: {}\n", "not valid YAML: line 4: duplicate key 'fields'"),
        # checks across keys and of meaning, raised by the models' validators
        (BASE + "csv: {header: false}\n" + FIELDS,
         "csv.header: a file without a header needs csv.columns: the column names in file "
         "order (e.g. columns: [id, opened, channel])"),
        ("files: x\nformat: parquet\nexcel: {sheet: 1}\n" + FIELDS,
         "excel: a parquet source takes no excel options"),
        ("inputs: {a: {files: x, format: parquet, json: {records: a}}}\n" + SQL,
         "inputs.a.json: a parquet source takes no json options"),
        ("files: x\nformat: fixed_width\n" + FIELDS,
         "fixed_width: a fixed_width source needs fixed_width: {columns: {name: [first, last]}} "
         "or {widths: {name: width}}"),
        ("inputs: {a: {files: ../x, format: csv}}\n" + SQL,
         "inputs.a.files: '../x' must stay inside the data folder (no '..' or absolute paths)"),
        ("inputs: {Letters: {files: x, format: csv}}\n" + SQL,
         "inputs.Letters: input names must be lower-case identifiers"),
        ("format: sql\ninputs: {a: {files: x, format: csv}}\n" + FIELDS,
         "query: a sql source needs a query"),
        (BASE + "query: select 1\n" + FIELDS, "query: only a sql source takes inputs and query"),
        (BASE + "fields: {interaction_id: a, occurred_at: {column: b, pattern: '(x'}, "
         "channel: c}\n",
         "fields.occurred_at.pattern: not a valid regular expression (missing ), unterminated "
         "subpattern at position 0)"),
        (BASE + "fields: {interaction_id: a, occurred_at: b, channel: c, topic: {column: t, "
         "scale: [1, 5]}}\n",
         "fields.topic.scale: only rating takes a scale ([min, max] of a rating scale)"),
        (BASE + FIELDS + "unpivot: {columns: {Q: q}, value_to: rating, name_to: topic, "
         "value: {scale: [5, 1]}}\n",
         "unpivot.value.scale: must be [min, max] of a rating scale"),
        (BASE + "fields: {interaction_id: a, occurred_at: b, channel: {column: c, value: phone}}\n",
         "fields.channel: needs exactly one of column, columns, value, from_file_name"),
        (BASE + "fields: {interaction_id: a, occurred_at: b, channel: c, promised_by: "
         "{column: p, hours_after: resolved_at}}\n",
         "fields.promised_by.hours_after: 'resolved_at' is not mapped in this source"),
        ("target: orders\n" + BASE + "signals: {nps: {column: a, scale: nps}}\n"
         "fields: {order_id: a, customer_id: b, ordered_at: c}\n",
         "signals: only an interactions source declares signals"),
        (BASE + FIELDS + "signals: {speed: {column: a, scale: flag}}\n",
         "signals.speed: 'speed' is a built-in signal's name; choose another"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_naming_file_and_key(
    tmp_path: Path, mapping: str, message: str
) -> None:
    file = tmp_path / "calls.yaml"
    file.write_text(mapping, encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_mapping(file)
    assert str(err.value) == f"{file}: {message}"


def test_source_defaults_to_the_file_name_which_must_be_a_short_name(tmp_path: Path) -> None:
    good, bad = tmp_path / "call-log_2.yaml", tmp_path / "call log.yaml"
    for file in (good, bad):
        file.write_text(BASE + FIELDS, encoding="utf-8")
    assert load_mapping(good).source == "call-log_2"
    with pytest.raises(UserError) as err:
        load_mapping(bad)
    assert str(err.value) == f"{bad}: source: must be a short name (letters, digits, _ and -)"


def test_a_folder_named_like_a_mapping_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "calls.yaml").mkdir()
    with pytest.raises(UserError) as err:
        load_mapping(tmp_path / "calls.yaml")
    assert str(err.value) == (
        f"{tmp_path / 'calls.yaml'}: cannot read (Is a directory); fix or remove it")
