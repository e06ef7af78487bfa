"""The document against ReportData built by hand: size, markup, odd characters, page furniture."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from pipeline import paths
from pipeline.report import rule_numbers, write_report
from pipeline.report.charts import MAX_BARS, build_charts
from pipeline.report.document import esc
from pipeline.report.fonts import chart_text, clean
from pipeline.report.gather import overall
from pipeline.report.labels import load_labels
from pipeline.report.model import (
    ChannelSpeed,
    Coverage,
    Metrics,
    Mix,
    MonthMix,
    Period,
    PhraseCount,
    Quality,
    QuarantineReason,
    ReasonCount,
    ReportData,
    SegmentCount,
    SourceQuality,
    TouchpointStats,
)
from pipeline.report.playbook import load_playbook
from pipeline.report.workplan import with_quadrants, work_plan
from pipeline.vocabulary import OUTCOMES

KINDS = ("communication", "human_contact", "physical")
MARKUP = "<b>bold</b> & <script>alert(1)</script> &amp; <para>x</para> <font size=40>"


def metrics(d: int, s: int, x: int, u: int = 0, **kw) -> Metrics:
    v = d + s + x + u
    pct = {o: 100.0 * n / v if v else None for o, n in zip(OUTCOMES, (d, s, x, u), strict=True)}
    return Metrics(Mix(d, s, x, u), pct, 100.0 * (d - x) / v if v else None, **kw)


def report_data(names: list[str], lang: str = "en", note: str = "Handle each.") -> ReportData:
    """A report of len(names) touchpoints; every third one is in trouble (late deliveries)."""
    labels = load_labels(paths.REFERENCE, lang)
    playbook = load_playbook(paths.REFERENCE)
    tps = []
    for i, name in enumerate(names):
        bad = i % 3 == 0
        m = metrics(
            20 + i % 7,
            40 + i % 11,
            60 if bad else 5 + i % 5,
            i % 3,
            rated=50,
            csat_pct=55.0 + i % 30,
            promises=80,
            promise_kept_pct=60.0 + i % 35,
            median_ttr_hours=3.0 + i % 50,
        )
        tps.append(
            TouchpointStats(
                f"tp{i}",
                name,
                KINDS[i % 3],
                "delivery",
                f"Owner {i} <team>",
                i,
                m,
                0.0,
                median_expected_hours=24.0,
                prev_volume=m.volume,
                prev_net_delight=0.0,
            )
        )
    total = sum(t.metrics.volume for t in tps)
    tps = [
        TouchpointStats(**{**t.__dict__, "volume_share": 100.0 * t.metrics.volume / total})
        for t in tps
    ]
    ov = overall(tps)
    tps = with_quadrants(tps, ov.net_delight)
    reasons = [
        ReasonCount(t.touchpoint_id, "speed_missed", 40, "once_loyal_now_upset", 30)
        for t in tps
        if t.metrics.mix.dissatisfied >= 60
    ]
    reasons += [
        ReasonCount(t.touchpoint_id, "discouraged_phrase", 12, "other", 0)
        for t in tps
        if t.metrics.mix.dissatisfied >= 60
    ]
    report_date = date(2026, 11, 3)
    return ReportData(
        lang=lang,
        report_date=report_date,
        period=Period(date(2026, 7, 1), date(2026, 9, 30)),
        previous=Period(date(2026, 4, 1), date(2026, 6, 30)),
        sources=["callcentre", MARKUP],
        overall=ov,
        touchpoints=tps,
        reasons=reasons,
        months=[
            MonthMix(date(2026, m, 1), metrics(100, 200, 50 + m), m >= 7) for m in range(4, 10)
        ],
        channels=[
            ChannelSpeed("phone", metrics(10, 20, 5, median_ttr_hours=9.0), 24.0),
            ChannelSpeed("letter", metrics(1, 2, 3, median_ttr_hours=260.0), 360.0),
            ChannelSpeed("in_person", metrics(5, 5, 5), 8.0),
        ],
        workplan=work_plan(tps, reasons, playbook, labels, report_date, ov.net_delight),
        segments=[
            SegmentCount("active_hater", "Active hater", note, 12, 10),
            SegmentCount("other", "Other", "Handle each.", 900, 870),
        ],
        retention=None,
        phrases=[
            PhraseCount("tp0", tps[0].name, "ms", "dont_know", "I don't know…", "Boleh tunggu?", 7),
            PhraseCount("tp0", tps[0].name, "en", "dont_know", "I don't know…", "Wait, please", 2),
        ],
        quality=Quality(
            sources=[SourceQuality("callcentre", 3, 1000, 990, 8, 2)],
            quarantine=[QuarantineReason("callcentre", "bad_timestamp:<occurred_at>", 8)],
            coverage=[Coverage("(all)", 1000, 990, 10, 99.0)],
        ),
        rule=rule_numbers(playbook),
    )


def render(data: ReportData, out: Path) -> tuple[list[str], Path]:
    labels = load_labels(paths.REFERENCE, data.lang)
    result = write_report(None, data, labels, out)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(result.pdf).pages]
    return pages, result.pdf


def test_two_hundred_touchpoints_render_with_repeated_headers(tmp_path):
    names = [f"Touchpoint number {i} with a long descriptive name that wraps" for i in range(200)]
    pages, pdf = render(report_data(names), tmp_path)
    text = " ".join(pages)
    matrix_pages = [p for p in pages if "Change in net delight" in p]
    assert len(matrix_pages) >= 5  # the matrix runs over pages, each with its header row
    assert all("Contacts Delighted Satisfied Dissatisfied" in p for p in matrix_pages)
    workplan_pages = [p for p in pages if "Stage and touchpoint" in p]
    assert len(workplan_pages) >= 2
    for i in (0, 99, 199):  # every name in full, wrapped or not
        assert f"Touchpoint number {i} with a long descriptive name that wraps" in text
    assert f"{MAX_BARS} touchpoints with most contacts; the CSV has all 200" in text
    assert pdf.stat().st_size < 5_000_000


def test_one_touchpoint_renders(tmp_path):
    pages, _ = render(report_data(["Delivery"]), tmp_path)
    text = " ".join(pages)
    assert "1 Delivery" in text and "4. Work plan" in text
    assert "P1 #1" in text


def test_markup_in_names_and_notes_prints_literally(tmp_path):
    data = report_data([MARKUP, "Plain"], note=f"Note with {MARKUP}")
    pages, _ = render(data, tmp_path)
    text = " ".join(pages)
    assert "<b>bold</b> & <script>alert(1)</script> &amp; <para>x</para>" in text
    assert f"Note with {MARKUP}" in text
    assert "Owner 0 <team>" in text
    assert "bad_timestamp:<occurred_at>" in text


def test_characters_outside_the_font_are_replaced_not_fatal(tmp_path):
    names = ["Kedai 中 ✓", "Café Ünïcödé ąę", "中文名称", "tab\there\x00nul", "Price $5 and $10"]
    pages, _ = render(report_data(names), tmp_path)
    text = " ".join(pages)
    assert "Café Ünïcödé ąę" in text  # Latin with accents is drawn as is
    assert "Kedai ? ✓" in text and "????" in text and "Price $5 and $10" in text
    assert clean("tab\there\x00nul") == "tab herenul"
    assert esc("a < b & c") == "a &lt; b &amp; c"
    assert chart_text("$5 and $10") == r"\$5 and \$10"


def test_malay_numbers_dates_and_words(tmp_path):
    pages, _ = render(report_data(["Penghantaran"], lang="ms"), tmp_path)
    text = " ".join(pages)
    assert "Pelan Kerja Analisis Titik Sentuh" in text
    assert "1 Jul 2026 – 30 Sep 2026" in text and "3 Nov 2026" in text
    assert "Halaman 1 daripada" in text


def test_page_numbers_and_footer(tmp_path):
    pages, _ = render(report_data(["A", "B", "C"]), tmp_path)
    n = len(pages)
    for i, p in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in p
        assert "Period 2026-Q3 · generated 3 Nov 2026" in p


def test_same_data_same_bytes(tmp_path):
    data = report_data(["A", "B", "C", "D"])
    _, first = render(data, tmp_path / "a")
    _, second = render(data, tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


def test_charts_keep_their_tables_and_are_print_sized():
    data = report_data([f"T{i}" for i in range(5)])
    charts = build_charts(data, load_labels(paths.REFERENCE, "en"))
    assert [c.name for c in charts] == [
        "outcome_mix",
        "priority_map",
        "monthly_trend",
        "resolution_by_channel",
    ]
    for c in charts:
        assert c.png is not None and c.png.startswith(b"\x89PNG")
        assert c.rows and len(c.header) == len(c.rows[0])
        dpi = Image.open(io.BytesIO(c.png)).info.get("dpi", (0, 0))[0]
        assert dpi == pytest.approx(200, abs=1)
    # the priority map's table: one row per touchpoint, with its quadrant
    assert {r[7] for r in charts[1].rows} <= {
        "concentrate_here",
        "keep_up",
        "low_priority",
        "possible_overkill",
    }


def test_no_touchpoint_needs_action(tmp_path):
    data = report_data(["Fine"])
    data = ReportData(**{**data.__dict__, "workplan": []})
    pages, _ = render(data, tmp_path)
    text = " ".join(pages)
    assert "No touchpoint has enough dissatisfied contacts" in text
    assert "No touchpoint needs action in this period." in text
