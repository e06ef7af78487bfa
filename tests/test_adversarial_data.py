"""Hostile or unlucky data from the adversarial trial (issue 13) that does not fit the one-case-
one-fixture table of test_bad_input.py: a file rewritten while the run reads it, files shared
between sources, records larger than the reader's buffer, and what a stopped run keeps."""

from __future__ import annotations

import gzip
import hashlib
import json

import pyarrow.parquet as pq
import pytest
from test_bad_input import MAPPING, csv, line
from test_ingest import Project

import pipeline.ingest
from pipeline.errors import UserError, ValidationFailed
from pipeline.ingest import read
from pipeline.run import run


# --- item 5: a file rewritten between hashing and reading --------------------------------------
def test_a_file_rewritten_between_hash_and_read_is_refused(project: Project,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    project.mapping("calls", MAPPING)
    old, new = csv(line(1), line(2)), csv(line(1), line(2), line(3))
    path = project.file("calls/x.csv", old)
    hash_of = pipeline.ingest.file_hash

    def hash_then_rewrite(p):
        digest = hash_of(p)
        p.write_bytes(new)  # the export is written again just after the run hashed it
        return digest

    monkeypatch.setattr(pipeline.ingest, "file_hash", hash_then_rewrite)
    with pytest.raises(UserError) as err:
        project.run(run_id="r1")
    assert str(err.value) == (f"{path}: changed while this run read it; nothing was loaded: "
                              "run again once the file is completely written")
    assert project.snapshot()["run_files"] == []
    monkeypatch.undo()
    # Read again, the new content is recorded under its own hash ...
    result = project.run(run_id="r2").ingest
    assert [(f.file_hash, f.rows_read, f.staged) for f in result.files] == [
        (hashlib.sha256(new).hexdigest(), 3, 3)]
    # ... so the old content, exported again later, is not "already loaded": it is read.
    path.write_bytes(old)
    result = project.run(run_id="r3").ingest
    assert [(f.status, f.rows_read, f.duplicates) for f in result.files] == [("loaded", 2, 2)]


# --- item 6: two sources reading one file --------------------------------------------------------
def test_a_file_read_for_both_targets_is_not_refused(project: Project) -> None:
    """One export holding calls and orders, read by a source of each target: not a copy."""
    project.mapping("calls", MAPPING)
    project.mapping("calls_orders", """
        source: calls_orders
        target: orders
        files: calls/*.csv
        format: csv
        timestamp_formats: ["%Y-%m-%d %H:%M"]
        fields: {order_id: id, customer_id: customer, ordered_at: opened}
    """)
    project.file("calls/x.csv", csv(line(1), line(2)))
    result = project.run().ingest
    assert sorted((f.source, f.target, f.staged) for f in result.files) == [
        ("calls", "interactions", 2), ("calls_orders", "orders", 2)]


SQL_SOURCE = """
    source: {name}
    format: sql
    inputs:
      calls: {{files: {files}, format: csv}}
      senders: {{files: lookup/senders.csv, format: csv}}
    query: |
      select c.*, s.customer_no from calls c left join senders s on s.ref = c.customer
    timestamp_formats: ["%Y-%m-%d %H:%M"]
    fields: {{interaction_id: id, customer_id: customer_no, occurred_at: opened,
             channel: {{value: phone}}}}
"""


def test_sql_sources_sharing_a_lookup_file_are_not_refused(project: Project) -> None:
    """Only primary files count: two SQL sources may join the same lookup file."""
    project.mapping("north", SQL_SOURCE.format(name="north", files="north/*.csv"))
    project.mapping("south", SQL_SOURCE.format(name="south", files="south/*.csv"))
    project.file("north/n.csv", csv(line(1)))
    project.file("south/s.csv", csv(line(2), line(3)))
    project.file("lookup/senders.csv", "ref,customer_no\nC1,K1\nC2,K2\n")
    result = project.run().ingest
    assert sorted((f.source, f.file, f.staged) for f in result.files) == [
        ("north", "north/n.csv", 1), ("south", "south/s.csv", 2)]
    assert project.query("select interaction_id, customer_id from interactions order by 1") == [
        ("R1", "K1"), ("R2", "K2"), ("R3", None)]


def test_two_sql_sources_with_one_primary_file_are_refused(project: Project) -> None:
    project.mapping("north", SQL_SOURCE.format(name="north", files="north/*.csv"))
    project.mapping("north2", SQL_SOURCE.format(name="north2", files="north/n.csv"))
    project.file("north/n.csv", csv(line(1)))
    project.file("lookup/senders.csv", "ref,customer_no\nC1,K1\n")
    with pytest.raises(UserError) as err:
        project.run()
    assert str(err.value) == (
        f"{project.sources}/north2.yaml: inputs: 'north/n.csv' is also read by "
        f"{project.sources}/north.yaml (source 'north'); its rows would load twice as "
        "interactions of two sources: remove one mapping or narrow its inputs")


# --- item 2: a stopped run keeps its quarantine, masked ------------------------------------------
def test_a_stopped_run_keeps_its_quarantine_with_personal_data_masked(project: Project) -> None:
    project.mapping("calls", MAPPING)
    project.file("calls/x.csv", csv(
        line(1, opened="ring 9123\u00a04567", notes="mail jane\u200b.doe@example.com"),
        line(2, opened="2026-02-30 10:00", notes="call 012\u2013345\u20136789 on 2026-03-18"),
        line(3, customer="", notes='"tel 0123456789ext12, order #100123456, 1,234.50"'),
        line(4)))
    cfg = project.config()
    with pytest.raises(ValidationFailed) as err:
        run(cfg, only=("ingest",))
    message = str(err.value)
    # the stop's message quotes the failing values masked, as before
    assert "bad_timestamp:occurred_at: 50%, e.g. 'ring [phone]' (row 1), '2026-02-30 10:00' " \
           "(row 2)" in message
    assert "9123" not in message
    kept = pq.read_table(project.root / "reports/validation" / cfg.run_id
                         / "quarantine_interactions.parquet").to_pylist()
    assert [(r["source_row"], r["_reasons"]) for r in kept] == [
        (1, ["bad_timestamp:occurred_at"]), (2, ["bad_timestamp:occurred_at"]),
        (3, ["missing_required:customer_id"])]
    raws = [json.loads(r["_raw"]) for r in kept]
    assert [(r["id"], r["opened"], r["notes"]) for r in raws] == [
        ("R1", "ring [phone]", "mail [e-mail]"),
        ("R2", "2026-02-30 10:00", "call [phone] on 2026-03-18"),
        ("R3", "2026-03-18 10:00", "tel [phone], order #100123456, 1,234.50")]
    assert raws[2]["customer"] is None
    text = repr(kept)
    for secret in ("9123", "4567", "jane", "example.com", "6789", "ext12"):
        assert secret not in text
    assert project.snapshot()["interactions"] == []  # nothing committed


def test_masked_records_json_values_and_text() -> None:
    from pipeline.ingest.validate import _masked_record
    from pipeline.report.privacy import mask_pii

    assert json.loads(_masked_record('{"a": "012\\t345\\t6789", "n": 60123456789, "k": 12, '
                                     '"l": ["x@y.com", null, true]}', mask_pii)) == {
        "a": "[phone]", "n": "[phone]", "k": 12, "l": ["[e-mail]", None, True]}
    assert _masked_record("R1,C1,call 9123 4567,\"x", mask_pii) == "R1,C1,call [phone],\"x"
    assert _masked_record("60123456789", mask_pii) == "[phone]"


# --- item 3: records longer than the read buffer -------------------------------------------------
def test_a_compressed_file_with_a_17_mib_record(project: Project) -> None:
    project.mapping("calls", MAPPING.replace("files: calls/*.csv", "files: calls/*.csv.gz"))
    project.file("calls/x.csv.gz", gzip.compress(
        csv(line(1), line(2, notes="x" * (17 << 20)), line(3), line(4))))
    result = project.run().ingest
    assert [(f.rows_read, f.staged, f.quarantined) for f in result.files] == [(4, 3, 1)]
    assert project.query("select source_row, reasons from quarantine") == [
        (2, ["csv_malformed:record_too_large"])]
    assert project.query("select interaction_id, source_row from interactions order by 2") == [
        ("R1", 1), ("R3", 3), ("R4", 4)]


def test_stray_quotes_in_a_large_file_lose_nothing(project: Project) -> None:
    """The record-length estimate takes every quote as a field's; inch marks in values only
    make it larger (a larger read buffer), never cost a row."""
    project.mapping("calls", MAPPING)
    n = 400_000  # about 20 MiB: over the read buffer
    # one inch mark: the estimate takes the rest of the file for one quoted record
    project.file("calls/x.csv", csv(*(line(i, notes='a 27" screen' if i == 2 else "ok")
                                      for i in range(1, n + 1))))
    assert read._longest_line(project.data / "calls/x.csv", '"')[1] > 16 << 20
    result = project.run().ingest
    assert [(f.rows_read, f.staged, f.quarantined) for f in result.files] == [(n, n, 0)]
    assert project.query("select source_row, text from interactions where interaction_id in "
                         "('R2', 'R400000') order by 1") == [(2, 'a 27" screen'), (n, "ok")]


def test_a_line_longer_than_any_read_buffer_is_refused(project: Project,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "MAX_READ_LINE_BYTES", 20 << 20)  # 128 MiB: too slow to write
    project.mapping("calls", MAPPING)
    path = project.file("calls/x.csv", csv(line(1), line(2, notes="x" * (21 << 20))))
    with pytest.raises(UserError) as err:
        project.run()
    assert str(err.value) == (f"{path}: holds a line of 21 MiB; a record of over 8 MiB is "
                              "quarantined, but a line of over 20 MiB is not read: split the "
                              "file or remove that line")


def test_a_draft_reads_a_parquet_file_with_glob_characters_as_itself(project: Project) -> None:
    import duckdb

    from pipeline.ingest.draft import draft_mapping

    folder = project.data / "orders"
    folder.mkdir()
    duckdb.sql("select 'O1' as order_no, 12.5 as total").write_parquet(str(folder / "o[1].parquet"))
    duckdb.sql("select 'X' as something_else").write_parquet(str(folder / "o1.parquet"))
    text = draft_mapping(folder / "o[1].parquet", project.data)
    assert "order_no" in text and "something_else" not in text


def test_a_cut_compressed_file_is_one_line(project: Project) -> None:
    """The record-length scan decompresses the whole file: a cut one is a user error there."""
    project.mapping("calls", MAPPING.replace("files: calls/*.csv", "files: calls/*.csv.gz"))
    whole = gzip.compress(csv(*(line(i, notes=hashlib.sha256(str(i).encode()).hexdigest())
                                for i in range(20_000))))
    path = project.file("calls/x.csv.gz", whole[: len(whole) // 2])
    with pytest.raises(UserError) as err:
        project.run()
    assert str(err.value).startswith(f"{path}: cannot be decompressed (")
    assert "\n" not in str(err.value)
