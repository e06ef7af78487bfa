"""Render ReportData as the PDF work plan (ReportLab platypus), A4 landscape.

Every text that comes from data or from the labels file goes through `esc`: characters the font
cannot draw are replaced, then XML-escaped, so markup in a touchpoint name or note prints
literally and can never inject into the PDF. Tables repeat their header row on every page and
wrap long names; page numbers ("Page 3 of 12") need the page count, hence the two-pass canvas.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from pipeline.report.charts import Chart, matrix_order, silent
from pipeline.report.fonts import FONT, FONT_BOLD, FONT_ITALIC, MAX_TEXT, clean, register_fonts
from pipeline.report.labels import Labels
from pipeline.report.model import (
    PRIORITIES,
    Metrics,
    ReportData,
    TouchpointStats,
    WorkPlanRow,
)
from pipeline.report.stats import change_mark
from pipeline.report.workplan import expectation, finding, kpi_gap, kpi_value
from pipeline.vocabulary import EXPERIENCE_GROUPS, OUTCOMES

PARAGRAPH_TEXT = 3000  # characters; a paragraph longer than this is cut
PAGE = landscape(A4)
MARGIN = 1.5 * cm
FRAME_W = PAGE[0] - 2 * MARGIN
FRAME_H = PAGE[1] - 2 * MARGIN - 0.6 * cm  # room for the footer
CHART_SPAN = 0.86  # charts a little narrower than the text: less height, same legibility
# a team plan's reasons table lists a reason behind at least this % of the touchpoint's
# dissatisfied contacts, or one the plan acts on; the rest in one line
REASON_SHOWN_SHARE = 5.0

GREY_HEAD = colors.HexColor("#d9d9d9")
GREY_GROUP = colors.HexColor("#efefef")
GREY_LINE = colors.HexColor("#808080")


# --- safe text ---------------------------------------------------------------------------------


def esc(text: Any, limit: int = MAX_TEXT) -> str:
    """Text for a Paragraph: cleaned, then XML-escaped (markup shows literally)."""
    return escape(clean(text, limit))


# --- styles ------------------------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5, alignment=TA_LEFT)
    s = {
        "body": base,
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.2),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9),
        "cell_r": ParagraphStyle("cell_r", base, fontSize=7.5, leading=9, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", base, fontName=FONT_BOLD, fontSize=7.5, leading=9),
        "head_r": ParagraphStyle(
            "head_r", base, fontName=FONT_BOLD, fontSize=7.5, leading=9, alignment=TA_RIGHT
        ),
        "group": ParagraphStyle("group", base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=26, leading=31),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=13, leading=17),
        "h1": ParagraphStyle("h1", base, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", base, fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
        ),
        "note": ParagraphStyle(
            "note", base, fontName=FONT_ITALIC, fontSize=8, leading=10, spaceAfter=4
        ),
        "big": ParagraphStyle("big", base, fontSize=10.5, leading=14, spaceAfter=5),
    }
    return s


# --- page furniture ----------------------------------------------------------------------------


def _numbered_canvas(footer_left: str, page_label: str) -> type:
    """A canvas that holds pages back until the end, so each footer can say 'of N'."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setFont(FONT, 7.5)
            self.setFillColor(colors.HexColor("#404040"))
            y = MARGIN - 0.6 * cm
            self.drawString(MARGIN, y, footer_left)
            self.drawRightString(
                PAGE[0] - MARGIN, y, page_label.format(page=self._pageNumber, pages=total)
            )
            self.setStrokeColor(GREY_LINE)
            self.setLineWidth(0.4)
            self.line(MARGIN, y + 0.35 * cm, PAGE[0] - MARGIN, y + 0.35 * cm)
            self.restoreState()

    return NumberedCanvas


class _Bookmark(Flowable):
    """An invisible mark that adds a section to the PDF outline (the reader's side panel)."""

    def __init__(self, key: str, title: str):
        super().__init__()
        self.key, self.title = key, title
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, level=0)


# --- building blocks ---------------------------------------------------------------------------


class _Doc:
    def __init__(self, data: ReportData, labels: Labels, charts: list[Chart], chart_folder: str,
                 team: str | None = None, full_report: str | None = None):
        register_fonts()
        self.d, self.L, self.f = data, labels, labels.fmt
        self.charts, self.chart_folder = charts, chart_folder
        # team mode (pipeline.report.teams): one owner's plan, `data` already cut down to them
        self.team, self.full_report = team, full_report
        self.s = _styles()
        self.story: list[Flowable] = []
        self._section = 0

    # text helpers
    def p(self, text: Any, style: str = "body") -> Paragraph:
        # A paragraph flows over lines (labels' intros and notes run past 400 characters in
        # Malay); the 400-character cut is for table cells, which must fit on one page.
        return Paragraph(esc(text, PARAGRAPH_TEXT), self.s[style])

    def cell(self, text: Any, right: bool = False, bold: bool = False) -> Paragraph:
        t = esc(text)
        return Paragraph(f"<b>{t}</b>" if bold else t, self.s["cell_r" if right else "cell"])

    def lines(self, parts: Sequence[Any], style: str = "cell") -> Paragraph:
        """Several texts in one cell, one per line."""
        return Paragraph("<br/>".join(esc(x) for x in parts if x not in (None, "")), self.s[style])

    def heading(self, key: str) -> None:
        self._section += 1
        title = f"{self._section}. {self.L(f'sections.{key}')}"
        self.story.append(_Bookmark(key, clean(title)))
        self.story.append(self.p(title, "h1"))

    def table(
        self,
        header: Sequence[str],
        rows: list[list[Any]],
        widths: Sequence[float],
        right: Sequence[int] = (),
        extra: Sequence[tuple] = (),
        span: float = 1.0,
    ) -> LongTable:
        """A table whose header repeats on every page; `widths` are relative, the table takes
        `span` of the frame's width."""
        head = [
            Paragraph(esc(h), self.s["head_r" if i in right else "head"])
            for i, h in enumerate(header)
        ]
        body = [
            [
                c if isinstance(c, Flowable) else self.cell(c, right=i in right)
                for i, c in enumerate(row)
            ]
            for row in rows
        ]
        total = sum(widths)
        t = LongTable(
            [head] + body,
            colWidths=[FRAME_W * span * w / total for w in widths],
            repeatRows=1,
            hAlign="LEFT",
        )
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), GREY_HEAD),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, GREY_LINE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    *extra,
                ]
            )
        )
        return t

    def add(self, *items: Flowable) -> None:
        self.story.extend(items)

    # --- sections ------------------------------------------------------------------------------

    def period_text(self) -> str:
        per = self.d.period
        if per is None:
            return self.f.spec["missing"]
        text = self.f.range(self.f.date(per.start), self.f.date(per.end))
        return f"{text} ({per.label})"

    def cover(self) -> None:
        d, L = self.d, self.L
        self.add(Spacer(1, 2.2 * cm), self.p(L("title"), "title"), Spacer(1, 0.2 * cm))
        self.add(self.p(L("subtitle"), "subtitle"), Spacer(1, 1.0 * cm))
        prev = (
            self.f.range(self.f.date(d.previous.start), self.f.date(d.previous.end))
            if d.previous
            else L("cover.no_previous")
        )
        period = self.period_text()
        if d.period is not None and d.period.partial:
            period += " " + L("cover.partial_period")
        rows = [
            [L("cover.period"), period],
            [L("cover.previous"), prev],
            [L("cover.report_date"), self.f.date(d.report_date)],
            [L("cover.sources"), ", ".join(d.sources) or self.f.spec["missing"]],
        ]
        t = LongTable(
            [[self.p(a, "big"), self.p(b, "big")] for a, b in rows],
            colWidths=[6 * cm, FRAME_W - 6 * cm],
            hAlign="LEFT",
        )
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.add(t, Spacer(1, 1.0 * cm))
        self.add(self.p(L("summary.reading_guide"), "h2"))
        for item in L.get("summary.guide"):
            self.add(Paragraph("• " + esc(" ".join(str(item).split())), self.s["body"]))
        self.add(PageBreak())

    def summary(self) -> None:
        d, L, f = self.d, self.L, self.f
        self.heading("summary")
        if d.empty:
            key = "summary.empty_warehouse" if d.period is None else "summary.empty"
            self.add(self.p(L(key, period=self.period_text()), "big"))
            if d.repeat is not None:
                self.add(self.p(L("summary.orders_only"), "big"))
            return
        o = d.overall
        assert o is not None
        top = d.quality.top_reasons(3)
        reasons = ", ".join(f"{r} ({f.int(n)})" for r, n in top) if top else L("summary.none")
        mix = " · ".join(f"{L(f'outcomes.{k}')} {f.pct(o.pct.get(k))}" for k in OUTCOMES)
        mix += f" ({L('matrix.of_n', n=f.int(o.volume))})"

        def share_n(pct: float | None, n: int) -> str:
            return f.pct(pct) + ("" if pct is None else " " + L("matrix.of_n", n=f.int(n)))
        rows = [
            [L("summary.sources_count"), f"{f.int(len(d.sources))}: {', '.join(d.sources)}"],
            [L("summary.rows_analysed"), f.int(o.volume)],
            [L("summary.period_share"),
             L("summary.period_share_text", n=f.int(o.volume), total=f.int(d.loaded),
               pct=f.pct(100.0 * o.volume / d.loaded if d.loaded else None))],
            [
                L("summary.quarantined"),
                f"{f.int(d.quality.quarantined)}; {L('summary.top_reasons', reasons=reasons)}",
            ],
            [L("summary.outcome_mix"), mix],
            [L("summary.net_delight"), f.signed(o.net_delight)],
            [L("summary.csat"), share_n(o.csat_pct, o.rated) if o.rated
             else L("summary.no_ratings")],
            [L("summary.promise_kept"), share_n(o.promise_kept_pct, o.promises)],
        ]
        if d.quality.without_customer:
            rows.append([L("summary.without_customer"),
                         L("summary.without_customer_text",
                           count=f.int(d.quality.without_customer))])
        if d.quality.dates_declared:
            rows.append([L("summary.dates_declared"),
                         L("summary.dates_declared_text",
                           sources=", ".join(d.quality.dates_declared))])
        self.add(self.p(L("summary.key_figures"), "h2"))
        t = LongTable(
            [[self.p(a, "body"), self.p(b, "body")] for a, b in rows],
            colWidths=[7 * cm, FRAME_W - 7 * cm],
            hAlign="LEFT",
        )
        t.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY_LINE),
                    ("FONTNAME", (0, 0), (0, -1), FONT_BOLD),
                ]
            )
        )
        self.add(t)
        self.add(self.p(L("summary.act_first"), "h2"))
        first = self.act_first()
        if not first:
            self.add(self.p(L("summary.act_first_none")))
        for i, row in enumerate(first, start=1):
            sentence = L("summary.act_first_sentence", **self._act_first_values(row))
            self.add(Paragraph(f"<b>{i}.</b> " + esc(sentence), self.s["big"]))

    def _act_first_values(self, row: WorkPlanRow) -> dict[str, str]:
        """The placeholders of an "act first" sentence (the summary's and a team plan's)."""
        f, L = self.f, self.L
        return {
            "touchpoint": row.touchpoint,
            "dissatisfied": f.pct(row.dissatisfied_pct),
            "scored": f.int(row.volume),
            "volume": f.int(row.volume),
            "net": f.signed(self._net(row)),
            "reason_share": f.pct(row.reason_share),
            "reason": L.reason(row.reason),
            "owner": row.owner,
            "action": row.action,
            "due": f.date(row.due),
            "priority": row.priority,
        }

    def _net(self, row: WorkPlanRow) -> float | None:
        t = next((t for t in self.d.touchpoints if t.touchpoint_id == row.touchpoint_id), None)
        return t.metrics.net_delight if t else None

    def act_first(self) -> list[WorkPlanRow]:
        """The first work-plan row of each of the first N touchpoints in the plan."""
        seen: set[str] = set()
        out = []
        for row in self.d.workplan:
            if row.touchpoint_id not in seen:
                seen.add(row.touchpoint_id)
                out.append(row)
            if len(out) >= int(self.d.rule.get("act_first", 3)):
                break
        return out

    def matrix(self) -> None:
        d, L, f = self.d, self.L, self.f
        self.add(PageBreak())
        self.heading("matrix")
        prev = (
            self.f.range(self.f.date(d.previous.start), self.f.date(d.previous.end))
            if d.previous
            else L("cover.no_previous")
        )
        self.add(self.p(L("matrix.intro", previous=prev), "note"))
        self.add(self.p(L("matrix.certainty"), "note"))
        header = [
            "#",
            L("matrix.touchpoint"),
            L("matrix.volume"),
            L("matrix.delighted"),
            L("matrix.satisfied"),
            L("matrix.dissatisfied"),
            L("outcomes.unscored"),
            L("matrix.net_delight"),
            L("matrix.csat"),
            L("matrix.promise_kept"),
            L("matrix.median_ttr"),
            L("matrix.verdict"),
            L("matrix.change"),
        ]
        rows: list[list[Any]] = []
        extra: list[tuple] = []
        any_small = False
        current_kind: object = object()
        for n, t in enumerate(matrix_order(d.touchpoints), start=1):
            if t.kind is None and t.metrics.volume == 0:
                continue  # an empty `unmapped` row says nothing
            if t.kind != current_kind:
                current_kind = t.kind
                r = len(rows) + 1
                rows.append([self.cell(L(f"kinds.{t.kind or 'none'}"), bold=True)] + [""] * 12)
                extra += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), GREY_GROUP)]
            m = t.metrics
            if d.previous is None:
                change: Any = f.spec["missing"]
            elif not t.prev_volume:
                change = L("matrix.new") if m.volume else f.spec["missing"]
            else:
                change = self._change(t)
            small = m.volume > 0 and m.mix.scored < self._small_n()
            any_small = any_small or small
            rows.append(
                [
                    str(n),
                    self.lines([t.name, f"({L('matrix.small_n')})" if small else ""]),
                    f.int(m.volume),
                    *(f.pct(m.pct.get(o)) for o in OUTCOMES),
                    f.signed(m.net_delight),
                    self._share_n(m.csat_pct, m.rated),
                    self._share_n(m.promise_kept_pct, m.promises),
                    f.hours(m.median_ttr_hours),
                    self._verdict(m),
                    change,
                ]
            )
        o = d.overall
        assert o is not None
        r = len(rows) + 1
        rows.append(
            [
                "",
                self.cell(L("matrix.total"), bold=True),
                self.cell(f.int(o.volume), right=True, bold=True),
                *(self.cell(f.pct(o.pct.get(k)), right=True, bold=True) for k in OUTCOMES),
                self.cell(f.signed(o.net_delight), right=True, bold=True),
                self._share_n(o.csat_pct, o.rated, bold=True),
                self._share_n(o.promise_kept_pct, o.promises, bold=True),
                "",
                self.cell(self._verdict(o), right=True, bold=True),
                "",
            ]
        )
        extra.append(("LINEABOVE", (0, r), (-1, r), 0.8, colors.black))
        # cm of the 26.7 cm frame: headers unbroken in every language (Dutch "Tevreden",
        # Indonesian "Kepuasan" set the widths of theirs); the change and its interval on one line
        widths = [0.6, 3.25, 1.75, 1.7, 1.65, 2.0, 1.65, 1.7, 2.05, 2.05, 2.2, 2.1, 4.0]
        self.add(self.table(header, rows, widths, right=range(2, 13), extra=extra))
        if any_small:
            self.add(Spacer(1, 4))
            self.add(self.p(L("matrix.small_n_note", small_n=f.int(self._small_n())), "note"))
        if d.previous is not None:
            self.add(Spacer(1, 4))
            self.add(self.p(L("matrix.change_note"), "note"))
        none = silent(d.touchpoints)
        if none:
            self.add(Spacer(1, 4))
            self.add(self.p(L("matrix.silent_note", count=f.int(none)), "note"))
        unmapped = next((t for t in d.touchpoints if t.kind is None), None)
        if unmapped is not None and unmapped.metrics.volume:
            self.add(Spacer(1, 4))
            self.add(
                self.p(
                    L(
                        "matrix.unmapped_note",
                        count=f.int(unmapped.metrics.volume),
                        name=unmapped.name,
                    ),
                    "note",
                )
            )

    def _small_n(self) -> int:
        return int(self.d.rule.get("small_n", 30))

    def _share_n(self, pct: float | None, n: int, bold: bool = False) -> Paragraph:
        """A share with the n it is of: '78% of 1,093'."""
        if pct is None:
            return self.cell(self.f.spec["missing"], right=True, bold=bold)
        text = esc(f"{self.f.pct(pct)} {self.L('matrix.of_n', n=self.f.int(n))}")
        return Paragraph(f"<b>{text}</b>" if bold else text, self.s["cell_r"])

    def _change(self, t: TouchpointStats) -> Paragraph:
        """The change of net delight: '▲ +12 pts' only when its 95% interval excludes zero, else
        'no clear change'; then the interval in brackets."""
        f, L = self.f, self.L
        ci = t.change_interval
        mark = change_mark(ci)
        if mark is None:
            head = L("matrix.no_clear_change") if ci is not None else f.points(t.change)
        else:
            head = ("▲ " if mark == "up" else "▼ ") + f.points(t.change)
        if ci is not None:
            head += f" [{f.signed(ci[1])}, {f.signed(ci[2])}]"
        return self.cell(head, right=True)

    def _verdict(self, m: Metrics) -> str:
        """Scored outcomes decided by the customer's own verdict / inferred from the handling."""
        if m.from_customer is None or m.from_handling is None:
            return self.f.spec["missing"]
        return f"{self.f.int(m.from_customer)} / {self.f.int(m.from_handling)}"

    def charts_section(self) -> None:
        self.add(PageBreak())
        self.heading("charts")
        self.add(self.p(self.L("charts.intro", folder=self.chart_folder), "note"))
        for i, c in enumerate(self.charts):
            block: list[Flowable] = []
            if c.png is None:
                block += [self.p(c.title, "h2"), self.p(self.L("charts.no_data"), "note")]
            else:
                w = FRAME_W * CHART_SPAN
                h = w * c.height_in / c.width_in
                limit = FRAME_H - 3.4 * cm  # room for the section heading and the note
                if h > limit:  # a tall chart shrinks to the page
                    w, h = w * limit / h, limit
                block.append(Image(io.BytesIO(c.png), width=w, height=h, hAlign="LEFT"))
            if c.note:
                block.append(self.p(c.note, "note"))
            block.append(Spacer(1, 0.3 * cm))
            if i:
                self.add(CondPageBreak(min(FRAME_H, _height(block))))
            self.add(KeepTogether(block))

    def workplan(self) -> None:
        d, L, f = self.d, self.L, self.f
        self.add(PageBreak())
        self.heading("workplan")
        self.followup()
        mark = len(self.story)
        if d.followups:
            self.add(self.p(L("followup.this_period"), "h2"))
        self.add(self.p(L("workplan.intro"), "note"))
        self.rule()
        if d.followups:  # this period's heading, rule and first row (up to 5.5 cm) on one page
            block = _height(self.story[mark:]) + 5.5 * cm
            self.story.insert(mark, CondPageBreak(min(block, FRAME_H)))
        if not d.workplan:
            self.add(self.p(L("workplan.none"), "big"))
        else:
            header = [
                L("workplan.priority"),
                L("workplan.touchpoint"),
                " · ".join(
                    [L("workplan.expectation"), L("workplan.performance"), L("workplan.gap")]
                ),
                L("workplan.split"),
                L("workplan.importance"),
                L("workplan.finding"),
                L("workplan.action"),
                " · ".join([L("workplan.owner"), L("workplan.due"), L("workplan.status")]),
                L("workplan.kpi"),
            ]
            rows = []
            for r in d.workplan:
                stage = L(f"stages.{r.stage}") if L.has(f"stages.{r.stage}") else r.stage
                action = r.action + (" " + r.segment_note if r.segment_note else "")
                rows.append(
                    [
                        Paragraph(f"<b>{esc(r.priority)}</b><br/>#{r.rank}", self.s["cell"]),
                        Paragraph(
                            f"{esc(stage or '')}<br/><b>{esc(r.touchpoint)}</b>"
                            + (f"<br/>({esc(L('matrix.small_n'))})" if r.small_n else ""),
                            self.s["cell"],
                        ),
                        self.lines(
                            [
                                expectation(r, L),
                                f"{L('workplan.performance')}: "
                                f"{kpi_value(r.kpi, r.kpi_current, L)}"
                                + (
                                    " " + L("matrix.of_n", n=f.int(r.kpi_n))
                                    if r.kpi_n is not None and r.kpi_current is not None
                                    else ""
                                ),
                                f"{L('workplan.gap')}: {kpi_gap(r, L)}",
                            ]
                        ),
                        self.lines(
                            [
                                " / ".join(
                                    f.pct(100.0 * n / r.volume if r.volume else None)
                                    for n in (r.delighted, r.satisfied, r.dissatisfied)
                                ),
                                f"n = {f.int(r.volume)}",
                            ]
                        ),
                        self.lines(
                            [
                                L("workplan.share_of_contacts", share=f.pct(r.volume_share, 1)),
                                L(f"quadrants.{r.quadrant}") if r.quadrant else "",
                            ]
                        ),
                        self.cell(finding(r, L)),
                        self.cell(action),
                        self.lines([r.owner, f.date(r.due), L(f"workplan.{r.status}")]),
                        self.lines(
                            [
                                L(f"kpis.{r.kpi}"),
                                f"{kpi_value(r.kpi, r.kpi_current, L)} → "
                                f"{kpi_value(r.kpi, r.kpi_target, L)}",
                            ]
                        ),
                    ]
                )
            widths = [1.9, 2.5, 3.3, 1.9, 2.3, 3.7, 5.7, 2.2, 2.2]
            self.add(self.table(header, rows, widths))

    def followup(self) -> None:
        """Last period's actions first (issue 16, the loop): status, KPI then → now with their
        95% intervals and n, and the verdict the change's interval gives. A done action whose
        KPI did not move says so in a sentence of its own."""
        d, L, f = self.d, self.L, self.f
        heading = L("followup.heading")
        if d.followup_unknown:
            shown = ", ".join(d.followup_unknown[:5]) + (", …" if len(d.followup_unknown) > 5
                                                         else "")
            unknown = L("followup.unknown_ids", count=f.int(len(d.followup_unknown)), ids=shown)
        else:
            unknown = ""
        if not d.followups:
            none = L("team.followups_none" if self.team else "followup.none")
            self.add(Paragraph(f"<b>{esc(heading)}:</b> {esc(none)}", self.s["body"]))
            if unknown:
                self.add(self.p(unknown, "note"))
            self.add(Spacer(1, 0.25 * cm))
            return
        self.add(self.p(heading, "h2"))
        self.add(self.p(L("followup.intro", period=d.followups[0].set_in), "note"))
        if unknown:
            self.add(self.p(unknown, "note"))
        header = [
            L("followup.touchpoint"),
            L("followup.action"),
            " · ".join([L("workplan.owner"), L("workplan.due")]),
            L("workplan.status"),
            L("followup.kpi"),
            L("followup.verdict"),
        ]
        rows: list[list[Any]] = []
        extra: list[tuple] = []
        for x in d.followups:
            status = L(f"workplan.{x.status}")
            if x.status_date is not None:
                status += " " + L("followup.as_of", date=f.date(x.status_date))
            due = esc(f.date(x.due))
            if x.overdue:
                due += f' <font color="#b00000"><b>{esc(L("followup.overdue"))}</b></font>'
            verdict = f"<b>{esc(L(f'followup.verdicts.{x.verdict}'))}</b>"
            if x.change is not None:
                verdict += "<br/>" + esc(self._kpi_change(x.kpi, x.change, x.change_low,
                                                          x.change_high))
            rows.append([
                Paragraph(f"<b>{esc(x.touchpoint)}</b><br/>{esc(L.reason(x.reason))}"
                          f"<br/>{esc(x.priority)} · {esc(x.plan_id)}", self.s["cell"]),
                self.lines([x.action, f"({L('followup.continued')})" if x.continued else ""]),
                Paragraph(f"{esc(x.owner or f.spec['missing'])}<br/>{due}", self.s["cell"]),
                self.lines([status, x.status_note or ""]),
                self.lines([
                    L(f"kpis.{x.kpi}") if L.has(f"kpis.{x.kpi}") else x.kpi,
                    f"{L('followup.then')}: "
                    + self._kpi_with_interval(x.kpi, x.kpi_then, x.kpi_then_low,
                                              x.kpi_then_high, x.kpi_then_n),
                    f"{L('followup.now')}: "
                    + self._kpi_with_interval(x.kpi, x.kpi_now, x.kpi_now_low,
                                              x.kpi_now_high, x.kpi_now_n),
                ]),
                Paragraph(verdict, self.s["cell"]),
            ])
            if x.status == "done" and x.verdict in ("no_change", "worse"):
                sentence = L(
                    "followup.done_worse" if x.verdict == "worse" else "followup.done_not_moved",
                    kpi=L(f"kpis.{x.kpi}") if L.has(f"kpis.{x.kpi}") else x.kpi,
                    then=self._kpi_with_interval(x.kpi, x.kpi_then, x.kpi_then_low,
                                                 x.kpi_then_high, x.kpi_then_n),
                    now=self._kpi_with_interval(x.kpi, x.kpi_now, x.kpi_now_low,
                                                x.kpi_now_high, x.kpi_now_n),
                )
                r = len(rows) + 1
                rows.append([Paragraph(f"<b>{esc(sentence)}</b>", self.s["cell"])]
                            + [""] * 5)
                extra += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), GREY_GROUP)]
        self.add(self.table(header, rows, [3.6, 7.0, 2.7, 3.3, 6.4, 3.3], extra=extra))
        self.add(Spacer(1, 0.3 * cm))

    def _kpi_with_interval(self, kpi: str, value: float | None, low: float | None,
                           high: float | None, n: int | None) -> str:
        """'33% (19% – 51%, n = 30)': the value, its 95% interval and the n it is of."""
        if value is None:
            return self.f.spec["missing"]
        parts = []
        if low is not None and high is not None:
            parts.append(self.f.range(kpi_value(kpi, low, self.L), kpi_value(kpi, high, self.L)))
        if n is not None:
            parts.append(f"n = {self.f.int(n)}")
        text = kpi_value(kpi, value, self.L)
        return f"{text} ({', '.join(parts)})" if parts else text

    def _kpi_change(self, kpi: str, change: float, low: float | None,
                    high: float | None) -> str:
        """'+13 pts [−11, +37]' (hours for median_ttr): the change and its 95% interval."""
        f = self.f
        if kpi == "median_ttr":
            def signed(v: float) -> str:
                return (f.spec["minus"] if v < 0 else "+") + f.hours(abs(v))
            head, lo, hi = signed(change), *(signed(v) if v is not None else f.spec["missing"]
                                             for v in (low, high))
        else:
            # a bound that whole points would round to 0 gets a decimal: [−11, 0] would hide
            # that the interval excludes zero (the verdict says it does)
            near = [abs(v) for v in (low, high) if v is not None and v != 0]
            digits = 0 if not near or min(near) >= 0.5 else 1 if min(near) >= 0.05 else 2
            head = f.spec["points"].format(value=f.number(change, digits, signed=True))
            lo, hi = (f.number(v, digits, signed=True) if v is not None else f.spec["missing"]
                      for v in (low, high))
        return f"{head} [{lo}, {hi}]"

    def rule(self) -> None:
        L, r = self.L, self.d.rule
        if not r:
            return
        f = self.f
        values = {
            "p1_dissatisfied": f.pct(100 * r["p1_dissatisfied"]),
            "p1_volume": f.pct(100 * r["p1_volume"]),
            "p1_reorder": f.points(100 * r["p1_reorder"], False),
            "p2_dissatisfied": f.pct(100 * r["p2_dissatisfied"]),
            "p2_volume": f.pct(100 * r["p2_volume"]),
            "p1_days": f.int(r["p1_days"]),
            "p2_days": f.int(r["p2_days"]),
            "p3_days": f.int(r["p3_days"]),
            "min_scored": f.int(r["min_scored"]),
            "small_n": f.int(r.get("small_n", 30)),
            "min_reason_share": f.pct(100 * r["min_reason_share"]),
            "min_reason_n": f.int(r["min_reason_n"]),
            "max_actions": f.int(r["max_actions"]),
            "worse": " " + L("workplan.rule_p1_worse") if r.get("p1_below_overall") else "",
        }
        self.add(Paragraph(f"<b>{esc(L('workplan.rule_heading'))}</b>", self.s["small"]))
        for key in ("rule_p1", "rule_small_n", "rule_p2", "rule_p3", "rule_rows"):
            self.add(Paragraph("• " + esc(L(f"workplan.{key}", **values)), self.s["small"]))
        self.add(Spacer(1, 0.25 * cm))

    def customers(self) -> None:
        d, L, f = self.d, self.L, self.f
        self.add(PageBreak())
        self.heading("customers")
        if d.segments is None:
            self.add(self.p(L("segments.not_computed"), "big"))
            return
        prev = (
            self.f.range(self.f.date(d.previous.start), self.f.date(d.previous.end))
            if d.previous
            else L("cover.no_previous")
        )
        self.add(self.p(L("segments.intro", previous=prev), "note"))
        self.without_customer_note()
        header = [
            L("segments.segment"),
            L("segments.customers"),
            L("segments.previous"),
            L("segments.change"),
            L("segments.handling"),
        ]
        rows = []
        for s in d.segments:
            change = (
                f.signed(s.customers - s.prev_customers)
                if s.prev_customers is not None
                else f.spec["missing"]
            )
            rows.append(
                [
                    self.cell(s.label, bold=True),
                    f.int(s.customers),
                    f.int(s.prev_customers),
                    change,
                    s.handling,
                ]
            )
        self.add(self.table(header, rows, [3.0, 1.3, 1.3, 1.4, 10.0], right=(1, 2, 3)))

    def retention(self) -> None:
        d, L, f = self.d, self.L, self.f
        self.add(CondPageBreak(5 * cm))
        self.add(Spacer(1, 0.4 * cm))
        self.heading("retention")
        if d.retention is None:
            self.add(self.p(L("retention.not_computed"), "big"))
            return
        if d.orders == 0:  # every customer would show 0 reordered: say why instead
            self.add(self.p(L("retention.no_orders"), "big"))
            return
        self.add(self.p(L("retention.intro"), "note"))
        self.without_customer_note()
        header = [
            L("retention.group"),
            L("retention.customers"),
            L("retention.reordered"),
            L("retention.rate"),
            L("retention.interval"),
        ]
        order = {g: i for i, g in enumerate(EXPERIENCE_GROUPS)}
        rows = [
            [
                L(f"retention.groups.{r.group}")
                if L.has(f"retention.groups.{r.group}")
                else r.group,
                f.int(r.customers),
                f.int(r.reordered),
                f.pct(r.rate_pct),
                f.range(f.pct(r.ci_low_pct), f.pct(r.ci_high_pct))
                if r.ci_low_pct is not None
                else f.spec["missing"],
            ]
            for r in sorted(d.retention, key=lambda r: (order.get(r.group, 99), r.group))
        ]
        self.add(self.table(header, rows, [5, 1.5, 1.5, 1.5, 2.5], right=(1, 2, 3, 4), span=0.7))
        if d.repeat is not None:
            self.repeat_purchase(own_section=False)

    def repeat_purchase(self, own_section: bool) -> None:
        """Repeat purchases from orders alone: per window, churn, and monthly cohorts. Its own
        section when there are no interactions; else part of the retention section."""
        r, L, f = self.d.repeat, self.L, self.f
        assert r is not None
        if own_section:
            self.add(Spacer(1, 0.4 * cm))
            self.heading("repeat")
        else:
            self.add(self.p(L("repeat.heading"), "h2"))
        self.add(self.p(L("repeat.intro"), "note"))
        header = [L("repeat.window"), L("repeat.customers"), L("repeat.followed"),
                  L("repeat.repeated"), L("repeat.share"), L("retention.interval")]
        rows = [
            [
                self.cell(L("repeat.window_days", days=f.int(w.window_days)), bold=w.primary),
                f.int(w.customers),
                f.int(w.followed),
                f.int(w.repeated),
                self.cell(f.pct(w.pct), right=True, bold=w.primary),
                f.range(f.pct(w.ci_low_pct), f.pct(w.ci_high_pct))
                if w.ci_low_pct is not None
                else f.spec["missing"],
            ]
            for w in r.windows
        ]
        self.add(self.table(header, rows, [3, 1.5, 1.5, 1.5, 1.5, 2.5], right=range(1, 6),
                            span=0.7))
        if r.churn_pct is None:
            churn = L("repeat.churn_unknown", days=f.int(r.churn_days))
        else:
            assert r.churn_ci is not None
            churn = L("repeat.churn", pct=f.pct(r.churn_pct), churned=f.int(r.churned),
                      known=f.int(r.churn_known), days=f.int(r.churn_days),
                      interval=f.range(f.pct(r.churn_ci[0]), f.pct(r.churn_ci[1])))
        self.add(Spacer(1, 0.15 * cm), self.p(churn, "body"))
        if not r.cohorts:
            return
        self.add(CondPageBreak(4 * cm))
        self.add(self.p(L("repeat.cohorts"), "h2"))
        self.add(self.p(L("repeat.cohorts_intro"), "note"))
        days = [w.window_days for w in r.windows]
        header = [L("repeat.cohort"), L("repeat.customers")]
        header += [L("repeat.window_days", days=f.int(n)) for n in days]
        rows = []
        for c in r.cohorts:
            cells: list[Any] = [f.month(c.month), f.int(c.customers)]
            for n in days:
                followed, _, pct = c.windows.get(n, (0, 0, None))
                cells.append(f"{f.pct(pct)} ({L('matrix.of_n', n=f.int(followed))})"
                             if followed else f.spec["missing"])
            rows.append(cells)
        self.add(self.table(header, rows, [3, 1.5] + [2] * len(days),
                            right=range(1, 2 + len(days)), span=0.7))

    def without_customer_note(self) -> None:
        """Segments and retention follow customers: say how many contacts had none."""
        if n := self.d.quality.without_customer:
            self.add(self.p(self.L("quality.without_customer_left_out", count=self.f.int(n)),
                            "note"))

    def language(self) -> None:
        d, L, f = self.d, self.L, self.f
        if d.phrases:
            self.add(PageBreak())
        else:  # one line to say so: on the page before when it fits
            self.add(CondPageBreak(3 * cm), Spacer(1, 0.4 * cm))
        self.heading("language")
        self.add(self.p(L("language.intro"), "note"))
        if d.staff_texts == 0:
            self.add(self.p(L("language.no_texts"), "big"))
            return
        if not d.phrases:
            self.add(self.p(L("team.language_none" if self.team else "language.none"), "big"))
            return
        # one row per touchpoint: phrases found per language, and the commonest phrases
        langs = sorted({p.language for p in d.phrases}, key=lambda c: (c != d.lang, c))
        by_tp: dict[str, list] = {}
        for p in d.phrases:
            by_tp.setdefault(p.touchpoint_id, []).append(p)
        header = [L("language.touchpoint")]
        header += [self.language_name(c) for c in langs]
        header += [L("language.count"), L("language.top")]
        rows = []
        for ps in by_tp.values():
            per_lang = {c: sum(p.interactions for p in ps if p.language == c) for c in langs}
            per_phrase: dict[str, list] = {}
            for p in ps:
                per_phrase.setdefault(p.phrase_id, [p.label, 0])[1] += p.interactions
            top = sorted(per_phrase.items(), key=lambda kv: (-kv[1][1], kv[0]))[:3]
            rows.append(
                [ps[0].touchpoint]
                + [f.int(per_lang[c]) if per_lang[c] else "" for c in langs]
                + [f.int(sum(p.interactions for p in ps))]
                + ["; ".join(f"{label} ({f.int(n)})" for _, (label, n) in top)]
            )
        n = len(langs)
        widths = [3.2] + [1.4] * n + [1.0, 7.5]
        self.add(self.table(header, rows, widths, right=range(1, n + 2)))
        # what to say instead: one row per phrase, in each language it was heard in
        phrases: dict[str, dict] = {}
        for p in d.phrases:
            e = phrases.setdefault(p.phrase_id, {"label": p.label, "n": 0, "alt": {}})
            e["n"] += p.interactions
            e["alt"].setdefault(p.language, p.alternative)
        self.add(self.p(L("language.key"), "h2"))
        header = [L("language.phrase"), L("language.count"), L("language.alternative")]
        rows = []
        for e in sorted(phrases.values(), key=lambda e: (-e["n"], e["label"])):
            alts = sorted(e["alt"].items(), key=lambda kv: (kv[0] != d.lang, kv[0]))
            rows.append(
                [
                    self.cell(e["label"], bold=True),
                    f.int(e["n"]),
                    self.lines([f"{self.language_name(c)}: {alt}" for c, alt in alts]),
                ]
            )
        self.add(self.table(header, rows, [3.5, 1.0, 10.0], right=(1,)))

    def language_name(self, code: str | None) -> str:
        key = f"languages.{code}"
        return self.L(key) if code and self.L.has(key) else str(code or "")

    def quality(self) -> None:
        q, L, f = self.d.quality, self.L, self.f
        # a short report (no data) keeps the appendix on the summary's page
        short = self.d.empty and self.d.repeat is None
        self.add(Spacer(1, 0.5 * cm) if short else PageBreak())
        self.heading("quality")
        self.add(self.p(L("quality.intro"), "note"))
        self.add(self.p(L("quality.sources"), "h2"))
        header = [
            L("quality.source"),
            L("quality.files"),
            L("quality.rows_read"),
            L("quality.staged"),
            L("quality.quarantined"),
            L("quality.duplicates"),
        ]
        rows = [
            [s.source, f.int(s.files), f.int(s.rows_read), f.int(s.staged)]
            + [f.int(s.quarantined), f.int(s.duplicates)]
            for s in q.sources
        ]
        if q.sources:
            rows.append(
                [
                    self.cell(L("quality.total"), bold=True),
                    *(
                        self.cell(f.int(sum(getattr(s, k) for s in q.sources)), True, True)
                        for k in ("files", "rows_read", "staged", "quarantined", "duplicates")
                    ),
                ]
            )
        self.add(
            self.table(header, rows, [4, 1.2, 1.6, 1.6, 1.6, 1.6], right=range(1, 6), span=0.7)
        )
        anonymous = [f"{s.source} {f.int(s.without_customer)}" for s in q.sources
                     if s.without_customer]
        if anonymous:
            self.add(self.p(L("quality.without_customer", count=f.int(q.without_customer),
                              sources=", ".join(anonymous)), "note"))
        if q.dates_declared:
            self.add(self.p(L("quality.dates_declared", sources=", ".join(q.dates_declared)),
                            "note"))
        if q.quarantine:
            self.add(self.p(L("quality.quarantine_reasons"), "h2"))
            rows = [[r.source, r.reason, f.int(r.rows)] for r in q.quarantine]
            header = [L("quality.source"), L("quality.reason"), L("quality.rows")]
            self.add(self.table(header, rows, [3, 8, 1.5], right=(2,), span=0.7))
        self.add(self.p(L("quality.expectations"), "h2"))
        if not q.expectations:
            self.add(self.p(L("quality.expectations_none")))
        else:
            header = [
                L("quality.suite"),
                L("quality.expectation"),
                L("quality.column"),
                L("quality.severity"),
                L("quality.runs"),
                L("quality.unexpected"),
            ]
            rows = [
                [e.suite, e.expectation, e.column or "", e.severity]
                + [f.int(e.runs), f.int(e.unexpected)]
                for e in q.expectations
            ]
            self.add(self.table(header, rows, [2, 5, 2, 1.4, 1, 1.6], right=(4, 5), span=0.85))
        if q.coverage:
            self.add(self.p(L("quality.coverage"), "h2"))
            header = [
                L("quality.source"),
                L("matrix.volume"),
                L("quality.mapped"),
                L("quality.unmapped"),
                L("quality.coverage_share"),
            ]
            rows = [
                [
                    L("quality.total") if c.source == "(all)" else c.source,
                    f.int(c.volume),
                    f.int(c.mapped),
                    f.int(c.unmapped),
                    f.pct(c.coverage_pct, 1),
                ]
                for c in q.coverage
            ]
            self.add(self.table(header, rows, [4, 1.6, 1.6, 1.6, 1.6], right=range(1, 5), span=0.6))

    def examples(self) -> None:
        """Quoted notes, only when the run asked for them; masked in privacy.examples."""
        L = self.L
        self.add(PageBreak())
        self.heading("examples")
        self.add(self.p(L("examples.intro"), "note"))
        header = [L("examples.touchpoint"), L("examples.text")]
        rows = [[e.touchpoint, e.text] for e in self.d.examples]
        self.add(self.table(header, rows, [3, 12]))

    # --- team mode: one owner's plan ------------------------------------------------------------

    def team_summary(self) -> None:
        """The team's page: their touchpoints' figures against the period's, their actions by
        priority, overdue follow-ups, and what to act on first."""
        d, L, f = self.d, self.L, self.f
        o = d.overall
        assert o is not None and self.team is not None
        self.add(self.p(L("team.title", owner=self.team), "title"), Spacer(1, 0.2 * cm))
        self.add(self.p(L("team.subtitle", report=self.full_report or ""), "subtitle"),
                 Spacer(1, 0.5 * cm))
        shown = [t for t in d.touchpoints if t.metrics.volume]
        volume = sum(t.metrics.volume for t in shown)
        dissatisfied = sum(t.metrics.mix.dissatisfied for t in shown)
        delighted = sum(t.metrics.mix.delighted for t in shown)
        prev = (
            f.range(f.date(d.previous.start), f.date(d.previous.end))
            if d.previous
            else L("cover.no_previous")
        )
        counts = {p: sum(1 for r in d.workplan if r.priority == p) for p in PRIORITIES}
        overdue = [x for x in d.followups if x.overdue]
        rows = [
            [L("cover.period"), self.period_text()],
            [L("cover.previous"), prev],
            [L("cover.report_date"), f.date(d.report_date)],
            [L("team.touchpoints"), ", ".join(t.name for t in shown) or f.spec["missing"]],
            [L("team.contacts"),
             L("team.contacts_text", n=f.int(volume), total=f.int(o.volume),
               pct=f.pct(100.0 * volume / o.volume if o.volume else None))],
            [L("team.dissatisfied"),
             L("team.dissatisfied_text", n=f.int(dissatisfied), volume=f.int(volume),
               pct=f.pct(100.0 * dissatisfied / volume if volume else None),
               overall=f.pct(o.pct.get("dissatisfied")))],
            [L("team.net_delight"),
             L("team.vs_overall",
               team=f.signed(100.0 * (delighted - dissatisfied) / volume if volume else None),
               overall=f.signed(o.net_delight))],
            [L("team.actions"),
             L("team.actions_text", n=f.int(len(d.workplan)), p1=f.int(counts["P1"]),
               p2=f.int(counts["P2"]), p3=f.int(counts["P3"]))],
            [L("team.followups"),
             L("team.followups_text", n=f.int(len(d.followups)), overdue=f.int(len(overdue)))
             if d.followups else L("team.followups_none")],
        ]
        t = LongTable(
            [[self.p(a, "body"), self.p(b, "body")] for a, b in rows],
            colWidths=[6 * cm, FRAME_W - 6 * cm],
            hAlign="LEFT",
        )
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY_LINE),
                               ("FONTNAME", (0, 0), (0, -1), FONT_BOLD)]))
        self.add(t)
        if overdue:
            self.add(self.p(L("team.overdue"), "h2"))
            for x in overdue:
                status = L(f"workplan.{x.status}") if L.has(f"workplan.{x.status}") else x.status
                line = L("team.overdue_line", touchpoint=x.touchpoint, action=x.action,
                         set_in=x.set_in, due=f.date(x.due), status=status)
                self.add(Paragraph("• " + esc(line, PARAGRAPH_TEXT), self.s["body"]))
        self.add(self.p(L("summary.act_first"), "h2"))
        for i, row in enumerate(self.act_first(), start=1):
            sentence = L("team.act_first_sentence", **self._act_first_values(row))
            # a paragraph, not a cell: the playbook's action makes it run past MAX_TEXT
            self.add(Paragraph(f"<b>{i}.</b> " + esc(sentence, PARAGRAPH_TEXT), self.s["body"]))

    def reasons(self) -> None:
        """Why the touchpoints' customers were dissatisfied: each reason's contacts, its share of
        the touchpoint's dissatisfied ones, and the action it got in the plan."""
        d, L, f = self.d, self.L, self.f
        self.add(CondPageBreak(5 * cm), Spacer(1, 0.4 * cm))
        self.heading("reasons")
        self.add(self.p(L("team.reasons_intro"), "note"))
        planned = {r.plan_id: r for r in d.workplan}
        rows: list[list[Any]] = []
        for t in matrix_order(d.touchpoints):
            mine = sorted((r for r in d.reasons if r.touchpoint_id == t.touchpoint_id),
                          key=lambda r: (-r.interactions, r.reason))
            n = t.metrics.mix.dissatisfied
            # the rare reasons in one line: a team reads what it can act on
            shown = [r for r in mine if f"{r.touchpoint_id}/{r.reason}" in planned
                     or r.interactions >= REASON_SHOWN_SHARE / 100 * n]
            for i, r in enumerate(shown):
                plan = planned.get(f"{r.touchpoint_id}/{r.reason}")
                rows.append([
                    self.cell(t.name, bold=True) if i == 0 else "",
                    L.reason(r.reason),
                    f.int(r.interactions),
                    f"{f.pct(100.0 * r.interactions / n if n else None)} "
                    f"{L('matrix.of_n', n=f.int(n))}",
                    f"#{plan.rank} {plan.priority}" if plan else "",
                ])
            if len(shown) < len(mine):
                rows.append([self.cell(t.name, bold=True) if not shown else "",
                             L("team.reasons_more", count=f.int(len(mine) - len(shown)),
                               share=f.pct(REASON_SHOWN_SHARE)), "", "", ""])
        if not rows:
            self.add(self.p(L("team.reasons_none"), "big"))
            return
        header = [L("matrix.touchpoint"), L("quality.reason"), L("team.reason_contacts"),
                  L("team.reason_share"), L("team.reason_action")]
        self.add(self.table(header, rows, [3.5, 7, 1.8, 2.4, 1.8], right=(2, 3), span=0.85))

    def team_build(self) -> list[Flowable]:
        """One owner's plan: their page, then the work plan (follow-ups first, as in the full
        report), then the evidence: matrix rows, reasons, staff language."""
        self.team_summary()
        self.workplan()
        self.matrix()
        self.reasons()
        self.language()
        return self.story

    def build(self) -> list[Flowable]:
        self.cover()
        self.summary()
        if not self.d.empty:
            self.matrix()
            self.charts_section()
            self.workplan()
            self.customers()
            self.retention()
            self.language()
        elif self.d.repeat is not None:  # orders but no interactions: what orders alone tell
            self.repeat_purchase(own_section=True)
        self.quality()
        if self.d.examples:
            self.examples()
        return self.story


def _height(block: list[Flowable]) -> float:
    total = 0.0
    for fl in block:
        _, h = fl.wrap(FRAME_W, FRAME_H)
        total += h
    return total


def render_pdf(
    data: ReportData, labels: Labels, charts: list[Chart], chart_folder: str = "charts/",
    team: str | None = None, full_report: str | None = None,
) -> bytes:
    """The report as PDF bytes; same data and labels give the same bytes (invariant mode).
    With `team`, one owner's plan (pipeline.report.teams) naming the full report's file."""
    doc_ = _Doc(data, labels, charts, chart_folder, team, full_report)
    story = doc_.team_build() if team is not None else doc_.build()
    period = data.period.label if data.period else labels.fmt.spec["missing"]
    footer = labels("footer.generated", period=period, date=labels.fmt.date(data.report_date))
    if team is not None:
        footer = f"{labels('team.footer', owner=team)} · {footer}"
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 0.6 * cm,
        title=clean(f"{labels('title') if team is None else labels('team.title', owner=team)} "
                    f"{period}"),
        author="touchpoint pipeline",
        subject=clean(labels("subtitle")),
        creator="touchpoint pipeline (ReportLab)",
        lang=labels.lang,
        invariant=1,
    )
    doc.build(story, canvasmaker=_numbered_canvas(clean(footer), clean(labels.get("footer.page"))))
    return buf.getvalue()
