"""The report with the retention stage's figures: behaviour-derived importance on the priority
map, the reorder-drop P1 rule, and the reorder curves chart and retention section."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image
from pypdf import PdfReader
from test_report_document import report_data

from pipeline import paths
from pipeline.report import write_report
from pipeline.report.charts import build_charts
from pipeline.report.labels import load_labels
from pipeline.report.model import RetentionRow
from pipeline.report.playbook import load_playbook
from pipeline.report.workplan import importance_basis, importance_cut, priority, with_quadrants

LABELS = load_labels(paths.REFERENCE, "en")


def with_behaviour(importances: list[float | None]):
    data = report_data([f"T{i}" for i in range(len(importances))])
    tps = [
        replace(t, reorder_importance=v, reorder_lift=None if v is None else v / 4)
        for t, v in zip(data.touchpoints, importances, strict=True)
    ]
    tps = with_quadrants(tps, data.overall.net_delight)
    return replace(data, touchpoints=tps)


def test_importance_from_behaviour_sets_the_quadrants():
    data = with_behaviour([20.0, 2.0, 4.0, None, 14.0, 0.0])
    assert importance_basis(data.touchpoints) == "reorder"
    assert importance_cut(data.touchpoints) == 8.0  # mean of the five known
    q = {t.touchpoint_id: t.quadrant for t in data.touchpoints}
    # tp0 and tp3 are in trouble (net delight below overall); tp3 has no reorder figure
    assert q["tp0"] == "concentrate_here" and q["tp3"] is None
    assert q["tp4"] == "keep_up" and q["tp1"] == "possible_overkill"


def test_one_touchpoint_with_behaviour_keeps_volume_importance():
    data = with_behaviour([20.0, None, None])
    assert importance_basis(data.touchpoints) == "volume"
    assert all(t.quadrant is not None for t in data.touchpoints)


def test_priority_map_draws_the_reorder_axis():
    data = with_behaviour([20.0, 2.0, 4.0, None, 14.0, 0.0])
    (pmap,) = [c for c in build_charts(data, LABELS) if c.name == "priority_map"]
    assert pmap.png is not None
    col = {h: i for i, h in enumerate(pmap.header)}
    assert {r[col["importance_basis"]] for r in pmap.rows} == {"reorder"}
    assert len(pmap.rows) == 5  # the touchpoint without a reorder figure is left off
    assert "T3" in pmap.note and "Importance comes from behaviour" in pmap.note


def test_reorder_drop_makes_p1():
    data = report_data(["A", "B"])
    rule = load_playbook(paths.REFERENCE).priority
    calm = data.touchpoints[1]
    assert priority(calm, rule, data.overall.net_delight) != "P1"
    assert priority(replace(calm, reorder_drop=12.0), rule, data.overall.net_delight) == "P1"
    assert priority(replace(calm, reorder_drop=8.0), rule, data.overall.net_delight) != "P1"


def retention_rows() -> list[RetentionRow]:
    curve = ((0, 0.0, 0.0, 0.0), (10, 30.0, 25.0, 35.0), (40, 60.0, 54.0, 66.0))
    return [
        RetentionRow(
            "never_complained", 100, 70, 70.0, 60.5, 78.0, curve, ((0, 120), (30, 80), (60, 40))
        ),
        RetentionRow(
            "unresolved",
            40,
            18,
            45.0,
            30.7,
            60.1,
            ((0, 0.0, 0.0, 0.0), (20, 40.0, 30.0, 51.0)),
            ((0, 50), (30, 30), (60, 10)),
        ),
    ]


def test_reorder_curves_chart_and_retention_section(tmp_path):
    data = replace(report_data(["A", "B", "C"]), retention=retention_rows())
    charts = build_charts(data, LABELS)
    assert [c.name for c in charts][-1] == "reorder_curves"
    curves = charts[-1]
    assert curves.rows[:2] == [
        ["never_complained", 0, 0.0, 0.0, 0.0],
        ["never_complained", 10, 30.0, 25.0, 35.0],
    ]
    dpi = Image.open(io.BytesIO(curves.png)).info.get("dpi", (0, 0))[0]
    assert round(dpi) == 200
    result = write_report(None, data, LABELS, tmp_path)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.pdf).pages).split())
    assert "Kaplan-Meier estimates with 95% bands" in text  # the chart's note under it
    assert "Never complained 100 70 70% 61% – 78%" in text
