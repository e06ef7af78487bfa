"""What gets out: no raw text in the report unless --examples asks, and then e-mail addresses and
phone numbers masked; a warning expectation publishes and the report's data quality shows it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pypdf import PdfReader

from pipeline import paths
from pipeline.cli import main
from pipeline.report.privacy import mask_pii
from pipeline.sample import write_sample

NOW = "2026-11-22T00:00:00"
EMAIL, PHONE = "jane.doe@example.co.uk", "+60 12-345 6789"
SECRETS = ("jane.doe", "example.co.uk", "345 6789", "345-6789", "012-3456789", "123 4567")
# Two dissatisfied calls (survey 0 of 10) at the end of 2026-Q3, the report period: the newest
# of their touchpoint, so --examples quotes them.
PLANTED = (
    "CLPII00001;C999001;30/09/2026 22:00;30/09/2026 22:30;TEL;CMP;billing;A0001;SOLVED;;0;en;"
    f'"Wrong bill. Write to {EMAIL} or call {PHONE}, <b>urgent</b>"\n'
    "CLPII00002;C999002;30/09/2026 23:00;30/09/2026 23:30;TEL;CMP;billing;A0001;SOLVED;;0;en;"
    '"Call back on 012-3456789 or (020) 123 4567 after 18/09/2026"\n'
)


@pytest.mark.parametrize(
    "text,masked",
    [
        (f"mail {EMAIL} now", "mail [e-mail] now"),
        ("First.Last+tag@sub.example.com.my.", "[e-mail]."),
        (f"call {PHONE}", "call [phone]"),
        ("call 012-3456789 today", "call [phone] today"),
        ("(020) 123 4567", "[phone]"),
        ("+31 (0)20 123 4567", "[phone]"),
        ("+1-800-555-0199", "[phone]"),
        ("0612345678", "[phone]"),
        ("+62.812.3456.7890", "[phone]"),
        ("ring 60123456789, thanks", "ring [phone], thanks"),
        # what escaped before issue 13 (item 2): 8 digits, non-breaking and other spaces,
        # dashes, an extension, zero-width and full-width characters
        ("call 9123 4567 now", "call [phone] now"),
        ("call 9123-4567", "call [phone]"),
        ("call 012\u00a0345\u00a06789 now", "call [phone] now"),
        ("call +60\u202f12\u2009345\u20076789", "call [phone]"),
        ("012\u2013345\u20136789", "[phone]"),
        ("012\u2014345\u22126789", "[phone]"),
        ("0123456789ext12", "[phone]"),
        ("call 012-345 6789 ext. 12 or x", "call [phone] or x"),
        ("+60 12-345 6789 x12.", "[phone]."),
        ("mail jane\u200b.doe@example.com now", "mail [e-mail] now"),
        ("ja\u200bne@exam\u200cple.co\u2060m", "[e-mail]"),
        ("jane.doe\uff20example.com", "[e-mail]"),
        ("\uff10\uff11\uff12-\uff13\uff14\uff15\uff16\uff17\uff18\uff19", "[phone]"),
        ("caf\u00e9 \u00bd: 9123\u00a04567 \u00fcber", "caf\u00e9 \u00bd: [phone] \u00fcber"),
        # ordinary text with numbers that are not phone numbers: kept exactly
        ("on 2026-03-18 and 2026/03/19", None),
        ("from 01/09/2026 - 30/09/2026, or 18.09.26", None),
        ("exported 20260318 at 10:30", None),
        ("2026-03-18T10:00:00.123+08:00", None),
        ("refund of 1,234.50 and 1234567.50 MYR", None),
        ("order #1001, order #100123456", None),
        ("7 items, 3 x 250 ml, 1\u00a0234 km", None),
        ("caf\u00e9\u200b \uff21", None),  # not PII: even the zero-width space stays
        # not personal data: dates, times, money, codes, short numbers
        ("on 18/09/2026 at 10:30", "on 18/09/2026 at 10:30"),
        ("2026-09-18 10:30:00", "2026-09-18 10:30:00"),
        ("refund of 1,250.00 MYR", "refund of 1,250.00 MYR"),
        ("customer C000191, call CL00000751, order O-2026-000123", None),
        ("room 12, floor 3", "room 12, floor 3"),
        ("", ""),
    ],
)
def test_masking(text: str, masked: str | None) -> None:
    assert mask_pii(text) == (text if masked is None else masked)


def _args(root: Path, command: str, out: str, *extra: str) -> list[str]:
    return [command, "--warehouse", str(root / "w.duckdb"), "--data-dir", str(root / "data"),
            "--expectations", str(root / "expectations"), "--out", str(root / out),
            "--now", NOW, *extra]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sample with personal data planted in notes, and a suite with a failing warning;
    run once by default (reports/), then its report again with --examples (reports-examples/)."""
    root = tmp_path_factory.mktemp("privacy")
    write_sample(root / "data" / "sample", interactions=800, customers=100)
    with (root / "data/sample/callcentre/calls_2026-09.csv").open("a", encoding="utf-8") as f:
        f.write(PLANTED)
    shutil.copytree(paths.EXPECTATIONS, root / "expectations")
    suite_path = root / "expectations" / "interactions.json"
    suite = json.loads(suite_path.read_text())
    suite["expectations"].append({
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "language", "value_set": ["en"]}, "severity": "warning"})
    suite_path.write_text(json.dumps(suite))
    assert main(_args(root, "run", "reports")) == 0
    assert main(_args(root, "report", "reports-examples", "--examples")) == 0
    return root


def _pdf_text(out: Path) -> str:
    (pdf,) = sorted(out.glob("touchpoint-workplan-*.pdf"))
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def _every_output_text(out: Path) -> str:
    """Every file the report wrote, as text: PDF text, CSV, Parquet rows, validation results."""
    parts = [_pdf_text(out)]
    for f in sorted(out.rglob("*")):
        if f.suffix in (".csv", ".md", ".json"):
            parts.append(f.read_text(encoding="utf-8-sig"))
        elif f.suffix == ".parquet":
            parts.append(repr(pq.read_table(f).to_pylist()))
        elif f.suffix in (".pdf", ".png"):
            parts.append(f.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def test_the_report_quotes_no_raw_text_by_default(project: Path) -> None:
    text = _every_output_text(project / "reports")
    for secret in (*SECRETS, "Wrong bill", "Call back on"):
        assert secret not in text
    assert "Examples" not in _pdf_text(project / "reports")


def test_examples_are_masked(project: Path) -> None:
    pdf = _pdf_text(project / "reports-examples")
    assert "9. Examples" in pdf
    flat = " ".join(pdf.split())
    assert "Wrong bill. Write to [e-mail] or call [phone], <b>urgent</b>" in flat
    assert "Call back on [phone] or [phone] after 18/09/2026" in flat
    text = _every_output_text(project / "reports-examples")
    for secret in SECRETS:
        assert secret not in text


def test_a_warning_publishes_and_the_report_shows_it(project: Path) -> None:
    import duckdb

    con = duckdb.connect(str(project / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from runs where staged > 0").fetchall() == [(1,)]
        assert con.execute(
            "select severity, success from validations where column_name = 'language' and "
            "expectation = 'expect_column_values_to_be_in_set' order by success"
        ).fetchall() == [("warning", False), ("warning", True)]
    finally:
        con.close()
    pdf = _pdf_text(project / "reports")
    quality = " ".join(pdf[pdf.index("8. Data quality"):].split())
    assert "Failed expectations" in quality
    assert "interactions expect_column_values_to_be_in_set language warning 1" in quality
