"""Values as they come: text from several columns, time formats, date-only promises, numbers,
channels, defaults for unknown codes, and dates from the file's name or a constant."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from test_ingest import Project

from pipeline import paths
from pipeline.errors import UserError, ValidationFailed
from pipeline.ingest.sources import ENUMS, load_mappings
from pipeline.reference import CHANNELS, load_reference


def _staged(project: Project, cols: str, source: str | None = None) -> list[tuple]:
    where = f"where source = '{source}'" if source else ""
    return project.query(f"select interaction_id, {cols} from interactions {where} "
                         "order by interaction_id")


def _quarantined(project: Project) -> list[tuple]:
    return project.query("select source, source_row, reasons from quarantine "
                         "order by source, source_row")


# --- 1. text from several columns ------------------------------------------------------------


def test_text_from_several_columns_skips_the_empty_parts(project: Project) -> None:
    project.mapping("tickets", """
        source: tickets
        files: tickets/*.csv
        format: csv
        null_tokens: ["", "N/A"]
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: email}
          text: {columns: [title, message]}
    """)
    project.mapping("forms", """
        source: forms
        files: forms/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: web}
          text: {columns: [title, message, extra], separator: " | "}
    """)
    project.file("tickets/t.csv", """
        id,opened,title,message
        T1,2026-03-18 10:00:00,Late parcel,It never came
        T2,2026-03-18 10:00:00,Late parcel,
        T3,2026-03-18 10:00:00,,It never came
        T4,2026-03-18 10:00:00,,
        T5,2026-03-18 10:00:00,N/A," "
        T6,2026-03-18 10:00:00,  ,Only this
    """)
    project.file("forms/f.csv", """
        id,opened,title,message,extra
        F1,2026-03-18 10:00:00,A,B,C
        F2,2026-03-18 10:00:00,A,,C
        F3,2026-03-18 10:00:00,,,
    """)
    project.run()
    assert _staged(project, "text", "tickets") == [
        ("T1", "Late parcel It never came"),
        ("T2", "Late parcel"),       # today: NULL, the whole text lost
        ("T3", "It never came"),
        ("T4", None),                # NULL only when every part is empty
        ("T5", None),                # a null token and a blank part
        ("T6", "Only this"),
    ]
    assert _staged(project, "text", "forms") == [("F1", "A | B | C"), ("F2", "A | C"),
                                                 ("F3", None)]


# --- 2. time formats --------------------------------------------------------------------------


def test_epoch_seconds_milliseconds_and_excel_serial_days(project: Project) -> None:
    project.mapping("clock", """
        source: clock
        files: clock/*.csv
        format: csv
        timezone: Asia/Kuala_Lumpur
        fields:
          interaction_id: id
          occurred_at: {column: opened, formats: [epoch]}
          resolved_at: {column: closed, formats: [epoch_ms]}
          promised_by: {column: due, formats: [excel_serial]}
          channel: {value: phone}
    """)
    # 1773813900 s = 2026-03-18 06:05:00 UTC; 1773821100250 ms = 08:05:00.250 UTC;
    # 46100 days after 1899-12-30 = 2026-03-19, .75 = 18:00 (Kuala Lumpur, UTC+8)
    project.file("clock/c.csv", """
        id,opened,closed,due
        E1,1773813900,1773821100250,46100.75
        E2,1773813900.5,,46100
        E3,1773813900000,,
        E4,soon,,x
    """)
    project.run()
    assert _staged(project, "occurred_at, resolved_at, promised_by") == [
        ("E1", datetime(2026, 3, 18, 6, 5), datetime(2026, 3, 18, 8, 5, 0, 250000),
         datetime(2026, 3, 19, 10, 0)),
        # a whole serial is a date: promised by the end of that local day
        ("E2", datetime(2026, 3, 18, 6, 5, 0, 500000), None, datetime(2026, 3, 19, 15, 59, 59)),
    ]
    assert _quarantined(project) == [
        ("clock", 3, ["bad_timestamp:occurred_at"]),  # milliseconds where seconds are declared
        ("clock", 4, ["bad_timestamp:occurred_at", "bad_timestamp:promised_by"]),
    ]


def test_default_formats_read_iso_8601_in_its_common_forms(project: Project) -> None:
    project.mapping("iso", """
        source: iso
        files: iso/*.csv
        format: csv
        timezone: Asia/Kuala_Lumpur
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: web}
    """)
    project.file("iso/i.csv", """
        id,opened
        I01,2026-03-18 14:05:00
        I02,2026-03-18T14:05:00
        I03,2026-03-18 14:05
        I04,2026-03-18T14:05
        I05,2026-03-18
        I06,2026-03-18 14:05:00.5
        I07,2026-03-18T14:05:00.123456
        I08,2026-03-18T14:05:00.1234567
        I09,2026-03-18 14:05:00.123456789
        I10,2026-03-18T06:05:00Z
        I11,2026-03-18T06:05:00.5Z
        I12,2026-03-18T06:05:00.1234567Z
        I13,2026-03-18T14:05:00+08:00
        I14,2026-03-18T14:05:00+0800
        I15,2026-03-18 14:05:00+08
        I16,2026-03-18T02:35:00-03:30
        I17,2026-03-18T14:05:00.25+08:00
        I18,2026-03-18 14:05:00.25+08
        I19,2026-03-18T14:05:00.1234567+08:00
        I20,18/03/2026 14:05
    """)
    project.run()
    local = datetime(2026, 3, 18, 6, 5)  # 14:05 in Kuala Lumpur (UTC+8)
    # 7 to 9 digits: to the nearest microsecond
    frac = {"I06": 500000, "I07": 123456, "I08": 123457, "I09": 123457, "I11": 500000,
            "I12": 123457, "I17": 250000, "I18": 250000, "I19": 123457}
    rows = dict(_staged(project, "occurred_at"))
    expected = {f"I{i:02}": local.replace(microsecond=frac.get(f"I{i:02}", 0))
                for i in range(1, 20)}
    expected["I05"] = datetime(2026, 3, 17, 16, 0)  # a date: local midnight
    assert {k: rows.get(k) for k in expected} == expected
    assert _quarantined(project) == [("iso", 20, ["bad_timestamp:occurred_at"])]


def test_compact_dates_twelve_hour_times_and_offsets(project: Project) -> None:
    project.mapping("misc", """
        source: misc
        files: misc/*.csv
        format: csv
        timezone: Asia/Kuala_Lumpur
        timestamp_formats: ["%Y%m%d", "%m/%d/%Y %I:%M %p", "%d/%m/%Y %H:%M%z"]
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {value: phone}
    """)
    project.file("misc/m.csv", """
        id,opened
        M1,20260318
        M2,3/18/2026 2:05 PM
        M3,3/18/2026 12:30 AM
        M4,3/18/2026 12:30 pm
        M5,18/03/2026 14:05+08:00
        M6,18/03/2026 14:05+0800
        M7,18/03/2026 14:05+08
        M8,18/03/2026 14:05Z
        M9,2026-03-18
    """)
    project.run()
    assert _staged(project, "occurred_at") == [
        ("M1", datetime(2026, 3, 17, 16, 0)),
        ("M2", datetime(2026, 3, 18, 6, 5)),
        ("M3", datetime(2026, 3, 17, 16, 30)),  # 00:30 local
        ("M4", datetime(2026, 3, 18, 4, 30)),
        ("M5", datetime(2026, 3, 18, 6, 5)),
        ("M6", datetime(2026, 3, 18, 6, 5)),
        ("M7", datetime(2026, 3, 18, 6, 5)),
    ]
    # %z reads +08:00, +0800 and +08 but not Z; the declared list has no ISO date
    assert _quarantined(project) == [("misc", 8, ["bad_timestamp:occurred_at"]),
                                     ("misc", 9, ["bad_timestamp:occurred_at"])]


def test_native_parquet_times_are_taken_as_they_are(project: Project) -> None:
    # declared formats for text columns do not stop native time stamps from being read
    project.mapping("pq", """
        source: pq
        files: pq/*.parquet
        format: parquet
        timestamp_formats: ["%d/%m/%Y %H:%M"]
        fields:
          interaction_id: id
          occurred_at: opened
          resolved_at: closed
          promised_by: due
          channel: {value: app}
    """)
    project.mapping("pq_orders", """
        source: pq_orders
        target: orders
        files: pq_orders/*.parquet
        format: parquet
        timezone: Asia/Kuala_Lumpur
        fields:
          order_id: id
          customer_id: customer
          ordered_at: at
    """)
    (project.data / "pq").mkdir()
    (project.data / "pq_orders").mkdir()
    pq.write_table(pa.table({
        "id": ["P1", "P2"],
        "opened": pa.array([datetime(2026, 3, 18, 6, 5, 0, 123456),
                            datetime(2026, 3, 18, 6, 5)], pa.timestamp("us")),
        "closed": pa.array([1773821100123456789, None], pa.timestamp("ns")),
        "due": pa.array([datetime(2026, 3, 20).date(), None], pa.date32()),
    }), project.data / "pq/p.parquet")
    pq.write_table(pa.table({
        "id": ["O1"], "customer": ["C1"],
        "at": pa.array([datetime(2026, 3, 18, 6, 5, 0, 500000)], pa.timestamp("us", tz="UTC")),
    }), project.data / "pq_orders/o.parquet")
    project.run()
    assert _staged(project, "occurred_at, resolved_at, promised_by") == [
        # 1773821100123456789 ns = 2026-03-18 08:05:00.123456789 UTC, to the nearest
        # microsecond; a date promise: the end of that day
        ("P1", datetime(2026, 3, 18, 6, 5, 0, 123456), datetime(2026, 3, 18, 8, 5, 0, 123457),
         datetime(2026, 3, 20, 23, 59, 59)),
        ("P2", datetime(2026, 3, 18, 6, 5), None, None),
    ]
    # an instant (TIMESTAMPTZ) stays that instant whatever the mapping's zone
    assert project.query("select order_id, ordered_at from orders") == [
        ("O1", datetime(2026, 3, 18, 6, 5, 0, 500000))
    ]


# --- 3. date-only promises --------------------------------------------------------------------


def test_a_date_only_promise_is_the_end_of_the_local_day(project: Project) -> None:
    project.mapping("olist", """
        source: olist
        files: olist/*.csv
        format: csv
        timezone: America/Sao_Paulo
        fields:
          interaction_id: id
          occurred_at: bought
          promised_by: estimated
          channel: {value: web}
    """)
    project.mapping("exact", """
        source: exact
        files: olist_exact/*.csv
        format: csv
        timezone: America/Sao_Paulo
        fields:
          interaction_id: id
          occurred_at: bought
          promised_by: {column: estimated, date_only: start_of_day}
          channel: {value: web}
    """)
    # Sao Paulo is UTC-3 (no summer time since 2019; none in June 2018 either)
    project.file("olist/o.csv", """
        id,bought,estimated
        A1,2018-05-28 10:00:00,2018-06-07 00:00:00
        A2,2018-05-28 10:00:00,2018-06-07
        A3,2018-05-28 10:00:00,2018-06-07 15:00:00
        A4,2018-05-28 10:00:00,2018-06-07T00:00:00-03:00
        A5,2018-05-28 10:00:00,2018-06-07T00:00:00Z
        A6,2018-05-28 10:00:00,2018-06-07 00:00:01
    """)
    # the same export read twice needs two copies: two sources never share a file (issue 13)
    project.file("olist_exact/o.csv", (project.data / "olist/o.csv").read_bytes())
    project.run()
    assert _staged(project, "promised_by", "olist") == [
        ("A1", datetime(2018, 6, 8, 2, 59, 59)),  # today: 2018-06-07 03:00
        ("A2", datetime(2018, 6, 8, 2, 59, 59)),
        ("A3", datetime(2018, 6, 7, 18, 0)),
        ("A4", datetime(2018, 6, 8, 2, 59, 59)),  # midnight where the text says it
        ("A5", datetime(2018, 6, 7, 23, 59, 59)),  # a UTC date ("Z"): the end of that UTC day
        ("A6", datetime(2018, 6, 7, 3, 0, 1)),
    ]
    assert _staged(project, "promised_by", "exact") == [
        ("A1", datetime(2018, 6, 7, 3, 0)),
        ("A2", datetime(2018, 6, 7, 3, 0)),
        ("A3", datetime(2018, 6, 7, 18, 0)),
        ("A4", datetime(2018, 6, 7, 3, 0)),
        ("A5", datetime(2018, 6, 7, 0, 0)),
        ("A6", datetime(2018, 6, 7, 3, 0, 1)),
    ]


def test_shipped_mappings_promise_by_the_end_of_the_day() -> None:
    mappings = {m.source: m for m in load_mappings(paths.REFERENCE / "sources")}
    promises = {s: m.fields["promised_by"].date_only for s, m in mappings.items()
                if "promised_by" in m.fields}
    assert set(promises.values()) == {"end_of_day"}
    assert "date_only" not in (paths.REFERENCE / "sources/helpdesk.yaml").read_text()
    assert promises["helpdesk"] == "end_of_day"  # the default, not declared
    assert mappings["letters"].fields["resolved_at"].date_only == "end_of_day"
    assert mappings["callcentre"].fields["occurred_at"].date_only == "start_of_day"


# --- 4. numbers -------------------------------------------------------------------------------


def test_numbers_with_thousands_separators_decimal_commas_and_currency(
    project: Project,
) -> None:
    orders = """
        source: {name}
        target: orders
        files: {name}/*.csv
        format: csv
        csv: {{delimiter: ";"}}
        fields:
          order_id: id
          customer_id: {{value: C1}}
          ordered_at: {{value: "2026-03-18"}}
          amount: {{column: amount{options}}}
    """
    project.mapping("plain", orders.format(name="plain", options=""))
    project.mapping("euro", orders.format(name="euro", options=', decimal: ","'))
    project.mapping("swiss", orders.format(name="swiss", options=""", thousands: "'" """))
    nbsp, thin = "\u00a0", "\u202f"
    project.file("plain/p.csv", (
        "id;amount\n"
        "1;1234.5\n"
        "2;1,234.50\n"
        "3; RM 1,234.50 \n"
        "4;-$5\n"
        "5;5 €\n"
        "6;IDR 150000\n"
        f"7;1{nbsp}234.50\n"
        f"8;12{thin}345\n"
        "9;USD 1,000,000\n"
        "10;1e3\n"
        "11;1,5\n"         # never guessed as 1.5
        "12;12,34\n"
        "13;1.234,50\n"
        "14;abc\n"
        "15;1,2345\n"
        "16;S$ 12\n"
    ))
    project.file("euro/e.csv", (
        "id;amount\n"
        "1;1.234,50\n"
        "2;1,5\n"
        "3;1 234,5\n"
        "4;EUR 12\n"
        "5;1.5\n"          # a point is the thousands separator here: not a number
        "6;1,234.50\n"
    ))
    project.file("swiss/s.csv", "id;amount\n1;1'234.50\n2;CHF 12'000\n3;1'23\n")
    project.run()
    got = project.query("select order_id, amount from orders order by source, source_row")
    assert [a for _, a in got] == [
        1234.5, 1.5, 1234.5, 12.0,  # euro
        1234.5, 1234.5, 1234.5, -5.0, 5.0, 150000.0, 1234.5, 12345.0, 1000000.0, 1000.0, 12.0,
        1234.5, 12000.0,  # swiss
    ]
    assert _quarantined(project) == [
        ("euro", 5, ["bad_number:amount"]),
        ("euro", 6, ["bad_number:amount"]),
        ("plain", 11, ["bad_number:amount"]),
        ("plain", 12, ["bad_number:amount"]),
        ("plain", 13, ["bad_number:amount"]),
        ("plain", 14, ["bad_number:amount"]),
        ("plain", 15, ["bad_number:amount"]),
        ("swiss", 3, ["bad_number:amount"]),
    ]


def test_a_rating_with_a_decimal_comma(project: Project) -> None:
    project.mapping("survey", """
        source: survey
        files: survey/*.csv
        format: csv
        csv: {delimiter: ";"}
        fields:
          interaction_id: id
          occurred_at: {value: "2026-03-18"}
          channel: {value: web}
          rating: {column: score, scale: [0, 10], decimal: ",", not_applicable: ["n.v.t."]}
    """)
    project.file("survey/s.csv", "id;score\nR1;7,5\nR2;10\nR3;n.v.t.\nR4;7.5\n")
    project.run()
    # 7.5 on 0-10 is 1 + 7.5 * 4 / 10 = 4 on 1-5
    assert _staged(project, "rating") == [("R1", 4.0), ("R2", 5.0), ("R3", None)]
    assert _quarantined(project) == [("survey", 4, ["bad_number:rating"])]


# --- 5. channels ------------------------------------------------------------------------------


def test_referral_portal_and_other_are_channels_everywhere(project: Project) -> None:
    project.mapping("cases", """
        source: cases
        files: cases/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: how
    """)
    project.file("cases/c.csv", """
        id,opened,how
        1,2026-03-18 10:00:00,Referral
        2,2026-03-18 10:00:00,portal
        3,2026-03-18 10:00:00,other
        4,2026-03-18 10:00:00,pigeon
    """)
    project.run()
    assert _staged(project, "channel") == [("1", "referral"), ("2", "portal"), ("3", "other")]
    assert _quarantined(project) == [("cases", 4, ["unknown_value:channel"])]

    # every copy of the canonical set agrees
    canonical = ENUMS["channel"]
    assert {"referral", "social", "app", "portal", "other"} <= set(canonical)
    assert CHANNELS == canonical
    suite = json.loads((paths.EXPECTATIONS / "interactions.json").read_text())
    (in_set,) = [e["kwargs"]["value_set"] for e in suite["expectations"]
                 if e["kwargs"].get("column") == "channel"
                 and e["type"] == "expect_column_values_to_be_in_set"]
    assert tuple(in_set) == canonical
    schema = (Path(paths.__file__).parent / "schema.sql").read_text()
    comment = re.search(r"channel\s+varchar not null,\s+--((?:.|\n\s+--)*)", schema).group(1)
    assert tuple(re.sub(r"\s|--", "", comment).split("|")) == canonical
    for lang in ("en", "ms"):
        labels = yaml.safe_load((paths.REFERENCE / "labels" / f"{lang}.yaml").read_text())
        assert set(labels["channels"]) == set(canonical), lang
    # a portal is timed like the web; a referral like a fax; `other` only by its own promise
    hours = {c.channel: c.hours for c in load_reference(paths.REFERENCE).catalog.channels}
    assert (hours["portal"], hours["referral"], "other" in hours) == (48.0, 120.0, False)


# --- 6. a default for unknown codes -----------------------------------------------------------


def test_unknown_codes_become_the_declared_default(project: Project) -> None:
    project.mapping("desk", """
        source: desk
        files: desk/*.csv
        format: csv
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {column: how, map: {TEL: phone}, default: other}
          kind: {column: what, default: feedback}
          status: {column: state, map: {done: resolved}}
    """)
    project.file("desk/d.csv", """
        id,opened,how,what,state
        1,2026-03-18 10:00:00,TEL,complaint,done
        2,2026-03-18 10:00:00, Email ,Question,resolved
        3,2026-03-18 10:00:00,pigeon,,
        4,2026-03-18 10:00:00,,complaint,done
        5,2026-03-18 10:00:00,TEL,complaint,lost
    """)
    project.run()
    assert _staged(project, "channel, kind, status") == [
        ("1", "phone", "complaint", "resolved"),
        ("2", "email", "feedback", "resolved"),
        ("3", "other", None, None),  # an empty value stays missing
    ]
    assert _quarantined(project) == [
        ("desk", 4, ["missing_required:channel"]),
        ("desk", 5, ["unknown_value:status"]),  # no default: quarantined as before
    ]


# --- 7. dates declared by the mapping ---------------------------------------------------------


def test_the_date_from_the_file_name_or_a_constant(project: Project) -> None:
    project.mapping("survey", r"""
        source: survey
        files: survey/*.csv
        format: csv
        timezone: Asia/Kuala_Lumpur
        fields:
          interaction_id: id
          occurred_at: {from_file_name: 'survey_(\d{8})', formats: ["%Y%m%d"]}
          channel: {value: web}
          rating: score
    """)
    project.mapping("fixed", """
        source: fixed
        files: fixed/*.csv
        format: csv
        timestamp_formats: ["%d/%m/%Y %H:%M"]
        fields:
          interaction_id: id
          occurred_at: {value: "2019-10-01"}
          resolved_at: {value: 2019-10-02 10:30:00}
          channel: {value: web}
    """)
    project.file("survey/survey_20191001.csv", "id,score\nS1,4\nS2,5\n")
    project.file("survey/survey_20191102_final.csv", "id,score\nS3,3\n")
    project.file("fixed/f.csv", "id,note\nX1,x\n")
    project.run()
    assert _staged(project, "occurred_at", "survey") == [
        ("S1", datetime(2019, 9, 30, 16, 0)),  # local midnight in Kuala Lumpur, in UTC
        ("S2", datetime(2019, 9, 30, 16, 0)),
        ("S3", datetime(2019, 11, 1, 16, 0)),
    ]
    assert _staged(project, "occurred_at, resolved_at", "fixed") == [
        ("X1", datetime(2019, 10, 1), datetime(2019, 10, 2, 10, 30)),
    ]
    # A file whose name does not match: every row quarantined with the reason, which stops the
    # run at the quarantined-share check; a name that matches but is no date: bad_timestamp.
    before = project.snapshot()
    project.file("survey/survey_2019-11.csv", "id,score\nS4,3\n")
    project.file("survey/survey_20191399.csv", "id,score\nS5,3\n")
    with pytest.raises(ValidationFailed) as err:
        project.run()
    assert "survey_2019-11.csv (survey): 1 of 1 rows quarantined" in str(err.value)
    assert "file_name_mismatch:occurred_at" in str(err.value)
    assert "bad_timestamp:occurred_at" in str(err.value)
    assert project.snapshot() == before


# --- every new option is checked --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "top", "message"),
    [
        ("text: {column: a, separator: '|'}", "",
         "fields.text.separator: only a field read from columns"),
        ("text: {columns: [a, b], separator: 5}", "",
         "fields.text.separator: expected a non-empty text, got int"),
        ("kind: {column: a, default: pigeon}", "",
         "fields.kind.default: 'pigeon' is not a kind"),
        ("topic: {column: a, default: x}", "",
         "fields.topic.default: only channel, kind, status take a default"),
        ("rating: {column: a, decimal: ';'}", "", 'fields.rating.decimal: must be one of ".", ","'),
        ("rating: {column: a, thousands: '-'}", "", "fields.rating.thousands: must be one of"),
        ("text: {column: a, decimal: ','}", "",
         "fields.text.decimal: only rating and amount take decimal"),
        ("rating: {column: a, decimal: '.', thousands: '.'}", "",
         'fields.rating.thousands: "." is also the decimal mark'),
        (r"promised_by: {from_file_name: 'x_\d+'}", "",
         "fields.promised_by.from_file_name: needs a group in parentheses"),
        ("promised_by: {from_file_name: '(a'}", "",
         "fields.promised_by.from_file_name: not a valid regular expression"),
        ("promised_by: {from_file_name: 'x(?=y)(a)'}", "",
         "fields.promised_by.from_file_name: not a valid regular expression"),
        ("promised_by: {from_file_name: '(a)', column: b}", "",
         "fields.promised_by: needs exactly one of column, columns, value, from_file_name"),
        ("promised_by: {value: [2019]}", "", "fields.promised_by.value: must be one value"),
        ("promised_by: {column: a, formats: [epoc]}", "",
         "fields.promised_by.formats: 'epoc' is not a valid time format"),
        ("promised_by: {column: a, formats: ['%-Y']}", "",
         "fields.promised_by.formats: '%-Y' is not a valid time format"),
        ("", "timestamp_formats: [epoch, excel_serial]",
         "timestamp_formats: 'epoch' and 'excel_serial' both read numbers"),
    ],
)
def test_new_field_options_are_checked(project: Project, fields: str, top: str,
                                       message: str) -> None:
    mapping = project.mapping("calls", f"""
        source: calls
        files: calls/*.csv
        format: csv
        {top}
        fields:
          interaction_id: id
          occurred_at: opened
          channel: {{value: phone}}
          {fields}
    """)
    with pytest.raises(UserError) as err:
        project.run()
    assert str(err.value).startswith(f"{mapping}: "), str(err.value)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
